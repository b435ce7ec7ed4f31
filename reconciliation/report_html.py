"""The printable pages finance reads: a day's reconciliation report and a settlement statement,
in French (the default) or Arabic (right to left), every word from
``reconciliation.report_labels``.

The report puts first what a person checks first: per network and in total, the hub against
the ledger and the net due against what the bank received, each difference in its own column
and its sign stated. Ledger lines and bank transfers have their own tables, and every
exception carries what it takes to work it (registration number, office, value date, the
ledger file and line or the bank entry). Times are Africa/Casablanca to the minute; amounts
``1 234,56 MAD``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import partial
from html import escape
from typing import Any

from agent_api.clock import CASABLANCA
from reconciliation.report_labels import CATALOGS, DEFAULT_LANGUAGE, text

Cell = tuple[str, bool]  # (HTML, numeric)
KEYS_ADDRESS = "<code><bdi>/v1/keys</bdi></code>"  # where the statement's key is published

# The page's one inline style and nothing else inline (no style attribute, no script): the
# server's Content-Security-Policy allows exactly this text by its hash (qurb/finance.py).
PAGE_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#111;font-size:15px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;max-width:100%}
th,td{border:1px solid #999;padding:.3em .5em;vertical-align:top;text-align:start}
th{background:#eee}tfoot td{font-weight:bold;background:#f6f6f6}
td.n{text-align:end;white-space:nowrap;overflow-wrap:normal;direction:ltr;unicode-bidi:isolate}
.w{overflow-wrap:anywhere}table.x{font-size:13px}
pre{white-space:pre-wrap;word-break:break-all}.note{color:#333;max-width:60em}
.warn{color:#a00;font-weight:bold}
"""


def mad(centimes: int) -> str:
    """``1234556`` → ``12 345,56 MAD`` (a narrow no-break space would not survive every
    mail client, so a no-break space)."""
    sign = "-" if centimes < 0 else ""
    units, cents = divmod(abs(centimes), 100)
    return f"{sign}{units:,}".replace(",", "\u00a0") + f",{cents:02d}\u00a0MAD"


def day_label(iso: str) -> str:
    """``2026-11-20`` → ``20/11/2026``, as dates are written in Morocco."""
    return f"{date.fromisoformat(iso):%d/%m/%Y}"


def local_minute(instant: str) -> tuple[str, str]:
    """An ISO instant → its Africa/Casablanca date and time to the minute."""
    local = datetime.fromisoformat(instant).astimezone(CASABLANCA)
    return f"{local:%d/%m/%Y}", f"{local:%H:%M}"


def _markup(lang: str, key: str, **html: str) -> str:
    """A label whose placeholders take HTML (already escaped by the caller)."""
    return escape(CATALOGS[lang][key]).format(**html)


def _code(value: str) -> str:
    """A reference, file name or number, kept left to right inside an Arabic sentence."""
    return f"<bdi>{escape(value)}</bdi>" if value else ""


def _wrap(html: str) -> str:
    """Long file names and bank references may break anywhere, so the table fits the page."""
    return f'<span class="w">{html}</span>' if html else ""


def _codes(values: Sequence[str]) -> str:
    return " ".join(_code(v) for v in values)


def _money(centimes: int) -> Cell:
    return escape(mad(centimes)), True


def _count(n: int) -> Cell:
    return str(n), True


def _text(value: str) -> Cell:
    return escape(value), False


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    foot: Sequence[Cell] = (),
    *,
    wide: bool = False,
) -> str:
    def row(cells: Sequence[Cell]) -> str:
        return (
            "<tr>" + "".join(f"<td{' class=n' if n else ''}>{v}</td>" for v, n in cells) + "</tr>"
        )

    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(row(r) for r in rows)
    tail = f"<tfoot>{row(foot)}</tfoot>" if foot else ""
    opening = '<table class="x">' if wide else "<table>"
    return f"{opening}<thead><tr>{head}</tr></thead><tbody>{body}</tbody>{tail}</table>"


def _page(lang: str, title: str, body: str) -> str:
    direction = "rtl" if lang == "ar" else "ltr"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{PAGE_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def to_html(report: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> str:
    t = partial(text, lang)
    scope = (
        t("report.scope_network", network=report["network"])
        if report["network"]
        else t("report.scope_all")
    )
    day = day_label(report["business_date"])
    title = t("report.title", day=day, scope=scope, version=report["version"])
    parts = [f"<h1>{escape(title)}</h1>"]
    if not report["current"]:
        parts.append(f'<p class="warn">{escape(t("report.superseded"))}</p>')
    on, at = local_minute(report["reconciled_at"])
    by = _code(report["reconciled_by"])
    reconciled = _markup(lang, "report.reconciled", date=_code(on), time=_code(at), by=by)
    parts.append(f"<p>{reconciled}</p>")
    parts.append(f'<p class="note">{escape(t("report.sign"))}</p>')
    parts.append(f'<p class="note">{escape(t("report.amounts"))}</p>')
    parts += _balances(report, lang)
    parts += _settlements(report, lang)
    parts += _ledger(report, lang)
    parts += _bank(report, lang)
    parts += _ledger_exceptions(report, lang)
    parts += _bank_exceptions(report, lang)
    return _page(lang, title, "".join(parts))


def _network(code: str, lang: str) -> str:
    return text(lang, "unknown") if code.startswith("(") else code


def _balances(report: dict[str, Any], lang: str) -> list[str]:
    t = partial(text, lang)
    open_by_network: dict[str, int] = {}
    for e in report["exceptions"]:
        if e["status"] == "open":
            key = e["network"] or "(unknown)"
            open_by_network[key] = open_by_network.get(key, 0) + 1

    def figures(b: dict[str, int]) -> list[Cell]:
        return [
            _money(b["hub_centimes"]),
            _money(b["ledger_centimes"]),
            _money(b["ledger_minus_hub_centimes"]),
            _money(b["net_due_centimes"]),
            _money(b["received_centimes"]),
            _money(b["received_minus_net_due_centimes"]),
        ]

    rows = [
        [_text(_network(code, lang)), *figures(b), _count(open_by_network.get(code, 0))]
        for code, b in sorted(report["balances"].items())
    ]
    foot = [
        _text(t("total")),
        *figures(report["grand_total"]),
        _count(sum(open_by_network.values())),
    ]
    headers = [
        t("col.network"),
        t("col.hub"),
        t("col.ledger"),
        t("col.ledger_minus_hub"),
        t("col.net_due"),
        t("col.received"),
        t("col.received_minus_net_due"),
        t("col.open"),
    ]
    return [f"<h2>{escape(t('section.balance'))}</h2>", _table(headers, rows, foot)]


def _settlements(report: dict[str, Any], lang: str) -> list[str]:
    t = partial(text, lang)
    rows = [
        [
            _text(s["network"]),
            (_code(s["reference"]), False),
            _count(s["collections"]),
            _money(s["gross_centimes"]),
            _count(s["reversals"]),
            _money(s["reversed_centimes"]),
            _money(s["commission_centimes"]),
            _money(s["net_centimes"]),
        ]
        for s in report["settlements"]
    ]
    headers = [
        t("col.network"),
        t("col.reference"),
        t("col.collections"),
        t("col.gross"),
        t("col.reversals"),
        t("col.reversed"),
        t("col.commission"),
        t("col.net_due"),
    ]
    return [f"<h2>{escape(t('section.settlements'))}</h2>", _table(headers, rows)]


def _ledger(report: dict[str, Any], lang: str) -> list[str]:
    t = partial(text, lang)
    rows = [
        [
            _text(_network(network, lang)),
            _text(t(f"ledger.{kind}")),
            _count(r["count"]),
            _money(r["hub_centimes"]),
            _money(r["other_centimes"]),
            _money(r["difference_centimes"]),
        ]
        for network, f in sorted(report["networks"].items())
        for kind, r in sorted(f["outcomes"].items())
        if not kind.startswith("bank_")
    ]
    headers = [
        t("col.network"),
        t("col.outcome"),
        t("col.findings"),
        t("col.hub"),
        t("col.ledger"),
        t("col.ledger_minus_hub"),
    ]
    return [f"<h2>{escape(t('section.ledger'))}</h2>", _table(headers, rows)]


def _bank(report: dict[str, Any], lang: str) -> list[str]:
    t = partial(text, lang)
    rows = []
    for network, f in sorted(report["networks"].items()):
        for kind, r in sorted(f["outcomes"].items()):
            if not kind.startswith("bank_"):
                continue
            outcome = kind.removeprefix("bank_")
            reference = "" if outcome == "unexpected" else f.get("settlement_reference") or ""
            rows.append(
                [
                    _text(_network(network, lang)),
                    (_code(reference), False),
                    _text(t(f"bank.{outcome}")),
                    _count(r["count"]),
                    _money(r["hub_centimes"]),
                    _money(r["other_centimes"]),
                    _money(r["difference_centimes"]),
                ]
            )
    headers = [
        t("col.network"),
        t("col.reference"),
        t("col.outcome"),
        t("col.findings"),
        t("col.net_due"),
        t("col.received"),
        t("col.received_minus_net_due"),
    ]
    return [f"<h2>{escape(t('section.bank'))}</h2>", _table(headers, rows)]


def _status(e: dict[str, Any], lang: str) -> Cell:
    status = text(lang, f"status.{e['status']}")
    if e["worked_at"] is None:
        return _text(status)
    on, at = local_minute(e["worked_at"])
    return _text(text(lang, "worked", status=status, date=on, time=at, by=e["worked_by"] or ""))


def _reason(e: dict[str, Any], lang: str) -> Cell:
    code = e["reason_code"]
    parts = [text(lang, f"reason.{code}") if code else "", e["comment"] or ""]
    return _text(" — ".join(p for p in parts if p))


def _ledger_line(entry: dict[str, Any], lang: str) -> str:
    where = escape(text(lang, "line", line=entry["line"]))
    file = f"{_code(entry['file'])} : " if entry["file"] else ""
    return f"{file}{where} ({_code(entry['entry_id'])})"


def _ledger_exceptions(report: dict[str, Any], lang: str) -> list[str]:
    t = partial(text, lang)
    found = [e for e in report["exceptions"] if e["source"] == "ledger"]
    rows = [
        [
            _count(e["id"]),
            _text(e["network"] or t("unknown")),
            _text(t(f"ledger.{e['kind']}")),
            _status(e, lang),
            (_code(e["registration_number"] or ""), False),
            (_codes(e["offices"]), False),
            (_codes([day_label(d) for d in e["value_dates"]]), False),
            (_codes(e["hub_references"]), False),
            (_codes(e["quoted_references"]), False),
            (_wrap("<br>".join(_ledger_line(x, lang) for x in e["ledger_lines"])), False),
            _money(e["hub_centimes"]),
            _money(e["other_centimes"]),
            _money(e["difference_centimes"]),
            _reason(e, lang),
        ]
        for e in found
    ]
    headers = [
        t("col.id"),
        t("col.network"),
        t("col.kind"),
        t("col.status"),
        t("col.registration_number"),
        t("col.office"),
        t("col.value_date"),
        t("col.hub_receipt"),
        t("col.quoted_reference"),
        t("col.ledger_line"),
        t("col.hub"),
        t("col.ledger"),
        t("col.ledger_minus_hub"),
        t("col.reason"),
    ]
    heading = f"<h2>{escape(t('section.ledger_exceptions', count=len(found)))}</h2>"
    return [heading, _table(headers, rows, wide=True) if rows else f"<p>{escape(t('none'))}</p>"]


def _bank_exceptions(report: dict[str, Any], lang: str) -> list[str]:
    t = partial(text, lang)
    found = [e for e in report["exceptions"] if e["source"] == "bank"]
    rows = [
        [
            _count(e["id"]),
            _text(e["network"] or t("unknown")),
            _text(t(f"bank.{e['kind']}")),
            _status(e, lang),
            (_codes(e["hub_references"]), False),
            (
                _wrap(
                    "<br>".join(
                        f"{_code(x['bank_reference'])}, "
                        f"{escape(t('booked_on', date=day_label(x['booking_date'])))}"
                        for x in e["bank_entries"]
                    )
                ),
                False,
            ),
            _money(e["hub_centimes"]),
            _money(e["other_centimes"]),
            _money(e["difference_centimes"]),
            _reason(e, lang),
        ]
        for e in found
    ]
    headers = [
        t("col.id"),
        t("col.network"),
        t("col.kind"),
        t("col.status"),
        t("col.reference"),
        t("col.bank_entry"),
        t("col.net_due"),
        t("col.received"),
        t("col.received_minus_net_due"),
        t("col.reason"),
    ]
    heading = f"<h2>{escape(t('section.bank_exceptions', count=len(found)))}</h2>"
    return [heading, _table(headers, rows, wide=True) if rows else f"<p>{escape(t('none'))}</p>"]


def _file_fees(statement: dict[str, Any], lang: str) -> list[str]:
    """The line of a network paid per reimbursement file: files × fee = due to it. None for
    a network without a fee (or a statement signed before fees existed)."""
    fees = statement.get("file_fees") or {}
    if not fees.get("fee_centimes"):
        return []
    t = partial(text, lang)
    return [
        f"<h2>{escape(t('section.file_fees'))}</h2>",
        _table(
            [t("col.files_handled"), t("col.file_fee"), t("statement.file_fees_due")],
            [
                [
                    _count(fees["files_handled"]),
                    _money(fees["fee_centimes"]),
                    _money(fees["amount_centimes"]),
                ]
            ],
        ),
        f"<p>{escape(t('statement.file_fees'))}</p>",
    ]


def statement_html(statement: dict[str, Any], jws: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The signed settlement statement, readable; the JWS is printed below it so the page
    itself carries what verifies it."""
    t = partial(text, lang)
    totals = statement["totals"]
    rule = statement["commission_rule"]
    network = statement["network"]
    reference = statement["reference"]
    title = t("statement.title", reference=reference)
    intro = _markup(
        lang,
        "statement.intro",
        name=escape(network["name"]),
        code=_code(network["code"]),
        day=escape(day_label(statement["business_date"])),
        reference=f"<strong>{_code(reference)}</strong>",
    )
    on, at = local_minute(statement["settled_at"])
    parts = [
        f"<h1>{escape(title)}</h1>",
        f"<p>{intro}</p>",
        _table(
            [
                t("col.collections"),
                t("col.gross"),
                t("col.reversals"),
                t("col.reversed"),
                t("col.commission"),
                t("statement.net_due"),
            ],
            [
                [
                    _count(totals["collections"]),
                    _money(totals["gross_centimes"]),
                    _count(totals["reversals"]),
                    _money(totals["reversed_centimes"]),
                    _money(totals["commission_centimes"]),
                    _money(totals["net_centimes"]),
                ]
            ],
        ),
        f"<p>{escape(t('statement.rule', fixed=rule['fixed_centimes'], bps=rule['basis_points']))} "
        f"{escape(t('statement.late', count=totals['late_collections']))}</p>",
        *_file_fees(statement, lang),
        f"<h2>{escape(t('section.offices'))}</h2>",
        _table(
            [
                t("col.office"),
                t("col.collections"),
                t("col.gross"),
                t("col.reversed"),
                t("col.commission"),
                t("col.office_net"),
            ],
            [
                [
                    (_code(o["office"]), False),
                    _count(o["collections"]),
                    _money(o["gross_centimes"]),
                    _money(o["reversed_centimes"]),
                    _money(o["commission_centimes"]),
                    _money(o["net_centimes"]),
                ]
                for o in statement["offices"]
            ],
        ),
        f"<p>{escape(t('statement.digest'))} <code>{escape(statement['collections_digest'])}</code>"
        f"<br>{escape(t('statement.settled', date=on, time=at))}</p>",
        f"<h2>{escape(t('section.signature'))}</h2>",
        f"<p>{_markup(lang, 'statement.jws', keys=KEYS_ADDRESS)}</p>",
        f'<pre dir="ltr">{escape(jws)}</pre>',
    ]
    return _page(lang, title, "".join(parts))
