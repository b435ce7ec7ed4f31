"""The auditor's screens, read-only everywhere: the audit log (its size over time, its signed
checkpoints, a consistency proof between two of them), a receipt checked against the
published keys and the log, and the security events with their filters.

They call what ``/v1/audit/*`` and ``GET /v1/admin/security-events`` call
(``transparency.AuditLog``, ``SecurityEventService``) and the checks of ``qurb-audit``
(``agent_api.services.writes.receipt_check``). Every screen is a GET: an auditor is never handed a
form that writes, and the routes give the role no POST but sign-out — and one that reads:
checking the QR of a receipt's photo, a file only a POST can carry (``READING_POSTS``). It
is read in memory and forgotten; it writes nothing but what a pasted receipt's check does.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.clock import CASABLANCA
from agent_api.domain.roles import Role
from agent_api.errors import ValidationFailed
from agent_api.services.sessions.security_events import KINDS, SecurityEventView
from agent_api.services.writes.receipt_check import (
    MAX_IMAGE_BYTES,
    check_consistency,
    check_receipt,
    receipt_from_image,
)
from qurb.backoffice import charts
from qurb.backoffice.exports import FORMATS, export
from qurb.backoffice.web import Page, error_page, whole_number

CHART_DAYS = 30
CHECKPOINTS_PER_PAGE = 25
EVENTS_PER_PAGE = 50
EVENTS_EXPORT_LIMIT = 10_000
EVENT_COLUMNS = (
    "id",
    "occurred_at",
    "kind",
    "terminal_id",
    "office",
    "network",
    "keyid",
    "detail",
)
# The form that carries a receipt's image: the image, the CSRF token, the multipart framing.
IMAGE_FORM_BYTES = MAX_IMAGE_BYTES + 64 * 1024
# The back office's POST routes that write nothing: the auditor may use them.
READING_POSTS = frozenset({"/audit/receipts"})


def _whole(text: str, name: str, *, minimum: int = 0) -> int | None:
    if not text:
        return None
    number = whole_number(text, maximum=2**63 - 1)  # a log's size is a BIGINT
    if number is None or number < minimum:
        raise ValidationFailed(f"{name} must be a whole number", field=name)
    return number


def _day(text: str, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{name} must be a date, YYYY-MM-DD", field=name) from None


def _start_of(day: date) -> datetime:
    """When ``day`` starts in Casablanca, as an instant."""
    return datetime.combine(day, time(0), tzinfo=CASABLANCA)


def _size_chart(page: Page, today: date, history: tuple[int, list[tuple[datetime, int]]]) -> Any:
    """One bar per day: the size the day's last checkpoint vouched for (the day before's
    when none was signed that day)."""
    size, rows = history
    days = [today - timedelta(days=CHART_DAYS - 1 - i) for i in range(CHART_DAYS)]
    ends: dict[date, int] = {}
    for signed_at, at_size in rows:
        ends[signed_at.astimezone(CASABLANCA).date()] = at_size
    values: dict[date, int] = {}
    for d in days:
        size = ends.get(d, size)
        values[d] = size
    return charts.stacked_bars(
        days,
        [charts.Series(page.t("auditor.log.leaves"), values, 0)],
        label=page.t("auditor.log.chart"),
        value_text=str,
    )


async def log(page: Page) -> Response:
    audit = page.services.audit
    below = _whole(page.query("below"), "below", minimum=1)
    today = page.services.clock().astimezone(CASABLANCA).date()
    since = _start_of(today - timedelta(days=CHART_DAYS - 1))
    latest = await run_in_threadpool(audit.latest_checkpoint)
    history = await run_in_threadpool(audit.size_history, since)
    recent = await run_in_threadpool(
        lambda: audit.recent_checkpoints(limit=CHECKPOINTS_PER_PAGE, below=below)
    )
    consistency = None
    raw = {"old": page.query("old"), "new": page.query("new"), "note": page.query("note")}
    if raw["note"] or raw["old"]:
        old: int | str = raw["note"] or _whole(raw["old"], "old", minimum=1) or 0
        new = _whole(raw["new"], "new", minimum=1)
        consistency = await run_in_threadpool(check_consistency, audit, old, new)
    return page.render(
        "auditor/log.html",
        latest=latest,
        chart=_size_chart(page, today, history),
        checkpoints=recent,
        more=recent[-1].size if len(recent) == CHECKPOINTS_PER_PAGE else None,
        key=audit.verifier_key(),
        consistency=consistency,
        raw=raw,
    )


async def receipt(page: Page) -> Response:
    pasted = page.query("receipt")
    checked = None
    if pasted:
        try:
            checked = await run_in_threadpool(
                check_receipt, page.services.audit, page.services.jwks, pasted
            )
        except ValidationFailed as refused:
            return error_page(
                page,
                422,
                "not_a_receipt",
                refused=refused,
                template="auditor/receipt.html",
                context={"pasted": pasted, "checked": None, "from_image": False},
            )
    return page.render("auditor/receipt.html", pasted=pasted, checked=checked, from_image=False)


async def receipt_image(page: Page) -> Response:
    """The receipt in the QR of an uploaded photo or scan, checked as a pasted one is. The
    image stays in this request's memory: never written, never logged."""
    sent = page.file("image")
    try:
        if sent is None or not sent.filename:
            raise ValidationFailed("choose an image", field="image")
        data = await sent.read(MAX_IMAGE_BYTES + 1)
        jws = await run_in_threadpool(receipt_from_image, data)
        del data
    except ValidationFailed as refused:
        return error_page(
            page,
            422,
            refused.code,
            refused=refused,
            template="auditor/receipt.html",
            context={"pasted": "", "checked": None, "from_image": False},
        )
    checked = await run_in_threadpool(check_receipt, page.services.audit, page.services.jwks, jws)
    return page.render("auditor/receipt.html", pasted=jws, checked=checked, from_image=True)


def _event_row(e: SecurityEventView) -> dict[str, object]:
    return {
        "id": e.id,
        "occurred_at": e.occurred_at.isoformat(),
        "kind": e.kind,
        "terminal_id": e.terminal_id,
        "office": e.office,
        "network": e.network,
        "keyid": e.keyid,
        "detail": json.dumps(e.detail, sort_keys=True, ensure_ascii=False) if e.detail else None,
    }


async def security_events(page: Page) -> Response:
    """The events the caller's scope holds, newest first, filtered by kind, terminal,
    network and day (Casablanca days, both ends included); ``?format=csv|xlsx`` downloads
    them (the first 10,000) instead of showing a page of 50."""
    fmt = page.query("format")
    fmt = fmt if fmt in FORMATS else ""
    raw = {k: page.query(k) for k in ("kind", "terminal", "network", "from", "to", "page")}
    kind = raw["kind"] or None
    if kind is not None and kind not in KINDS:
        raise ValidationFailed("no such kind of event", field="kind")
    terminal = _whole(raw["terminal"], "terminal", minimum=1)
    first, last = _day(raw["from"], "from"), _day(raw["to"], "to")
    number = _whole(raw["page"], "page", minimum=1) or 1
    national = page.who().role is not Role.NETWORK_ADMIN
    found = await run_in_threadpool(
        lambda: page.services.events.list(
            page.who(),
            kind=kind,
            terminal_id=terminal,
            network=(raw["network"] or None) if national else None,
            since=_start_of(first) if first else None,
            until=_start_of(last + timedelta(days=1)) if last else None,
            limit=EVENTS_EXPORT_LIMIT if fmt else EVENTS_PER_PAGE,
            offset=0 if fmt else (number - 1) * EVENTS_PER_PAGE,
        )
    )
    if fmt:
        rows = [_event_row(e) for e in found]
        return page.finish(await export(fmt, "security-events", EVENT_COLUMNS, rows))
    networks: list[str] = []
    if national:
        listed = await run_in_threadpool(
            lambda: page.services.registry.list_networks(page.who(), limit=500, offset=0)
        )
        networks = [n.code for n in listed]
    return page.render(
        "auditor/security_events.html",
        events=found,
        kinds=[(k, page.t(f"event.{k}")) for k in KINDS],
        known_kinds={f"event.{k}" for k in KINDS},
        networks=[(n, n) for n in networks],
        raw=raw,
        action=page.request.url.path,
        page_number=number,
        more=len(found) == EVENTS_PER_PAGE,
    )
