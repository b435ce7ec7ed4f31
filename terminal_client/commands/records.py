"""Receipts (show, print, verify offline) and the outbox.

A receipt is named by its number (``R-CASHPLUS-00000184``), a file holding its JWS, the JWS
itself, or the number printed on a provisional ticket (``#12``): the write this terminal
queued, which shows its provisional ticket while queued and its receipt once delivered.
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from terminal_client.api import ServiceError, segment
from terminal_client.commands.context import (
    CASABLANCA,
    BadInput,
    Context,
    Explained,
    need_activation,
    provisional_claims,
    report_synced,
    shown_label,
    sync_first,
)
from terminal_client.commands.printer import send_to_printer
from terminal_client.drawer import render_close_report
from terminal_client.i18n import N_
from terminal_client.outbox import Item, Outbox
from terminal_client.printing import qr_text, ticket_pdf, ticket_png
from terminal_client.receipts import decode_unverified
from terminal_client.receipts import verify_receipt as verify_jws
from terminal_client.ticket import qr_content, render_ticket

_QUEUED_NUMBER = re.compile(r"#\s*(\d{1,18})")
# Exit statuses (docs/terminal.md): what was typed names nothing; a write still queued.
BAD_INPUT, QUEUED = 2, 6


class StillQueued(Exception):
    """The write named by a provisional ticket's number has no receipt yet."""

    def __init__(self, item: Item) -> None:
        super().__init__(item.seq)
        self.item = item


def _receipt_in(answer: Any) -> str | None:
    receipt = answer.get("receipt") if isinstance(answer, dict) else None
    if isinstance(receipt, dict) and isinstance(receipt.get("receipt"), str):
        return str(receipt["receipt"])
    return None


def _receipt_of_write(ctx: Context, seq: int) -> str:
    """The JWS the service gave for this terminal's write ``#seq``; ``StillQueued`` while it
    waits in the outbox; the service's refusal, or a sentence, when there is no receipt."""
    terminal = ctx.terminal()
    item = terminal.outbox.find(seq)
    if item is not None and item.state == "pending" and ctx.home.session() is not None:
        sync_first(ctx, terminal)  # the network may be back: deliver it, print its receipt
        item = terminal.outbox.find(seq)
    if item is None:
        refused = terminal.outbox.refusal(seq)
        if refused is not None:
            label, status, answer = refused
            print(
                ctx._("Write #{number} was refused by the server:").format(number=seq),
                shown_label(ctx, label),
                file=ctx.err,
            )
            raise _refusal(status, answer)
        text = ctx._("No write #{number} on this terminal: check the number on the ticket.")
        raise Explained(text.format(number=seq), BAD_INPUT)
    if item.state == "pending":
        raise StillQueued(item)
    jws = _receipt_in(item.response)
    if jws is None:
        text = ctx._("Write #{number} ({label}) has no receipt.")
        raise Explained(text.format(number=seq, label=shown_label(ctx, item.label)), BAD_INPUT)
    return jws


def _refusal(status: int, answer: Any) -> ServiceError:
    error = answer.get("error", {}) if isinstance(answer, dict) else {}
    return ServiceError(
        status,
        str(error.get("code", "http_error")),
        str(error.get("message", f"HTTP {status}")),
        error.get("field"),
    )


def _resolve_receipt(ctx: Context, reference: str) -> str:
    if reference.count(".") == 2 and " " not in reference and len(reference) > 40:
        return reference
    queued = _QUEUED_NUMBER.fullmatch(reference.strip())
    if queued:
        return _receipt_of_write(ctx, int(queued[1]))
    path = Path(reference)
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    terminal = ctx.terminal()
    kept = terminal.outbox.receipt(reference)
    if kept is not None:
        return kept
    try:
        found = terminal.get(f"/v1/receipts/{segment(reference)}")
    except ServiceError as exc:
        if exc.code != "not_found":
            raise
        text = ctx._("No receipt {number} at CNSS: check the number on the ticket.")
        raise Explained(text.format(number=reference), BAD_INPUT) from None
    jws = str(found["receipt"])
    compact = found.get("compact")
    terminal.outbox.keep_receipt(reference, jws, str(found["kind"]), compact or None)
    return jws


def qr_of(ctx: Context, jws: str) -> str:
    """What the ticket's QR holds: the verification link when the receipt's compact form
    was kept with it, else the JWS itself."""
    number = decode_unverified(jws).get("receipt_number")
    compact = None
    if number and ctx.home.outbox_file.exists():
        # The outbox alone, not the terminal: its key (and passphrase) is not needed here.
        kept = Outbox(ctx.home.outbox_file)
        try:
            compact = kept.receipt_compact(str(number))
        finally:
            kept.close()
    return qr_content(jws, compact, ctx.public_url())


def _say_still_queued(ctx: Context, item: Item, width: int) -> int:
    claims = provisional_claims(ctx, item)
    if claims is not None:
        ctx.say(render_ticket(claims, width=width, lang=ctx.lang, provisional=True))  # type: ignore[arg-type]
    else:
        ctx.say(f"#{item.seq} {shown_label(ctx, item.label)}")
    ctx.say(ctx._("Queued: will be sent when the network is back"))
    return QUEUED


def _ticket_of(claims: dict[str, Any], width: Literal[58, 80], lang: str) -> str:
    """A receipt's ticket; a drawer's close report as its own (terminal_client.drawer)."""
    if claims.get("kind") == "drawer_close":
        return render_close_report(claims, width=width, lang=lang)
    return render_ticket(claims, width=width, lang=lang)


def receipt_show(ctx: Context, args: argparse.Namespace) -> int:
    try:
        jws = _resolve_receipt(ctx, args.receipt)
    except StillQueued as queued:
        return _say_still_queued(ctx, queued.item, args.width)
    ctx.say(_ticket_of(decode_unverified(jws), args.width, ctx.lang))
    ctx.say(qr_text(qr_of(ctx, jws)))
    return 0


def receipt_print(ctx: Context, args: argparse.Namespace) -> int:
    if args.png is None and args.pdf is None and not args.printer:
        raise BadInput(N_("Say where to write it: --png FILE and/or --pdf FILE, or --printer."))
    try:
        jws = _resolve_receipt(ctx, args.receipt)
    except StillQueued as queued:
        ctx.say(ctx._("No receipt yet: print it once the write is sent."))
        return _say_still_queued(ctx, queued.item, args.width)
    text = _ticket_of(decode_unverified(jws), args.width, ctx.lang)
    for path, write in ((args.png, ticket_png), (args.pdf, ticket_pdf)):
        if path is None:
            continue
        try:
            write(text, qr_of(ctx, jws), path, width=args.width)
        except OSError as exc:
            message = ctx._("Cannot write {path}: {reason}")
            raise Explained(
                message.format(path=path, reason=exc.strerror or exc), BAD_INPUT
            ) from None
        ctx.say(str(path))
    if args.printer:
        send_to_printer(ctx, text, qr_of(ctx, jws), args.width)
    return 0


def receipt_verify(ctx: Context, args: argparse.Namespace) -> int:
    try:
        jws = _resolve_receipt(ctx, args.receipt)
    except StillQueued as queued:
        ctx.say(ctx._("No receipt yet: verify it once the write is sent."))
        return _say_still_queued(ctx, queued.item, args.width)
    claims = verify_jws(jws, ctx.home.server_keys())
    ctx.say(ctx._("Receipt verified: signature valid"))
    ctx.say(render_ticket(claims, width=args.width, lang=ctx.lang))
    return 0


def outbox_list(ctx: Context, args: argparse.Namespace) -> int:
    terminal = ctx.terminal()
    pending = terminal.outbox.pending()
    if not pending:
        ctx.say(ctx._("Nothing queued"))
    for item in pending:
        signed = datetime.fromtimestamp(item.created, CASABLANCA).strftime("%d/%m/%Y %H:%M")
        signature = ctx._("offline") if item.offline else ctx._("online")
        ctx.say(f"#{item.seq:<6} {signed}  {signature:<10} {shown_label(ctx, item.label)}")
    return 0


def outbox_sync(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_activation(ctx)
    outcomes = terminal.sync()
    if not outcomes:
        ctx.say(ctx._("Nothing queued"))
    for outcome in outcomes:
        report_synced(ctx, outcome)
    return 6 if any(o.state == "queued" for o in outcomes) else 0
