"""Forms of the directory's admin: a membership's title is checked where it is edited."""

from __future__ import annotations

from django import forms

from directory.models import Membership
from directory.services import membership_title_error


class MembershipForm(forms.ModelForm):
    """A membership as the admin edits it (alone or inline on an officer): a head's title is
    required, since it is printed on the documents they sign (``membership_title_error``)."""

    class Meta:
        model = Membership
        fields = ["user", "agency", "role", "title"]

    def clean(self) -> dict:
        cleaned = super().clean()
        role, title = cleaned.get("role"), cleaned.get("title") or ""
        if role and (error := membership_title_error(role=role, title=title)):
            self.add_error("title", error)
        elif title:
            cleaned["title"] = title.strip()
        return cleaned
