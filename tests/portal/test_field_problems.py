"""A rule problem marks its field in its own form only (issue 15 item 15): ``aria-invalid`` and the
``aria-describedby`` of the error list are set on that form's widget, never on a widget other forms
share, which made every later date field of the process point at one form's hire-date error."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from members.forms import DependentForm, SubscriberForm
from portal.forms import fields_with_problems


@pytest.mark.django_db
def test_a_problem_on_one_form_s_date_leaves_the_other_forms_dates_alone():
    first = SubscriberForm(prefix="subscriber")
    fields_with_problems(first, [SimpleNamespace(field="hire_date")])
    assert 'aria-describedby="id_subscriber-hire_date_error' in str(first["hire_date"])

    later = SubscriberForm(prefix="subscriber")
    dependent = DependentForm(prefix="dependents-0")
    for bound in (
        later["hire_date"],
        later["date_of_birth"],
        dependent["date_of_birth"],
        first["date_of_birth"],
    ):
        assert "hire_date_error" not in str(bound), bound.html_name
        assert "aria-invalid" not in str(bound), bound.html_name
