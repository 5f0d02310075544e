"""Probes and metrics. None of them needs a session; ``/metrics`` is refused unless the caller
is on an allowed network or shows the bearer token."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from ops import metrics as ops_metrics
from ops import readiness

DEFAULT_METRICS_NETWORKS = ("127.0.0.1/32", "::1/128")


@never_cache
async def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. No database, no Redis: restarting a process cannot fix
    those, so they belong to /readyz."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when this node can serve approvals, 503 naming what fails.

    ``?strict=1`` also fails on the optional parts (Redis): for deploy gates and the smoke run.
    """
    strict = request.GET.get("strict", "") not in ("", "0", "false")
    status, body = readiness.run(strict=strict)
    return JsonResponse(body, status=status)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain; charset=utf-8")
    return HttpResponse(ops_metrics.render(), content_type="text/plain; version=0.0.4; charset=utf-8")


def metrics_allowed(request: HttpRequest) -> bool:
    """A valid ``Authorization: Bearer <METRICS_TOKEN>``, or a client address inside
    ``METRICS_ALLOWED_NETWORKS``. Behind nginx the address is the client's only when uvicorn
    runs with ``--proxy-headers`` and trusts the proxy (``--forwarded-allow-ips``)."""
    token = getattr(settings, "METRICS_TOKEN", "")
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    networks = getattr(settings, "METRICS_ALLOWED_NETWORKS", DEFAULT_METRICS_NETWORKS)
    return any(client in ipaddress.ip_network(net, strict=False) for net in networks)
