"""Dates as officers type them (dd/mm/yyyy) on the task page's council form and the deadline
extension form: an impossible day says "Ngày không hợp lệ", not "required"; and codes read as labels."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from deadlines.forms import ExtensionForm
from workflows import services
from workflows.templatetags.workflow_labels import action_name


@dataclasses.dataclass(frozen=True)
class _CouncilApproval(services._Choice):
    """The council's approve as the route declares it: a resolution number and date."""

    fields = ("resolution_number", "resolution_date")


COUNCIL = _CouncilApproval(action="approve", agency=None, acting_for=None, allowed=True)
TODAY = dt.date(2026, 12, 1)


def _date_error(raw) -> str:
    with translation.override("vi"), pytest.raises(ValidationError) as caught:
        services._clean_fields(COUNCIL, "", {"resolution_number": "15/NQ-HĐND", "resolution_date": raw}, today=TODAY)
    return " ".join(caught.value.message_dict["resolution_date"])


def test_an_impossible_council_date_is_not_taken_for_an_empty_one():
    assert _date_error("31/02/2023").startswith("Ngày không hợp lệ")
    assert _date_error("2023-02-31").startswith("Ngày không hợp lệ")  # ISO, but no such day: no 500
    assert _date_error("ngày mai").startswith("Ngày không hợp lệ")
    assert _date_error("").startswith("Cần ngày nghị quyết")


def test_a_council_date_typed_dd_mm_yyyy_is_read():
    clean = services._clean_fields(
        COUNCIL, "", {"resolution_number": "15", "resolution_date": "08/12/2023"}, today=TODAY
    )
    assert clean["resolution_date"] == dt.date(2023, 12, 8)


def test_the_extension_date_is_a_dd_mm_yyyy_text_box_not_the_browsers_picker():
    html = str(ExtensionForm()["due_on"])
    assert 'type="text"' in html and 'placeholder="dd/mm/yyyy"' in html and 'type="date"' not in html
    form = ExtensionForm(data={"due_on": "04/09/2026", "reason": "Mưa lũ"})
    assert form.is_valid() and form.cleaned_data["due_on"] == dt.date(2026, 9, 4)
    shown = ExtensionForm(initial={"due_on": dt.date(2026, 9, 4)})
    assert 'value="04/09/2026"' in str(shown["due_on"])


def test_an_impossible_extension_date_says_so():
    with translation.override("vi"):
        form = ExtensionForm(data={"due_on": "31/02/2026", "reason": "Mưa lũ"})
        assert not form.is_valid()
        assert form.errors["due_on"] == ["Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy, ví dụ 04/09/2026."]


def test_the_audit_codes_read_as_labels():
    with translation.override("vi"):
        assert action_name("extend_deadline") == "Gia hạn thời hạn"
        assert action_name("cancelled") == "Đã hủy"
        assert action_name("return") == "Trả lại để chỉnh sửa"
