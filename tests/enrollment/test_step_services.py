"""Issue 19 item 7: the step pages' domain decisions are services: the address step's county (kept when
refused but well formed, inferred when the ZIP lies in one county) and the save over a newer version."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from enrollment import services
from enrollment.models import EmployerGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def counties(monkeypatch):
    found: dict[str, list] = {"40202": [SimpleNamespace(county_fips="21111")], "40299": []}
    monkeypatch.setattr(
        "catalogue.selectors.counties_for_zip", lambda *, zip5, on: found.get(zip5, [])
    )  # fmt: skip
    return found


def test_a_zip_in_one_county_gives_its_county(complete_group, counties):
    group = services.group_update_address(
        group=complete_group, fields={"zip5": "40202", "county_fips": ""}, typed_county=None
    )
    assert EmployerGroup.objects.get(pk=group.pk).county_fips == "21111"


def test_a_refused_county_is_kept_only_when_it_looks_like_one(complete_group, counties):
    kept = services.group_update_address(group=complete_group, fields={"zip5": "40299"}, typed_county="21999")
    assert kept.county_fips == "21999"  # the rule says beside it why it does not fit
    dropped = services.group_update_address(group=complete_group, fields={"zip5": "40299"}, typed_county="x'")
    assert dropped.county_fips == ""
    assert services.group_counties(group=complete_group, zip5="4020") == []  # not a ZIP: not looked up


def test_a_save_over_a_newer_version_is_refused_and_shows_it(complete_group):
    opened_at = EmployerGroup.objects.get(pk=complete_group.pk).updated_at.isoformat()  # as the page shows it
    with services.group_saved_from(group=complete_group, seen=opened_at) as current:
        services.group_update(group=current, fields={"dba_name": "Heron"})
    with pytest.raises(services.GroupChangedMeanwhile) as meanwhile:
        with services.group_saved_from(group=complete_group, seen=opened_at):
            raise AssertionError("not reached: the page was opened before the last save")
    assert meanwhile.value.current.dba_name == "Heron"
