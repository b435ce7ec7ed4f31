"""CNSS finance's queue of claims tracking exceptions in the back office: the missing envelope
first with what an officer needs to act (never the worker's name), the cleared ones apart,
filters and exports; taking, noting, resolving and reopening, each once per form, recorded
with who and when, the note sealed at rest and absent from the audit log."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.roles import Role
from agent_api.errors import Conflict
from agent_api.persistence.tables import AuditLeaf
from agent_api.services.sessions.tokens import ADMIN_AUDIENCE
from reconciliation.claims_queue import ClaimsQueue
from reconciliation.container import Reconciliation
from tests.integration.conftest import World
from tests.support.backoffice import BackOffice, csrf_of
from tests.support.claims import TrackedDay, tracked_day
from tests.support.terminal import TestTerminal

NOTE = "Appelé Mme Fatima El Amrani au 0612345678 : elle redépose lundi."
_ROW = re.compile(r'<tr(?: class="urgent")?>\s*<td><a href="/back-office/finance/tracking/(\d+)">')


@pytest.fixture
def day(world: World, terminal: TestTerminal) -> TrackedDay:
    services = world.services
    recon = Reconciliation.build(services.settings, services.engine, services.clock)
    return tracked_day(terminal, recon.claims)


def _finance(world: World) -> BackOffice:
    office = BackOffice(world)
    assert office.sign_in("cnss.finance").status_code == 303
    return office


def _ids(html: str) -> list[int]:
    queue = html.split('id="tracking-queue"', 1)[1].split("</table>", 1)[0]
    return [int(n) for n in _ROW.findall(queue)]


def _id_of(world: World, deposit: str) -> int:
    with Session(world.services.engine) as session:
        found = session.exec(
            text("SELECT id FROM tracking_exceptions WHERE finding_key = :k"),  # type: ignore[call-overload]
            params={"k": f"missing_envelope:{deposit}"},
        ).one()
    return int(found[0])


def _act(office: BackOffice, exception_id: int, **data: str) -> tuple[int, str]:
    """Post the exception page's form with ``data``; the status and the form's key."""
    page = office.get(f"/finance/tracking/{exception_id}").text
    key = re.search(r'name="request_key" value="([0-9a-f]{32})"', page)
    assert key is not None
    body = {"csrf_token": csrf_of(page), "request_key": key.group(1), **data}
    answer = office.post(f"/finance/tracking/{exception_id}/work", body)
    return answer.status_code, key.group(1)


def test_finance_sees_the_missing_envelope_first_and_the_cleared_one_apart(
    world: World, day: TrackedDay
) -> None:
    office = _finance(world)

    page = office.get("/finance/tracking")
    arabic = office.get("/finance/tracking?lang=ar")

    assert page.status_code == 200
    queue = page.text.split('id="tracking-queue"', 1)[1].split("</table>", 1)[0]
    first = queue.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "Enveloppe manquante" in first
    for needed in (day.missing, "CA-01", day.slip, day.worker, "CASHPLUS"):
        assert needed in first
    assert "1 enveloppe(s) manquante(s)" in page.text
    assert day.unknown in queue  # the deposit the hub never issued, lower down
    assert day.found_later not in queue  # found since: cleared, shown apart
    assert day.found_later in page.text.split('id="cleared"', 1)[1]
    assert "Fatima" not in page.text
    assert "El Amrani" not in page.text
    assert 'dir="rtl"' in arabic.text
    assert "ظرف مفقود" in arabic.text


def test_the_queue_filters_by_kind_network_and_state_and_exports_the_same_rows(
    world: World, day: TrackedDay
) -> None:
    office = _finance(world)

    missing_only = office.get("/finance/tracking?kind=missing_envelope")
    other_network = office.get("/finance/tracking?network=WAFACASH")
    exported = office.get("/finance/tracking?kind=missing_envelope&format=csv")
    workbook = office.get("/finance/tracking?format=xlsx")
    bad = office.get("/finance/tracking?kind=everything")

    assert len(_ids(missing_only.text)) == 1
    assert _ids(other_network.text) == []
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["kind"], r["deposit_number"], r["tracking"]) for r in rows] == [
        ("missing_envelope", day.missing, "open"),
        ("missing_envelope", day.found_later, "cleared"),
    ]
    assert rows[0]["slip_number"] == day.slip
    assert rows[0]["registration_number"] == day.worker
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert bad.status_code == 422


def test_take_note_resolve_reopen_each_once_with_who_and_when_the_note_sealed(
    world: World, day: TrackedDay
) -> None:
    office = _finance(world)
    exception_id = _id_of(world, day.missing)

    took, key = _act(office, exception_id, action="take")
    # The same form posted again (a double click): one action.
    again = office.post(
        f"/finance/tracking/{exception_id}/work",
        {
            "csrf_token": csrf_of(office.get("/finance/tracking").text),
            "request_key": key,
            "action": "take",
        },
    )
    noted, _ = _act(office, exception_id, action="note", note=NOTE)
    resolved, _ = _act(
        office, exception_id, action="resolve", resolution="worker_informed", note=""
    )
    resolved_list = office.get("/finance/tracking?state=resolved")
    open_list = office.get("/finance/tracking")
    shown = office.get(f"/finance/tracking/{exception_id}")
    reopened, _ = _act(office, exception_id, action="reopen")

    assert (took, again.status_code, noted, resolved, reopened) == (303, 303, 303, 303, 303)
    assert exception_id in _ids(resolved_list.text)
    assert exception_id not in _ids(open_list.text)
    assert "assuré informé" in shown.text
    assert "cnss.finance" in shown.text
    assert NOTE.replace("'", "&#39;") in shown.text  # the officer reads it back
    with Session(world.services.engine) as session:
        actions = session.exec(
            text("SELECT action, note FROM tracking_exception_actions ORDER BY id")  # type: ignore[call-overload]
        ).all()
        leaves = session.exec(
            select(AuditLeaf)
            .where(AuditLeaf.kind == "tracking_exception_worked")
            .order_by(col(AuditLeaf.leaf_index))
        ).all()
    assert [a[0] for a in actions] == ["take", "note", "resolve", "reopen"]
    stored = actions[1][1]
    assert stored.startswith("q1:")
    assert "Fatima" not in stored
    assert [json.loads(leaf.data)["action"] for leaf in leaves] == [
        "take",
        "note",
        "resolve",
        "reopen",
    ]
    for leaf in leaves:
        assert "Fatima" not in leaf.data
        assert "0612345678" not in leaf.data
        assert day.worker not in leaf.data
    assert json.loads(leaves[1].data)["noted"] is True


def test_two_officers_resolving_at_once_get_one_success_and_one_clear_refusal(
    world: World, day: TrackedDay
) -> None:
    services = world.services
    services.users.create(
        SYSTEM_ACTOR,
        username="cnss.finance2",
        full_name="Finance 2",
        role=Role.FINANCE,
        password="correct horse battery staple 2",
        office=None,
        network=None,
    )
    first, second = _finance(world), BackOffice(world)
    assert second.sign_in("cnss.finance2", "correct horse battery staple 2").status_code == 303
    exception_id = _id_of(world, day.missing)
    page_one = first.get(f"/finance/tracking/{exception_id}").text
    page_two = second.get(f"/finance/tracking/{exception_id}").text

    def post(office: BackOffice, page: str) -> int:
        key = re.search(r'name="request_key" value="([0-9a-f]{32})"', page)
        assert key is not None
        return office.post(
            f"/finance/tracking/{exception_id}/work",
            {
                "csrf_token": csrf_of(page),
                "request_key": key.group(1),
                "action": "resolve",
                "resolution": "envelope_found_resent",
            },
        ).status_code

    answers = (post(first, page_one), post(second, page_two))

    assert answers == (303, 409)
    refused = second.post(
        f"/finance/tracking/{exception_id}/work",
        {
            "csrf_token": csrf_of(page_two),
            "request_key": "0" * 32,
            "action": "resolve",
            "resolution": "cnss_error",
        },
    )
    assert "déjà été résolue" in refused.text
    assert "cnss.finance" in refused.text


def test_a_refused_action_names_its_field_and_writes_nothing(world: World, day: TrackedDay) -> None:
    office = _finance(world)
    exception_id = _id_of(world, day.missing)
    page = office.get(f"/finance/tracking/{exception_id}").text
    body = {"csrf_token": csrf_of(page), "request_key": "a" * 32}
    path = f"/finance/tracking/{exception_id}/work"

    no_note = office.post(path, {**body, "action": "note", "note": "  "})
    no_reason = office.post(path, {**body, "action": "resolve", "resolution": "because"})
    no_key = office.post(path, {**body, "action": "take", "request_key": "x"})
    not_resolved = office.post(path, {**body, "action": "reopen"})

    assert [r.status_code for r in (no_note, no_reason, no_key, not_resolved)] == [
        422,
        422,
        422,
        409,
    ]
    assert "note" in no_note.text
    assert "resolution" in no_reason.text
    with Session(world.services.engine) as session:
        count = session.exec(text("SELECT count(*) FROM tracking_exception_actions")).one()  # type: ignore[call-overload]
    assert count[0] == 0


def test_the_service_refuses_a_second_resolution_naming_who_resolved(
    world: World, day: TrackedDay
) -> None:
    queue = ClaimsQueue(world.services.new_uow, world.services.clock)
    finance = world.services.auth.authenticate(
        world.sign_in("cnss.finance"), audience=ADMIN_AUDIENCE
    )
    exception_id = _id_of(world, day.missing)
    queue.act(finance, exception_id, action="resolve", request_key="1" * 32, resolution="other")

    with pytest.raises(Conflict, match=r"resolved by cnss\.finance") as refused:
        queue.act(finance, exception_id, action="resolve", request_key="2" * 32, resolution="other")

    assert refused.value.code == "already_resolved"
    # The first request's key again is a replay, not a conflict: the same answer.
    replayed, actions = queue.act(
        finance, exception_id, action="resolve", request_key="1" * 32, resolution="other"
    )
    assert (replayed.state, len(actions)) == ("resolved", 1)


def test_two_resolutions_racing_leave_one_resolution_and_one_refusal(
    world: World, day: TrackedDay
) -> None:
    queue = ClaimsQueue(world.services.new_uow, world.services.clock)
    finance = world.services.auth.authenticate(
        world.sign_in("cnss.finance"), audience=ADMIN_AUDIENCE
    )
    exception_id = _id_of(world, day.missing)
    start = threading.Barrier(2)

    def resolve(key: str) -> str:
        start.wait()
        try:
            queue.act(
                finance, exception_id, action="resolve", request_key=key, resolution="cnss_error"
            )
        except Conflict as refused:
            return refused.code
        return "resolved"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(resolve, ("3" * 32, "4" * 32)))

    assert outcomes == ["already_resolved", "resolved"]
    with Session(world.services.engine) as session:
        count = session.exec(text("SELECT count(*) FROM tracking_exception_actions")).one()  # type: ignore[call-overload]
    assert count[0] == 1


def test_a_form_sent_again_for_another_action_is_refused_not_taken_for_a_replay(
    world: World, day: TrackedDay
) -> None:
    office = _finance(world)
    exception_id = _id_of(world, day.missing)
    page = office.get(f"/finance/tracking/{exception_id}").text
    key = re.findall(r'name="request_key" value="([0-9a-f]{32})"', page)[-1]  # the note form
    path = f"/finance/tracking/{exception_id}/work"
    body = {"csrf_token": csrf_of(page), "request_key": key}

    noted = office.post(path, {**body, "action": "note", "note": "Appel à l'agence CA-01."})
    # Back in the browser, the same form sent again, this time to resolve.
    resolved = office.post(path, {**body, "action": "resolve", "resolution": "cnss_error"})

    assert (noted.status_code, resolved.status_code) == (303, 409)
    assert "déjà servi" in html.unescape(resolved.text)
    assert "à traiter" in office.get(f"/finance/tracking/{exception_id}").text
