"""Receipts (show, print, verify offline) and the outbox."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from terminal_client.api import ServiceError
from terminal_client.commands.context import (
    BadInput,
    Context,
    need_activation,
    report_synced,
)
from terminal_client.printing import qr_png, qr_text, ticket_pdf
from terminal_client.receipts import decode_unverified
from terminal_client.receipts import verify_receipt as verify_jws
from terminal_client.ticket import render_ticket


def _resolve_receipt(ctx: Context, reference: str) -> str:
    if reference.count(".") == 2 and " " not in reference and len(reference) > 40:
        return reference
    path = Path(reference)
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    terminal = ctx.terminal()
    kept = terminal.outbox.receipt(reference)
    if kept is not None:
        return kept
    try:
        found = terminal.get(f"/v1/receipts/{reference}")
    except ServiceError as exc:
        raise BadInput(f"{reference}: no such receipt here ({exc.code})", "receipt") from None
    jws = str(found["receipt"])
    terminal.outbox.keep_receipt(reference, jws, str(found["kind"]))
    return jws


def receipt_show(ctx: Context, args: argparse.Namespace) -> int:
    jws = _resolve_receipt(ctx, args.receipt)
    ctx.say(render_ticket(decode_unverified(jws), width=args.width, lang=ctx.lang))
    ctx.say(qr_text(jws))
    return 0


def receipt_print(ctx: Context, args: argparse.Namespace) -> int:
    jws = _resolve_receipt(ctx, args.receipt)
    text = render_ticket(decode_unverified(jws), width=args.width, lang=ctx.lang)
    if args.png is None and args.pdf is None:
        raise BadInput("say where to write it: --png FILE and/or --pdf FILE")
    if args.png is not None:
        qr_png(jws, args.png)
        ctx.say(str(args.png))
    if args.pdf is not None:
        ticket_pdf(text, jws, args.pdf, width=args.width)
        ctx.say(str(args.pdf))
    return 0


def receipt_verify(ctx: Context, args: argparse.Namespace) -> int:
    jws = _resolve_receipt(ctx, args.receipt)
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
        signed = datetime.fromtimestamp(item.created, UTC).isoformat(timespec="seconds")
        ctx.say(
            f"#{item.seq:<6} {signed}  {'offline' if item.offline else 'online '}  {item.label}"
        )
    return 0


def outbox_sync(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_activation(ctx)
    outcomes = terminal.sync()
    if not outcomes:
        ctx.say(ctx._("Nothing queued"))
    for outcome in outcomes:
        report_synced(ctx, outcome)
    return 6 if any(o.state == "queued" for o in outcomes) else 0
