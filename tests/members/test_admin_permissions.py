"""A view-only admin cannot revoke invitations or validate members again (issue 16, item 3)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from members import self_service
from members.models import Invitation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _viewer(client, codename: str):
    user = UserFactory(username=f"viewer-{codename}", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename=codename))
    client.force_login(user)
    return client


def test_a_view_only_admin_cannot_revoke_an_invitation(client, ann):
    invitation = self_service.invitation_send(subscriber=ann, by=None)
    _viewer(client, "view_invitation").post(
        reverse("admin:members_invitation_changelist"),
        {"action": "revoke", "_selected_action": [invitation.pk]},
    )
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None


def _validate_again(client, ann, capture) -> None:
    with capture(execute=True):
        client.post(
            reverse("admin:members_member_changelist"),
            {"action": "validate_again", "_selected_action": [ann.pk]},
        )


def test_a_view_only_admin_cannot_validate_again(client, ann, queued, django_capture_on_commit_callbacks):
    queued.clear()
    _validate_again(_viewer(client, "view_member"), ann, django_capture_on_commit_callbacks)
    assert queued == []
    user = UserFactory(username="editor", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_member", "change_member"]))
    client.force_login(user)
    _validate_again(client, ann, django_capture_on_commit_callbacks)
    assert queued == [ann.group_id]  # the same request by an admin who may change members
