"""CNSS finance's screens: the calendar of business days, a day's reconciliation, the
exceptions queue (worked in bulk), uploads of ledger and bank files, settlement statements
and exports of every list, as CSV or XLSX from the same rows (``qurb.backoffice.exports``).

Each calls the reconciliation services the finance endpoints (``qurb.finance``) and
``qurb-reconcile`` call: ``ExceptionQueue.work_many`` to resolve or write off, ``Inputs`` to
import and ``Reconciler.run`` to match again, ``Reports.day`` for a day's figures.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.clock import CASABLANCA
from agent_api.domain.roles import Role
from agent_api.errors import NotFound, QurbError, ValidationFailed
from qurb.backoffice.charts import Series, stacked_bars
from qurb.backoffice.exports import FORMATS, export
from qurb.backoffice.formatting import money
from qurb.backoffice.web import INTEGER_MAX, Page, error_page, whole_number
from qurb.finance import reconciliation_of
from reconciliation.container import Reconciliation
from reconciliation.exceptions import REASON_CODES, STATUSES, ExceptionView
from reconciliation.reports import CSV_COLUMNS, balance, csv_rows, work_context
from reconciliation.run import NothingToReconcile

PAGE_SIZE = 200
EXPORT_LIMIT = 10_000
LEDGER_KINDS = ("missing_in_ledger", "missing_in_hub", "amount_mismatch", "duplicate", "cross_day")
BANK_KINDS = ("short", "over", "missing", "unexpected")
KINDS = (*LEDGER_KINDS, *BANK_KINDS)
# How big an upload may be (the app's body limit, QURB_MAX_BODY_BYTES, also applies).
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def _recon(page: Page) -> Reconciliation:
    return reconciliation_of(page.request, page.services)


def _today(page: Page) -> date:
    return page.services.clock().astimezone(CASABLANCA).date()


def _date(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("a date is YYYY-MM-DD", field=field) from None


def kind_key(kind: str) -> str:
    """An exception's kind (``short``) or a run's outcome (``bank_short``, ``matched``) → its
    catalog key in the reports' words (``bank.short``, ``ledger.matched``)."""
    if kind.startswith("bank_"):
        return "bank." + kind.removeprefix("bank_")
    return ("bank." if kind in BANK_KINDS else "ledger.") + kind


def _export_format(page: Page) -> str | None:
    """``?format=csv`` or ``?format=xlsx``: the list as a file instead of a page."""
    asked = page.query("format")
    return asked if asked in FORMATS else None


# -- calendar -----------------------------------------------------------------------------


def _month(page: Page) -> tuple[date, date]:
    asked = page.query("month")
    if asked:
        try:
            first = date.fromisoformat(asked + "-01")
        except ValueError:
            raise ValidationFailed("a month is YYYY-MM", field="month") from None
    else:
        first = (_today(page) - timedelta(days=1)).replace(day=1)
    return first, first.replace(day=monthrange(first.year, first.month)[1])


async def calendar(page: Page) -> Response:
    first, last = _month(page)
    recon = _recon(page)
    cells = await run_in_threadpool(recon.calendar.days, page.who(), first, last)
    kinds = await run_in_threadpool(recon.calendar.kinds, page.who(), first, last)
    fmt = _export_format(page)
    if fmt is not None:
        return page.finish(
            await export(
                fmt,
                f"calendar-{first:%Y-%m}",
                (
                    "business_date",
                    "network",
                    "state",
                    "collections",
                    "gross_centimes",
                    "open_exceptions",
                    "reconciled_version",
                ),
                [
                    {
                        "business_date": c.business_date.isoformat(),
                        "network": c.network,
                        "state": c.state,
                        "collections": c.collections,
                        "gross_centimes": c.gross_centimes,
                        "open_exceptions": c.open_exceptions,
                        "reconciled_version": c.reconciled_version,
                    }
                    for c in cells
                ],
            )
        )
    networks = sorted({c.network for c in cells})
    days = sorted({c.business_date for c in cells})
    grid = {(c.business_date, c.network): c for c in cells}
    all_days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    collected = stacked_bars(
        all_days,
        [
            Series(n, {c.business_date: c.gross_centimes for c in cells if c.network == n}, i)
            for i, n in enumerate(networks)
        ],
        label=page.t("finance.chart.collections"),
        value_text=money,
    )
    kind_names = sorted({k.kind for k in kinds})
    by_kind = stacked_bars(
        all_days,
        [
            Series(
                page.t(kind_key(name)),
                {k.business_date: k.count for k in kinds if k.kind == name},
                i,
            )
            for i, name in enumerate(kind_names)
        ],
        label=page.t("finance.chart.exceptions"),
        value_text=str,
    )
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return page.render(
        "finance/calendar.html",
        first=first,
        networks=networks,
        days=days,
        grid=grid,
        previous=f"{previous:%Y-%m}",
        following=f"{following:%Y-%m}",
        month=f"{first:%Y-%m}",
        collected_chart=collected,
        kinds_chart=by_kind,
        network_legend=list(enumerate(networks)),
        kind_legend=[(i, page.t(kind_key(k))) for i, k in enumerate(kind_names)],
        totals={
            n: (
                sum(c.collections for c in cells if c.network == n),
                sum(c.gross_centimes for c in cells if c.network == n),
            )
            for n in networks
        },
    )


# -- a day's reconciliation ---------------------------------------------------------------


def _changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, str]]:
    """What a version read that the one before did not (and what it no longer read):
    (catalog key, file name or settlement reference)."""
    if before is None:
        return []
    changes: list[tuple[str, str]] = []
    for part, added, removed in (
        ("ledger_files", "finance.change.ledger_added", "finance.change.ledger_removed"),
        ("bank_statements", "finance.change.bank_added", "finance.change.bank_removed"),
    ):
        old = {tuple(x) for x in before.get(part, [])}
        new = {tuple(x) for x in after.get(part, [])}
        changes += [(added, str(x[1])) for x in sorted(new - old)]
        changes += [(removed, str(x[1])) for x in sorted(old - new)]
    old_s = {tuple(x) for x in before.get("settlements", [])}
    new_s = {tuple(x) for x in after.get("settlements", [])}
    changes += [("finance.change.settlement", str(x[0])) for x in sorted(new_s - old_s)]
    if before.get("rules") != after.get("rules"):
        changes.append(("finance.change.rules", str(after.get("rules"))))
    return changes


async def day(page: Page) -> Response:
    business_date = _date(page.request.path_params["day"], "day")
    assert business_date is not None
    recon = _recon(page)
    version = whole_number(page.query("version"))
    versions = await run_in_threadpool(recon.reconciler.versions, business_date)
    settlements = await run_in_threadpool(
        lambda: recon.settlements.list(
            page.who(), business_date=business_date, network=None, limit=1000, offset=0
        )
    )
    report: dict[str, Any] | None = None
    if versions:
        report = await run_in_threadpool(
            lambda: recon.reports.day(page.who(), business_date, version=version)
        )
    elif not settlements:
        raise NotFound(f"nothing recorded for {business_date.isoformat()}")
    history = []
    previous: dict[str, Any] | None = None
    for v in versions:
        history.append((v, _changes(previous, v.inputs)))
        previous = v.inputs
    rows = []
    if report is not None:
        for s in report["settlements"]:
            figures = report["networks"].get(s["network"])
            b = balance(figures) if figures else None
            rows.append((s, b))
    else:
        rows = [(vars(s) | {"network_name": s.network}, None) for s in settlements]
    return page.render(
        "finance/day.html",
        business_date=business_date,
        report=report,
        rows=rows,
        history=list(reversed(history)),
        kind_key=kind_key,
    )


async def day_report_file(page: Page) -> Response:
    """The day's report as ``report.csv`` (what ``GET /v1/finance/reconciliations/{day}/report``
    gives as CSV) or ``report.xlsx``, the same rows."""
    business_date = _date(page.request.path_params["day"], "day")
    assert business_date is not None
    fmt = page.request.url.path.rsplit(".", 1)[-1]
    version = whole_number(page.query("version"))
    data = await run_in_threadpool(
        lambda: _recon(page).reports.day(page.who(), business_date, version=version)
    )
    stem = f"reconciliation-{business_date:%Y%m%d}-v{data['version']}"
    return page.finish(await export(fmt, stem, CSV_COLUMNS, csv_rows(data)))


# -- exceptions ---------------------------------------------------------------------------


def _filters(page: Page) -> dict[str, Any]:
    status = page.query("status")
    if status and status not in STATUSES:
        raise ValidationFailed("unknown status", field="status")
    kind = page.query("kind")
    if kind and kind not in KINDS:
        raise ValidationFailed("unknown kind", field="kind")
    amount = page.query("min_amount")
    minimum = _centimes(amount) if amount else None
    return {
        "business_date": _date(page.query("day"), "day"),
        "network": page.query("network") or None,
        "status": status or None,
        "kind": kind or None,
        "min_difference_centimes": minimum,
    }


_AMOUNT = re.compile(r"([0-9]{1,9})(?:[.,]([0-9]{1,2}))?")


def _centimes(text: str) -> int:
    """``150``, ``150,5`` or ``150.50`` dirhams as centimes, in integers only."""
    found = _AMOUNT.fullmatch(text.replace(" ", "").replace("\u00a0", ""))
    if found is None:
        raise ValidationFailed("an amount in dirhams, e.g. 150,00", field="min_amount")
    whole, cents = found.group(1), (found.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def _row(e: ExceptionView) -> dict[str, Any]:
    return {"e": e, **work_context(e)}


EXCEPTION_COLUMNS = (
    "id",
    "business_date",
    "version",
    "network",
    "source",
    "kind",
    "status",
    "registration_number",
    "offices",
    "value_dates",
    "ledger_lines",
    "bank_entries",
    "hub_centimes",
    "other_centimes",
    "difference_centimes",
    "reason_code",
    "comment",
    "worked_by",
    "worked_at",
)


def _exception_export_row(e: ExceptionView) -> dict[str, object]:
    context = work_context(e)
    return {
        "id": e.id,
        "business_date": e.business_date.isoformat(),
        "version": e.version,
        "network": e.network,
        "source": e.source,
        "kind": e.kind,
        "status": e.status,
        "registration_number": e.registration_number,
        "offices": " ".join(context["offices"]),
        "value_dates": " ".join(context["value_dates"]),
        "ledger_lines": " ".join(
            f"{x['file']}:{x['line']}:{x['entry_id']}" for x in context["ledger_lines"]
        ),
        "bank_entries": " ".join(
            f"{x['bank_reference']}:{x['booking_date']}" for x in context["bank_entries"]
        ),
        "hub_centimes": e.hub_centimes,
        "other_centimes": e.other_centimes,
        "difference_centimes": e.difference_centimes,
        "reason_code": e.reason_code,
        "comment": e.comment,
        "worked_by": e.worked_by,
        "worked_at": e.worked_at.isoformat() if e.worked_at else None,
    }


async def exceptions(page: Page) -> Response:
    filters = _filters(page)
    recon = _recon(page)
    fmt = _export_format(page)
    offset = whole_number(page.query("offset")) or 0
    found = await run_in_threadpool(
        lambda: recon.exceptions.list(
            page.who(),
            **filters,
            limit=EXPORT_LIMIT if fmt else PAGE_SIZE + 1,
            offset=0 if fmt else offset,
        )
    )
    if fmt is not None:
        return page.finish(
            await export(
                fmt, "exceptions", EXCEPTION_COLUMNS, [_exception_export_row(e) for e in found]
            )
        )
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    networks = await run_in_threadpool(
        lambda: page.services.registry.list_networks(page.who(), limit=1000, offset=0)
    )
    done = page.query("done")
    notice = None
    count = whole_number(page.query("n"))
    if done in ("resolved", "written_off") and count is not None:
        notice = page.t(f"finance.exceptions.done_{done}", count=count)
    query = page.request.url.query
    # htmx asks for the queue alone when the filters change (the page works without it).
    partial = (
        page.request.headers.get("HX-Request") == "true"
        and page.request.headers.get("HX-Target") == "queue"
    )
    return page.render(
        "finance/_queue.html" if partial else "finance/exceptions.html",
        rows=[_row(e) for e in found],
        filters=filters,
        raw={k: page.query(k) for k in ("day", "network", "kind", "status", "min_amount")},
        network_options=[(n.code, n.code) for n in networks],
        kinds=[(k, page.t(kind_key(k))) for k in KINDS],
        statuses=[(s, page.t(f"status.{s}")) for s in STATUSES],
        reasons=[(code, page.t(f"reason.{code}")) for code in REASON_CODES],
        kind_key=kind_key,
        notice=notice,
        more=more,
        offset=offset,
        page_size=PAGE_SIZE,
        export_query="&".join(
            p for p in query.split("&") if p and not p.startswith(("done=", "n=", "offset="))
        ),
        can_work=page.who().role is Role.FINANCE,
    )


async def work(page: Page) -> Response:
    ids = []
    for text in page.fields("exception_id"):
        number = whole_number(text)
        if number is None:
            raise ValidationFailed("an exception is chosen by its number", field="exception_id")
        ids.append(number)
    to = page.field("to")
    back = page.field("back")
    if not back.startswith("/back-office/finance/exceptions"):
        back = "/back-office/finance/exceptions"
    try:
        done = await run_in_threadpool(
            lambda: _recon(page).exceptions.work_many(
                page.who(),
                ids,
                to=to,
                reason_code=page.field("reason_code"),
                comment=page.field("comment"),
            )
        )
    except QurbError as refused:
        return error_page(
            page,
            refused.status,
            refused.code,
            refused=refused,
            template="finance/refused.html",
            context={"back": back},
        )
    joiner = "&" if "?" in back else "?"
    return page.redirect(f"{back}{joiner}done={to}&n={len(done)}")


async def exception(page: Page) -> Response:
    exception_id = page.request.path_params["exception_id"]
    if exception_id > INTEGER_MAX:  # no such row: the column is an INTEGER
        raise NotFound("no such exception", field="exception_id")
    found = await run_in_threadpool(_recon(page).exceptions.get, page.who(), exception_id)
    return page.render(
        "finance/exception.html",
        row=_row(found),
        kind_key=kind_key,
        reasons=[(code, page.t(f"reason.{code}")) for code in REASON_CODES],
        can_work=page.who().role is Role.FINANCE,
    )


# -- uploads ------------------------------------------------------------------------------


async def upload_form(page: Page) -> Response:
    return page.render("finance/upload.html", imported=None, run=None, ran_day=None, kind="ledger")


async def upload(page: Page) -> Response:
    kind = page.field("kind")
    sent = page.file("file")
    context = {"imported": None, "run": None, "ran_day": None, "kind": kind or "ledger"}
    try:
        if kind not in ("ledger", "bank"):
            raise ValidationFailed("choose a CNSS ledger or a bank statement", field="kind")
        if sent is None or not sent.filename:
            raise ValidationFailed("choose a file", field="file")
        data = await sent.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise ValidationFailed("the file is too large", field="file")
        name = sent.filename.replace("\\", "/").rsplit("/", 1)[-1]
        asked_day = _date(page.field("day"), "day")
        recon = _recon(page)
        by = page.who().username
        if kind == "ledger":
            imported = await run_in_threadpool(
                lambda: recon.inputs.import_ledger(data, name=name, by=by)
            )
        else:
            imported = await run_in_threadpool(
                lambda: recon.inputs.import_bank(data, name=name, by=by)
            )
    except QurbError as refused:
        return error_page(
            page,
            refused.status,
            refused.code,
            refused=refused,
            template="finance/upload.html",
            context=context,
        )
    ran_day = asked_day or imported.first_date
    run = None
    not_settled = False
    try:
        run = await run_in_threadpool(lambda: recon.reconciler.run(ran_day, by=by))
    except NothingToReconcile:
        not_settled = True
    return page.render(
        "finance/upload.html",
        imported=imported,
        run=run,
        ran_day=ran_day,
        not_settled=not_settled,
        kind=kind,
    )


# -- statements ---------------------------------------------------------------------------


async def statements(page: Page) -> Response:
    business_date = _date(page.query("day"), "day")
    network = page.query("network") or None
    found = await run_in_threadpool(
        lambda: _recon(page).settlements.list(
            page.who(), business_date=business_date, network=network, limit=PAGE_SIZE, offset=0
        )
    )
    fmt = _export_format(page)
    if fmt is not None:
        columns = (
            "reference",
            "network",
            "business_date",
            "collections",
            "gross_centimes",
            "reversals",
            "reversed_centimes",
            "late_collections",
            "commission_centimes",
            "net_centimes",
            "files_handled",
            "file_fee_centimes",
            "file_fees_centimes",
            "created_at",
        )
        return page.finish(
            await export(
                fmt,
                "settlements",
                columns,
                [
                    {k: getattr(s, k) for k in columns}
                    | {
                        "business_date": s.business_date.isoformat(),
                        "created_at": s.created_at.isoformat(),
                    }
                    for s in found
                ],
            )
        )
    return page.render(
        "finance/statements.html",
        settlements=found,
        raw={"day": page.query("day"), "network": page.query("network")},
    )


async def statement(page: Page) -> Response:
    reference = page.request.path_params["reference"]
    found = await run_in_threadpool(_recon(page).settlements.get, page.who(), reference)
    fmt = page.request.path_params.get("format", "")
    if fmt == "jws":
        return page.finish(
            Response(
                found.statement_jws,
                media_type="application/jose",
                headers={"Content-Disposition": f'attachment; filename="{reference}.jws"'},
            )
        )
    offices = found.statement.get("offices", [])
    if fmt in FORMATS:
        columns = (
            "reference",
            "network",
            "business_date",
            "office",
            "collections",
            "gross_centimes",
            "reversals",
            "reversed_centimes",
            "commission_centimes",
            "net_centimes",
            # Only on the TOTAL row, for a network paid per reimbursement file.
            "files_handled",
            "file_fee_centimes",
            "file_fees_centimes",
        )
        rows: list[dict[str, object]] = [
            {
                "reference": reference,
                "network": found.network,
                "business_date": found.business_date.isoformat(),
                **{k: o.get(k) for k in columns[3:10]},
            }
            for o in offices
        ]
        rows.append(
            {
                "reference": reference,
                "network": found.network,
                "business_date": found.business_date.isoformat(),
                "office": "TOTAL",
                "collections": found.collections,
                "gross_centimes": found.gross_centimes,
                "reversals": found.reversals,
                "reversed_centimes": found.reversed_centimes,
                "commission_centimes": found.commission_centimes,
                "net_centimes": found.net_centimes,
            }
            | (
                {
                    "files_handled": found.files_handled,
                    "file_fee_centimes": found.file_fee_centimes,
                    "file_fees_centimes": found.file_fees_centimes,
                }
                if found.file_fee_centimes
                else {}
            )
        )
        return page.finish(await export(fmt, reference, columns, rows))
    if fmt:
        raise NotFound(f"no format {fmt}")
    return page.render("finance/statement.html", s=found, offices=offices)
