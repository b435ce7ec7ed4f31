"""A receipt as a thermal-printer ticket: plain text of 32 characters a line (58 mm paper)
or 48 (80 mm), the widths ESC/POS printers use with their default 12-dot font."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from terminal_client.deposits import CARE_KINDS, day_shown, warned_in_answer, warning_sentence
from terminal_client.i18n import N_, translator
from terminal_client.money import format_mad
from terminal_client.rights import rights_reason

__all__ = ["HEADER", "LINE_WIDTH", "qr_content", "render_ticket", "verification_link"]

HEADER = "CNSS — AMO TNS"
LINE_WIDTH: Mapping[int, int] = {58: 32, 80: 48}


# The hub's public verification page (qurb/verify), in capitals as the QR spells it.
VERIFY_PATH = "/V"


def verification_link(hub_url: str, compact: str) -> str:
    """What the ticket's QR holds: ``HTTPS://HOST/V#QC1:…``, the hub's verification page
    with the compact receipt in the fragment (a browser never sends it). Scheme and host are
    in capitals, which browsers read the same, so that all of it but the ``#`` stays in the
    QR's alphanumeric mode, 5.5 bits a character instead of 8."""
    parts = urlsplit(hub_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("the hub's address is not an http(s) URL")
    return f"{parts.scheme}://{parts.netloc}".upper() + VERIFY_PATH + "#" + compact


def qr_content(jws: str, compact: str | None, hub_url: str | None) -> str:
    """The verification link when the receipt's compact form is at hand, else its JWS (a
    receipt kept before the hub issued compact forms): either verifies offline."""
    if compact and hub_url:
        return verification_link(hub_url, compact)
    return jws


_KINDS = {
    "enrollment": N_("Enrollment"),
    "collection": N_("Collection"),
    "reversal": N_("Reversal"),
    "certificate": N_("Certificate"),
    "deposit": N_("Deposit slip"),
    "deposit_cancel": N_("Deposit cancelled"),
}
_CERTIFICATES = {"rights": N_("Rights certificate"), "payments": N_("Payment certificate")}
_MONTH_KINDS = {"due": N_("Contribution"), "surcharge": N_("Late surcharge")}
_RIGHTS = {"open": N_("open"), "suspended": N_("suspended"), "waiting": N_("waiting")}
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def _casablanca() -> ZoneInfo | None:
    try:
        return ZoneInfo("Africa/Casablanca")
    except ZoneInfoNotFoundError:  # Windows without the tzdata package
        return None


def _local_time(iso: str) -> str:
    """``2026-11-22T13:05:00+00:00`` → ``22/11/2026 14:05`` in Casablanca (Morocco's clocks
    follow UTC+1 but fall back to UTC during Ramadan, so no fixed offset will do)."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the server writes UTC; be explicit about it
    zone = _casablanca()
    if zone is None:
        return moment.astimezone(UTC).strftime("%d/%m/%Y %H:%M UTC")
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def _month(value: object) -> str:
    match = _MONTH.fullmatch(str(value))
    return f"{match[2]}/{match[1]}" if match else str(value)


def _wrap(text: str, cols: int) -> list[str]:
    return textwrap.wrap(text, cols, break_on_hyphens=False) or [""]


def _centre(text: str, cols: int) -> list[str]:
    return [line.center(cols).rstrip() for line in _wrap(text, cols)]


def _pair(label: str, value: str, cols: int) -> list[str]:
    """``label`` left, ``value`` right on one line, or on two when they do not fit."""
    gap = cols - len(label) - len(value)
    if gap >= 2:  # two spaces at least, so the columns stay apart (see _isolate_cells)
        return [label + " " * gap + value]
    return _wrap(label, cols) + [line.rjust(cols) for line in _wrap(value, cols)]


def _text(value: object, _: Callable[[str], str]) -> str:
    return str(value)


def _month_of(value: object, _: Callable[[str], str]) -> str:
    return _month(value)


def _rights(value: object, _: Callable[[str], str]) -> str:
    return _(_RIGHTS[str(value)]) if str(value) in _RIGHTS else str(value)


def _amount(value: object, _: Callable[[str], str]) -> str:
    return format_mad(value) if isinstance(value, int) else str(value)


def _care(value: object, _: Callable[[str], str]) -> str:
    return _(CARE_KINDS[str(value)]) if str(value) in CARE_KINDS else str(value)


def _day(value: object, _: Callable[[str], str]) -> str:
    return day_shown(str(value))


_BENEFICIARIES = {"worker": N_("The insured worker"), "dependent": N_("A dependent")}


def _beneficiary(value: object, _: Callable[[str], str]) -> str:
    return _(_BENEFICIARIES[str(value)]) if str(value) in _BENEFICIARIES else str(value)


# The receipt's own lines in print order: claim, label, how to show its value.
_DETAILS: tuple[tuple[str, str, Callable[[object, Callable[[str], str]], str]], ...] = (
    ("receipt_number", N_("Receipt"), _text),
    ("deposit_number", N_("Deposit number"), _text),
    ("cancels", N_("Cancels slip"), _text),
    ("registration_number", N_("Registration number"), _text),
    ("beneficiary", N_("Beneficiary"), _beneficiary),
    ("dependent_id", N_("Dependent no."), _text),
    ("care_kind", N_("Care"), _care),
    ("care_from", N_("Care from"), _day),
    ("care_to", N_("Care to"), _day),
    ("amount_spent_centimes", N_("Amount spent"), _amount),
    ("documents", N_("Documents in the envelope"), _text),
    ("deadline", N_("Deposit deadline"), _day),
    ("name", N_("Name"), _text),
    ("amount_centimes", N_("Amount"), _amount),
    ("reverses", N_("Reverses receipt"), _text),
    ("approved_by", N_("Approved by"), _text),
    ("category", N_("Category"), _text),
    ("bracket", N_("Bracket"), _text),
    ("coverage_start", N_("Coverage starts"), _month_of),
    ("status", N_("Rights"), _rights),
    ("covered_through", N_("Covered through"), _month_of),
    ("reason", N_("Reason"), _text),
    ("as_of", N_("As of"), _month_of),
)


def _body(claims: Mapping[str, Any], _: Callable[[str], str]) -> list[tuple[str, str]]:
    values = dict(claims)
    if values.get("kind") == "reversal" and isinstance(values.get("amount_centimes"), int):
        values["amount_centimes"] = -values["amount_centimes"]  # money going back out
    if values.get("certificate") == "rights":
        # The signed ``reason`` is the service's English; the worker reads the rule it names.
        values["reason"] = rights_reason(values, _)
    return [
        (_(label), show(values[key], _))
        for key, label, show in _DETAILS
        if values.get(key) not in (None, "")
    ]


def _months(months: Sequence[Mapping[str, Any]], _: Callable[[str], str]) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for item in months:
        month = _month(item.get("month", ""))
        if "amount_centimes" in item:  # a collection's allocation
            kind = str(item.get("kind", ""))
            label = _(_MONTH_KINDS[kind]) if kind in _MONTH_KINDS else kind
            lines.append((f"{month} {label}", format_mad(int(item["amount_centimes"]))))
        else:  # a payment certificate's month: what was due, what was paid
            lines.append((f"{month} {_('Due')}", format_mad(int(item.get("due_centimes", 0)))))
            lines.append((f"{month} {_('Paid')}", format_mad(int(item.get("paid_centimes", 0)))))
    return lines


def _where_and_when(claims: Mapping[str, Any], _: Callable[[str], str]) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for key, label in (
        ("network", N_("Network")),
        ("office", N_("Office")),
        ("terminal", N_("Terminal")),
        ("operator", N_("Operator")),
        ("business_date", N_("Business date")),
    ):
        if claims.get(key) not in (None, ""):
            value = str(claims[key])
            if key == "business_date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                value = "/".join(reversed(value.split("-")))
            lines.append((_(label), value))
    for key, label in (("signed_at", N_("Signed at")), ("recorded_at", N_("Recorded at"))):
        if isinstance(claims.get(key), str):
            lines.append((_(label), _local_time(claims[key])))
    if isinstance(claims.get("log_index"), int):
        lines.append((_("Log entry"), str(claims["log_index"])))
    elif isinstance(claims.get("log_entry"), str):
        # The first 12 hex digits: enough to tell entries apart on a ticket, short enough to
        # read aloud; the QR carries the whole receipt.
        lines.append((_("Log entry"), str(claims["log_entry"])[:12]))
    return lines


def _warnings(claims: Mapping[str, Any], cols: int, _: Callable[[str], str]) -> list[str]:
    """A deposit slip's warnings in full: the worker was told them and insisted."""
    items = claims.get("warnings")
    if claims.get("kind") != "deposit" or not isinstance(items, list) or not items:
        return []
    out = ["-" * cols, *_wrap(_("The worker was warned and insisted on depositing:"), cols)]
    for warned in warned_in_answer(items, claims.get("deadline")):
        out += _wrap("! " + warning_sentence(warned, _), cols)
    return out


def render_ticket(
    claims: Mapping[str, Any],
    *,
    width: Literal[58, 80] = 58,
    lang: str = "fr",
    provisional: bool = False,
) -> str:
    """The ticket as text, no line longer than the paper allows (32 or 48 characters).

    ``provisional`` is for a write queued offline: no receipt exists yet, so the ticket
    says so at both ends, and does not invite anyone to verify it.
    """
    if width not in LINE_WIDTH:
        raise ValueError("tickets are 58 or 80 mm wide")
    cols, _ = LINE_WIDTH[width], translator(lang)
    kind = str(claims.get("kind", ""))
    out = [*_centre(HEADER, cols), "=" * cols]
    out += _centre((_(_KINDS[kind]) if kind in _KINDS else kind).upper(), cols)
    certificate = str(claims.get("certificate", ""))
    if certificate in _CERTIFICATES:
        out += _centre(_(_CERTIFICATES[certificate]), cols)
    banner = ["*" * cols, *_centre(_("Provisional ticket — not yet confirmed by CNSS"), cols)]
    banner.append("*" * cols)
    if provisional:
        out += banner
    out.append("-" * cols)
    for label, value in _body(claims, _):
        out += _pair(label, value, cols)
    months = claims.get("months")
    if isinstance(months, list) and months:
        out.append("-" * cols)
        if kind == "collection":
            out += _wrap(_("Months credited"), cols)
        for label, value in _months(months, _):
            out += _pair(label, value, cols)
    out += _warnings(claims, cols, _)
    out.append("-" * cols)
    for label, value in _where_and_when(claims, _):
        out += _pair(label, value, cols)
    out.append("=" * cols)
    if provisional:
        out += banner
        out += _centre(_("Queued: will be sent when the network is back"), cols)
    else:
        out += _centre(_("Verify this receipt: scan the code"), cols)
    return "\n".join(out) + "\n"
