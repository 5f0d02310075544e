"""The plan API: the Phong Thổ figures, scoping, validation and atomic replacement."""

from decimal import Decimal

import pytest

from planning.models import LineAmount, Plan
from tests.planning.conftest import COMMUNE_DRAFTER, DISTRICT_DRAFTER, MINISTRY, OUTSIDER, PROVINCE_DRAFTER


def test_phong_tho_totals_match_the_seed(phong_tho, login_api):
    body = login_api(DISTRICT_DRAFTER).get(f"/api/v1/plans/{phong_tho.pk}/totals/").json()
    assert body["total"] == "162756.000"
    assert body["central"] == "161044.000"
    assert body["central_investment"] == "116200.000"
    assert body["central_recurrent"] == "44844.000"
    assert body["local"] == "512.000"
    assert body["other"] == "1200.000"
    assert body["by_item"]["1.2"]["total"] == "77770.000"
    assert body["by_project"]["3"]["total"] == "5953.000"


def test_lines_are_listed_with_their_totals(phong_tho, login_api):
    lines = login_api(DISTRICT_DRAFTER).get(f"/api/v1/plans/{phong_tho.pk}/lines/").json()
    assert [line["item"] for line in lines][:3] == ["1.1", "1.2", "2"]
    housing = next(line for line in lines if line["item"] == "5")
    assert housing["catalogue"] == "2021-2025"
    assert housing["amounts"] == {
        "central_investment": "0.000",
        "central_recurrent": "12060.000",
        "local": "0.000",
        "other": "1200.000",
    }
    assert housing["total"] == "13260.000"


def test_put_lines_replaces_all_lines_and_totals_follow(phong_tho, login_api):
    api = login_api(DISTRICT_DRAFTER)
    rows = [
        {"item": "1.1", "content": "Đường", "amounts": {"central_investment": "100.5", "local": "0"}},
        {"item": "7.2", "content": "Giám sát", "amounts": {"central_recurrent": "1.200,25"}},
    ]
    response = api.put(f"/api/v1/plans/{phong_tho.pk}/lines/", rows, format="json")
    assert response.status_code == 200, response.json()
    assert [line["total"] for line in response.json()] == ["100.500", "1200.250"]
    assert api.get(f"/api/v1/plans/{phong_tho.pk}/totals/").json()["total"] == "1300.750"


def _stored(plan):
    return sorted(LineAmount.objects.filter(line__plan=plan).values_list("line__item__code", "source__code", "amount"))


@pytest.mark.parametrize(
    ("row", "field", "source"),
    [
        ({"item": "1.1", "amounts": {"central_investment": "-5"}}, "amounts", "central_investment"),
        ({"item": "1.1", "amounts": {"local": "abc"}}, "amounts", "local"),
        ({"item": "1.1", "amounts": {"other": "1.2345"}}, "amounts", "other"),
        ({"item": "1.1", "amounts": {"central_recurrent": "1e15"}}, "amounts", "central_recurrent"),
        ({"item": "1.1", "amounts": {"central_investment": True}}, "amounts", "central_investment"),
        ({"item": "1.1", "amounts": {"credit": "5"}}, "amounts", "credit"),  # a 2026-2030 source
        ({"item": "1.1", "amounts": {"bogus": "5"}}, "amounts", "bogus"),
        ({"item": "1.1", "amounts": ["5"]}, "amounts", None),
        ({"item": "1.1", "central_investment": "5"}, "central_investment", None),  # the old flat shape
        ({"item": "9.9"}, "item", None),
        ({"item": "1"}, "item", None),  # a project with sub-projects takes no money directly
        ({"item": "1.1", "content": 12}, "content", None),
    ],
)
def test_bad_line_gets_a_field_error_and_nothing_is_saved(phong_tho, login_api, row, field, source):
    before = _stored(phong_tho)
    good = {"item": "1.2", "amounts": {"central_investment": "1"}}
    response = login_api(DISTRICT_DRAFTER).put(f"/api/v1/plans/{phong_tho.pk}/lines/", [good, row], format="json")
    assert response.status_code == 400
    errors = response.json()["lines"]["1"]
    assert field in errors
    if source:
        assert source in errors[field]
    assert "0" not in response.json()["lines"]
    assert _stored(phong_tho) == before


def test_a_line_of_another_period_is_unknown(phong_tho, login_api):
    # "1.3" exists in 2016-2020 (Programme 30a) but not in 2021-2025.
    response = login_api(DISTRICT_DRAFTER).put(f"/api/v1/plans/{phong_tho.pk}/lines/", [{"item": "1.3"}], format="json")
    assert response.status_code == 400
    assert "2021-2025" in response.json()["lines"]["0"]["item"][0]


def test_outsiders_get_404_for_every_plan_endpoint(phong_tho, login_api):
    api = login_api(OUTSIDER)
    for suffix in ("", "lines/", "totals/", "rounds/", "indicators/", "households/", "envelope/", "export.xlsx"):
        assert api.get(f"/api/v1/plans/{phong_tho.pk}/{suffix}").status_code == 404, suffix
    assert api.put(f"/api/v1/plans/{phong_tho.pk}/lines/", [], format="json").status_code == 404
    assert api.patch(f"/api/v1/plans/{phong_tho.pk}/", {"purpose": "x"}, format="json").status_code == 404
    assert phong_tho.pk not in [p["id"] for p in api.get("/api/v1/plans/").json()]


def test_a_commune_sees_only_its_own_plan(sin_suoi_ho, phong_tho, login_api):
    api = login_api(COMMUNE_DRAFTER)
    assert [p["id"] for p in api.get("/api/v1/plans/", {"cycle": phong_tho.cycle_id}).json()] == [sin_suoi_ho.pk]
    assert api.get(f"/api/v1/plans/{phong_tho.pk}/").status_code == 404


def test_upper_levels_read_but_do_not_edit(phong_tho, login_api):
    api = login_api(PROVINCE_DRAFTER)
    assert api.get(f"/api/v1/plans/{phong_tho.pk}/totals/").json()["total"] == "162756.000"
    assert api.put(f"/api/v1/plans/{phong_tho.pk}/lines/", [], format="json").status_code == 403
    assert api.patch(f"/api/v1/plans/{phong_tho.pk}/", {"purpose": "x"}, format="json").status_code == 403


def test_the_ministry_sees_provincial_plans_only(lai_chau, phong_tho, login_api):
    api = login_api(MINISTRY)
    ids = {p["id"] for p in api.get("/api/v1/plans/").json()}
    assert lai_chau.pk in ids
    assert phong_tho.pk not in ids


def test_header_patch_validates_and_saves(phong_tho, login_api):
    api = login_api(DISTRICT_DRAFTER)
    response = api.patch(
        f"/api/v1/plans/{phong_tho.pk}/", {"number_symbol": "125/KH-UBND", "issued_on": "2022-12-30"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["number_symbol"] == "125/KH-UBND"
    assert api.patch(f"/api/v1/plans/{phong_tho.pk}/", {"issued_on": "30/02/2022"}, format="json").status_code == 400
    bad = api.patch(f"/api/v1/plans/{phong_tho.pk}/", {"status": "approved"}, format="json")
    assert bad.status_code == 400 and "status" in bad.json()
    assert Plan.objects.get(pk=phong_tho.pk).status == "draft"


def test_create_plan_checks_cycle_unit_and_role(phong_tho, login_api):
    api = login_api(COMMUNE_DRAFTER)
    assert (
        api.post(
            "/api/v1/plans/", {"cycle": phong_tho.cycle_id, "unit": "03592", "type": "annual"}, format="json"
        ).status_code
        == 400
    )  # already has one
    response = api.post(
        "/api/v1/plans/", {"cycle": phong_tho.cycle_id, "unit": "03592", "type": "household_review"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["parent"] is None  # the district has no household review plan yet
    assert (
        api.post(
            "/api/v1/plans/", {"cycle": phong_tho.cycle_id, "unit": "03549", "type": "household_review"}, format="json"
        ).status_code
        == 403
    )  # another commune
    unknown_cycle = api.post("/api/v1/plans/", {"cycle": 999, "unit": "03592", "type": "annual"}, format="json")
    assert unknown_cycle.status_code == 400
    assert unknown_cycle.json()["cycle"] == ["Không có chu kỳ này."]
    assert set(unknown_cycle.json()) == {"cycle", "detail", "code"}


def test_cycles_and_catalogue(demo, login_api):
    api = login_api(COMMUNE_DRAFTER)
    cycles = api.get("/api/v1/cycles/").json()
    assert {(c["year"], c["structure"], c["period"]) for c in cycles} >= {
        (2023, "three-tier", "2021-2025"),
        (2025, "two-tier", "2021-2025"),
    }
    body = api.get("/api/v1/catalogue/", {"period": "2021-2025"}).json()
    assert [i["code"] for i in body["items"] if i["parent"] is None] == ["1", "2", "3", "4", "5", "6", "7"]
    assert [s["code"] for s in body["sources"]] == ["central_investment", "central_recurrent", "local", "other"]
    assert api.get("/api/v1/catalogue/", {"period": "1990-1995"}).status_code == 400


def test_amounts_sum_exactly(phong_tho):
    from planning.selectors import plan_totals

    totals = plan_totals(phong_tho)
    assert totals["total"] == Decimal("162756")
    assert totals["total"] == sum(line.total for line in phong_tho.lines.all())


def test_lines_round_trip_through_the_xlsx_template_over_the_api(phong_tho, login_api):
    from io import BytesIO

    api = login_api(DISTRICT_DRAFTER)
    template = api.get(f"/api/v1/plans/{phong_tho.pk}/lines/template.xlsx")
    assert template.status_code == 200
    upload = BytesIO(template.content)
    upload.name = "lines.xlsx"
    response = api.post(f"/api/v1/plans/{phong_tho.pk}/lines/import/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.json()
    assert api.get(f"/api/v1/plans/{phong_tho.pk}/totals/").json()["total"] == "162756.000"
    garbage = BytesIO(b"not a workbook")
    garbage.name = "x.xlsx"
    bad = api.post(f"/api/v1/plans/{phong_tho.pk}/lines/import/", {"file": garbage}, format="multipart")
    assert bad.status_code == 400 and "file" in bad.json()
    outsider = login_api(OUTSIDER).post(
        f"/api/v1/plans/{phong_tho.pk}/lines/import/", {"file": garbage}, format="multipart"
    )
    assert outsider.status_code == 404


def test_exports_download_with_the_seed_total(phong_tho, login_api):
    from io import BytesIO

    from docx import Document
    from openpyxl import load_workbook

    api = login_api(DISTRICT_DRAFTER)
    xlsx = api.get(f"/api/v1/plans/{phong_tho.pk}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].endswith("spreadsheetml.sheet")
    values = [c for row in load_workbook(BytesIO(xlsx.content)).active.iter_rows(values_only=True) for c in row]
    assert 162756 in values
    docx = api.get(f"/api/v1/plans/{phong_tho.pk}/export.docx")
    text = "\n".join(p.text for p in Document(BytesIO(docx.content)).paragraphs)
    assert "162.756" in text
