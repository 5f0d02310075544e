"""The e-mail preference form (saved through services.email_preference_set)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import EmailMode


class EmailPreferenceForm(forms.Form):
    mode = forms.ChoiceField(label=_("Nhận thư điện tử"), choices=EmailMode.choices, widget=forms.RadioSelect)
    digest_hour = forms.TypedChoiceField(
        label=_("Giờ gửi thư tổng hợp (giờ Việt Nam)"),
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        coerce=int,
    )
