"""Enrolling, finding and amending workers, with prompts that ask again at once."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from terminal_client.api import Terminal
from terminal_client.commands.context import (
    BadInput,
    Context,
    answer_of,
    need_session,
    print_receipt_of,
)
from terminal_client.i18n import N_
from terminal_client.messages import explain
from terminal_client.money import format_mad

ENROLL_FIELDS: list[tuple[str, str, Callable[[str], str | None]]] = [
    ("cin", "CIN", lambda v: None if re.fullmatch(r"[A-Za-z]{1,2} ?[0-9]{3,6}", v) else "CIN"),
    ("last_name", "Last name", lambda v: None if v.strip() else "Last name"),
    ("first_name", "First name", lambda v: None if v.strip() else "First name"),
    (
        "birth_date",
        "Date of birth (YYYY-MM-DD)",
        lambda v: None if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) else "YYYY-MM-DD",
    ),
    ("sex", "Sex (F/M)", lambda v: None if v.upper() in ("F", "M") else "F/M"),
    (
        "phone",
        "Phone",
        lambda v: None if re.sub(r"[\s.-]", "", v).lstrip("+").isdigit() else "Phone",
    ),
    ("address", "Address", lambda v: None if v.strip() else "Address"),
    ("city", "City", lambda v: None if v.strip() else "City"),
    ("category", "Category", lambda v: None if v.strip() else "Category"),
    ("bracket", "Bracket", lambda v: None if v.strip() else "Bracket"),
    ("document_number", "Professional document number", lambda v: None),
    (
        "coverage_start",
        "Coverage starts (YYYY-MM)",
        lambda v: None if re.fullmatch(r"\d{4}-\d{2}", v) else "YYYY-MM",
    ),
]


# What an operator may type, in French, Arabic or English.
RELATIONS: dict[str, str] = {
    "spouse": "spouse",
    "conjoint": "spouse",
    "époux": "spouse",
    "épouse": "spouse",
    "زوج": "spouse",
    "زوجة": "spouse",
    "child": "child",
    "enfant": "child",
    "ابن": "child",
    "ابنة": "child",
}


YES = ("y", "yes", "o", "oui", "ن", "نعم")


DEPENDENT_FIELDS: list[tuple[str, str, Callable[[str], str | None]]] = [
    (
        "relation",
        N_("Relation (spouse/child)"),
        lambda v: None if v.strip().lower() in RELATIONS else N_("Relation (spouse/child)"),
    ),
    (
        "cin",
        N_("CIN (empty for a young child)"),
        lambda v: None if not v or re.fullmatch(r"[A-Za-z]{1,2} ?[0-9]{3,6}", v) else "CIN",
    ),
    ("last_name", "Last name", lambda v: None if v.strip() else "Last name"),
    ("first_name", "First name", lambda v: None if v.strip() else "First name"),
    (
        "birth_date",
        "Date of birth (YYYY-MM-DD)",
        lambda v: None if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) else "YYYY-MM-DD",
    ),
    ("sex", "Sex (F/M)", lambda v: None if v.upper() in ("F", "M") else "F/M"),
]


def ask_dependents(ctx: Context) -> list[dict[str, Any]]:
    """Spouses and children, one after the other, until the operator answers no."""
    dependents: list[dict[str, Any]] = []
    while ctx.ask(f"{ctx._('Add a dependent? (y/n)')}: ").strip().lower() in YES:
        dependent: dict[str, Any] = {}
        for name, label, check in DEPENDENT_FIELDS:
            value = normalize(name, prompt(ctx, label, check))
            if value is not None:
                dependent[name] = RELATIONS[value.strip().lower()] if name == "relation" else value
        if dependent.get("relation") == "child":
            student = ctx.ask(f"{ctx._('Student? (y/n)')}: ").strip().lower()
            dependent["student"] = student in YES
        dependents.append(dependent)
    return dependents


def normalize(name: str, value: str) -> str | None:
    if name == "sex":
        return value.upper()
    if name in ("category", "bracket", "cin"):
        return value.upper().replace(" ", "") or None
    return value or None


def prompt(ctx: Context, label: str, check: Callable[[str], str | None]) -> str:
    """Ask until the answer has the right shape: the operator sees a mistake at once."""
    for _ in range(10):
        answer = ctx.ask(f"{ctx._(label)}: ").strip()
        problem = check(answer)
        if problem is None:
            return answer
        ctx.say(f"  ✘ {ctx._(problem)}")
    raise BadInput(f"{label}: too many invalid answers")


def enroll(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    if args.from_json:
        try:
            payload = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BadInput(f"{args.from_json}: not a readable JSON file ({exc})") from None
        return _submit_enrollment(ctx, terminal, payload, interactive=False)
    answers: dict[str, Any] = {}
    for name, label, check in ENROLL_FIELDS:
        value = normalize(name, prompt(ctx, label, check))
        if value is not None:
            answers[name] = value
    answers["dependents"] = ask_dependents(ctx)
    return _submit_enrollment(ctx, terminal, answers, interactive=True)


def _submit_enrollment(
    ctx: Context, terminal: Terminal, payload: dict[str, Any], *, interactive: bool
) -> int:
    labels = {name: (label, check) for name, label, check in ENROLL_FIELDS}
    for _ in range(5):
        outcome = terminal.write("POST", "/v1/workers", payload, label="enrollment")
        if outcome.state == "queued":
            ctx.say(ctx._("Queued: will be sent when the network is back"))
            return 6
        if outcome.state == "done":
            ctx.say(f"{ctx._('Registration number')}: {outcome.body['registration_number']}")
            print_receipt_of(ctx, outcome.body)
            return 0
        error = outcome.error()
        field_name = error.field
        if not interactive or field_name not in labels:
            raise error
        # The service named the field at fault: ask for that one again, keep the rest.
        ctx.say(
            "  ✘ " + explain(error.code, ctx.lang, server_message=error.message, field=field_name)
        )
        label, check = labels[field_name]
        value = normalize(field_name, prompt(ctx, label, check))
        payload[field_name] = value
    raise BadInput("the enrollment was refused too many times")


def _read_json_list(path: Path) -> list[dict[str, Any]]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path}: not a readable JSON file ({exc})") from None
    return loaded if isinstance(loaded, list) else [loaded]


def find(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_session(ctx)
    if args.cin:
        cin = prompt(ctx, "CIN", ENROLL_FIELDS[0][2]).upper().replace(" ", "")
        outcome = terminal.write(
            "POST", "/v1/workers/lookup", {"cin": cin}, label="lookup", queue_offline=False
        )
        found = answer_of(outcome)
        worker = found.get("worker") or found.get("pre_registration")
        ctx.say(f"{found['status']}")
    elif args.registration_number:
        worker = terminal.get(f"/v1/workers/{args.registration_number}")
    else:
        raise BadInput("give a registration number or --cin")
    print_worker(ctx, worker)
    return 0


def print_worker(ctx: Context, worker: dict[str, Any]) -> None:
    for key in (
        "registration_number",
        "cin_masked",
        "last_name",
        "first_name",
        "birth_date",
        "phone",
        "city",
        "category",
        "bracket",
        "status",
        "missing",
    ):
        if worker.get(key) not in (None, ""):
            ctx.say(f"{key:<20} {worker[key]}")
    for dependent in worker.get("dependents") or []:
        masked = dependent.get("cin_masked") or ""
        ctx.say(
            f"  #{dependent['id']} {dependent['relation']:<7} {dependent['first_name']} "
            f"{dependent['last_name']} {dependent['birth_date']} {masked}"
        )
    dues = worker.get("dues")
    if isinstance(dues, dict):
        ctx.say(f"{'dues':<20} {dues['months']} × → {format_mad(dues['due_centimes'])}")


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
            "nothing to change: give --phone, --address, --city, --category, "
            "--add-dependent or --remove-dependent"
        )
    outcome = terminal.write(
        "PATCH", f"/v1/workers/{args.registration_number}", change, label="amendment"
    )
    if outcome.state == "queued":
        ctx.say(ctx._("Queued: will be sent when the network is back"))
        return 6
    print_worker(ctx, answer_of(outcome))
    return 0
