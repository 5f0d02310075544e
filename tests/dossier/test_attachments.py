"""Attachments per plan and round: checked by content, removable only while a draft and only by
the plan's drafters, frozen with the round on submission, downloadable by whoever sees the plan
through a checked view, 404 for outsiders on every URL."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from config.errors import Conflict
from directory.models import User
from dossier import content, services
from dossier.models import Attachment
from tests.dossier.conftest import ELF, JPEG, MZ, PDF, PNG, docx_bytes, macro_workbook, plain_zip, upload, xlsx_bytes
from tests.workflows.conftest import C_DRAFTER, C_HEAD, D_DRAFTER, D_HEAD, OUTSIDER


def web(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def attach(plan, name: str, data: bytes, username: str = C_DRAFTER, kind: str = "other") -> Attachment:
    return services.attachment_upload(
        actor=User.objects.get(username=username), plan_id=plan.pk, upload=upload(name, data), kind=kind
    )


def downloaded(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("to-trinh.pdf", PDF, content.PDF),
        ("anh-hop-dan.png", PNG, content.PNG),
        ("anh-hop-dan.JPG", JPEG, content.JPEG),
        ("to-trinh.docx", None, content.DOCX),
        ("bieu-tong-hop.xlsx", None, content.XLSX),
    ],
)
def test_the_accepted_types_are_recognised_by_content(commune_plan, name, data, mime):
    if data is None:
        data = docx_bytes() if name.endswith(".docx") else xlsx_bytes()
    attachment = attach(commune_plan, name, data)
    assert attachment.content_type == mime
    assert attachment.name == name and attachment.size == len(data)
    assert attachment.round_number == commune_plan.round_number + 1
    assert not attachment.is_frozen


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("evil.pdf", ELF),  # a renamed Linux executable
        ("evil.pdf", MZ),  # a renamed Windows executable
        ("bang.xlsx", None),  # a zip that is not an Office document
        ("bang.xlsx", "macro"),  # a macro-enabled workbook renamed .xlsx
        ("ghi-chu.pdf", b"just some text that claims to be a PDF"),
    ],
)
def test_a_file_whose_content_is_not_accepted_is_refused_naming_the_file(commune_plan, name, data):
    data = plain_zip() if data is None else macro_workbook() if data == "macro" else data
    with pytest.raises(ValidationError) as refused:
        attach(commune_plan, name, data)
    assert "file" in refused.value.message_dict
    assert not Attachment.objects.filter(plan=commune_plan).exists()


def test_a_pdf_named_docx_is_refused(commune_plan):
    with pytest.raises(ValidationError) as refused:
        attach(commune_plan, "to-trinh.docx", PDF)
    assert "PDF" in refused.value.message_dict["file"][0]


def test_the_size_limit_is_a_setting(commune_plan, settings):
    settings.DOSSIER_MAX_UPLOAD_BYTES = 64
    with pytest.raises(ValidationError) as refused:
        attach(commune_plan, "to-trinh.pdf", PDF + b" " * 64)
    assert "file" in refused.value.message_dict
    assert attach(commune_plan, "nho.pdf", PDF[:60]).size == 60


def test_the_api_refuses_a_renamed_executable_with_400(commune_plan, as_user):
    response = as_user(C_DRAFTER).client.post(
        f"/api/v1/plans/{commune_plan.pk}/attachments/", {"file": upload("evil.pdf", ELF)}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()


def test_only_the_plans_drafters_attach_and_remove(commune_plan, as_user):
    with pytest.raises(PermissionDenied):
        attach(commune_plan, "to-trinh.pdf", PDF, username=D_HEAD)  # the reviewer sees it, but may not
    attachment = attach(commune_plan, "to-trinh.pdf", PDF)
    reviewer = as_user(D_DRAFTER).client
    url = f"/api/v1/plans/{commune_plan.pk}/attachments/{attachment.pk}/"
    assert reviewer.delete(url).status_code == 403
    assert as_user(C_DRAFTER).client.delete(url).status_code == 204
    assert not Attachment.objects.filter(pk=attachment.pk).exists()


def test_files_freeze_with_the_round_on_submission(commune_plan, as_user):
    first = attach(commune_plan, "to-trinh.pdf", PDF, kind="submission")
    as_user(C_HEAD).act(commune_plan, "submit")
    first.refresh_from_db()
    assert first.is_frozen and first.round_number == 1
    # Frozen: not even its drafter removes it, on the web or through the API.
    drafter = User.objects.get(username=C_DRAFTER)
    with pytest.raises(Conflict):
        services.attachment_remove(actor=drafter, plan_id=commune_plan.pk, attachment_id=first.pk)
    assert (
        as_user(C_DRAFTER).client.delete(f"/api/v1/plans/{commune_plan.pk}/attachments/{first.pk}/").status_code == 409
    )
    # Submitted: nothing is attached until the plan comes back.
    with pytest.raises(Conflict):
        attach(commune_plan, "bien-ban.pdf", PDF)
    as_user(D_HEAD).act(commune_plan, "return", comment="Bổ sung biên bản.")
    second = attach(commune_plan, "bien-ban.pdf", PDF, kind="minutes")
    assert second.round_number == 2 and not second.is_frozen
    listing = as_user(D_HEAD).client.get(f"/api/v1/plans/{commune_plan.pk}/attachments/").json()["results"]
    assert [(a["name"], a["round"], a["frozen"]) for a in listing] == [
        ("bien-ban.pdf", 2, False),
        ("to-trinh.pdf", 1, True),
    ]
    page = web(C_DRAFTER).get(f"/plans/{commune_plan.pk}/edit/").content.decode()
    table = page[page.index('data-testid="attachments-table"') :]
    assert "Lần 1 · đã khóa" in table and "Lần 2 · đang soạn" in table
    # Only the file of the round being prepared offers removal.
    assert table.count("/remove/") == 1 and f"/attachments/{second.pk}/remove/" in table
    as_user(C_HEAD).act(commune_plan, "submit")
    second.refresh_from_db()
    assert second.is_frozen and second.round_number == 2


def test_the_reviewer_downloads_through_the_checked_view(commune_plan, as_user):
    attachment = attach(commune_plan, "Tờ trình số 12.pdf", PDF)
    as_user(C_HEAD).act(commune_plan, "submit")
    response = web(D_HEAD).get(f"/plans/{commune_plan.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert downloaded(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    api = as_user(D_HEAD).client.get(f"/api/v1/plans/{commune_plan.pk}/attachments/{attachment.pk}/")
    assert api.status_code == 200 and downloaded(api) == PDF
    # The stored name reveals nothing of the plan's content.
    assert attachment.file.name.startswith(f"plans/{commune_plan.pk}/") and "Tờ" not in attachment.file.name


def test_the_outsider_gets_404_on_every_attachment_url(commune_plan, as_user):
    attachment = attach(commune_plan, "to-trinh.pdf", PDF)
    base = f"/plans/{commune_plan.pk}/attachments/"
    page = web(OUTSIDER)
    assert page.get(f"{base}{attachment.pk}/").status_code == 404
    assert page.post(base, {"file": upload("x.pdf", PDF)}).status_code == 404
    assert page.post(f"{base}{attachment.pk}/remove/").status_code == 404
    api = as_user(OUTSIDER).client
    assert api.get(f"/api/v1{base}").status_code == 404
    assert api.get(f"/api/v1{base}{attachment.pk}/").status_code == 404
    assert api.delete(f"/api/v1{base}{attachment.pk}/").status_code == 404
    assert api.post(f"/api/v1{base}", {"file": upload("x.pdf", PDF)}, format="multipart").status_code == 404
    assert Attachment.objects.filter(plan=commune_plan).count() == 1


def test_an_attachment_of_another_plan_is_404_under_this_one(commune_plan, as_user, demo):
    from tests.workflows.conftest import plan_of

    attachment = attach(commune_plan, "to-trinh.pdf", PDF)
    district_plan = plan_of("109")
    reviewer = web(D_HEAD)
    assert reviewer.get(f"/plans/{district_plan.pk}/attachments/{attachment.pk}/").status_code == 404
    assert reviewer.get(f"/plans/{commune_plan.pk}/attachments/{attachment.pk}/").status_code == 200


def test_the_web_form_uploads_and_the_plan_page_lists_it(commune_plan):
    drafter = web(C_DRAFTER)
    response = drafter.post(
        f"/plans/{commune_plan.pk}/attachments/",
        {"file": upload("bieu.xlsx", xlsx_bytes()), "kind": "table", "next": f"/plans/{commune_plan.pk}/edit/"},
    )
    assert response.status_code == 302 and response["Location"] == f"/plans/{commune_plan.pk}/edit/#attachments"
    refused = drafter.post(f"/plans/{commune_plan.pk}/attachments/", {"file": upload("evil.pdf", MZ)}, follow=True)
    assert "không nhận" in refused.content.decode()
    page = web(D_HEAD).get(f"/plans/{commune_plan.pk}/").content.decode()
    section = page[page.index('data-testid="attachments"') :]
    assert "bieu.xlsx" in section and "Biểu, bảng số liệu" in section
    assert 'data-testid="attachment-form"' not in section  # the reviewer cannot upload
    assert Attachment.objects.filter(plan=commune_plan).count() == 1
