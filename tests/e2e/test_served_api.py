"""The API as ``qurb-api serve`` runs it: several uvicorn workers, one set of metrics."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from tests.e2e.conftest import Server


def _count(metrics: str, route: str) -> float:
    pattern = (
        rf'qurb_http_requests_total{{method="GET",route="{re.escape(route)}",status="200"}} (\S+)'
    )
    return sum(float(v) for v in re.findall(pattern, metrics))


def test_metrics_add_up_across_uvicorn_workers(start_server: Callable[..., Server]) -> None:
    server = start_server(workers=2)
    with httpx.Client(base_url=server.url, timeout=5) as client:
        before = _count(client.get("/metrics").text, "/healthz")  # the start-up probes
        for _ in range(40):
            # A new connection each time, so the kernel spreads them over both workers.
            assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200
        assert client.get("/readyz").json() == {"status": "ready"}
        metrics = client.get("/metrics").text
    assert _count(metrics, "/healthz") == before + 40
    assert _count(metrics, "/readyz") >= 1
