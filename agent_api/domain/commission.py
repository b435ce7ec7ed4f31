"""A network's commission rule: a fixed amount per transaction and/or basis points.

All integer centimes. The proportional part rounds half up to the centime (documented so a
network can recompute every settlement itself): ``(amount × bps + 5000) // 10000``.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_BASIS_POINTS = 10_000


@dataclass(frozen=True)
class CommissionRule:
    fixed_centimes: int = 0
    basis_points: int = 0

    def __post_init__(self) -> None:
        if self.fixed_centimes < 0:
            raise ValueError("fixed_centimes must not be negative")
        if not 0 <= self.basis_points <= MAX_BASIS_POINTS:
            raise ValueError("basis_points must be between 0 and 10000")

    def on(self, amount_centimes: int) -> int:
        """The commission on one transaction of ``amount_centimes``."""
        proportional = (amount_centimes * self.basis_points + 5_000) // 10_000
        return self.fixed_centimes + proportional
