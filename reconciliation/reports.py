"""Reports a finance team can send as they are: per network and for the whole day, in JSON,
CSV and a printable HTML page, with the settlement, the matching totals, the bank result and
the exception list; and the settlement statement itself as HTML.

Amounts are integer centimes in JSON and CSV (no rounding question for the reader's tools)
and ``1 234,56 MAD`` on the HTML page, as Moroccan finance writes them.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from agent_api.errors import NotFound
from agent_api.persistence.tables import Network
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from reconciliation.exceptions import ExceptionQueue, ExceptionView
from reconciliation.tables import ReconciliationRun, Settlement

FORMATS = ("json", "csv", "html")
CSV_COLUMNS = (
    "line",
    "business_date",
    "version",
    "network",
    "exception_id",
    "source",
    "kind",
    "status",
    "hub_references",
    "entry_ids",
    "registration_number",
    "hub_centimes",
    "other_centimes",
    "difference_centimes",
    "reason_code",
    "comment",
)


def mad(centimes: int) -> str:
    """``1234556`` → ``12 345,56 MAD`` (a narrow no-break space would not survive every
    mail client, so a no-break space)."""
    sign = "-" if centimes < 0 else ""
    units, cents = divmod(abs(centimes), 100)
    return f"{sign}{units:,}".replace(",", "\u00a0") + f",{cents:02d}\u00a0MAD"


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
            "exceptions": [_exception(e) for e in exceptions],
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
    return out


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def to_csv(report: dict[str, Any]) -> str:
    """One ``network_total`` line per network, then one ``exception`` line per difference."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    common = {"business_date": report["business_date"], "version": report["version"]}
    for network, figures in sorted(report["networks"].items()):
        differences = sum(r["difference_centimes"] for r in figures["outcomes"].values())
        writer.writerow(
            {
                **common,
                "line": "network_total",
                "network": network,
                "hub_references": figures.get("settlement_reference") or "",
                "hub_centimes": figures["hub_centimes"],
                "other_centimes": figures["ledger_centimes"],
                "difference_centimes": differences,
            }
        )
    for e in report["exceptions"]:
        writer.writerow(
            {
                **common,
                "line": "exception",
                "network": e["network"] or "",
                "exception_id": e["id"],
                "source": e["source"],
                "kind": e["kind"],
                "status": e["status"],
                "hub_references": " ".join(e["hub_references"]),
                "entry_ids": " ".join(e["entry_ids"]),
                "registration_number": e["registration_number"] or "",
                "hub_centimes": e["hub_centimes"],
                "other_centimes": e["other_centimes"],
                "difference_centimes": e["difference_centimes"],
                "reason_code": e["reason_code"] or "",
                "comment": e["comment"] or "",
            }
        )
    return buffer.getvalue()


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#111}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #999;padding:.3em .6em}
td.n{text-align:right;white-space:nowrap}th{background:#eee}h1{font-size:1.4em}
.open{color:#a00;font-weight:bold}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _table(headers: list[str], rows: list[list[tuple[str, bool]]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=n' if num else ''}>{escape(v)}</td>" for v, num in r)
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(report: dict[str, Any]) -> str:
    scope = report["network"] or "all networks"
    title = f"Qurb reconciliation {report['business_date']} ({scope}), version {report['version']}"
    parts = [f"<h1>{escape(title)}</h1>"]
    if not report["current"]:
        parts.append("<p><strong>A later version of this day exists.</strong></p>")
    at, by = escape(report["reconciled_at"]), escape(report["reconciled_by"])
    parts.append(f"<p>Reconciled at {at} by {by}.</p>")
    parts.append("<h2>Settlements</h2>")
    parts.append(
        _table(
            ["Network", "Reference", "Collections", "Gross", "Reversed", "Commission", "Net due"],
            [
                [
                    (s["network"], False),
                    (s["reference"], False),
                    (str(s["collections"]), True),
                    (mad(s["gross_centimes"]), True),
                    (mad(s["reversed_centimes"]), True),
                    (mad(s["commission_centimes"]), True),
                    (mad(s["net_centimes"]), True),
                ]
                for s in report["settlements"]
            ],
        )
    )
    parts.append("<h2>Matching</h2>")
    rows = []
    for network, f in sorted(report["networks"].items()):
        for kind, r in sorted(f["outcomes"].items()):
            rows.append(
                [
                    (network, False),
                    (kind.replace("_", " "), False),
                    (str(r["count"]), True),
                    (mad(r["hub_centimes"]), True),
                    (mad(r["other_centimes"]), True),
                    (mad(r["difference_centimes"]), True),
                ]
            )
    parts.append(
        _table(["Network", "Outcome", "Count", "Hub", "Ledger / bank", "Difference"], rows)
    )
    parts.append(f"<h2>Exceptions ({len(report['exceptions'])})</h2>")
    parts.append(
        _table(
            ["#", "Network", "Kind", "Status", "References", "Entries", "Difference", "Reason"],
            [
                [
                    (str(e["id"]), True),
                    (e["network"] or "?", False),
                    (e["kind"].replace("_", " "), False),
                    (e["status"].replace("_", " "), False),
                    (" ".join(e["hub_references"]), False),
                    (" ".join(e["entry_ids"]), False),
                    (mad(e["difference_centimes"]), True),
                    (" — ".join(filter(None, [e["reason_code"], e["comment"]])), False),
                ]
                for e in report["exceptions"]
            ],
        )
    )
    return _page(title, "".join(parts))


def render(report: dict[str, Any], fmt: str) -> tuple[str, str]:
    """The report in ``fmt`` with its media type."""
    if fmt == "json":
        return to_json(report), "application/json"
    if fmt == "csv":
        return to_csv(report), "text/csv; charset=utf-8"
    return to_html(report), "text/html; charset=utf-8"


def write_reports(report: dict[str, Any], directory: Path, stem: str) -> list[Path]:
    """The report in every format, as ``<stem>.json|csv|html`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in FORMATS:
        text, _ = render(report, fmt)
        path = directory / f"{stem}.{fmt}"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def statement_html(statement: dict[str, Any], jws: str) -> str:
    """The signed settlement statement, readable; the JWS is printed below it so the page
    itself carries what verifies it."""
    t = statement["totals"]
    title = f"Settlement statement {statement['reference']}"
    network = statement["network"]
    parts = [
        f"<h1>{escape(title)}</h1>",
        f"<p>Network {escape(network['name'])} ({escape(network['code'])}), business day "
        f"{escape(statement['business_date'])}. Quote the reference "
        f"<strong>{escape(statement['reference'])}</strong> on the transfer.</p>",
        _table(
            ["Collections", "Gross", "Reversals", "Reversed", "Commission", "Net due to CNSS"],
            [
                [
                    (str(t["collections"]), True),
                    (mad(t["gross_centimes"]), True),
                    (str(t["reversals"]), True),
                    (mad(t["reversed_centimes"]), True),
                    (mad(t["commission_centimes"]), True),
                    (mad(t["net_centimes"]), True),
                ]
            ],
        ),
        f"<p>Commission rule: {statement['commission_rule']['fixed_centimes']} centimes per "
        f"collection and {statement['commission_rule']['basis_points']} basis points, "
        f"{escape(statement['commission_rule']['rounding'])}. "
        f"Late collections included: {t['late_collections']}.</p>",
        "<h2>Per office</h2>",
        _table(
            ["Office", "Collections", "Gross", "Reversed", "Commission", "Net"],
            [
                [
                    (o["office"], False),
                    (str(o["collections"]), True),
                    (mad(o["gross_centimes"]), True),
                    (mad(o["reversed_centimes"]), True),
                    (mad(o["commission_centimes"]), True),
                    (mad(o["net_centimes"]), True),
                ]
                for o in statement["offices"]
            ],
        ),
        f"<p>Collections digest (SHA-256): <code>{escape(statement['collections_digest'])}</code>"
        f"<br>Settled at {escape(statement['settled_at'])}.</p>",
        "<h2>Signature</h2><p>Compact JWS (EdDSA), verifiable with the keys at "
        "<code>/v1/keys</code>:</p>",
        f'<pre style="white-space:pre-wrap;word-break:break-all">{escape(jws)}</pre>',
    ]
    return _page(title, "".join(parts))
