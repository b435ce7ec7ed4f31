"""What CNSS's claims system would report over the days after a day of deposits: the daily
tracking files (``docs/formats/cnss-claims-tracking.md``) with faults injected at chosen rates,
and the ground truth of what Qurb must derive from them. ``qurb-reconcile simulate --claims``
writes its files; pure code here, no database and no files.

Each sent deposit lives one **journey** (the events CNSS would send about it, in the order
they happen), chosen at random among the fates whose rate it draws, reimbursed otherwise:

==================== =========================================== ===================
fate                 events                                      truth: stage
==================== =========================================== ===================
(reimbursed)         RECU, EN_COURS, REMBOURSE (less than spent) ``reimbursed``
``refused``          RECU, EN_COURS, REJETE (R01, R02 or R03)    ``refused``
``incomplete``       RECU, INCOMPLET                             ``incomplete``
``under_review``     RECU, EN_COURS                              ``under_review``
``missing_envelope`` NON_RECU                                    ``not_received``
``found_later``      NON_RECU, RECU, EN_COURS                    ``under_review``
==================== =========================================== ===================

The truth is the journey's intent, never the result of ``agent_api.domain.claims.derive``: the
property test checks that what Qurb derives from the files matches what the simulator meant.
Faults that change how the events travel, not what they say:

- ``unreadable_label``: the RECU of a journey that goes on has ``NUM_DEPOT`` empty (the later
  events, readable, still decide the stage; the finding is ``unreadable_label:<event id>``);
- ``duplicated``: every event of the deposit is sent again in a later file;
- ``out_of_order``: the deposit's last event arrives first, the others a day later (or in the
  same file, after it, when no later file is left);
- ``unknown_deposit``: an event for a deposit number the hub never issued;
- ``unacknowledged_slip``: CNSS never reports the slip nor any of its envelopes; it is an
  exception once the files are applied ``ack_days`` or more after the slip closed.

A refusal's code follows the deposit's warnings when it had one (``rights_closed`` gives R01,
``deadline_passed`` R02, ``beneficiary_not_declared`` R03), as CNSS would most likely refuse;
a file taken without a warning is refused for closed rights only (never for a deadline the
counter computes as CNSS does).
Rates are probabilities, not money: floats are right here.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta

from agent_api.clock import CASABLANCA
from agent_api.domain.claims import TrackingStatus
from agent_api.domain.registration_number import format_registration_number
from reconciliation.formats.tracking import TrackingEvent, write_tracking

S = TrackingStatus
FATES = ("missing_envelope", "found_later", "incomplete", "refused", "under_review")
CLAIMS_KINDS = (
    *FATES,
    "unreadable_label",
    "duplicated",
    "out_of_order",
    "unknown_deposit",
    "unacknowledged_slip",
)
REFUSALS = {
    # ";" and Arabic inside MOTIF: the quoting CNSS's own example shows.
    "R01": "droits fermés; à la date des soins",
    "R02": "délai de dépôt dépassé",
    "R03": "bénéficiaire non déclaré - مستفيد غير مصرح به",
}
# The format names no code for INCOMPLET; these stand for CNSS's (an assumption of the
# simulator, shaped like the refusal codes).
INCOMPLETE = {
    "P01": "ordonnance manquante",
    "P02": "facture non acquittée",
    "P03": "résultats d'analyses absents",
}
_REFUSAL_OF_WARNING = {
    "rights_closed": "R01",
    "deadline_passed": "R02",
    "beneficiary_not_declared": "R03",
}
_STAGES = {
    S.RECEIVED: "received",
    S.NOT_RECEIVED: "not_received",
    S.INCOMPLETE: "incomplete",
    S.UNDER_REVIEW: "under_review",
    S.REIMBURSED: "reimbursed",
    S.REFUSED: "refused",
}
APPLIED_AT = time(12, 0)  # the truth holds for files applied from noon of their last day


@dataclass(frozen=True, slots=True)
class ClaimsRates:
    """The chance that a sent deposit (or, for ``unacknowledged_slip``, a slip) draws each
    fault. A deposit takes at most one fate, chosen at random among those it draws."""

    missing_envelope: float = 0.0
    found_later: float = 0.0
    incomplete: float = 0.0
    refused: float = 0.0
    under_review: float = 0.0
    unreadable_label: float = 0.0
    duplicated: float = 0.0
    out_of_order: float = 0.0
    unknown_deposit: float = 0.0
    unacknowledged_slip: float = 0.0

    def __post_init__(self) -> None:
        for kind in CLAIMS_KINDS:
            rate = getattr(self, kind)
            # "not (0 <= rate <= 1)" also refuses NaN, which compares false with everything.
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
                raise ValueError(f"rate of {kind}: {rate!r} is not between 0 and 1")

    @classmethod
    def none(cls) -> ClaimsRates:
        """Every envelope arrives and is reimbursed, every file on time."""
        return cls()

    @classmethod
    def demo(cls) -> ClaimsRates:
        """Enough of each for a day of a few dozen deposits to show every kind."""
        return cls(
            missing_envelope=0.08,
            found_later=0.05,
            incomplete=0.08,
            refused=0.12,
            under_review=0.15,
            unreadable_label=0.05,
            duplicated=0.1,
            out_of_order=0.1,
            unknown_deposit=0.03,
        )

    @classmethod
    def parse(cls, text: str) -> ClaimsRates:
        """``"demo"``, ``"none"`` or ``"missing_envelope=0.1,refused=0.2"`` (kinds not named
        stay at 0). Raises ValueError naming an unknown kind, a repeat or a bad rate."""
        if text.strip() in ("demo", "none"):
            return cls.demo() if text.strip() == "demo" else cls.none()
        given: dict[str, float] = {}
        for item in text.split(","):
            if not item.strip():
                continue
            kind, equals, value = (part.strip() for part in item.partition("="))
            if not equals:
                raise ValueError(f"rate {item.strip()!r}: expected KIND=RATE")
            if kind not in CLAIMS_KINDS:
                raise ValueError(f"unknown fault {kind!r} (known: {', '.join(CLAIMS_KINDS)})")
            if kind in given:
                raise ValueError(f"rate of {kind} given twice")
            try:
                given[kind] = float(value)
            except ValueError:
                raise ValueError(f"rate of {kind}: {value!r} is not a number") from None
        return cls(**given)


@dataclass(frozen=True, slots=True)
class HubDeposit:
    """What the hub holds of one deposit, as the simulator needs it."""

    number: str
    network: str
    registration_number: str
    amount_spent_centimes: int
    warnings: tuple[str, ...]
    slip: str | None  # the transmittal slip it left in; None: not sent
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class HubSlip:
    number: str
    network: str
    closed_at: datetime


@dataclass(frozen=True, slots=True)
class DepositTruth:
    """Where a deposit must stand once every file is applied, as the counter shows it."""

    deposit_number: str
    stage: str  # DepositView.stage
    since: date | None
    reimbursed_centimes: int | None
    reason_code: str | None
    injected: tuple[str, ...]  # the faults it drew, for a person reading the truth


@dataclass(frozen=True, slots=True)
class ClaimsTruth:
    as_of: datetime  # the truth holds for the files applied at this instant or later
    ack_days: int
    deposits: tuple[DepositTruth, ...]
    exceptions: tuple[tuple[str, str], ...]  # (kind, finding key) open in the queue, sorted


@dataclass(frozen=True, slots=True)
class SimulatedFile:
    name: str  # CNSS_SUIVI_DOSSIERS_<NETWORK>_<YYYYMMDD>.csv
    data: bytes


@dataclass(frozen=True, slots=True)
class SimulatedClaims:
    files: tuple[SimulatedFile, ...]
    truth: ClaimsTruth


def simulate_claims(
    day: date,
    deposits: Sequence[HubDeposit],
    slips: Sequence[HubSlip],
    rates: ClaimsRates,
    *,
    seed: int,
    ack_days: int,
    days: int,
    taken_event_ids: Iterable[str] = (),
    issued_numbers: Iterable[str] = (),
) -> SimulatedClaims:
    """The tracking files of days ``day + 1`` to ``day + days`` for the deposits of ``day``,
    one per network and day (an empty one too: CNSS sends it). ``taken_event_ids`` are
    events already recorded (never reused); ``issued_numbers`` the deposit numbers an
    invented one must avoid besides ``deposits``."""
    if days < 1:
        raise ValueError("days: the simulation covers at least one day of files")
    known_slips = {s.number for s in slips}
    for deposit in deposits:
        if deposit.slip is not None and deposit.slip not in known_slips:
            raise ValueError(f"deposit {deposit.number} names slip {deposit.slip}, not given")
    run = _Run(day, days, random.Random(seed), set(taken_event_ids))  # noqa: S311
    avoid = set(issued_numbers) | {d.number for d in deposits}
    truths: list[DepositTruth] = []
    exceptions: set[tuple[str, str]] = set()
    slips = sorted(slips, key=lambda s: s.number)
    silent = {s.number for s in slips if run.rng.random() < rates.unacknowledged_slip}
    for slip in slips:
        if slip.number not in silent:
            run.deliver(
                run.event(slip.network, run.first, S.SLIP_RECEIVED, slip=slip.number), run.first
            )
    for deposit in deposits:
        truth, found = _journey(run, deposit, rates, silent)
        truths.append(truth)
        exceptions |= found
        sent = deposit.slip is not None and deposit.slip not in silent
        if sent and run.rng.random() < rates.unknown_deposit:
            number = _unissued(run.rng, deposit.network, avoid)
            exceptions.add(("unknown_deposit", f"unknown_deposit:{number}"))
            unknown = _unknown(run, deposit.network, number)
            run.deliver(unknown, unknown.event_date)
    as_of = datetime.combine(run.last, APPLIED_AT, tzinfo=CASABLANCA)
    for slip in slips:
        if slip.number in silent and slip.closed_at <= as_of - timedelta(days=ack_days):
            exceptions.add(("unacknowledged_slip", f"unacknowledged_slip:{slip.number}"))
    networks = {d.network for d in deposits} | {s.network for s in slips}
    return SimulatedClaims(
        run.files(sorted(networks)),
        ClaimsTruth(as_of, ack_days, tuple(truths), tuple(sorted(exceptions))),
    )


class _Run:
    """The events being made, each with the day its file carries it."""

    def __init__(self, day: date, days: int, rng: random.Random, taken: set[str]) -> None:
        self.first = day + timedelta(days=1)
        self.last = day + timedelta(days=days)
        self.rng = rng
        self._taken = taken
        self._serials: defaultdict[date, int] = defaultdict(int)
        self._files: defaultdict[tuple[str, date], list[TrackingEvent]] = defaultdict(list)
        self._cnss_files = rng.randrange(1_000_000, 9_000_000)

    def event(
        self,
        network: str,
        on: date,
        status: TrackingStatus,
        *,
        slip: str | None = None,
        deposit: str | None = None,
        worker: str | None = None,
        cnss_file: str | None = None,
        amount: int | None = None,
        reason: tuple[str, str] | None = None,
    ) -> TrackingEvent:
        return TrackingEvent(
            event_id=self._event_id(on),
            event_date=on,
            network=network,
            slip_number=slip,
            deposit_number=deposit,
            registration_number=worker,
            cnss_file_number=cnss_file,
            status=status,
            reimbursed_centimes=amount,
            reason_code=reason[0] if reason else None,
            reason_text=reason[1] if reason else None,
        )

    def _event_id(self, on: date) -> str:
        # CNSS's shape (the format's example): V, the day, a serial; never one recorded.
        while True:
            self._serials[on] += 1
            candidate = f"V{on:%Y%m%d}{self._serials[on]:05d}"
            if candidate not in self._taken:
                self._taken.add(candidate)
                return candidate

    def cnss_file(self, on: date) -> str:
        self._cnss_files += 1
        return f"AMO{on:%y}-{self._cnss_files:07d}"

    def later(self, on: date, most: int = 2) -> date:
        """A day 0 to ``most`` days after ``on``, never past the last file."""
        return min(self.last, on + timedelta(days=self.rng.randint(0, most)))

    def deliver(self, event: TrackingEvent, on: date) -> None:
        """``event`` in the network's file of day ``on``, after those already in it."""
        self._files[(event.network, on)].append(event)

    def files(self, networks: list[str]) -> tuple[SimulatedFile, ...]:
        written = []
        for network in networks:
            for on in _days(self.first, self.last):
                data = write_tracking(
                    self._files.get((network, on), []),
                    # CNSS's exports vary in how they group thousands and quote ids.
                    thousands=self.rng.choice((" ", "\u00a0", "")),
                    quote_ids=self.rng.random() < 0.2,
                )
                written.append(
                    SimulatedFile(f"CNSS_SUIVI_DOSSIERS_{network}_{on:%Y%m%d}.csv", data)
                )
        return tuple(written)


def _journey(
    run: _Run, deposit: HubDeposit, rates: ClaimsRates, silent: set[str]
) -> tuple[DepositTruth, set[tuple[str, str]]]:
    if deposit.cancelled or deposit.slip is None:
        stage = "cancelled" if deposit.cancelled else "at_office"
        return DepositTruth(deposit.number, stage, None, None, None, ()), set()
    if deposit.slip in silent:
        truth = DepositTruth(deposit.number, "sent", None, None, None, ("unacknowledged_slip",))
        return truth, set()
    rng = run.rng
    drawn = [kind for kind in FATES if rng.random() < getattr(rates, kind)]
    fate = rng.choice(drawn) if drawn else "reimbursed"
    injected = [fate] if drawn else []
    events = _events(run, deposit, fate)
    found: set[tuple[str, str]] = set()
    if fate == "missing_envelope":
        found.add(("missing_envelope", f"missing_envelope:{deposit.number}"))
    elif fate != "found_later" and rng.random() < rates.unreadable_label:
        # CNSS could not read the label when the envelope arrived; the later events name
        # it again (CNSS's own file number led them back to it).
        events[0] = _without_label(events[0])
        injected.append("unreadable_label")
        found.add(("unreadable_label", f"unreadable_label:{events[0].event_id}"))
    last = events[-1]
    if len(events) > 1 and rng.random() < rates.out_of_order:
        # The last word first; the rest in a later file, or after it in the same one.
        later = min(run.last, last.event_date + timedelta(days=1))
        plan = [(last, last.event_date)] + [(e, later) for e in events[-2::-1]]
        injected.append("out_of_order")
    else:
        plan = [(e, e.event_date) for e in events]
    used = {on for _, on in plan}
    again = [
        on
        for on in _days(last.event_date + timedelta(days=1), run.last)
        if on not in used  # a file never holds the same event twice: CNSS's are unique
    ]
    if again and rng.random() < rates.duplicated:
        plan += [(e, rng.choice(again)) for e in events]
        injected.append("duplicated")
    for event, on in plan:
        run.deliver(event, on)
    truth = DepositTruth(
        deposit.number,
        _STAGES[last.status],
        last.event_date,
        last.reimbursed_centimes,
        last.reason_code,
        tuple(injected),
    )
    return truth, found


def _events(run: _Run, deposit: HubDeposit, fate: str) -> list[TrackingEvent]:
    """The journey of one deposit's envelope, in the order it happens."""
    rng, on = run.rng, run.first
    net, number, worker = deposit.network, deposit.number, deposit.registration_number
    if fate == "missing_envelope":
        return [
            run.event(net, on, S.NOT_RECEIVED, slip=deposit.slip, deposit=number, worker=worker)
        ]
    cnss = run.cnss_file(on)
    events = []
    if fate == "found_later":
        events.append(
            run.event(net, on, S.NOT_RECEIVED, slip=deposit.slip, deposit=number, worker=worker)
        )
        on = run.later(on)
    events.append(
        run.event(
            net, on, S.RECEIVED, slip=deposit.slip, deposit=number, worker=worker, cnss_file=cnss
        )
    )
    on = run.later(on)

    def said(
        status: TrackingStatus, *, amount: int | None = None, reason: tuple[str, str] | None = None
    ) -> TrackingEvent:
        # After reception CNSS names the file by its own number; the slip is no more quoted.
        return run.event(
            net,
            on,
            status,
            deposit=number,
            worker=worker,
            cnss_file=cnss,
            amount=amount,
            reason=reason,
        )

    if fate == "incomplete":
        code = rng.choice(sorted(INCOMPLETE))
        return [*events, said(S.INCOMPLETE, reason=(code, INCOMPLETE[code]))]
    events.append(said(S.UNDER_REVIEW))
    on = run.later(on)
    if fate == "refused":
        code = _refusal_code(deposit.warnings)
        events.append(said(S.REFUSED, reason=(code, REFUSALS[code])))
    elif fate == "reimbursed":
        # CNSS pays a share of what the care cost (its tariff), never more.
        amount = max(1, deposit.amount_spent_centimes * rng.randint(40, 90) // 100)
        events.append(said(S.REIMBURSED, amount=amount))
    return events


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _with(truth: DepositTruth, injected: list[str]) -> DepositTruth:
    return DepositTruth(**{**asdict(truth), "injected": tuple(injected)})


def _without_label(event: TrackingEvent) -> TrackingEvent:
    values = {f.name: getattr(event, f.name) for f in fields(event)}
    return TrackingEvent(**{**values, "deposit_number": None})


def _refusal_code(warnings: Sequence[str]) -> str:
    """The reason CNSS gives: the one the counter warned of; without a warning, rights closed
    (CNSS's own view of a worker's payments can differ from the counter's: a payment reversed
    or refused later), never the deadline (the counter computes it as CNSS does) nor an
    undeclared beneficiary (the simulator does not know whether the file was a dependent's)."""
    told = [_REFUSAL_OF_WARNING[w] for w in warnings if w in _REFUSAL_OF_WARNING]
    return told[0] if told else "R01"


def _unissued(rng: random.Random, network: str, avoid: set[str]) -> str:
    while True:
        number = f"D-{network}-9{rng.randrange(10**7):07d}"
        if number not in avoid:
            avoid.add(number)
            return number


def _unknown(run: _Run, network: str, number: str) -> TrackingEvent:
    on = run.later(run.first)
    # A serial of nine significant digits: a number that begins 06 or 07 reads as a phone.
    worker = format_registration_number(run.rng.randrange(10**8, 10**9))
    return run.event(
        network, on, S.RECEIVED, deposit=number, worker=worker, cnss_file=run.cnss_file(on)
    )


def claims_truth_to_json(truth: ClaimsTruth) -> str:
    """The truth as ``qurb-reconcile simulate --claims`` writes it beside the files."""
    body = {
        "as_of": truth.as_of.isoformat(),
        "ack_days": truth.ack_days,
        "deposits": [
            {
                **asdict(d),
                "since": d.since.isoformat() if d.since else None,
                "injected": list(d.injected),
            }
            for d in truth.deposits
        ],
        "exceptions": [{"kind": kind, "key": key} for kind, key in truth.exceptions],
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
