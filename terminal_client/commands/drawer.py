"""``drawer close`` and ``drawer list``: the end-of-day cash count and the office's closes."""

from __future__ import annotations

import argparse
from datetime import datetime

from terminal_client.api import NetworkUnreachable
from terminal_client.commands.asking import confirm, prompt
from terminal_client.commands.context import CASABLANCA, BadInput, Context, Explained, need_session
from terminal_client.commands.printer import send_to_printer
from terminal_client.drawer import (
    COINS_CENTIMES,
    DENOMINATIONS_CENTIMES,
    CountError,
    OutboxNotEmpty,
    close_drawer,
    counted_total,
    denomination_of,
    quantity_of,
    render_close_report,
)
from terminal_client.i18n import N_
from terminal_client.messages import Exit
from terminal_client.money import format_mad
from terminal_client.receipts import decode_unverified

# The operator answered no: nothing was sent, which a script must not take for success.
CANCELLED = 1


def _counts_from_options(items: list[str]) -> dict[int, int]:
    """``--count 200=3 --count 0,50=4``: dirhams = how many."""
    counts: dict[int, int] = {}
    for item in items:
        value_text, sep, quantity_text = item.partition("=")
        try:
            if not sep:
                raise CountError(N_("Write each count as VALUE=HOW_MANY, for example 200=3."))
            value = denomination_of(value_text)
            if value in counts:
                raise CountError(N_("Each note or coin is counted once."))
            counts[value] = quantity_of(quantity_text)
        except CountError as exc:
            raise BadInput(exc.message_id, "counts") from None
    return counts


def _check_quantity(answer: str) -> str | None:
    try:
        quantity_of(answer)
    except CountError as exc:
        return exc.message_id
    return None


def _counts_from_prompts(ctx: Context) -> dict[int, int]:
    """One question a denomination, largest note first; Enter alone counts none."""
    ctx.say(ctx._("Count the cash in the drawer. Press Enter for none."))
    counts: dict[int, int] = {}
    for value in DENOMINATIONS_CENTIMES:
        kind = ctx._("Coins of {value}") if value in COINS_CENTIMES else ctx._("Notes of {value}")
        answer = prompt(ctx, kind.format(value=format_mad(value)), _check_quantity)
        counts[value] = quantity_of(answer)
    return counts


def close(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)  # sends what is queued first
    counts = _counts_from_options(args.count) if args.count else _counts_from_prompts(ctx)
    ctx.say(f"{ctx._('Counted')}: {format_mad(counted_total(counts))}")
    if not args.yes and not confirm(ctx, ctx._("Close the drawer with this count? (y/n)")):
        ctx.say(ctx._("Nothing was sent."))
        return CANCELLED
    try:
        closed = close_drawer(terminal, counts)
    except OutboxNotEmpty as exc:
        text = ctx._(
            "Writes still wait in the outbox ({count}): the server has not counted them, so "
            "the drawer cannot be closed yet. Send them first (outbox sync)."
        )
        raise Explained(text.format(count=exc.waiting), Exit.QUEUED) from None
    except NetworkUnreachable:
        text = ctx._(
            "The server cannot be reached: closing the drawer needs its figures, so nothing "
            "was sent. Close the drawer when the network is back."
        )
        raise Explained(text, Exit.UNREACHABLE) from None
    body = closed.body
    ctx.say(f"{ctx._('Expected')}: {format_mad(body['expected_centimes'])}")
    ctx.say(f"{ctx._('Counted')}: {format_mad(body['counted_centimes'])}")
    difference = int(body["difference_centimes"])
    sign = "+" if difference > 0 else ""
    ctx.say(f"{ctx._('Difference')}: {sign}{format_mad(difference)}")
    if body.get("repeated"):
        ctx.say(ctx._("This drawer was already closed with this count: its report again."))
    claims = decode_unverified(closed.report)
    report = render_close_report(claims, width=args.width, lang=ctx.lang)
    ctx.say(report)
    try:
        send_to_printer(ctx, report, None, args.width)
    except Explained as exc:
        # The close is recorded: a printer fault is told, and the report reprinted later.
        print(exc.sentence, file=ctx.err)
    return 0


def closes(ctx: Context, args: argparse.Namespace) -> int:
    """The office's closes of a day (a supervisor's)."""
    terminal = need_session(ctx)
    day = args.date or datetime.now(CASABLANCA).date().isoformat()
    found = terminal.get(f"/v1/offices/current/drawer-closes?business_date={day}")
    items = found["items"]
    if not items:
        ctx.say(ctx._("No drawer closed on {day}.").format(day=day))
        return 0
    for item in items:
        sign = "+" if item["difference_centimes"] > 0 else ""
        ctx.say(
            f"{item['number']}  {item['terminal']}  {item['operator']}  "
            f"{ctx._('Expected')} {format_mad(item['expected_centimes'])}  "
            f"{ctx._('Counted')} {format_mad(item['counted_centimes'])}  "
            f"{ctx._('Difference')} {sign}{format_mad(item['difference_centimes'])}"
        )
    return 0
