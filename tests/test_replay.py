"""The replay of the day (hallsim.replay): data read from the citizen log.

Expectations are invariants of a queue, not numbers from a run: a window
serves one citizen at a time, nobody is called before arriving, every
citizen of the replication appears once, the scenarios share a replication.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pandas as pd

from hallsim import replay
from hallsim.plots import load_results
from hallsim.report import build_report

from .test_plots import compare_dir, run_dir  # noqa: F401 (fixtures)


def test_every_citizen_of_one_replication_appears_once(compare_dir: Path) -> None:  # noqa: F811
    res = load_results(compare_dir)
    data = replay.replay_data(res)
    assert data is not None
    log = pd.read_parquet(compare_dir / "citizens.parquet")
    assert data["replication"] == log["replication"].min()
    assert [s["name"] for s in data["scenarios"]] == res.scenarios
    for s in data["scenarios"]:
        day = log[(log["scenario"] == s["name"]) & (log["replication"] == data["replication"])]
        n = len(day)
        assert s["citizens"] == n
        for key in ("arrival", "call", "end", "window", "queue", "served"):
            assert len(s[key]) == n, key
        assert s["arrival"] == sorted(s["arrival"])
        assert sum(s["served"]) == int(day["outcome"].eq("served").sum())


def test_timelines_are_ordered_and_served_citizens_sit_at_a_window_of_their_queue(
    compare_dir: Path,  # noqa: F811
) -> None:
    data = replay.replay_data(load_results(compare_dir))
    assert data is not None
    for s in data["scenarios"]:
        windows = [w for g in s["groups"] for w in g["windows"]]
        assert len(windows) == len(set(windows))  # each window in one group
        for a, c, e, w, q, served in zip(
            s["arrival"], s["call"], s["end"], s["window"], s["queue"], s["served"], strict=True
        ):
            assert a - 0.01 <= c <= e + 0.01
            assert 0 <= q < len(s["groups"])
            if served:
                assert w in s["groups"][q]["windows"]
            else:
                assert w == -1
            assert data["start"] <= a and e <= data["end"]


def test_a_window_serves_one_citizen_at_a_time(compare_dir: Path) -> None:  # noqa: F811
    data = replay.replay_data(load_results(compare_dir))
    assert data is not None
    for s in data["scenarios"]:
        spells: dict[int, list[tuple[float, float]]] = {}
        for c, e, w, served in zip(s["call"], s["end"], s["window"], s["served"], strict=True):
            if served:
                spells.setdefault(w, []).append((c, e))
        for w, times in spells.items():
            times.sort()
            for (_, end), (start, _) in itertools.pairwise(times):
                assert start >= end - 0.02, (s["name"], w)  # rounded to 0.01 min


def test_no_citizen_log_means_no_replay(tmp_path: Path, run_dir: Path) -> None:  # noqa: F811
    import shutil

    folder = tmp_path / "nolog"
    shutil.copytree(run_dir, folder)
    (folder / "citizens.parquet").unlink(missing_ok=True)
    res = load_results(folder)
    assert replay.replay_data(res) is None
    assert 'id="replay"' not in build_report(res)


def test_names_cannot_break_out_of_the_script_element() -> None:
    text = replay.replay_json({"name": "</script><script>alert(1)</script> & 综合"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["name"].startswith("</script>")


def test_the_report_embeds_the_replay_without_network(compare_dir: Path) -> None:  # noqa: F811
    html = build_report(compare_dir)
    assert 'id="replay"' in html and 'id="hallsim-replay-data"' in html
    data = re.search(r'id="hallsim-replay-data">(.*?)</script>', html, re.S)
    assert data and json.loads(data.group(1))["scenarios"]
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@font-face" in html  # the replay's Chinese labels carry their glyphs


def test_citizens_who_leave_unserved_wait_in_their_matters_queue_then_go(
    tmp_path: Path,
) -> None:
    from .conftest import SCENARIOS, simulate_cli

    text = (SCENARIOS / "dedicated.toml").read_text(encoding="utf-8")
    # two windows per group and ten minutes' patience: many give up
    text = text.replace("count = 3", "count = 2")
    text = text.replace("mean = 180, cv = 0.5", "mean = 10, cv = 0.5")
    assert "mean = 10, cv = 0.5" in text
    (tmp_path / "busy.toml").write_text(text, encoding="utf-8")
    simulate_cli(["run", str(tmp_path / "busy.toml"), "--log", "--out", str(tmp_path / "out")])
    res = load_results(tmp_path / "out")
    data = replay.replay_data(res)
    assert data is not None
    (s,) = data["scenarios"]
    log = pd.read_parquet(tmp_path / "out" / "citizens.parquet")
    day = log[log["replication"] == data["replication"]].sort_values("arrival_min", kind="stable")
    unserved = ~day["outcome"].eq("served").to_numpy()
    assert unserved.sum() > 0
    groups = [g["name"] for g in s["groups"]]
    for i in unserved.nonzero()[0]:
        assert s["window"][i] == -1 and not s["served"][i]
        # dedicated windows: the queue is the group named after the matter
        assert groups[s["queue"][i]] == day["matter"].iloc[i]
        assert s["call"][i] == s["end"][i]  # they leave when they give up


def test_staffed_windows_follow_the_roster_less_breaks() -> None:
    window = {
        "count": 9,
        "staffed": {"09:00": 8, "10:00": 9, "11:30": 8, "14:00": 9},
        "breaks": [
            {"start": "11:30", "end": "12:30", "windows": 1},
            {"start": "12:30", "end": "13:30", "windows": 1},
        ],
    }
    assert replay.staffing_steps(window) == [
        [0.0, 0],  # before the first key nobody is on duty
        [540, 8],
        [600, 9],
        [690, 7],  # 8 staffed, one at lunch (both lunch shifts)
        [810, 8],
        [840, 9],
    ]
    assert replay.staffing_steps({"count": 3}) is None  # no roster: every window open
    only_breaks = {"count": 3, "breaks": [{"start": "12:00", "end": "13:00", "windows": 5}]}
    assert replay.staffing_steps(only_breaks) == [[0.0, 3], [720, 0], [780, 3]]
