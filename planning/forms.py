"""Forms of the plan pages. They collect and redisplay what the officer typed; the rules live in
``planning.services`` (one rule for the web pages and the API), whose errors these forms place
back on the row and field they name."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.forms.formsets import BaseFormSet, formset_factory
from django.utils.formats import number_format, sanitize_separators
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from config.text import add_text_validators
from planning import services
from planning.models import BudgetLine, Cycle, FundingSource, Household, Indicator, Plan, PlanStatus, PlanType

DATE_INPUT = "%d/%m/%Y"
# The units officers use in the seeds; the field stays free text.
UNITS_OF_MEASURE = ("%", "hộ", "người", "km", "trường", "triệu đồng/người", "tiêu chí/xã")


def number_input(value: Decimal | None, *, blank_zero: bool = False) -> str:
    """A stored number as the officer types it in the active language ("45.500", "1.200,5")."""
    if value is None or (blank_zero and not value):
        return ""
    return number_format(value.normalize())


def _label(model: type, name: str) -> str:
    return capfirst(model._meta.get_field(name).verbose_name)


class PlanFilterForm(forms.Form):
    cycle = forms.ModelChoiceField(
        label=_("Chu kỳ"),
        queryset=Cycle.objects.order_by("-year", "structure"),
        required=False,
        empty_label=_("Tất cả chu kỳ"),
    )
    plan_type = forms.ChoiceField(label=_("Loại kế hoạch"), required=False)
    status = forms.ChoiceField(label=_("Trạng thái"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan_type"].choices = [("", _("Tất cả loại")), *PlanType.choices]
        self.fields["status"].choices = [("", _("Tất cả trạng thái")), *PlanStatus.choices]

    def filters(self) -> dict[str, Any]:
        """The valid filters only: a tampered parameter is ignored, not an error page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        cycle = data.get("cycle")
        return {
            "cycle": cycle.pk if cycle else None,
            "plan_type": data.get("plan_type") or None,
            "status": data.get("status") or None,
        }


class PlanHeaderForm(forms.Form):
    """The document header (``services.HEADER_FIELDS``), saved by ``services.plan_header_update``."""

    issuing_body = forms.CharField(max_length=255, required=False)
    number_symbol = forms.CharField(max_length=64, required=False)
    place = forms.CharField(max_length=128, required=False)
    issued_on = forms.DateField(
        required=False,
        input_formats=[DATE_INPUT, "%Y-%m-%d"],
        widget=forms.DateInput(
            format=DATE_INPUT, attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}
        ),
        help_text=_("Ngày/tháng/năm, ví dụ 12/01/2023."),
    )
    legal_bases = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))
    purpose = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    objectives = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    recipients = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    no_money_statement = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            model_field = Plan._meta.get_field(name)
            field.label = capfirst(model_field.verbose_name)
            field.help_text = field.help_text or model_field.help_text
        add_text_validators(self)

    @classmethod
    def initial_for(cls, plan: Plan) -> dict[str, Any]:
        return {name: getattr(plan, name) for name in services.HEADER_FIELDS}

    def submitted_changes(self) -> dict[str, Any]:
        """Changed fields that were in the POST: a field the request did not carry is never blanked."""
        return {name: self.cleaned_data[name] for name in self.changed_data if self.add_prefix(name) in self.data}

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            self.add_error(field if field in self.fields else None, messages)


def _amount_field(label: str) -> forms.CharField:
    # Text, not a DecimalField: the officer's own notation comes back untouched after an error.
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "amount"}),
    )


class RowForm(forms.Form):
    """One row of a list that a ``*_replace`` service receives whole."""

    number_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_text_validators(self)

    def is_blank(self) -> bool:
        return not any(str(value).strip() for name, value in self.cleaned_data.items() if name != "DELETE")

    def service_row(self) -> dict[str, Any]:
        """The row as the service reads it: numbers in plain notation, whatever the language."""
        row = {name: value for name, value in self.cleaned_data.items() if name != "DELETE"}
        for name in self.number_fields:
            row[name] = sanitize_separators(row[name].strip())
        return row


AMOUNT_PREFIX = "amount_"


def item_choice_value(item: Any, plan_period: str) -> str:
    """The value of an item in the editor's choice list: its code, prefixed by its catalogue
    when that is not the plan's own (a continuing 2021-2025 line in a 2026 plan)."""
    return item.code if item.period.code == plan_period else f"{item.period.code}:{item.code}"


class BudgetLineForm(RowForm):
    """One line: the item, the texts, and one amount field per funding source of the plan's
    period (``amount_<source code>``), built from data: the form names no source."""

    item = forms.ChoiceField(label=_("Dự án / tiểu dự án"), required=False)
    content = forms.CharField(
        label=_label(BudgetLine, "content"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    lead_agency = forms.CharField(label=_label(BudgetLine, "lead_agency"), required=False)
    coordinating_agencies = forms.CharField(label=_label(BudgetLine, "coordinating_agencies"), required=False)
    beneficiaries = forms.CharField(label=_label(BudgetLine, "beneficiaries"), required=False)

    def __init__(
        self,
        *args: Any,
        item_choices: list | None = None,
        sources: list[FundingSource] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", _("— Chọn nội dung —")), *(item_choices or [])]
        self.sources = sources or []
        for source in self.sources:
            self.fields[AMOUNT_PREFIX + source.code] = _amount_field(source.short)
        self.number_fields = tuple(AMOUNT_PREFIX + s.code for s in self.sources)

    def amount_fields(self) -> list[forms.BoundField]:
        return [self[AMOUNT_PREFIX + s.code] for s in self.sources]

    def text_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("lead_agency", "coordinating_agencies", "beneficiaries")]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("DELETE") and not data.get("item") and not self.is_blank():
            self.add_error("item", _("Chọn nội dung cho dòng này."))
        return data

    def service_row(self) -> dict[str, Any]:
        """The row as ``services.validate_lines`` reads it (amounts nested by source code)."""
        row = super().service_row()
        amounts = {name.removeprefix(AMOUNT_PREFIX): row.pop(name) for name in self.number_fields}
        catalogue, _sep, code = str(row.pop("item") or "").rpartition(":")
        row["item"] = code
        if catalogue:
            row["catalogue"] = catalogue
        row["amounts"] = {code: value for code, value in amounts.items() if value}
        return row

    def add_error(self, field: str | None, error: Any) -> None:
        # The service names amounts as {"amounts": {"<source>": [...]}}: put each on its cell.
        if field == "amounts" and isinstance(error, dict):
            for code, messages in error.items():
                name = AMOUNT_PREFIX + code
                super().add_error(name if name in self.fields else None, messages)
            return
        super().add_error(field, error)

    @staticmethod
    def initial_for(line: BudgetLine, plan_period: str) -> dict[str, Any]:
        amounts = line.amount_map
        return {
            "item": item_choice_value(line.item, plan_period),
            **{name: getattr(line, name) for name in services.LINE_TEXT_FIELDS},
            **{AMOUNT_PREFIX + code: number_input(value, blank_zero=True) for code, value in amounts.items()},
        }


class IndicatorForm(RowForm):
    number_fields = ("value", "value_max", "baseline")

    code = forms.CharField(label=_label(Indicator, "code"), required=False)
    name = forms.CharField(label=_label(Indicator, "name"), required=False)
    kind = forms.ChoiceField(label=_label(Indicator, "kind"), required=False)
    value = _amount_field(_label(Indicator, "value"))
    value_max = _amount_field(_label(Indicator, "value_max"))
    unit = forms.CharField(
        label=_label(Indicator, "unit_of_measure"),
        required=False,
        widget=forms.TextInput(attrs={"list": "units-of-measure", "autocomplete": "off"}),
    )
    baseline = _amount_field(_label(Indicator, "baseline"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "—"), *Indicator.Kind.choices]

    @staticmethod
    def initial_for(indicator: Indicator) -> dict[str, Any]:
        return {
            "code": indicator.code,
            "name": indicator.name,
            "kind": indicator.kind,
            "unit": indicator.unit_of_measure,
            "value": number_input(indicator.value),
            "value_max": number_input(indicator.value_max),
            "baseline": number_input(indicator.baseline),
        }


HOUSEHOLD_FIELDS = ("code", "head_name", "cause", "planned_support", "responsible_organisation")


class HouseholdForm(RowForm):
    code = forms.CharField(label=_label(Household, "code"), required=False)
    head_name = forms.CharField(label=_label(Household, "head_name"), required=False)
    cause = forms.CharField(label=_label(Household, "cause"), required=False)
    planned_support = forms.CharField(
        label=_label(Household, "planned_support"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    responsible_organisation = forms.CharField(label=_label(Household, "responsible_organisation"), required=False)

    @staticmethod
    def initial_for(household: Household) -> dict[str, Any]:
        return {name: getattr(household, name) for name in HOUSEHOLD_FIELDS}


class RowFormSet(BaseFormSet):
    """A list edited as one table and replaced as a whole by one service call.

    Blank rows and rows marked for removal are left out of ``rows()``; the formset remembers
    which form each row came from, so the service's ``{row: {field: [messages]}}`` errors land
    on the row the officer typed, with everything else they typed still in place.
    """

    def is_submitted(self) -> bool:
        """Whether the request carried this list at all (a missing list is left untouched)."""
        return self.is_bound and self.management_form.add_prefix("TOTAL_FORMS") in self.data

    def rows(self) -> list[dict[str, Any]]:
        self.row_forms = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and not form.is_blank()
        ]
        return [form.service_row() for form in self.row_forms]

    def add_service_errors(self, errors: Any) -> None:
        self.service_errors: list[str] = []
        if not isinstance(errors, dict):
            self.service_errors = [str(message) for message in errors] if isinstance(errors, list) else [str(errors)]
            return
        for index, row_errors in errors.items():
            form = self.row_forms[int(index)]
            for field, messages in row_errors.items():
                form.add_error(self.error_field(form, field), messages)

    @staticmethod
    def error_field(form: forms.Form, field: str) -> str | None:
        """Where a service error on ``field`` shows: its own cell, the item cell for the
        line's catalogue, the amounts for a line's amounts, else the row."""
        if field in form.fields or field == "amounts":
            return field
        return "item" if field == "catalogue" and "item" in form.fields else None

    def has_service_errors(self) -> bool:
        return bool(getattr(self, "service_errors", None)) or any(form.errors for form in self.forms)


BudgetLineFormSet = formset_factory(BudgetLineForm, formset=RowFormSet, extra=3, can_delete=True)
IndicatorFormSet = formset_factory(IndicatorForm, formset=RowFormSet, extra=2, can_delete=True)
HouseholdFormSet = formset_factory(
    HouseholdForm, formset=RowFormSet, extra=3, can_delete=True, max_num=5000, absolute_max=5000
)
