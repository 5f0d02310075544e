from io import StringIO

from django.core.management import call_command


def test_the_openapi_schema_is_complete_and_valid(db):
    """Every API view documents its request and response: no "unable to guess serializer"."""
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    assert "/api/v1/plans/{plan_id}/actions/{action}/" in schema
    assert "/api/v1/notifications/read/" in schema


def _schema() -> dict:
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


def _ok(schema: dict, path: str, method: str = "get") -> dict:
    return schema["paths"][f"/api/v1/{path}"][method]["responses"]


def test_the_lists_are_declared_as_arrays():
    schema = _schema()
    for path in (
        "plans/{plan_id}/history/",
        "plans/{plan_id}/households/",
        "plans/{plan_id}/indicators/",
        "plans/{plan_id}/rounds/",
        "plans/{plan_id}/lines/",
        "plans/",
        "cycles/",
    ):
        content = _ok(schema, path)["200"]["content"]["application/json"]["schema"]
        assert content["type"] == "array", path
    catalogue = _ok(schema, "catalogue/")["200"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][catalogue["$ref"].rsplit("/", 1)[1]]
    assert {component["properties"][key]["type"] for key in ("sources", "items", "criteria")} == {"array"}


def test_the_files_are_declared_with_their_media_types():
    schema = _schema()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    for path in ("plans/{plan_id}/lines/template.xlsx", "plans/{plan_id}/households/template.xlsx"):
        assert set(_ok(schema, path)["200"]["content"]) == {xlsx}, path
    assert set(_ok(schema, "plans/{plan_id}/report-by-content.xlsx")["200"]["content"]) == {xlsx}
    assert set(_ok(schema, "plans/{plan_id}/export.{fmt}")["200"]["content"]) == {xlsx, docx}


def test_the_error_answers_are_documented_in_the_one_shape():
    schema = _schema()
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code"}
    action = _ok(schema, "plans/{plan_id}/actions/{action}/", "post")
    assert {"400", "401", "403", "404", "409"} <= set(action)
    assert set(_ok(schema, "me/")) >= {"401", "403"} and "404" not in _ok(schema, "me/")
    token = _ok(schema, "auth/token/", "post")
    assert {"400", "429"} <= set(token) and "401" not in token
    detail = _ok(schema, "plans/{plan_id}/")
    assert detail["404"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"
    assert {"400", "404", "409"} <= set(_ok(schema, "plans/{plan_id}/", "patch"))
