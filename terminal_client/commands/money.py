"""Quotes, collections, fishing days, rights, reversals, certificates and the day."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from typing import Any

from terminal_client.commands.context import (
    CASABLANCA,
    BadInput,
    Context,
    answer_of,
    need_session,
    print_receipt_of,
)
from terminal_client.money import format_mad, parse_mad
from terminal_client.ticket import render_ticket


def quote(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    path = f"/v1/workers/{args.registration_number}/quote"
    if args.through:
        path += f"?through={args.through}"
    found = terminal.get(path)
    ctx.say(
        f"{ctx._('Month'):<8} {ctx._('Due'):>14} {ctx._('Paid'):>14} {ctx._('Outstanding'):>14}"
    )
    for line in found["lines"]:
        due = line["due_centimes"] + line["surcharge_centimes"]
        ctx.say(
            f"{line['month'][:7]:<8} {format_mad(due):>14} {format_mad(line['paid_centimes']):>14}"
            f" {format_mad(line['outstanding_centimes']):>14}"
        )
    ctx.say(f"{ctx._('Total due')}: {format_mad(found['total_centimes'])}")
    return 0


def amount_of(text: str) -> int:
    try:
        return parse_mad(text)
    except ValueError as exc:
        raise BadInput(str(exc), "amount") from None


def pay(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    amount = amount_of(args.amount)
    body: dict[str, Any] = {
        "registration_number": args.registration_number,
        "amount_centimes": amount,
    }
    if args.payer_phone:
        body["payer_phone"] = args.payer_phone
    label = f"pay {args.registration_number} {format_mad(amount)}"
    outcome = terminal.write("POST", "/v1/contributions", body, label=label)
    if outcome.state == "queued":
        config = ctx.home.config()
        session = ctx.home.session() or {}
        provisional = {
            "kind": "collection",
            "receipt_number": f"#{outcome.seq}",
            "registration_number": args.registration_number,
            "amount_centimes": amount,
            "months": [],
            "office": (config.get("office") or {}).get("code"),
            "terminal": config.get("terminal_id"),
            "operator": session.get("username"),
            "signed_at": datetime.now(UTC).isoformat(),
        }
        ctx.say(render_ticket(provisional, width=args.width, lang=ctx.lang, provisional=True))
        ctx.say(ctx._("Queued: will be sent when the network is back"))
        return 6
    print_receipt_of(ctx, answer_of(outcome), args.width)
    return 0


def declare_day(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    days = []
    for item in args.days:
        day, _, earnings = item.partition("=")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) or not earnings:
            raise BadInput(f"{item}: write YYYY-MM-DD=EARNINGS", "days")
        days.append({"date": day, "earnings_centimes": amount_of(earnings)})
    outcome = terminal.write(
        "POST",
        "/v1/declarations/daily",
        {
            "registration_number": args.registration_number,
            "declared_by": args.declared_by,
            "days": days,
        },
        label=f"declare {args.registration_number} ({len(days)} d)",
    )
    if outcome.state == "queued":
        ctx.say(ctx._("Queued: will be sent when the network is back"))
        return 6
    done = answer_of(outcome)
    for day in done["days"]:
        ctx.say(f"{day['day']}  {format_mad(day['contribution_centimes']):>14}")
    ctx.say(f"{ctx._('Total due')}: {format_mad(done['total_centimes'])}")
    return 0


def rights(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    found = terminal.get(f"/v1/workers/{args.registration_number}/rights")
    state = found["rights"]
    ctx.say(f"{ctx._('Rights')}: {ctx._(state['status'])}")
    if state.get("covered_through"):
        ctx.say(f"{ctx._('Covered through')}: {state['covered_through'][:7]}")
    ctx.say(state["reason"])
    return 0


def reverse(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    username = ctx.ask(f"{ctx._('Supervisor username')}: ").strip()
    password = ctx.secret(f"{ctx._('Supervisor password')}: ")
    outcome = terminal.write(
        "POST",
        f"/v1/contributions/{args.receipt_number}/reversal",
        {"reason": args.reason, "supervisor": {"username": username, "password": password}},
        label=f"reverse {args.receipt_number}",
        queue_offline=False,
    )
    print_receipt_of(ctx, answer_of(outcome))
    return 0


def certificate(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    outcome = terminal.write(
        "POST",
        f"/v1/workers/{args.registration_number}/certificates",
        {"kind": args.kind},
        label=f"certificate {args.registration_number}",
        queue_offline=False,
    )
    print_receipt_of(ctx, answer_of(outcome), args.width)
    return 0


def day(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    business_date = args.date or datetime.now(CASABLANCA).date().isoformat()
    found = terminal.get(f"/v1/offices/current/day?business_date={business_date}")
    ctx.say(f"{found['office']}  {found['business_date']}")
    ctx.say(f"{ctx._('Collections')}: {found['count']}  {format_mad(found['gross_centimes'])}")
    ctx.say(f"{ctx._('Reversals')}: {found['reversals']}  {format_mad(found['reversed_centimes'])}")
    ctx.say(f"{ctx._('Net')}: {format_mad(found['net_centimes'])}")
    for row in found["by_operator"]:
        ctx.say(
            f"  {row['operator']:<20} {row['count']:>4}  {format_mad(row['gross_centimes']):>14}"
        )
    return 0
