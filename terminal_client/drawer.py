"""Closing the cash drawer, for every front of the counter (the command line today, the
browser counter app later): reading a count, sending the close, and the close report as a
ticket.

A close needs the hub's figure of what the drawer should hold, so it is never queued: with
writes still waiting in the outbox (money the hub has not counted yet) or the hub out of
reach, ``close_drawer`` refuses and nothing is sent (docs/drawer.md).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from terminal_client.api import Terminal
from terminal_client.i18n import N_, translator
from terminal_client.money import AmountError, format_mad, parse_mad
from terminal_client.ticket import HEADER, LINE_WIDTH

__all__ = [
    "COINS_CENTIMES",
    "DENOMINATIONS_CENTIMES",
    "NOTES_CENTIMES",
    "CountError",
    "OutboxNotEmpty",
    "close_drawer",
    "denomination_of",
    "quantity_of",
    "render_close_report",
]

CLOSE_PATH = "/v1/drawer-closes"
CASABLANCA = ZoneInfo("Africa/Casablanca")
# The dirham's notes and coins in circulation, as the hub knows them (agent_api.domain.cash;
# a test holds the two lists equal: the terminal imports no server code).
NOTES_CENTIMES: tuple[int, ...] = (20_000, 10_000, 5_000, 2_000)
COINS_CENTIMES: tuple[int, ...] = (1_000, 500, 200, 100, 50, 20, 10, 5)
DENOMINATIONS_CENTIMES: tuple[int, ...] = NOTES_CENTIMES + COINS_CENTIMES
MAX_QUANTITY = 1_000_000


class CountError(ValueError):
    """A denomination or quantity the operator typed cannot be read; ``message_id`` is the
    English gettext id, so the front shows it in the operator's language."""

    def __init__(self, message_id: str) -> None:
        super().__init__(message_id)
        self.message_id = message_id


class OutboxNotEmpty(Exception):
    """Writes wait in the outbox: the hub cannot count them yet, so the drawer cannot close."""

    def __init__(self, waiting: int) -> None:
        super().__init__(f"{waiting} writes wait in the outbox")
        self.waiting = waiting


def denomination_of(text: str) -> int:
    """``"200"``, ``"0,50"`` or ``"0.5"`` (dirhams) → centimes of a known note or coin."""
    try:
        value = parse_mad(text)
    except AmountError as exc:
        raise CountError(exc.message_id) from None
    if value not in DENOMINATIONS_CENTIMES:
        raise CountError(N_("This is not a dirham note or coin in circulation."))
    return value


# Arabic keyboards type Arabic-Indic (U+0660…) or Eastern Arabic-Indic (U+06F0…) digits.
_DIGITS = str.maketrans(
    {**{chr(0x0660 + d): str(d) for d in range(10)}, **{chr(0x06F0 + d): str(d) for d in range(10)}}
)


def quantity_of(text: str) -> int:
    """How many: empty is none; a whole number from 0 up (in Western or Arabic digits)."""
    cleaned = text.translate(_DIGITS).strip()
    if not cleaned:
        return 0
    if not cleaned.isdigit() or not cleaned.isascii():
        raise CountError(N_("Type how many, as a whole number (0 if none)."))
    quantity = int(cleaned)
    if quantity > MAX_QUANTITY:
        raise CountError(N_("This quantity is too large."))
    return quantity


def counted_total(counts: Mapping[int, int]) -> int:
    return sum(value * quantity for value, quantity in counts.items())


@dataclass(frozen=True)
class Closed:
    """The hub's answer: the close's figures and its signed report."""

    body: dict[str, Any]
    seq: int = 0  # the close's write in the outbox: its report's ticket

    @property
    def number(self) -> str:
        return str(self.body["receipt"]["number"])

    @property
    def report(self) -> str:
        return str(self.body["receipt"]["receipt"])


def close_drawer(terminal: Terminal, counts: Mapping[int, int]) -> Closed:
    """Send the count (denomination in centimes → quantity) as this terminal's close.

    Raises ``OutboxNotEmpty`` with writes still queued (the caller sends them first),
    ``NetworkUnreachable`` when the hub cannot be reached (nothing is queued: a close
    without the hub's figure means nothing) and ``ServiceError`` for a refusal."""
    waiting = len(terminal.outbox.pending())
    if waiting:
        raise OutboxNotEmpty(waiting)
    body = {
        "counts": [
            {"denomination_centimes": value, "quantity": counts[value]}
            for value in DENOMINATIONS_CENTIMES
            if counts.get(value)
        ]
    }
    label = f"drawer close {format_mad(counted_total(counts))}"
    outcome = terminal.write("POST", CLOSE_PATH, body, label=label, queue_offline=False)
    if outcome.state == "refused":
        raise outcome.error()
    if outcome.state == "queued":
        # The hub answered "try again later" (a retry in flight): the close stays in the
        # outbox and its next delivery gets the one answer.
        raise OutboxNotEmpty(1)
    answer: dict[str, Any] = outcome.body
    return Closed(answer, outcome.seq)


# -- the report as a ticket -------------------------------------------------------------------
def _wrap(text: str, cols: int) -> list[str]:
    return textwrap.wrap(text, cols, break_on_hyphens=False) or [""]


def _centre(text: str, cols: int) -> list[str]:
    return [line.center(cols).rstrip() for line in _wrap(text, cols)]


def _pair(label: str, value: str, cols: int) -> list[str]:
    gap = cols - len(label) - len(value)
    if gap >= 2:  # two spaces at least keep the columns apart (printing._isolate_cells)
        return [label + " " * gap + value]
    return _wrap(label, cols) + [line.rjust(cols) for line in _wrap(value, cols)]


def _signed(centimes: int) -> str:
    return ("+" if centimes > 0 else "") + format_mad(centimes)


def _local_time(iso: str) -> str:
    """An instant in Casablanca to the minute (``06/12/2026 18:02``), as tickets show it."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the server writes UTC; be explicit about it
    return moment.astimezone(CASABLANCA).strftime("%d/%m/%Y %H:%M")


def _date(iso: str) -> str:
    parts = iso.split("-")
    return "/".join(reversed(parts)) if len(parts) == 3 else iso


def _lines(claims: Mapping[str, Any], _: Callable[[str], str]) -> Iterable[tuple[str, str] | None]:
    """The report's lines as (label, value) pairs; ``None`` is a rule."""
    yield _("Report"), str(claims.get("receipt_number", ""))
    yield _("Business date"), _date(str(claims.get("business_date", "")))
    yield None
    for line in claims.get("counts") or []:
        value, quantity = int(line["denomination_centimes"]), int(line["quantity"])
        yield f"{format_mad(value)} x {quantity}", format_mad(value * quantity)
    yield None
    yield _("Counted"), format_mad(int(claims.get("counted_centimes", 0)))
    collections = _("Collections ({count})").format(count=claims.get("collections", 0))
    yield collections, format_mad(int(claims.get("collected_centimes", 0)))
    reversals = _("Reversals ({count})").format(count=claims.get("reversals", 0))
    yield reversals, format_mad(-int(claims.get("reversed_centimes", 0)))
    yield _("Expected"), format_mad(int(claims.get("expected_centimes", 0)))
    yield _("Difference"), _signed(int(claims.get("difference_centimes", 0)))
    yield None
    for key, label in (
        ("network", N_("Network")),
        ("office", N_("Office")),
        ("terminal", N_("Terminal")),
        ("operator", N_("Operator")),
    ):
        if claims.get(key) not in (None, ""):
            yield _(label), str(claims[key])
    for key, label in (("signed_at", N_("Signed at")), ("recorded_at", N_("Recorded at"))):
        if isinstance(claims.get(key), str):
            yield _(label), _local_time(claims[key])
    if isinstance(claims.get("log_index"), int):
        yield _("Log entry"), str(claims["log_index"])
    elif isinstance(claims.get("log_entry"), str):
        yield _("Log entry"), str(claims["log_entry"])[:12]


def render_close_report(
    claims: Mapping[str, Any], *, width: Literal[58, 80] = 58, lang: str = "fr"
) -> str:
    """The signed close report as a ticket of 32 or 48 characters a line, in ``lang``:
    the count line by line, the hub's figures and the difference (``+`` over, ``-`` short)."""
    if width not in LINE_WIDTH:
        raise ValueError("tickets are 58 or 80 mm wide")
    cols, _ = LINE_WIDTH[width], translator(lang)
    out = [*_centre(HEADER, cols), "=" * cols, *_centre(_("Drawer close").upper(), cols)]
    out.append("-" * cols)
    for line in _lines(claims, _):
        out += ["-" * cols] if line is None else _pair(*line, cols)
    difference = int(claims.get("difference_centimes", 0))
    if difference:
        verdict = _("Cash over") if difference > 0 else _("Cash short")
        out += _centre(f"{verdict}: {format_mad(abs(difference))}", cols)
    out.append("=" * cols)
    out += _centre(_("Signed by CNSS: keep this report with the cash"), cols)
    return "\n".join(out) + "\n"
