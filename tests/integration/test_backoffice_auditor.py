"""The auditor's screens: the log's size and checkpoints, a consistency proof, a receipt
checked against the published keys and the log, the security events with their filters, and
a role that reads everything and writes nothing — not a single back-office write URL."""

from __future__ import annotations

import re
from datetime import timedelta

from starlette.routing import Route

from agent_api.domain.roles import Role
from agent_api.services.security_events import SecurityEventService
from qurb.backoffice.routes import ROUTES
from qurb.backoffice.web import NAVIGATION
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.backoffice import BackOffice, csrf_of
from tests.support.reconciliation import enroll, pay
from tests.support.terminal import TestTerminal

_LINK = re.compile(r'href="/back-office(/[^"#]*)"')
_WRITE_BUTTON = re.compile(r'<form[^>]*method="post"[^>]*action="([^"]*)"', re.IGNORECASE)


def _auditor(world: World) -> BackOffice:
    office = BackOffice(world)
    assert office.sign_in("cnss.auditor").status_code == 303
    return office


def _rows(html: str) -> str:
    """The table's body: what the list shows, not the filter's options."""
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def _receipt_jws(terminal: TestTerminal) -> tuple[str, str]:
    collected = pay(terminal, enroll(terminal), 7_000, "CA-01")
    receipt = terminal.send("GET", f"/v1/receipts/{collected.receipt}").json()
    return collected.receipt, receipt["receipt"]


def test_an_auditor_checks_a_pasted_receipt_and_sees_its_inclusion_proof(
    world: World, terminal: TestTerminal
) -> None:
    number, jws = _receipt_jws(terminal)
    page = _auditor(world).get("/audit/receipts", params={"receipt": jws})
    assert page.status_code == 200
    assert f"Le reçu {number} est authentique" in page.text
    assert "Preuve d&#39;inclusion" in page.text
    assert 'role="alert"' not in page.text


def test_a_receipt_with_one_flipped_character_is_shown_as_forged(
    world: World, terminal: TestTerminal
) -> None:
    _, jws = _receipt_jws(terminal)
    head, body, signature = jws.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    page = _auditor(world).get("/audit/receipts", params={"receipt": f"{head}.{body}.{flipped}"})
    assert page.status_code == 200
    assert "La signature du reçu ne se vérifie pas" in page.text
    assert "est authentique" not in page.text


def test_text_that_is_not_a_receipt_is_refused_and_the_form_stays(world: World) -> None:
    page = _auditor(world).get("/audit/receipts", params={"receipt": "hello"})
    assert page.status_code == 422
    assert "n'est pas un reçu signé" in page.text.replace("&#39;", "'")
    assert 'name="receipt"' in page.text


def test_the_log_page_shows_its_size_checkpoints_and_a_consistency_proof(
    world: World, terminal: TestTerminal
) -> None:
    first = world.services.audit.checkpoint()
    _receipt_jws(terminal)
    latest = world.services.audit.checkpoint()
    assert latest.size > first.size
    office = _auditor(world)
    page = office.get("/audit/log")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert f"<bdi>{latest.size}</bdi>" in page.text
    proved = office.get("/audit/log", params={"old": str(first.size)})
    assert f"Le journal de {latest.size} feuilles prolonge bien celui de {first.size}" in (
        proved.text
    )
    kept = office.get("/audit/log", params={"note": first.note})
    assert "prolonge bien" in kept.text


def test_security_events_filter_by_kind_network_and_day(world: World, clock: FakeClock) -> None:
    events: SecurityEventService = world.services.events
    events.record("sequence_gap", terminal_id=world.terminal_ids["CA-01"], missing_from=3)
    events.record("activation_failed", terminal_id=world.terminal_ids["WA-01"])
    office = _auditor(world)
    everything = _rows(office.get("/audit/security-events").text)
    assert "numéros de séquence sautés" in everything
    assert "code d&#39;activation erroné" in everything
    wafacash = _rows(office.get("/audit/security-events", params={"network": "WAFACASH"}).text)
    assert "code d&#39;activation erroné" in wafacash
    assert "numéros de séquence sautés" not in wafacash
    gaps = _rows(office.get("/audit/security-events", params={"kind": "sequence_gap"}).text)
    assert "missing_from=3" in gaps
    assert "code d&#39;activation erroné" not in gaps
    tomorrow = (clock() + timedelta(days=1)).date().isoformat()
    later = office.get("/audit/security-events", params={"from": tomorrow})
    assert "Aucun événement." in _rows(later.text)
    today = clock().date().isoformat()
    same_day = office.get("/audit/security-events", params={"from": today, "to": today})
    assert "missing_from=3" in _rows(same_day.text)


def test_a_network_admin_sees_only_its_own_terminals_events(world: World) -> None:
    world.services.events.record("sequence_gap", terminal_id=world.terminal_ids["CA-01"])
    world.services.events.record("activation_failed", terminal_id=world.terminal_ids["WA-01"])
    office = BackOffice(world)
    office.sign_in("admin.cashplus")
    page = _rows(office.get("/network/security-events").text)
    assert "numéros de séquence sautés" in page
    assert "code d&#39;activation erroné" not in page
    assert office.get("/audit/log").status_code == 403


def test_no_page_an_auditor_reaches_offers_a_button_that_writes(
    world: World, terminal: TestTerminal
) -> None:
    first = world.services.audit.checkpoint()
    _, jws = _receipt_jws(terminal)
    office = _auditor(world)
    menu = [n.path for n in NAVIGATION if Role.AUDITOR in n.roles]
    assert {"/audit/log", "/audit/receipts", "/audit/security-events"} <= set(menu)
    pages = ["/", *menu, "/audit/receipts?receipt=" + jws, f"/audit/log?old={first.size}"]
    seen: set[str] = set()
    for path in pages:  # the menu's pages and every page they link to
        if path in seen:
            continue
        seen.add(path)
        answer = office.get(path)
        # A linked day not yet reconciled may be a 404: a page all the same, with no button.
        assert answer.status_code == 200 or (path not in menu and answer.status_code == 404), path
        if not answer.headers["content-type"].startswith("text/html"):
            continue  # an export
        assert _WRITE_BUTTON.findall(answer.text) == ["/back-office/sign-out"], path
        if path in menu:
            pages += [
                p.replace("&amp;", "&")
                for p in _LINK.findall(answer.text)
                if not p.startswith("/static") and not p.endswith((".csv", ".jws"))
            ]
    assert len(seen) > len(menu)


def test_every_write_url_of_the_back_office_refuses_an_auditor(world: World) -> None:
    office = _auditor(world)
    token = csrf_of(office.get("/").text)
    samples = {"integer": "1", "string": "CA-01", "path": "x"}
    writes = [
        r
        for r in ROUTES
        if isinstance(r, Route)
        and "POST" in (r.methods or set())
        and r.path not in ("/sign-in", "/sign-out")
    ]
    assert len(writes) > 10
    for route in writes:
        path = route.path
        for name, convertor in route.param_convertors.items():
            kind = type(convertor).__name__.removesuffix("Convertor").lower()
            path = re.sub(r"\{" + name + r"(:[a-z]+)?\}", samples.get(kind, "x"), path)
        answer = office.post(path, {"csrf_token": token})
        assert answer.status_code == 403, path
        assert "Votre rôle ne permet pas cette action." in answer.text, path
