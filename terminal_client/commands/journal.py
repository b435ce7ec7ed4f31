"""Today's tickets at this counter (``receipts today``) and reprinting one (``reprint``),
read from the same journal as the counter's browser screen (terminal_client/journal.py).
Both work with the network down: the journal is this terminal's own."""

from __future__ import annotations

import argparse
from typing import Any, Literal

from terminal_client import journal
from terminal_client.api import Terminal
from terminal_client.commands.context import (
    CASABLANCA,
    Context,
    Explained,
    need_activation,
    provisional_claims,
)
from terminal_client.commands.records import qr_of
from terminal_client.drawer import render_close_report
from terminal_client.money import format_mad
from terminal_client.outbox import Item
from terminal_client.printing import qr_text
from terminal_client.ticket import render_ticket

BAD_INPUT = 2  # docs/terminal.md: what was typed names nothing


def receipts_today(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_activation(ctx)
    entries = journal.today(terminal.outbox)
    if not entries:
        ctx.say(ctx._("No ticket today on this terminal."))
    for entry in entries:
        at = entry.signed_at.astimezone(CASABLANCA).strftime("%H:%M")
        amount = format_mad(entry.amount_centimes) if entry.amount_centimes else ""
        state = ctx._("provisional") if entry.provisional else ""
        ctx.say(
            f"{at}  {entry.reference:<22} {entry.registration_number or '':<11}"
            f" {amount:>14}  {state}".rstrip()
        )
    return 0


def reprint(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_activation(ctx)
    entry = journal.find(terminal.outbox, args.number)
    if entry is None:
        text = ctx._("No ticket {number} today on this terminal: see receipts today.")
        raise Explained(text.format(number=args.number), BAD_INPUT)
    ctx.say(ticket_text(ctx, terminal, entry, args.width))
    if entry.jws is not None:
        ctx.say(qr_text(qr_of(ctx, entry.jws)))
    return 0


def ticket_text(ctx: Context, terminal: Terminal, entry: journal.Entry, width: int) -> str:
    """The ticket's text as printed: the receipt's, or the provisional ticket of a write
    still queued (its number is ``#seq``), the same ``pay`` printed."""
    shown: Literal[58, 80] = 80 if width == 80 else 58
    if entry.jws is not None:
        claims = journal.claims_of(entry)
        if claims.get("kind") == "drawer_close":  # the close's signed report
            return render_close_report(claims, width=shown, lang=ctx.lang)
        if claims.get("kind") == "deposit":
            claims = _with_answered_warnings(claims, terminal.outbox.find(entry.seq))
        return render_ticket(claims, width=shown, lang=ctx.lang)
    claims = provisional_claims(ctx, terminal.outbox.get(entry.seq)) or {}
    return render_ticket(claims, width=shown, lang=ctx.lang, provisional=True)


def _with_answered_warnings(claims: dict[str, Any], item: Item | None) -> dict[str, Any]:
    """A slip's warnings as the hub answered them, with the month each names (the signed
    slip keeps the codes only), so a reprint says what the first print said."""
    answer = item.response if item is not None else None
    warnings = answer.get("warnings") if isinstance(answer, dict) else None
    return {**claims, "warnings": warnings} if isinstance(warnings, list) and warnings else claims
