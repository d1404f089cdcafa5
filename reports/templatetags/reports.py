"""``{% group_reports as downloads %}``: the reports a group page offers, so the page (enrollment) needs to
know nothing of this app."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

GROUP_REPORT_TITLES = (
    ("enrollment", _("Enrollment census")),
    ("premium", _("Premium by plan")),
    ("not-signed", _("Not yet signed")),
    ("payroll", _("Payroll deductions")),
)


@register.simple_tag
def group_reports():
    return GROUP_REPORT_TITLES
