"""Enrolling, finding and amending workers.

Enrollment asks one question at a time and checks each answer as it is typed; the
categories and brackets are a numbered menu read from the service's tariff, and the
professional document is asked only of a category that has one. A CIN already enrolled
stops the questions at once, with the registration number it has.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from terminal_client.api import NetworkUnreachable, Outcome, ServiceError, Terminal
from terminal_client.commands.asking import ask_dependents, choose, prompt
from terminal_client.commands.context import (
    BadInput,
    Context,
    answer_of,
    need_session,
    print_receipt_of,
)
from terminal_client.commands.money import amount_of, collect
from terminal_client.fields import (
    Check,
    check_birth_date,
    check_cin,
    check_city,
    check_code,
    check_month,
    check_name,
    check_phone,
    check_sex,
    check_text,
    normalize_cin,
)
from terminal_client.i18n import N_
from terminal_client.messages import explain
from terminal_client.money import format_mad

# The questions before the category, in the order of the CIN card, then the contact.
PERSON_FIELDS: list[tuple[str, str, Check]] = [
    ("last_name", N_("Last name"), check_name),
    ("first_name", N_("First name"), check_name),
    ("birth_date", N_("Date of birth (YYYY-MM-DD)"), check_birth_date),
    ("sex", N_("Sex (F/M)"), check_sex),
    ("phone", N_("Phone"), check_phone),
    ("address", N_("Address"), check_text),
    ("city", N_("City"), check_city),
]
COVERAGE_FIELD = ("coverage_start", N_("Coverage starts (YYYY-MM)"), check_month)


def _optional(_answer: str) -> str | None:
    return None


def enroll(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    if args.from_json:
        try:
            payload = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise BadInput(N_("This file cannot be read as JSON."), "file") from None
        return _submit(ctx, terminal, payload, None, interactive=False)
    cin = normalize_cin(prompt(ctx, N_("CIN"), check_cin))
    existing = _enrolled_as(ctx, terminal, cin)
    if existing is not None:
        return _already_enrolled(ctx, terminal, existing)
    answers: dict[str, Any] = {"cin": cin}
    for name, label, check in PERSON_FIELDS:
        answers[name] = _clean(name, prompt(ctx, label, check))
    tariff = _tariff(ctx, terminal)
    answers["category"] = _ask_category(ctx, tariff)
    answers["bracket"] = _ask_bracket(ctx, tariff, answers["category"])
    document = _ask_document(ctx, tariff, answers["category"])
    if document:
        answers["document_number"] = document
    answers["coverage_start"] = prompt(ctx, COVERAGE_FIELD[1], COVERAGE_FIELD[2])
    answers["dependents"] = ask_dependents(ctx)
    return _submit(ctx, terminal, answers, tariff, interactive=True)


def _clean(name: str, value: str) -> str:
    if name == "sex":
        return value.upper()
    return " ".join(value.split())


# -- the tariff's categories and brackets ------------------------------------------------------


def _tariff(ctx: Context, terminal: Terminal) -> dict[str, dict[str, Any]] | None:
    """The categories by code, or ``None`` when the service cannot be reached (the codes
    are then typed, and the enrollment is queued like any write)."""
    try:
        found = terminal.get("/v1/tariff")
    except NetworkUnreachable:
        ctx.say(ctx._("The server cannot be reached: type the category and bracket codes."))
        return None
    return {str(c["code"]): c for c in found["categories"]}


def _ask_category(ctx: Context, tariff: dict[str, dict[str, Any]] | None) -> str:
    if tariff is None:
        return prompt(ctx, N_("Category"), check_code).upper()
    label = "label_ar" if ctx.lang == "ar" else "label_fr"
    options = [(code, str(c.get(label) or "")) for code, c in tariff.items()]
    return choose(ctx, N_("Category (number)"), options)


def _ask_bracket(ctx: Context, tariff: dict[str, dict[str, Any]] | None, category: str) -> str:
    if tariff is None or category not in tariff:
        return prompt(ctx, N_("Bracket"), check_code).upper()
    options = []
    for bracket in tariff[category]["brackets"]:
        current = bracket.get("current") or {}
        due = current.get("monthly_due_centimes")
        per_month = f" ({format_mad(due)}/{ctx._('month')})" if isinstance(due, int) else ""
        options.append((str(bracket["code"]), f"{bracket.get('label') or ''}{per_month}"))
    if len(options) == 1:
        ctx.say(f"{ctx._('Bracket')}: {options[0][0]} — {options[0][1]}")
        return options[0][0]
    return choose(ctx, N_("Bracket (number)"), options)


def _ask_document(
    ctx: Context, tariff: dict[str, dict[str, Any]] | None, category: str
) -> str | None:
    """The category's professional document; none for a category without one (a farmer is
    known from the agricultural registers, not by a card)."""
    if tariff is None or category not in tariff:
        answer = prompt(ctx, N_("Professional document number (empty if none)"), _optional)
        return answer.upper() or None
    document = tariff[category].get("document_label")
    if not document:
        return None
    label = ctx._("Professional document number") + f" ({document})"
    return prompt(ctx, label, check_text).upper()


# -- a CIN already enrolled ------------------------------------------------------------------


def _enrolled_as(ctx: Context, terminal: Terminal, cin: str) -> dict[str, Any] | None:
    """The worker this CIN is enrolled as, asked of the service before any other question;
    ``None`` when it is not enrolled, or when the service cannot say now (it refuses the
    enrollment then, with the registration number)."""
    return enrolled_as(terminal, cin)


def _already_enrolled(ctx: Context, terminal: Terminal, worker: dict[str, Any]) -> int:
    number = str(worker["registration_number"])
    text = ctx._("This CIN is already enrolled under registration number {number}.")
    ctx.say("✘ " + text.format(number=number))
    options = [
        ("1", ctx._("Show this worker")),
        ("2", ctx._("Collect a payment for this worker")),
        ("3", ctx._("Stop here")),
    ]
    choice = choose(ctx, N_("What now? (number)"), options)
    if choice == "1":
        print_worker(ctx, terminal.get(f"/v1/workers/{number}"))
        return 0
    if choice == "2":
        amount = amount_of(prompt(ctx, N_("Amount (MAD)"), _amount_problem))
        return collect(ctx, terminal, number, amount)
    return REFUSED


REFUSED = 3  # the enrollment did not happen (docs/terminal.md, exit codes)


def _amount_problem(answer: str) -> str | None:
    try:
        amount_of(answer)
    except BadInput as exc:
        return str(exc)
    return None


# -- sending it ----------------------------------------------------------------------------


def _submit(
    ctx: Context,
    terminal: Terminal,
    payload: dict[str, Any],
    tariff: dict[str, dict[str, Any]] | None,
    *,
    interactive: bool,
) -> int:
    for _ in range(5):
        outcome = send_enrollment(terminal, payload)
        if outcome.state == "queued":
            ctx.say(ctx._("Queued: will be sent when the network is back"))
            return 6
        if outcome.state == "done":
            ctx.say(f"{ctx._('Registration number')}: {outcome.body['registration_number']}")
            print_receipt_of(ctx, outcome.body)
            return 0
        error = outcome.error()
        if error.code == "worker_already_enrolled" and error.details.get("registration_number"):
            if interactive:
                return _already_enrolled(
                    ctx, terminal, {"registration_number": error.details["registration_number"]}
                )
            text = ctx._("This CIN is already enrolled under registration number {number}.")
            ctx.say(text.format(number=error.details["registration_number"]))
            raise error
        if not interactive or not _ask_again(ctx, error, payload, tariff):
            raise error
    raise BadInput(N_("The enrollment was refused too many times: nothing was recorded."))


def send_enrollment(terminal: Terminal, payload: dict[str, Any]) -> Outcome:
    """Sign the enrollment into the outbox (salted: it holds a CIN and names) and send it:
    done, queued offline, or refused (``worker_already_enrolled`` names the number)."""
    return terminal.write("POST", "/v1/workers", payload, label="enrollment", personal=True)


def enrolled_as(terminal: Terminal, cin: str) -> dict[str, Any] | None:
    """The worker this CIN is enrolled as, or None (also when the hub cannot say now)."""
    try:
        found = lookup_cin(terminal, cin)
    except NetworkUnreachable:
        return None
    except ServiceError as error:
        if error.code == "not_found":
            return None
        raise
    worker = found.get("worker") if found.get("status") == "enrolled" else None
    return worker if isinstance(worker, dict) else None


def _ask_again(
    ctx: Context,
    error: ServiceError,
    payload: dict[str, Any],
    tariff: dict[str, dict[str, Any]] | None,
) -> bool:
    """The service named a field at fault: ask that one again, keep the rest."""
    field = error.field or ""
    person = {name: (label, check) for name, label, check in PERSON_FIELDS}
    if field not in (*person, "cin", "category", "bracket", "document_number", "coverage_start"):
        return False
    reason = explain(error.code, ctx.lang, field=field, details=error.details)
    ctx.say("  ✘ " + reason)
    if field in person:
        label, check = person[field]
        payload[field] = _clean(field, prompt(ctx, label, check))
    elif field == "cin":
        payload["cin"] = normalize_cin(prompt(ctx, N_("CIN"), check_cin))
    elif field in ("category", "bracket"):
        payload["category"] = _ask_category(ctx, tariff)
        payload["bracket"] = _ask_bracket(ctx, tariff, payload["category"])
        payload.pop("document_number", None)
        document = _ask_document(ctx, tariff, payload["category"])
        if document:
            payload["document_number"] = document
    elif field == "document_number":
        payload["document_number"] = _ask_document(ctx, tariff, str(payload.get("category")))
    else:
        payload["coverage_start"] = prompt(ctx, COVERAGE_FIELD[1], COVERAGE_FIELD[2])
    return True


# -- finding and amending --------------------------------------------------------------------


def find(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    if args.cin:
        cin = normalize_cin(prompt(ctx, N_("CIN"), check_cin))
        found = lookup_cin(terminal, cin)
        worker = found.get("worker") or found.get("pre_registration")
        ctx.say(ctx._(LOOKUP_STATUSES.get(found["status"], found["status"])))
    elif args.registration_number:
        worker = terminal.get(f"/v1/workers/{args.registration_number}")
    else:
        raise BadInput(N_("Give a registration number, or --cin to type the CIN."))
    print_worker(ctx, worker)
    return 0


def lookup_cin(terminal: Terminal, cin: str) -> Any:
    """The worker (or pre-registration) with this CIN, the worker being at the counter with
    their card: a signed, salted lookup that is never queued (``NetworkUnreachable``)."""
    outcome = terminal.write(
        "POST",
        "/v1/workers/lookup",
        {"cin": cin},
        label="lookup",
        queue_offline=False,
        personal=True,
    )
    return answer_of(outcome)


LOOKUP_STATUSES = {
    "enrolled": N_("Enrolled"),
    "pre_registered": N_("Pre-registered by a liaison body: not enrolled yet"),
}

# What ``find`` and ``amend`` show of a worker, in order, with the operator's label.
WORKER_LINES: tuple[tuple[str, str], ...] = (
    ("registration_number", N_("Registration number")),
    ("cin_masked", N_("CIN")),
    ("last_name", N_("Last name")),
    ("first_name", N_("First name")),
    ("birth_date", N_("Date of birth")),
    ("phone", N_("Phone")),
    ("city", N_("City")),
    ("category", N_("Category")),
    ("bracket", N_("Bracket")),
    ("enrolled_office", N_("Office")),
    ("status", N_("Status")),
    ("rights", N_("Health rights")),
    ("missing", N_("Still to give")),
)
WORKER_STATUSES = {"active": N_("active"), "suspended": N_("suspended"), "closed": N_("closed")}
RELATION_NAMES = {"spouse": N_("spouse"), "child": N_("child")}
# ``missing`` lists field names; these are the ones a liaison entry may lack.
FIELD_NAMES = {
    "birth_date": N_("Date of birth"),
    "sex": N_("Sex"),
    "phone": N_("Phone"),
    "address": N_("Address"),
    "city": N_("City"),
    "bracket": N_("Bracket"),
    "document_number": N_("Professional document number"),
    "coverage_start": N_("Coverage starts"),
    "last_name": N_("Last name"),
    "first_name": N_("First name"),
    "category": N_("Category"),
}


RIGHTS_STATUSES = {"open": N_("open"), "suspended": N_("suspended"), "waiting": N_("waiting")}


def shown_value(key: str, value: Any, ctx: Context) -> str:
    if key == "status":
        return ctx._(WORKER_STATUSES.get(str(value), str(value)))
    if key == "rights" and isinstance(value, dict):
        status = str(value.get("status"))
        return ctx._(RIGHTS_STATUSES.get(status, status))
    if key == "missing":
        return ", ".join(ctx._(FIELD_NAMES.get(str(v), str(v))) for v in value)
    return str(value)


def print_worker(ctx: Context, worker: dict[str, Any]) -> None:
    width = max(len(ctx._(label)) for _, label in WORKER_LINES) + 2
    for key, label in WORKER_LINES:
        if worker.get(key) not in (None, "", []):
            ctx.say(f"{ctx._(label):<{width}}{shown_value(key, worker[key], ctx)}")
    dependents = worker.get("dependents")
    if isinstance(dependents, int):
        # Read by number: how many, never who (their details need the worker's CIN).
        if dependents:
            ctx.say(f"{ctx._('Dependents'):<{width}}{dependents}")
        dependents = []
    for dependent in dependents or []:
        masked = dependent.get("cin_masked") or ""
        relation = ctx._(RELATION_NAMES.get(dependent["relation"], dependent["relation"]))
        ctx.say(
            f"  #{dependent['id']} {relation:<7} {dependent['first_name']} "
            f"{dependent['last_name']} {dependent['birth_date']} {masked}"
        )
    dues = worker.get("dues")
    if isinstance(dues, dict):
        # What has fallen due since coverage started, paid or not: what remains is the
        # quote's (and the rights' unpaid months), so the words must not say "owed".
        text = ctx._("{months} month(s) fallen due since {first}, {amount} in all")
        first = str(dues["first_month"])
        shown = text.format(
            months=dues["months"],
            first=f"{first[5:7]}/{first[:4]}",
            amount=format_mad(dues["due_centimes"]),
        )
        ctx.say(f"{ctx._('Dues'):<{width}}{shown}")


def _read_json_list(path: Path) -> list[dict[str, Any]]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BadInput(N_("This file cannot be read as JSON."), "file") from None
    return loaded if isinstance(loaded, list) else [loaded]


def amend(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    change = {
        key: value
        for key, value in (
            ("phone", args.phone),
            ("address", args.address),
            ("city", args.city),
            ("category", args.category),
            ("bracket", args.bracket),
            ("document_number", args.document),
        )
        if value is not None
    }
    if args.add_dependent:
        change["add_dependents"] = (
            ask_dependents(ctx)
            if args.add_dependent == "-"
            else (_read_json_list(Path(args.add_dependent)))
        )
    if args.remove_dependent:
        change["remove_dependents"] = args.remove_dependent
    if not change:
        raise BadInput(
            N_(
                "Nothing to change: give --phone, --address, --city, --category, "
                "--add-dependent or --remove-dependent."
            )
        )
    for _ in range(3):
        outcome = terminal.write(
            "PATCH",
            f"/v1/workers/{args.registration_number}",
            change,
            label="amendment",
            personal=True,
        )
        if outcome.state == "queued":
            ctx.say(ctx._("Queued: will be sent when the network is back"))
            return 6
        if outcome.state == "done":
            print_worker(ctx, outcome.body)
            return 0
        error = outcome.error()
        if error.code not in ("worker_presence_required", "cin_mismatch"):
            raise error
        # Another office enrolled the worker: the CIN from their card proves they are here.
        ctx.say("  ✘ " + explain(error.code, ctx.lang, field=error.field, details=error.details))
        change["cin"] = normalize_cin(prompt(ctx, N_("CIN (from the worker's card)"), check_cin))
    raise error
