"""How hallsim installs and starts: Dask as the extra hallsim[cluster], lazy imports.

Start-up *times* are measured by benchmarks/startup.py, not here: a timing
assertion would fail on a busy machine.  These tests check the properties that
make the start fast (which libraries a module imports) and that the lazy API
behaves as the eager one did.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import hallsim
from hallsim.cli import entry

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "pandas", "scipy", "matplotlib", "statsmodels", "pyarrow", "jinja2", "simpy")
HALL = """
name = "tiny"
[hall]
open = "09:00"
close = "10:00"
[arrivals]
rate_per_hour = 20
[[matters]]
name = "a"
share = 1.0
service_min = { dist = "exponential", mean = 4 }
[[windows]]
name = "g"
count = 2
"""


def imported_after(code: str) -> set[str]:
    """Top-level names of the HEAVY (and rich, dask) libraries loaded by ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(proc.stdout.splitlines()[-1]))
    return loaded & {*HEAVY, "rich", "dask"}


def test_the_command_line_module_loads_no_heavy_library() -> None:
    # what `hallsim --help` and `hallsim validate` pay for: neither simulates anything
    assert imported_after("import hallsim.cli") == set()


def test_validate_loads_no_heavy_library(tmp_path) -> None:
    f = tmp_path / "tiny.toml"
    f.write_text(HALL)
    code = (
        "from hallsim.cli import entry\n"
        f"assert entry(['validate', {str(f)!r}]) == 0\n"
        "import hallsim.scenario as s\n"
        f"s.load_scenario({str(f)!r}).with_changes({{'windows.0.count': 3}})"
    )
    assert imported_after(code) == set()


def test_running_loads_what_it_needs() -> None:
    # the probe itself: the same check sees the libraries once a replication runs
    code = "import hallsim\nhallsim.simulate(hallsim.load_scenario('scenarios/integrated.toml'), 1)"
    assert {"numpy", "pandas", "scipy"} <= imported_after(code)
    # the SimPy reference loads when it runs; the fast engine runs without it
    code = code[:-1] + ", engine='simpy')"
    assert {"numpy", "pandas", "scipy", "simpy"} <= imported_after(code)


def test_the_public_api_resolves_lazily_to_the_same_objects() -> None:
    from hallsim import experiment, scenario, sweep

    assert hallsim.simulate is experiment.simulate
    assert hallsim.run_replications is experiment.run_replications
    assert hallsim.ExperimentResult is experiment.ExperimentResult
    assert hallsim.Scenario is scenario.Scenario
    assert hallsim.ScenarioError is scenario.ScenarioError
    assert hallsim.load_scenario is scenario.load_scenario
    assert hallsim.run_sweep is sweep.run_sweep
    assert set(hallsim.__all__) <= set(dir(hallsim))
    namespace: dict = {}
    exec("from hallsim import *", namespace)  # every name in __all__ resolves
    assert set(hallsim.__all__) <= set(namespace)


def test_submodules_stay_reachable_as_attributes_and_typos_are_attribute_errors() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import hallsim; print(hallsim.theory.mmc.__name__)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "mmc", proc.stderr
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = hallsim.no_such_name
    with pytest.raises(ImportError):
        from hallsim import no_such_name  # noqa: F401


def test_choice_names_are_the_objects_their_modules_export() -> None:
    from hallsim import experiment, metrics, names, results, staffing, sweep

    assert metrics.METRICS is names.METRICS and len(set(names.METRICS)) == len(names.METRICS)
    assert experiment.ENGINES is names.ENGINES
    assert sweep.BACKENDS is names.BACKENDS
    assert results.PLOT_KINDS is names.PLOT_KINDS
    assert staffing.TARGET_METRICS is names.TARGET_METRICS


# --- Dask is the optional extra hallsim[cluster] ---------------------------------


@pytest.fixture
def no_dask(monkeypatch) -> None:
    """As if hallsim were installed without the extra: importing Dask fails."""
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.distributed", None)


# the two ways to ask for Dask, and how the message names each
dask_options = pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--backend", "dask"], "--backend dask"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler"),
    ],
)


def _integrated_on(command: str) -> list[str]:
    """``optimise`` (over spaces/space_12_clerks.toml) or ``sweep`` of integrated.toml."""
    scenario = str(ROOT / "scenarios" / "integrated.toml")
    if command == "optimise":
        return [command, scenario, "--space", str(ROOT / "spaces" / "space_12_clerks.toml")]
    return [command, scenario, "--set", "windows.0.count=2,3"]


def _assert_exit_2_asking_for_the_extra(code: int, capsys, said: str, out: Path) -> None:
    """Exit 2, one message starting with ``said`` that names the extra, nothing written."""
    stdout, err = capsys.readouterr()
    assert code == 2
    assert err.startswith(said)
    assert 'pip install "hallsim[cluster]"' in err
    assert "Traceback" not in err and stdout == ""
    assert not out.exists()


@dask_options
def test_sweep_on_dask_without_the_extra_exits_2_naming_it(
    no_dask, tmp_path, capsys, options, named
) -> None:
    f = tmp_path / "tiny.toml"
    f.write_text(HALL)
    out = tmp_path / "out"
    args = ["sweep", str(f), "--set", "windows.0.count=2,3", "-r", "2", "--out", str(out)]
    code = entry(args + options)
    _assert_exit_2_asking_for_the_extra(code, capsys, f"hallsim: {named}: ", out)


@dask_options
def test_optimise_on_dask_without_the_extra_exits_2_naming_it(
    no_dask, tmp_path, capsys, options, named
) -> None:
    out = tmp_path / "out"
    code = entry([*_integrated_on("optimise"), "--out", str(out), *options])
    _assert_exit_2_asking_for_the_extra(code, capsys, f"hallsim optimise: {named}: ", out)


@pytest.mark.parametrize("command", ["optimise", "sweep"])
def test_missing_dask_is_said_in_chinese_too(no_dask, tmp_path, capsys, command) -> None:
    out = tmp_path / "out"
    code = entry([*_integrated_on(command), "--backend", "dask", "--out", str(out), "--lang", "zh"])
    _, err = capsys.readouterr()
    assert code == 2 and not out.exists()
    assert "--backend dask：dask 后端需要可选的 Dask 软件包" in err
    assert 'pip install "hallsim[cluster]"' in err


@pytest.mark.parametrize("command", ["optimise", "sweep"])
@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("nonsense", "--scheduler 'nonsense': not a Dask scheduler address (missing port"),
        ("tcp://host:port", "--scheduler 'tcp://host:port': not a Dask scheduler address"),
        ("", "--scheduler: the address is empty"),
        ("  ", "--scheduler: the address is empty"),
    ],
)
def test_a_malformed_scheduler_address_exits_2_naming_the_option(
    tmp_path, capsys, command, address, said
) -> None:
    # a typo is bad input, said before anything runs or is written: not an "unexpected
    # error" (Dask's ValueError), nor, for an empty address, a silent local run
    pytest.importorskip("dask.distributed")
    out = tmp_path / "out"
    code = entry([*_integrated_on(command), "--scheduler", address, "--out", str(out), "-q"])
    stdout, err = capsys.readouterr()
    assert code == 2 and stdout == "" and not out.exists()
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert said in err and "tcp://host:8786" in err


def test_a_malformed_scheduler_address_is_said_in_chinese_too(tmp_path, capsys) -> None:
    pytest.importorskip("dask.distributed")
    scenario = str(ROOT / "scenarios" / "integrated.toml")
    args = ["sweep", scenario, "--set", "windows.0.count=2,3", "--scheduler", "nonsense"]
    code = entry([*args, "--out", str(tmp_path / "out"), "--lang", "zh"])
    _, err = capsys.readouterr()
    assert code == 2 and "--scheduler 'nonsense'：不是 Dask 调度器地址" in err


def test_optimise_on_dask_without_the_extra_raises_import_error_naming_it(no_dask) -> None:
    from hallsim import optimise as opt

    space = opt.load_space(ROOT / "spaces" / "space_12_clerks.toml")
    problem = opt.make_problem(hallsim.load_scenario(ROOT / "scenarios" / "integrated.toml"), space)
    with pytest.raises(ImportError, match=r'pip install "hallsim\[cluster\]"'):
        opt.optimise(problem, backend="dask")


def test_run_sweep_on_dask_without_the_extra_raises_import_error_naming_it(
    no_dask, tmp_path
) -> None:
    sc = hallsim.load_scenario(_write(tmp_path))
    out = tmp_path / "out"
    with pytest.raises(ImportError, match=r'pip install "hallsim\[cluster\]"'):
        hallsim.run_sweep(sc, {"windows.0.count": [2, 3]}, replications=2, backend="dask", out=out)
    assert not out.exists()


def test_the_local_backend_needs_no_dask(no_dask, tmp_path) -> None:
    sc = hallsim.load_scenario(_write(tmp_path))
    df = hallsim.run_sweep(sc, {"windows.0.count": [2, 3]}, replications=2, workers=1)
    assert sorted(df["windows.0.count"].unique()) == [2, 3] and len(df) == 4


def test_the_test_command_installs_the_cluster_extra() -> None:
    # CI runs the README's test command; the Dask backend's tests need the extra
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install = 'python -m pip install -e ".[dev,cluster]"'
    command = next(line for line in readme.splitlines() if line.startswith(install))
    assert command.endswith("python -m pytest -n auto")
    assert command in ci.splitlines()  # CI runs exactly the README's command
    # the browser tests' chromium is installed when missing (they skip without it)
    assert "sh tools/install-test-browser.sh" in command
    assert (ROOT / "tools" / "install-test-browser.sh").is_file()


def _write(tmp_path: Path) -> Path:
    f = tmp_path / "tiny.toml"
    f.write_text(HALL)
    return f


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "hallsim: interrupted: 6 of 18 runs done (2 of 9 points); rerun the same command"),
        (
            "zh",
            "hallsim: 已中断：18 次运行中完成 6 次（9 个参数组合中完成 2 个）；重新运行同一命令",
        ),
    ],
)
def test_an_interrupted_sweep_says_so_in_the_chosen_language(
    tmp_path, capsys, monkeypatch, lang, said
) -> None:
    import hallsim.sweep as sweep

    def ctrl_c(*args, **kwargs):  # as execute_sweep on Ctrl-C after 6 runs
        raise sweep.SweepInterrupted(6, 18, 2, 9)

    monkeypatch.setattr(sweep, "execute_sweep", ctrl_c)
    args = ["sweep", str(_write(tmp_path)), "--set", "windows.0.count=2,3", "-q"]
    code = entry([*args, "--out", str(tmp_path / "out"), "--lang", lang])
    _, err = capsys.readouterr()
    assert code == 130 and err.startswith(said)


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "interrupted; the replications so far are saved in"),
        ("zh", "已中断；已完成的重复保存在"),
    ],
)
def test_an_interrupted_optimise_says_so_in_the_chosen_language(
    tmp_path, capsys, monkeypatch, lang, said
) -> None:
    from hallsim import optimise as opt

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(opt, "optimise", ctrl_c)
    out = tmp_path / "out"
    scenario = str(ROOT / "scenarios" / "integrated.toml")
    args = ["optimise", scenario, "--space", str(ROOT / "spaces" / "space_12_clerks.toml")]
    code = entry([*args, "--out", str(out), "-q", "--lang", lang])
    _, err = capsys.readouterr()
    assert code == 130 and err.startswith(f"hallsim optimise: {said} {out}")


def test_the_installed_command_validates_every_example_and_refuses_bad_input(tmp_path) -> None:
    """The console script a user runs (not the in-process CLI): every example validates
    (exit 0), a broken file is bad input (exit 2, one message, no traceback)."""
    script = Path(sys.executable).parent / "hallsim"
    if not script.exists():
        pytest.skip("hallsim is not installed as a console script in this environment")
    examples = sorted(str(p) for p in (ROOT / "scenarios").glob("*.toml"))
    ok = subprocess.run(
        [str(script), "validate", *examples], capture_output=True, text=True, cwd=tmp_path
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count(": ok") == len(examples)
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\n[[windows]\n', encoding="utf-8")
    bad = subprocess.run(
        [str(script), "validate", str(broken)], capture_output=True, text=True, cwd=tmp_path
    )
    assert bad.returncode == 2
    assert "broken.toml" in bad.stderr and "Traceback" not in bad.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.toml"]  # nothing written
