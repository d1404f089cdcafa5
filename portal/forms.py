"""Site-wide form rendering: every field shows its label, help, and errors with rule IDs beside it."""

from django.forms.renderers import TemplatesSetting


class PortalFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
