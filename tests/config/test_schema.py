from io import StringIO

from django.core.management import call_command


def test_the_openapi_schema_is_complete_and_valid(db):
    """Every API view documents its request and response: no "unable to guess serializer"."""
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    assert "/api/v1/plans/{plan_id}/actions/{action}/" in schema
    assert "/api/v1/notifications/read/" in schema
