from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ExtensionForm(forms.Form):
    """Extend one unit's deadline: the new last day (the whole day counts) and why."""

    step = forms.CharField(widget=forms.HiddenInput, required=False)
    due_on = forms.DateField(
        label=_("Hạn mới (đến hết ngày)"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(label=_("Lý do gia hạn"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
