"""The command line against contract.md §2–3: exit codes, --json, files written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hallsim.cli import entry
from hallsim.metrics import METRICS

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_METRICS = (
    "arrived",
    "served",
    "balked",
    "reneged",
    "abandoned",
    "wait_mean_min",
    "wait_p50_min",
    "wait_p90_min",
    "wait_max_min",
    "service_level",
    "queue_len_mean",
    "queue_len_max",
    "utilisation",
    "time_in_system_mean_min",
    "first_contact_resolution",
    "satisfaction_mean",
    "csat",
    "bad_review_rate",
)

SMALL = """
name = "{name}"
[run]
replications = 3
[hall]
open = "09:00"
close = "11:00"
[arrivals]
rate_per_hour = 40
[[matters]]
name = "a"
share = 1.0
service_min = {{ dist = "exponential", mean = 4 }}
[[windows]]
name = "g"
count = {count}
"""


@pytest.fixture
def hall(tmp_path) -> Path:
    p = tmp_path / "small.toml"
    p.write_text(SMALL.format(name="small", count=3))
    return p


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = entry(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_json_is_exactly_the_contract_object(capsys, hall, tmp_path) -> None:
    code, out, err = run_cli(
        capsys, "run", str(hall), "--json", "-w", "1", "--out", str(tmp_path / "r")
    )
    assert code == 0, err
    obj = json.loads(out)  # exactly one JSON object, nothing else on stdout
    assert obj["scenario"] == "small" and obj["replications"] == 3 and obj["seed"] == 1
    for m in CONTRACT_METRICS:
        assert set(obj["metrics"][m]) == {"mean", "ci_low", "ci_high", "sd"}, m
    w = obj["metrics"]["wait_mean_min"]
    assert w["ci_low"] <= w["mean"] <= w["ci_high"]
    reps = pd.read_parquet(tmp_path / "r" / "replications.parquet")
    assert len(reps) == 3 and set(METRICS) <= set(reps.columns)
    # the summary is the mean over replications of the per-replication metric
    assert w["mean"] == pytest.approx(reps.wait_mean_min.mean())


def test_run_writes_results_and_prints_the_path_last(capsys, hall, tmp_path) -> None:
    out_dir = tmp_path / "res"
    code, out, _ = run_cli(capsys, "run", str(hall), "-w", "1", "--out", str(out_dir), "--log")
    assert code == 0
    assert out.strip().splitlines()[-1] == str(out_dir / "summary.json")
    for f in (
        "summary.json",
        "replications.csv",
        "replications.parquet",
        "periods.parquet",
        "matters.parquet",
        "groups.parquet",
        "citizens.parquet",
    ):
        assert (out_dir / f).exists(), f
    log = pd.read_parquet(out_dir / "citizens.parquet")
    summary = json.loads((out_dir / "summary.json").read_text())
    assert len(log) == pytest.approx(summary["metrics"]["arrived"]["mean"] * 3)


def test_same_seed_gives_identical_json_whatever_the_workers(capsys, hall, tmp_path) -> None:
    outs = []
    for workers in ("1", "2", "1"):
        code, out, _ = run_cli(
            capsys,
            "run",
            str(hall),
            "--json",
            "--seed",
            "9",
            "-w",
            workers,
            "--out",
            str(tmp_path / f"w{workers}"),
        )
        assert code == 0
        outs.append(out)
    assert outs[0] == outs[1] == outs[2]
    code, other, _ = run_cli(
        capsys,
        "run",
        str(hall),
        "--json",
        "--seed",
        "10",
        "-w",
        "1",
        "--out",
        str(tmp_path / "s10"),
    )
    assert other != outs[0]


def test_compare_reports_paired_differences(capsys, tmp_path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(SMALL.format(name="three", count=3))
    b.write_text(SMALL.format(name="four", count=4))
    code, out, err = run_cli(
        capsys,
        "compare",
        str(a),
        str(b),
        "--json",
        "-r",
        "5",
        "-w",
        "1",
        "--out",
        str(tmp_path / "cmp"),
    )
    assert code == 0, err
    obj = json.loads(out)
    # the contract object, extended by the split of each mean-wait difference into
    # return visits and the rest (the halls have the default attitude effects)
    assert set(obj) == {"scenarios", "replications", "seed", "metrics", "differences"} | {
        "wait_decomposition"
    }
    (split,) = obj["wait_decomposition"]
    assert split["scenario"] == "four"
    assert split["total"] == pytest.approx(split["returns"] + split["rest"])
    assert obj["scenarios"] == ["three", "four"] and obj["replications"] == 5
    diff = next(d for d in obj["differences"] if d["metric"] == "wait_mean_min")
    assert (diff["baseline"], diff["scenario"]) == ("three", "four")
    # the paired difference is the difference of the two scenarios' means
    m = obj["metrics"]
    assert diff["mean"] == pytest.approx(
        m["four"]["wait_mean_min"]["mean"] - m["three"]["wait_mean_min"]["mean"]
    )
    assert diff["ci_high"] < 0  # a fourth window shortens waits on common random numbers


def test_compare_rejects_two_scenarios_with_the_same_name(capsys, hall, tmp_path) -> None:
    code, _, err = run_cli(capsys, "compare", str(hall), str(hall), "--out", str(tmp_path / "x"))
    assert code == 2 and "name" in err
    assert not (tmp_path / "x").exists()


BAD = {
    "negative_rate.toml": ("rate_per_hour = 40", "rate_per_hour = -5", "arrivals.rate_per_hour"),
    "typo.toml": ("count = 3", "cuont = 3", "windows.0.cuont"),
    "bad_share.toml": ("share = 1.0", "share = 0.5", "matters"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_exits_2_names_the_field_and_writes_nothing(capsys, tmp_path, name) -> None:
    old, new, field = BAD[name]
    f = tmp_path / name
    f.write_text(SMALL.format(name="bad", count=3).replace(old, new))
    out_dir = tmp_path / "out"
    for cmd in (["validate", str(f)], ["run", str(f), "--out", str(out_dir)]):
        code, out, err = run_cli(capsys, *cmd)
        assert code == 2
        assert str(f) in err and field in err
        assert "Traceback" not in err + out
    assert not out_dir.exists()


def test_missing_file_unknown_option_and_bad_value_exit_2(capsys, hall, tmp_path) -> None:
    assert run_cli(capsys, "run", str(tmp_path / "missing.toml"))[0] == 2
    assert run_cli(capsys, "run", str(hall), "--no-such-option")[0] == 2
    assert run_cli(capsys, "run", str(hall), "--replications", "0")[0] == 2


def test_console_script_bad_input_has_no_traceback(tmp_path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('name = "bad"\n[arrivals]\nrate_per_hour = -5\n')
    proc = subprocess.run(
        [sys.executable, "-m", "hallsim", "validate", str(f)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "arrivals.rate_per_hour" in proc.stderr
    assert proc.stdout == ""


def test_validate_all_example_scenarios(capsys) -> None:
    from .conftest import example_scenario_files

    files = [str(p) for p in example_scenario_files()]
    code, out, _ = run_cli(capsys, "validate", *files)
    assert code == 0 and out.count(": ok") == len(files)


def test_every_command_has_help_with_an_example(capsys) -> None:
    from hallsim.cli import main

    assert {"validate", "run", "compare", "sweep", "plot", "report", "staff"} <= set(main.commands)
    for cmd in main.commands:
        code, out, _ = run_cli(capsys, cmd, "--help")
        assert code == 0 and "example" in out.lower(), cmd
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0 and all(cmd in out for cmd in main.commands)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_keeps_the_finished_replications(tmp_path, workers) -> None:
    import signal
    import time

    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "hallsim",
        "run",
        str(ROOT / "scenarios/mmc_steady_state.toml"),
        "-r",
        "5000",
        "-w",
        workers,
        "--json",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a child inherits an ignored SIGINT (as under some test runners): Python then
        # never raises KeyboardInterrupt, which is what this test is about
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # the results folder is claimed once the command has started, before simulating:
    # wait for that rather than a fixed time, so a loaded machine is no problem
    deadline = time.monotonic() + 300
    while not (out / ".hallsim-results.json").exists() and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.1)
    time.sleep(3.0)  # some replications
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    summary = json.loads((out / "summary.json").read_text())
    k = summary["replications"]
    assert 1 <= k < 5000
    # the partial result is exactly a run with k replications (a prefix of the seeds)
    again = subprocess.run(
        [*cmd[:5], "-r", str(k), "-w", "1", "--json", "--out", str(tmp_path / "again")],
        capture_output=True,
        text=True,
    )
    # (summary.json also flags each metric "predicted" or not; --json keeps the contract's keys)
    flags = {m: b.pop("predicted") for m, b in summary["metrics"].items()}
    assert flags["csat"] is True and flags["wait_mean_min"] is False
    assert json.loads(again.stdout)["metrics"] == summary["metrics"]


def test_validate_reports_every_file_good_and_bad(capsys, hall, tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.format(name="bad", count=3).replace("count = 3", "count = true"))
    code, out, err = run_cli(capsys, "validate", str(hall), str(bad), str(hall))
    assert code == 2
    assert out.count(": ok") == 2 and str(bad) in err and "windows.0.count" in err


def test_a_reused_out_folder_keeps_no_stale_files(capsys, hall, tmp_path) -> None:
    out_dir = tmp_path / "same"
    assert run_cli(capsys, "run", str(hall), "-w", "1", "--log", "--out", str(out_dir))[0] == 0
    assert (out_dir / "citizens.parquet").exists()
    other = tmp_path / "other.toml"
    other.write_text(SMALL.format(name="other", count=4))
    assert run_cli(capsys, "run", str(other), "-w", "1", "--out", str(out_dir))[0] == 0
    assert not (out_dir / "citizens.parquet").exists()
    assert [p.name for p in (out_dir / "scenarios").iterdir()] == ["other.toml"]


def test_run_and_sweep_never_share_a_folder(capsys, hall, tmp_path) -> None:
    out_dir = tmp_path / "mixed"
    sweep = ["sweep", str(hall), "--set", "windows.0.count=2,3", "-w", "1", "-q", "--out"]
    assert run_cli(capsys, "run", str(hall), "-w", "1", "--out", str(out_dir))[0] == 0
    code, _, err = run_cli(capsys, *sweep, str(out_dir))
    assert code == 2 and "run or compare" in err
    assert not (out_dir / "manifest.json").exists()
    sweep_dir = tmp_path / "sweep"
    assert run_cli(capsys, *sweep, str(sweep_dir))[0] == 0
    code, _, err = run_cli(capsys, "run", str(hall), "-w", "1", "--out", str(sweep_dir))
    assert code == 2 and "sweep" in err
    assert not (sweep_dir / "summary.json").exists()


def test_fast_engine_on_a_rostered_hall_runs(capsys, tmp_path) -> None:
    ops = str(ROOT / "scenarios/operations.toml")
    out = tmp_path / "o"
    code, _, _ = run_cli(capsys, "run", ops, "--engine", "fast", "-r", "2", "--out", str(out))
    assert code == 0 and out.exists()


def test_fast_engine_on_a_scenario_it_lacks_is_bad_input(capsys, tmp_path, monkeypatch) -> None:
    from hallsim.engines import fast

    monkeypatch.setattr(fast, "lacks", lambda scenario: ["a mechanism it lacks"])
    ops = str(ROOT / "scenarios/operations.toml")
    code, _, err = run_cli(capsys, "run", ops, "--engine", "fast", "--out", str(tmp_path / "o"))
    assert code == 2 and "--engine" in err and not (tmp_path / "o").exists()
