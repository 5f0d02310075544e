"""Plan documents: the programme catalogue per period, planning cycles, plans and their content.

Amounts are million VND (triệu đồng) as decimals with at most three places. Totals are never
stored: they are computed in SQL (``planning.selectors``). A plan's ``status`` is a protected
django-fsm field: only ``approvals.services`` move it.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from directory.models import AdministrativeUnit, Structure

# 999.999.999,999 million VND (a million billion đồng) is beyond any real plan: a larger amount
# is a typing error. 15 digits with 3 decimals holds it.
AMOUNT_MAX = Decimal("999999999.999")
# "… giai đoạn 2021 - 2025", "… giai đoạn 2026-2035, giai đoạn I (2026-2030)": the period part.
PROGRAMME_PERIOD_SUFFIX = re.compile(r"\s+giai đoạn\s+\d{4}\b.*$")


def amount_field(verbose_name: str, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=15, decimal_places=3, validators=[MinValueValidator(0)], **kwargs
    )


class Bilingual:
    """``title`` in the active language, from ``title_vi`` / ``title_en``."""

    title_vi: str
    title_en: str

    @property
    def title(self) -> str:
        return self.title_en if (get_language() or "vi").startswith("en") and self.title_en else self.title_vi


class ProgrammePeriod(Bilingual, models.Model):
    code = models.CharField(_("giai đoạn"), max_length=16, unique=True, help_text=_("Ví dụ 2021-2025."))
    title_vi = models.CharField(_("tên (tiếng Việt)"), max_length=255)
    title_en = models.CharField(_("tên (tiếng Anh)"), max_length=255, blank=True)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=255, blank=True)
    first_year = models.PositiveSmallIntegerField(_("từ năm"))
    last_year = models.PositiveSmallIntegerField(_("đến năm"))
    # The ministry that owns (aggregates) the programme in this period: MOLISA for 2021-2025,
    # the Ministry of Agriculture and Environment for the merged 2026-2035 programme.
    owner_vi = models.CharField(_("cơ quan chủ quản"), max_length=255, blank=True)
    owner_en = models.CharField(_("cơ quan chủ quản (tiếng Anh)"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("giai đoạn chương trình")
        verbose_name_plural = _("giai đoạn chương trình")
        ordering = ["first_year"]

    def __str__(self) -> str:
        return self.code

    @property
    def programme_name(self) -> str:
        """The programme's name without its period, as documents print it under their title:
        "Chương trình mục tiêu quốc gia giảm nghèo bền vững" (2021-2025), the merged
        programme's long name from 2026."""
        return PROGRAMME_PERIOD_SUFFIX.sub("", self.title_vi).strip()


class FundingSource(Bilingual, models.Model):
    """A column of money in the period's plans (nguồn vốn), in the order the tables print them.

    Sources are data per period (``planning/data/catalogue-<period>.json``): 2021-2025 has four,
    2026-2030 seven. Code never names a source; ``group`` says which subtotal it belongs to."""

    class Group(models.TextChoices):
        CENTRAL = "central", _("Ngân sách trung ương")
        LOCAL = "local", _("Ngân sách địa phương")
        OTHER = "other", _("Nguồn vốn khác")

    period = models.ForeignKey(ProgrammePeriod, on_delete=models.CASCADE, related_name="sources")
    code = models.CharField(_("mã nguồn vốn"), max_length=32)
    title_vi = models.CharField(_("tên (tiếng Việt)"), max_length=255)
    title_en = models.CharField(_("tên (tiếng Anh)"), max_length=255, blank=True)
    short_vi = models.CharField(_("tên cột (tiếng Việt)"), max_length=64, blank=True)
    short_en = models.CharField(_("tên cột (tiếng Anh)"), max_length=64, blank=True)
    group = models.CharField(_("nhóm"), max_length=16, choices=Group.choices)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("nguồn vốn")
        verbose_name_plural = _("nguồn vốn")
        ordering = ["period", "position"]
        constraints = [models.UniqueConstraint(fields=["period", "code"], name="funding_source_unique_code")]

    def __str__(self) -> str:
        return self.title

    @property
    def short(self) -> str:
        english = (get_language() or "vi").startswith("en")
        return (self.short_en if english else self.short_vi) or self.title


class CatalogueItem(Bilingual, models.Model):
    """A project or sub-project of the programme in one period, under its national code.

    2026-2030: a component (hợp phần), a component content (nội dung thành phần) or a numbered
    content (nội dung); ``levels`` lists the tiers that may put money on it (empty: every tier)."""

    class Kind(models.TextChoices):
        PROJECT = "project", _("Dự án")
        SUB_PROJECT = "sub_project", _("Tiểu dự án")
        COMPONENT = "component", _("Hợp phần")
        COMPONENT_CONTENT = "component_content", _("Nội dung thành phần")
        CONTENT = "content", _("Nội dung")

    period = models.ForeignKey(ProgrammePeriod, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("mã quốc gia"), max_length=16)
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    title_vi = models.TextField(_("tên (tiếng Việt)"))
    title_en = models.TextField(_("tên (tiếng Anh)"), blank=True)
    lead_agency_kind = models.CharField(_("cơ quan chủ trì (mặc định)"), max_length=32)
    budgetable = models.BooleanField(_("nhận dòng kinh phí"), default=True)
    kind = models.CharField(_("loại"), max_length=32, choices=Kind.choices, blank=True)
    lead_ministries = models.JSONField(_("bộ hướng dẫn"), default=list, blank=True)
    levels = models.JSONField(_("cấp được bố trí kinh phí"), default=list, blank=True)
    # False where the title is a working title not yet checked against the official text.
    verified = models.BooleanField(_("đã đối chiếu văn bản"), default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("dự án / tiểu dự án")
        verbose_name_plural = _("danh mục dự án")
        ordering = ["period", "position"]
        constraints = [models.UniqueConstraint(fields=["period", "code"], name="catalogue_item_unique_code")]

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"


class LocalLabel(models.Model):
    """A province's own numbering and label of a national item (Lâm Đồng numbers differently).

    A province that defines labels for a period uses only the labelled items (its subset)."""

    province = models.ForeignKey(AdministrativeUnit, on_delete=models.CASCADE, related_name="catalogue_labels")
    item = models.ForeignKey(CatalogueItem, on_delete=models.CASCADE, related_name="local_labels")
    local_code = models.CharField(_("số hiệu địa phương"), max_length=16)
    local_title = models.TextField(_("tên địa phương"), blank=True)

    class Meta:
        verbose_name = _("nhãn địa phương")
        verbose_name_plural = _("nhãn địa phương")
        constraints = [models.UniqueConstraint(fields=["province", "item"], name="local_label_unique")]

    def __str__(self) -> str:
        return f"{self.local_code} ({self.item.code})"


class PlanType(models.TextChoices):
    ANNUAL = "annual", _("Kế hoạch thực hiện hằng năm")
    HOUSEHOLD_REVIEW = "household_review", _("Kế hoạch rà soát hộ nghèo, hộ cận nghèo")
    FIVE_YEAR = "five_year", _("Kế hoạch 5 năm")
    MONITORING_SIX_MONTH = "monitoring_6m", _("Báo cáo giám sát 6 tháng")
    MONITORING_ANNUAL = "monitoring_annual", _("Báo cáo giám sát hằng năm")


# A cycle belongs to a local structure, never to the national level.
CYCLE_STRUCTURES = [c for c in Structure.choices if c[0] != Structure.NATIONAL]


class Cycle(models.Model):
    """One year's planning cycle in one administrative structure."""

    year = models.PositiveSmallIntegerField(_("năm"))
    period = models.ForeignKey(ProgrammePeriod, on_delete=models.PROTECT, related_name="cycles")
    structure = models.CharField(_("cơ cấu hành chính"), max_length=16, choices=CYCLE_STRUCTURES)
    name = models.CharField(_("tên"), max_length=255)
    plan_types = models.JSONField(_("loại kế hoạch"), default=list, help_text=_("Các loại kế hoạch của chu kỳ."))

    class Meta:
        verbose_name = _("chu kỳ kế hoạch")
        verbose_name_plural = _("chu kỳ kế hoạch")
        ordering = ["-year", "structure"]
        constraints = [models.UniqueConstraint(fields=["year", "structure"], name="cycle_unique_year_structure")]

    def __str__(self) -> str:
        return self.name


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Đang soạn")
    SUBMITTED = "submitted", _("Đã trình, chờ thẩm định")
    RETURNED = "returned", _("Bị trả lại để chỉnh sửa")
    ACCEPTED = "accepted", _("Cấp trên đã chấp nhận")
    WAIVED = "waived", _("Được miễn")
    APPRAISAL = "appraisal", _("Đang thẩm định vốn")
    COUNCIL = "council", _("Trình HĐND")
    APPROVED = "approved", _("HĐND đã phê duyệt")
    REPORTED = "reported", _("Đã báo cáo Bộ")
    CLOSED = "closed", _("Hoàn thành")
    GUIDANCE_ISSUED = "guidance_issued", _("Đã ban hành hướng dẫn")


# States in which the plan's own unit may edit its content.
EDITABLE_STATUSES = (PlanStatus.DRAFT, PlanStatus.RETURNED)


class Plan(FSMModelMixin, models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="plans")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="plans")
    plan_type = models.CharField(_("loại kế hoạch"), max_length=32, choices=PlanType.choices)
    # The plan of the level above in the same cycle and type (roll-up, envelopes, review).
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    # Copied from the unit so a province's or district's plans are one indexed lookup.
    province = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, null=True, related_name="+")
    district = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, null=True, related_name="+")

    status = FSMField(
        _("trạng thái"), max_length=32, choices=PlanStatus.choices, default=PlanStatus.DRAFT, protected=True
    )
    round_number = models.PositiveIntegerField(_("lần trình"), default=0)

    # Header (thể thức văn bản, Decree 30/2020).
    issuing_body = models.CharField(_("cơ quan ban hành"), max_length=255, blank=True)
    number_symbol = models.CharField(
        _("số, ký hiệu"), max_length=64, blank=True, help_text=_("Để trống khi còn là dự thảo, ví dụ 72/KH-UBND.")
    )
    place = models.CharField(_("địa danh"), max_length=128, blank=True)
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    legal_bases = models.TextField(_("căn cứ"), blank=True, help_text=_("Mỗi căn cứ một dòng."))
    purpose = models.TextField(_("mục đích, yêu cầu"), blank=True)
    objectives = models.TextField(_("mục tiêu"), blank=True)
    recipients = models.TextField(_("nơi nhận"), blank=True, help_text=_("Mỗi nơi nhận một dòng."))
    # Instead of budget lines, when the unit gets no programme money this year (completeness).
    no_money_statement = models.TextField(
        _("không bố trí kinh phí"),
        blank=True,
        help_text=_(
            "Chỉ ghi khi năm nay đơn vị không được bố trí kinh phí Chương trình: lý do, thay cho các dòng kinh phí."
        ),
    )

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The officer who last wrote the content: a plan returned for revision goes back to them.
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("kế hoạch")
        verbose_name_plural = _("kế hoạch")
        ordering = ["cycle", "plan_type", "unit__code"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "unit", "plan_type"], name="plan_unique_per_cycle_unit_type"),
        ]
        indexes = [
            # Roll-up and workbench: the plans of one province / district in a cycle and type.
            models.Index(fields=["cycle", "plan_type", "province"], name="plan_cycle_type_province"),
            models.Index(fields=["cycle", "plan_type", "district"], name="plan_cycle_type_district"),
            # Lists filtered by status.
            models.Index(fields=["cycle", "plan_type", "status"], name="plan_cycle_type_status"),
        ]
        permissions = [("edit_plan_content", _("Soạn nội dung kế hoạch"))]

    def __str__(self) -> str:
        return f"{self.get_plan_type_display()} {self.cycle.year} — {self.unit.name}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    # --- transitions -------------------------------------------------------------------------
    # The legal moves of the document. Only approvals.services calls them, under the plan's row
    # lock; the route (workflows/data/routes.json) decides which one a step's action takes.
    S = PlanStatus

    @transition(field=status, source=[S.DRAFT, S.RETURNED], target=S.SUBMITTED)
    def mark_submitted(self) -> None: ...

    @transition(field=status, source=[S.DRAFT, S.RETURNED], target=S.APPRAISAL)
    def mark_appraisal(self) -> None: ...

    @transition(field=status, source=[S.APPRAISAL], target=S.COUNCIL)
    def mark_council(self) -> None: ...

    @transition(field=status, source=[S.COUNCIL, S.REPORTED], target=S.APPROVED)
    def mark_approved(self) -> None: ...

    @transition(field=status, source=[S.APPROVED, S.DRAFT, S.RETURNED], target=S.REPORTED)
    def mark_reported(self) -> None: ...

    @transition(field=status, source=[S.SUBMITTED], target=S.ACCEPTED)
    def mark_accepted(self) -> None: ...

    @transition(field=status, source=[S.REPORTED], target=S.CLOSED)
    def mark_closed(self) -> None: ...

    @transition(field=status, source=[S.DRAFT, S.RETURNED], target=S.GUIDANCE_ISSUED)
    def mark_guidance_issued(self) -> None: ...

    @transition(
        field=status, source=[S.SUBMITTED, S.APPRAISAL, S.COUNCIL, S.ACCEPTED, S.WAIVED, S.REPORTED], target=S.RETURNED
    )
    def mark_returned(self) -> None: ...

    @transition(field=status, source=[S.DRAFT, S.RETURNED, S.SUBMITTED], target=S.WAIVED)
    def mark_waived(self) -> None: ...

    @transition(field=status, source=[S.APPROVED, S.CLOSED, S.ACCEPTED, S.GUIDANCE_ISSUED], target=S.DRAFT)
    def mark_draft(self) -> None: ...

    del S


class RuralCriterion(Bilingual, models.Model):
    """A national rural criterion of a period (2026-2030: Decision 51/2025/QĐ-TTg, 10 criteria)."""

    period = models.ForeignKey(ProgrammePeriod, on_delete=models.CASCADE, related_name="criteria")
    code = models.CharField(_("mã"), max_length=16)
    title_vi = models.TextField(_("tên (tiếng Việt)"))
    title_en = models.TextField(_("tên (tiếng Anh)"), blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("tiêu chí")
        verbose_name_plural = _("bộ tiêu chí")
        ordering = ["period", "position"]
        constraints = [models.UniqueConstraint(fields=["period", "code"], name="rural_criterion_unique_code")]

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"


class RuralIndicator(Bilingual, models.Model):
    """An indicator of a rural criterion, with its target per commune group (data, unverified
    where ``verified`` is false). A plan's indicator may refer to one."""

    criterion = models.ForeignKey(RuralCriterion, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("mã"), max_length=16)
    title_vi = models.TextField(_("tên (tiếng Việt)"))
    title_en = models.TextField(_("tên (tiếng Anh)"), blank=True)
    unit_of_measure = models.CharField(_("đơn vị tính"), max_length=64, blank=True)
    kind = models.CharField(_("loại"), max_length=16, blank=True)
    targets = models.JSONField(_("mục tiêu theo nhóm xã"), default=dict, blank=True)
    verified = models.BooleanField(_("đã đối chiếu văn bản"), default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("chỉ tiêu của tiêu chí")
        verbose_name_plural = _("chỉ tiêu của tiêu chí")
        ordering = ["criterion", "position"]
        constraints = [models.UniqueConstraint(fields=["criterion", "code"], name="rural_indicator_unique_code")]

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"


class Indicator(models.Model):
    class Kind(models.TextChoices):
        LEVEL = "level", _("Mức đạt (còn …)")
        CHANGE = "change", _("Mức thay đổi (giảm …)")
        COUNT = "count", _("Số lượng")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveIntegerField(default=0)
    code = models.CharField(_("mã"), max_length=32, blank=True)
    # The national criterion indicator this one measures (2026-2030), if any.
    criterion = models.ForeignKey(
        RuralIndicator, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("tiêu chí")
    )
    name = models.TextField(_("chỉ tiêu"))
    unit_of_measure = models.CharField(_("đơn vị tính"), max_length=64, help_text=_("%, hộ, người, km, …"))
    kind = models.CharField(_("loại"), max_length=16, choices=Kind.choices)
    value = models.DecimalField(_("giá trị"), max_digits=18, decimal_places=3)
    value_max = models.DecimalField(_("đến (khoảng)"), max_digits=18, decimal_places=3, null=True, blank=True)
    baseline = models.DecimalField(_("giá trị gốc"), max_digits=18, decimal_places=3, null=True, blank=True)

    class Meta:
        verbose_name = _("chỉ tiêu")
        verbose_name_plural = _("chỉ tiêu")
        ordering = ["plan", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value_max__isnull=True) | Q(value_max__gte=models.F("value")),
                name="indicator_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BudgetLine(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    item = models.ForeignKey(CatalogueItem, on_delete=models.PROTECT, related_name="lines")
    content = models.TextField(_("nội dung"), blank=True)
    lead_agency = models.CharField(_("cơ quan chủ trì"), max_length=255, blank=True)
    coordinating_agencies = models.CharField(_("cơ quan phối hợp"), max_length=500, blank=True)
    beneficiaries = models.TextField(_("đối tượng thụ hưởng"), blank=True)

    class Meta:
        verbose_name = _("dòng kinh phí")
        verbose_name_plural = _("dòng kinh phí")
        ordering = ["plan", "position"]
        indexes = [
            # Roll-up: the lines of many plans by plan_id IN, grouped by item.
            models.Index(fields=["plan", "item"], name="budget_line_plan_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} {self.content[:40]}"

    @property
    def amount_map(self) -> dict[str, Decimal]:
        """Amount per source code (only the sources with money; prefetch ``amounts__source``)."""
        return {a.source.code: a.amount for a in self.amounts.all()}

    @property
    def total(self) -> Decimal:
        return sum((a.amount for a in self.amounts.all()), Decimal("0"))


class LineAmount(models.Model):
    """The money of one line from one funding source of the plan's period (never zero).

    ``plan`` and ``item`` repeat the line's (lines are replaced whole, never moved), so a roll-up
    over thousands of plans reads this one table through its covering index instead of joining
    the lines."""

    line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="amounts")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(CatalogueItem, on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(FundingSource, on_delete=models.PROTECT, related_name="+")
    amount = amount_field(_("số tiền"))

    class Meta:
        verbose_name = _("kinh phí theo nguồn")
        verbose_name_plural = _("kinh phí theo nguồn")
        constraints = [
            models.UniqueConstraint(fields=["line", "source"], name="line_amount_unique_source"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="line_amount_positive"),
        ]
        indexes = [
            # Roll-up: SUM(amount) GROUP BY item, source over the plans of a subtree
            # (plan_id IN …), answered from this index alone (PostgreSQL INCLUDE column).
            models.Index(fields=["plan", "item", "source"], include=["amount"], name="line_amount_rollup"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}: {self.amount}"


class Household(models.Model):
    """A household a commune plan supports, and who helps it."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="households")
    position = models.PositiveIntegerField(default=0)
    code = models.CharField(_("mã hộ"), max_length=32)
    head_name = models.CharField(_("chủ hộ"), max_length=150)
    cause = models.CharField(_("nguyên nhân nghèo"), max_length=255, blank=True)
    planned_support = models.TextField(_("hỗ trợ dự kiến"), blank=True)
    responsible_organisation = models.CharField(_("tổ chức, cá nhân giúp đỡ"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("hộ được hỗ trợ")
        verbose_name_plural = _("hộ được hỗ trợ")
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="household_unique_code_per_plan")]

    def __str__(self) -> str:
        return f"{self.code} {self.head_name}"


class Envelope(models.Model):
    """Ceilings a parent plan sets for one child plan, per source (null: no ceiling)."""

    parent = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="envelopes")
    child = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="envelope")

    class Meta:
        verbose_name = _("trần kinh phí")
        verbose_name_plural = _("trần kinh phí")

    def __str__(self) -> str:
        return f"{self.child} ≤ …"

    @property
    def ceiling_map(self) -> dict[str, Decimal]:
        return {c.source.code: c.amount for c in self.ceilings.all()}


class EnvelopeCeiling(models.Model):
    """The ceiling of one source in an envelope (a source without a row has no ceiling)."""

    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="ceilings")
    source = models.ForeignKey(FundingSource, on_delete=models.PROTECT, related_name="+")
    amount = amount_field(_("trần"))

    class Meta:
        verbose_name = _("trần theo nguồn")
        verbose_name_plural = _("trần theo nguồn")
        constraints = [models.UniqueConstraint(fields=["envelope", "source"], name="envelope_ceiling_unique")]

    def __str__(self) -> str:
        return f"{self.source_id} ≤ {self.amount}"


class PlanRound(models.Model):
    """An immutable snapshot of a plan, frozen at each submission (and at approval)."""

    class Kind(models.TextChoices):
        SUBMISSION = "submission", _("Trình")
        AMENDMENT = "amendment", _("Điều chỉnh")
        APPROVED = "approved", _("Bản được phê duyệt")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveIntegerField(_("lần"))
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SUBMISSION)
    snapshot = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lần trình")
        verbose_name_plural = _("các lần trình")
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="round_unique_number")]

    def __str__(self) -> str:
        return f"{self.plan_id} #{self.number}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("A plan round is immutable once frozen.")
        super().save(*args, **kwargs)
