"""Where a deposited file stands, derived from the tracking events CNSS sent about it.

The state is a function of the *set* of events, never of the order they arrived in: CNSS
sends an event again in a later file, and sends ``REMBOURSE`` before ``RECU`` at times, so
replaying or reordering the files must give the same answer. The rule:

- an outcome (``REMBOURSE``, ``REJETE``) is final and wins over anything else; two
  different outcomes are a conflict for finance, and the later one (by event date, then
  event id) is shown meanwhile;
- otherwise the latest event by (date, stage, event id) says where the file is, the stage
  breaking ties within a day in the order a file moves: not received < received < under
  review < incomplete.

Pure: no database. The counter shows it (``GET /v1/workers/{rn}/deposits``) and the
tracking run (``reconciliation.claims``) opens and clears exceptions from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class TrackingStatus(StrEnum):
    """``STATUT`` of CNSS's claims tracking file: where CNSS says a batch or a file is."""

    SLIP_RECEIVED = "BORDEREAU_RECU"  # the batch arrived (one line per batch)
    RECEIVED = "RECU"  # the file was found in its batch and registered
    NOT_RECEIVED = "NON_RECU"  # the batch arrived without this file: a missing envelope
    INCOMPLETE = "INCOMPLET"  # handed back to the worker: documents missing
    UNDER_REVIEW = "EN_COURS"  # CNSS's medical control is looking at it
    REIMBURSED = "REMBOURSE"  # paid, MONTANT_REMBOURSE says how much
    REFUSED = "REJETE"  # refused, MOTIF says why


_STAGE = {
    TrackingStatus.NOT_RECEIVED: 1,
    TrackingStatus.RECEIVED: 2,
    TrackingStatus.UNDER_REVIEW: 3,
    TrackingStatus.INCOMPLETE: 4,
    TrackingStatus.REFUSED: 5,
    TrackingStatus.REIMBURSED: 5,
}
OUTCOMES = frozenset({TrackingStatus.REIMBURSED, TrackingStatus.REFUSED})


@dataclass(frozen=True)
class Observed:
    """What one event said about one file."""

    event_id: str
    event_date: date
    status: TrackingStatus
    reimbursed_centimes: int | None = None
    reason_code: str | None = None
    cnss_file_number: str | None = None


@dataclass(frozen=True)
class FileState:
    status: TrackingStatus
    since: date
    reimbursed_centimes: int | None  # the amount of the outcome shown, when reimbursed
    reason_code: str | None  # the reason of the status shown (INCOMPLET, REJETE)
    cnss_file_number: str | None  # CNSS's own number, once any event gave it
    conflicting: bool  # both outcomes were reported: finance must find out which is true

    @property
    def missing(self) -> bool:
        """The batch arrived without this envelope, and nothing since says it was found."""
        return self.status is TrackingStatus.NOT_RECEIVED


def derive(events: Iterable[Observed]) -> FileState | None:
    """The state of one file from all its events; None when there are none. Events with the
    same id are one event."""
    unique = {event.event_id: event for event in events}.values()
    if not unique:
        return None

    def key(event: Observed) -> tuple[date, int, str]:
        return (event.event_date, _STAGE[event.status], event.event_id)

    outcomes = [e for e in unique if e.status in OUTCOMES]
    shown = max(outcomes or unique, key=key)
    numbers = sorted((key(e), e.cnss_file_number) for e in unique if e.cnss_file_number is not None)
    return FileState(
        status=shown.status,
        since=shown.event_date,
        reimbursed_centimes=shown.reimbursed_centimes,
        reason_code=shown.reason_code,
        cnss_file_number=numbers[-1][1] if numbers else None,
        conflicting=len({e.status for e in outcomes}) > 1,
    )
