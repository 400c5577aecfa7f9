"""Parameter sweeps (hallsim.sweep, ``hallsim sweep``): grid, seeds, backends, resuming."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallsim.cli import entry, main
from hallsim.cli.sweep import sweep
from hallsim.experiment import simulate, summarise_values
from hallsim.metrics import METRICS
from hallsim.scenario import load_scenario
from hallsim.sweep import (
    SweepError,
    SweepInterrupted,
    build_grid,
    execute_sweep,
    parse_set,
    plan_sweep,
    read_sweep_file,
    run_sweep,
    summarise_points,
)
from hallsim.sweep import run as sweep_run
from hallsim.sweep import store as sweep_store
from hallsim.sweep.run import CHUNK_SECONDS, PROBE_CHUNK, _ChunkSizer

ROOT = Path(__file__).resolve().parent.parent

if "sweep" not in main.commands:  # until the lead wires it into hallsim.cli
    main.add_command(sweep)

HALL = """
name = "tiny"
[run]
replications = 2
seed = 4
[hall]
open = "09:00"
close = "{close}"
[arrivals]
rate_per_hour = 40
[[matters]]
name = "a"
share = 0.6
service_min = {{ dist = "exponential", mean = 4 }}
[[matters]]
name = "b"
share = 0.4
service_min = {{ dist = "lognormal", mean = 6, cv = 0.8 }}
[[windows]]
name = "g"
count = 3
"""


@pytest.fixture
def hall(tmp_path) -> Path:
    p = tmp_path / "tiny.toml"
    p.write_text(HALL.format(close="11:00"))
    return p


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = entry(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- parsing ------------------------------------------------------------------


def test_values_are_parsed_like_toml() -> None:
    assert parse_set("windows.0.count=2,3,4") == ("windows.0.count", [2, 3, 4])
    _, vals = parse_set("windows.0.attitude=0.5, 0.9,1")
    assert vals == [0.5, 0.9, 1] and isinstance(vals[2], int)
    assert parse_set("attitude_effects.enabled=true,false")[1] == [True, False]
    assert parse_set("layout.queue=single,per_window")[1] == ["single", "per_window"]
    assert parse_set('description="a, b",c')[1] == ["a, b", "c"]
    dists = parse_set(
        'matters.0.service_min={dist="exponential", mean=4},{dist="gamma", mean=4, cv=0.5}'
    )[1]
    assert dists == [
        {"dist": "exponential", "mean": 4},
        {"dist": "gamma", "mean": 4, "cv": 0.5},
    ]


def test_ranges_include_their_end() -> None:
    assert parse_set("windows.0.count=2:8")[1] == [2, 3, 4, 5, 6, 7, 8]
    assert parse_set("windows.0.count=2:8:2")[1] == [2, 4, 6, 8]
    assert parse_set("windows.0.count=2:7:2")[1] == [2, 4, 6]
    assert parse_set("windows.0.count=1,4:5")[1] == [1, 4, 5]
    assert parse_set("arrivals.rate_per_hour=30:40:2.5")[1] == [30.0, 32.5, 35.0, 37.5, 40.0]
    assert parse_set("windows.0.attitude=0.1:0.3:0.1")[1] == [0.1, 0.2, 0.3]


def test_times_of_day_stay_text_when_the_field_is_text(hall) -> None:
    sc = load_scenario(hall)
    assert parse_set("hall.close=10:30,11:00", sc)[1] == ["10:30", "11:00"]
    # without a scenario to tell, 10:30 is a range
    assert parse_set("hall.close=10:12")[1] == [10, 11, 12]


@pytest.mark.parametrize(
    "text, needle",
    [
        ("windows.0.count", "PATH=V1,V2"),
        ("windows.0.count=", "no values"),
        ("windows.0.count=8:2", "empty"),
        ("windows.0.count=2:8:0", "step"),
        ("windows.0.attitude=0.1:0.9", "needs a step"),
        ("windows.0.count=2,,3", "empty value"),
    ],
)
def test_malformed_set_options_are_refused(text, needle) -> None:
    with pytest.raises(SweepError, match=needle):
        parse_set(text)


def test_sweep_file_lists_parameters(tmp_path, hall) -> None:
    f = tmp_path / "sweep.toml"
    f.write_text(
        "[parameters]\n"
        '"windows.0.count" = [2, 3]\n'
        'arrivals.rate_per_hour = "30:40:10"\n'
        '"matters.0.service_min" = [{ dist = "exponential", mean = 4 }]\n'
    )
    grid = read_sweep_file(f, load_scenario(hall))
    assert grid == {
        "windows.0.count": [2, 3],
        "arrivals.rate_per_hour": [30, 40],
        "matters.0.service_min": [{"dist": "exponential", "mean": 4}],
    }
    # a --set after the file adds a parameter; the same path twice is an error
    assert list(build_grid(["windows.0.attitude=0.5"], f)) == [*grid, "windows.0.attitude"]
    with pytest.raises(SweepError, match="given twice"):
        build_grid(["windows.0.count=4"], f)
    bad = tmp_path / "bad.toml"
    bad.write_text('[params]\n"windows.0.count" = [2]\n')
    with pytest.raises(SweepError, match=r"\[parameters\]"):
        read_sweep_file(bad)


# --- validation: every point before anything runs ------------------------------


def test_every_point_is_validated_and_problems_name_path_and_value(hall) -> None:
    sc = load_scenario(hall)
    with pytest.raises(SweepError) as err:
        plan_sweep(sc, {"windows.0.count": [2, -1], "windows.0.attitude": [0.5, 1.5]})
    text = str(err.value)
    assert "windows.0.count=-1" in text and "windows.0.attitude=1.5" in text
    with pytest.raises(SweepError, match=r"windows\.7\.count=3: .*2 entries|windows has 1"):
        plan_sweep(sc, {"windows.7.count": [3]})
    with pytest.raises(SweepError, match=r"windows\.0\.cont"):
        plan_sweep(sc, {"windows.0.cont": [3]})
    # a value valid alone but not in combination names the whole point
    with pytest.raises(SweepError, match=r"point 1 \(matters\.0\.share=0\.7\): matters"):
        plan_sweep(sc, {"matters.0.share": [0.6, 0.7]})
    with pytest.raises(SweepError, match="--seed"):
        plan_sweep(sc, {"run.seed": [1, 2]})
    with pytest.raises(SweepError, match="listed twice"):
        plan_sweep(sc, {"windows.0.count": [2, 2]})
    with pytest.raises(SweepError, match="nothing to sweep"):
        plan_sweep(sc, {})


@pytest.mark.parametrize(
    "option, needle",
    [
        ("windows.0.count=2,-1", "windows.0.count=-1"),
        ("windows.5.count=2", "windows.5.count"),
        ("window.0.count=2", "window.0.count"),
        ("windows.0.attitude=0.5,high", "windows.0.attitude=high"),
        ("windows.0.count=10:0", "windows.0.count=10:0"),
        ('windows.0.matters=["a","zz"]', "zz"),
    ],
)
def test_bad_set_exits_2_naming_the_path_and_writes_nothing(
    capsys, hall, tmp_path, option, needle
) -> None:
    out = tmp_path / "never"
    code, _, err = cli(
        capsys, "sweep", str(hall), "--set", "arrivals.rate_per_hour=30,40", "--set", option,
        "--out", str(out), "-w", "1",
    )  # fmt: skip
    assert code == 2
    assert needle in err and "Traceback" not in err
    assert not out.exists()


def test_missing_set_and_bad_backend_options_exit_2(capsys, hall, tmp_path) -> None:
    code, _, err = cli(capsys, "sweep", str(hall), "--out", str(tmp_path / "x"))
    assert code == 2 and "nothing to sweep" in err
    code, _, err = cli(
        capsys, "sweep", str(hall), "--set", "windows.0.count=2", "--backend", "local",
        "--scheduler", "tcp://127.0.0.1:1",
    )  # fmt: skip
    assert code == 2 and "--backend dask" in err
    assert not (tmp_path / "x").exists()


# --- the tidy table -----------------------------------------------------------


def test_results_are_one_tidy_row_per_point_and_replication(capsys, hall, tmp_path) -> None:
    out = tmp_path / "sw"
    code, stdout, err = cli(
        capsys, "sweep", str(hall), "--set", "windows.0.count=2:4",
        "--set", "windows.0.attitude=0.5,0.9", "-r", "3", "--seed", "9", "-w", "1",
        "--out", str(out), "--csv",
    )  # fmt: skip
    assert code == 0, err
    assert stdout.strip().splitlines()[-1] == str(out / "results.parquet")
    df = pd.read_parquet(out / "results.parquet")
    assert list(df.columns[:5]) == [
        "point", "windows.0.count", "windows.0.attitude", "replication", "seed",
    ]  # fmt: skip
    assert set(METRICS) <= set(df.columns)
    assert len(df) == 3 * 2 * 3 and not df.duplicated(["point", "replication"]).any()
    assert df.seed.eq(9).all()
    # full grid, first parameter slowest; every point has replications 0..2
    grid = df.drop_duplicates("point")[["windows.0.count", "windows.0.attitude"]]
    assert grid.values.tolist() == [[c, a] for c in (2, 3, 4) for a in (0.5, 0.9)]
    assert (df.groupby("point").replication.apply(list) == [[0, 1, 2]] * 6).all()
    # each row is exactly one replication of that point's scenario
    row = df.iloc[10]  # point 3 (3 windows, attitude 0.9), replication 1
    assert (row.point, row.replication) == (3, 1)
    sc = load_scenario(hall).with_changes({"windows.0.count": 3, "windows.0.attitude": 0.9})
    one = simulate(sc, seed=9, replication=int(row.replication)).metrics
    assert row.wait_mean_min == one["wait_mean_min"] and row.arrived == one["arrived"]
    # common random numbers: replication r brings the same citizens at every window
    # count; a better attitude settles more, so with ticket counts that include
    # returns (arrivals.include_returns) it brings no more citizens than a worse one
    arrived = df.pivot(index="replication", columns="point", values="arrived")
    assert (arrived[[0, 2, 4]].nunique(axis=1) == 1).all()  # attitude 0.5
    assert (arrived[[1, 3, 5]].nunique(axis=1) == 1).all()  # attitude 0.9
    assert (arrived[1] <= arrived[0]).all()
    # summary: one row per point, 95% t-interval as summarise_values
    summ = pd.read_parquet(out / "summary.parquet")
    assert len(summ) == 6 and summ.point.tolist() == list(range(6))
    ref = summarise_values(df[df.point == 2].wait_mean_min, metric="wait_mean_min")
    assert summ.loc[2, "wait_mean_min_mean"] == pytest.approx(ref["mean"])
    assert summ.loc[2, "wait_mean_min_ci_low"] == pytest.approx(ref["ci_low"])
    assert summ.loc[2, "wait_mean_min_ci_high"] == pytest.approx(ref["ci_high"])
    pd.testing.assert_frame_equal(pd.read_csv(out / "summary.csv"), summ, check_dtype=False)
    pd.testing.assert_frame_equal(pd.read_csv(out / "results.csv"), df, check_dtype=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["scenario"] == "tiny"
    assert manifest["parameters"] == ["windows.0.count", "windows.0.attitude"]
    assert manifest["grid"]["windows.0.count"] == [2, 3, 4]
    assert manifest["replications"] == 3 and manifest["seed"] == 9 and manifest["complete"]
    assert len(manifest["scenario_hash"]) == 64 and "sweep" in manifest["command"]
    assert (out / "scenario.toml").read_text() == hall.read_text()
    assert not (out / "parts").exists()


def test_same_table_for_one_or_two_workers_and_dask(hall) -> None:
    grid = {"windows.0.count": [2, 3], "arrivals.rate_per_hour": "30:50:10"}
    sc = load_scenario(hall)
    one = run_sweep(sc, grid, replications=3, seed=7, workers=1)
    two = run_sweep(sc, grid, replications=3, seed=7, workers=2, chunk_size=2)
    dask = run_sweep(sc, grid, replications=3, seed=7, workers=2, backend="dask", chunk_size=4)
    assert len(one) == 2 * 3 * 3
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(one, dask)


# --- assembling the results from the rows kept in memory ------------------------

OUTPUTS = ("results.parquet", "results.csv", "summary.parquet", "summary.csv")

# every kind of swept column: integers, text, booleans and tables (stored as JSON text)
MIXED_GRID = {
    "windows.0.count": [2, 3],
    "hall.close": ["10:30", "11:00"],
    "attitude_effects.enabled": [True, False],
    "matters.0.service_min": [
        {"dist": "exponential", "mean": 4},
        {"dist": "lognormal", "mean": 5, "cv": 0.5},
    ],
}


def _outputs(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


@pytest.mark.parametrize("workers", [1, 2])
def test_rows_kept_in_memory_give_the_same_files_as_the_parts(
    hall, tmp_path, monkeypatch, workers
) -> None:
    plan = plan_sweep(load_scenario(hall), MIXED_GRID, replications=3, seed=2)
    # blocks of 2 points, chunks of 5 runs: chunks straddle points and blocks
    monkeypatch.setattr(sweep_store, "BLOCK_ROWS", 7)
    kept = execute_sweep(plan, tmp_path / "kept", workers=workers, csv=True, chunk_size=5)
    monkeypatch.setattr(sweep_store, "MEMORY_RUNS", plan.n_runs - 1)  # too big to keep
    read = execute_sweep(plan, tmp_path / "read", workers=workers, csv=True, chunk_size=5)
    assert kept.table is not None and read.table is None
    assert _outputs(tmp_path / "kept") == _outputs(tmp_path / "read")
    file = pq.read_table(kept.results)
    assert kept.table.schema == file.schema
    pd.testing.assert_frame_equal(kept.table.to_pandas(), file.to_pandas())  # NaN == NaN here
    assert len(kept.table) == 16 * 3


def test_run_sweep_gives_the_frame_read_from_its_results_file(hall, tmp_path, monkeypatch) -> None:
    sc = load_scenario(hall)
    read_parquet = pd.read_parquet
    numeric = {"arrivals.rate_per_hour": [30, 40.5], "attitude_effects.enabled": [True, False]}
    for name, grid in (("numeric", numeric), ("mixed", MIXED_GRID)):
        out = tmp_path / name
        if name == "numeric":  # the table kept is converted, not the file read back
            monkeypatch.setattr(pd, "read_parquet", None)
        got = run_sweep(sc, grid, replications=2, seed=1, workers=1, out=out)
        monkeypatch.undo()
        pd.testing.assert_frame_equal(got, read_parquet(out / "results.parquet"), check_exact=True)


def test_no_pool_worker_outlives_the_sweep(hall) -> None:
    run_sweep(load_scenario(hall), {"windows.0.count": [2, 3]}, replications=2, workers=2)
    assert multiprocessing.active_children() == []  # closed while assembling, then joined
    assert sweep_run._FORKED_PLANS == {}  # nor the plan its workers inherited


def test_a_chunk_gives_the_same_rows_from_the_inherited_plan_or_the_plan_sent(
    hall, tmp_path, monkeypatch
) -> None:
    """A forked worker finds the plan (with its validated scenarios) by number; a worker
    started otherwise (spawn, forkserver) gets the pickled plan and validates its points
    itself: the same rows either way."""
    import pickle

    plan = plan_sweep(load_scenario(hall), {"arrivals.rate_per_hour": [30, 45]}, 3, seed=4)
    items = [(0, plan.changes(0), [1, 2]), (1, plan.changes(1), [0])]
    monkeypatch.setitem(sweep_run._FORKED_PLANS, id(plan), plan)
    sent = pickle.loads(pickle.dumps(plan))  # what a spawned worker receives
    assert "_validated" not in sent.__dict__ and "_validated" in plan.__dict__
    by_number = sweep_run.run_chunk_to_part((id(plan), items, str(tmp_path)))
    whole = sweep_run.run_chunk_to_part((sent, items, str(tmp_path)))
    for a, b in zip(by_number[1:4], whole[1:4], strict=True):
        np.testing.assert_array_equal(a, b)
    assert by_number[1].tolist() == [0, 0, 1] and by_number[2].tolist() == [1, 2, 0]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_the_plan_is_left_to_inherit_only_for_a_forked_pool(hall, monkeypatch, method) -> None:
    plan = plan_sweep(load_scenario(hall), {"windows.0.count": [2, 3]}, 2, seed=1)
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda *a, **k: method)
    ex = sweep_run._local_pool(2, plan)
    try:
        assert ex.forked_plan == (method == "fork")
        assert (id(plan) in sweep_run._FORKED_PLANS) == (method == "fork")
    finally:
        ex.close(cancel=False)
    assert id(plan) not in sweep_run._FORKED_PLANS


# --- resuming -----------------------------------------------------------------


def _stop_after(points: int):
    def progress(done: int, total: int) -> None:
        if done >= points:
            raise KeyboardInterrupt

    return progress


def test_interrupted_sweep_resumes_to_the_same_table(hall, tmp_path) -> None:
    sc = load_scenario(hall)
    grid = {"windows.0.count": [2, 3, 4], "windows.0.attitude": [0.3, 0.6, 0.9]}
    reference = run_sweep(sc, grid, replications=2, seed=3, workers=1)
    plan = plan_sweep(sc, grid, replications=2, seed=3)
    out = tmp_path / "sw"
    with pytest.raises(SweepInterrupted) as err:
        execute_sweep(plan, out, workers=1, chunk_size=2, progress=_stop_after(3))
    assert err.value.runs_done == 6 and err.value.runs_total == 18
    # every run counted as done is in a part file (those run here are written on Ctrl-C)
    assert sweep_store.done_mask(out, plan)[0].sum() == 6
    assert not (out / "results.parquet").exists()
    again = execute_sweep(plan, out, workers=2, chunk_size=2)
    assert again.runs_this_call == 12  # only what was missing
    pd.testing.assert_frame_equal(pd.read_parquet(again.results), reference)
    # the earlier parts and this call's rows (kept in memory) make the same files
    whole = execute_sweep(plan, tmp_path / "whole", workers=1)
    outputs = ("results.parquet", "summary.parquet", "summary.csv")
    assert all((out / f).read_bytes() == (whole.out / f).read_bytes() for f in outputs)
    # a finished sweep is not run again
    assert execute_sweep(plan, out, workers=1).runs_this_call == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_every_run_counted_at_ctrl_c_is_on_disk(hall, tmp_path, workers) -> None:
    """Ctrl-C keeps every finished run, whichever process ran it (this one writes its
    own rows when interrupted), and a rerun runs exactly the rest."""
    grid = {"windows.0.count": [2, 3, 4, 5], "windows.0.attitude": [0.3, 0.6, 0.9]}
    plan = plan_sweep(load_scenario(hall), grid, replications=3, seed=5)
    out = tmp_path / "sw"
    with pytest.raises(SweepInterrupted) as err:
        execute_sweep(plan, out, workers=workers, chunk_size=2, progress=_stop_after(4))
    on_disk = int(sweep_store.done_mask(out, plan)[0].sum())
    assert on_disk == err.value.runs_done >= 4 * 3
    again = execute_sweep(plan, out, workers=workers, chunk_size=2)
    assert again.runs_this_call == plan.n_runs - on_disk


def test_a_different_sweep_in_the_same_folder_is_refused_unless_forced(
    capsys, hall, tmp_path
) -> None:
    out = tmp_path / "sw"
    base = ["sweep", str(hall), "--set", "windows.0.count=2,3", "-w", "1", "--out", str(out)]
    assert cli(capsys, *base, "-r", "2")[0] == 0
    before = (out / "results.parquet").read_bytes()
    for extra in (["-r", "3"], ["-r", "2", "--seed", "5"]):
        code, _, err = cli(capsys, *base, *extra)
        assert code == 2 and "different sweep" in err and "--force" in err
    code, _, err = cli(
        capsys, "sweep", str(hall), "--set", "windows.0.count=2,4", "-r", "2", "-w", "1",
        "--out", str(out),
    )  # fmt: skip
    assert code == 2 and "grid" in err
    other = hall.with_name("other.toml")
    other.write_text(HALL.format(close="10:30"))
    code, _, err = cli(capsys, "sweep", str(other), *base[2:], "-r", "2")
    assert code == 2 and "scenario" in err
    assert (out / "results.parquet").read_bytes() == before
    code, _, err = cli(capsys, *base, "-r", "3", "--force")
    assert code == 0, err
    assert len(pd.read_parquet(out / "results.parquet")) == 2 * 3


WRAPPER = (
    "from hallsim.cli import main, console_main; from hallsim.cli.sweep import sweep; "
    "'sweep' in main.commands or main.add_command(sweep); console_main()"
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    "sig, workers", [(signal.SIGINT, "2"), (signal.SIGKILL, "2")], ids=["SIGINT", "SIGKILL"]
)
def test_killed_sweep_resumes_to_the_uninterrupted_table(capsys, tmp_path, sig, workers) -> None:
    hall = tmp_path / "tiny.toml"
    hall.write_text(HALL.format(close="15:00"))  # a sweep of several seconds
    out = tmp_path / "sw"
    args = [
        "sweep",
        str(hall),
        "--set",
        "windows.0.count=3:6",
        "--set",
        "arrivals.rate_per_hour=30:49",
        "-r",
        "20",
        "--seed",
        "5",
        "-w",
        workers,
        "--out",
        str(out),
        "--chunk-size",
        "4",
        "--engine",
        "simpy",
    ]  # fmt: skip  (the slower reference engine: the sweep must outlast the signal)
    proc = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 60
    while not list(out.glob("parts/part-*.parquet")):  # parts come once a second
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)  # pool workers must not outlive the parent
    if sig == signal.SIGINT:
        assert proc.returncode == 130, err
        assert "interrupted:" in err and "of 1600 runs done" in err and "rerun" in err
    else:
        assert proc.returncode == -signal.SIGKILL
    assert not (out / "results.parquet").exists()
    parts = list(out.glob("parts/part-*.parquet"))
    assert 1 <= len(parts) < 400
    saved = sum(len(pd.read_parquet(f)) for f in parts)

    code, stdout, err = cli(capsys, *args)  # the same command again
    assert code == 0, err
    assert f", {1600 - saved} runs in " in stdout  # only what was missing
    assert stdout.strip().splitlines()[-1] == str(out / "results.parquet")
    resumed = pd.read_parquet(out / "results.parquet")
    assert not resumed.duplicated(["point", "replication"]).any()
    sc = load_scenario(hall)
    grid = {"windows.0.count": [3, 4, 5, 6], "arrivals.rate_per_hour": list(range(30, 50))}
    reference = run_sweep(sc, grid, replications=20, seed=5, workers=1, engine="simpy")
    pd.testing.assert_frame_equal(resumed, reference)
    assert np.array_equal(resumed.point.unique(), np.arange(80))


def test_grid_values_may_be_numpy_arrays_or_ranges(tmp_path) -> None:
    hall = tmp_path / "tiny.toml"
    hall.write_text(HALL.format(close="11:00"))
    sc = load_scenario(hall)
    plain = run_sweep(sc, {"windows.0.count": [3, 4]}, replications=2, workers=1)
    for values in (np.arange(3, 5), range(3, 5), [np.int64(3), np.int64(4)]):
        got = run_sweep(sc, {"windows.0.count": values}, replications=2, workers=1)
        pd.testing.assert_frame_equal(got, plain)


def test_fast_engine_on_a_scenario_it_lacks_is_refused_before_anything_is_written(
    capsys, tmp_path, monkeypatch
) -> None:
    from hallsim.engines import fast

    monkeypatch.setattr(fast, "lacks", lambda scenario: ["a mechanism it lacks"])
    out = tmp_path / "ops"
    code, _, err = cli(capsys, "sweep", str(ROOT / "scenarios/operations.toml"), "--set",
                       "windows.0.attitude=0.5,0.6", "-r", "2", "--engine", "fast",
                       "--out", str(out))  # fmt: skip
    assert code == 2 and "--engine fast" in err
    assert not out.exists()


def test_an_empty_parts_folder_from_an_early_ctrl_c_does_not_block_the_rerun(
    capsys, tmp_path
) -> None:
    hall = tmp_path / "tiny.toml"
    hall.write_text(HALL.format(close="11:00"))
    out = tmp_path / "sw"
    (out / "parts").mkdir(parents=True)
    # what hallsim records before its first part (hallsim.resultsdir): the folder is its own
    record = {"hallsim_results_folder": 1, "kind": "sweep", "complete": False, "files": ["parts"]}
    (out / ".hallsim-results.json").write_text(json.dumps(record))
    code, stdout, err = cli(capsys, "sweep", str(hall), "--set", "windows.0.count=3,4",
                            "-r", "2", "-w", "1", "--out", str(out))  # fmt: skip
    assert code == 0, err
    assert stdout.strip().splitlines()[-1] == str(out / "results.parquet")


def test_a_parts_folder_of_the_users_is_never_touched(capsys, tmp_path) -> None:
    hall = tmp_path / "tiny.toml"
    hall.write_text(HALL.format(close="11:00"))
    out = tmp_path / "sw"
    (out / "parts").mkdir(parents=True)
    (out / "parts" / "mine.txt").write_text("keep")
    args = ["sweep", str(hall), "--set", "windows.0.count=3,4", "-r", "2", "-w", "1"]
    code, _, err = cli(capsys, *args, "--out", str(out))
    assert code == 2 and "not a hallsim results folder" in err
    code, _, err = cli(capsys, *args, "--out", str(out), "--force")  # parts/ is not ours
    assert code == 2 and "parts" in err and "not written by hallsim" in err
    assert sorted(p.name for p in out.rglob("*")) == ["mine.txt", "parts"]
    assert (out / "parts" / "mine.txt").read_text() == "keep"


# --------------------------------------------------------------------------- scheduling


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 20_000),
    st.integers(1, 16),
    st.floats(1e-5, 2.0),
    st.one_of(st.none(), st.integers(1, 500)),
)
def test_chunk_sizes_cover_every_run_once(
    total: int, workers: int, per_run: float, fixed: int | None
) -> None:
    sizer = _ChunkSizer(total, workers, fixed)
    sizes = []
    while size := sizer.next():
        sizes.append(size)
        sizer.record(size, size * per_run)
    assert sum(sizes) == total and min(sizes) >= 1
    if fixed:
        assert all(s == fixed for s in sizes[:-1])
        return
    assert sizes[0] == min(PROBE_CHUNK, total)
    lo, hi = (max(1, int(t / per_run)) for t in CHUNK_SECONDS)
    body = sizes[1:-1]  # after the probe; the last takes what is left
    assert all(s <= hi for s in body)
    assert all(s >= min(lo, total) for s in body)
    assert body == sorted(body, reverse=True)  # guided: never growing at a constant speed


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_summarise_points_matches_a_pandas_groupby(data) -> None:
    """The numpy summary = pandas' groupby mean/std with summarise_values' t-interval."""
    points = data.draw(st.integers(1, 6))
    reps = data.draw(st.integers(1, 5))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    rows = points * reps
    values = rng.normal(5.0, 2.0, (rows, len(METRICS)))
    values[rng.random((rows, len(METRICS))) < 0.2] = np.nan  # undefined in some replications
    df = pd.DataFrame(values, columns=list(METRICS))
    df.insert(0, "point", np.repeat(np.arange(points), reps))
    df.insert(1, "x", np.repeat(np.arange(points) * 10, reps))
    df = df.sample(frac=1.0, random_state=1)  # any row order

    class Plan:  # the part of SweepPlan that summarise_points reads
        parameters = ("x",)
        metric_names = METRICS

    got = summarise_points(df, Plan())
    assert got.point.tolist() == list(range(points)) and got.x.tolist() == [
        10 * p for p in range(points)
    ]
    assert got.replications.tolist() == [reps] * points
    for p in range(points):
        for m in ("wait_mean_min", "csat", METRICS[-1]):
            ref = summarise_values(df[df.point == p][m].dropna(), metric=m)
            for key in ("mean", "ci_low", "ci_high"):
                a, b = got.loc[p, f"{m}_{key}"], ref[key]
                if b is None or np.isnan(b):
                    assert np.isnan(a), (p, m, key)
                else:
                    assert a == pytest.approx(b, rel=1e-12, abs=1e-12), (p, m, key)
