"""What an error code means to the operator at the counter, and the exit status it gives.

The server answers ``{"error": {"code", "message", "field"}}``; its ``message`` is English
and written for developers. The operator gets instead one translated sentence saying what
happened and what to do, naming the field involved. Exit statuses are grouped so scripts
can tell "fix the input" from "sign in again" from "the write is safe in the outbox"
(docs/terminal.md, "Exit codes").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType
from typing import NamedTuple

from terminal_client.i18n import N_, translator

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


class _Meaning(NamedTuple):
    sentence: str
    exit: Exit
    # The server's own message is appended when it says precisely what to fix.
    with_detail: bool = False


_MEANINGS: dict[str, _Meaning] = {
    # -- 2: the input was wrong -----------------------------------------------------------
    "validation_failed": _Meaning(
        N_("Some information is missing or not valid. Correct it and try again."),
        Exit.BAD_INPUT,
        with_detail=True,
    ),
    "bad_input": _Meaning(
        N_("What you typed is not valid. Correct it and try again."),
        Exit.BAD_INPUT,
        with_detail=True,
    ),
    "malformed_request": _Meaning(
        N_("The server could not read the request. Update qurb-terminal or call support."),
        Exit.BAD_INPUT,
        with_detail=True,
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
        with_detail=True,
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
    "same_person": _Meaning(
        N_("The approving supervisor must be someone other than the collecting operator."),
        Exit.REFUSED,
    ),
    "supervisor_required": _Meaning(
        N_("This operation needs the approval of a supervisor of this office."), Exit.REFUSED
    ),
    "day_already_declared": _Meaning(
        N_("One of these days is already declared for this worker."), Exit.REFUSED
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
    "supervisor.username": N_("Supervisor username"),
    "supervisor.password": N_("Supervisor password"),
    "activation_code": N_("Activation code"),
    "reason": N_("Reason"),
}


def exit_code(code: str) -> int:
    """The process exit status for an error ``code``; 1 for a code this version does not know."""
    return EXIT_CODES.get(code, Exit.ERROR)


def _field_label(field: str) -> tuple[str, bool] | None:
    """The label msgid for a server field name, and whether the name needs showing too
    (a nested path such as ``dependents[1].cin`` says which dependent)."""
    if field in _FIELD_LABELS:
        return _FIELD_LABELS[field], False
    last = re.sub(r"\[\d+\]", "", field).rsplit(".", 1)[-1]
    return (_FIELD_LABELS[last], True) if last in _FIELD_LABELS else None


def explain(
    code: str, lang: str, *, server_message: str | None = None, field: str | None = None
) -> str:
    """One translated sentence for the operator, naming ``field`` when there is one.

    An unknown code still says something useful: the server's own message, with the code.
    """
    _ = translator(lang)
    meaning = _MEANINGS.get(code)
    if meaning is not None:
        parts = [_(meaning.sentence)]
        if meaning.with_detail and server_message:
            parts.append(_("Details: {detail}").format(detail=server_message))
    elif server_message:
        text = _("The server refused the operation ({code}): {message}")
        parts = [text.format(code=code, message=server_message)]
    else:
        parts = [_("Unexpected error ({code}). Call support if it persists.").format(code=code)]
    if field:
        found = _field_label(field)
        if found is None:
            shown = field
        else:
            label, with_path = found
            shown = f"{_(label)} ({field})" if with_path else _(label)
        parts.append(_("Field: {field}").format(field=shown))
    return " ".join(parts)
