"""Enrolling a worker on one screen: the person, a menu of category and bracket (from the
hub's tariff), the professional document when the category has one, the coverage start, and
the dependents on the same screen (a row more with "Add a dependent").

Each field is checked with the command line's own checks (terminal_client/fields.py) and a
mistake is said next to its field, everything typed kept and the focus on the first field
at fault; the hub checks again and a field it names is marked the same way. A CIN already
enrolled leads straight to that worker's screen.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse, Response

from terminal_client.api import NetworkUnreachable, ServiceError
from terminal_client.commands.asking import DEPENDENT_FIELDS, RELATIONS
from terminal_client.commands.context import CASABLANCA
from terminal_client.commands.workers import (
    COVERAGE_FIELD,
    PERSON_FIELDS,
    enrolled_as,
    send_enrollment,
)
from terminal_client.fields import check_cin, check_text, normalize_cin
from terminal_client.web.page import REFUSALS, Page

MAX_DEPENDENTS = 12
_DEPENDENT_TEXT = ("cin", "last_name", "first_name", "birth_date")


def _tariff(page: Page) -> dict[str, dict[str, Any]]:
    try:
        found = page.ctx.terminal().get("/v1/tariff")
    except NetworkUnreachable:
        page.offline = True
        return {}
    return {str(c["code"]): c for c in found["categories"]}


def _plans(
    page: Page, tariff: dict[str, dict[str, Any]]
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The category and bracket menu: one group per category, one line per bracket."""
    label = "label_ar" if page.lang == "ar" else "label_fr"
    groups = []
    for code, category in tariff.items():
        options = [
            (f"{code}/{b['code']}", f"{b.get('label') or b['code']}") for b in category["brackets"]
        ]
        groups.append((f"{code} — {category.get(label) or ''}", options))
    return groups


def _rows(page: Page) -> int:
    asked = page.field("rows")
    rows = int(asked) if asked.isdigit() else 1
    return max(1, min(rows + (1 if page.field("more") else 0), MAX_DEPENDENTS))


def _values(page: Page) -> dict[str, str]:
    if page.form is None:
        return {"coverage_start": datetime.now(UTC).astimezone(CASABLANCA).strftime("%Y-%m")}
    return {k: v.strip() for k, v in page.form.items() if isinstance(v, str) and k != "csrf"}


def _render(page: Page, status: int = 200, **extra: Any) -> Response:
    tariff = extra.pop("tariff", None)
    if tariff is None:
        tariff = _tariff(page)
    values = extra.pop("values", None) or _values(page)
    errors: dict[str, str] = extra.pop("errors", {})
    return page.render(
        "enroll.html",
        status,
        values=values,
        errors=errors,
        first_error=next(iter(errors), None),
        plans=_plans(page, tariff),
        rows=_rows(page),
        person=[(name, page.ctx._(label)) for name, label, _ in PERSON_FIELDS],
        coverage_label=page.ctx._(COVERAGE_FIELD[1]),
        dependent_fields=[(name, page.ctx._(label)) for name, label, _ in DEPENDENT_FIELDS],
        **extra,
    )


def form(page: Page) -> Response:
    return _render(page)


def _check(page: Page, tariff: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, str]]:
    """The payload the hub gets, and each field's mistake in the operator's language."""
    values, errors = _values(page), {}
    payload: dict[str, Any] = {}

    def problem(name: str, message: str | None) -> None:
        if message is not None and name not in errors:
            errors[name] = page.ctx._(message)

    problem("cin", check_cin(values.get("cin", "")))
    payload["cin"] = normalize_cin(values.get("cin", ""))
    for name, _, check in PERSON_FIELDS:
        value = values.get(name, "")
        problem(name, check(value))
        payload[name] = value.upper() if name == "sex" else " ".join(value.split())
    category, _, bracket = values.get("plan", "").partition("/")
    if not bracket or (tariff and category not in tariff):
        problem("plan", page.t("choose_plan"))
    payload["category"], payload["bracket"] = category, bracket
    if tariff.get(category, {}).get("document_label"):
        problem("document_number", check_text(values.get("document_number", "")))
    if values.get("document_number"):
        payload["document_number"] = values["document_number"].upper()
    problem("coverage_start", COVERAGE_FIELD[2](values.get("coverage_start", "")))
    payload["coverage_start"] = values.get("coverage_start", "")
    payload["dependents"] = [
        d for d in (_dependent(values, i, problem) for i in range(_rows(page))) if d
    ]
    return payload, errors


def _dependent(values: dict[str, str], index: int, problem: Any) -> dict[str, Any] | None:
    """Row ``index`` of the dependents (``d0_cin``…), or None when left blank."""
    row = {name: values.get(f"d{index}_{name}", "") for name, _, _ in DEPENDENT_FIELDS}
    if not any(row[name] for name in _DEPENDENT_TEXT):
        return None
    dependent: dict[str, Any] = {}
    for name, _, check in DEPENDENT_FIELDS:
        problem(f"d{index}_{name}", check(row[name]))
        if name == "relation":
            dependent[name] = RELATIONS.get(row[name].lower(), row[name])
        elif name == "cin":
            if row[name]:
                dependent[name] = normalize_cin(row[name])
        else:
            dependent[name] = row[name].upper() if name == "sex" else " ".join(row[name].split())
    if dependent.get("relation") == "child":
        dependent["student"] = values.get(f"d{index}_student") == "1"
    return dependent


def submit(page: Page) -> Response:
    tariff = _tariff(page)
    if page.field("more"):
        return _render(page, tariff=tariff, focus=f"d{_rows(page) - 1}_relation")
    payload, errors = _check(page, tariff)
    if errors:
        return _render(page, 422, tariff=tariff, errors=errors)
    return _send(page, tariff, payload)


def _send(page: Page, tariff: dict[str, dict[str, Any]], payload: dict[str, Any]) -> Response:
    """A CIN already enrolled leads to that worker; otherwise the enrollment is sent, and a
    field the hub refuses is marked on the form like the terminal's own checks."""
    terminal = page.ctx.terminal()
    try:
        existing = enrolled_as(terminal, payload["cin"])
        if existing is not None:
            return _already(page, str(existing["registration_number"]))
        outcome = send_enrollment(terminal, payload)
        if outcome.state == "refused":
            raise outcome.error()
    except ServiceError as error:
        number = error.details.get("registration_number")
        if error.code == "worker_already_enrolled" and number:
            return _already(page, str(number))
        message, field = page.refusal(error)
        name = _form_name(field)
        return _render(page, error.status, tariff=tariff, errors={name: message}, error=message)
    except REFUSALS as exc:
        message, _ = page.refusal(exc)
        return _render(page, 503, tariff=tariff, error=message)
    if outcome.state == "queued":
        return page.render("message.html", message=page.t("enrollment_queued", seq=outcome.seq))
    return page.redirect(f"/tickets/{outcome.seq}")


def _form_name(field: str | None) -> str:
    """The hub's field (``dependents.0.cin``, ``category``) as this form's (``d0_cin``)."""
    if not field:
        return "cin"
    parts = field.split(".")
    if parts[0] == "dependents" and len(parts) == 3 and parts[1].isdigit():
        return f"d{parts[1]}_{parts[2]}"
    return "plan" if parts[0] in ("category", "bracket") else parts[0]


def _already(page: Page, number: str) -> Response:
    return page.redirect(f"/workers/{number}?already=1")


def _checks() -> dict[str, Any]:
    found: dict[str, Any] = {"cin": check_cin, COVERAGE_FIELD[0]: COVERAGE_FIELD[2]}
    found.update({name: check for name, _, check in PERSON_FIELDS})
    return found


_DEPENDENT = re.compile(r"d([0-9]{1,2})_([a-z_]+)")


def check_field(page: Page) -> Response:
    """One field checked as it is typed (counter.js asks when the operator leaves it): the
    same sentence the form would show, or "" when the field is fine. Only an enhancement:
    the form checks everything again when it is sent."""
    name, value = page.field("field"), page.field("value")
    check = _checks().get(name)
    dependent = _DEPENDENT.fullmatch(name)
    if dependent is not None and value:
        check = {n: c for n, _, c in DEPENDENT_FIELDS}.get(dependent[2])
    problem = check(value) if check is not None else None
    message = page.ctx._(problem) if problem is not None else ""
    return page.finish(JSONResponse({"field": name, "message": message}))
