"""One way from a service's exception to an answer, and one parser of an action request,
for the task page (a form) and the API (JSON) alike: the same status for the same request."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.urls import reverse

from approvals.models import AuditEvent
from config.errors import Conflict, error_answer
from directory.models import User
from tests.complete import complete
from tests.workflows.conftest import C_DRAFTER, C_HEAD, D_HEAD, plan_of
from workflows import services
from workflows.action_request import parse_action_request

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def task_page(client, username: str, plan, data: dict):
    client.force_login(User.objects.get(username=username), backend=MODEL_BACKEND)
    return client.post(reverse("workflows:plan-task", args=[plan.pk]), data)


@pytest.fixture
def submitted(demo):
    plan = complete(plan_of("03592"))
    services.plan_act(actor=User.objects.get(username=C_HEAD), plan_id=plan.pk, action="submit")
    return plan


# --- the mapping ---------------------------------------------------------------------------------


def test_each_service_error_has_one_answer():
    invalid = error_answer(ValidationError({"comment": ["Cần ghi lý do."]}))
    assert (invalid.status, invalid.code, invalid.form_errors) == (400, "invalid", {"comment": ["Cần ghi lý do."]})
    assert invalid.body() == {"comment": ["Cần ghi lý do."], "detail": "comment: Cần ghi lý do.", "code": "invalid"}
    assert error_answer(ValidationError("Sai.")).form_errors == {"__all__": ["Sai."]}
    refused = error_answer(PermissionDenied("Vai trò của bạn không được thực hiện thao tác này."))
    assert (refused.status, refused.code) == (403, "permission_denied")
    assert refused.detail == "Vai trò của bạn không được thực hiện thao tác này."
    assert error_answer(PermissionDenied()).detail  # a bare refusal still says why, in words
    clash = error_answer(Conflict("Đã có người xử lý."))
    assert (clash.status, clash.code, clash.extra) == (409, "conflict", {})
    blocked = error_answer(services.PreconditionFailed("Còn 2 kế hoạch.", [{"plan": 1}]))
    assert blocked.body() == {"detail": "Còn 2 kế hoạch.", "code": "precondition_failed", "blocking": [{"plan": 1}]}
    assert error_answer(KeyError("a bug")) is None  # Django answers 500


# --- the parser ---------------------------------------------------------------------------------


def test_the_form_and_the_json_of_one_return_parse_alike():
    form = QueryDict(mutable=True)
    form.update({"comment": "Sửa dòng 2", "idempotency_key": "k-1"})
    form.setlist("line_ref", ["1", "2"])
    form.setlist("line_comment", ["", " Thiếu kinh phí "])
    line_comments = [{"line": "2", "comment": "Thiếu kinh phí"}]
    json = {"comment": "Sửa dòng 2", "idempotency_key": "k-1", "line_comments": line_comments}
    from_form = parse_action_request(action="return", data=form, headers={})
    from_json = parse_action_request(action="return", data=json, headers={})
    assert from_form == from_json
    assert from_form.fields == {"line_comments": [{"line": "2", "comment": "Thiếu kinh phí"}]}


def test_the_header_carries_the_key_when_the_body_has_none():
    parsed = parse_action_request(action="accept", data={}, headers={"Idempotency-Key": "from-header"})
    assert parsed.idempotency_key == "from-header"
    assert parse_action_request(action="accept", data={"idempotency_key": "body"}, headers={}).idempotency_key == "body"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"comment": ["a", "list"]}, "comment"),
        ({"idempotency_key": "k" * 101}, "idempotency_key"),
        ({"resolution_number": "1" * 65}, "resolution_number"),
        ({"resolution_date": {"day": 1}}, "resolution_date"),
        ({"line_comments": "dòng 2"}, "line_comments"),
        ({"line_comments": ["dòng 2"]}, "line_comments"),
    ],
)
def test_a_value_of_the_wrong_kind_is_a_400_naming_its_field(data, field):
    with pytest.raises(ValidationError) as caught:
        parse_action_request(action="approve", data=data, headers={})
    assert list(caught.value.message_dict) == [field]


def test_a_body_that_is_not_an_object_is_a_400():
    with pytest.raises(ValidationError):
        parse_action_request(action="accept", data=["accept"], headers={})


# --- the task page and the API answer alike ------------------------------------------------------------------


def test_a_return_without_a_reason_is_400_on_both_and_the_page_names_the_field(submitted, client, login_api):
    page = task_page(client, D_HEAD, submitted, {"action": "return", "comment": " "})
    api = login_api(D_HEAD).post(f"/api/v1/plans/{submitted.pk}/actions/return/", {"comment": " "}, format="json")
    assert page.status_code == api.status_code == 400
    assert api.json()["code"] == "invalid" and "comment" in api.json()
    assert "Cần ghi lý do." in page.content.decode()


def test_a_return_with_line_comments_from_the_page_is_recorded_with_them(submitted, client):
    line = submitted.lines.order_by("position").first()
    response = task_page(
        client,
        D_HEAD,
        submitted,
        {"action": "return", "comment": "Xem lại", "line_ref": [str(line.position)], "line_comment": ["Thiếu"]},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.filter(plan=submitted, action="return").get()
    assert event.data["line_comments"] == [{"line": str(line.position), "comment": "Thiếu"}]


def test_a_role_that_may_not_act_is_403_on_both_with_the_reason_on_the_page(demo, client, login_api):
    plan = complete(plan_of("03592"))
    page = task_page(client, C_DRAFTER, plan, {"action": "submit"})
    api = login_api(C_DRAFTER).post(f"/api/v1/plans/{plan.pk}/actions/submit/", {}, format="json")
    assert page.status_code == api.status_code == 403
    reason = "Vai trò của bạn không được thực hiện thao tác này."
    assert reason in page.content.decode()
    assert api.json() == {"detail": reason, "code": "permission_denied"}


def test_an_action_the_state_does_not_allow_is_409_on_both(submitted, client, login_api):
    page = task_page(client, C_HEAD, submitted, {"action": "submit"})
    api = login_api(C_HEAD).post(f"/api/v1/plans/{submitted.pk}/actions/submit/", {}, format="json")
    assert page.status_code == api.status_code == 409
    assert api.json()["code"] == "conflict"
    assert api.json()["detail"] in page.content.decode()
