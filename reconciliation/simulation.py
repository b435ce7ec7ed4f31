"""What CNSS and the bank would send for one business day, simulated from the hub's own lines,
with discrepancies injected at chosen rates and the ground truth of what reconciliation must
report. ``qurb-reconcile simulate`` writes its files; pure code here, no files.

Ground truth is exactly what ``match_ledger`` and ``match_bank`` say of day D (their
non-MATCHED, non-EXACT results, in the shape ``findings_of`` gives them). To keep it exact,
each injected discrepancy or harmless variation takes a whole worker (network and
registration number) of its own, so two never meet in the matcher's phase 2: a lone
reference-less entry whose amount also changed would stop being "missing" and become an
amount mismatch, for instance.

Hub lines of other days in ``hub`` are context, never booked: a worker who also has lines on a
neighbouring day keeps the references on all of its entries (phase 2 would otherwise see that
day's unpaired lines too), and invented references and registration numbers avoid every line
given. Days simulated one by one with their neighbours as context therefore keep their own
truth when all the files are matched together.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from itertools import groupby
from operator import attrgetter
from typing import Any

from agent_api.domain.registration_number import format_registration_number
from agent_api.errors import ValidationFailed
from reconciliation.bank_matching import Expected
from reconciliation.model import (
    BankCredit,
    BankOutcome,
    BankResult,
    HubKind,
    HubLine,
    LedgerEntry,
    LedgerOutcome,
    LedgerResult,
    settlement_reference,
)

LEDGER_KINDS = (
    "missing_in_ledger",
    "missing_in_hub",
    "amount_mismatch",
    "duplicate",
    "cross_day",
    "no_reference",
    "split",
    "merged",
)
BANK_KINDS = (
    "bank_short",
    "bank_over",
    "bank_missing",
    "bank_unexpected",
    "bank_remittance_only",
    "bank_two_transfers",
    "bank_batched",
)


@dataclass(frozen=True, slots=True)
class Rates:
    """How often each discrepancy (or harmless variation) is injected: the chance that a hub
    line, or a settlement, draws it. A worker or a settlement takes at most one kind (chosen
    at random among those drawn), so a rate of 1.0 gives one per worker or settlement.

    Rates are probabilities, not money: floats are right here.
    """

    # CNSS ledger: reported by line matching.
    missing_in_ledger: float = 0.0
    missing_in_hub: float = 0.0
    amount_mismatch: float = 0.0
    duplicate: float = 0.0
    cross_day: float = 0.0
    # CNSS ledger: variations line matching must see through.
    no_reference: float = 0.0
    split: float = 0.0
    merged: float = 0.0
    # Bank statement: reported by bank matching.
    bank_short: float = 0.0
    bank_over: float = 0.0
    bank_missing: float = 0.0
    bank_unexpected: float = 0.0
    # Bank statement: variations bank matching must see through.
    bank_remittance_only: float = 0.0
    bank_two_transfers: float = 0.0
    bank_batched: float = 0.0

    def __post_init__(self) -> None:
        for kind in LEDGER_KINDS + BANK_KINDS:
            _check_rate(kind, getattr(self, kind))

    @classmethod
    def none(cls) -> Rates:
        """Files that agree with the hub in every line and every settlement."""
        return cls()

    @classmethod
    def demo(cls) -> Rates:
        """A few percent of each kind: every ledger kind shows up on a day of a thousand
        lines, and the exceptions report stays short enough to read."""
        return cls(
            missing_in_ledger=0.02,
            missing_in_hub=0.02,
            amount_mismatch=0.02,
            duplicate=0.01,
            cross_day=0.02,
            no_reference=0.03,
            split=0.03,
            merged=0.03,
            # A day has one settlement per network: bank rates are per settlement, so a
            # handful of networks needs higher ones to show anything.
            bank_short=0.05,
            bank_over=0.05,
            bank_missing=0.05,
            bank_unexpected=0.05,
            bank_remittance_only=0.1,
            bank_two_transfers=0.1,
            bank_batched=0.1,
        )

    @classmethod
    def parse(cls, text: str) -> Rates:
        """``"missing_in_ledger=0.02,duplicate=0.01"`` (kinds not named stay at 0).

        Raises ValueError naming an unknown kind, a kind given twice, or a rate that is not a
        number between 0 and 1."""
        given: dict[str, float] = {}
        for item in text.split(","):
            if not item.strip():
                continue
            kind, equals, value = item.partition("=")
            kind = kind.strip()
            if not equals:
                raise ValueError(f"rate {item.strip()!r}: expected KIND=RATE")
            if kind not in LEDGER_KINDS + BANK_KINDS:
                known = ", ".join(LEDGER_KINDS + BANK_KINDS)
                raise ValueError(f"unknown discrepancy kind {kind!r} (known: {known})")
            if kind in given:
                raise ValueError(f"rate of {kind} given twice")
            try:
                rate = float(value)
            except ValueError:
                raise ValueError(f"rate of {kind}: {value.strip()!r} is not a number") from None
            _check_rate(kind, rate)
            given[kind] = rate
        return cls(**given)

    def of(self, kind: str) -> float:
        rate: float = getattr(self, kind)
        return rate


def _check_rate(kind: str, rate: object) -> None:
    # "not (0 <= rate <= 1)" also refuses NaN, which compares false with everything.
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise ValueError(f"rate of {kind}: {rate!r} is not between 0 and 1")


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing reconciliation reports, in a shape shared by the ground truth and the
    matchers' results (``findings_of``), so the two compare with ``==``.

    ``kind`` is a ``LedgerOutcome`` or ``BankOutcome`` value; ``difference_centimes`` is signed
    received/booked minus expected. Ledger findings name hub references and entry ids; bank
    findings the settlement ``reference`` (for an unexpected credit, the one it quotes, if
    any) and the credits' ``bank_references``. Tuples are kept sorted."""

    kind: str
    network: str | None
    hub_references: tuple[str, ...] = ()
    entry_ids: tuple[str, ...] = ()
    difference_centimes: int = 0
    reference: str | None = None
    bank_references: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("hub_references", "entry_ids", "bank_references"):
            object.__setattr__(self, name, tuple(sorted(getattr(self, name))))

    def _key(self) -> tuple[Any, ...]:
        # None sorts first; a plain tuple comparison would fail on None against a string.
        return (
            self.kind,
            self.network or "",
            self.reference or "",
            self.hub_references,
            self.entry_ids,
            self.bank_references,
            self.difference_centimes,
            self.network is None,
            self.reference is None,
        )

    def __lt__(self, other: Finding) -> bool:
        return self._key() < other._key()


@dataclass(frozen=True, slots=True)
class SimulatedDay:
    """The files of business day D: ledger entries (value date D, D+1 for those booked late),
    bank credits (booked on D+1) and the findings reconciliation of D must report."""

    day: date
    ledger_entries: list[LedgerEntry]
    bank_credits: list[BankCredit]
    truth: list[Finding]


def simulate(
    day: date,
    hub: Sequence[HubLine],
    settlements: Sequence[Expected],
    rates: Rates,
    *,
    seed: int,
) -> SimulatedDay:
    """Simulate CNSS's ledger export and the bank statement for business day ``day``.

    ``hub`` holds the hub lines of ``day`` (and optionally of D-1 and D+1, as context);
    ``settlements`` what each network owes for ``day``. The same inputs and ``seed`` always
    give the same files."""
    _check_inputs(day, hub, settlements)
    # Reproducible made-up files, not secrets: a seeded PRNG is what is wanted.
    rng = random.Random(seed)  # noqa: S311
    ledger = _LedgerSimulation(day, hub, rates, rng)
    entries, ledger_truth = ledger.run()
    bank = _BankSimulation(day, settlements, rates, rng)
    credits, bank_truth = bank.run()
    return SimulatedDay(day, entries, credits, sorted(ledger_truth + bank_truth))


def _check_inputs(day: date, hub: Sequence[HubLine], settlements: Sequence[Expected]) -> None:
    seen: set[str] = set()
    for line in hub:
        if line.reference in seen:
            raise ValidationFailed(
                f"hub line {line.reference}: reference given twice",
                code="duplicate_reference",
                field="hub",
            )
        seen.add(line.reference)
        if line.amount_centimes <= 0:
            raise ValidationFailed(
                f"hub line {line.reference}: amount must be positive centimes",
                code="invalid_amount",
                field="hub",
            )
        if abs((line.business_date - day).days) > 1:
            raise ValidationFailed(
                f"hub line {line.reference}: business date {line.business_date} is not within"
                f" a day of {day}",
                code="invalid_date",
                field="hub",
            )
    networks: set[str] = set()
    for settlement in settlements:
        if settlement.business_date != day:
            raise ValidationFailed(
                f"settlement {settlement.reference}: business date {settlement.business_date}"
                f" is not {day}",
                code="invalid_date",
                field="settlements",
            )
        if settlement.network in networks:
            raise ValidationFailed(
                f"settlement {settlement.reference}: network {settlement.network} given twice",
                code="duplicate_settlement",
                field="settlements",
            )
        networks.add(settlement.network)


# --- CNSS ledger -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Draft:
    """A ledger entry before its ID_ECRITURE is drawn."""

    value_date: date
    network: str
    reference: str | None
    registration_number: str
    period: str
    amount_centimes: int
    sens: str
    entry_id: str = ""

    @property
    def signed_centimes(self) -> int:
        return self.amount_centimes if self.sens == "C" else -self.amount_centimes


@dataclass(slots=True)
class _Truth:
    """A ledger finding whose entry ids are known only once the drafts are numbered."""

    kind: LedgerOutcome
    network: str
    hub_references: tuple[str, ...]
    drafts: tuple[_Draft, ...]
    difference_centimes: int
    # A duplicate: the matcher reports whichever copy has the later ID_ECRITURE.
    later_copy_only: bool = False

    def finding(self) -> Finding:
        ids = [d.entry_id for d in self.drafts]
        return Finding(
            kind=self.kind.value,
            network=self.network,
            hub_references=self.hub_references,
            entry_ids=(max(ids),) if self.later_copy_only else tuple(ids),
            difference_centimes=self.difference_centimes,
        )


# A registration number or receipt number the hub never issued: the hub numbers both from 1
# upwards, so the top of each range stays unused for decades.
_UNISSUED_SERIAL = 900_000_000


class _LedgerSimulation:
    def __init__(self, day: date, hub: Sequence[HubLine], rates: Rates, rng: random.Random):
        self.day = day
        self.rates = rates
        self.rng = rng
        self.period = _period(day, 0)
        self.today = sorted(
            (line for line in hub if line.business_date == day),
            key=lambda line: (*_worker_of(line), line.reference),
        )
        # Workers with lines on a neighbouring day: their lines there stay unpaired in this
        # run's phase 2, so every entry of theirs keeps its reference.
        self.busy_elsewhere = {
            (line.network, line.registration_number) for line in hub if line.business_date != day
        }
        self.used_references = {line.reference for line in hub} | {
            line.original_reference for line in hub if line.original_reference
        }
        self.used_registrations = {line.registration_number for line in hub}
        self.original_keys = _unambiguous_originals(hub)
        self.drafts: list[_Draft] = []
        self.truth: list[_Truth] = []

    def run(self) -> tuple[list[LedgerEntry], list[Finding]]:
        kinds = [(kind, rate) for kind in LEDGER_KINDS if (rate := self.rates.of(kind)) > 0]
        for _, lines in groupby(self.today, key=_worker_of):
            self._worker(list(lines), kinds)
        return self._numbered(), [truth.finding() for truth in self.truth]

    def _worker(self, lines: list[HubLine], kinds: list[tuple[str, float]]) -> None:
        chosen: tuple[str, HubLine] | None = None
        draw = self.rng.random
        for line in lines:
            # Draw every kind, whether it applies or not, so one rate's change does not
            # reshuffle what the others draw.
            drawn = [kind for kind, rate in kinds if draw() < rate]
            possible = [kind for kind in drawn if self._applies(kind, lines, line)]
            if possible:
                chosen = (self.rng.choice(possible), line)
                break
        if chosen is not None and chosen[0] == "merged":
            self._merged(lines)
            return
        for line in lines:
            if chosen is not None and line is chosen[1]:
                inject: Callable[[list[HubLine], HubLine], None] = getattr(self, "_" + chosen[0])
                inject(lines, line)
            else:
                self._book(line, self._key(line))

    def _reference_free(self, line: HubLine) -> bool:
        """Whether the line's worker may have entries without reference this day."""
        return (line.network, line.registration_number) not in self.busy_elsewhere

    def _applies(self, kind: str, lines: list[HubLine], line: HubLine) -> bool:
        if kind == "no_reference":
            return self._reference_free(line)
        if kind == "split":
            return line.kind is HubKind.COLLECTION and line.amount_centimes >= 2
        if kind == "merged":
            collections = sum(1 for x in lines if x.kind is HubKind.COLLECTION)
            return self._reference_free(line) and collections >= 2
        return True

    def _key(self, line: HubLine) -> str:
        """The reference CNSS books the line under: a reversal's own receipt number or, half
        the time, that of the collection it cancels (when no other line claims it)."""
        original = line.original_reference
        if original in self.original_keys and self.rng.random() < 0.5:
            return original
        return line.reference

    def _book(
        self,
        line: HubLine,
        reference: str | None,
        *,
        amount: int | None = None,
        value_date: date | None = None,
        period: str | None = None,
    ) -> _Draft:
        draft = _Draft(
            value_date=value_date or self.day,
            network=line.network,
            reference=reference,
            registration_number=line.registration_number,
            period=period or self.period,
            amount_centimes=line.amount_centimes if amount is None else amount,
            sens=line.sens,
        )
        self.drafts.append(draft)
        return draft

    def _report(
        self,
        kind: LedgerOutcome,
        line: HubLine | None,
        drafts: tuple[_Draft, ...],
        difference: int,
        *,
        later_copy_only: bool = False,
    ) -> None:
        network = line.network if line is not None else drafts[0].network
        references = (line.reference,) if line is not None else ()
        self.truth.append(_Truth(kind, network, references, drafts, difference, later_copy_only))

    # Each kind below books the line it was drawn for (the worker's other lines are booked
    # normally by ``_worker``).

    def _missing_in_ledger(self, lines: list[HubLine], line: HubLine) -> None:
        self._report(LedgerOutcome.MISSING_IN_LEDGER, line, (), -line.signed_centimes)

    def _missing_in_hub(self, lines: list[HubLine], line: HubLine) -> None:
        self._book(line, self._key(line))
        # Someone the hub never heard of: a fresh registration number, and either a receipt
        # number the hub never issued or no reference at all.
        registration = self._unissued_registration()
        reference = None if self.rng.random() < 0.5 else self._unissued_receipt(line.network)
        stranger = _Draft(
            value_date=self.day,
            network=line.network,
            reference=reference,
            registration_number=registration,
            period=self.period,
            amount_centimes=self.rng.randint(1_000, 300_000),
            sens="D" if self.rng.random() < 0.25 else "C",
        )
        self.drafts.append(stranger)
        self._report(LedgerOutcome.MISSING_IN_HUB, None, (stranger,), stranger.signed_centimes)

    def _amount_mismatch(self, lines: list[HubLine], line: HubLine) -> None:
        amount = _mistyped(line.amount_centimes, self.rng)
        draft = self._book(line, self._key(line), amount=amount)
        difference = draft.signed_centimes - line.signed_centimes
        self._report(LedgerOutcome.AMOUNT_MISMATCH, line, (draft,), difference)

    def _duplicate(self, lines: list[HubLine], line: HubLine) -> None:
        key = self._key(line)
        first = self._book(line, key)
        again = self._book(line, key)
        # Both copies are named: which one the matcher calls the extra depends on their ids.
        difference = again.signed_centimes
        self._report(
            LedgerOutcome.DUPLICATE, line, (first, again), difference, later_copy_only=True
        )

    def _cross_day(self, lines: list[HubLine], line: HubLine) -> None:
        reference: str | None = self._key(line)
        # Without a reference phase 2 pairs it across the dates just as well, but only if no
        # line of a neighbouring day competes for it.
        if self._reference_free(line) and self.rng.random() < 0.5:
            reference = None
        draft = self._book(line, reference, value_date=self.day + timedelta(days=1))
        self._report(LedgerOutcome.CROSS_DAY, line, (draft,), 0)

    def _no_reference(self, lines: list[HubLine], line: HubLine) -> None:
        self._book(line, None)

    def _split(self, lines: list[HubLine], line: HubLine) -> None:
        parts = self.rng.randint(2, min(3, line.amount_centimes))
        cuts = sorted(self.rng.sample(range(1, line.amount_centimes), parts - 1))
        amounts = [b - a for a, b in zip([0, *cuts], [*cuts, line.amount_centimes], strict=True)]
        periods = [_period(self.day, back) for back in range(parts)]
        self.rng.shuffle(periods)
        for amount, period in zip(amounts, periods, strict=True):
            self._book(line, line.reference, amount=amount, period=period)
        assert sum(amounts) == line.amount_centimes

    def _merged(self, lines: list[HubLine]) -> None:
        collections = [line for line in lines if line.kind is HubKind.COLLECTION]
        total = sum(line.amount_centimes for line in collections)
        self._book(collections[0], None, amount=total)
        for line in lines:
            if line.kind is not HubKind.COLLECTION:
                self._book(line, self._key(line))

    def _unissued_registration(self) -> str:
        while True:
            serial = self.rng.randint(_UNISSUED_SERIAL, 999_999_999)
            number = format_registration_number(serial)
            if number not in self.used_registrations:
                self.used_registrations.add(number)
                return number

    def _unissued_receipt(self, network: str) -> str:
        while True:
            number = f"R-{network}-9{self.rng.randint(0, 9_999_999):07d}"
            if number not in self.used_references:
                self.used_references.add(number)
                return number

    def _numbered(self) -> list[LedgerEntry]:
        # CNSS numbers entries in its own booking order, not the hub's: shuffle first. All
        # ids of a day have one width, so their string order is their numeric order.
        self.rng.shuffle(self.drafts)
        width = max(6, len(str(len(self.drafts))))
        prefix = f"E{self.day:%Y%m%d}"
        entries: list[LedgerEntry] = []
        for seq, d in enumerate(self.drafts, start=1):
            d.entry_id = f"{prefix}{seq:0{width}d}"
            entries.append(
                LedgerEntry(
                    d.entry_id,
                    d.value_date,
                    d.network,
                    d.reference,
                    d.registration_number,
                    d.period,
                    d.amount_centimes,
                    d.sens,
                )
            )
        # Stable: within a value date the entries stay in id order.
        entries.sort(key=attrgetter("value_date"))
        return entries


def _worker_of(line: HubLine) -> tuple[str, str]:
    return line.network, line.registration_number


def _unambiguous_originals(hub: Iterable[HubLine]) -> set[str]:
    """Originals a reversal may be booked under: cancelled by exactly one reversal and not
    themselves the receipt number of a reversal, so the key (reference, D) names one line."""
    counts: dict[str, int] = {}
    reversal_numbers: set[str] = set()
    for line in hub:
        if line.kind is HubKind.REVERSAL:
            reversal_numbers.add(line.reference)
            if line.original_reference:
                counts[line.original_reference] = counts.get(line.original_reference, 0) + 1
    return {ref for ref, n in counts.items() if n == 1 and ref not in reversal_numbers}


def _period(day: date, months_back: int) -> str:
    """``MM/YYYY`` of the month ``months_back`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - months_back
    return f"{index % 12 + 1:02d}/{index // 12}"


def _mistyped(amount: int, rng: random.Random) -> int:
    """A different positive amount: off by a few centimes, or with one digit mistyped."""
    if rng.random() < 0.5:
        delta = rng.randint(1, 9)
        return amount - delta if amount > delta and rng.random() < 0.5 else amount + delta
    digits = list(str(amount))
    at = rng.randrange(len(digits))
    # Never a leading zero: the typist changes a digit, not the number's length.
    replacements = [d for d in "0123456789" if d != digits[at] and (at > 0 or d != "0")]
    digits[at] = rng.choice(replacements)
    return int("".join(digits))


# --- Bank statement --------------------------------------------------------------------------


class _BankSimulation:
    def __init__(
        self, day: date, settlements: Sequence[Expected], rates: Rates, rng: random.Random
    ):
        self.day = day
        self.booking = day + timedelta(days=1)
        self.rates = rates
        self.rng = rng
        self.settlements = sorted(settlements, key=lambda s: (s.network, s.reference))
        self.credits: list[BankCredit] = []
        self.truth: list[Finding] = []
        self.sequence = 0
        networks = {s.network for s in settlements}
        # A network with no settlement of D, for unexpected credits that quote a reference.
        self.stranger = next(
            code for n in range(1, len(networks) + 2) if (code := f"INCONNU{n}") not in networks
        )

    def run(self) -> tuple[list[BankCredit], list[Finding]]:
        kinds = [(kind, rate) for kind in BANK_KINDS if (rate := self.rates.of(kind)) > 0]
        batched: list[Expected] = []
        for settlement in self.settlements:
            if settlement.net_centimes <= 0:
                # Nothing is transferred; the matcher says "missing" unless nothing was due.
                if settlement.net_centimes < 0:
                    self._report(BankOutcome.MISSING, settlement, ())
                continue
            drawn = [kind for kind, rate in kinds if self.rng.random() < rate]
            possible = [kind for kind in drawn if self._applies(kind, settlement)]
            kind = self.rng.choice(possible) if possible else None
            if kind == "bank_batched":
                batched.append(settlement)
            elif kind is None:
                self._transfer(settlement, settlement.net_centimes)
            else:
                inject: Callable[[Expected], None] = getattr(self, "_" + kind)
                inject(settlement)
        if len(batched) == 1:
            self._transfer(batched[0], batched[0].net_centimes)
        elif batched:
            self._batch(batched)
        self.credits.sort(key=lambda c: c.bank_reference)
        return self.credits, self.truth

    @staticmethod
    def _applies(kind: str, settlement: Expected) -> bool:
        if kind in ("bank_short", "bank_two_transfers"):
            return settlement.net_centimes >= 2  # each credit is at least one centime
        return True

    def _bank_reference(self) -> str:
        self.sequence += 1
        return f"BK{self.booking:%Y%m%d}{self.sequence:06d}"

    def _credit(
        self,
        amount: int,
        *,
        end_to_end: str | None,
        remittance: str,
        debtor: str,
        bank_reference: str | None = None,
    ) -> BankCredit:
        credit = BankCredit(
            bank_reference=bank_reference or self._bank_reference(),
            booking_date=self.booking,
            value_date=self.booking,
            amount_centimes=amount,
            credit=True,
            end_to_end_id=end_to_end,
            remittance=remittance,
            debtor=debtor,
        )
        self.credits.append(credit)
        return credit

    def _transfer(self, settlement: Expected, amount: int) -> BankCredit:
        return self._credit(
            amount,
            end_to_end=settlement.reference,
            remittance=f"REGLEMENT {settlement.network} {self.day:%d/%m/%Y}",
            debtor=settlement.network,
        )

    def _report(
        self, kind: BankOutcome, settlement: Expected, credits: tuple[BankCredit, ...]
    ) -> None:
        received = sum(c.amount_centimes for c in credits)
        self.truth.append(
            Finding(
                kind=kind.value,
                network=settlement.network,
                reference=settlement.reference,
                bank_references=tuple(c.bank_reference for c in credits),
                difference_centimes=received - settlement.net_centimes,
            )
        )

    def _bank_short(self, settlement: Expected) -> None:
        net = settlement.net_centimes
        credit = self._transfer(settlement, net - self.rng.randint(1, max(1, net // 20)))
        self._report(BankOutcome.SHORT, settlement, (credit,))

    def _bank_over(self, settlement: Expected) -> None:
        net = settlement.net_centimes
        credit = self._transfer(settlement, net + self.rng.randint(1, max(1, net // 20)))
        self._report(BankOutcome.OVER, settlement, (credit,))

    def _bank_missing(self, settlement: Expected) -> None:
        self._report(BankOutcome.MISSING, settlement, ())

    def _bank_unexpected(self, settlement: Expected) -> None:
        self._transfer(settlement, settlement.net_centimes)
        amount = self.rng.randint(100, max(100, settlement.net_centimes))
        if self.rng.random() < 0.5:
            credit = self._credit(
                amount, end_to_end=None, remittance="VIREMENT RECU", debtor="DONNEUR D'ORDRE"
            )
            network, reference = None, None
        else:
            network = self.stranger
            reference = settlement_reference(network, self.day)
            credit = self._credit(
                amount, end_to_end=reference, remittance=f"REGLEMENT {network}", debtor=network
            )
        self.truth.append(
            Finding(
                kind=BankOutcome.UNEXPECTED.value,
                network=network,
                reference=reference,
                bank_references=(credit.bank_reference,),
                difference_centimes=amount,
            )
        )

    def _bank_remittance_only(self, settlement: Expected) -> None:
        self._credit(
            settlement.net_centimes,
            end_to_end=None,  # the bank shows NOTPROVIDED
            remittance=f"REGLEMENT {settlement.reference}",
            debtor=settlement.network,
        )

    def _bank_two_transfers(self, settlement: Expected) -> None:
        first = self.rng.randint(1, settlement.net_centimes - 1)
        self._transfer(settlement, first)
        self._transfer(settlement, settlement.net_centimes - first)

    def _batch(self, settlements: list[Expected]) -> None:
        # One entry, one TxDtls per network: the reader numbers them "<AcctSvcrRef>/n".
        entry = self._bank_reference()
        for n, settlement in enumerate(settlements, start=1):
            self._credit(
                settlement.net_centimes,
                end_to_end=settlement.reference,
                remittance=f"REGLEMENT {settlement.network} {self.day:%d/%m/%Y}",
                debtor=settlement.network,
                bank_reference=f"{entry}/{n}",
            )


# --- Findings of the matchers, and the ground-truth file -------------------------------------


def findings_of(
    ledger_results: Iterable[LedgerResult], bank_results: Iterable[BankResult]
) -> list[Finding]:
    """The matchers' results that reconciliation reports (all but MATCHED and EXACT), in the
    ground truth's shape."""
    found: list[Finding] = []
    for result in ledger_results:
        if result.outcome is LedgerOutcome.MATCHED:
            continue
        network = result.hub[0].network if result.hub else result.entries[0].network
        found.append(
            Finding(
                kind=result.outcome.value,
                network=network,
                hub_references=tuple(h.reference for h in result.hub),
                entry_ids=tuple(e.entry_id for e in result.entries),
                difference_centimes=result.difference_centimes,
            )
        )
    for bank in bank_results:
        if bank.outcome is BankOutcome.EXACT:
            continue
        reference = bank.reference
        if reference is None and bank.network is not None and bank.business_date is not None:
            # An unexpected credit: the matcher may keep only the network and day it quotes.
            reference = settlement_reference(bank.network, bank.business_date)
        found.append(
            Finding(
                kind=bank.outcome.value,
                network=bank.network,
                reference=reference,
                bank_references=tuple(c.bank_reference for c in bank.credits),
                difference_centimes=bank.difference_centimes,
            )
        )
    return sorted(found)


_KINDS = {o.value for o in LedgerOutcome} | {o.value for o in BankOutcome}
_TEXT_LISTS = ("hub_references", "entry_ids", "bank_references")


def truth_to_json(findings: Iterable[Finding]) -> str:
    """The ground-truth file: a JSON array of findings, sorted, one key per field."""
    rows = [
        {
            "kind": f.kind,
            "network": f.network,
            "hub_references": list(f.hub_references),
            "entry_ids": list(f.entry_ids),
            "difference_centimes": f.difference_centimes,
            "reference": f.reference,
            "bank_references": list(f.bank_references),
        }
        for f in sorted(findings)
    ]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def truth_from_json(text: str) -> list[Finding]:
    """Read a ground-truth file back; ValidationFailed names the finding and field that is
    wrong."""
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"ground truth: not JSON ({exc.msg} at line {exc.lineno})",
            code="invalid_truth",
            field="truth",
        ) from None
    if not isinstance(rows, list):
        raise _bad_truth("the file", "a JSON array of findings")
    return [_finding_from_row(n, row) for n, row in enumerate(rows, start=1)]


def _finding_from_row(n: int, row: object) -> Finding:
    where = f"finding {n}"
    if not isinstance(row, dict):
        raise _bad_truth(where, "an object")
    expected = {f.name for f in fields(Finding)}
    unknown = sorted(set(row) - expected)
    if unknown:
        raise _bad_truth(f"{where} field {unknown[0]}", "not a finding field")
    kind = row.get("kind")
    if kind not in _KINDS:
        raise _bad_truth(f"{where} field kind", f"one of {', '.join(sorted(_KINDS))}")
    for name in ("network", "reference"):
        if not (row.get(name) is None or isinstance(row.get(name), str)):
            raise _bad_truth(f"{where} field {name}", "a string or null")
    lists: dict[str, tuple[str, ...]] = {}
    for name in _TEXT_LISTS:
        value = row.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad_truth(f"{where} field {name}", "a list of strings")
        lists[name] = tuple(value)
    difference = row.get("difference_centimes", 0)
    if isinstance(difference, bool) or not isinstance(difference, int):
        raise _bad_truth(f"{where} field difference_centimes", "whole centimes")
    return Finding(
        kind=kind,
        network=row.get("network"),
        hub_references=lists["hub_references"],
        entry_ids=lists["entry_ids"],
        difference_centimes=difference,
        reference=row.get("reference"),
        bank_references=lists["bank_references"],
    )


def _bad_truth(where: str, what: str) -> ValidationFailed:
    return ValidationFailed(
        f"ground truth: {where} must be {what}", code="invalid_truth", field="truth"
    )
