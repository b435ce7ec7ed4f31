"""Questions at the counter: one answer at a time, checked at once and asked again with the
reason in the operator's language; numbered menus; yes or no; a worker's dependents."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from terminal_client.commands.context import BadInput, Context
from terminal_client.fields import (
    Check,
    check_birth_date,
    check_name,
    check_optional_cin,
    check_sex,
    normalize_cin,
)
from terminal_client.i18n import N_

__all__ = ["RELATIONS", "YES", "ask_dependents", "choose", "confirm", "prompt"]

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
NO = ("n", "no", "non", "ل", "لا")

# Asking again forever would hide a stuck script; ten mistakes on one question is enough.
TRIES = 10


def _ask(ctx: Context, question: str) -> str:
    try:
        return ctx.ask(f"{question}: ").strip()
    except EOFError:
        # Standard input ended: nobody is left to answer, and nothing was sent.
        raise BadInput(N_("The questions were not all answered: nothing was sent.")) from None


def prompt(ctx: Context, label: str, check: Check) -> str:
    """Ask until the answer passes ``check``: the operator sees a mistake at once."""
    for _ in range(TRIES):
        answer = _ask(ctx, ctx._(label))
        problem = check(answer)
        if problem is None:
            return answer
        ctx.say(f"  ✘ {ctx._(problem)}")
    raise BadInput(N_("Too many invalid answers to the same question: nothing was sent."))


def confirm(ctx: Context, question: str) -> bool:
    """Yes or no, in the operator's language; anything else is asked again."""
    for _ in range(TRIES):
        answer = _ask(ctx, question).lower()
        if answer in YES:
            return True
        if answer in NO:
            return False
        ctx.say(f"  ✘ {ctx._('Answer yes or no.')}")
    raise BadInput(N_("Too many invalid answers to the same question: nothing was sent."))


def choose(ctx: Context, label: str, options: Sequence[tuple[str, str]]) -> str:
    """A numbered menu of ``(code, what the operator reads)``; the number or the code is
    accepted. Returns the code. A code that is its own number is not printed twice."""
    for number, (code, text) in enumerate(options, start=1):
        shown = text if code == str(number) else f"{code} — {text}" if text else code
        ctx.say(f"  {number:>2}. {shown}")
    codes = [code for code, _ in options]

    def check(answer: str) -> str | None:
        if answer.isdigit() and 1 <= int(answer) <= len(options):
            return None
        if answer.upper().replace(" ", "") in codes:
            return None
        return N_("Type the number of one of the lines above.")

    answer = prompt(ctx, label, check)
    return codes[int(answer) - 1] if answer.isdigit() else answer.upper().replace(" ", "")


def _check_relation(answer: str) -> str | None:
    return None if answer.strip().lower() in RELATIONS else N_("Type spouse or child.")


DEPENDENT_FIELDS: list[tuple[str, str, Check]] = [
    ("relation", N_("Relation (spouse/child)"), _check_relation),
    ("cin", N_("CIN (empty for a young child)"), check_optional_cin),
    ("last_name", N_("Last name"), check_name),
    ("first_name", N_("First name"), check_name),
    ("birth_date", N_("Date of birth (YYYY-MM-DD)"), check_birth_date),
    ("sex", N_("Sex (F/M)"), check_sex),
]


def ask_dependents(ctx: Context) -> list[dict[str, Any]]:
    """Spouses and children, one after the other, until the operator answers no."""
    dependents: list[dict[str, Any]] = []
    while confirm(ctx, ctx._("Add a dependent? (y/n)")):
        dependent: dict[str, Any] = {}
        for name, label, check in DEPENDENT_FIELDS:
            value = prompt(ctx, label, check)
            if name == "relation":
                dependent[name] = RELATIONS[value.lower()]
            elif name == "cin":
                if value:
                    dependent[name] = normalize_cin(value)
            else:
                dependent[name] = value.upper() if name == "sex" else re.sub(r"\s+", " ", value)
        if dependent.get("relation") == "child":
            dependent["student"] = confirm(ctx, ctx._("Student? (y/n)"))
        dependents.append(dependent)
    return dependents
