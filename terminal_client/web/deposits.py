"""A worker's reimbursement file at the counter: the deposit form (reached from the worker's
page), the hub's warnings with the "the worker insists" step, and the worker's files with
where each one is (docs/deposits.md).

The form is checked with the command line's own checks (terminal_client/deposits.py), each
mistake said on its field, everything typed kept. A dependent's file needs the dependents'
list, which the hub gives only to the worker's CIN: the operator types it and the form
lists them. The deposit itself is the CLI's ``send_deposit``; once taken, the slip is a
ticket of the day (``/tickets/{seq}``) with the envelope's label beside it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from markupsafe import Markup, escape
from starlette.responses import JSONResponse, Response

from terminal_client.api import NetworkUnreachable, ServiceError
from terminal_client.commands.context import CASABLANCA
from terminal_client.commands.deposits import (
    dependent_label,
    refused_for_warnings,
    send_deposit,
    worker_deposits,
)
from terminal_client.commands.workers import lookup_cin
from terminal_client.deposits import (
    CARE_KINDS,
    check_care_day,
    check_documents,
    day_shown,
    stage_sentence,
    warned_by_refusal,
    warning_sentence,
)
from terminal_client.fields import check_cin, normalize_cin
from terminal_client.money import AmountError, format_mad, parse_mad
from terminal_client.web.page import REFUSALS, Page
from terminal_client.web.workers import REGISTRATION

# The form's fields in the order the operator fills them.
FIELDS = ("beneficiary", "care_kind", "care_from", "care_to", "amount", "documents")


def _number(page: Page) -> str | None:
    number = str(page.request.path_params["number"])
    return number if REGISTRATION.fullmatch(number) else None


def _today() -> date:
    return datetime.now(CASABLANCA).date()


def _values(page: Page) -> dict[str, str]:
    if page.form is None:
        return {"care_from": _today().isoformat(), "documents": "1"}
    return {k: v.strip() for k, v in page.form.items() if isinstance(v, str) and k != "csrf"}


def _dependents(page: Page, number: str, cin: str) -> tuple[list[tuple[str, str]], str | None]:
    """The dependents the worker with this CIN has (value, label), or what went wrong."""
    if not cin:
        return [], None
    if (problem := check_cin(cin)) is not None:
        return [], page.ctx._(problem)
    try:
        found = lookup_cin(page.ctx.terminal(), normalize_cin(cin))
    except REFUSALS as exc:
        return [], page.refusal(exc)[0]
    worker = found.get("worker") if found.get("status") == "enrolled" else None
    if not isinstance(worker, dict) or str(worker.get("registration_number")) != number:
        return [], page.t("cin_not_this_worker")
    return [
        (str(d["id"]), dependent_label(page.ctx, d)) for d in worker.get("dependents") or []
    ], None


def _render(page: Page, number: str, status: int = 200, **extra: Any) -> Response:
    values = extra.pop("values", None) or _values(page)
    errors: dict[str, str] = extra.pop("errors", {})
    dependents, cin_problem = _dependents(page, number, values.get("cin", ""))
    if cin_problem:
        errors.setdefault("cin", cin_problem)
    return page.render(
        "deposit.html",
        status,
        number=number,
        values=values,
        errors=errors,
        first_error=next(iter(errors), None),
        dependents=dependents,
        kinds=[(code, page.ctx._(label)) for code, label in CARE_KINDS.items()],
        **extra,
    )


def form(page: Page) -> Response:
    number = _number(page)
    if number is None:
        return page.redirect("/")
    return _render(page, number)


def _amount_problem(text: str) -> str | None:
    try:
        amount = parse_mad(text)
    except AmountError as exc:
        return exc.message_id
    return None if amount > 0 else "The amount must be more than 0 MAD."


def _check(page: Page, number: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The body the hub gets, and each field's mistake in the operator's language."""
    values, errors = _values(page), {}
    today = _today()

    def problem(name: str, message: str | None) -> None:
        if message is not None and name not in errors:
            errors[name] = page.ctx._(message)

    if values.get("care_kind") not in CARE_KINDS:
        errors["care_kind"] = page.t("choose_care")
    problem("care_from", check_care_day(values.get("care_from", ""), today=today))
    last = values.get("care_to") or values.get("care_from", "")
    if values.get("care_to"):  # empty: one day of care, checked as the first
        problem("care_to", check_care_day(last, today=today))
    if not errors.keys() & {"care_from", "care_to"} and last < values.get("care_from", ""):
        problem("care_to", "The last day of care cannot be before the first.")
    problem("amount", _amount_problem(values.get("amount", "")))
    problem("documents", check_documents(values.get("documents", "")))
    beneficiary = values.get("beneficiary", "")
    if beneficiary and not beneficiary.isdigit():
        errors["beneficiary"] = page.t("choose_beneficiary")
    if errors:
        return {}, errors
    body: dict[str, Any] = {
        "registration_number": number,
        "care_kind": values["care_kind"],
        "care_from": values["care_from"],
        "care_to": last,
        "amount_spent_centimes": parse_mad(values["amount"]),
        "documents": int(values["documents"]),
    }
    if beneficiary:
        body["dependent_id"] = int(beneficiary)
    return body, {}


def submit(page: Page) -> Response:
    number = _number(page)
    if number is None:
        return page.redirect("/")
    if page.field("list_dependents"):
        return _render(page, number, focus="beneficiary")
    body, errors = _check(page, number)
    if errors:
        return _render(page, number, 422, errors=errors)
    return _send(page, number, body)


def _send(page: Page, number: str, body: dict[str, Any]) -> Response:
    """The deposit to the hub; its warnings lead to the "the worker insists" step, a field
    it refuses is marked on the form like the terminal's own checks."""
    try:
        outcome = send_deposit(page.ctx.terminal(), body, insist=page.field("insist") == "1")
        refused = refused_for_warnings(outcome)
        if refused is not None:
            warned = warned_by_refusal(refused.details)
            return page.render(
                "deposit_warnings.html",
                409,
                number=number,
                values=_values(page),
                sentences=[warning_sentence(w, page.ctx._) for w in warned],
            )
        if outcome.state == "refused":
            raise outcome.error()
    except ServiceError as error:
        message, field = page.refusal(error)
        name = _form_name(field)
        return _render(page, number, error.status, errors={name: message}, error=message)
    except REFUSALS as exc:
        message, _ = page.refusal(exc)
        return _render(page, number, 503, error=message)
    if outcome.state == "queued":
        return page.render("message.html", message=page.t("deposit_queued", seq=outcome.seq))
    return page.redirect(f"/tickets/{outcome.seq}")


_FORM_NAMES = {"amount_spent_centimes": "amount", "dependent_id": "beneficiary"}


def _form_name(field: str | None) -> str:
    if not field:
        return "care_kind"
    return _FORM_NAMES.get(field, field if field in FIELDS else "care_kind")


def check_field(page: Page) -> Response:
    """One field checked as the operator leaves it (counter.js): the sentence the form
    would show, or "". The form checks everything again when it is sent."""
    name, value = page.field("field"), page.field("value")
    problem: str | None = None
    if name in ("care_from", "care_to") and value:
        problem = check_care_day(value, today=_today())
    elif name == "amount":
        problem = _amount_problem(value)
    elif name == "documents":
        problem = check_documents(value)
    message = page.ctx._(problem) if problem is not None else ""
    return page.finish(JSONResponse({"field": name, "message": message}))


def files(page: Page) -> Response:
    """The worker's files, newest first, and the journey of each one."""
    number = _number(page)
    if number is None:
        return page.redirect("/")
    try:
        lines = worker_deposits(page.ctx.terminal(), number)
    except NetworkUnreachable:
        return page.render("error.html", 503, message=page.refusal(NetworkUnreachable())[0])
    rows = [
        {
            "number": line["deposit_number"],
            "day": day_shown(str(line["business_date"])),
            "care": page.ctx._(CARE_KINDS.get(str(line["care_kind"]), str(line["care_kind"]))),
            "period": _period(line),
            "amount": format_mad(int(line["amount_spent_centimes"])),
            "documents": line["documents"],
            "stage": str(line["stage"]),
            "where": _where(page, line),
            "since": day_shown(str(line["since"])) if line.get("since") else "",
            "office": line.get("office") or "",
        }
        for line in lines
    ]
    return page.render("deposits.html", number=number, rows=rows)


def _where(page: Page, line: dict[str, Any]) -> Markup:
    """Where the file is, its slip number kept whole and left to right inside the sentence
    (an Arabic sentence would otherwise break it at a hyphen and reorder its parts)."""
    slip = line.get("transmittal")
    if not slip:
        return escape(stage_sentence(line, page.ctx._, format_mad))
    parts = stage_sentence({**line, "transmittal": "\x00"}, page.ctx._, format_mad).split("\x00")
    shown = Markup('<bdi class="slip">{}</bdi>').format(str(slip))
    return shown.join(escape(part) for part in parts)


def _period(line: dict[str, Any]) -> str:
    first, last = day_shown(str(line["care_from"])), day_shown(str(line["care_to"]))
    return first if first == last else f"{first} – {last}"
