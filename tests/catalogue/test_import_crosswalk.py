"""ETSS 2.2 in the portal's importer: the 2028 file after the 2027 one keeps both plan years and stores
each plan's successor with the plan year it ends (``catalogue.selectors.plan_successor``)."""

from __future__ import annotations

from datetime import date

from catalogue import services
from catalogue.models import EtssFile, Plan, PlanCrosswalk
from catalogue.selectors import plan_successor
from groupsales.demo_etss import KY_2028, write_etss_file


def test_the_2028_file_stores_the_crosswalk_beside_the_2027_plans(loaded_sample, tmp_path):
    path = write_etss_file(tmp_path, KY_2028)
    loaded = services.etss_file_receive(path=path, loaded_by="command")
    assert loaded.status == EtssFile.Status.LOADED, loaded.errors
    assert loaded.counts["XWK"] == 5
    years = sorted(Plan.objects.filter(plan_id="12345KY0010002").values_list("plan_exp_date", flat=True))
    assert years == [date(2027, 12, 31)]  # the mapped plan keeps its last plan year
    assert Plan.objects.filter(plan_id="12345KY0010004", plan_eff_date=date(2028, 1, 1)).exists()
    mapped = plan_successor(plan_id="12345KY0010002", plan_year_end=date(2027, 12, 31))
    assert (mapped.successor_plan_id, mapped.reason) == ("12345KY0010004", "MAPPED")
    gone = plan_successor(plan_id="12345KY0010003", plan_year_end=date(2027, 12, 31))
    assert (gone.successor_plan_id, gone.successor_eff_date, gone.reason) == ("", None, "DISCONTINUED")
    assert plan_successor(plan_id="12345KY0010001", plan_year_end=date(2028, 12, 31)) is None


def test_a_2_1_file_loads_no_crosswalk(loaded_sample):
    assert "XWK" not in loaded_sample.counts
    assert PlanCrosswalk.objects.count() == 0
