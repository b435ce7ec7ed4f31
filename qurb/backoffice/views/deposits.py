"""AMO reimbursement files per office and network (``reconciliation.deposit_book``): a
business day's deposits per office and the transmittal slips closed for it, and one slip
with its deposits and each file's stage. A network admin sees its own network (another's
slip is "not found"); CNSS finance and the CNSS admin every network, filtered by one if
they like. Each list also as CSV or XLSX from the same rows."""

from __future__ import annotations

from datetime import date

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.clock import CASABLANCA
from agent_api.errors import NotFound, ValidationFailed
from qurb.backoffice.exports import FORMATS, export
from qurb.backoffice.web import Page
from reconciliation.deposit_book import DepositBook, Figures

FIGURES = (
    "deposits",
    "cancelled",
    "documents",
    "at_office",
    "sent",
    "received",
    "missing",
    "reimbursed",
    "refused",
    "reimbursed_centimes",
)
OFFICE_COLUMNS = ("business_date", "network", "office", *FIGURES)
SLIP_COLUMNS = ("slip", "business_date", "network", "office", "closed_at", "acknowledged", *FIGURES)
SLIP_DEPOSIT_COLUMNS = (
    "slip",
    "position",
    "deposit",
    "registration_number",
    "documents",
    "recorded_at",
    "stage",
    "since",
    "reimbursed_centimes",
    "reason_code",
)


def _book(page: Page) -> DepositBook:
    return DepositBook(page.services.new_uow)


def _day(page: Page) -> date:
    text = page.query("day")
    if not text:
        return page.services.clock().astimezone(CASABLANCA).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("a date is YYYY-MM-DD", field="day") from None


def _figures(f: Figures) -> dict[str, object]:
    return {name: getattr(f, name) for name in FIGURES}


def _total(figures: list[Figures]) -> Figures:
    total = Figures()
    for f in figures:
        for name in FIGURES:
            setattr(total, name, getattr(total, name) + getattr(f, name))
    return total


async def day(page: Page) -> Response:
    business_date = _day(page)
    national = page.who().scope == "national"
    network = (page.query("network") or None) if national else None
    offices, slips = await run_in_threadpool(
        lambda: _book(page).day(page.who(), business_date, network=network)
    )
    fmt = page.query("format")
    if fmt in FORMATS:
        on = business_date.isoformat()
        if page.query("list") == "slips":
            rows = [
                {
                    "slip": s.number,
                    "business_date": s.business_date.isoformat(),
                    "network": s.network,
                    "office": s.office,
                    "closed_at": s.closed_at.isoformat(),
                    "acknowledged": "yes" if s.acknowledged else "no",
                    **_figures(s.figures),
                }
                for s in slips
            ]
            return page.finish(await export(fmt, f"slips-{on}", SLIP_COLUMNS, rows))
        office_rows = [
            {"business_date": on, "network": o.network, "office": o.office, **_figures(o.figures)}
            for o in offices
        ]
        return page.finish(await export(fmt, f"deposits-{on}", OFFICE_COLUMNS, office_rows))
    if fmt:
        raise ValidationFailed("a file is csv or xlsx", field="format")
    networks = []
    if national:
        found = await run_in_threadpool(
            lambda: page.services.registry.list_networks(page.who(), limit=1000, offset=0)
        )
        networks = [(n.code, n.code) for n in found]
    raw = {"day": business_date.isoformat(), "network": network or ""}
    return page.render(
        "deposits/day.html",
        business_date=business_date,
        offices=offices,
        slips=slips,
        total=_total([o.figures for o in offices]),
        national=national,
        network_options=networks,
        raw=raw,
        export_query="&".join(f"{k}={v}" for k, v in raw.items() if v),
    )


async def slip(page: Page) -> Response:
    number: str = page.request.path_params["number"]
    fmt = page.query("format")
    if fmt and fmt not in FORMATS:
        raise NotFound(f"no format {fmt}")
    found, deposits = await run_in_threadpool(_book(page).slip, page.who(), number)
    if fmt:
        rows = [
            {
                "slip": found.number,
                "position": d.position,
                "deposit": d.number,
                "registration_number": d.registration_number,
                "documents": d.documents,
                "recorded_at": d.recorded_at.isoformat(),
                "stage": d.stage,
                "since": d.since.isoformat() if d.since else None,
                "reimbursed_centimes": d.reimbursed_centimes,
                "reason_code": d.reason_code,
            }
            for d in deposits
        ]
        return page.finish(await export(fmt, found.number, SLIP_DEPOSIT_COLUMNS, rows))
    return page.render("deposits/slip.html", s=found, deposits=deposits)
