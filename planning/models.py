"""Plan documents: the programme catalogue per period, planning cycles, plans and their content.

Amounts are million VND (triệu đồng) as decimals with at most three places. Totals are never
stored: they are computed in SQL (``planning.selectors``). A plan's ``status`` is a protected
django-fsm field: only ``approvals.services`` move it.
"""

from __future__ import annotations

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
AMOUNT_FIELDS = ("central_investment", "central_recurrent", "local", "other")


def amount_field(verbose_name: str) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=15, decimal_places=3, default=Decimal("0"), validators=[MinValueValidator(0)]
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

    class Meta:
        verbose_name = _("giai đoạn chương trình")
        verbose_name_plural = _("giai đoạn chương trình")
        ordering = ["first_year"]

    def __str__(self) -> str:
        return self.code


class CatalogueItem(Bilingual, models.Model):
    """A project or sub-project of the programme in one period, under its national code."""

    period = models.ForeignKey(ProgrammePeriod, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("mã quốc gia"), max_length=16)
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    title_vi = models.TextField(_("tên (tiếng Việt)"))
    title_en = models.TextField(_("tên (tiếng Anh)"), blank=True)
    lead_agency_kind = models.CharField(_("cơ quan chủ trì (mặc định)"), max_length=32)
    budgetable = models.BooleanField(_("nhận dòng kinh phí"), default=True)
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


class Cycle(models.Model):
    """One year's planning cycle in one administrative structure."""

    year = models.PositiveSmallIntegerField(_("năm"))
    period = models.ForeignKey(ProgrammePeriod, on_delete=models.PROTECT, related_name="cycles")
    structure = models.CharField(
        _("cơ cấu hành chính"), max_length=16, choices=[c for c in Structure.choices if c[0] != Structure.NATIONAL]
    )
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

    @transition(field=status, source=[S.SUBMITTED, S.APPRAISAL, S.COUNCIL, S.ACCEPTED, S.WAIVED], target=S.RETURNED)
    def mark_returned(self) -> None: ...

    @transition(field=status, source=[S.DRAFT, S.RETURNED, S.SUBMITTED], target=S.WAIVED)
    def mark_waived(self) -> None: ...

    @transition(field=status, source=[S.APPROVED, S.CLOSED, S.ACCEPTED, S.GUIDANCE_ISSUED], target=S.DRAFT)
    def mark_draft(self) -> None: ...

    del S


class Indicator(models.Model):
    class Kind(models.TextChoices):
        LEVEL = "level", _("Mức đạt (còn …)")
        CHANGE = "change", _("Mức thay đổi (giảm …)")
        COUNT = "count", _("Số lượng")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveIntegerField(default=0)
    code = models.CharField(_("mã"), max_length=32, blank=True)
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
    central_investment = amount_field(_("NSTW - vốn đầu tư"))
    central_recurrent = amount_field(_("NSTW - vốn sự nghiệp"))
    local = amount_field(_("NSĐP (đối ứng)"))
    other = amount_field(_("vốn huy động khác"))

    class Meta:
        verbose_name = _("dòng kinh phí")
        verbose_name_plural = _("dòng kinh phí")
        ordering = ["plan", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(central_investment__gte=0, central_recurrent__gte=0, local__gte=0, other__gte=0),
                name="budget_line_amounts_not_negative",
            ),
        ]
        indexes = [
            # Roll-up: SUM(amounts) GROUP BY item over the lines of many plans, answered from
            # the index alone (PostgreSQL INCLUDE columns), without reading the wide rows.
            models.Index(
                fields=["plan", "item"],
                include=["central_investment", "central_recurrent", "local", "other"],
                name="budget_line_rollup",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} {self.content[:40]}"

    @property
    def total(self) -> Decimal:
        return self.central_investment + self.central_recurrent + self.local + self.other


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
    central_investment = models.DecimalField(max_digits=15, decimal_places=3, null=True, blank=True)
    central_recurrent = models.DecimalField(max_digits=15, decimal_places=3, null=True, blank=True)
    local = models.DecimalField(max_digits=15, decimal_places=3, null=True, blank=True)
    other = models.DecimalField(max_digits=15, decimal_places=3, null=True, blank=True)

    class Meta:
        verbose_name = _("trần kinh phí")
        verbose_name_plural = _("trần kinh phí")

    def __str__(self) -> str:
        return f"{self.child} ≤ …"


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
