"""Reports a finance team can send as they are: per network and for the whole day, in JSON,
CSV and a printable HTML page (``reconciliation.report_html``), with the settlements, the
money per network (hub, ledger, net due, received, each difference apart), the matching
totals, the bank result and the exceptions with what it takes to work them.

Amounts are integer centimes in JSON and CSV (no rounding question for the reader's tools)
and ``1 234,56 MAD`` on the HTML page, as Moroccan finance writes them. Every difference is
what was found less what was expected: ledger − hub, received − net due.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from agent_api.csv_safety import write_csv
from agent_api.errors import NotFound
from agent_api.persistence.tables import Network
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from reconciliation.exceptions import ExceptionQueue, ExceptionView
from reconciliation.report_html import to_html
from reconciliation.report_labels import DEFAULT_LANGUAGE
from reconciliation.tables import ReconciliationRun, Settlement

FORMATS = ("json", "csv", "html")
CSV_COLUMNS = (
    "line",
    "business_date",
    "version",
    "network",
    "settlement_reference",
    "exception_id",
    "source",
    "kind",
    "status",
    "registration_number",
    "offices",
    "value_dates",
    "hub_references",
    "quoted_references",
    "entry_ids",
    "ledger_lines",
    "bank_entries",
    "hub_centimes",
    "ledger_centimes",
    "ledger_minus_hub_centimes",
    "net_due_centimes",
    "received_centimes",
    "received_minus_net_due_centimes",
    "reason_code",
    "comment",
)
_BALANCE = (
    "hub_centimes",
    "ledger_centimes",
    "ledger_minus_hub_centimes",
    "net_due_centimes",
    "received_centimes",
    "received_minus_net_due_centimes",
)


class Reports:
    def __init__(self, uow: UnitOfWorkFactory, queue: ExceptionQueue) -> None:
        self._uow = uow
        self._queue = queue

    def day(
        self, actor: Any, day: date, *, network: str | None = None, version: int | None = None
    ) -> dict[str, Any]:
        """The report of D (its current version, or the one asked for) as plain data."""
        with self._uow() as uow:
            session = uow.session
            query = select(ReconciliationRun).where(ReconciliationRun.business_date == day)
            if version is not None:
                query = query.where(ReconciliationRun.version == version)
            run = session.exec(query.order_by(col(ReconciliationRun.version).desc())).first()
            if run is None:
                which = f"version {version} of " if version is not None else ""
                raise NotFound(f"no reconciliation for {which}{day.isoformat()}")
            rows = session.exec(
                select(Settlement, Network)
                .join(Network, col(Network.id) == col(Settlement.network_id))
                .where(Settlement.business_date == day)
                .order_by(col(Network.code))
            ).all()
            latest = session.exec(
                select(ReconciliationRun.version)
                .where(ReconciliationRun.business_date == day)
                .order_by(col(ReconciliationRun.version).desc())
            ).first()
        summary: dict[str, Any] = json.loads(run.summary)
        if network is not None:
            if network not in summary and all(n.code != network for _, n in rows):
                raise NotFound(f"no network {network} in the reconciliation of {day}")
            summary = {k: v for k, v in summary.items() if k == network}
        exceptions = [
            e
            for e in _all_exceptions(self._queue, actor, day)
            if e.version == run.version and (network is None or e.network == network)
        ]
        balances = {code: balance(f) for code, f in sorted(summary.items())}
        return {
            "business_date": day.isoformat(),
            "version": run.version,
            "current": run.version == latest,
            "reconciled_at": run.created_at.isoformat(),
            "reconciled_by": run.created_by,
            "network": network,
            "settlements": [
                _settlement(s, n.code, n.name)
                for s, n in rows
                if network is None or n.code == network
            ],
            "networks": summary,
            "totals": _totals(summary),
            "balances": balances,
            "grand_total": {k: sum(b[k] for b in balances.values()) for k in _BALANCE},
            "exceptions": [_exception(e) for e in exceptions],
        }


def balance(figures: dict[str, Any]) -> dict[str, int]:
    """A network's money in six figures, each kept apart: the hub against the ledger, and the
    settlement's net due against what the bank received (unexpected transfers count as
    received with nothing due). Differences are what was found less what was expected."""
    bank = [row for kind, row in figures["outcomes"].items() if kind.startswith("bank_")]
    hub, ledger = figures["hub_centimes"], figures["ledger_centimes"]
    net_due = sum(row["hub_centimes"] for row in bank)
    received = sum(row["other_centimes"] for row in bank)
    return {
        "hub_centimes": hub,
        "ledger_centimes": ledger,
        "ledger_minus_hub_centimes": ledger - hub,
        "net_due_centimes": net_due,
        "received_centimes": received,
        "received_minus_net_due_centimes": received - net_due,
    }


def _all_exceptions(queue: ExceptionQueue, actor: Any, day: date) -> list[ExceptionView]:
    found: list[ExceptionView] = []
    while True:
        page = queue.list(
            actor, business_date=day, current_only=False, limit=1000, offset=len(found)
        )
        found += page
        if len(page) < 1000:
            return found


def _settlement(s: Settlement, code: str, name: str) -> dict[str, Any]:
    return {
        "network": code,
        "network_name": name,
        "reference": s.reference,
        "collections": s.collections,
        "gross_centimes": s.gross_centimes,
        "reversals": s.reversals,
        "reversed_centimes": s.reversed_centimes,
        "late_collections": s.late_collections,
        "commission_centimes": s.commission_centimes,
        "net_centimes": s.net_centimes,
    }


def _totals(summary: dict[str, Any]) -> dict[str, Any]:
    totals: dict[str, Any] = {"hub_lines": 0, "hub_centimes": 0}
    totals["ledger_centimes"] = 0
    totals["outcomes"] = {}
    for figures in summary.values():
        for name in ("hub_lines", "hub_centimes", "ledger_centimes"):
            totals[name] += figures[name]
        for kind, row in figures["outcomes"].items():
            into = totals["outcomes"].setdefault(kind, dict.fromkeys(row, 0))
            for k, v in row.items():
                into[k] += v
    return totals


def _exception(e: ExceptionView) -> dict[str, Any]:
    out = asdict(e)
    out["business_date"] = e.business_date.isoformat()
    out["worked_at"] = e.worked_at.isoformat() if e.worked_at else None
    for action in out["actions"]:
        action["at"] = action["at"].isoformat()
    out.update(work_context(e))
    return out


def work_context(e: ExceptionView) -> dict[str, Any]:
    """What a person needs to work the exception, read out of its detail: the offices, the
    value dates, the references the ledger quoted (also one the hub never issued), each
    ledger file and line, each bank transaction. Runs recorded before the file was kept
    have an empty one."""
    hub = e.detail.get("hub", [])
    ledger = e.detail.get("ledger", [])
    credits = e.detail.get("credits", [])
    dates = {entry["value_date"] for entry in ledger}
    dates |= {c["value_date"] for c in credits if c.get("value_date")}
    return {
        "offices": sorted({h["office"] for h in hub if h.get("office")}),
        "value_dates": sorted(dates),
        "quoted_references": sorted({entry["reference"] for entry in ledger if entry["reference"]}),
        "ledger_lines": [
            {"file": entry.get("file", ""), "line": entry["line"], "entry_id": entry["entry_id"]}
            for entry in ledger
        ],
        "bank_entries": [
            {"bank_reference": c["bank_reference"], "booking_date": c["booking_date"]}
            for c in credits
        ],
    }


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def to_csv(report: dict[str, Any]) -> str:
    """One ``network_total`` line per network and a ``grand_total`` line, each with the hub,
    the ledger and the bank kept in their own columns; then one ``exception`` line per
    difference, with what it takes to find it in the ledger file or on the bank statement.
    Column names and codes are the JSON's, for tools; amounts are integer centimes. Every
    cell is formula-safe (``agent_api.csv_safety``): a comment or a ledger entry id sent as
    ``=HYPERLINK(…)`` reaches the spreadsheet as text."""
    buffer = io.StringIO()
    write_csv(buffer, CSV_COLUMNS, csv_rows(report))
    return buffer.getvalue()


def csv_rows(report: dict[str, Any]) -> list[dict[str, object]]:
    """The CSV's rows (``CSV_COLUMNS``), typed: the back office writes them as XLSX too."""
    common = {"business_date": report["business_date"], "version": report["version"]}
    rows: list[dict[str, object]] = [
        {
            **common,
            "line": "network_total",
            "network": network,
            "settlement_reference": figures.get("settlement_reference") or "",
            **report["balances"][network],
        }
        for network, figures in sorted(report["networks"].items())
    ]
    # A network's own report totals that network alone, and says so.
    rows.append(
        {**common, "line": "grand_total", "network": report["network"], **report["grand_total"]}
    )
    rows += [{**common, **_exception_row(e)} for e in report["exceptions"]]
    return rows


def _exception_row(e: dict[str, Any]) -> dict[str, object]:
    bank = e["source"] == "bank"
    amounts = (
        {
            "net_due_centimes": e["hub_centimes"],
            "received_centimes": e["other_centimes"],
            "received_minus_net_due_centimes": e["difference_centimes"],
        }
        if bank
        else {
            "hub_centimes": e["hub_centimes"],
            "ledger_centimes": e["other_centimes"],
            "ledger_minus_hub_centimes": e["difference_centimes"],
        }
    )
    return {
        **amounts,
        "line": "exception",
        "network": e["network"],
        "settlement_reference": " ".join(e["hub_references"]) if bank else "",
        "exception_id": e["id"],
        "source": e["source"],
        "kind": e["kind"],
        "status": e["status"],
        "registration_number": e["registration_number"],
        "offices": " ".join(e["offices"]),
        "value_dates": " ".join(e["value_dates"]),
        "hub_references": "" if bank else " ".join(e["hub_references"]),
        "quoted_references": " ".join(e["quoted_references"]),
        "entry_ids": " ".join(e["entry_ids"]),
        "ledger_lines": " ".join(f"{x['file']}:{x['line']}" for x in e["ledger_lines"]),
        "bank_entries": " ".join(
            f"{x['bank_reference']}@{x['booking_date']}" for x in e["bank_entries"]
        ),
        "reason_code": e["reason_code"],
        "comment": e["comment"],
    }


def render(report: dict[str, Any], fmt: str, lang: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
    """The report in ``fmt`` with its media type; the HTML page in ``lang``."""
    if fmt == "json":
        return to_json(report), "application/json"
    if fmt == "csv":
        return to_csv(report), "text/csv; charset=utf-8"
    return to_html(report, lang), "text/html; charset=utf-8"


def write_reports(
    report: dict[str, Any], directory: Path, stem: str, lang: str = DEFAULT_LANGUAGE
) -> list[Path]:
    """The report in every format, as ``<stem>.json|csv|html`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in FORMATS:
        text, _ = render(report, fmt, lang)
        path = directory / f"{stem}.{fmt}"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
