"""Issue 16, item 9: every page the service serves carries a strict Content-Security-Policy
that lets its own style apply and nothing else, and every answer the usual security headers."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date
from pathlib import Path

import pytest
from httpx2 import Response

from reconciliation.container import Reconciliation
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.reconciliation import reconciled_day
from tests.support.terminal import TestTerminal

ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
LOCKS = {"default-src": ["'none'"], "frame-ancestors": ["'none'"], "base-uri": ["'none'"]}


def _policy(response: Response) -> dict[str, list[str]]:
    directives = [d.split() for d in response.headers["content-security-policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


def _assert_secured(response: Response) -> dict[str, list[str]]:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (name, response.request.url)
    policy = _policy(response)
    assert {k: policy.get(k) for k in LOCKS} == LOCKS
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    return policy


@pytest.fixture
def day(world: World, terminal: TestTerminal, clock: FakeClock, tmp_path: Path) -> date:
    services = world.services
    recon = Reconciliation.build(services.settings, services.engine, services.clock)
    return reconciled_day(recon, terminal, clock, tmp_path, payments=3)


def test_every_page_allows_exactly_its_own_inline_style_and_nothing_else(
    world: World, day: date
) -> None:
    reference = f"QURB-STL-CASHPLUS-{day:%Y%m%d}"
    pages = [
        f"/v1/finance/reconciliations/{day}/report?format=html",
        f"/v1/finance/reconciliations/{day}/report?format=html&lang=ar&network=CASHPLUS",
        f"/v1/finance/settlements/{reference}/statement.html",
        f"/v1/finance/settlements/{reference}/statement.html?lang=ar",
    ]
    for path in pages:
        response = world.client.get(path, headers=world.auth("cnss.finance"))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        policy = _assert_secured(response)
        styles = re.findall(r"<style>(.*?)</style>", response.text, flags=re.DOTALL)
        assert styles, "the page keeps its look"
        hashes = {
            "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
            for s in styles
        }
        assert set(policy["style-src"]) == hashes
        assert set(policy) == {*LOCKS, "form-action", "style-src"}
        # Nothing inline the policy would have to allow some other way.
        assert not re.search(r"<script|\sstyle=|\son[a-z]+=", response.text, flags=re.I)


def test_json_errors_and_refusals_before_routing_carry_the_security_headers(
    world: World,
) -> None:
    answers = [
        world.client.get("/healthz"),
        world.client.get("/openapi.json"),
        world.client.get("/v1/no-such-thing"),
        world.client.get("/v1/admin/users"),
        world.client.post("/v1/admin/sessions", content=b"x" * 10_000_000),
        world.client.get("/v1/admin/users", headers=world.auth("cnss.admin")),
    ]
    assert [a.status_code for a in answers] == [200, 200, 404, 401, 413, 200]
    for answer in answers:
        policy = _assert_secured(answer)
        assert set(policy) == {*LOCKS, "form-action"}, "JSON needs no source at all"
