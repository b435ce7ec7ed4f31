"""Today's receipts at this counter, for the list to reprint from (the browser's screen and
``qurb-terminal receipts today`` / ``reprint``).

The journal is read from the outbox, which already keeps every write this terminal signed,
durably, with the service's answer: a delivered write carries its receipt, a queued payment
is a provisional ticket numbered ``#seq`` until the queue drains, then the same entry holds
the final receipt. Nothing is stored twice, so the list can never disagree with what was
sent; a write the service refused left the outbox and is not in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from terminal_client.api import signed_document
from terminal_client.outbox import Item, Outbox
from terminal_client.receipts import decode_unverified

CASABLANCA = ZoneInfo("Africa/Casablanca")  # the counter's day is Morocco's day
PAYMENT_PATH = "/v1/contributions"


@dataclass(frozen=True)
class Entry:
    """One ticket of the day: ``seq`` is the outbox number (``#12`` on a provisional
    ticket); ``number`` and ``jws`` are the receipt's once the service gave it."""

    seq: int
    kind: str
    signed_at: datetime
    registration_number: str | None
    amount_centimes: int | None
    number: str | None
    jws: str | None

    @property
    def provisional(self) -> bool:
        return self.jws is None

    @property
    def reference(self) -> str:
        """What the operator reads on the ticket: its receipt number, else ``#seq``."""
        return self.number or f"#{self.seq}"


def day_start(day: date) -> int:
    """Midnight in Casablanca of ``day``, as epoch seconds (the outbox's clock)."""
    return int(datetime.combine(day, time(0), CASABLANCA).timestamp())


def today(outbox: Outbox, *, now: datetime | None = None) -> list[Entry]:
    """The day's tickets, newest first: delivered receipts and queued payments."""
    moment = now or datetime.now(UTC)
    day = moment.astimezone(CASABLANCA).date()
    end = day_start(day + timedelta(days=1))
    entries = [_entry(item) for item in outbox.since(day_start(day)) if item.created < end]
    return [e for e in reversed(entries) if e is not None]


def find(outbox: Outbox, reference: str, *, now: datetime | None = None) -> Entry | None:
    """Today's ticket named ``R-…`` (its receipt number) or ``#12`` (its outbox number)."""
    wanted = reference.strip()
    for entry in today(outbox, now=now):
        if wanted in (entry.number, f"#{entry.seq}", str(entry.seq)):
            return entry
    return None


def entry_of(outbox: Outbox, seq: int) -> Entry | None:
    """The ticket of write ``seq`` whatever its day (a provisional ticket's own page)."""
    item = outbox.find(seq)
    return None if item is None else _entry(item)


def claims_of(entry: Entry) -> dict[str, Any]:
    """The receipt's claims for the ticket layout (unverified: display only)."""
    return decode_unverified(entry.jws) if entry.jws else {}


def _body(item: Item) -> dict[str, Any]:
    try:
        body = json.loads(item.body) if item.body else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _receipt(item: Item) -> tuple[str, str] | None:
    receipt = signed_document(item.response)
    if receipt is not None and isinstance(receipt.get("receipt"), str):
        return str(receipt.get("number") or ""), str(receipt["receipt"])
    return None


def _entry(item: Item) -> Entry | None:
    signed_at = datetime.fromtimestamp(item.created, UTC)
    payment = item.method == "POST" and item.path == PAYMENT_PATH
    if item.state == "pending":
        if not payment:
            return None  # only a payment has a provisional ticket to hand over
        body = _body(item)
        amount = body.get("amount_centimes")
        return Entry(
            seq=item.seq,
            kind="collection",
            signed_at=signed_at,
            registration_number=str(body.get("registration_number") or "") or None,
            amount_centimes=amount if isinstance(amount, int) else None,
            number=None,
            jws=None,
        )
    receipt = _receipt(item) if item.state == "done" else None
    if receipt is None:
        return None
    number, jws = receipt
    claims = decode_unverified(jws)
    amount = claims.get("amount_centimes")
    return Entry(
        seq=item.seq,
        kind=str(claims.get("kind") or ("collection" if payment else "receipt")),
        signed_at=signed_at,
        registration_number=str(claims.get("registration_number") or "") or None,
        amount_centimes=amount if isinstance(amount, int) else None,
        number=number or str(claims.get("receipt_number") or "") or None,
        jws=jws,
    )
