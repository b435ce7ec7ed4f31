"""What an error code means to the operator at the counter, and the exit status it gives.

The server answers ``{"error": {"code", "message", "field"}}``; its ``message`` is English
and written for developers. The operator gets instead one translated sentence saying what
happened and what to do, naming the field involved. Exit statuses are grouped so scripts
can tell "fix the input" from "sign in again" from "the write is safe in the outbox"
(docs/terminal.md, "Exit codes").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import IntEnum
from types import MappingProxyType
from typing import NamedTuple

from terminal_client.i18n import N_, translator
from terminal_client.money import format_mad

__all__ = ["EXIT_CODES", "Exit", "exit_code", "explain"]


class Exit(IntEnum):
    """Process exit statuses of ``qurb-terminal``; stable across releases."""

    OK = 0
    ERROR = 1  # an error code this version does not know
    BAD_INPUT = 2
    REFUSED = 3
    SESSION = 4
    TERMINAL = 5
    QUEUED = 6
    SERVER = 7
    RECEIPT_INVALID = 8
    UNREACHABLE = 9


class _Meaning(NamedTuple):
    sentence: str
    exit: Exit
    # The terminal's own message (a message id, so it is translated) says what to fix. A
    # server's message is English for developers and never shown: its code and field are.
    with_detail: bool = False


_MEANINGS: dict[str, _Meaning] = {
    # -- 2: the input was wrong -----------------------------------------------------------
    "validation_failed": _Meaning(
        N_("Some information is missing or not valid. Correct it and try again."),
        Exit.BAD_INPUT,
    ),
    "bad_input": _Meaning(
        N_("What you typed is not valid. Correct it and try again."),
        Exit.BAD_INPUT,
        with_detail=True,
    ),
    "malformed_request": _Meaning(
        N_("The server could not read the request. Update qurb-terminal or call support."),
        Exit.BAD_INPUT,
    ),
    "malformed_encoding": _Meaning(
        N_("The server could not read the request. Update qurb-terminal or call support."),
        Exit.BAD_INPUT,
    ),
    "idempotency_key_missing": _Meaning(
        N_("The request was sent without its sequence number. Update qurb-terminal."),
        Exit.BAD_INPUT,
    ),
    "not_found": _Meaning(
        N_("Nothing matches what you entered. Check the number and try again."),
        Exit.BAD_INPUT,
    ),
    "payload_too_large": _Meaning(
        N_("The request is too large. Send fewer items at a time."), Exit.BAD_INPUT
    ),
    # -- 3: refused by the rules ----------------------------------------------------------
    "conflict": _Meaning(
        N_("The operation conflicts with the current state of the file. Refresh and check."),
        Exit.REFUSED,
    ),
    "already_exists": _Meaning(N_("This record already exists."), Exit.REFUSED),
    "inactive": _Meaning(
        N_("The office, terminal or account involved is suspended or closed."), Exit.REFUSED
    ),
    "forbidden": _Meaning(N_("Your account is not allowed to do this."), Exit.REFUSED),
    "wrong_office": _Meaning(
        N_("Your account belongs to another office than this terminal."), Exit.REFUSED
    ),
    "self_change": _Meaning(N_("You cannot change your own account."), Exit.REFUSED),
    "idempotency_in_flight": _Meaning(
        N_("The same operation is still being processed. Wait a moment, then check it."),
        Exit.REFUSED,
    ),
    "worker_already_enrolled": _Meaning(
        N_("This CIN is already enrolled. Look the worker up instead."), Exit.REFUSED
    ),
    "cin_is_a_dependent": _Meaning(
        N_("This CIN is covered as a dependent of another worker; a supervisor must decide."),
        Exit.REFUSED,
    ),
    "dependent_is_insured": _Meaning(
        N_("This dependent is already insured in their own right."), Exit.REFUSED
    ),
    "dependent_already_covered": _Meaning(
        N_("This dependent is already covered by another worker."), Exit.REFUSED
    ),
    "not_collected_at_counter": _Meaning(
        N_("This category pays its health contribution with its tax, not at the counter."),
        Exit.REFUSED,
    ),
    "worker_suspended": _Meaning(
        N_("This worker's file is suspended: no payment until CNSS reopens it."), Exit.REFUSED
    ),
    "reversal_window_closed": _Meaning(
        N_("Too late: a collection can be reversed only on its business day. Ask CNSS finance."),
        Exit.REFUSED,
    ),
    "already_reversed": _Meaning(N_("This collection is already reversed."), Exit.REFUSED),
    "not_a_collection": _Meaning(
        N_("This receipt is not a collection: only collections can be reversed."), Exit.REFUSED
    ),
    "deposit_needs_insistence": _Meaning(
        N_(
            "CNSS will probably refuse this file: tell the worker why; it is taken only if the"
            " worker insists."
        ),
        Exit.REFUSED,
    ),
    "cancellation_window_closed": _Meaning(
        N_("Too late: a deposit can be cancelled only on the day it was taken."), Exit.REFUSED
    ),
    "already_cancelled": _Meaning(N_("This deposit is already cancelled."), Exit.REFUSED),
    "already_transmitted": _Meaning(
        N_("This envelope has left with its transmittal slip: it can no longer be cancelled."),
        Exit.REFUSED,
    ),
    "nothing_to_transmit": _Meaning(
        N_("No deposit of this day is waiting to be sent: no slip was made."), Exit.REFUSED
    ),
    "day_closed": _Meaning(
        N_("This business day is closed: nothing can be changed in it at the counter."),
        Exit.REFUSED,
    ),
    "same_person": _Meaning(
        N_("The approving supervisor must be someone other than the collecting operator."),
        Exit.REFUSED,
    ),
    "worker_presence_required": _Meaning(
        N_(
            "Another office enrolled this worker: their full file and any change need the "
            "CIN from their card. Use find --cin."
        ),
        Exit.REFUSED,
    ),
    "cin_mismatch": _Meaning(
        N_("This CIN is not the worker's. Type it again from their card."), Exit.REFUSED
    ),
    "supervisor_required": _Meaning(
        N_("This operation needs the approval of a supervisor of this office."), Exit.REFUSED
    ),
    "drawer_already_closed": _Meaning(
        N_(
            "This drawer is already closed for the day with another count. A drawer is "
            "closed once a day: ask the supervisor to record the difference."
        ),
        Exit.REFUSED,
    ),
    "day_already_declared": _Meaning(
        N_("One of these days is already declared for this worker."), Exit.REFUSED
    ),
    "no_declared_days": _Meaning(
        N_(
            "This fishing-sector worker has no declared days yet, so nothing is owed. "
            "Declare the days worked first (declare-day), then collect."
        ),
        Exit.REFUSED,
    ),
    # The server's ``invalid_credentials`` naming the ``supervisor`` field: the approving
    # supervisor's password was wrong, the operator's own session is untouched.
    "supervisor_credentials_refused": _Meaning(
        N_(
            "The supervisor's username or password was refused. Your own session is still"
            " open: the supervisor can type them again."
        ),
        Exit.REFUSED,
    ),
    "supervisor_account_locked": _Meaning(
        N_(
            "The supervisor's account is locked after too many wrong passwords: another"
            " supervisor of this office can approve. Your own session is still open."
        ),
        Exit.REFUSED,
    ),
    # -- 4: sign-in and session -----------------------------------------------------------
    "not_logged_in": _Meaning(N_("You are not signed in. Sign in first."), Exit.SESSION),
    "token_missing": _Meaning(N_("You are not signed in. Sign in first."), Exit.SESSION),
    "token_invalid": _Meaning(N_("Your session is not valid. Sign in again."), Exit.SESSION),
    "token_expired": _Meaning(N_("Your session has expired. Sign in again."), Exit.SESSION),
    "token_wrong_terminal": _Meaning(
        N_("This session was opened on another terminal. Sign in again here."), Exit.SESSION
    ),
    "authentication_failed": _Meaning(N_("Sign-in failed. Try again."), Exit.SESSION),
    "invalid_credentials": _Meaning(N_("Wrong username or password."), Exit.SESSION),
    "account_locked": _Meaning(
        N_("Too many failed attempts: this account is locked for a while. Try again later."),
        Exit.SESSION,
    ),
    "account_suspended": _Meaning(
        N_("This account is suspended. Contact your supervisor."), Exit.SESSION
    ),
    "wrong_sign_in_path": _Meaning(
        N_("This account cannot sign in at a counter terminal."), Exit.SESSION
    ),
    # -- 5: the terminal, its key or its activation --------------------------------------------
    "not_initialized": _Meaning(
        N_("This terminal is not set up yet. Run qurb-terminal init first."), Exit.TERMINAL
    ),
    "already_initialized": _Meaning(
        N_("This terminal is already set up: its key is kept, nothing was changed."),
        Exit.TERMINAL,
    ),
    "not_activated": _Meaning(
        N_("This terminal is not activated. Activate it with the code from your administrator."),
        Exit.TERMINAL,
    ),
    "activation_code_invalid": _Meaning(
        N_("This activation code is wrong. Check it with your administrator."), Exit.TERMINAL
    ),
    "activation_code_expired": _Meaning(
        N_("This activation code has expired. Ask your administrator for a new one."),
        Exit.TERMINAL,
    ),
    "activation_code_exhausted": _Meaning(
        N_("This activation code was already used. Ask your administrator for a new one."),
        Exit.TERMINAL,
    ),
    "terminal_not_pending": _Meaning(
        N_("This terminal is not waiting for activation."), Exit.TERMINAL
    ),
    "terminal_suspended": _Meaning(
        N_("This terminal is suspended. Contact your network administrator."), Exit.TERMINAL
    ),
    "terminal_revoked": _Meaning(N_("This terminal is revoked for good."), Exit.TERMINAL),
    "office_suspended": _Meaning(
        N_("This office is suspended: no operation can be recorded."), Exit.TERMINAL
    ),
    "network_suspended": _Meaning(
        N_("Your network is suspended: no operation can be recorded."), Exit.TERMINAL
    ),
    "unknown_key": _Meaning(
        N_("The server does not know this terminal's key. Activate the terminal again."),
        Exit.TERMINAL,
    ),
    "key_revoked": _Meaning(
        N_("This terminal's key is revoked. Ask your administrator for a new activation code."),
        Exit.TERMINAL,
    ),
    "key_invalid": _Meaning(N_("This terminal's key is not valid. Call support."), Exit.TERMINAL),
    "key_already_rotated": _Meaning(
        N_("This terminal's key was already changed meanwhile."), Exit.TERMINAL
    ),
    "idempotency_key_reused": _Meaning(
        N_("This terminal reused a sequence number for another request. Call support."),
        Exit.TERMINAL,
    ),
    "signature_missing": _Meaning(
        N_("The request was not signed by this terminal. Call support."), Exit.TERMINAL
    ),
    "malformed_signature": _Meaning(
        N_("The terminal's signature could not be read. Update qurb-terminal."), Exit.TERMINAL
    ),
    "signature_invalid": _Meaning(
        N_("The server rejected this terminal's signature. Call support."), Exit.TERMINAL
    ),
    "signature_coverage": _Meaning(
        N_("The terminal signed too little of the request. Update qurb-terminal."),
        Exit.TERMINAL,
    ),
    "signature_stale": _Meaning(
        N_("The terminal's clock is wrong. Set the date and time, then try again."),
        Exit.TERMINAL,
    ),
    "digest_missing": _Meaning(
        N_("The request lacked its content digest. Update qurb-terminal."), Exit.TERMINAL
    ),
    "digest_mismatch": _Meaning(
        N_("The request was altered on its way to the server. Try again, then call support."),
        Exit.TERMINAL,
    ),
    # -- 6: queued offline ------------------------------------------------------------------
    "network_unreachable": _Meaning(
        N_("The server cannot be reached. The operation is saved and will be sent later."),
        Exit.QUEUED,
    ),
    # -- 7: the server cannot answer now --------------------------------------------------
    "rate_limited": _Meaning(
        N_("Too many requests at once. Wait a minute and try again."), Exit.SERVER
    ),
    "worker_reads_throttled": _Meaning(
        N_(
            "Too many workers looked up by number without a payment: this terminal must wait "
            "before the next one. A worker at the counter is found by their CIN (find --cin)."
        ),
        Exit.SERVER,
    ),
    "unavailable": _Meaning(
        N_("The server is temporarily unavailable. Try again in a few minutes."), Exit.SERVER
    ),
    "internal_error": _Meaning(
        N_("The server ran into an error. Try again; if it persists, call support."),
        Exit.SERVER,
    ),
    # -- 8: a receipt that does not verify ----------------------------------------------
    "receipt_invalid": _Meaning(
        N_("This receipt is NOT valid: its signature does not match. Do not accept it."),
        Exit.RECEIPT_INVALID,
        with_detail=True,
    ),
    # -- 9: not reached, nothing recorded ----------------------------------------------
    "server_unreachable": _Meaning(
        N_(
            "The server cannot be reached: nothing was recorded. Check the network, then try again."
        ),
        Exit.UNREACHABLE,
    ),
}

EXIT_CODES: Mapping[str, int] = MappingProxyType({c: m.exit for c, m in _MEANINGS.items()})

# Server field names (the last part of a path such as ``dependents[0].cin``) → labels.
_FIELD_LABELS = {
    "registration_number": N_("Registration number"),
    "amount_centimes": N_("Amount"),
    "amount": N_("Amount"),
    "receipt_number": N_("Receipt"),
    "cin": N_("CIN"),
    "last_name": N_("Last name"),
    "first_name": N_("First name"),
    "birth_date": N_("Date of birth"),
    "sex": N_("Sex"),
    "phone": N_("Phone"),
    "payer_phone": N_("Phone"),
    "address": N_("Address"),
    "city": N_("City"),
    "category": N_("Category"),
    "bracket": N_("Bracket"),
    "document_number": N_("Professional document number"),
    "coverage_start": N_("Coverage starts"),
    "username": N_("Username"),
    "password": N_("Password"),
    "supervisor": N_("Supervisor"),
    "supervisor.username": N_("Supervisor username"),
    "supervisor.password": N_("Supervisor password"),
    "activation_code": N_("Activation code"),
    "date": N_("Day"),
    "days": N_("Declared days"),
    "file": N_("File"),
    "relation": N_("Relation"),
    "reason": N_("Reason"),
    "counts": N_("Cash count"),
    "denomination_centimes": N_("Note or coin"),
    "quantity": N_("Quantity"),
    "deposit_number": N_("Deposit number"),
    "dependent_id": N_("Beneficiary"),
    "care_kind": N_("Care"),
    "care_from": N_("Care from"),
    "care_to": N_("Care to"),
    "amount_spent_centimes": N_("Amount spent"),
    "documents": N_("Documents in the envelope"),
    "business_date": N_("Business date"),
}


def exit_code(code: str) -> int:
    """The process exit status for an error ``code``; 1 for a code this version does not know."""
    return EXIT_CODES.get(code, Exit.ERROR)


# What ``validation_failed`` means for a field (the last part of its path): the server's
# own message is English, so the field it names decides the sentence.
_FIELD_PROBLEMS = {
    "amount_centimes": N_(
        "The amount is not accepted: it must be more than 0 MAD, within the limit of one "
        "collection, and no more than what is owed."
    ),
    "cin": N_("A CIN is one or two letters followed by 3 to 6 digits, for example BE123456."),
    "phone": N_("Type a Moroccan phone number: 06…, 07…, 05… or +212…, 10 digits after the 0."),
    "last_name": N_("Type the name in Latin letters, as on the CIN (spaces, ' and - allowed)."),
    "first_name": N_("Type the name in Latin letters, as on the CIN (spaces, ' and - allowed)."),
    "birth_date": N_("This birth date is not accepted: check the date and the person's age."),
    "sex": N_("Type F or M."),
    "category": N_("This category is not known. Choose one from the list."),
    "bracket": N_("This bracket is not one of the category's. Choose one from the list."),
    "document_number": N_(
        "The professional document number is missing or not in the expected format."
    ),
    "coverage_start": N_("The coverage start month is too far from the current month."),
    "through": N_("A quote runs from this month up to the prepayment limit."),
    "date": N_("A declared day must be a past day, after the coverage start, listed once."),
    "days": N_("Too many days are declared for one month."),
    "care_from": N_(
        "The days of care cannot be after the day of the deposit, nor more than 366 days apart."
    ),
    "care_to": N_(
        "The days of care cannot be after the day of the deposit, nor more than 366 days apart."
    ),
    "amount_spent_centimes": N_("The amount spent must be more than 0 and at most 1 000 000 MAD."),
    "documents": N_("An envelope holds 1 to 200 documents."),
    "dependent_id": N_("This dependent is not on the worker's file."),
}
_FIELD_PROBLEMS["payer_phone"] = _FIELD_PROBLEMS["phone"]
_MONTHS = re.compile(r"\b(\d{4})-(\d{2})\b")
# Positions in a nested field path, as an operator counts them (dependents[0] is the first).
_POSITIONS = {"dependents": N_("dependent {number}"), "days": N_("day {number}")}


def _problem(field: str, message: str | None, details: Mapping[str, object]) -> str | None:
    """The message id (and its values) saying what is wrong with ``field``."""
    last = re.sub(r"\[\d+\]", "", field).rsplit(".", 1)[-1]
    if last == "amount_centimes" and "maximum_centimes" in details:
        return N_(
            "This is more than is owed up to the prepayment limit: at most {maximum} can be "
            "taken now."
        )
    if last == "coverage_start" and message and len(_MONTHS.findall(message)) == 2:
        return N_("The coverage start must be between {earliest} and {latest}.")
    return _FIELD_PROBLEMS.get(last)


def _problem_values(message: str | None, details: Mapping[str, object]) -> dict[str, str]:
    """The figures a sentence names, taken from the answer's data, never from its words."""
    values: dict[str, str] = {}
    maximum = details.get("maximum_centimes")
    if isinstance(maximum, int) or (isinstance(maximum, str) and maximum.isdigit()):
        values["maximum"] = format_mad(int(maximum))
    months = [f"{m}/{y}" for y, m in _MONTHS.findall(message or "")]
    if len(months) == 2:
        values["earliest"], values["latest"] = months
    return values


def _field_label(field: str) -> tuple[str, bool] | None:
    """The label msgid for a server field name, and whether the name needs showing too
    (a nested path such as ``dependents[1].cin`` says which dependent)."""
    if field in _FIELD_LABELS:
        return _FIELD_LABELS[field], False
    last = re.sub(r"\[\d+\]", "", field).rsplit(".", 1)[-1]
    return (_FIELD_LABELS[last], True) if last in _FIELD_LABELS else None


def _field_name(field: str, _: Callable[[str], str]) -> str:
    """``dependents[1].cin`` → ``CIN (dependent 2)``, in the operator's language."""
    found = _field_label(field)
    if found is None:
        return field
    label, with_path = found
    if not with_path:
        return _(label)
    where = [
        _(_POSITIONS[name]).format(number=int(index) + 1)
        for name, index in re.findall(r"([a-z_]+)\[(\d+)\]", field)
        if name in _POSITIONS
    ]
    return f"{_(label)} ({', '.join(where)})" if where else _(label)


def explain(
    code: str,
    lang: str,
    *,
    server_message: str | None = None,
    field: str | None = None,
    details: Mapping[str, object] | None = None,
) -> str:
    """One translated sentence for the operator, naming ``field`` when there is one.

    ``server_message`` is a server's English text, shown only when it is the terminal's
    own message id (``bad_input``, ``receipt_invalid``); otherwise what is wrong is told
    from the code, the field and the figures in ``details``. An unknown code is named.
    """
    _ = translator(lang)
    meaning = _MEANINGS.get(code)
    if meaning is not None:
        parts = [_(meaning.sentence)]
        if meaning.with_detail and server_message and _(server_message) != server_message:
            parts.append(_(server_message))  # a message id of the terminal's own, translated
        elif code == "validation_failed" and field:
            problem = _problem(field, server_message, details or {})
            if problem is not None:
                parts.append(_(problem).format(**_problem_values(server_message, details or {})))
    else:
        parts = [_("The server refused the operation ({code}).").format(code=code)]
    if field:
        parts.append(_("Field: {field}").format(field=_field_name(field, _)))
    return " ".join(parts)
