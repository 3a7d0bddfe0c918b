"""benchmarks/plan_scale.py stays runnable: a tiny size end to end, and its stack generator.

The benchmark itself is slow and not part of the suite; this only keeps it from rotting.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from entra_pg.model import expand, parse_stack_config
from tests.support.stacks import PROJECT_ROOT
from tests.test_sdkpatch import load_benchmark

SCRIPT = PROJECT_ROOT / "benchmarks" / "plan_scale.py"


def test_the_benchmark_runs_at_a_tiny_size() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "3x2", "--json"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout.strip().splitlines()[-1])
    assert row["size"] == "3x2"
    assert row["exit_code"] == 0  # the generated stack passes the policy pack
    assert row["resources"] > 50
    assert row["patched"] == "both"
    for key in ("ours_s", "raw_s", "ours_cpu_s", "raw_cpu_s", "ours_mb", "raw_mb", "pack_mb"):
        assert row[key] > 0, key
    assert row["time_ratio"] == pytest.approx(row["ours_s"] / row["raw_s"])
    assert row["memory_ratio"] == pytest.approx(row["ours_mb"] / row["raw_mb"])
    assert 0 < row["program_s"] + row["policies_s"] < row["ours_s"]


def test_generated_stacks_are_valid_and_repeatable() -> None:
    bench = load_benchmark()
    first = bench.stack_config(60, 5)
    assert bench.stack_config(60, 5) == first
    namespace = {
        key.split(":", 1)[1]: value
        for key, value in first["config"].items()
        if key.startswith("entra-postgres:")
    }
    access = expand(parse_stack_config(namespace))
    assert {entry.database for entry in access.matrix} == {f"app{d:02d}" for d in range(5)}
    assert len({entry.principal for entry in access.matrix}) == 60


@pytest.mark.parametrize("size", ["x3", "0x2", "ten", "5x0"])
def test_bad_sizes_are_refused(size: str) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), size],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "PRINCIPALSxDATABASES" in result.stderr or "at least 1" in result.stderr
    assert "Traceback" not in result.stderr
