"""The number and date of an issued document: the issuer records them at issuance (the plan's
header is locked once submitted), required while the plan has none, checked field by field, kept
on the plan with an audit row in the same transaction as the request; a refused request saves
nothing. The job is not run here (the request's commit only queues it), except where the signed
PDF itself is read."""

from __future__ import annotations

import datetime as dt

import pytest

from approvals.models import AuditEvent, Resolution
from config import clock
from documents.models import DocumentStatus, IssuedDocument
from planning.models import Plan
from tests.documents.conftest import COMMUNE_DRAFTER, COMMUNE_HEAD, ISSUED_ON, NUMBER, user
from workflows.templatetags.workflow_labels import action_name

DISTRICT_HEAD = "t3-d109-labour-head"  # sees the commune's plan, does not issue it


@pytest.fixture
def post_issue(login_api, django_capture_on_commit_callbacks):
    """POST the issue endpoint as ``username``; the job queued after commit is not run."""

    def _post(plan: Plan, body: dict, username: str = COMMUNE_DRAFTER):
        with django_capture_on_commit_callbacks(execute=False):
            return login_api(username).post(f"/api/v1/plans/{plan.pk}/documents/", body, format="json")

    return _post


def assert_nothing_saved(plan: Plan, *, number: str = "", issued_on: dt.date | None = None) -> None:
    plan.refresh_from_db()
    assert (plan.number_symbol, plan.issued_on) == (number, issued_on)
    assert not IssuedDocument.objects.filter(plan=plan).exists()
    assert not AuditEvent.objects.filter(plan=plan, action__in=["record_document_number", "issue_document"]).exists()


def test_a_plan_without_a_number_needs_the_number_and_the_date(unnumbered_plan, post_issue):
    response = post_issue(unnumbered_plan, {})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["number_symbol"] == ["Cần số, ký hiệu của văn bản (ví dụ 15/KH-UBND)."]
    assert body["issued_on"] == ["Cần ngày ban hành (dd/mm/yyyy)."]
    assert_nothing_saved(unnumbered_plan)


def test_the_issuer_records_the_number_and_date_with_the_request(unnumbered_plan, post_issue):
    response = post_issue(unnumbered_plan, {"number_symbol": " 15/KH-UBND ", "issued_on": "20/11/2023"})
    assert response.status_code == 202, response.content
    assert (response.json()["number_symbol"], response.json()["issued_on"]) == (NUMBER, "2023-11-20")
    unnumbered_plan.refresh_from_db()
    assert (unnumbered_plan.number_symbol, unnumbered_plan.issued_on) == (NUMBER, ISSUED_ON)
    document = unnumbered_plan.issued_documents.get()
    assert (document.number_symbol, document.issued_on, document.status) == (NUMBER, ISSUED_ON, DocumentStatus.QUEUED)
    event = AuditEvent.objects.get(plan=unnumbered_plan, action="record_document_number")
    assert event.actor == user(COMMUNE_DRAFTER)
    assert event.data == {
        "number_symbol": NUMBER,
        "issued_on": "2023-11-20",
        "previous_number_symbol": "",
        "previous_issued_on": None,
    }
    assert event.from_status == event.to_status == unnumbered_plan.status


def test_the_api_takes_the_iso_date_too(unnumbered_plan, post_issue):
    response = post_issue(unnumbered_plan, {"number_symbol": NUMBER, "issued_on": "2023-11-20"})
    assert response.status_code == 202, response.content
    assert response.json()["issued_on"] == "2023-11-20"


def test_a_number_without_a_date_names_only_the_date(unnumbered_plan, post_issue):
    response = post_issue(unnumbered_plan, {"number_symbol": NUMBER})
    assert response.status_code == 400
    assert set(response.json()) >= {"issued_on"} and "number_symbol" not in response.json()
    assert_nothing_saved(unnumbered_plan)


def test_a_date_in_the_future_of_the_applications_clock_is_refused(unnumbered_plan, post_issue):
    tomorrow = clock.today() + dt.timedelta(days=1)
    response = post_issue(unnumbered_plan, {"number_symbol": NUMBER, "issued_on": tomorrow.strftime("%d/%m/%Y")})
    assert response.status_code == 400
    assert response.json()["issued_on"] == ["Ngày ban hành không thể ở tương lai."]
    assert_nothing_saved(unnumbered_plan)
    today = clock.today().strftime("%d/%m/%Y")
    assert post_issue(unnumbered_plan, {"number_symbol": NUMBER, "issued_on": today}).status_code == 202


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("31/02/2023", "Ngày không hợp lệ: 31/02/2023 không có trên lịch."),
        ("20-11-2023", "Ngày không hợp lệ (dd/mm/yyyy)."),
        ("hôm nay", "Ngày không hợp lệ (dd/mm/yyyy)."),
    ],
)
def test_a_date_that_is_not_a_calendar_day_names_the_field(unnumbered_plan, post_issue, raw, message):
    response = post_issue(unnumbered_plan, {"number_symbol": NUMBER, "issued_on": raw})
    assert response.status_code == 400
    assert response.json()["issued_on"] == [message]
    assert_nothing_saved(unnumbered_plan)


def test_a_number_on_two_lines_is_refused(unnumbered_plan, post_issue):
    response = post_issue(unnumbered_plan, {"number_symbol": "15/KH-\nUBND", "issued_on": "20/11/2023"})
    assert response.status_code == 400
    assert "number_symbol" in response.json()
    assert_nothing_saved(unnumbered_plan)


def test_the_date_cannot_precede_the_council_resolution_the_document_cites(unnumbered_plan, post_issue):
    Resolution.objects.create(
        plan=unnumbered_plan,
        number="25/NQ-HĐND",
        date=dt.date(2023, 12, 8),
        round_number=unnumbered_plan.round_number,
        recorded_by=user(COMMUNE_HEAD),
    )
    response = post_issue(unnumbered_plan, {"number_symbol": NUMBER, "issued_on": "07/12/2023"})
    assert response.status_code == 400
    assert response.json()["issued_on"] == [
        "Ngày ban hành không thể trước ngày nghị quyết HĐND phê duyệt kế hoạch (08/12/2023)."
    ]
    assert_nothing_saved(unnumbered_plan)
    assert post_issue(unnumbered_plan, {"number_symbol": NUMBER, "issued_on": "08/12/2023"}).status_code == 202


def test_a_plan_that_has_its_number_and_date_keeps_them_when_none_are_given(signed_off_plan, post_issue):
    response = post_issue(signed_off_plan, {"number_symbol": "", "issued_on": ""})
    assert response.status_code == 202, response.content
    document = signed_off_plan.issued_documents.get()
    assert (document.number_symbol, document.issued_on) == (NUMBER, ISSUED_ON)
    assert not AuditEvent.objects.filter(plan=signed_off_plan, action="record_document_number").exists()


def test_a_reissue_may_change_the_number_and_each_version_keeps_its_own(signed_off_plan, post_issue):
    assert post_issue(signed_off_plan, {}).status_code == 202
    IssuedDocument.objects.filter(plan=signed_off_plan).update(status=DocumentStatus.FAILED)  # the job is done
    response = post_issue(signed_off_plan, {"number_symbol": "16/KH-UBND", "issued_on": "21/11/2023"})
    assert response.status_code == 202, response.content
    first, second = signed_off_plan.issued_documents.order_by("version")
    assert (first.number_symbol, first.issued_on) == (NUMBER, ISSUED_ON)
    assert (second.number_symbol, second.issued_on) == ("16/KH-UBND", dt.date(2023, 11, 21))
    signed_off_plan.refresh_from_db()
    assert signed_off_plan.number_symbol == "16/KH-UBND"
    event = AuditEvent.objects.get(plan=signed_off_plan, action="record_document_number")
    assert (event.data["previous_number_symbol"], event.data["previous_issued_on"]) == (NUMBER, "2023-11-20")


def test_a_refused_issue_keeps_the_number_it_was_given_nowhere(unnumbered_plan, post_issue):
    """A valid number beside a refused date is not stored on its own either."""
    response = post_issue(unnumbered_plan, {"number_symbol": NUMBER, "issued_on": "31/02/2023"})
    assert response.status_code == 400 and "number_symbol" not in response.json()
    assert_nothing_saved(unnumbered_plan)


def test_an_officer_who_sees_the_plan_but_does_not_issue_it_gets_403_and_saves_nothing(unnumbered_plan, post_issue):
    response = post_issue(unnumbered_plan, {"number_symbol": NUMBER, "issued_on": "20/11/2023"}, DISTRICT_HEAD)
    assert response.status_code == 403
    assert_nothing_saved(unnumbered_plan)


def test_the_plan_page_asks_for_the_number_and_date_and_shows_errors_at_their_fields(unnumbered_plan, client):
    client.force_login(user(COMMUNE_HEAD))
    page = client.get(f"/plans/{unnumbered_plan.pk}/").content.decode()
    assert 'data-testid="issue-form"' in page
    assert 'name="number_symbol" value=""' in page and "Ví dụ 15/KH-UBND." in page
    response = client.post(f"/documents/plans/{unnumbered_plan.pk}/issue/", {"number_symbol": NUMBER, "issued_on": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Cần ngày ban hành (dd/mm/yyyy)." in page
    assert 'id="issue-date-error"' in page and 'name="issued_on" value=""' in page
    assert f'name="number_symbol" value="{NUMBER}"' in page  # what the officer typed, shown again
    assert_nothing_saved(unnumbered_plan)


def test_the_plan_page_issues_with_the_number_and_date_typed(
    unnumbered_plan, client, django_capture_on_commit_callbacks
):
    client.force_login(user(COMMUNE_HEAD))
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            f"/documents/plans/{unnumbered_plan.pk}/issue/", {"number_symbol": NUMBER, "issued_on": "20/11/2023"}
        )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/plans/{unnumbered_plan.pk}/#issued-documents")
    page = client.get(response["Location"]).content.decode()
    assert f"{NUMBER} · 20/11/2023" in page  # the panel's row
    assert f"Số: {NUMBER}" in page  # the document's header on the page
    assert f'name="number_symbol" value="{NUMBER}"' in page and 'value="20/11/2023"' in page  # prefilled


def test_the_signed_pdf_prints_the_number_and_date_given_at_issuance(unnumbered_plan, issue):
    from tests.documents.test_issue import pdf_text, stored

    document = issue(unnumbered_plan, number_symbol=NUMBER, issued_on="20/11/2023")
    assert document.status == DocumentStatus.ISSUED, document.error
    text = pdf_text(stored(document))
    assert NUMBER in text and "ngày 20 tháng 11 năm 2023" in text
    event = AuditEvent.objects.get(plan=unnumbered_plan, action="issue_document")
    assert (event.data["number_symbol"], event.data["issued_on"]) == (NUMBER, "2023-11-20")


def test_the_audit_trail_names_the_issue_and_the_number_in_words(unnumbered_plan):
    from django.utils import translation

    assert action_name("issue_document") == "Ban hành văn bản ký số"
    assert action_name("record_document_number") == "Ghi số, ngày ban hành văn bản"
    with translation.override("en"):
        assert action_name("issue_document") != "Ban hành văn bản ký số"


def test_the_recorded_codes_are_not_actions_a_plan_takes(unnumbered_plan, login_api):
    response = login_api(COMMUNE_HEAD).post(
        f"/api/v1/plans/{unnumbered_plan.pk}/actions/issue_document/", {}, format="json"
    )
    assert response.status_code == 400
    assert "action" in response.json()
