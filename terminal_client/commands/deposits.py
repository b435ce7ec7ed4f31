"""AMO reimbursement files at the counter: a deposit with its envelope label and slip, its
same-day cancellation, a worker's files and where each is, and the day's transmittal slip
(docs/deposits.md, docs/terminal.md "Reimbursement files").

Each ``send_…`` function is the one write the counter's screens call too.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from qrcode.exceptions import DataOverflowError  # type: ignore[import-untyped]

from terminal_client.api import NetworkUnreachable, Outcome, ServiceError, Terminal, segment
from terminal_client.bordereau import render_bordereau
from terminal_client.commands.asking import choose, confirm, prompt
from terminal_client.commands.context import (
    CASABLANCA,
    BadInput,
    Context,
    Explained,
    answer_of,
    need_session,
    print_receipt_of,
    say_label,
    send_to_printer,
)
from terminal_client.commands.workers import lookup_cin
from terminal_client.deposits import (
    CARE_KINDS,
    DEPOSIT_NUMBER,
    Warned,
    check_care_day,
    check_documents,
    day_shown,
    stage_sentence,
    warned_by_refusal,
    warning_sentence,
)
from terminal_client.fields import Check, check_cin, normalize_cin
from terminal_client.i18n import N_
from terminal_client.label import label_png
from terminal_client.messages import Exit
from terminal_client.money import AmountError, format_mad, parse_mad
from terminal_client.printing import qr_text
from terminal_client.receipts import decode_unverified
from terminal_client.ticket import render_ticket

DEPOSITS_PATH = "/v1/deposits"
NEEDS_INSISTENCE = "deposit_needs_insistence"
DIGITS_ONLY = N_("A registration number is written in digits only.")
# The operator answered no, or the worker took the envelope back: nothing was deposited.
CANCELLED = 1


# -- the writes and reads the CLI and the screens share -----------------------------------


def send_deposit(terminal: Terminal, body: Mapping[str, Any], *, insist: bool) -> Outcome:
    """Sign the deposit into the outbox and send it. The body says what care a person had:
    salted, as personal data is. Offline it is queued, signed offline, and the hub takes it
    with its warnings when it arrives (the envelope is already in the drawer)."""
    payload = {**body, "insist": insist}
    label = f"deposit {body['registration_number']}"
    return terminal.write("POST", DEPOSITS_PATH, payload, label=label, personal=True)


def send_deposit_cancel(
    terminal: Terminal, deposit_number: str, reason: str, username: str, password: str
) -> Outcome:
    """Cancel one of today's deposits with the supervisor's credentials typed at this
    counter (the envelope handed back): never queued, the password forgotten once over."""
    return terminal.write(
        "POST",
        f"{DEPOSITS_PATH}/{segment(deposit_number)}/cancellation",
        {"reason": reason, "supervisor": {"username": username, "password": password}},
        label=f"deposit cancel {deposit_number}",
        queue_offline=False,
        personal=True,
    )


def send_transmittal(terminal: Terminal, business_date: str | None = None) -> Outcome:
    """Close the office's deposits of a day into a transmittal slip. Never queued: the
    courier leaves with the printed bordereau, which only the hub's answer can give."""
    body: dict[str, Any] = {} if business_date is None else {"business_date": business_date}
    return terminal.write(
        "POST",
        "/v1/offices/current/transmittals",
        body,
        label="transmittal",
        queue_offline=False,
    )


def worker_deposits(terminal: Terminal, registration_number: str) -> list[dict[str, Any]]:
    """The worker's files at any office, newest first, each with where it is."""
    found = terminal.get(f"/v1/workers/{segment(registration_number)}/deposits")
    items: list[dict[str, Any]] = found["items"]
    return items


def refused_for_warnings(outcome: Outcome) -> ServiceError | None:
    """The hub's ``409 deposit_needs_insistence``, when that is what it answered."""
    if outcome.state != "refused":
        return None
    error = outcome.error()
    return error if error.code == NEEDS_INSISTENCE else None


def provisional_slip(ctx: Context, body: Mapping[str, Any], seq: int) -> dict[str, Any]:
    """The slip of a deposit queued offline: what the worker handed over, no number yet."""
    config = ctx.home.config()
    session = ctx.home.session() or {}
    return {
        "kind": "deposit",
        "receipt_number": f"#{seq}",
        "registration_number": body.get("registration_number"),
        "beneficiary": "dependent" if body.get("dependent_id") else "worker",
        "dependent_id": body.get("dependent_id"),
        "care_kind": body.get("care_kind"),
        "care_from": body.get("care_from"),
        "care_to": body.get("care_to") or body.get("care_from"),
        "amount_spent_centimes": body.get("amount_spent_centimes"),
        "documents": body.get("documents"),
        "office": (config.get("office") or {}).get("code"),
        "terminal": config.get("terminal_id"),
        "operator": session.get("username"),
        "signed_at": datetime.now(UTC).isoformat(),
    }


# -- qurb-terminal deposit -------------------------------------------------------------------


def deposit(ctx: Context, args: argparse.Namespace) -> int:
    if args.worker == "cancel":
        return cancel(ctx, args)
    if args.number is not None:
        raise BadInput(N_("Give one registration number, or 'cancel' and a deposit number."))
    terminal = need_session(ctx)
    number, dependents = _the_worker(ctx, terminal, args.worker, by_cin=args.cin)
    body: dict[str, Any] = {"registration_number": number}
    dependent = args.dependent or _the_beneficiary(ctx, dependents)
    if dependent:
        body["dependent_id"] = dependent
    body.update(_the_care(ctx, args))
    return take_deposit(
        ctx, terminal, body, insist=args.insist, width=args.width, label_file=args.label_png
    )


def _the_worker(
    ctx: Context, terminal: Terminal, typed: str | None, *, by_cin: bool
) -> tuple[str, list[dict[str, Any]]]:
    """The worker's registration number, and their dependents when found by CIN (a read
    by registration number does not list them: docs/terminal.md)."""
    if by_cin or typed is None:
        cin = normalize_cin(prompt(ctx, N_("CIN"), check_cin))
        found = lookup_cin(terminal, cin)
        worker = found.get("worker") if found.get("status") == "enrolled" else None
        if not isinstance(worker, dict):
            raise BadInput(N_("This CIN is not an enrolled worker's: nothing was deposited."))
        ctx.say(f"{ctx._('Worker')}: {worker['first_name']} {worker['last_name']}")
        return str(worker["registration_number"]), list(worker.get("dependents") or [])
    if not typed.isdigit():
        raise BadInput(DIGITS_ONLY, "registration_number")
    try:
        worker = terminal.get(f"/v1/workers/{segment(typed)}")
    except NetworkUnreachable:
        ctx.say(ctx._("The server cannot be reached: the worker's name cannot be checked."))
        return typed, []
    ctx.say(f"{ctx._('Worker')}: {worker['first_name']} {worker['last_name']} ({typed})")
    if isinstance(worker.get("dependents"), int) and worker["dependents"]:
        text = ctx._(
            "This worker has {count} dependents: for a dependent's file, find the worker by "
            "CIN (--cin) to choose the beneficiary."
        )
        ctx.say(text.format(count=worker["dependents"]))
    return typed, []


def dependent_label(ctx: Context, dependent: Mapping[str, Any]) -> str:
    relation = ctx._(RELATIONS.get(str(dependent.get("relation")), N_("Dependent")))
    return f"{dependent.get('first_name', '')} {dependent.get('last_name', '')} ({relation})"


RELATIONS = {"spouse": N_("spouse"), "child": N_("child")}


def _the_beneficiary(ctx: Context, dependents: list[dict[str, Any]]) -> int | None:
    if not dependents:
        return None
    # The menu's codes are its line numbers: the operator types 1 for the worker.
    people = [None, *(int(d["id"]) for d in dependents)]
    texts = [ctx._("The insured worker"), *(dependent_label(ctx, d) for d in dependents)]
    menu = [(str(line), text) for line, text in enumerate(texts, start=1)]
    return people[int(choose(ctx, N_("Beneficiary (number)"), menu)) - 1]


def _the_care(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    today = datetime.now(CASABLANCA).date()
    kind = (
        args.care_kind
        or choose(
            ctx, N_("Care (number)"), [(k.upper(), ctx._(t)) for k, t in CARE_KINDS.items()]
        ).lower()
    )
    first = _day(ctx, args.care_from, N_("First day of care (YYYY-MM-DD)"), today, "care_from")
    last = args.care_to
    if last is None and args.care_from is None:
        label = N_("Last day of care (YYYY-MM-DD, empty: the same day)")
        last = prompt(ctx, label, _or_same(today))
    last = last or first
    if (problem := check_care_day(last, today=today)) is not None:
        raise BadInput(problem, "care_to")
    if date.fromisoformat(last) < date.fromisoformat(first):
        raise BadInput(N_("The last day of care cannot be before the first."), "care_to")
    amount = (
        _amount(args.amount)
        if args.amount
        else _amount(prompt(ctx, N_("Amount spent (MAD)"), _amount_problem))
    )
    documents = args.documents or prompt(ctx, N_("Documents in the envelope"), check_documents)
    if (problem := check_documents(str(documents))) is not None:
        raise BadInput(problem, "documents")
    return {
        "care_kind": kind,
        "care_from": first,
        "care_to": last,
        "amount_spent_centimes": amount,
        "documents": int(documents),
    }


def _day(ctx: Context, given: str | None, label: str, today: date, field: str) -> str:
    if given is None:
        return prompt(ctx, label, lambda text: check_care_day(text, today=today)).strip()
    problem = check_care_day(given, today=today)
    if problem is not None:
        raise BadInput(problem, field)
    return given.strip()


def _or_same(today: date) -> Check:
    """The last day of care: empty is the first day again (one day of care)."""
    return lambda text: None if not text.strip() else check_care_day(text, today=today)


def _amount(text: str) -> int:
    try:
        amount = parse_mad(text)
    except AmountError as exc:
        raise BadInput(exc.message_id, "amount_spent_centimes") from None
    if amount <= 0:
        raise BadInput(N_("The amount must be more than 0 MAD."), "amount_spent_centimes")
    return amount


def _amount_problem(text: str) -> str | None:
    try:
        _amount(text)
    except BadInput as exc:
        return str(exc)
    return None


def take_deposit(
    ctx: Context,
    terminal: Terminal,
    body: dict[str, Any],
    *,
    insist: bool = False,
    width: Literal[58, 80] = 58,
    label_file: Path | None = None,
) -> int:
    """Send the deposit; on the hub's warnings, say them and ask whether the worker
    insists (``insist``: already told, for scripts); then print the label and the slip."""
    outcome = send_deposit(terminal, body, insist=False)
    error = refused_for_warnings(outcome)
    if error is not None:
        say_warnings(ctx, warned_by_refusal(error.details))
        if not insist and not confirm(ctx, ctx._("Does the worker insist on depositing it? (y/n)")):
            ctx.say(ctx._("Nothing was deposited: the envelope goes back to the worker."))
            return CANCELLED
        outcome = send_deposit(terminal, body, insist=True)
    if outcome.state == "queued":
        slip = provisional_slip(ctx, body, outcome.seq)
        ctx.say(render_ticket(slip, width=width, lang=ctx.lang, provisional=True))
        ctx.say(ctx._(OFFLINE_DEPOSIT))
        return Exit.QUEUED
    print_deposit(ctx, answer_of(outcome), width=width, label_file=label_file)
    return 0


OFFLINE_DEPOSIT = N_(
    "Queued, signed offline: the hub takes this file when the network is back, with the"
    " warnings it finds then (the worker could not be told them now). The deposit number,"
    " the label and the slip are printed when it is sent."
)


def say_warnings(ctx: Context, warned: list[Warned]) -> None:
    ctx.say(ctx._("Before taking this file, tell the worker:"))
    for item in warned:
        ctx.say(f"  ! {warning_sentence(item, ctx._)}")


def print_deposit(
    ctx: Context, answer: Mapping[str, Any], *, width: Literal[58, 80], label_file: Path | None
) -> None:
    """The envelope's label (its number, and on the printer its barcode), then the slip."""
    number = str(answer["deposit_number"])
    if label_file is not None:
        label_png(number, label_file)
    say_label(ctx, number, width)
    print_receipt_of(ctx, answer, width)


# -- qurb-terminal deposit cancel D-… --reason … ------------------------------------------


def cancel(ctx: Context, args: argparse.Namespace) -> int:
    number = (args.number or "").strip().upper()
    if not DEPOSIT_NUMBER.fullmatch(number):
        text = N_("A deposit number reads D-NETWORK-8 digits, as on the envelope.")
        raise BadInput(text, "deposit_number")
    if not args.reason or len(args.reason.strip()) < REASON_MIN:
        text = N_("Say why the deposit is cancelled (--reason, 3 characters at least).")
        raise BadInput(text, "reason")
    terminal = need_session(ctx)
    username = ctx.ask(f"{ctx._('Supervisor username')}: ").strip()
    password = ctx.secret(f"{ctx._('Supervisor password')}: ")
    outcome = send_deposit_cancel(terminal, number, args.reason.strip(), username, password)
    print_receipt_of(ctx, answer_of(outcome), args.width)
    ctx.say(ctx._("Hand the envelope back to the worker."))
    return 0


REASON_MIN = 3


# -- qurb-terminal deposits RN ------------------------------------------------------------


def deposits(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    number = args.registration_number
    if args.cin or number is None:
        cin = normalize_cin(prompt(ctx, N_("CIN"), check_cin))
        found = lookup_cin(terminal, cin)
        worker = found.get("worker") if found.get("status") == "enrolled" else None
        if not isinstance(worker, dict):
            raise BadInput(N_("This CIN is not an enrolled worker's."))
        number = str(worker["registration_number"])
    elif not number.isdigit():
        raise BadInput(DIGITS_ONLY, "registration_number")
    lines = worker_deposits(terminal, number)
    if not lines:
        ctx.say(ctx._("No file deposited for this worker."))
        return 0
    for line in lines:
        ctx.say(deposit_line(ctx, line))
    return 0


def deposit_line(ctx: Context, line: Mapping[str, Any]) -> str:
    kind = str(line.get("care_kind"))
    care = ctx._(CARE_KINDS[kind]) if kind in CARE_KINDS else kind
    since = f" — {day_shown(str(line['since']))}" if line.get("since") else ""
    return (
        f"{line['deposit_number']}  {day_shown(str(line['business_date']))}  {care}"
        f"  {format_mad(int(line['amount_spent_centimes']))}\n"
        f"    {stage_sentence(line, ctx._, format_mad)}{since}"
    )


# -- qurb-terminal transmittal close -------------------------------------------------------


def transmittal_close(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    outcome = send_transmittal(terminal, args.date)
    answer = answer_of(outcome)
    print_bordereau(ctx, answer, width=args.width, manifest_file=args.manifest)
    return 0


def print_bordereau(
    ctx: Context,
    answer: Mapping[str, Any],
    *,
    width: Literal[58, 80],
    manifest_file: Path | None = None,
) -> None:
    """The bordereau on screen and on the printer, the manifest's QR beneath it."""
    text = bordereau_text(ctx, answer, width)
    ctx.say(text)
    manifest = str(answer["manifest"])
    if manifest_file is not None:
        manifest_file.write_text(manifest + "\n", encoding="utf-8")
    try:
        ctx.say(qr_text(manifest))
        qr: str | None = manifest
    except (DataOverflowError, ValueError):
        qr = None
        ctx.say(ctx._("The manifest is too long for one QR code: keep it with --manifest FILE."))
    try:
        send_to_printer(ctx, text, qr, width)
    except Explained as failed:
        ctx.say(failed.sentence)


def bordereau_text(ctx: Context, answer: Mapping[str, Any], width: Literal[58, 80]) -> str:
    office = ctx.home.config().get("office") or {}
    claims = decode_unverified(str(answer["manifest"]))
    where = f"{office.get('code', '')} {office.get('name', '')}".strip()
    return render_bordereau(answer, claims, office=where, width=width, lang=ctx.lang)
