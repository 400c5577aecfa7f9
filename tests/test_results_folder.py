"""Results folders (hallsim.resultsdir): hallsim never loses a user's file.

Each test builds a user's folder, runs hallsim at it as a user would, and checks
the user's files byte for byte; names, full disks and a second writer are
tried too (issue: data loss, atomic writes, locking, bad output paths).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallsim.cli import entry
from hallsim.resultsdir import LOCK, RECORD, ResultsFolder, safe_name

TINY = """
name = {name}
[run]
replications = 2
seed = 3
[hall]
open = "09:00"
close = "10:00"
[arrivals]
rate_per_hour = 30
[[matters]]
name = "a"
share = 1.0
service_min = {{ dist = "exponential", mean = 4 }}
[[windows]]
name = "w"
count = 2
"""


def tiny(folder: Path, name: str = "tiny", file: str = "tiny.toml") -> Path:
    path = folder / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TINY.format(name=json.dumps(name)), encoding="utf-8")
    return path


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = entry(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(root: Path) -> dict[str, str]:
    """Every file under root with the hash of its bytes."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def user_folder(root: Path) -> Path:
    """A planner's folder: their own scenarios/, report.html and plots/slide.png."""
    tiny(root / "scenarios", "mine", "tiny.toml")
    (root / "scenarios" / "notes.txt").write_text("my notes", encoding="utf-8")
    (root / "report.html").write_text("<p>my report</p>", encoding="utf-8")
    (root / "plots").mkdir()
    (root / "plots" / "slide.png").write_bytes(b"\x89PNG my slide")
    (root / "summary.json").write_text('{"mine": true}', encoding="utf-8")
    return root


# --------------------------------------------------------------------------- ownership


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_users_folder_as_out_is_refused_and_every_file_is_unchanged(
    capsys, tmp_path, monkeypatch, command
) -> None:
    monkeypatch.chdir(tmp_path)
    user_folder(tmp_path)
    before = snapshot(tmp_path)
    a, b = tiny(tmp_path / "in", "a", "a.toml"), tiny(tmp_path / "in", "b", "b.toml")
    files = [str(a)] if command == "run" else [str(a), str(b)]
    code, _, err = cli(capsys, command, *files, "-r", "2", "-q", "-w", "1", "--out", ".")
    assert code == 2 and "not a hallsim results folder" in err
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("in/")} == before


@pytest.mark.parametrize("command", ["run", "compare"])
def test_force_writes_beside_the_users_files_and_never_replaces_them(
    capsys, tmp_path, command
) -> None:
    out = user_folder(tmp_path / "out")
    (out / "summary.json").unlink()  # else --force must refuse: summary.json is the user's
    before = snapshot(out)
    a, b = tiny(tmp_path / "in", "a", "a.toml"), tiny(tmp_path / "in", "b", "b.toml")
    files = [str(a)] if command == "run" else [str(a), str(b)]
    args = [command, *files, "-r", "2", "-q", "-w", "1", "--out", str(out), "--force"]
    code, stdout, err = cli(capsys, *args)
    assert code == 0, err
    assert stdout.strip().splitlines()[-1] == str(out / "summary.json")
    after = snapshot(out)
    assert {k: after[k] for k in before} == before  # every user file byte-identical
    # a second run replaces only hallsim's files, and needs no --force
    code, _, err = cli(capsys, *args[:-1])
    assert code == 0, err
    assert {k: snapshot(out)[k] for k in before} == before


def test_force_refuses_a_name_the_user_already_has(capsys, tmp_path) -> None:
    out = user_folder(tmp_path / "out")  # holds the user's own summary.json
    before = snapshot(out)
    src = tiny(tmp_path / "in")
    code, _, err = cli(capsys, "run", str(src), "-r", "2", "-q", "--out", str(out), "--force")
    assert code == 2 and "summary.json" in err and "not written by hallsim" in err
    assert snapshot(out) == before


def test_a_rerun_removes_its_own_old_outputs_and_nothing_else(capsys, tmp_path) -> None:
    src = tiny(tmp_path / "in")
    out = tmp_path / "res"
    assert cli(capsys, "run", str(src), "-r", "2", "-q", "--log", "--out", str(out))[0] == 0
    assert (out / "citizens.parquet").exists()
    (out / "mine.txt").write_text("keep")
    assert cli(capsys, "plot", str(out), "--kind", "waits")[0] == 0
    assert (out / "plots" / "waits.png").exists()
    assert cli(capsys, "run", str(src), "-r", "2", "-q", "--out", str(out))[0] == 0
    # the old log and plot belonged to the previous run: gone; the user's file stays
    assert not (out / "citizens.parquet").exists() and not (out / "plots").exists()
    assert (out / "mine.txt").read_text() == "keep"
    record = json.loads((out / RECORD).read_text())
    assert record["complete"] is True and "mine.txt" not in record["files"]


def test_plot_and_report_never_replace_a_file_hallsim_did_not_write(capsys, tmp_path) -> None:
    src = tiny(tmp_path / "in")
    out = tmp_path / "res"
    assert cli(capsys, "run", str(src), "-r", "2", "-q", "--out", str(out))[0] == 0
    slide = tmp_path / "slides" / "fig.png"
    slide.parent.mkdir()
    slide.write_bytes(b"my own slide")
    code, _, err = cli(capsys, "plot", str(out), "--kind", "waits", "--out", str(slide))
    assert code == 2 and "not written by hallsim" in err
    assert slide.read_bytes() == b"my own slide"
    assert sorted(p.name for p in slide.parent.iterdir()) == ["fig.png"]
    # a figure hallsim made itself may be redrawn in place
    fig = tmp_path / "slides" / "waits.png"
    assert cli(capsys, "plot", str(out), "--kind", "waits", "--out", str(fig))[0] == 0
    assert cli(capsys, "plot", str(out), "--kind", "waits", "--out", str(fig))[0] == 0
    page = tmp_path / "slides" / "page.html"
    page.write_text("mine")
    code, _, err = cli(capsys, "report", str(out), "--out", str(page))
    assert code == 2 and page.read_text() == "mine"
    assert cli(capsys, "report", str(out), "--out", str(page), "--force")[0] == 0
    assert "hallsim" in page.read_text()


def test_plot_writes_the_format_its_suffix_names(capsys, tmp_path) -> None:
    src = tiny(tmp_path / "in")
    out = tmp_path / "res"
    assert cli(capsys, "run", str(src), "-r", "2", "-q", "--out", str(out))[0] == 0
    magic = {"fig.pdf": b"%PDF", "fig.png": b"\x89PNG", "fig.svg": b"<?xml"}
    for name, head in magic.items():
        code, _stdout, err = cli(
            capsys, "plot", str(out), "--kind", "waits", "--out", str(tmp_path / name)
        )
        assert code == 0, err
        assert (tmp_path / name).read_bytes().startswith(head)
    code, _, err = cli(
        capsys, "plot", str(out), "--kind", "waits", "--out", str(tmp_path / "f.jpg")
    )
    assert code == 2 and ".pdf" in err and not (tmp_path / "f.jpg").exists()


def test_sweep_into_a_users_folder_is_refused(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    user_folder(tmp_path)
    src = tiny(tmp_path, "tiny", "scenario.toml")  # the sweep's own copy has this name
    before = snapshot(tmp_path)
    args = ["sweep", "scenario.toml", "--set", "windows.0.count=2,3", "-r", "2", "-w", "1"]
    code, _, err = cli(capsys, *args, "--out", ".")
    assert code == 2 and "not a hallsim results folder" in err
    code, _, err = cli(capsys, *args, "--out", ".", "--force")
    assert code == 2 and "not written by hallsim" in err
    assert snapshot(tmp_path) == before
    assert src.exists()


# --------------------------------------------------------------------------- names


def test_a_name_is_a_label_not_a_path(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("..", "../../x", "/abs/path", "a/b", "社保大厅"):
        src = tiny(tmp_path / "in", name, "s.toml")
        code, stdout, err = cli(capsys, "run", str(src), "-r", "2", "-q", "-w", "1")
        assert code == 0, (name, err)
        written = Path(stdout.strip().splitlines()[-1])
        assert written.resolve().is_relative_to((tmp_path / "results").resolve()), name
        assert written.parent.parent == Path("results") and written.parent.name == safe_name(name)
    assert (tmp_path / "results" / "社保大厅" / "summary.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "results"]


@pytest.mark.parametrize("name", ["line1\nline2", "a\u0000b", "x" * 300, "tab\there", "   "])
def test_a_name_that_is_no_label_is_bad_input(capsys, tmp_path, monkeypatch, name) -> None:
    monkeypatch.chdir(tmp_path)
    src = tiny(tmp_path / "in", name, "s.toml")
    code, stdout, err = cli(capsys, "run", str(src), "-r", "2", "-q")
    assert code == 2 and "name" in err and "Traceback" not in err
    assert stdout == "" and sorted(p.name for p in tmp_path.iterdir()) == ["in"]


names = st.one_of(
    st.text(min_size=1, max_size=300),
    st.sampled_from(["..", ".", "/", "a/b", "../../outside", "/tmp/abs", "社保大厅", "C:\\x", "*"]),
    st.lists(st.sampled_from(["..", "/", "社保", "\n", "\x00", "a", " ", "."]), min_size=1).map(
        "".join
    ),
)


@settings(
    max_examples=40,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=names)
def test_no_name_writes_outside_the_results_folder(capsys, tmp_path_factory, name) -> None:
    root = tmp_path_factory.mktemp("names")
    work = root / "work"
    src = tiny(root / "in", name, "s.toml")
    work.mkdir()
    old = os.getcwd()
    os.chdir(work)
    try:
        for out in ([], ["--out", "res"]):
            code, stdout, err = cli(capsys, "run", str(src), "-r", "1", "-q", "-w", "1", *out)
            assert code in (0, 2), err
            if code == 0:
                assert len(stdout.strip().splitlines()[-1].splitlines()) == 1
    finally:
        os.chdir(old)
    outside = [p for p in root.rglob("*") if not p.is_relative_to(work) and p.is_file()]
    assert outside == [src]
    assert all(p.name in ("results", "res") for p in work.iterdir())


# --------------------------------------------------------------------------- writes


def test_a_full_disk_leaves_no_partial_file_under_its_final_name(
    capsys, tmp_path, monkeypatch
) -> None:
    src = tiny(tmp_path / "in")
    out = tmp_path / "res"
    assert cli(capsys, "run", str(src), "-r", "2", "-q", "--out", str(out))[0] == 0
    before = snapshot(out)
    real = pd.DataFrame.to_parquet
    calls = {"n": 0}

    def full_disk(self, path, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # a few files in: write half a file, then fail as a full disk
            Path(path).write_bytes(b"PAR1 half")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)
    code, _stdout, err = cli(capsys, "run", str(src), "-r", "3", "-q", "--out", str(out))
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "No space left on device" in err
    assert "incomplete" in err
    for f in out.rglob("*"):
        if f.is_file():
            assert f.stat().st_size > 0, f
            assert not f.name.startswith(".hallsim-tmp-"), f  # no temporary leftovers
            if f.name in before and f.suffix == ".parquet":
                pd.read_parquet(f)  # whole: the old file, or the new one, never half
    assert not (out / "summary.json").exists()  # so plot/report call it incomplete
    assert json.loads((out / RECORD).read_text())["complete"] is False
    code, _, err = cli(capsys, "report", str(out))
    assert code == 2 and "summary.json" in err
    monkeypatch.undo()
    assert cli(capsys, "run", str(src), "-r", "2", "-q", "--out", str(out))[0] == 0
    assert snapshot(out) == before  # a rerun restores the folder exactly


def test_a_second_writer_is_refused_while_the_folder_is_in_use(capsys, tmp_path) -> None:
    src = tiny(tmp_path / "in")
    out = tmp_path / "res"
    with ResultsFolder(out, "run").open():  # another hallsim command is writing here
        code, _, err = cli(capsys, "run", str(src), "-r", "2", "-q", "--out", str(out))
        assert code == 2 and "another hallsim command" in err
        code, _, err = cli(capsys, "plot", str(out), "--kind", "waits")
        assert code == 2
    assert cli(capsys, "run", str(src), "-r", "2", "-q", "--out", str(out))[0] == 0


def test_two_processes_into_one_folder_one_wins_and_the_folder_is_consistent(
    tmp_path,
) -> None:
    a = tiny(tmp_path / "in", "first", "a.toml")
    b = tiny(tmp_path / "in", "second", "b.toml")
    out = tmp_path / "res"
    cmd = [sys.executable, "-m", "hallsim", "run", "-q", "-w", "1", "--out", str(out)]
    # the first writer has far more to do than this test waits for; Ctrl-C ends it
    first = subprocess.Popen(
        [*cmd, str(a), "-r", "100000"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 300
        # wait until the first holds the folder (its record names its pid)
        while time.monotonic() < deadline:
            try:
                if json.loads((out / RECORD).read_text())["pid"] == first.pid:
                    break
            except (OSError, ValueError, KeyError):
                pass
            assert first.poll() is None, first.stderr.read()
            time.sleep(0.05)
        second = subprocess.run([*cmd, str(b), "-r", "2"], capture_output=True, text=True)
        assert second.returncode == 2 and "another hallsim command" in second.stderr
        assert first.poll() is None  # the second was refused while the first still ran
        time.sleep(1.0)
    finally:
        first.send_signal(signal.SIGINT)
        _, err = first.communicate(timeout=300)
    assert first.returncode == 130 and "written to" in err, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "first"
    assert sorted(p.name for p in (out / "scenarios").iterdir()) == ["first.toml"]
    assert json.loads((out / RECORD).read_text())["complete"] is True


# --------------------------------------------------------------------------- bad places


def test_bad_output_places_are_bad_input(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    src = tiny(tmp_path / "in")
    Path("f.txt").write_text("mine")
    for out in ("f.txt/sub", "f.txt", ""):
        code, stdout, err = cli(capsys, "run", str(src), "-r", "2", "-q", "--out", out)
        assert code == 2, (out, err)
        assert "Traceback" not in err and stdout == ""
    assert cli(capsys, "run", str(src), "-r", "2", "-q", "--out", "res")[0] == 0
    code, _, err = cli(capsys, "plot", "res", "--kind", "waits", "--out", "f.txt/x.png")
    assert code == 2 and "f.txt" in err
    code, _, err = cli(
        capsys, "sweep", str(src), "--set", "windows.0.count=2,3", "--out", "f.txt/s"
    )
    assert code == 2 and "f.txt" in err
    assert Path("f.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt", "in", "res"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_place_is_bad_input(capsys, tmp_path) -> None:
    src = tiny(tmp_path / "in")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code, _, err = cli(capsys, "run", str(src), "-r", "2", "-q", "--out", str(ro / "x"))
        assert code == 2 and str(ro) in err
    finally:
        ro.chmod(0o755)


def test_compare_of_a_day_with_a_steady_state_is_bad_input(capsys, tmp_path) -> None:
    day = tiny(tmp_path / "in", "day", "day.toml")
    steady = tmp_path / "in" / "steady.toml"
    steady.write_text(
        TINY.format(name='"steady"')
        .replace("[run]", '[run]\nmode = "steady_state"\nwarmup_min = 60\nlength_min = 600')
        .replace('[hall]\nopen = "09:00"\nclose = "10:00"\n', "")
    )
    code, _, err = cli(capsys, "compare", str(day), str(steady), "-r", "2", "-q",
                       "--out", str(tmp_path / "c"))  # fmt: skip
    assert code == 2 and "run.mode" in err and str(steady) in err
    assert not (tmp_path / "c").exists()


def test_the_headline_says_when_citizens_were_left_unserved(capsys, tmp_path) -> None:
    src = tmp_path / "closing.toml"
    # the only window is staffed for the first half hour: later citizens are never called
    src.write_text(
        TINY.format(name='"closing"').replace(
            "count = 2", 'count = 1\nstaffed = { "09:00" = 1, "09:30" = 0 }'
        )
    )
    code, stdout, err = cli(capsys, "run", str(src), "-r", "2", "-q", "--out", str(tmp_path / "r"))
    assert code == 0, err
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    unserved = summary["metrics"]["unserved"]["mean"] if "unserved" in summary["metrics"] else None
    reps = pd.read_parquet(tmp_path / "r" / "replications.parquet")
    assert unserved is not None or reps["unserved"].mean() > 0
    assert f"{reps['unserved'].mean():.1f} unserved" in stdout


def test_a_folder_from_before_the_record_is_still_hallsims(capsys, tmp_path) -> None:
    src = tiny(tmp_path / "in")
    out = tmp_path / "old"
    assert cli(capsys, "run", str(src), "-r", "2", "-q", "--log", "--out", str(out))[0] == 0
    (out / RECORD).unlink()  # as an earlier hallsim left it
    (out / LOCK).unlink()
    (out / "notes.csv").write_text("mine")
    code, _, err = cli(capsys, "run", str(src), "-r", "2", "-q", "--out", str(out))
    assert code == 0, err
    assert not (out / "citizens.parquet").exists()  # the old run's log: hallsim's, replaced
    assert (out / "notes.csv").read_text() == "mine"  # not a name hallsim writes: kept
