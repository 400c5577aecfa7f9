"""hallsim.results: the results folder written and read back by one module.

Round trip: what ``write_results`` stores is what ``load_results`` returns (the summary
the experiment computed, one replications row per replication), and the JSON cleaner
makes any value JSON-safe without changing finite numbers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallsim.experiment import run_replications
from hallsim.results import ResultsError, load_results, planned_files, run_json, write_results
from hallsim.resultsdir import ResultsFolder, json_safe
from hallsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def test_a_written_run_reads_back_the_same(tmp_path) -> None:
    source = ROOT / "scenarios" / "integrated.toml"
    sc = load_scenario(source)
    res = run_replications(sc, replications=3, seed=4)
    folder = ResultsFolder(tmp_path / "run", "run")
    for rel in planned_files([res]):
        folder.check_free(rel)
    obj = run_json(res)
    with folder.open() as f:
        write_results(f, [res], [source], obj, "hallsim run test", "run")
    back = load_results(tmp_path / "run")
    assert back.kind == "run" and back.scenarios == [sc.name]
    assert back.replications == 3
    for metric, block in obj["metrics"].items():
        assert back.metrics(sc.name)[metric]["mean"] == block["mean"], metric
    reps = back.table("replications")
    assert len(reps) == 3
    assert reps.wait_mean_min.mean() == pytest.approx(obj["metrics"]["wait_mean_min"]["mean"])


def test_reading_a_folder_that_is_not_a_results_folder_fails_clearly(tmp_path) -> None:
    with pytest.raises(ResultsError):
        load_results(tmp_path)


finite = st.floats(allow_nan=False, allow_infinity=False)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=20,
)


@given(values)
def test_json_safe_output_is_strict_json(value) -> None:
    text = json.dumps(json_safe(value), allow_nan=False)  # raises on NaN or inf
    assert json.loads(text) is not None or json_safe(value) is None


@given(finite)
def test_json_safe_keeps_finite_numbers_and_unwraps_numpy(x) -> None:
    assert json_safe(x) == x
    assert json_safe(np.float64(x)) == x and type(json_safe(np.float64(x))) is float
    assert json_safe(np.int64(3)) == 3 and type(json_safe(np.int64(3))) is int
    assert json_safe([math.nan, math.inf, np.float32(-math.inf)]) == [None, None, None]
