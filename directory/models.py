"""The administrative directory: units, agencies, officers, roles and delegations.

Units of the three-tier structure (to 30 June 2025) and of the two-tier one (from 1 July 2025)
live side by side; a unit's ``structure`` and validity dates say which world it belongs to.
Both structures hang under one nation unit, where the ministry sits; ``UnitSuccession`` links
each old commune (and province) to the new one(s) it went into.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Structure(models.TextChoices):
    THREE_TIER = "three-tier", _("Ba cấp (tỉnh - huyện - xã)")
    TWO_TIER = "two-tier", _("Hai cấp (tỉnh - xã)")
    NATIONAL = "national", _("Trung ương")


class Tier(models.TextChoices):
    NATION = "nation", _("Trung ương")
    PROVINCE = "province", _("Tỉnh")
    DISTRICT = "district", _("Huyện")
    COMMUNE = "commune", _("Xã")


# The object permission an agency's group holds on its unit (guardian): the plans, the inbox.
OPERATE_UNIT = "operate_unit"


class AdministrativeUnit(models.Model):
    structure = models.CharField(_("cơ cấu"), max_length=16, choices=Structure.choices)
    tier = models.CharField(_("cấp"), max_length=16, choices=Tier.choices)
    code = models.CharField(_("mã"), max_length=16, help_text=_("Mã đơn vị hành chính chính thức (GSO)."))
    name = models.CharField(_("tên"), max_length=200)
    division_type = models.CharField(_("loại"), max_length=64, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("cấp trên")
    )
    # Denormalised ancestors, so "everything under this province/district" is one indexed lookup.
    province = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("tỉnh")
    )
    district = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("huyện")
    )
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        ordering = ["structure", "code"]
        constraints = [
            # Codes are reused between the two structures (a province code can name another
            # province after the 2025 merger), so a code is unique only within its structure.
            models.UniqueConstraint(fields=["structure", "code"], name="unit_unique_code_per_structure"),
        ]
        indexes = [
            # units_of_tier(structure, tier) for the directory API and the loaders.
            models.Index(fields=["structure", "tier", "code"], name="unit_structure_tier_code"),
        ]
        permissions = [(OPERATE_UNIT, _("Làm việc với kế hoạch của đơn vị"))]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list[AdministrativeUnit]:
        """Nearest first (follows ``parent``; use select_related to avoid a query per level)."""
        chain = []
        unit = self.parent
        while unit is not None:
            chain.append(unit)
            unit = unit.parent
        return chain

    def subtree_q(self, prefix: str = "") -> Q:
        """A filter for this unit and every unit below it (``prefix`` for related lookups)."""
        if self.tier == Tier.NATION:
            return Q()
        if self.tier == Tier.PROVINCE:
            return Q(**{f"{prefix}pk": self.pk}) | Q(**{f"{prefix}province_id": self.pk})
        if self.tier == Tier.DISTRICT:
            return Q(**{f"{prefix}pk": self.pk}) | Q(**{f"{prefix}district_id": self.pk})
        return Q(**{f"{prefix}pk": self.pk})


class UnitSuccession(models.Model):
    """A three-tier unit and a two-tier unit that took over all or part of its territory on
    1 July 2025 (Resolution 202/2025/QH15 and the provinces' commune resolutions).

    Communes link to communes and provinces to provinces; districts have no successor (the
    tier was abolished). An old commune split between several new ones has one row per new
    commune, each ``partly_merged``; a new commune has one row per old commune it joined.
    Derived data: ``directory.services.unit_successions_load`` rebuilds it from the official
    conversion table, and nothing else writes it.
    """

    # db_index=False on both keys: the unique constraint's index (old, new) serves
    # unit_successors(), the explicit index (new, old) serves unit_predecessors() and the
    # history scope of plans (planning.selectors.plan_scope_q).
    old = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.CASCADE,
        db_index=False,
        related_name="successor_links",
        limit_choices_to={"structure": Structure.THREE_TIER},
        verbose_name=_("đơn vị cũ (ba cấp)"),
    )
    new = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.CASCADE,
        db_index=False,
        related_name="predecessor_links",
        limit_choices_to={"structure": Structure.TWO_TIER},
        verbose_name=_("đơn vị mới (hai cấp)"),
    )
    partly_merged = models.BooleanField(
        _("sáp nhập một phần"),
        default=False,
        help_text=_("Đơn vị cũ được chia: chỉ một phần nhập vào đơn vị mới này."),
    )

    class Meta:
        verbose_name = _("chuyển đổi đơn vị hành chính")
        verbose_name_plural = _("chuyển đổi đơn vị hành chính")
        ordering = ["old", "new"]
        constraints = [models.UniqueConstraint(fields=["old", "new"], name="unit_succession_unique")]
        indexes = [
            # unit_predecessors(new) and plan_scope_q's "plans of the units this one succeeded".
            models.Index(fields=["new", "old"], name="unit_succession_new_old"),
        ]

    def __str__(self) -> str:
        return f"{self.old_id} → {self.new_id}{' (một phần)' if self.partly_merged else ''}"


class User(AbstractUser):
    """An officer. Agencies and roles come from memberships."""

    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    language = models.CharField(
        _("ngôn ngữ"), max_length=8, choices=[("vi", "Tiếng Việt"), ("en", "English")], default="vi"
    )

    class Meta:
        verbose_name = _("cán bộ")
        verbose_name_plural = _("cán bộ")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


class AgencyKind(models.TextChoices):
    PEOPLE_COMMITTEE = "people_committee", _("Ủy ban nhân dân")
    PEOPLE_COUNCIL = "people_council", _("Hội đồng nhân dân")
    LABOUR = "labour", _("Lao động - Thương binh và Xã hội")
    AGRICULTURE = "agriculture", _("Nông nghiệp và Môi trường")
    PLANNING = "planning", _("Kế hoạch và Đầu tư")
    FINANCE = "finance", _("Tài chính")
    HEALTH = "health", _("Y tế")
    INFORMATION = "information", _("Thông tin và Truyền thông")
    ETHNIC = "ethnic", _("Dân tộc")
    CONSTRUCTION = "construction", _("Xây dựng")
    COORDINATION_OFFICE = "coordination_office", _("Văn phòng điều phối")
    MINISTRY = "ministry", _("Bộ chủ quản")


class Agency(models.Model):
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="agencies")
    kind = models.CharField(_("loại cơ quan"), max_length=32, choices=AgencyKind.choices)
    name = models.CharField(_("tên"), max_length=255)
    short_name = models.CharField(_("tên viết tắt"), max_length=64, blank=True)
    # The guardian group that carries this agency's object permissions; members are its officers.
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="agency")
    members = models.ManyToManyField(User, through="Membership", related_name="agencies")

    class Meta:
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")
        ordering = ["unit__code", "kind"]
        constraints = [models.UniqueConstraint(fields=["unit", "kind"], name="agency_one_kind_per_unit")]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    DRAFTER = "drafter", _("Chuyên viên soạn thảo")
    HEAD = "head", _("Lãnh đạo (phê duyệt, ký)")
    COUNCIL_SECRETARY = "council_secretary", _("Thư ký HĐND")
    ADMINISTRATOR = "administrator", _("Quản trị viên")


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("vai trò"), max_length=32, choices=Role.choices)
    title = models.CharField(
        _("chức danh"), max_length=128, blank=True, help_text=_("Như trên khối chữ ký, ví dụ “Phó Chủ tịch”.")
    )

    class Meta:
        verbose_name = _("phân công")
        verbose_name_plural = _("phân công")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency}"


class Delegation(models.Model):
    """``deputy`` may act for ``principal`` in ``agency`` between two dates (shown as “KT.”)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="delegations")
    principal = models.ForeignKey(User, on_delete=models.CASCADE, related_name="delegations_given")
    deputy = models.ForeignKey(User, on_delete=models.CASCADE, related_name="delegations_received")
    starts_on = models.DateField(_("từ ngày"))
    ends_on = models.DateField(_("đến ngày"))
    reason = models.CharField(_("lý do"), max_length=255)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ủy quyền")
        verbose_name_plural = _("ủy quyền")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="delegation_dates_ordered"),
            models.CheckConstraint(condition=~Q(principal=models.F("deputy")), name="delegation_not_self"),
        ]
        indexes = [
            # delegations_active_for(deputy, day)
            models.Index(fields=["deputy", "starts_on", "ends_on"], name="delegation_deputy_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} KT. {self.principal} ({self.starts_on:%d/%m/%Y}–{self.ends_on:%d/%m/%Y})"


class ProgrammeSetting(models.Model):
    """Per unit (province or district) and programme period: which agency is the standing
    agency (cơ quan thường trực). It differs between provinces and periods."""

    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.CASCADE, related_name="programme_settings")
    period = models.CharField(_("giai đoạn"), max_length=16, help_text=_("Ví dụ 2021-2025."))
    standing_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("cơ quan thường trực")
        verbose_name_plural = _("cơ quan thường trực")
        constraints = [models.UniqueConstraint(fields=["unit", "period"], name="programme_setting_unique")]

    def __str__(self) -> str:
        return f"{self.unit} {self.period}: {self.standing_agency}"


class ProjectLead(models.Model):
    """Which agency leads a catalogue item (project) in a province for a period."""

    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.CASCADE, related_name="project_leads")
    period = models.CharField(_("giai đoạn"), max_length=16)
    item_code = models.CharField(_("mã dự án"), max_length=16)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("cơ quan chủ trì dự án")
        verbose_name_plural = _("cơ quan chủ trì dự án")
        constraints = [
            models.UniqueConstraint(fields=["unit", "period", "item_code"], name="project_lead_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.period} {self.item_code}: {self.agency}"
