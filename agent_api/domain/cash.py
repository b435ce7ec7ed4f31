"""Cash in a counter's drawer: the Moroccan dirham's notes and coins, and a count of them.

Denominations in circulation (Bank Al-Maghrib, the central bank that issues them): notes of
200, 100, 50 and 20 dirhams; coins of 10, 5, 2 and 1 dirham, ½ dirham (50 centimes), and
20, 10 and 5 centimes. The 1-centime coin is legal tender in law but no longer circulates and
is not counted. Contributions are whole centimes (6.37 % of a flat base), so a drawer can
hold 5-centime coins: they are counted too (docs/drawer.md).

A count is validated whole before anything is written: every denomination known and named
once, every quantity a non-negative integer. Nothing here is a float: values are centimes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from agent_api.errors import ValidationFailed

NOTES_CENTIMES: tuple[int, ...] = (20_000, 10_000, 5_000, 2_000)
COINS_CENTIMES: tuple[int, ...] = (1_000, 500, 200, 100, 50, 20, 10, 5)
DENOMINATIONS_CENTIMES: tuple[int, ...] = NOTES_CENTIMES + COINS_CENTIMES
# A million of one denomination is more than any drawer holds; the cap keeps every total
# far inside a BIGINT (1e6 x 20,000 x 12 < 2**63).
MAX_QUANTITY = 1_000_000


@dataclass(frozen=True)
class CashCount:
    """How many of each denomination were counted, every denomination present (0 if none)."""

    quantities: Mapping[int, int]

    @property
    def total_centimes(self) -> int:
        return sum(value * count for value, count in self.quantities.items())

    def lines(self) -> list[tuple[int, int]]:
        """(denomination, quantity) from the largest note down, zeros left out."""
        return [(d, self.quantities[d]) for d in DENOMINATIONS_CENTIMES if self.quantities[d]]

    def canonical(self) -> str:
        """The count as one comparable text (``20000:3 100:2``): what a retry must repeat."""
        return " ".join(f"{d}:{q}" for d, q in self.lines())


def cash_count(lines: Iterable[tuple[int, int]], *, field: str = "counts") -> CashCount:
    """A count from (denomination in centimes, quantity) pairs, or the first error, naming
    the line and the field at fault (``counts[2].denomination_centimes``)."""
    quantities = dict.fromkeys(DENOMINATIONS_CENTIMES, 0)
    seen: set[int] = set()
    for index, (value, quantity) in enumerate(lines):
        where = f"{field}[{index}]"
        if isinstance(value, bool) or not isinstance(value, int) or value not in quantities:
            known = ", ".join(str(d) for d in DENOMINATIONS_CENTIMES)
            raise ValidationFailed(
                f"{where}.denomination_centimes: {value!r} is not a Moroccan dirham note or "
                f"coin in circulation (centimes: {known})",
                field=f"{where}.denomination_centimes",
            )
        if value in seen:
            raise ValidationFailed(
                f"{where}.denomination_centimes: {value} is counted twice; give each "
                "denomination once",
                field=f"{where}.denomination_centimes",
            )
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ValidationFailed(
                f"{where}.quantity: must be a whole number", field=f"{where}.quantity"
            )
        if not 0 <= quantity <= MAX_QUANTITY:
            raise ValidationFailed(
                f"{where}.quantity: must be between 0 and {MAX_QUANTITY}",
                field=f"{where}.quantity",
            )
        seen.add(value)
        quantities[value] = quantity
    return CashCount(quantities)
