"""The several-processes benchmark (issue 18: the cost of adding hosts) counts collections
per CPU-second of the server processes alone, and takes only sane process counts."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pytest

# The benchmark scripts are scripts, not a package: bench/ goes on the path as it is for
# bench/load.py when it runs.
sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))
import load
import loadgen
import processes


def _measured(requests: int, seconds: float, cpu_ms: float, db_cpu_ms: float) -> load.Measured:
    return load.Measured(
        requests=requests,
        seconds=seconds,
        p50_ms=12.0,
        p99_ms=80.0,
        errors=0,
        cpu_ms=cpu_ms,
        db_cpu_ms=db_cpu_ms,
        client_cpu_ms=0.3,
        tally=loadgen.Tally(),
    )


def test_collections_per_cpu_second_count_the_servers_not_the_shared_database() -> None:
    # 800 collections in 2 s, 5 ms of CPU each of which 2 ms in PostgreSQL's backends:
    # the servers spent 3 ms a collection, 2.4 CPU-seconds in all.
    figures = processes.count_figures(4, _measured(800, 2.0, cpu_ms=5.0, db_cpu_ms=2.0))
    assert figures == {
        "collect_per_s_procs4": "400.0",
        "collect_per_cpu_s_procs4": "333.3",
        "collect_db_cpu_ms_procs4": "2.00",
        "collect_p99_ms_procs4": "80.0",
        "collect_errors_procs4": "0",
    }


def test_no_cpu_counted_gives_no_rate_rather_than_a_division_by_zero() -> None:
    assert processes.per_cpu_second(100, 0.0) == 0.0
    assert processes.count_figures(1, _measured(0, 2.0, 0.0, 0.0))["collect_per_cpu_s_procs1"] == (
        "0.0"
    )


def test_process_counts_are_read_from_a_comma_separated_list() -> None:
    assert processes.processes("1,2,4") == (1, 2, 4)
    assert processes.processes("3") == (3,)


@pytest.mark.parametrize("text", ["1,,4", "two", "0", "1,17", "-1", "1;2", "1,2,1"])
def test_a_bad_process_count_is_refused_naming_what_was_given(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=re.escape(text)):
        processes.processes(text)
