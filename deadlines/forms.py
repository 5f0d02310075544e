from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

# Officers type dates as dd/mm/yyyy everywhere; ISO (yyyy-mm-dd) is still read, for scripts.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class VietnameseDateField(forms.DateField):
    """A date typed dd/mm/yyyy in a text box (not the browser's date picker, which shows the
    browser's locale, mm/dd/yyyy in an English one); an impossible date (31/02/2023) says so."""

    default_error_messages = {"invalid": _("Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy, ví dụ 04/09/2026.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATE_INPUT_FORMATS)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else value


class ExtensionForm(forms.Form):
    """Extend one unit's deadline: the new last day (the whole day counts) and why."""

    step = forms.CharField(widget=forms.HiddenInput, required=False)
    due_on = VietnameseDateField(label=_("Hạn mới (đến hết ngày, dd/mm/yyyy)"))
    reason = forms.CharField(label=_("Lý do gia hạn"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
