"""The load generator's counters never send a payment the service would rightly refuse, and
never stop while one of their workers can still be paid for (a faster machine once ran them
out of random picks and failed ``make bench`` half-way)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

# The benchmark scripts are scripts, not a package: bench/ goes on the path as it is for
# bench/load.py when it runs.
sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))
from counters import ARREARS_MONTHS, HORIZON_MONTHS, Room

ROOM = ARREARS_MONTHS + 1 + HORIZON_MONTHS


def test_every_month_of_every_worker_is_used_before_the_room_runs_out() -> None:
    room = Room()
    workers = [f"W{i}" for i in range(12)]
    for worker in workers:
        room.add(worker)
    rng = random.Random(3)  # noqa: S311  (a load mix, not secrets)
    taken = 0
    while room.take(rng, workers, 1) is not None:
        taken += 1
    assert taken == len(workers) * ROOM
    assert all(left == 0 for left in room.left.values())


def test_a_prepayment_goes_to_a_worker_with_room_for_all_its_months() -> None:
    room = Room()
    workers = ["full", "roomy"]
    for worker in workers:
        room.add(worker)
    room.left["full"] = 5
    rng = random.Random(1)  # noqa: S311  (a load mix, not secrets)
    assert {room.take(rng, workers, 6) for _ in range(3)} == {"roomy"}
    assert room.left == {"full": 5, "roomy": ROOM - 18}
    room.left["roomy"] = 2
    assert room.take(rng, workers, 6) is None
    assert room.left == {"full": 5, "roomy": 2}
