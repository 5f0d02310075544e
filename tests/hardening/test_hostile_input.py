"""What a client may send and used to answer 500: each is now a 400 in the one error shape,
naming the field (config.text, config.dates, config.params, the parser, the services)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rest_framework.test import APIClient

from config.dates import parse_user_date
from config.text import as_text, forbidden_character, tree_errors, xml_safe
from planning.models import BudgetLine, Household, Plan
from tests.hardening.test_api_errors import shape

DISTRICT_DRAFTER = "t3-d109-labour-drafter"  # Phòng LĐTBXH Phong Thổ (edits the 2023 district plan)
PROVINCE_DRAFTER = "t3-p12-labour-drafter"  # sets the district's envelope
COMMUNE_DRAFTER = "t3-c03592-ubnd-drafter"  # Sin Suối Hồ: households
COUNCIL_SECRETARY = "t2-p12-hdnd-council_secretary"
TWO_TIER_HEAD = "t2-c03388-ubnd-head"


@pytest.fixture
def district_plan(demo) -> Plan:
    return Plan.objects.get(unit__structure="three-tier", unit__code="109", cycle__year=2023, plan_type="annual")


@pytest.fixture
def commune_plan(demo) -> Plan:
    return Plan.objects.get(unit__structure="three-tier", unit__code="03592", cycle__year=2023, plan_type="annual")


@pytest.fixture
def drafter(demo, login_api) -> APIClient:
    client = login_api(DISTRICT_DRAFTER)
    client.raise_request_exception = False
    return client


def send(client: APIClient, method: str, url: str, body: str):
    return getattr(client, method)(url, body, content_type="application/json")


def a_line(**changes) -> dict:
    return {"item": "1", "content": "Hỗ trợ giống ngô", "amounts": {}, **changes}


# --- the rule itself -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["\u0007", "a\x00b", "\x1b[31m", "\x7f", "\x85", "\uffff", "\ufffe", "\ufdd0", "\U0010ffff", "\ud800x"]
)
def test_control_characters_non_characters_and_lone_surrogates_are_refused(text):
    assert forbidden_character(text) is not None
    with pytest.raises(ValueError):
        as_text(text)


def test_tab_and_newlines_only_in_multi_line_text():
    assert forbidden_character("Dòng 1\r\nDòng 2\tcột") is None
    assert forbidden_character("Dòng 1\nDòng 2", multiline=False) == "U+000A"
    assert as_text("  Lò A Sử  ") == "Lò A Sử"
    assert as_text(12) == "12"
    for nested in ({"a": [1]}, [1, 2], True):
        with pytest.raises(ValueError):
            as_text(nested)


def test_the_tree_check_names_the_path_of_a_bad_string():
    body = {"lines": [{"content": "ok"}, {"content": "x\u0007", "amounts": {"lo\uffffcal": "1"}}]}
    assert tree_errors(body) == {
        "lines": {
            1: {
                "content": ["Chứa ký tự không hợp lệ (U+0007)."],
                "amounts": {"local": ["Chứa ký tự không hợp lệ (U+FFFF)."]},
            }
        }
    }
    assert tree_errors({"a": ["fine", {"b": "also fine\n\t"}], "n": 1}) is None


def test_xml_safe_keeps_vietnamese_and_line_breaks():
    assert xml_safe("Hỗ trợ\n\tgiống\u0007 ngô\uffff\ud800") == "Hỗ trợ\n\tgiống ngô"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2024-02-29", dt.date(2024, 2, 29)), ("29/02/2024", dt.date(2024, 2, 29)), ("", None), (None, None)],
)
def test_dates_in_either_notation(raw, expected):
    assert parse_user_date(raw) == expected


@pytest.mark.parametrize(
    "raw", ["2024-02-30", "31/02/2024", "2023-13-01", "00/01/2024", "tomorrow", "２０２４-01-01", 5]
)
def test_impossible_or_foreign_dates_are_value_errors(raw):
    with pytest.raises(ValueError, match="Ngày không hợp lệ"):
        parse_user_date(raw)


# --- bodies of the wrong type ----------------------------------------------------------------


@pytest.mark.parametrize("body", ["[null, null]", "[[1], [2]]", '[{"a": 1}]'])
def test_an_array_where_the_header_object_is_expected_is_400(drafter, district_plan, body):
    shape(send(drafter, "patch", f"/api/v1/plans/{district_plan.pk}/", body), 400, "invalid")


@pytest.mark.parametrize("body", ["null", "42", "true", '"text"'])
def test_a_scalar_body_is_400_on_every_plan_write(drafter, district_plan, body):
    for method, path in [("patch", ""), ("put", "envelope/"), ("put", "indicators/"), ("put", "lines/")]:
        shape(send(drafter, method, f"/api/v1/plans/{district_plan.pk}/{path}", body), 400, "json_not_object")


def test_an_array_envelope_is_400(login_api, district_plan):
    province = login_api(PROVINCE_DRAFTER)
    shape(send(province, "put", f"/api/v1/plans/{district_plan.pk}/envelope/", "[null, null]"), 400, "invalid")


@pytest.mark.parametrize("body", ["[null, null]", "[1, 2]", '["a"]', '{"households": [null]}'])
def test_household_rows_that_are_not_objects_are_400(login_api, commune_plan, body):
    client = login_api(COMMUNE_DRAFTER)
    before = commune_plan.households.count()
    body_json = shape(send(client, "put", f"/api/v1/plans/{commune_plan.pk}/households/", body), 400, "invalid")
    assert "households" in body_json
    assert commune_plan.households.count() == before


@pytest.mark.parametrize("body", ["[null, null]", "[1]"])
def test_indicator_and_line_rows_that_are_not_objects_are_400(drafter, district_plan, body):
    for path in ("indicators/", "lines/"):
        shape(send(drafter, "put", f"/api/v1/plans/{district_plan.pk}/{path}", body), 400, "invalid")


# --- nested JSON where text is expected -------------------------------------------------------


def test_a_nested_object_in_a_household_name_is_refused_not_stored_as_repr(login_api, commune_plan):
    client = login_api(COMMUNE_DRAFTER)
    rows = [{"code": "H-1", "head_name": {"a": [1, 2]}}, {"code": ["H-2"], "head_name": "Lò A Sử"}]
    body = shape(client.put(f"/api/v1/plans/{commune_plan.pk}/households/", rows, format="json"), 400, "invalid")
    assert set(body["households"]["0"]) == {"head_name"}
    assert set(body["households"]["1"]) == {"code"}
    assert not Household.objects.filter(plan=commune_plan, head_name__startswith="{").exists()


def test_nested_json_in_an_indicator_or_a_line_is_refused(drafter, district_plan):
    indicators = [{"code": "1", "name": {"vi": "x"}, "unit": "%", "kind": "target", "value": "1"}]
    body = shape(drafter.put(f"/api/v1/plans/{district_plan.pk}/indicators/", indicators, format="json"), 400)
    assert "name" in body["indicators"]["0"]
    lines = [a_line(item={"code": "1"}), a_line(catalogue=["2021-2025"]), a_line(content={"a": 1})]
    body = shape(drafter.put(f"/api/v1/plans/{district_plan.pk}/lines/", lines, format="json"), 400)
    assert "item" in body["lines"]["0"] and "catalogue" in body["lines"]["1"] and "content" in body["lines"]["2"]


def test_a_nested_object_in_the_header_is_refused(drafter, district_plan):
    body = shape(drafter.patch(f"/api/v1/plans/{district_plan.pk}/", {"purpose": {"a": 1}}, format="json"), 400)
    assert "purpose" in body


# --- characters no text field takes -----------------------------------------------------------


@pytest.mark.parametrize("text", ["Hỗ trợ\u0007", "ngô\uffff", "\ud800x", "\x1b[2J"])
def test_a_line_content_with_a_refused_character_is_400_naming_the_field(drafter, district_plan, text):
    before = list(BudgetLine.objects.filter(plan=district_plan).values_list("content", flat=True))
    response = send(drafter, "put", f"/api/v1/plans/{district_plan.pk}/lines/", json.dumps([a_line(content=text)]))
    body = shape(response, 400, "invalid")
    assert "content" in body["0"] or "content" in body.get("lines", {}).get("0", {}), body
    assert list(BudgetLine.objects.filter(plan=district_plan).values_list("content", flat=True)) == before


def test_a_refused_character_in_any_field_of_any_body_is_400(drafter, district_plan, login_api, commune_plan):
    body = shape(drafter.patch(f"/api/v1/plans/{district_plan.pk}/", {"objectives": "a\u0007"}, format="json"), 400)
    assert body["objectives"] == ["Chứa ký tự không hợp lệ (U+0007)."]
    households = [{"code": "H-1", "head_name": "Lò\uffff A Sử"}]
    client = login_api(COMMUNE_DRAFTER)
    body = shape(client.put(f"/api/v1/plans/{commune_plan.pk}/households/", households, format="json"), 400)
    assert "head_name" in body["0"]
    body = shape(APIClient().post("/api/v1/auth/token/", {"username": "a\x00", "password": "x"}, format="json"), 400)
    assert "username" in body


def test_one_line_fields_refuse_line_breaks_and_multi_line_fields_keep_them(drafter, district_plan):
    url = f"/api/v1/plans/{district_plan.pk}/"
    body = shape(drafter.patch(url, {"number_symbol": "12/KH\nUBND"}, format="json"), 400)
    assert "number_symbol" in body
    response = drafter.patch(url, {"purpose": "Mục đích 1\r\nMục đích 2\tA"}, format="json")
    assert response.status_code == 200, response.content
    assert Plan.objects.get(pk=district_plan.pk).purpose == "Mục đích 1\r\nMục đích 2\tA"


def test_a_household_name_on_two_lines_is_refused(login_api, commune_plan):
    client = login_api(COMMUNE_DRAFTER)
    rows = [{"code": "H-1", "head_name": "Lò A\nSử", "planned_support": "Giống ngô\nPhân bón"}]
    body = shape(client.put(f"/api/v1/plans/{commune_plan.pk}/households/", rows, format="json"), 400)
    assert set(body["households"]["0"]) == {"head_name"}


def test_the_web_forms_refuse_a_control_character_in_a_header_section_or_a_row():
    from planning.forms import PlanHeaderForm

    form = PlanHeaderForm(data={"purpose": "Mục đích\u0007", "place": "Phong\nThổ", "objectives": "A\r\nB"})
    assert not form.is_valid()
    assert set(form.errors) == {"purpose", "place"}
    from planning.forms import HouseholdForm

    row = HouseholdForm(data={"code": "H-1", "head_name": "Lò\u0007 A", "planned_support": "Giống\r\nPhân"})
    assert not row.is_valid()
    assert set(row.errors) == {"head_name"}


# --- amounts, dates, keys and query parameters -------------------------------------------------


@pytest.mark.parametrize(
    "amount", ["1e400", "1E+300", 1e300, "12345678901234567890123456", 12345678901234567890123456, "9" * 40 + ".5"]
)
def test_huge_amounts_are_400_naming_the_source(drafter, district_plan, amount):
    source = district_plan.cycle.period.sources.order_by("position").first().code
    lines = [a_line(amounts={source: amount})]
    body = shape(drafter.put(f"/api/v1/plans/{district_plan.pk}/lines/", lines, format="json"), 400, "invalid")
    assert source in body["lines"]["0"]["amounts"], body


def test_a_huge_envelope_ceiling_is_400(login_api, district_plan):
    source = district_plan.cycle.period.sources.order_by("position").first().code
    province = login_api(PROVINCE_DRAFTER)
    response = province.put(f"/api/v1/plans/{district_plan.pk}/envelope/", {source: "1e400"}, format="json")
    assert source in shape(response, 400, "invalid")


def test_a_calendar_invalid_resolution_date_is_400_naming_the_field(login_api, demo):
    """The demo's 2027 two-tier province plan waits for the council (see directory/demo.py)."""
    plan = Plan.objects.get(unit__structure="two-tier", unit__code="12", cycle__year=2027, plan_type="annual")
    assert plan.status == "council"
    secretary = login_api(COUNCIL_SECRETARY)
    for date in ("2024-02-30", "30/02/2024", "2024-13-01"):
        body = {"resolution_number": "12/NQ-HĐND", "resolution_date": date}
        response = secretary.post(f"/api/v1/plans/{plan.pk}/actions/approve/", body, format="json")
        assert "ngày không hợp lệ" in shape(response, 400, "invalid")["resolution_date"][0].lower()
    assert Plan.objects.get(pk=plan.pk).status == "council"


def test_an_idempotency_key_over_100_characters_is_400(login_api, demo):
    plan = Plan.objects.get(unit__structure="two-tier", unit__code="03388", cycle__year=2025, plan_type="annual")
    head = login_api(TWO_TIER_HEAD)
    url = f"/api/v1/plans/{plan.pk}/actions/submit/"
    response = head.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 101)
    assert "Idempotency-Key" in shape(response, 400, "invalid")
    response = head.post(url, {"idempotency_key": "k" * 101}, format="json")
    assert "idempotency_key" in shape(response, 400, "invalid")


@pytest.mark.parametrize("value", ["188609231373542138839040", "9223372036854775808", "²", "1.5", "-1", "abc"])
def test_integer_query_parameters_beyond_64_bits_or_not_integers_are_400(drafter, district_plan, value):
    for url, name in [
        ("/api/v1/plans/", "cycle"),
        ("/api/v1/tasks/", "cycle"),
        (f"/api/v1/plans/{district_plan.pk}/diff/", "from"),
        ("/api/v1/notifications/", "after"),
    ]:
        assert name in shape(drafter.get(url, {name: value}), 400, "invalid"), url


def test_a_64_bit_cycle_that_does_not_exist_is_an_empty_list(drafter):
    response = drafter.get("/api/v1/plans/", {"cycle": str(2**63 - 1)})
    assert response.status_code == 200 and response.json() == []
