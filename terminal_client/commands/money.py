"""Quotes, collections, fishing days, rights, reversals, certificates and the day."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from terminal_client.api import NetworkUnreachable, Outcome, ServiceError, Terminal
from terminal_client.commands.asking import confirm
from terminal_client.commands.context import (
    CASABLANCA,
    BadInput,
    Context,
    answer_of,
    need_session,
    print_receipt_of,
    say_outbox_holdings,
)
from terminal_client.coverage import Coverage, cover
from terminal_client.i18n import N_
from terminal_client.money import AmountError, format_mad, parse_mad
from terminal_client.rights import STATUSES, rights_reason
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
    except AmountError as exc:
        raise BadInput(exc.message_id, "amount") from None


def pay(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    return collect(
        ctx,
        terminal,
        args.registration_number,
        amount_of(args.amount),
        ask=not args.yes,
        payer_phone=args.payer_phone,
        width=args.width,
    )


def collect(
    ctx: Context,
    terminal: Terminal,
    registration_number: str,
    amount: int,
    *,
    ask: bool = True,
    payer_phone: str | None = None,
    width: Literal[58, 80] = 58,
) -> int:
    """Show whose account the money goes to and what it pays for, ask, then collect."""
    if amount <= 0:
        raise BadInput(N_("The amount must be more than 0 MAD."), "amount")
    show_collection(ctx, terminal, registration_number, amount)
    if ask and not confirm(ctx, ctx._("Collect this amount? (y/n)")):
        ctx.say(ctx._("Nothing was collected."))
        return CANCELLED
    outcome = send_collection(terminal, registration_number, amount, payer_phone=payer_phone)
    if outcome.state == "queued":
        config = ctx.home.config()
        session = ctx.home.session() or {}
        provisional: dict[str, Any] = {
            "kind": "collection",
            "receipt_number": f"#{outcome.seq}",
            "registration_number": registration_number,
            "amount_centimes": amount,
            "months": [],
            "office": (config.get("office") or {}).get("code"),
            "terminal": config.get("terminal_id"),
            "operator": session.get("username"),
            "signed_at": datetime.now(UTC).isoformat(),
        }
        ctx.say(render_ticket(provisional, width=width, lang=ctx.lang, provisional=True))
        ctx.say(ctx._("Queued: will be sent when the network is back"))
        return 6
    print_receipt_of(ctx, answer_of(outcome), width)
    return 0


def send_collection(
    terminal: Terminal, registration_number: str, amount: int, *, payer_phone: str | None = None
) -> Outcome:
    """Sign the collection into the outbox and send it: done, queued (offline) or refused."""
    body: dict[str, Any] = {"registration_number": registration_number, "amount_centimes": amount}
    if payer_phone:
        body["payer_phone"] = payer_phone
    label = f"pay {registration_number} {format_mad(amount)}"
    # A payer's phone is personal data: the body then carries a salt (drawn by ``write``).
    return terminal.write(
        "POST", "/v1/contributions", body, label=label, personal=bool(payer_phone)
    )


# The operator answered no: nothing was collected, which a script must not take for success.
CANCELLED = 1


@dataclass(frozen=True)
class Preview:
    """What the operator reads before taking the cash: whose account, what it pays."""

    worker: dict[str, Any]
    coverage: Coverage
    other_office: str | None  # the office that enrolled the worker, when not this one


def collection_preview(
    ctx: Context, terminal: Terminal, registration_number: str, amount: int
) -> Preview:
    """The worker's file and what ``amount`` pays, from the service's worker file and
    quote; ``NetworkUnreachable`` offline (the payment would then be queued unchecked)."""
    worker = terminal.get(f"/v1/workers/{registration_number}")
    found = _quote_to_horizon(terminal, registration_number)
    office = (ctx.home.config().get("office") or {}).get("code")
    enrolled = worker.get("enrolled_office")
    other = str(enrolled) if enrolled and enrolled != office else None
    return Preview(worker, cover(found, amount), other)


def show_collection(
    ctx: Context, terminal: Terminal, registration_number: str, amount: int
) -> None:
    """The worker's name, office and the months ``amount`` pays, from the service's worker
    file and quote. Offline, say that neither can be checked: the payment will be queued."""
    try:
        preview = collection_preview(ctx, terminal, registration_number, amount)
    except NetworkUnreachable:
        ctx.say(ctx._("The server cannot be reached: the worker's name cannot be checked."))
        ctx.say(f"{ctx._('Registration number')}: {registration_number}")
        ctx.say(f"{ctx._('Amount')}: {format_mad(amount)}")
        return
    worker = preview.worker
    name = f"{worker['first_name']} {worker['last_name']}"
    ctx.say(f"{ctx._('Worker')}: {name} ({registration_number})")
    if preview.other_office:
        text = ctx._("Enrolled at another office: {office}")
        ctx.say(text.format(office=preview.other_office))
    ctx.say(f"{ctx._('Amount')}: {format_mad(amount)}")
    ctx.say(covers_text(ctx, preview.coverage))


def _quote_to_horizon(terminal: Terminal, registration_number: str) -> Any:
    """The quote as far ahead as a payment may go (the service refuses a ``through``
    beyond its prepayment limit; then this month's quote is all it shows)."""
    path = f"/v1/workers/{registration_number}/quote"
    month = datetime.now(CASABLANCA).date().replace(day=1)
    year, index = divmod(month.month - 1 + PREPAY_MONTHS, 12)
    try:
        return terminal.get(f"{path}?through={month.year + year:04d}-{index + 1:02d}")
    except ServiceError as exc:
        if exc.field != "through":
            raise
        return terminal.get(path)


# docs/enrollment.md: a worker may prepay up to 12 months ahead.
PREPAY_MONTHS = 12


def _mm_yyyy(month: str) -> str:
    return f"{month[5:7]}/{month[:4]}"


def covers_text(ctx: Context, coverage: Coverage) -> str:
    if coverage.too_much:
        text = ctx._("This is more than is owed through {month}: at most {maximum}.")
        return text.format(
            month=_mm_yyyy(coverage.through), maximum=format_mad(coverage.owed_centimes)
        )
    parts = []
    full = coverage.paid_in_full
    if len(full) == 1:
        parts.append(ctx._("pays {month} in full").format(month=_mm_yyyy(full[0])))
    elif full:
        text = ctx._("pays {first} to {last} in full ({count} months)")
        parts.append(text.format(first=_mm_yyyy(full[0]), last=_mm_yyyy(full[-1]), count=len(full)))
    if coverage.partly is not None:
        month, taken, outstanding = coverage.partly
        text = ctx._("pays {amount} of the {outstanding} owed for {month}")
        parts.append(
            text.format(
                amount=format_mad(taken),
                outstanding=format_mad(outstanding),
                month=_mm_yyyy(month),
            )
        )
    return f"{ctx._('This amount')}: {'; '.join(parts)}."


def declare_day(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    days = []
    for item in args.days:
        day, _, earnings = item.partition("=")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) or not earnings:
            raise BadInput(f"{item}: write YYYY-MM-DD=EARNINGS", "days")
        days.append({"date": day, "earnings_centimes": amount_of(earnings)})
    outcome = send_declaration(terminal, args.registration_number, args.declared_by, days)
    if outcome.state == "queued":
        ctx.say(ctx._("Queued: will be sent when the network is back"))
        return 6
    done = answer_of(outcome)
    for day in done["days"]:
        ctx.say(f"{day['day']}  {format_mad(day['contribution_centimes']):>14}")
    ctx.say(f"{ctx._('Total due')}: {format_mad(done['total_centimes'])}")
    return 0


def send_declaration(
    terminal: Terminal, registration_number: str, declared_by: str, days: list[dict[str, Any]]
) -> Outcome:
    """A fishing worker's days (``{"date", "earnings_centimes"}`` each), declared by the boat
    owner or cooperative: queued like any write when the hub is unreachable."""
    return terminal.write(
        "POST",
        "/v1/declarations/daily",
        {"registration_number": registration_number, "declared_by": declared_by, "days": days},
        label=f"declare {registration_number} ({len(days)} d)",
    )


def rights(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    state = worker_rights(terminal, args.registration_number)
    status = STATUSES.get(state["status"], state["status"])
    ctx.say(f"{ctx._('Rights')}: {ctx._(status)}")
    if state.get("covered_through"):
        ctx.say(f"{ctx._('Covered through')}: {_mm_yyyy(state['covered_through'])}")
    ctx.say(rights_reason(state, ctx._))
    return 0


def reverse(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    username = ctx.ask(f"{ctx._('Supervisor username')}: ").strip()
    password = ctx.secret(f"{ctx._('Supervisor password')}: ")
    outcome = send_reversal(terminal, args.receipt_number, args.reason, username, password)
    print_receipt_of(ctx, answer_of(outcome))
    return 0


def send_reversal(
    terminal: Terminal, receipt_number: str, reason: str, username: str, password: str
) -> Outcome:
    """Reverse today's collection with the supervisor's credentials typed at this counter:
    never queued (the supervisor approves now), the password forgotten once it is over."""
    return terminal.write(
        "POST",
        f"/v1/contributions/{receipt_number}/reversal",
        {"reason": reason, "supervisor": {"username": username, "password": password}},
        label=f"reverse {receipt_number}",
        queue_offline=False,
        personal=True,  # the supervisor's password: salted, as a sign-in is
    )


def certificate(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    outcome = send_certificate(terminal, args.registration_number, args.kind)
    print_receipt_of(ctx, answer_of(outcome), args.width)
    return 0


def send_certificate(terminal: Terminal, registration_number: str, kind: str) -> Outcome:
    """A signed rights or payments certificate, issued now (never queued: it states the
    account as the hub knows it at this moment)."""
    return terminal.write(
        "POST",
        f"/v1/workers/{registration_number}/certificates",
        {"kind": kind},
        label=f"certificate {registration_number}",
        queue_offline=False,
    )


def worker_rights(terminal: Terminal, registration_number: str) -> dict[str, Any]:
    """The worker's health rights at the hub: status, covered through, and why."""
    found: dict[str, Any] = terminal.get(f"/v1/workers/{registration_number}/rights")["rights"]
    return found


def office_day(terminal: Terminal, business_date: str | None = None) -> Any:
    """The office's day at the service (count, gross, reversals, net, by operator)."""
    day = business_date or datetime.now(CASABLANCA).date().isoformat()
    return terminal.get(f"/v1/offices/current/day?business_date={day}")


def day(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    try:
        found = office_day(terminal, args.date)
    except NetworkUnreachable:
        say_outbox_holdings(ctx, terminal)  # what the server cannot count yet
        raise
    ctx.say(f"{found['office']}  {found['business_date']}")
    ctx.say(f"{ctx._('Collections')}: {found['count']}  {format_mad(found['gross_centimes'])}")
    ctx.say(f"{ctx._('Reversals')}: {found['reversals']}  {format_mad(found['reversed_centimes'])}")
    ctx.say(f"{ctx._('Net')}: {format_mad(found['net_centimes'])}")
    for row in found["by_operator"]:
        ctx.say(
            f"  {row['operator']:<20} {row['count']:>4}  {format_mad(row['gross_centimes']):>14}"
        )
    return 0
