"""Why a worker's rights are what they are, in the operator's language.

The service says which rule decided (``reason_code``) and the month that matters
(``open_until``, ``coverage_starts``, ``oldest_unpaid``, ``reopens``); its ``reason`` is an
English sentence for developers and is never shown. An answer from an older service has no
``reason_code``: the rule is then read from ``status`` and the months it gives, and, on a
certificate signed by such a service, from the months inside its ``reason``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from terminal_client.i18n import N_

__all__ = ["reason_code", "rights_reason"]

_MONTH = re.compile(r"(\d{4})-(\d{2})")
# The older service's sentences (agent_api/domain/rights.py before reason codes): only the
# months are taken from them.
_OLD_SUSPENDED = re.compile(r"unpaid since (\d{4}-\d{2})")
_OLD_WAITING = re.compile(r"reopen in (\d{4}-\d{2})")
_OLD_NEXT_DUE = re.compile(r"next due to pay: (\d{4}-\d{2})")
_OLD_NOT_STARTED = re.compile(r"starts in (\d{4}-\d{2})")


def _month(value: object) -> str | None:
    """``2026-03`` or ``2026-03-01`` → ``03/2026``, as tickets and certificates write months."""
    match = _MONTH.match(str(value)) if value else None
    return f"{match[2]}/{match[1]}" if match else None


def _from_reason(pattern: re.Pattern[str], answer: Mapping[str, Any]) -> str | None:
    match = pattern.search(str(answer.get("reason") or ""))
    return _month(match[1]) if match else None


def reason_code(answer: Mapping[str, Any]) -> str:
    """The rule that decided: the service's code, or the one an older answer implies."""
    code = answer.get("reason_code")
    if code in ("paid_up", "within_grace", "not_started", "suspended", "waiting"):
        return str(code)
    status = answer.get("status")
    if status in ("suspended", "waiting"):
        return str(status)
    if _from_reason(_OLD_NOT_STARTED, answer):
        return "not_started"
    if answer.get("oldest_unpaid") or _from_reason(_OLD_NEXT_DUE, answer):
        return "within_grace"
    return "paid_up"


def rights_reason(answer: Mapping[str, Any], _: Callable[[str], str]) -> str:
    """One translated sentence (two when a reversal left a hole) saying why."""
    code = reason_code(answer)
    oldest = _month(answer.get("oldest_unpaid")) or _from_reason(_OLD_NEXT_DUE, answer)
    if code == "within_grace":
        until = _month(answer.get("open_until"))
        if until and oldest:
            text = _("Dues unpaid since {oldest}: rights stay open through {month}.")
            sentence = text.format(oldest=oldest, month=until)
        elif until:
            sentence = _("Rights stay open through {month}.").format(month=until)
        elif oldest:
            sentence = _("Rights are open; next due to pay: {month}.").format(month=oldest)
        else:
            sentence = _("Rights are open within the grace period.")
    elif code == "not_started":
        starts = _month(answer.get("coverage_starts")) or _from_reason(_OLD_NOT_STARTED, answer)
        sentence = (
            _("Coverage has not started yet: it starts in {month}.").format(month=starts)
            if starts
            else _("Coverage has not started yet.")
        )
    elif code == "suspended":
        since = _month(answer.get("oldest_unpaid")) or _from_reason(_OLD_SUSPENDED, answer)
        sentence = (
            _(
                "Suspended: dues unpaid since {month}. Once every due to date is paid, rights "
                "reopen after a waiting period."
            ).format(month=since)
            if since
            else _("Suspended: dues are unpaid beyond the grace period.")
        )
    elif code == "waiting":
        reopens = _month(answer.get("reopens")) or _from_reason(_OLD_WAITING, answer)
        sentence = (
            _("Arrears are paid; rights reopen in {month}.").format(month=reopens)
            if reopens
            else _("Arrears are paid; rights reopen after a waiting period.")
        )
    else:
        sentence = _("Every due to date is paid.")
    gaps = [m for m in (_month(g) for g in answer.get("gaps") or ()) if m]
    if gaps:
        hole = _("{months} unpaid although a later month is paid: the next payment goes there.")
        sentence += " " + hole.format(months=", ".join(gaps))
    return sentence


# Rights statuses, as the ticket and the ``rights`` command name them.
STATUSES = {"open": N_("open"), "suspended": N_("suspended"), "waiting": N_("waiting")}
