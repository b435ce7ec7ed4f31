"""CNSS finance's claims tracking exceptions: the queue (missing envelopes first, cleared ones
apart), one exception with its history, and the work on it (take, note, resolve, reopen),
each through ``reconciliation.claims_queue.ClaimsQueue``; the queue as CSV or XLSX from the
same rows (formula-safe: ``qurb.backoffice.exports``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.domain.roles import Role
from agent_api.errors import NotFound, QurbError, ValidationFailed
from qurb.backoffice.exports import FORMATS, export
from qurb.backoffice.session import PREFIX
from qurb.backoffice.web import INTEGER_MAX, Page, error_page
from reconciliation.claims_queue import KINDS, RESOLUTIONS, WORK_STATES, ClaimsQueue, QueueRow

PAGE_SIZE = 200
CLEARED_SHOWN = 50
EXPORT_LIMIT = 10_000
EXPORT_COLUMNS = (
    "id",
    "kind",
    "priority",
    "network",
    "deposit_number",
    "office",
    "business_date",
    "slip_number",
    "slip_date",
    "registration_number",
    "opened_at",
    "open_days",
    "tracking",
    "cleared_at",
    "state",
    "assignee",
    "resolution",
    "changed_by",
    "changed_at",
)
NOTICES = ("take", "note", "resolve", "reopen")


def claims_queue(page: Page) -> ClaimsQueue:
    return ClaimsQueue(page.services.new_uow, page.services.clock)


def _filters(page: Page) -> dict[str, str | None]:
    kind, state, network = page.query("kind"), page.query("state"), page.query("network")
    if kind and kind not in KINDS:
        raise ValidationFailed("unknown kind", field="kind")
    if state and state not in (*WORK_STATES, "all"):
        raise ValidationFailed("state is open, resolved or all", field="state")
    return {
        "kind": kind or None,
        "network": network or None,
        # Finance opens the queue on what is left to do.
        "state": None if state == "all" else (state or "open"),
    }


def _export_row(r: QueueRow) -> dict[str, object]:
    return {
        "id": r.id,
        "kind": r.kind,
        "priority": r.priority,
        "network": r.network,
        "deposit_number": r.deposit_number,
        "office": r.office,
        "business_date": r.business_date.isoformat() if r.business_date else None,
        "slip_number": r.slip_number,
        "slip_date": r.slip_date.isoformat() if r.slip_date else None,
        "registration_number": r.registration_number,
        "opened_at": r.opened_at.isoformat(),
        "open_days": r.open_days,
        "tracking": "cleared" if r.cleared else "open",
        "cleared_at": r.cleared_at.isoformat() if r.cleared_at else None,
        "state": r.state,
        "assignee": r.assignee,
        "resolution": r.resolution,
        "changed_by": r.changed_by,
        "changed_at": r.changed_at.isoformat() if r.changed_at else None,
    }


def _finder(page: Page) -> Callable[..., list[QueueRow]]:
    """``find(cleared=…, limit=…)``: the queue's rows under the page's filters."""
    filters = _filters(page)
    service = claims_queue(page)

    def find(*, cleared: bool = False, limit: int) -> list[QueueRow]:
        return service.find(
            page.who(),
            cleared=cleared,
            kind=filters["kind"],
            network=filters["network"],
            state=filters["state"],
            limit=limit,
        )

    return find


async def queue(page: Page) -> Response:
    find = _finder(page)
    fmt = page.query("format")
    if fmt in FORMATS:
        rows = await run_in_threadpool(
            lambda: find(limit=EXPORT_LIMIT) + find(cleared=True, limit=EXPORT_LIMIT)
        )
        return page.finish(
            await export(fmt, "tracking-exceptions", EXPORT_COLUMNS, [_export_row(r) for r in rows])
        )
    if fmt:
        raise ValidationFailed("a file is csv or xlsx", field="format")
    rows = await run_in_threadpool(lambda: find(limit=PAGE_SIZE))
    cleared = await run_in_threadpool(lambda: find(cleared=True, limit=CLEARED_SHOWN))
    networks = await run_in_threadpool(
        lambda: page.services.registry.list_networks(page.who(), limit=1000, offset=0)
    )
    raw = {k: page.query(k) for k in ("kind", "network", "state")}
    return page.render(
        "finance/tracking.html",
        rows=rows,
        cleared=cleared,
        missing=sum(1 for r in rows if r.kind == "missing_envelope"),
        raw=raw,
        kinds=[(k, page.t(f"claims.kind.{k}")) for k in KINDS],
        states=[(s, page.t(f"claims.state.{s}")) for s in (*WORK_STATES, "all")],
        network_options=[(n.code, n.code) for n in networks],
        export_query=urlencode({k: v for k, v in raw.items() if v}),
        more=len(rows) == PAGE_SIZE,
    )


def _exception_id(page: Page) -> int:
    exception_id: int = page.request.path_params["exception_id"]
    if exception_id > INTEGER_MAX:  # no such row: the column is an INTEGER
        raise NotFound("no such exception", field="exception_id")
    return exception_id


def _detail_context(page: Page, row: QueueRow, actions: list[Any]) -> dict[str, Any]:
    done = page.query("done")
    return {
        "r": row,
        "actions": actions,
        "resolutions": [(code, page.t(f"claims.resolution.{code}")) for code in RESOLUTIONS],
        "can_work": page.who().role is Role.FINANCE,
        # Each form's one-time key: posted twice, it records one action.
        "request_keys": {form: secrets.token_hex(16) for form in ("take", "reopen", "note")},
        "notice": page.t(f"claims.done.{done}") if done in NOTICES else None,
    }


async def exception(page: Page) -> Response:
    row, actions = await run_in_threadpool(claims_queue(page).get, page.who(), _exception_id(page))
    return page.render("finance/tracking_exception.html", **_detail_context(page, row, actions))


async def work(page: Page) -> Response:
    exception_id = _exception_id(page)
    action = page.field("action")
    try:
        await run_in_threadpool(
            lambda: claims_queue(page).act(
                page.who(),
                exception_id,
                action=action,
                request_key=page.field("request_key"),
                resolution=page.field("resolution") or None,
                note=page.field("note") or None,
            )
        )
    except QurbError as refused:
        if isinstance(refused, NotFound):
            raise
        row, actions = await run_in_threadpool(claims_queue(page).get, page.who(), exception_id)
        return error_page(
            page,
            refused.status,
            refused.code,
            refused=refused,
            template="finance/tracking_exception.html",
            context=_detail_context(page, row, actions),
        )
    return page.redirect(f"{PREFIX}/finance/tracking/{exception_id}?done={action}")
