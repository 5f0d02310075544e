"""An officer acting for an absent head can act; the audit and the document show both (KT.)."""

import datetime as dt
from io import BytesIO

from docx import Document

from directory import services as directory_services
from directory.models import Agency, User
from tests.complete import complete
from tests.workflows.conftest import C_DRAFTER, C_HEAD, plan_of


def test_deputy_submits_for_the_absent_head_and_both_are_recorded(as_user):
    commune = complete(plan_of("03592"))
    head, drafter = User.objects.get(username=C_HEAD), User.objects.get(username=C_DRAFTER)
    as_user(C_DRAFTER).act(commune, "submit", expect=403)  # a drafter may not submit…
    today = dt.date.today()
    directory_services.delegation_create(
        actor=head,
        agency=Agency.objects.get(unit=commune.unit, kind="people_committee"),
        principal=head,
        deputy=drafter,
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=7),
        reason="Chủ tịch đi công tác",
    )
    deputy = as_user(C_DRAFTER)
    assert (
        next(
            a
            for a in deputy.client.get(f"/api/v1/plans/{commune.pk}/actions/").json()["actions"]
            if a["action"] == "submit"
        )["acting_for"]
        == head.display_name
    )
    deputy.act(commune, "submit")  # …unless the head delegated to them
    event = deputy.client.get(f"/api/v1/plans/{commune.pk}/history/").json()[-1]
    assert (event["actor"], event["acting_for"]) == (drafter.display_name, head.display_name)
    document = Document(BytesIO(deputy.client.get(f"/api/v1/plans/{commune.pk}/export.docx").content))
    text = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    text += "\n".join(p.text for p in document.paragraphs)
    assert "KT. CHỦ TỊCH" in text
    assert drafter.display_name in text


def test_an_expired_delegation_gives_no_right(as_user):
    commune = plan_of("03592")
    head, drafter = User.objects.get(username=C_HEAD), User.objects.get(username=C_DRAFTER)
    directory_services.delegation_create(
        actor=head,
        agency=Agency.objects.get(unit=commune.unit, kind="people_committee"),
        principal=head,
        deputy=drafter,
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2020, 1, 31),
        reason="Đã hết hạn",
    )
    as_user(C_DRAFTER).act(commune, "submit", expect=403)
