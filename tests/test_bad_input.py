"""Bad input is a clear exit 2 (or a ValueError/TypeError from the API), never a crash.

One test (or one parametrised family) per row of issue 13's table "bad input
that still crashes, exits 1, hangs or is silently accepted": every assertion
checks the exit code, that the message names the file and field, that no
traceback is shown and, where a command could write, that nothing was written.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import subprocess
import sys
import threading
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import hallsim
from hallsim import limits
from hallsim.cli import entry, main
from hallsim.scenario import (
    Gamma,
    Lognormal,
    Scenario,
    ScenarioError,
    format_clock,
    load_scenario,
    parse_clock,
    scenario_from_dict,
)
from hallsim.streams import quantile
from hallsim.sweep import build_grid, plan_sweep

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
INF = float("inf")

SMALL = """
name = "small"
[run]
replications = 2
[hall]
open = "09:00"
close = "10:00"
[arrivals]
rate_per_hour = 30
[[matters]]
name = "a"
share = 1.0
service_min = { dist = "exponential", mean = 4 }
[[windows]]
name = "g"
count = 2
"""


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = entry(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_bad_input(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and "unexpected error" not in err, err
    for w in words:
        assert w in err, (w, err)


@pytest.fixture
def cwd(tmp_path, monkeypatch) -> Path:
    """An empty working directory (results/ would appear here) holding small.toml."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "small.toml").write_text(SMALL, encoding="utf-8")
    return tmp_path


def nothing_written(folder: Path, *inputs: str) -> None:
    assert sorted(p.name for p in folder.iterdir()) == sorted(inputs)


# --- writing scenario data back as TOML (inline tables are enough) -------------------


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def to_toml(data: dict) -> str:
    return "\n".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in data.items()) + "\n"


def set_path(data: dict, path: str, value: Any) -> None:
    keys = path.split(".")
    node: Any = data
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


# --- row 5: every number is finite ---------------------------------------------------


def full_example() -> dict:
    """operations.toml with every optional table and every distribution kind in use."""
    data = tomllib.loads((SCENARIOS / "operations.toml").read_text(encoding="utf-8"))
    data["matters"][1]["service_min"] = {"dist": "gamma", "mean": 8.0, "cv": 0.8}
    data["matters"][1]["online_share"] = 0.1
    data["matters"][2]["service_min"] = {"dist": "uniform", "low": 6.0, "high": 18.0}
    data["matters"][0]["share"] = 0.35
    data["matters"].append(
        {"name": "notary", "share": 0.05, "service_min": {"dist": "deterministic", "mean": 5}}
    )
    data["patience"] = {"balk_at_queue": 30, "renege_min": {"dist": "exponential", "mean": 90}}
    data["windows"][1]["attitude"] = {
        "proactiveness": 0.8,
        "responsibility": 0.8,
        "care": 0.7,
        "enthusiasm": 0.6,
    }
    data["windows"][1]["attitude_sd"] = 0.1
    data["satisfaction"] = {"beta_attitude": 1.0, "cutpoints": [-3.5, -2.7, -1.7, -0.2]}
    data["arrivals"]["online_share"] = 0.05
    scenario_from_dict(copy.deepcopy(data))  # the example itself is valid
    return data


def _member_for(kinds: list, value: Any) -> Any:
    """The union member a value in the file selects (by ``dist`` for distributions)."""
    models = [k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)]
    if isinstance(value, dict):
        if "dist" in value:
            for m in models:
                if value["dist"] in typing.get_args(m.model_fields["dist"].annotation):
                    return m
        tables = [k for k in kinds if typing.get_origin(k) is dict]
        return (models or tables)[0]
    if isinstance(value, list):
        return next((k for k in kinds if typing.get_origin(k) is list), None)
    return float if float in kinds else None


def float_paths(annotation: Any, value: Any, path: str):
    """Every path below ``path`` whose field the models type as a float."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is float:
        yield path
    elif origin is typing.Annotated:
        yield from float_paths(args[0], value, path)
    elif origin in (typing.Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        kinds = [
            typing.get_args(k)[0] if typing.get_origin(k) is typing.Annotated else k for k in kinds
        ]
        flat = []
        for k in kinds:  # Annotated[A | B, discriminator] inside Optional
            flat.extend(
                typing.get_args(k)
                if typing.get_origin(k) in (typing.Union, types.UnionType)
                else [k]
            )
        member = (
            _member_for(flat, value) if value is not None else (float if float in flat else None)
        )
        if member is not None:
            yield from float_paths(member, value, path)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            sub = value.get(name) if isinstance(value, dict) else None
            yield from float_paths(field.annotation, sub, f"{path}.{name}" if path else name)
    elif origin is list:
        for i, v in enumerate(value or []):
            yield from float_paths(args[0], v, f"{path}.{i}")
    elif origin is dict:
        for k, v in (value or {}).items():
            yield from float_paths(args[1], v, f"{path}.{k}")
    elif origin is tuple:
        for i, a in enumerate(args):
            yield from float_paths(a, value[i] if value else None, f"{path}.{i}")


FULL = full_example()
FLOAT_PATHS = sorted(set(float_paths(Scenario, FULL, "")))


def test_the_float_fields_are_found_from_the_models() -> None:
    # the rows the issue lists, and one of each kind of place a float can sit
    for path in (
        "matters.0.service_min.mean",
        "matters.0.service_min.cv",
        "matters.1.service_min.cv",
        "matters.2.service_min.high",
        "matters.3.service_min.mean",
        "windows.0.service_time_factor",
        "windows.0.attitude",
        "windows.1.attitude.care",
        "run.length_min",
        "run.warmup_min",
        "appointments.slot_min",
        "hall.service_level_target_min",
        "arrivals.rate_per_hour.09:00",
        "classes.1.matter_shares.business_registration",
        "patience.renege_min.mean",
        "satisfaction.cutpoints.3",
        "attitude_effects.return_delay_min",
    ):
        assert path in FLOAT_PATHS
    assert len(FLOAT_PATHS) > 60


@pytest.mark.parametrize("value", [INF, -INF, float("nan")], ids=["inf", "-inf", "nan"])
def test_every_float_field_refuses_inf_and_nan_naming_it(capsys, tmp_path, value) -> None:
    failures = []
    for path in FLOAT_PATHS:
        data = copy.deepcopy(FULL)
        set_path(data, path, value)
        f = tmp_path / "s.toml"
        f.write_text(to_toml(data), encoding="utf-8")
        code, _, err = run_cli(capsys, "validate", str(f))
        if code != 2 or f"  {path}: " not in err or "Traceback" in err or str(f) not in err:
            failures.append((path, code, err))
    assert not failures, failures[:5]


def test_sweep_set_refuses_inf_and_nan(capsys, cwd) -> None:
    for value in ("inf", "-inf", "nan", "1e400"):
        code, _, err = run_cli(
            capsys, "sweep", "small.toml", "--set", f"matters.0.service_min.mean=4,{value}"
        )
        assert_bad_input(code, err, "small.toml", "matters.0.service_min.mean=", "finite")
    nothing_written(cwd, "small.toml")


# --- row 6: seeds and every integer fit int64 -----------------------------------------


@pytest.mark.parametrize(
    "seed, ok", [(2**63 - 1, True), (2**63, False), (2**64, False), (-1, False)]
)
def test_scenario_seed_is_bounded_to_int64(capsys, tmp_path, seed, ok) -> None:
    f = tmp_path / "s.toml"
    f.write_text(SMALL.replace("replications = 2", f"replications = 2\nseed = {seed}"))
    code, _, err = run_cli(capsys, "validate", str(f))
    if ok:
        assert code == 0, err
    else:
        assert_bad_input(code, err, str(f), "run.seed")


def test_the_largest_seed_runs_and_writes_parquet(capsys, cwd) -> None:
    code, _, err = run_cli(
        capsys, "run", "small.toml", "-r", "1", "-w", "1", "--seed", str(limits.MAX_SEED)
    )
    assert code == 0, err
    df = pd.read_parquet(cwd / "results" / "small" / "replications.parquet")
    assert df["seed"].tolist() == [limits.MAX_SEED]


@pytest.mark.parametrize(
    "args",
    [
        ["run", "small.toml", "--seed", str(2**63)],
        ["compare", "small.toml", "small.toml", "--seed", str(2**64)],
        ["sweep", "small.toml", "--set", "windows.0.count=2,3", "--seed", str(2**64)],
        ["sensitivity", "small.toml", "--seed", str(2**63)],
        ["staff", "small.toml", "--seed", str(2**63)],
    ],
    ids=lambda a: a[0],
)
def test_cli_seed_is_bounded(capsys, cwd, args) -> None:
    code, _, err = run_cli(capsys, *args)
    assert_bad_input(code, err, "--seed", str(limits.MAX_SEED))
    nothing_written(cwd, "small.toml")


def test_huge_integers_in_set_and_files_are_refused(capsys, cwd) -> None:
    huge = str(2**64)
    for path in ("windows.0.count", "patience.balk_at_queue", "arrivals.rate_per_hour"):
        code, _, err = run_cli(capsys, "sweep", "small.toml", "--set", f"{path}=1,{huge}")
        assert_bad_input(code, err, "small.toml", f"{path}={huge}")
    # huge finite values that would run until killed (1e300 citizens an hour, a
    # steady state of 1e300 minutes) are refused too
    code, _, err = run_cli(capsys, "sweep", "small.toml", "--set", "arrivals.rate_per_hour=1e300")
    assert_bad_input(code, err, "arrivals.rate_per_hour=1e+300", "at most 1,000,000 per hour")
    steady = SMALL.replace("replications = 2", 'replications = 2\nmode = "steady_state"')
    (cwd / "long.toml").write_text(steady.replace("[hall]", "length_min = 1e300\n[hall]"))
    code, _, err = run_cli(capsys, "run", "long.toml")
    assert_bad_input(code, err, "long.toml", "run.length_min")
    (cwd / "long.toml").unlink()
    (cwd / "big.toml").write_text(
        SMALL.replace("count = 2", f"count = 2\n[patience]\nbalk_at_queue = {huge}")
    )
    code, _, err = run_cli(capsys, "run", "big.toml")
    assert_bad_input(code, err, "big.toml", "patience.balk_at_queue", "out of range")
    nothing_written(cwd, "small.toml", "big.toml")


def test_api_seeds_are_bounded() -> None:
    sc = load_scenario(SCENARIOS / "integrated.toml")
    with pytest.raises(ValueError, match="seed"):
        hallsim.run_replications(sc, replications=1, seed=2**64)
    with pytest.raises(ValueError, match="seed"):
        hallsim.simulate(sc, seed=-1)
    with pytest.raises(ValueError, match="seed"):
        plan_sweep(sc, {"windows.0.count": [8, 9]}, replications=1, seed=2**63)


# --- row 9: the Python API -------------------------------------------------------------


def test_api_bad_arguments_raise_value_or_type_errors() -> None:
    sc = load_scenario(SCENARIOS / "integrated.toml")
    cases = [
        (lambda: hallsim.run_replications(sc, replications=0), ValueError, "replications"),
        (lambda: hallsim.run_replications(sc, replications=10**6), ValueError, "100000"),
        (lambda: hallsim.run_replications(sc, replications=2.0), TypeError, "replications"),
        (lambda: hallsim.run_replications(sc, replications=True), TypeError, "replications"),
        (lambda: hallsim.run_replications(sc, replications=1, workers=0), ValueError, "workers"),
        (lambda: hallsim.run_replications(sc, replications=1, engine="x"), ValueError, "engine"),
        (lambda: hallsim.run_replications(42), TypeError, "Scenario"),
        (lambda: hallsim.simulate(sc, seed="1"), TypeError, "seed"),
        (lambda: hallsim.simulate(sc, seed=1.5), TypeError, "seed"),
        (lambda: hallsim.simulate(sc, replication=-1), ValueError, "replication"),
        (lambda: hallsim.load_scenario(""), ValueError, "empty path"),
        (lambda: hallsim.load_scenario("no/such.toml"), ValueError, "file not found"),
        (lambda: sc.with_changes({"no_such.key": 1}), ValueError, "no such field"),
        (lambda: sc.with_changes("windows.0.count=3"), TypeError, "dict"),
    ]
    for call, kind, words in cases:
        with pytest.raises(kind, match=words):
            call()
    # a bad file through the API is a ScenarioError, which is a ValueError
    assert issubclass(ScenarioError, ValueError)


def test_run_replications_takes_a_path_like_run_sweep(tmp_path) -> None:
    f = tmp_path / "small.toml"
    f.write_text(SMALL)
    by_path = hallsim.run_replications(str(f), replications=2, seed=3)
    by_pathlib = hallsim.run_replications(f, replications=2, seed=3)
    by_object = hallsim.run_replications(load_scenario(f), replications=2, seed=3)
    pd.testing.assert_frame_equal(by_path.replications, by_object.replications)
    pd.testing.assert_frame_equal(by_pathlib.replications, by_object.replications)
    one = hallsim.simulate(str(f), seed=3, replication=1)
    assert one.metrics == hallsim.simulate(load_scenario(f), seed=3, replication=1).metrics
    assert by_object.replications["wait_mean_min"].iloc[1] == pytest.approx(
        one.metrics["wait_mean_min"], nan_ok=True
    )


def test_documented_optional_tables_can_be_set_by_with_changes(capsys, cwd) -> None:
    sc = load_scenario("small.toml")
    assert sc.patience is None and sc.appointments is None
    patient = sc.with_changes({"patience.balk_at_queue": 2})
    assert patient.patience.balk_at_queue == 2 and patient.patience.renege_min is None
    renege = sc.with_changes({"patience.renege_min": {"dist": "exponential", "mean": 10}})
    assert renege.patience.renege_min.mean == 10 and renege.patience.balk_at_queue == 0
    booked = sc.with_changes({"appointments.booked_share": 0.2})
    assert booked.appointments.booked_share == 0.2
    assert booked.appointments.grace_min == 5.0  # the documented default
    roster = sc.with_changes({"windows.0.staffed.09:00": 1})
    assert roster.windows[0].staffed == {"09:00": 1}
    # the original is untouched, a misspelt optional table is still an error
    assert sc.patience is None
    with pytest.raises(ScenarioError, match="no such field"):
        sc.with_changes({"patiense.balk_at_queue": 2})
    with pytest.raises(ScenarioError, match=r"patience\.balk_at_queue"):
        sc.with_changes({"patience.balk_at_queue": -1})
    # and sweep --set reaches them too
    code, out, err = run_cli(
        capsys, "sweep", "small.toml", "--set", "patience.balk_at_queue=1,3", "-r", "2", "-w", "1"
    )
    assert code == 0, err
    df = pd.read_parquet(out.strip().splitlines()[-1])
    assert sorted(df["patience.balk_at_queue"].unique()) == [1, 3]


# --- row 10: clock keys ----------------------------------------------------------------

BAD_CLOCKS = [
    "9:00",  # not zero-padded: would be a second spelling of 09:00
    "09:0",
    "٠٩:٠٠",  # Arabic-Indic digits
    "¹¹:00",  # superscript digits (int() refused them with a raw message)
    "０９:００",  # full-width digits
    " 09:00",
    "09:00 ",
    "0900",
    "09.00",
    "24:01",
    "25:00",
    "09:60",
    "",
]


@pytest.mark.parametrize("key", BAD_CLOCKS)
def test_clock_keys_are_exactly_hh_mm(capsys, tmp_path, key) -> None:
    places = [
        (
            "arrivals.rate_per_hour." + key,
            f"[arrivals]\nrate_per_hour = {{ {json.dumps(key)} = 30 }}",
        ),
        ("hall.open", f'[hall]\nopen = {json.dumps(key)}\nclose = "23:00"'),
        ("windows.0.staffed." + key, f"staffed = {{ {json.dumps(key)} = 1 }}"),
    ]
    base = SMALL.replace('[hall]\nopen = "09:00"\nclose = "10:00"\n', "")
    base = base.replace("[arrivals]\nrate_per_hour = 30\n", "")
    for path, table in places:
        if path.startswith("windows"):
            text = base + table + "\n"
        else:
            text = table + "\n" + base
        f = tmp_path / "s.toml"
        f.write_text(text, encoding="utf-8")
        code, _, err = run_cli(capsys, "validate", str(f))
        well_formed = re.fullmatch(r"[0-9]{2}:[0-9]{2}", key) is not None
        assert_bad_input(code, err, str(f), path, "00:00 to 24:00" if well_formed else "'HH:MM'")
        assert "invalid literal" not in err
    if key == "9:00":
        assert "write '09:00'" in err


def test_nine_and_zero_nine_cannot_both_be_keys(capsys, tmp_path) -> None:
    f = tmp_path / "s.toml"
    f.write_text(
        '[arrivals]\nrate_per_hour = { "09:00" = 30, "9:00" = 60 }\n'
        + SMALL.replace("[arrivals]\nrate_per_hour = 30\n", "")
    )
    code, _, err = run_cli(capsys, "validate", str(f))
    assert_bad_input(code, err, "arrivals.rate_per_hour.9:00", "'09:00'")


@settings(derandomize=True, max_examples=300)
@given(st.text(max_size=7) | st.from_regex(r"[0-9]{1,3}:[0-9]{1,3}", fullmatch=True))
def test_an_accepted_clock_has_exactly_one_spelling(text) -> None:
    try:
        minutes = parse_clock(text)
    except ValueError:
        return
    # accepted only as its one canonical spelling: two keys never name one time
    assert 0 <= minutes <= 24 * 60 and format_clock(minutes) == text


# --- row 11: the same -r cap everywhere ------------------------------------------------


def test_every_replications_option_has_the_shared_cap(capsys, cwd) -> None:
    commands = {"run", "compare", "sweep", "sensitivity", "staff"}
    for name in commands:
        (opt,) = [p for p in main.commands[name].params if p.name == "replications"]
        assert opt.type.max == limits.MAX_REPLICATIONS, name
        args = [name, "small.toml"] + (["small.toml"] if name == "compare" else [])
        if name == "sweep":
            args += ["--set", "windows.0.count=2,3"]
        code, _, err = run_cli(capsys, *args, "-r", str(limits.MAX_REPLICATIONS + 1))
        assert_bad_input(code, err, "--replications", str(limits.MAX_REPLICATIONS))
    nothing_written(cwd, "small.toml")


# --- row 12: files that are not small regular files ------------------------------------


def _cli_subprocess(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    # a subprocess with a timeout: a FIFO that blocks must fail the test, not hang it
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "hallsim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_device_and_folder_are_refused_before_reading(cwd) -> None:
    os.mkfifo(cwd / "pipe.toml")
    (cwd / "folder.toml").mkdir()
    files = ["pipe.toml", "folder.toml"] + (["/dev/zero"] if Path("/dev/zero").exists() else [])
    proc = _cli_subprocess(["validate", *files], cwd)  # every file gets its own line
    assert_bad_input(proc.returncode, proc.stderr, "folder.toml: invalid", "is a directory")
    for name in files:
        if name != "folder.toml":
            assert_bad_input(proc.returncode, proc.stderr, f"{name}: invalid scenario")
    assert proc.stderr.count("not a regular file") == len(files) - 1
    proc = _cli_subprocess(["sweep", "small.toml", "--sweep-file", "pipe.toml"], cwd)
    assert_bad_input(proc.returncode, proc.stderr, "pipe.toml", "not a regular file")
    nothing_written(cwd, "small.toml", "pipe.toml", "folder.toml")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_survey_fifo_is_refused_without_blocking(tmp_path) -> None:
    from hallsim.calibrate import read_survey

    pipe = tmp_path / "survey.csv"
    os.mkfifo(pipe)
    outcome: list = []

    def read() -> None:
        try:
            read_survey(str(pipe))
        except ValueError as exc:
            outcome.append(str(exc))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(30)
    if reader.is_alive():  # it blocked in open(): release it, then fail
        with open(pipe, "w"):
            pass
        pytest.fail("read_survey blocked on a FIFO")
    assert outcome and "not a regular file" in outcome[0]


def test_huge_and_deeply_nested_files_are_refused(capsys, cwd) -> None:
    big = cwd / "big.toml"
    big.write_text(SMALL + "#" * (limits.MAX_FILE_BYTES + 10) + "\n")
    code, _, err = run_cli(capsys, "validate", "big.toml")
    assert_bad_input(code, err, "big.toml", "at most 10 MB")
    deep = cwd / "deep.toml"
    deep.write_text(SMALL + "x = " + "[" * 5000 + "]" * 5000 + "\n")
    code, _, err = run_cli(capsys, "run", "deep.toml")
    assert_bad_input(code, err, "deep.toml", "nested too deeply")
    inline = cwd / "inline.toml"
    inline.write_text(SMALL + "y = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n")
    code, _, err = run_cli(capsys, "validate", "inline.toml")
    assert_bad_input(code, err, "inline.toml")
    # and the same in a sweep file's dotted keys and in a --set value
    keys = cwd / "keys.toml"
    keys.write_text("[parameters]\n" + ".".join(["a"] * 3000) + " = [1]\n")
    code, _, err = run_cli(capsys, "sweep", "small.toml", "--sweep-file", "keys.toml")
    assert_bad_input(code, err, "keys.toml", "nested too deeply")
    value = "[" * 3000 + "]" * 3000
    code, _, err = run_cli(capsys, "sweep", "small.toml", "--set", f"windows.0.count={value}")
    assert_bad_input(code, err, "small.toml", "windows.0.count=", "nested too deeply")
    nothing_written(cwd, "small.toml", "big.toml", "deep.toml", "inline.toml", "keys.toml")


# --- row 13 (second half): --set and --sweep-file take the same paths ------------------


def test_set_and_sweep_file_accept_the_same_paths(cwd) -> None:
    sc = load_scenario(SCENARIOS / "integrated.toml")
    (cwd / "grid.toml").write_text('[parameters]\n"arrivals.rate_per_hour.09:00" = [20, 40]\n')
    from_set = build_grid(["arrivals.rate_per_hour.09:00=20,40"], None, sc)
    from_file = build_grid([], "grid.toml", sc)
    assert from_set == from_file == {"arrivals.rate_per_hour.09:00": [20, 40]}
    plan = plan_sweep(sc, from_set, replications=1)
    points = [sc.with_changes(plan.changes(p)) for p in range(plan.n_points)]
    assert [p.arrivals.rate_per_hour["09:00"] for p in points] == [20.0, 40.0]
    # a matter's name (any text a sweep file can quote) works after --set too
    ops = load_scenario(SCENARIOS / "operations.toml")
    assert build_grid(["classes.1.matter_shares.business_registration=0.04,0.08"], None, ops)
    for bad in ("windows..count=1", " =1", ".x=1", "windows.0. count=1"):
        with pytest.raises(ValueError, match="dotted path"):
            build_grid([bad], None, sc)


# --- row 14 (part): matter '*', steady-state keys in day mode, calibrate messages ------


def test_a_matter_named_star_is_refused(capsys, tmp_path) -> None:
    f = tmp_path / "s.toml"
    f.write_text(SMALL.replace('name = "a"', 'name = "*"'))
    code, _, err = run_cli(capsys, "validate", str(f))
    assert_bad_input(code, err, str(f), "matters.0.name", "reserved")


@pytest.mark.parametrize("key", ["warmup_min", "length_min"])
def test_steady_state_keys_in_day_mode_are_refused(capsys, cwd, key) -> None:
    (cwd / "s.toml").write_text(SMALL.replace("replications = 2", f"replications = 2\n{key} = 60"))
    code, _, err = run_cli(capsys, "run", "s.toml")
    assert_bad_input(code, err, "s.toml", f"run.{key}", "steady_state")
    nothing_written(cwd, "small.toml", "s.toml")
    # explicit zeros (the defaults) stay fine, and steady_state takes them
    (cwd / "z.toml").write_text(SMALL.replace("replications = 2", f"replications = 2\n{key} = 0"))
    assert run_cli(capsys, "validate", "z.toml")[0] == 0


def _survey(tmp_path: Path, row: int, column: str, value: Any) -> Path:
    df = pd.read_csv(SCENARIOS / "survey_example.csv")
    df[column] = df[column].astype(object)
    df.loc[row, column] = value
    f = tmp_path / "survey.csv"
    df.to_csv(f, index=False)
    return f


@pytest.mark.parametrize(
    "column, value, words",
    [
        ("abandoned", 2, "row 3 has 2"),
        ("wait_min", 1e308, "row 3 has 1e+308"),
        ("wait_min", 1e15, "row 3 has 1e+15"),
        ("overtaken", 10**12, "row 3 has 1e+12"),
    ],
)
def test_calibrate_names_row_and_column_of_a_bad_value(capsys, tmp_path, column, value, words):
    f = _survey(tmp_path, 2, column, value)
    code, _, err = run_cli(capsys, "calibrate", str(f))
    assert_bad_input(code, err, "survey.csv", f"column {column!r}", words)
    assert "np." not in err and "constant in the model" not in err


# --- gamma/lognormal with a tiny or huge cv ---------------------------------------------


@settings(derandomize=True, max_examples=200)
@given(
    cv=st.floats(0, 1e-6) | st.sampled_from([3.9e-156, 5e-324, 1e-9, 1e-12]),
    mean=st.floats(0.01, 1000),
    kind=st.sampled_from([Gamma, Lognormal]),
)
def test_a_tiny_cv_gives_finite_times_near_the_mean(cv, mean, kind) -> None:
    dist = kind(dist=kind.__name__.lower(), mean=mean, cv=cv)
    u = np.array([1e-12, 0.001, 0.5, 0.999, 1 - 1e-12])
    x = quantile(dist, u)
    assert np.all(np.isfinite(x)) and np.all(x > 0)
    # within ~7.1 standard deviations at u = 1e-12 (|z| = 7.03), plus rounding
    assert np.all(np.abs(x - mean) <= mean * (7.5 * cv + 1e-12))


def test_a_gamma_service_with_tiny_cv_simulates_like_deterministic(tmp_path) -> None:
    # before: shape = 1/cv**2 overflowed to inf and every service time was NaN
    f = tmp_path / "s.toml"
    exp = '{ dist = "exponential", mean = 4 }'
    f.write_text(SMALL.replace(exp, '{ dist = "gamma", mean = 4, cv = 3.9e-156 }'))
    tiny = hallsim.simulate(load_scenario(f), seed=1, log=True).log
    f.write_text(SMALL.replace(exp, '{ dist = "deterministic", mean = 4 }'))
    fixed = hallsim.simulate(load_scenario(f), seed=1, log=True).log
    assert len(tiny) > 10 and np.all(np.isfinite(tiny["service_min"]))
    np.testing.assert_allclose(tiny["service_min"], fixed["service_min"], rtol=1e-12)


def test_cv_is_bounded_above(capsys, tmp_path) -> None:
    for dist in ("gamma", "lognormal"):
        f = tmp_path / "s.toml"
        f.write_text(
            SMALL.replace(
                '{ dist = "exponential", mean = 4 }', f'{{ dist = "{dist}", mean = 4, cv = 1e155 }}'
            )
        )
        code, _, err = run_cli(capsys, "validate", str(f))
        assert_bad_input(code, err, "matters.0.service_min.cv", "100")
        f.write_text(
            SMALL.replace(
                '{ dist = "exponential", mean = 4 }', f'{{ dist = "{dist}", mean = 4, cv = 100 }}'
            )
        )
        sc = load_scenario(f)
        assert np.all(
            np.isfinite(quantile(sc.matters[0].service_min, np.linspace(0.001, 0.999, 50)))
        )
