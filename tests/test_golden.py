"""Same numbers: the current code reproduces tests/golden/ exactly (floating point identical).

The golden files hold the `--json` of every example scenario (both engines for two of them),
a three-scenario `compare --json`, a `--log` run's tables and a small sweep's
results/summary Parquet files. Only timing, version and path fields are left out. A change
meant to move numbers regenerates them with tests/golden/make_golden.py in the same commit.
"""

from __future__ import annotations

import difflib
import importlib.util
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
_spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
assert _spec is not None and _spec.loader is not None
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)
CASES = make_golden.cases()


def test_every_example_scenario_has_a_golden_run() -> None:
    scenarios = make_golden.example_scenarios()
    assert len(scenarios) >= 8
    for path in scenarios:
        assert f"run_{path.stem}" in CASES, path.name


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_is_identical_to_the_golden_file(name: str) -> None:
    expected = (GOLDEN / f"{name}.json").read_text(encoding="utf-8")
    got = make_golden.dumps(CASES[name]())
    if got != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), got.splitlines(), "golden", "now", lineterm="", n=2
        )
        pytest.fail(f"{name} differs from tests/golden/{name}.json:\n" + "\n".join(list(diff)[:40]))
