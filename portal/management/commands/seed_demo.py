"""Demo data for a newcomer: an agency with a broker and a principal, an admin, the carrier sandbox's
partner and API key, and the sample rate file. Safe to run again: it changes nothing that exists."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from agencies.models import Agency, Broker

DEMO_PASSWORD = "enroll-demo-2026"
# Order matters: the sandbox (carrier) first, then rates, then groups and their members.
DEMO_APPS = ["sandbox", "catalogue", "enrollment", "members", "edi"]
LOGINS = [
    # username, first, last, role (None for the staff admin), NPN
    ("broker", "Sam", "Ortiz", Broker.Role.BROKER, "17012345"),
    ("principal", "Dana", "Whitfield", Broker.Role.PRINCIPAL, "17054321"),
    ("admin", "Ada", "Admin", None, None),
]


class Command(BaseCommand):
    help = "Create the demo agency, logins, sandbox partner and rates (idempotent)."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            agency, _ = Agency.objects.get_or_create(
                name="Bluegrass Benefits Group", defaults={"phone": "5025550199"}
            )
            for username, first, last, role, npn in LOGINS:
                self._ensure_login(agency, username, first, last, role, npn)
        for step in self._extra_steps():
            step()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  Portal:    {settings.SITE_URL}/")
        self.stdout.write(f"  Admin:     {settings.SITE_URL}/admin/")
        for username, _first, _last, role, _npn in LOGINS:
            label = role.label if role else "Staff admin"
            self.stdout.write(f"  {label:<17} {username} / {DEMO_PASSWORD}")

    def _ensure_login(self, agency: Agency, username: str, first: str, last: str, role, npn) -> None:
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@agency.example"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            if role is None:
                user.is_staff = user.is_superuser = True
            user.save()
        if role is not None:
            Broker.objects.get_or_create(user=user, defaults={"agency": agency, "role": role, "npn": npn})

    def _extra_steps(self) -> list:
        """Each app may seed its own demo data in ``<app>/demo.py`` (``seed(*, stdout) -> None``)."""
        steps = []
        for app_label in DEMO_APPS:
            if not apps.is_installed(app_label):
                continue
            try:
                module = importlib.import_module(f"{app_label}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app_label}.demo":
                    raise
                continue
            steps.append(lambda module=module: module.seed(stdout=self.stdout))
        return steps
