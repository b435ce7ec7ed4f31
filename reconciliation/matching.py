"""Line matching: pairs what the hub recorded for business day D with what CNSS booked in its
ledger, and says, line by line, where the two disagree.

The rules, in the order they are applied
-----------------------------------------
The run for day D looks at the hub's collections and reversals of D-1, D and D+1 and at the
ledger entries CNSS dated D-1, D and D+1, because a collection made near midnight, or a late
offline one, is often booked a day away from the hub's business day.

1. **By receipt number first.** CNSS copies the receipt number printed on the hub's receipt
   into each entry. When it is there it is the strongest evidence two lines are the same
   money, stronger than any coincidence of worker, amount and date, so every entry that
   carries one is settled by it before anything else is tried. A collection is booked as a
   credit (SENS C) under its receipt number; a reversal as a debit (SENS D) under its own
   receipt number or under the number of the collection it cancels. The entries found under a
   line's number then tell one of these stories:

   - **Duplicate.** Two entries of the same receipt for the same period and the same amount
     are the same booking made twice. A collection split over several months legitimately
     gives several entries under one receipt number, but each for a *different* period, so
     "same period and same amount" is what tells a repeated booking from a split. The first
     entry (by CNSS entry id) counts; each repetition is reported as a duplicate, for its own
     amount.
   - **Matched.** The remaining entries add up to the hub's amount, on the hub line's date.
   - **Booked on another day (cross-day).** They add up, but at least one was dated another
     day. The money is right; only the date is off.
   - **Amount mismatch.** They do not add up: the difference (ledger minus hub) is reported.
     This is said even when the dates differ too, because a wrong amount is money to chase
     while a date a day off is not: the larger problem is the one finance must see.
   - An entry whose number names no hub line (or a line of the other direction, or of another
     network) is **missing in the hub**.

2. **Then, without receipt number, by worker.** Entries where CNSS could not capture the
   number are compared, per network and worker registration number and in the same
   direction, with the hub lines that found no entry in step 1. Dates may be at most one day
   apart; pairings on the same date are always tried before pairings a day apart.

   a) one entry for one line of the same amount;
   b) one entry for all the worker's remaining lines of one date together (CNSS booked
      several collections of the worker as one entry);
   c) all the worker's remaining entries of one date for one line (CNSS split one collection);
   d) if exactly one line and one entry of the worker are left, they are taken to be the same
      money booked for a different amount: **amount mismatch**;
   e) what is still left over is **missing in the hub** (entries) or **missing in the
      ledger** (hub lines).

Which day reports what
----------------------
Every hub line of D appears in the result exactly once (plus, as the line it repeats, in any
duplicate result). An entry dated D appears once, unless it was paired with a hub line of
D-1 or D+1: then that day's run reports it, and this run leaves it out. Hub lines of D-1 and
D+1 never appear; they are only there so their entries are not wrongly called missing here.

The money always adds up
------------------------
Per network, the hub side of the results is the hub's total for D (a duplicate names the line
it repeats, but that line's money is already counted where the line was paired), and the
ledger side equals the hub side plus the sum of the differences. ``summarize`` returns these
totals and ``LedgerTotals.balances`` checks them.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

from agent_api.errors import ValidationFailed
from reconciliation.model import (
    HubKind,
    HubLine,
    LedgerEntry,
    LedgerOutcome,
    LedgerResult,
    bulk_allocation,
)

ONE_DAY = timedelta(days=1)

_MATCHED = LedgerOutcome.MATCHED
_CROSS_DAY = LedgerOutcome.CROSS_DAY
_DUPLICATE = LedgerOutcome.DUPLICATE
_COLLECTION = HubKind.COLLECTION

_Report = Callable[[LedgerResult], None]


def match_ledger(
    day: date, hub: Iterable[HubLine], entries: Iterable[LedgerEntry]
) -> list[LedgerResult]:
    """The findings of day ``day``, ordered by network, outcome (in ``LedgerOutcome`` order),
    then first hub receipt number or first entry id.

    ``hub`` holds the hub lines of business days D-1, D and D+1, ``entries`` the ledger
    entries of value dates D-1, D and D+1; anything outside that window is refused."""
    window = frozenset((day - ONE_DAY, day, day + ONE_DAY))
    # A national day makes millions of results and tuples, none in a reference cycle: with
    # the cycle collector paused meanwhile, matching takes about a third less time.
    with bulk_allocation():
        findings = _Findings(day)
        index = _EntryIndex(entries, window)
        unpaired = _match_by_reference(day, window, hub, index, findings)
        _match_by_worker(unpaired, index.without_reference, findings.report)
        for entry in index.leftovers():
            findings.report(_missing_in_hub(entry))
        return findings.in_order()


# --- Phase 1: by receipt number -------------------------------------------------------------


class _EntryIndex:
    """The entries with a receipt number, found by it, and the entries without one.

    The first entry booked under a number sits in a plain dict and the rare further ones
    (splits, duplicates, a reversal under its collection's number) apart, so the usual single
    entry costs one dict operation to find and remove."""

    def __init__(self, entries: Iterable[LedgerEntry], window: frozenset[date]) -> None:
        self.first: dict[str, LedgerEntry] = {}
        self.further: dict[str, list[LedgerEntry]] = {}
        self.without_reference: list[LedgerEntry] = []
        keep_first = self.first.setdefault
        without_reference = self.without_reference.append
        for entry in entries:
            if entry.value_date not in window:
                raise _outside_window(f"ledger entry {entry.entry_id}", entry.value_date, window)
            reference = entry.reference
            if not reference:
                without_reference(entry)
            elif keep_first(reference, entry) is not entry:
                self.further.setdefault(reference, []).append(entry)

    def take(self, reference: str, network: str, sens: str) -> tuple[LedgerEntry, ...]:
        """Removes and returns the entries booked under ``reference`` for ``network`` in
        direction ``sens``; entries under it for another network or direction stay."""
        entry = self.first.pop(reference, None)
        if entry is None:
            return ()
        further = self.further.pop(reference, None)
        if further is None:
            if entry.network == network and entry.sens == sens:
                return (entry,)
            self.first[reference] = entry
            return ()
        taken: list[LedgerEntry] = []
        kept: list[LedgerEntry] = []
        for candidate in (entry, *further):
            fits = candidate.network == network and candidate.sens == sens
            (taken if fits else kept).append(candidate)
        if kept:
            self.first[reference] = kept[0]
            if len(kept) > 1:
                self.further[reference] = kept[1:]
        return tuple(taken)

    def leftovers(self) -> Iterator[LedgerEntry]:
        """The entries with a receipt number that no hub line claimed."""
        yield from self.first.values()
        for further in self.further.values():
            yield from further


def _match_by_reference(
    day: date,
    window: frozenset[date],
    hub: Iterable[HubLine],
    index: _EntryIndex,
    findings: _Findings,
) -> list[HubLine]:
    """Settles every hub line that has entries under its receipt number; returns the others."""
    unpaired: list[HubLine] = []
    reversals: list[tuple[HubLine, tuple[LedgerEntry, ...]]] = []
    # Bound to locals: this loop runs once per hub line, a million times on a national day.
    first, further, take, report = index.first, index.further, index.take, findings.report
    pop_first = first.pop
    matched, cross_day = findings.shelves[_MATCHED], findings.shelves[_CROSS_DAY]
    for line in hub:
        business_date = line.business_date
        if business_date != day and business_date not in window:
            raise _outside_window(f"hub line {line.reference}", business_date, window)
        reference = line.reference
        entry = pop_first(reference, None)
        if entry is not None:
            if (
                line.kind is _COLLECTION
                and entry.sens == "C"
                and entry.network == line.network
                and entry.amount_centimes == line.amount_centimes
                and reference not in further
            ):
                # The usual case, spelled out for speed: a collection booked once, in full.
                # A line of D-1 or D+1 takes its entry too; that day's run reports the pair.
                if business_date == day:
                    if entry.value_date == day:
                        matched[line.network].append(LedgerResult(_MATCHED, (line,), (entry,)))
                    else:
                        cross_day[line.network].append(LedgerResult(_CROSS_DAY, (line,), (entry,)))
                continue
            first[reference] = entry  # not the usual case: ``take`` sorts it out
        group = take(reference, line.network, line.sens)
        if line.kind is not _COLLECTION and line.original_reference is not None:
            # Entries under the collection's number are gathered once every line has
            # claimed its own number (below), so no line can take another's entries.
            reversals.append((line, group))
        elif group:
            _settle(line, group, report)
        else:
            unpaired.append(line)
    unpaired += _match_reversals_by_original(reversals, take, report)
    return unpaired


def _match_reversals_by_original(
    reversals: list[tuple[HubLine, tuple[LedgerEntry, ...]]],
    take: Callable[[str, str, str], tuple[LedgerEntry, ...]],
    report: _Report,
) -> list[HubLine]:
    """Adds to each reversal the debits booked under the number of the collection it cancels
    and settles it; returns the reversals that found no entry at all."""
    unpaired: list[HubLine] = []
    # Deterministic whatever order the hub lines came in, should two reversals name the
    # same collection: the earlier one takes the entries booked under its number.
    reversals.sort(key=lambda item: (item[0].business_date, item[0].reference))
    for line, own in reversals:
        assert line.original_reference is not None
        group = own + take(line.original_reference, line.network, "D")
        if group:
            _settle(line, group, report)
        else:
            unpaired.append(line)
    return unpaired


def _settle(line: HubLine, group: tuple[LedgerEntry, ...], report: _Report) -> None:
    """Reports the entries found under ``line``'s receipt number: duplicates, then the rest
    as matched, cross-day or amount mismatch."""
    if len(group) > 1:
        group, repeated = _set_repetitions_apart(group)
        for entry in repeated:
            report(LedgerResult(_DUPLICATE, (line,), (entry,), entry.signed_centimes))
    difference = sum(entry.signed_centimes for entry in group) - line.signed_centimes
    if difference:
        report(LedgerResult(LedgerOutcome.AMOUNT_MISMATCH, (line,), group, difference))
    else:
        report(_paired((line,), group))


def _set_repetitions_apart(
    group: tuple[LedgerEntry, ...],
) -> tuple[tuple[LedgerEntry, ...], list[LedgerEntry]]:
    """(the entries that count, the repetitions of an earlier entry on period and amount)."""
    seen: set[tuple[str | None, int]] = set()
    counted: list[LedgerEntry] = []
    repeated: list[LedgerEntry] = []
    for entry in sorted(group, key=_entry_id):
        booking = (entry.period, entry.amount_centimes)
        (repeated if booking in seen else counted).append(entry)
        seen.add(booking)
    return tuple(counted), repeated


# --- Phase 2: without receipt number, by worker ----------------------------------------------


def _match_by_worker(
    unpaired: Iterable[HubLine], entries: Iterable[LedgerEntry], report: _Report
) -> None:
    """Pairs the entries without receipt number with the lines phase 1 left, worker by
    worker; what stays unpaired is reported missing."""
    workers: dict[tuple[str, str, str], _Worker] = {}
    for entry in entries:
        key = (entry.network, entry.registration_number, entry.sens)
        worker = workers.get(key)
        if worker is None:
            worker = workers[key] = _Worker()
        worker.entries.append(entry)
    for line in unpaired:
        worker = workers.get((line.network, line.registration_number, line.sens))
        if worker is None:
            report(_missing_in_ledger(line))
        else:
            worker.lines.append(line)
    for worker in workers.values():
        worker.match(report)


@dataclass(slots=True)
class _Worker:
    """One worker's entries without receipt number in one direction, and the same worker's
    hub lines in that direction that found no entry by receipt number. Each step below
    pairs what it can and leaves the rest to the next."""

    lines: list[HubLine] = field(default_factory=list)
    entries: list[LedgerEntry] = field(default_factory=list)

    def match(self, report: _Report) -> None:
        if len(self.lines) > 1 or len(self.entries) > 1:
            self.lines.sort(key=_line_order)
            self.entries.sort(key=_entry_order)
            self._one_entry_one_line(report)
            self._one_entry_many_lines(report)
            self._many_entries_one_line(report)
        # else only a lone pair or nothing can be paired: the steps above would find nothing
        # that ``_lone_pair`` does not, and this is by far the usual worker.
        self._lone_pair(report)
        for line in self.lines:
            report(_missing_in_ledger(line))
        for entry in self.entries:
            report(_missing_in_hub(entry))

    def _one_entry_one_line(self, report: _Report) -> None:
        waiting: dict[tuple[date, int], deque[HubLine]] = {}
        for line in self.lines:
            waiting.setdefault((line.business_date, line.amount_centimes), deque()).append(line)
        paired: set[int] = set()
        for shifts in _SAME_DAY_FIRST:
            left: list[LedgerEntry] = []
            for entry in self.entries:
                for shift in shifts:
                    queue = waiting.get((entry.value_date + shift, entry.amount_centimes))
                    if queue:
                        line = queue.popleft()
                        paired.add(id(line))
                        report(_paired((line,), (entry,)))
                        break
                else:
                    left.append(entry)
            self.entries = left
        self.lines = [line for line in self.lines if id(line) not in paired]

    def _one_entry_many_lines(self, report: _Report) -> None:
        by_date: dict[date, list[HubLine]] = {}
        for line in self.lines:
            by_date.setdefault(line.business_date, []).append(line)
        totals = {
            day: sum(line.amount_centimes for line in lines) for day, lines in by_date.items()
        }
        for shifts in _SAME_DAY_FIRST:
            left: list[LedgerEntry] = []
            for entry in self.entries:
                for shift in shifts:
                    day = entry.value_date + shift
                    lines = by_date.get(day, [])
                    if len(lines) >= 2 and totals[day] == entry.amount_centimes:
                        del by_date[day]
                        report(_paired(tuple(lines), (entry,)))
                        break
                else:
                    left.append(entry)
            self.entries = left
        self.lines = [line for line in self.lines if line.business_date in by_date]

    def _many_entries_one_line(self, report: _Report) -> None:
        by_date: dict[date, list[LedgerEntry]] = {}
        for entry in self.entries:
            by_date.setdefault(entry.value_date, []).append(entry)
        waiting: dict[tuple[date, int], deque[HubLine]] = {}
        for line in self.lines:
            waiting.setdefault((line.business_date, line.amount_centimes), deque()).append(line)
        paired: set[int] = set()
        for shifts in _SAME_DAY_FIRST:
            for day, entries in list(by_date.items()):
                if len(entries) < 2:
                    continue
                total = sum(entry.amount_centimes for entry in entries)
                for shift in shifts:
                    queue = waiting.get((day + shift, total))
                    if queue:
                        line = queue.popleft()
                        paired.add(id(line))
                        del by_date[day]
                        report(_paired((line,), tuple(entries)))
                        break
        self.lines = [line for line in self.lines if id(line) not in paired]
        self.entries = [entry for entries in by_date.values() for entry in entries]

    def _lone_pair(self, report: _Report) -> None:
        """One line and one entry left, at most a day apart: the same money, booked for
        the same amount (matched or cross-day) or for another (amount mismatch)."""
        if len(self.lines) == 1 and len(self.entries) == 1:
            line, entry = self.lines[0], self.entries[0]
            if abs(entry.value_date - line.business_date) <= ONE_DAY:
                difference = entry.signed_centimes - line.signed_centimes
                if difference:
                    report(
                        LedgerResult(LedgerOutcome.AMOUNT_MISMATCH, (line,), (entry,), difference)
                    )
                else:
                    report(_paired((line,), (entry,)))
                self.lines, self.entries = [], []


# Pairings on the same date are all tried before any pairing a day apart; a day before comes
# before a day after, as hub lines are taken in date order.
_SAME_DAY_FIRST = ((timedelta(0),), (-ONE_DAY, ONE_DAY))


# --- Results -------------------------------------------------------------------------------


def _paired(lines: tuple[HubLine, ...], entries: tuple[LedgerEntry, ...]) -> LedgerResult:
    """Lines and entries that agree on the amount: matched, or cross-day if any entry was
    dated another day than the lines (which always share one date)."""
    business_date = lines[0].business_date
    same_day = all(entry.value_date == business_date for entry in entries)
    return LedgerResult(_MATCHED if same_day else _CROSS_DAY, lines, entries)


def _missing_in_ledger(line: HubLine) -> LedgerResult:
    return LedgerResult(LedgerOutcome.MISSING_IN_LEDGER, (line,), (), -line.signed_centimes)


def _missing_in_hub(entry: LedgerEntry) -> LedgerResult:
    return LedgerResult(LedgerOutcome.MISSING_IN_HUB, (), (entry,), entry.signed_centimes)


class _Findings:
    """The results day D reports, shelved by outcome and network until they are put in
    order."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.shelves: dict[LedgerOutcome, defaultdict[str, list[LedgerResult]]] = {
            outcome: defaultdict(list) for outcome in LedgerOutcome
        }

    def report(self, result: LedgerResult) -> None:
        """Keeps ``result`` if it is day D's to report: it has a hub line of D, or no hub
        line and an entry dated D. Results tied to a hub line of D-1 or D+1 belong to that
        day's run (all hub lines of one result share a date)."""
        if result.hub:
            if result.hub[0].business_date == self.day:
                self.shelves[result.outcome][result.hub[0].network].append(result)
        elif result.entries[0].value_date == self.day:
            self.shelves[result.outcome][result.entries[0].network].append(result)

    def in_order(self) -> list[LedgerResult]:
        networks = sorted({network for shelf in self.shelves.values() for network in shelf})
        ordered: list[LedgerResult] = []
        for network in networks:
            for outcome, shelf in self.shelves.items():
                results = shelf.get(network, [])
                results.sort(key=_ORDER_KEY[outcome])
                ordered += results
        return ordered


def _first_line(result: LedgerResult) -> str:
    return result.hub[0].reference


def _first_line_then_entry(result: LedgerResult) -> tuple[str, str]:
    return result.hub[0].reference, result.entries[0].entry_id


def _first_entry(result: LedgerResult) -> str:
    return result.entries[0].entry_id


# Apart from duplicates, a hub line of D is in exactly one result, so its receipt number
# orders them; the duplicates of one line are put in entry id order.
_ORDER_KEY: dict[LedgerOutcome, Callable[[LedgerResult], str | tuple[str, str]]] = {
    LedgerOutcome.MATCHED: _first_line,
    LedgerOutcome.MISSING_IN_LEDGER: _first_line,
    LedgerOutcome.MISSING_IN_HUB: _first_entry,
    LedgerOutcome.AMOUNT_MISMATCH: _first_line,
    LedgerOutcome.DUPLICATE: _first_line_then_entry,
    LedgerOutcome.CROSS_DAY: _first_line,
}


def _entry_id(entry: LedgerEntry) -> str:
    return entry.entry_id


def _entry_order(entry: LedgerEntry) -> tuple[date, str]:
    return entry.value_date, entry.entry_id


def _line_order(line: HubLine) -> tuple[date, str]:
    return line.business_date, line.reference


def _outside_window(what: str, when: date, window: frozenset[date]) -> ValidationFailed:
    first, last = min(window), max(window)
    return ValidationFailed(
        f"{what} is dated {when:%Y-%m-%d}, outside the matching window "
        f"{first:%Y-%m-%d} to {last:%Y-%m-%d}",
        code="outside_matching_window",
        field="value_date" if what.startswith("ledger") else "business_date",
    )


# --- Totals --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutcomeTotals:
    """How many results of one outcome, and their money (signed: credits positive)."""

    count: int = 0
    hub_signed_centimes: int = 0
    ledger_signed_centimes: int = 0
    difference_centimes: int = 0


@dataclass(frozen=True, slots=True)
class LedgerTotals:
    """One network's line-matching totals for a day."""

    network: str
    by_outcome: Mapping[LedgerOutcome, OutcomeTotals]

    @property
    def hub_signed_centimes(self) -> int:
        """The hub's total for D as the results account for it."""
        return sum(totals.hub_signed_centimes for totals in self.by_outcome.values())

    @property
    def ledger_signed_centimes(self) -> int:
        """What CNSS booked, over the entries this day's results report."""
        return sum(totals.ledger_signed_centimes for totals in self.by_outcome.values())

    @property
    def difference_centimes(self) -> int:
        return sum(totals.difference_centimes for totals in self.by_outcome.values())

    @property
    def balances(self) -> bool:
        """Ledger = hub + differences: every centime that disagrees is in some finding."""
        return self.ledger_signed_centimes == self.hub_signed_centimes + self.difference_centimes

    def accounts_for(self, hub_signed_of_day: int) -> bool:
        """True when the results cover exactly the hub's total for D and balance."""
        return self.hub_signed_centimes == hub_signed_of_day and self.balances


def summarize(results: Iterable[LedgerResult]) -> dict[str, LedgerTotals]:
    """Totals per network, with every outcome present (count 0 when it did not occur).

    A duplicate's hub side counts 0: it names the line it repeats, whose money is counted
    in the result that paired the line."""
    sums: dict[str, dict[LedgerOutcome, list[int]]] = {}
    for result in results:
        network = (result.hub[0] if result.hub else result.entries[0]).network
        outcomes = sums.get(network)
        if outcomes is None:
            outcomes = sums[network] = {outcome: [0, 0, 0, 0] for outcome in LedgerOutcome}
        acc = outcomes[result.outcome]
        acc[0] += 1
        hub, entries = result.hub, result.entries
        if len(hub) == 1 and len(entries) == 1 and result.difference_centimes == 0:
            # The common case, a 1:1 match, without the generic sums (a national day has
            # a million of them).
            amount = entries[0].signed_centimes
            acc[1] += amount
            acc[2] += amount
            continue
        if result.outcome is not _DUPLICATE:
            acc[1] += result.hub_signed_centimes
        acc[2] += result.ledger_signed_centimes
        acc[3] += result.difference_centimes
    return {
        network: LedgerTotals(
            network,
            MappingProxyType({outcome: OutcomeTotals(*acc) for outcome, acc in outcomes.items()}),
        )
        for network, outcomes in sorted(sums.items())
    }
