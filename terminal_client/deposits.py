"""AMO reimbursement files at the counter (docs/deposits.md): what the operator types for
a deposit, the hub's warnings as the operator says them, and where a file is.

The hub decides what it takes; this module only words its answers. Its warnings carry a
code (``rights_closed``, ``deadline_passed``, ``beneficiary_not_declared``) and, once the
file is taken, the month or the deadline they name; the sentences are those of the table
in docs/deposits.md, in French and Arabic through the terminal's catalogues.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from terminal_client.i18n import N_

__all__ = [
    "CARE_KINDS",
    "DEPOSIT_NUMBER",
    "STAGES",
    "Warned",
    "check_care_day",
    "check_documents",
    "day_shown",
    "refusal_sentence",
    "stage_sentence",
    "warned_by_refusal",
    "warned_in_answer",
    "warning_sentence",
]

# The eight kinds of care the hub knows, in the order of the care sheet.
CARE_KINDS: Mapping[str, str] = {
    "consultation": N_("Consultation"),
    "pharmacy": N_("Pharmacy"),
    "laboratory": N_("Laboratory tests"),
    "imaging": N_("Imaging"),
    "hospitalisation": N_("Hospital stay"),
    "dental": N_("Dental care"),
    "optical": N_("Optical"),
    "other": N_("Other care"),
}

# D-<NETWORK>-<8 digits>: the envelope's label, as the hub issues it.
DEPOSIT_NUMBER = re.compile(r"D-[A-Z0-9]{2,16}-[0-9]{8}")

_WARNINGS: Mapping[str, str] = {
    "rights_closed": N_(
        "AMO rights closed in the month of care ({month}): CNSS will probably refuse this "
        "file (reason R01)."
    ),
    "deadline_passed": N_(
        "Deposit deadline passed since {deadline}: CNSS will probably refuse this file "
        "(reason R02)."
    ),
    "beneficiary_not_declared": N_(
        "Beneficiary not declared on the insured's file over the whole period of care (reason R03)."
    ),
}
# A slip reprinted from its signed claims knows the warning's code, not its month.
_RIGHTS_CLOSED_SOME_MONTH = N_(
    "AMO rights closed in a month of the care: CNSS will probably refuse this file (reason R01)."
)
_DEADLINE_UNKNOWN = N_("Deposit deadline passed: CNSS will probably refuse this file (reason R02).")

# CNSS's refusal reasons (docs/formats/cnss-claims-tracking.md, MOTIF).
_REASONS: Mapping[str, str] = {
    "R01": N_("health rights closed on the date of care"),
    "R02": N_("deposit deadline passed"),
    "R03": N_("beneficiary not declared"),
}

STAGES: Mapping[str, str] = {
    "at_office": N_("At the office, not yet sent"),
    "cancelled": N_("Cancelled (envelope handed back)"),
    "sent": N_("Sent to CNSS in slip {slip}"),
    "received": N_("Received by CNSS"),
    "not_received": N_("Missing: CNSS did not find it in slip {slip}"),
    "incomplete": N_("Incomplete: returned for missing documents"),
    "under_review": N_("Under review at CNSS"),
    "reimbursed": N_("Reimbursed: {amount}"),
    "refused": N_("Refused by CNSS"),
}


@dataclass(frozen=True)
class Warned:
    """One warning as the operator reads it: its code and the figure its sentence names."""

    code: str
    month: str | None = None  # YYYY-MM
    deadline: str | None = None  # YYYY-MM-DD


def day_shown(iso: str) -> str:
    """``2026-12-06`` → ``06/12/2026``, the way a Moroccan form writes a day."""
    found = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso)
    return f"{found[3]}/{found[2]}/{found[1]}" if found else iso


def _month_shown(iso: str) -> str:
    found = re.match(r"(\d{4})-(\d{2})", iso)
    return f"{found[2]}/{found[1]}" if found else iso


def warning_sentence(warned: Warned, _: Callable[[str], str]) -> str:
    """The table's sentence for a warning, in the operator's language."""
    if warned.code == "rights_closed":
        if warned.month is None:
            return _(_RIGHTS_CLOSED_SOME_MONTH)
        return _(_WARNINGS["rights_closed"]).format(month=_month_shown(warned.month))
    if warned.code == "deadline_passed":
        if warned.deadline is None:
            return _(_DEADLINE_UNKNOWN)
        return _(_WARNINGS["deadline_passed"]).format(deadline=day_shown(warned.deadline))
    if warned.code in _WARNINGS:
        return _(_WARNINGS[warned.code])
    return warned.code


def warned_by_refusal(details: Mapping[str, object]) -> list[Warned]:
    """The warnings of a refused deposit (``409 deposit_needs_insistence``): the codes in
    ``error.warnings``, with the month of closed rights (``error.month``) and the deadline
    (``error.deadline``) the hub gives beside them."""
    codes = [c for c in str(details.get("warnings") or "").split(",") if c]
    found = []
    for code in codes:
        given = details.get("month" if code == "rights_closed" else "deadline")
        figure = given if isinstance(given, str) else None
        if code == "rights_closed":
            found.append(Warned(code, month=figure))
        elif code == "deadline_passed":
            found.append(Warned(code, deadline=figure))
        else:
            found.append(Warned(code))
    return found


def warned_in_answer(items: Iterable[Any], deadline: object = None) -> list[Warned]:
    """The warnings of a taken deposit: the answer's objects (code, month, deadline) or a
    slip's bare codes, the slip's ``deadline`` standing in for the one it names."""
    found = []
    for item in items:
        if isinstance(item, Mapping):
            month = item.get("month")
            last = item.get("deadline") or deadline
            found.append(
                Warned(
                    str(item.get("code")),
                    month=str(month) if month else None,
                    deadline=str(last) if last else None,
                )
            )
        else:
            found.append(Warned(str(item), deadline=str(deadline) if deadline else None))
    return found


def refusal_sentence(reason_code: str | None, _: Callable[[str], str]) -> str:
    """CNSS's refusal reason as the worker hears it: the code and what it means."""
    if not reason_code:
        return ""
    known = _REASONS.get(reason_code)
    return f"{reason_code} — {_(known)}" if known else reason_code


def stage_sentence(
    line: Mapping[str, Any], _: Callable[[str], str], mad: Callable[[int], str]
) -> str:
    """Where a deposited file is, from a line of ``GET /v1/workers/{rn}/deposits``."""
    stage = str(line.get("stage"))
    text = _(STAGES[stage]) if stage in STAGES else stage
    amount = line.get("reimbursed_centimes")
    shown = text.format(
        slip=line.get("transmittal") or "",
        amount=mad(amount) if isinstance(amount, int) else "",
    )
    if stage in ("refused", "incomplete") and line.get("reason_code"):
        shown += f" ({refusal_sentence(str(line['reason_code']), _)})"
    return shown


def check_care_day(text: str, *, today: date) -> str | None:
    """A day of care: ``YYYY-MM-DD``, not after today (care to come cannot be claimed)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return N_("Type the day as YYYY-MM-DD, for example 2026-12-01.")
    if len(text.strip()) != 10:
        return N_("Type the day as YYYY-MM-DD, for example 2026-12-01.")
    if day > today:
        return N_("A day of care cannot be after today.")
    return None


def check_documents(text: str) -> str | None:
    """How many documents are in the envelope: 1 to 200, as the hub accepts."""
    if not text.strip().isdigit() or not 1 <= int(text.strip()) <= MAX_DOCUMENTS:
        return N_("Type how many documents are in the envelope: a number from 1 to 200.")
    return None


MAX_DOCUMENTS = 200
# Care and its deposit fit in a year: the hub refuses a longer span as a mistyped date.
MAX_CARE_DAYS = 366
