"""The simulator writes the files CNSS and the bank would send for a day, and knows exactly
what reconciliation must find in them: the matchers, run over its files, report its ground
truth and nothing else, and the money adds up."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_api.domain.registration_number import format_registration_number
from agent_api.errors import ValidationFailed
from reconciliation.bank_matching import Expected, match_bank
from reconciliation.formats import parse_camt053, parse_ledger, write_camt053, write_ledger
from reconciliation.matching import match_ledger
from reconciliation.model import (
    HubKind,
    HubLine,
    LedgerOutcome,
    LedgerResult,
    settlement_reference,
)
from reconciliation.simulation import (
    BANK_KINDS,
    LEDGER_KINDS,
    Finding,
    Rates,
    SimulatedDay,
    findings_of,
    simulate,
    truth_from_json,
    truth_to_json,
)

DAY = date(2026, 11, 22)
NETWORKS = ("BARIDCASH", "CASHPLUS", "DAMANE", "WAFACASH")


class Hub:
    """Builds hub lines with fresh receipt and registration numbers."""

    def __init__(self) -> None:
        self.lines: list[HubLine] = []
        self._receipts = itertools.count(101)
        self._serials = itertools.count(1_000)

    def worker(self) -> str:
        return format_registration_number(next(self._serials))

    def collect(self, network: str, worker: str, amount: int, day: date = DAY) -> HubLine:
        line = HubLine(
            f"R-{network}-{next(self._receipts):08d}",
            HubKind.COLLECTION,
            network,
            day,
            worker,
            amount,
        )
        self.lines.append(line)
        return line

    def reverse(self, original: str, network: str, worker: str, amount: int) -> HubLine:
        line = HubLine(
            f"R-{network}-{next(self._receipts):08d}",
            HubKind.REVERSAL,
            network,
            DAY,
            worker,
            amount,
            original_reference=original,
        )
        self.lines.append(line)
        return line

    def settlements(self, commission: dict[str, int] | None = None) -> list[Expected]:
        gross: Counter[str] = Counter()
        for line in self.lines:
            if line.business_date == DAY:
                gross[line.network] += line.signed_centimes
        return [
            Expected(n, DAY, settlement_reference(n, DAY), gross[n] - (commission or {}).get(n, 0))
            for n in sorted(gross)
        ]


def small_day() -> tuple[list[HubLine], list[Expected]]:
    """Two networks, three workers: A pays twice, B pays once and has an older collection
    reversed, C pays once at the other network."""
    hub = Hub()
    a, b, c = hub.worker(), hub.worker(), hub.worker()
    hub.collect("CASHPLUS", a, 21_800)  # R-CASHPLUS-00000101
    hub.collect("CASHPLUS", a, 13_450)  # R-CASHPLUS-00000102
    hub.collect("CASHPLUS", b, 130_800)  # R-CASHPLUS-00000103
    hub.reverse("R-CASHPLUS-00000042", "CASHPLUS", b, 21_800)  # R-CASHPLUS-00000104
    hub.collect("WAFACASH", c, 50_000)  # R-WAFACASH-00000105
    return hub.lines, hub.settlements({"CASHPLUS": 1_000, "WAFACASH": 500})


def matched(
    sim: SimulatedDay, hub: Sequence[HubLine], settlements: Sequence[Expected]
) -> list[Finding]:
    return findings_of(
        match_ledger(sim.day, hub, sim.ledger_entries),
        match_bank(sim.day, settlements, sim.bank_credits),
    )


def only(kind: str) -> Rates:
    return replace(Rates.none(), **{kind: 1.0})


# --- Small days, one kind at a time ------------------------------------------------------------


def test_with_no_rates_the_files_agree_with_the_hub_and_nothing_is_reported() -> None:
    hub, settlements = small_day()
    sim = simulate(DAY, hub, settlements, Rates.none(), seed=1)

    assert sim.truth == []
    assert matched(sim, hub, settlements) == []
    assert len(sim.ledger_entries) == len(hub)
    assert {e.value_date for e in sim.ledger_entries} == {DAY}
    assert [(c.end_to_end_id, c.amount_centimes) for c in sim.bank_credits] == [
        ("QURB-STL-CASHPLUS-20261122", 143_250),
        ("QURB-STL-WAFACASH-20261122", 49_500),
    ]
    assert {c.booking_date for c in sim.bank_credits} == {DAY + timedelta(days=1)}


def test_entry_ids_are_unique_and_carry_the_day() -> None:
    hub, settlements = small_day()
    sim = simulate(DAY, hub, settlements, replace(Rates.demo(), duplicate=0.5), seed=3)
    ids = [e.entry_id for e in sim.ledger_entries]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 15 and i.startswith("E20261122") for i in ids)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            "missing_in_ledger",
            [
                ("missing_in_ledger", ("R-CASHPLUS-00000101",), -21_800),
                ("missing_in_ledger", ("R-CASHPLUS-00000103",), -130_800),
                ("missing_in_ledger", ("R-WAFACASH-00000105",), -50_000),
            ],
        ),
        (
            "duplicate",
            [
                ("duplicate", ("R-CASHPLUS-00000101",), 21_800),
                ("duplicate", ("R-CASHPLUS-00000103",), 130_800),
                ("duplicate", ("R-WAFACASH-00000105",), 50_000),
            ],
        ),
        (
            "cross_day",
            [
                ("cross_day", ("R-CASHPLUS-00000101",), 0),
                ("cross_day", ("R-CASHPLUS-00000103",), 0),
                ("cross_day", ("R-WAFACASH-00000105",), 0),
            ],
        ),
    ],
)
def test_each_ledger_kind_alone_hits_the_first_line_of_every_worker(
    kind: str, expected: list[tuple[str, tuple[str, ...], int]]
) -> None:
    hub, settlements = small_day()
    sim = simulate(DAY, hub, settlements, only(kind), seed=7)

    assert [(f.kind, f.hub_references, f.difference_centimes) for f in sim.truth] == expected
    assert matched(sim, hub, settlements) == sim.truth


def test_an_amount_mismatch_is_reported_with_the_ledger_minus_hub_difference() -> None:
    hub, settlements = small_day()
    sim = simulate(DAY, hub, settlements, only("amount_mismatch"), seed=7)

    assert [(f.kind, f.hub_references) for f in sim.truth] == [
        ("amount_mismatch", ("R-CASHPLUS-00000101",)),
        ("amount_mismatch", ("R-CASHPLUS-00000103",)),
        ("amount_mismatch", ("R-WAFACASH-00000105",)),
    ]
    booked = {e.entry_id: e.amount_centimes for e in sim.ledger_entries}
    hub_amounts = {line.reference: line.amount_centimes for line in hub}
    for finding in sim.truth:
        (entry,) = finding.entry_ids
        assert finding.difference_centimes == booked[entry] - hub_amounts[finding.hub_references[0]]
        assert finding.difference_centimes != 0
    assert matched(sim, hub, settlements) == sim.truth


def test_entries_the_hub_never_recorded_are_reported_with_their_own_amount() -> None:
    hub, settlements = small_day()
    sim = simulate(DAY, hub, settlements, only("missing_in_hub"), seed=7)

    workers = {line.registration_number for line in hub}
    strangers = {e.entry_id: e for e in sim.ledger_entries if e.registration_number not in workers}
    assert len(sim.truth) == 3  # one per worker
    for finding in sim.truth:
        assert finding.kind == "missing_in_hub"
        assert finding.hub_references == ()
        (entry_id,) = finding.entry_ids
        assert finding.difference_centimes == strangers[entry_id].signed_centimes
    assert matched(sim, hub, settlements) == sim.truth


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("bank_short", ["short", "short"]),
        ("bank_over", ["over", "over"]),
        ("bank_missing", ["missing", "missing"]),
        ("bank_unexpected", ["unexpected", "unexpected"]),
    ],
)
def test_each_bank_kind_alone_hits_every_settlement(kind: str, expected: list[str]) -> None:
    hub, settlements = small_day()
    sim = simulate(DAY, hub, settlements, only(kind), seed=11)

    assert [f.kind for f in sim.truth] == expected
    assert matched(sim, hub, settlements) == sim.truth


def test_a_missing_transfer_is_reported_with_the_whole_net_as_its_difference() -> None:
    hub, settlements = small_day()
    sim = simulate(DAY, hub, settlements, only("bank_missing"), seed=11)

    assert sim.bank_credits == []
    assert [(f.network, f.reference, f.difference_centimes) for f in sim.truth] == [
        ("CASHPLUS", "QURB-STL-CASHPLUS-20261122", -143_250),
        ("WAFACASH", "QURB-STL-WAFACASH-20261122", -49_500),
    ]


def test_a_reference_less_entry_is_matched_by_worker_amount_and_date() -> None:
    hub, settlements = small_day()
    sim = simulate(DAY, hub, settlements, only("no_reference"), seed=5)

    assert sum(1 for e in sim.ledger_entries if e.reference is None) == 3
    assert sim.truth == []
    assert matched(sim, hub, settlements) == []


def test_a_collection_split_over_periods_is_matched_as_a_whole() -> None:
    hub, settlements = small_day()
    sim = simulate(DAY, hub, settlements, only("split"), seed=5)

    parts = [e for e in sim.ledger_entries if e.reference == "R-CASHPLUS-00000101"]
    assert 2 <= len(parts) <= 3
    assert sum(e.amount_centimes for e in parts) == 21_800
    assert len({e.period for e in parts}) == len(parts)
    assert sim.truth == []
    assert matched(sim, hub, settlements) == []


def test_a_workers_collections_merged_into_one_entry_are_matched_together() -> None:
    hub, settlements = small_day()
    sim = simulate(DAY, hub, settlements, only("merged"), seed=5)

    # Only worker A collected twice; B and C are booked as usual.
    assert [
        (e.reference, e.amount_centimes) for e in sim.ledger_entries if e.reference is None
    ] == [(None, 35_250)]
    assert len(sim.ledger_entries) == len(hub) - 1
    assert sim.truth == []
    assert matched(sim, hub, settlements) == []


@pytest.mark.parametrize("kind", ["bank_remittance_only", "bank_two_transfers", "bank_batched"])
def test_harmless_bank_variations_are_not_reported(kind: str) -> None:
    hub, settlements = small_day()
    sim = simulate(DAY, hub, settlements, only(kind), seed=5)

    assert sim.truth == []
    assert matched(sim, hub, settlements) == []
    received: Counter[str] = Counter()
    for credit in sim.bank_credits:
        found = credit.settlement_reference()
        assert found is not None
        received[found[0]] += credit.amount_centimes
    assert received == {"CASHPLUS": 143_250, "WAFACASH": 49_500}


def test_a_batched_entry_numbers_its_transactions() -> None:
    hub, settlements = small_day()
    sim = simulate(DAY, hub, settlements, only("bank_batched"), seed=5)
    assert [c.bank_reference.rpartition("/")[2] for c in sim.bank_credits] == ["1", "2"]
    assert len({c.bank_reference.rpartition("/")[0] for c in sim.bank_credits}) == 1


def test_a_settlement_with_nothing_to_pay_gets_no_transfer_whatever_the_rates() -> None:
    hub = Hub()
    worker = hub.worker()
    hub.collect("CASHPLUS", worker, 10_000)
    hub.collect("DAMANE", worker, 5_000)
    settlements = hub.settlements({"CASHPLUS": 10_000, "DAMANE": 6_000})  # nets 0 and -1000
    all_bank = Rates(**dict.fromkeys(BANK_KINDS, 1.0))
    sim = simulate(DAY, hub.lines, settlements, all_bank, seed=2)

    assert sim.bank_credits == []
    # Nothing arrived for DAMANE's negative net: the matcher says so.
    assert [(f.kind, f.network, f.difference_centimes) for f in sim.truth] == [
        ("missing", "DAMANE", 1_000)
    ]
    assert matched(sim, hub.lines, settlements) == sim.truth


# --- Determinism and the ground-truth file ------------------------------------------------------


def busy_day(lines: int = 300) -> tuple[list[HubLine], list[Expected]]:
    hub = Hub()
    for n in range(lines // 3):
        network = NETWORKS[n % len(NETWORKS)]
        worker = hub.worker()
        for k in range(1 + n % 3):
            first = hub.collect(network, worker, 1_000 + 137 * n + k)
        if n % 10 == 0:
            hub.reverse(first.reference, network, worker, first.amount_centimes)
    return hub.lines, hub.settlements(dict.fromkeys(NETWORKS, 250))


def test_the_same_seed_gives_the_same_files() -> None:
    hub, settlements = busy_day()
    rates = Rates.demo()
    one = simulate(DAY, hub, settlements, rates, seed=42)
    two = simulate(DAY, list(reversed(hub)), settlements, rates, seed=42)

    assert write_ledger(one.ledger_entries) == write_ledger(two.ledger_entries)
    assert one.bank_credits == two.bank_credits
    assert truth_to_json(one.truth) == truth_to_json(two.truth)
    other = simulate(DAY, hub, settlements, rates, seed=43)
    assert write_ledger(other.ledger_entries) != write_ledger(one.ledger_entries)


def test_demo_rates_show_every_ledger_kind_on_a_busy_day() -> None:
    hub, settlements = busy_day(3_000)
    sim = simulate(DAY, hub, settlements, Rates.demo(), seed=1)
    assert {f.kind for f in sim.truth} >= {o.value for o in LedgerOutcome} - {"matched"}
    assert matched(sim, hub, settlements) == sim.truth


@pytest.mark.parametrize("version", ["02", "08"])
def test_the_truth_still_holds_once_the_files_are_written_and_read_back(version: str) -> None:
    hub, settlements = busy_day(1_200)
    bank = {"bank_batched": 0.5, "bank_remittance_only": 0.5, "bank_unexpected": 0.5}
    sim = simulate(DAY, hub, settlements, replace(Rates.demo(), **bank), seed=13)
    # This seed batches transfers, quotes a reference only in the remittance text and adds
    # an unexpected credit: the bank statement's awkward corners all go through the files.
    assert any("/" in c.bank_reference for c in sim.bank_credits)
    assert any(c.end_to_end_id is None and "QURB-STL" in c.remittance for c in sim.bank_credits)
    assert any(f.kind == "unexpected" for f in sim.truth)

    ledger = parse_ledger(write_ledger(sim.ledger_entries), source="ledger.csv")
    created = datetime(2026, 11, 23, 5, tzinfo=UTC)
    statement = parse_camt053(write_camt053("STMT-1", created, sim.bank_credits, version=version))

    found = findings_of(
        match_ledger(DAY, hub, ledger.entries), match_bank(DAY, settlements, statement.credits)
    )
    assert found == sim.truth


def test_the_ground_truth_file_reads_back_as_written() -> None:
    hub, settlements = busy_day()
    sim = simulate(DAY, hub, settlements, Rates.demo(), seed=42)
    text = truth_to_json(sim.truth)
    assert truth_from_json(text) == sim.truth
    assert '"kind": "' in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{}", "must be a JSON array"),
        ('[{"kind": "lost"}]', "finding 1 field kind"),
        ('[{"kind": "short", "bank_references": "BK1"}]', "field bank_references"),
        ('[{"kind": "short", "difference_centimes": 1.5}]', "field difference_centimes"),
        ('[{"kind": "short", "colour": "red"}]', "finding 1 field colour"),
        ("[", "not JSON"),
    ],
)
def test_a_damaged_ground_truth_file_is_refused_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        truth_from_json(text)


# --- Rates ------------------------------------------------------------------------------------


def test_rates_are_read_from_the_command_line_form() -> None:
    rates = Rates.parse("missing_in_ledger=0.02, duplicate=0.01,bank_short=1")
    assert rates == replace(Rates.none(), missing_in_ledger=0.02, duplicate=0.01, bank_short=1.0)
    assert Rates.parse("") == Rates.none()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("missing=0.1", "unknown discrepancy kind 'missing'"),
        ("duplicate=1.5", "duplicate: 1.5 is not between 0 and 1"),
        ("duplicate=-0.1", "not between 0 and 1"),
        ("duplicate=nan", "not between 0 and 1"),
        ("duplicate=often", "'often' is not a number"),
        ("duplicate", "expected KIND=RATE"),
        ("split=0.1,split=0.2", "split given twice"),
    ],
)
def test_a_bad_rate_is_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Rates.parse(text)


def test_demo_rates_are_a_few_percent() -> None:
    demo = Rates.demo()
    assert all(0 < demo.of(kind) <= 0.1 for kind in LEDGER_KINDS + BANK_KINDS)


def test_a_settlement_of_another_day_is_refused() -> None:
    hub, settlements = small_day()
    other = replace(settlements[0], business_date=DAY - timedelta(days=1))
    with pytest.raises(ValidationFailed, match="is not 2026-11-22"):
        simulate(DAY, hub, [other], Rates.none(), seed=1)


# --- Properties ---------------------------------------------------------------------------------

amounts = st.one_of(
    st.integers(1, 20), st.sampled_from([10_000, 21_800]), st.integers(1, 2_000_000)
)
rates_ = st.fixed_dictionaries(
    {kind: st.sampled_from([0.0, 0.0, 0.1, 0.4, 1.0]) for kind in LEDGER_KINDS + BANK_KINDS}
).map(lambda given: Rates(**given))


@st.composite
def hub_days(draw: st.DrawFn, *, neighbours: int = 1) -> list[HubLine]:
    """Hub lines of DAY (and of the ``neighbours`` days either side): several networks,
    workers with 1-3 collections, some reversals, some workers also busy on other days."""
    hub = Hub()
    days = [DAY + timedelta(days=d) for d in range(-neighbours, neighbours + 1)]
    for network in draw(st.lists(st.sampled_from(NETWORKS), min_size=1, max_size=4, unique=True)):
        for _ in range(draw(st.integers(1, 5))):
            worker = hub.worker()
            for day in draw(st.lists(st.sampled_from(days), min_size=1, max_size=3, unique=True)):
                lines = [
                    hub.collect(network, worker, draw(amounts), day)
                    for _ in range(draw(st.integers(1, 3)))
                ]
                if day != DAY:
                    continue
                for line in draw(st.lists(st.sampled_from(lines), max_size=2, unique=True)):
                    hub.reverse(line.reference, network, worker, line.amount_centimes)
                if draw(st.booleans()):  # a collection of an earlier day, reversed today
                    old = f"R-{network}-0{worker}"
                    hub.reverse(old, network, worker, draw(amounts))
    return hub.lines


def settlements_of(hub: Iterable[HubLine], day: date, commission: int) -> list[Expected]:
    net: Counter[str] = Counter()
    for line in hub:
        if line.business_date == day:
            net[line.network] += line.signed_centimes
    return [
        Expected(n, day, settlement_reference(n, day), net[n] - commission) for n in sorted(net)
    ]


def assert_money_adds_up(
    sim: SimulatedDay, hub: Iterable[HubLine], ledger: list[LedgerResult]
) -> None:
    hub_total: Counter[str] = Counter()
    for line in hub:
        if line.business_date == sim.day:
            hub_total[line.network] += line.signed_centimes
    paired: Counter[str] = Counter()
    booked: Counter[str] = Counter()
    differences: Counter[str] = Counter()
    for result in ledger:
        network = (result.hub or result.entries)[0].network
        # A duplicate names the line its first copy already stands for.
        if result.outcome is not LedgerOutcome.DUPLICATE:
            paired[network] += result.hub_signed_centimes
        booked[network] += result.ledger_signed_centimes
        differences[network] += result.difference_centimes
    simulated: Counter[str] = Counter()
    for entry in sim.ledger_entries:
        simulated[entry.network] += entry.signed_centimes
    truth: Counter[str] = Counter()
    for finding in sim.truth:
        if finding.kind in {o.value for o in LedgerOutcome}:
            assert finding.network is not None
            truth[finding.network] += finding.difference_centimes
    for network in hub_total.keys() | booked.keys():
        assert paired[network] == hub_total[network]
        assert booked[network] == hub_total[network] + differences[network]
        assert simulated[network] == hub_total[network] + truth[network]


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    hub=hub_days(),
    rates=rates_,
    seed=st.integers(0, 2**32),
    commission=st.sampled_from([0, 500, 10**9]),
)
def test_the_matchers_report_exactly_the_ground_truth_and_the_money_adds_up(
    hub: list[HubLine], rates: Rates, seed: int, commission: int
) -> None:
    settlements = settlements_of(hub, DAY, commission)
    sim = simulate(DAY, hub, settlements, rates, seed=seed)
    ledger = match_ledger(DAY, hub, sim.ledger_entries)
    bank = match_bank(DAY, settlements, sim.bank_credits)

    assert findings_of(ledger, bank) == sim.truth
    assert_money_adds_up(sim, hub, ledger)
    # The bank side: what arrived is what was due plus every difference reported.
    reported = sum(
        f.difference_centimes
        for f in sim.truth
        if f.kind in {"short", "over", "missing", "unexpected"}
    )
    assert sum(c.amount_centimes for c in sim.bank_credits) == (
        sum(s.net_centimes for s in settlements) + reported
    )


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(hub=hub_days(neighbours=2), rates=rates_, seed=st.integers(0, 2**32))
def test_days_simulated_apart_keep_their_truth_when_matched_with_their_neighbours_files(
    hub: list[HubLine], rates: Rates, seed: int
) -> None:
    def near(day: date) -> list[HubLine]:
        return [line for line in hub if abs((line.business_date - day).days) <= 1]

    sims: dict[date, SimulatedDay] = {}
    for offset in (-1, 0, 1):
        day = DAY + timedelta(days=offset)
        sims[day] = simulate(day, near(day), settlements_of(hub, day, 0), rates, seed=seed + offset)
    # The run of D reads the ledger files of value dates D-1, D and D+1.
    entries = [
        e
        for sim in sims.values()
        for e in sim.ledger_entries
        if abs((e.value_date - DAY).days) <= 1
    ]
    credits = [c for sim in sims.values() for c in sim.bank_credits]

    found = findings_of(
        match_ledger(DAY, near(DAY), entries), match_bank(DAY, settlements_of(hub, DAY, 0), credits)
    )
    assert found == sims[DAY].truth


def test_findings_keep_their_lists_sorted_and_sort_with_or_without_a_network() -> None:
    anonymous = Finding("unexpected", None, bank_references=("BK2",))
    named = Finding("unexpected", "INCONNU1", reference="QURB-STL-INCONNU1-20261122")
    ledger = Finding("missing_in_hub", "CASHPLUS", entry_ids=("E2", "E1"))

    assert sorted([named, anonymous, ledger]) == [ledger, anonymous, named]
    assert ledger.entry_ids == ("E1", "E2")
