"""The CNSS claims tracking file (``docs/formats/cnss-claims-tracking.md``): what CNSS reports
each day about the transmittal slips and the reimbursement files deposited at the counters.
Read it, refuse it whole when it is corrupt, and write it (for the simulator and the tests).

The file is the counterpart's, read exactly as CNSS produces it: UTF-8 with a BOM (a file
without one reads the same, as for the ledger), ``;``, CRLF (LF accepted), a header of ten
named columns, ``"``-quoted fields where needed (free text may hold ``;`` and Arabic),
decimal-comma amounts, ``DD/MM/YYYY`` dates and a last line
``TOTAL;<count>;<sum of MONTANT_REMBOURSE>;;;;;;;``. A file that breaks any rule, or whose
trailer disagrees with its lines, raises ``ValidationFailed(code="tracking_file_refused")``
naming the line and column, and nothing of it is returned: applying half a file would move
some deposits and leave the rest where a later correct file could no longer explain them.

What each status requires of a line (the spec's columns table):

============== ========== ========= ================= ================= =========
STATUT          NUM_DEPOT  dossier   NUM_IMMATRICULATION MONTANT_REMBOURSE MOTIF
============== ========== ========= ================= ================= =========
BORDEREAU_RECU  empty      empty     —                 empty             empty
NON_RECU        —          empty     filled            empty             empty
RECU, EN_COURS  —          filled    filled            empty             empty
INCOMPLET       —          filled    filled            empty             ``CODE - text``
REMBOURSE       —          filled    filled            amount            empty
REJETE          —          filled    filled            empty             ``CODE - text``
============== ========== ========= ================= ================= =========

``BORDEREAU_RECU`` also needs ``NUM_BORDEREAU`` (it is the batch's acknowledgement). An empty
``NUM_DEPOT`` on a file line is not an error: it is CNSS saying it could not read the label,
and the line is kept for the exceptions queue. Which deposit or slip a number names is not
this module's business: it reads text, the tracking service matches it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from agent_api.domain.claims import TrackingStatus
from agent_api.errors import ValidationFailed
from reconciliation.formats.amounts import COMMA_AMOUNT, format_comma, parse_amount
from reconciliation.formats.ledger import network_and_day
from reconciliation.formats.semicolon_csv import (
    Refusal,
    check_trailer,
    decode,
    header_problem,
    parse_day,
    rows,
)

HEADER = (
    "ID_EVENEMENT",
    "DATE_EVENEMENT",
    "CODE_RESEAU",
    "NUM_BORDEREAU",
    "NUM_DEPOT",
    "NUM_IMMATRICULATION",
    "NUM_DOSSIER_CNSS",
    "STATUT",
    "MONTANT_REMBOURSE",
    "MOTIF",
)
TRAILER_TAG = "TOTAL"
REFUSED = "tracking_file_refused"

_FILE_NAME = re.compile(r"CNSS_SUIVI_DOSSIERS_([A-Z][A-Z0-9]{1,11})_([0-9]{8})\.(?:csv|CSV)")
# "R01 - droits fermés à la date des soins": a code, " - ", then free text (which may itself
# hold " - " or ";"). The code's shape is CNSS's; letters and digits is all we assume.
_REASON = re.compile(r"([A-Z][A-Z0-9]{0,9}) - (\S.*)", re.DOTALL)


# The statuses that need CNSS's own file number (it is given on reception).
_REGISTERED = frozenset(
    {
        TrackingStatus.RECEIVED,
        TrackingStatus.INCOMPLETE,
        TrackingStatus.UNDER_REVIEW,
        TrackingStatus.REIMBURSED,
        TrackingStatus.REFUSED,
    }
)
_WITH_REASON = frozenset({TrackingStatus.INCOMPLETE, TrackingStatus.REFUSED})


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    """One line of the tracking file. Optional columns left empty are None, never ``""``."""

    event_id: str
    event_date: date
    network: str
    slip_number: str | None
    deposit_number: str | None  # None: CNSS could not read the envelope's label
    registration_number: str | None  # None only on a BORDEREAU_RECU line
    cnss_file_number: str | None
    status: TrackingStatus
    reimbursed_centimes: int | None  # set exactly on REMBOURSE
    reason_code: str | None  # set exactly on INCOMPLET and REJETE
    reason_text: str | None
    line: int = 0  # where it was read, for messages; 0 when built by hand

    @property
    def reason(self) -> str | None:
        """``MOTIF`` as CNSS wrote it: ``CODE - text``."""
        if self.reason_code is None:
            return None
        return f"{self.reason_code} - {self.reason_text}"


@dataclass(frozen=True, slots=True)
class TrackingFile:
    """One accepted tracking file: its events in file order and what describes it."""

    events: list[TrackingEvent]
    count: int
    reimbursed_centimes: int  # Σ MONTANT_REMBOURSE, as the trailer states it
    networks: tuple[str, ...]  # the CODE_RESEAU values present, sorted
    event_dates: tuple[date, ...]  # the DATE_EVENEMENT values present, sorted
    digest: str  # SHA-256 of the raw bytes: the same file delivered twice is recognised
    source: str = ""


def parse_tracking_name(name: str) -> tuple[str, date] | None:
    """``CNSS_SUIVI_DOSSIERS_<NETWORK>_<YYYYMMDD>.csv`` → (network, day); None for any other
    name. A directory part is ignored."""
    return network_and_day(_FILE_NAME, name)


def parse_tracking(data: bytes, *, source: str = "") -> TrackingFile:
    """Read a whole tracking file, or refuse it (see the module docstring)."""
    digest = hashlib.sha256(data).hexdigest()
    refuse = Refusal(source, code=REFUSED, what="the tracking file")
    reader = rows(decode(data, refuse))
    events: list[TrackingEvent] = []
    first_lines: dict[str, int] = {}  # ID_EVENEMENT → its line, to name a repeat
    trailer: list[str] | None = None
    trailer_line = 0
    try:
        header = next(reader, None)
        if header is None:
            raise refuse(1, "header", "the file is empty")
        problem = header_problem(header, HEADER)
        if problem is not None:
            raise refuse(1, *problem)
        for row in reader:
            line = reader.line_num
            if trailer is not None:
                if "".join(row).strip():
                    raise refuse(
                        line,
                        TRAILER_TAG,
                        f"a line follows the {TRAILER_TAG} trailer of line {trailer_line}",
                    )
                continue
            if not "".join(row).strip():
                continue  # an empty line, or a spreadsheet's ";;;;;;;;;"
            if row[0] == TRAILER_TAG:
                trailer, trailer_line = row, line
                continue
            event = _event(row, line, refuse)
            first = first_lines.setdefault(event.event_id, line)
            if first != line:
                raise refuse(
                    line,
                    "ID_EVENEMENT",
                    f"ID_EVENEMENT {event.event_id!r} repeats the one of line {first}",
                )
            events.append(event)
        if trailer is None:
            raise refuse(
                reader.line_num + 1,
                TRAILER_TAG,
                f"the file ends without its {TRAILER_TAG} trailer line",
            )
    except csv.Error as exc:
        raise refuse(reader.line_num, "format", f"not a readable ';' CSV line ({exc})") from None

    total = sum(event.reimbursed_centimes or 0 for event in events)
    check_trailer(
        trailer,
        trailer_line,
        count=len(events),
        total=total,
        width=len(HEADER),
        amount=lambda text: parse_amount(text, field=TRAILER_TAG, line=trailer_line),
        refuse=refuse,
    )
    return TrackingFile(
        events=events,
        count=len(events),
        reimbursed_centimes=total,
        networks=tuple(sorted({event.network for event in events})),
        event_dates=tuple(sorted({event.event_date for event in events})),
        digest=digest,
        source=source,
    )


def write_tracking(
    events: Iterable[TrackingEvent], *, thousands: str = " ", quote_ids: bool = False
) -> bytes:
    """The file CNSS would send for these events: BOM, header, one CRLF line each and the
    trailer. ``thousands`` groups the digits of amounts (" ", "\\u00a0", "\\u202f" or "");
    ``quote_ids`` puts every ID_EVENEMENT in quotes, as CNSS's example does for one line."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quotechar='"', lineterminator="\r\n")
    writer.writerow(HEADER)
    count = total = 0
    for event in events:
        if not event.event_id or event.event_id == TRAILER_TAG:
            raise ValueError(f"an event id cannot be {event.event_id!r} in a tracking file")
        amount = event.reimbursed_centimes
        fields = [
            event.event_id,
            f"{event.event_date.day:02d}/{event.event_date.month:02d}/{event.event_date.year:04d}",
            event.network,
            event.slip_number or "",
            event.deposit_number or "",
            event.registration_number or "",
            event.cnss_file_number or "",
            event.status.value,
            "" if amount is None else format_comma(amount, thousands=thousands),
            event.reason or "",
        ]
        if quote_ids:
            # csv.writer quotes only when needed; a forced quote is written by hand.
            line = io.StringIO()
            csv.writer(line, delimiter=";", quotechar='"', lineterminator="\r\n").writerow(
                fields[1:]
            )
            out.write('"' + event.event_id.replace('"', '""') + '";' + line.getvalue())
        else:
            writer.writerow(fields)
        count += 1
        total += amount or 0
    out.write(f"{TRAILER_TAG};{count};{format_comma(total, thousands=thousands)};;;;;;;\r\n")
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _event(row: list[str], line: int, refuse: Refusal) -> TrackingEvent:
    if len(row) != len(HEADER):
        raise refuse(line, "format", f"{len(row)} fields where the header has {len(HEADER)}")
    (
        event_id,
        date_text,
        network,
        slip,
        deposit,
        registration,
        cnss_file,
        status_text,
        amount_text,
        reason_text,
    ) = row
    if not event_id.strip():
        raise refuse(line, "ID_EVENEMENT", "ID_EVENEMENT is empty")
    event_date = parse_day(date_text, "DATE_EVENEMENT", line, refuse)
    if not network:
        raise refuse(line, "CODE_RESEAU", "CODE_RESEAU is empty")
    try:
        status = TrackingStatus(status_text)
    except ValueError:
        known = ", ".join(member.value for member in TrackingStatus)
        raise refuse(
            line, "STATUT", f"STATUT is {status_text!r}, expected one of {known}"
        ) from None

    def must_be_empty(column: str, value: str, why: str) -> None:
        if value:
            raise refuse(line, column, f"{column} must be empty on a {status} line ({why})")

    def must_be_filled(column: str, value: str) -> None:
        if not value:
            raise refuse(line, column, f"{column} is empty on a {status} line")

    if status is TrackingStatus.SLIP_RECEIVED:
        must_be_filled("NUM_BORDEREAU", slip)
        must_be_empty("NUM_DEPOT", deposit, "it acknowledges a whole batch")
    else:
        must_be_filled("NUM_IMMATRICULATION", registration)
    if status in _REGISTERED:
        must_be_filled("NUM_DOSSIER_CNSS", cnss_file)
    else:
        must_be_empty("NUM_DOSSIER_CNSS", cnss_file, "CNSS registered no file")

    reimbursed = _reimbursed(status, amount_text, line, refuse)
    code, text = _reason(status, reason_text, line, refuse)
    return TrackingEvent(
        event_id=event_id,
        event_date=event_date,
        network=network,
        slip_number=slip or None,
        deposit_number=deposit or None,
        registration_number=registration or None,
        cnss_file_number=cnss_file or None,
        status=status,
        reimbursed_centimes=reimbursed,
        reason_code=code,
        reason_text=text,
        line=line,
    )


def _reimbursed(status: TrackingStatus, text: str, line: int, refuse: Refusal) -> int | None:
    """MONTANT_REMBOURSE in centimes: required on REMBOURSE, refused anywhere else."""
    if status is not TrackingStatus.REIMBURSED:
        if text:
            raise refuse(
                line,
                "MONTANT_REMBOURSE",
                f"MONTANT_REMBOURSE must be empty on a {status} line (only REMBOURSE carries "
                "an amount)",
            )
        return None
    if not text:
        raise refuse(line, "MONTANT_REMBOURSE", f"MONTANT_REMBOURSE is empty on a {status} line")
    try:
        return parse_amount(text, field="MONTANT_REMBOURSE", line=line)
    except ValidationFailed:
        raise refuse(
            line, "MONTANT_REMBOURSE", f"MONTANT_REMBOURSE {text!r} is not {COMMA_AMOUNT}"
        ) from None


def _reason(
    status: TrackingStatus, text: str, line: int, refuse: Refusal
) -> tuple[str | None, str | None]:
    """MOTIF as (code, free text): required on INCOMPLET and REJETE, refused elsewhere."""
    if status not in _WITH_REASON:
        if text:
            raise refuse(
                line,
                "MOTIF",
                f"MOTIF must be empty on a {status} line (only INCOMPLET and REJETE carry "
                "a reason)",
            )
        return None, None
    if not text:
        raise refuse(line, "MOTIF", f"MOTIF is empty on a {status} line")
    found = _REASON.fullmatch(text)
    if found is None:
        raise refuse(
            line,
            "MOTIF",
            f"MOTIF {text!r} is not a reason code then its text "
            "(e.g. 'R01 - droits fermés à la date des soins')",
        )
    return found[1], found[2]
