"""Scenario files: the contract's format, defaults, and clear errors naming the field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hallsim.scenario import ScenarioError, load_scenario, parse_clock

GOOD = textwrap.dedent("""
    name = "ok"
    [arrivals]
    rate_per_hour = 30
    [[matters]]
    name = "a"
    share = 0.5
    service_min = { dist = "exponential", mean = 4 }
    [[matters]]
    name = "b"
    share = 0.5
    service_min = { dist = "lognormal", mean = 6, cv = 0.8 }
    [[windows]]
    name = "g"
    count = 2
""")


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "hall.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_minimal_file_gets_documented_defaults(tmp_path) -> None:
    sc = load_scenario(write(tmp_path, GOOD))
    assert sc.run.mode == "day" and sc.run.replications == 20 and sc.run.seed == 1
    assert (sc.hall.open_min, sc.hall.close_min) == (540.0, 1020.0)
    assert sc.hall.service_level_target_min == 15
    assert sc.layout.queue == "single"
    assert sc.windows[0].matters == ["*"] and sc.windows[0].service_time_factor == 1.0
    assert sc.patience is None and sc.attitude_effects.enabled


def test_shares_within_tolerance_are_normalised(tmp_path) -> None:
    text = GOOD.replace(
        'share = 0.5\n    service_min = { dist = "exponential"',
        'share = 0.5004\n    service_min = { dist = "exponential"',
    )
    text = GOOD.replace("share = 0.5", "share = 0.5004", 1)
    sc = load_scenario(write(tmp_path, text))
    assert sum(sc.matter_probs) == pytest.approx(1.0, abs=1e-12)
    assert sc.matter_probs[0] > sc.matter_probs[1]


def test_rate_table_is_piecewise_and_zero_before_first_key(tmp_path) -> None:
    text = GOOD.replace("rate_per_hour = 30", 'rate_per_hour = { "10:00" = 60, "12:00" = 30 }')
    sc = load_scenario(write(tmp_path, text))
    assert sc.rate_schedule() == [(540.0, 0.0), (600.0, 1.0), (720.0, 0.5)]


def test_clock_parsing() -> None:
    assert parse_clock("09:30") == 570
    for bad in ("9", "25:00", "09:60", "ab:cd", "24:01"):
        with pytest.raises(ValueError):
            parse_clock(bad)


# (description, edit to GOOD, field path that must be named)
BAD_CASES = [
    ("negative rate", ("rate_per_hour = 30", "rate_per_hour = -5"), "arrivals.rate_per_hour"),
    ("shares do not sum to 1", ("share = 0.5", "share = 0.7"), "matters"),
    ("unknown top-level key", ('name = "ok"', 'name = "ok"\nnmae = "typo"'), "nmae"),
    ("misspelt key in a table", ("count = 2", "cuont = 2"), "windows.0.cuont"),
    ("zero windows", ("count = 2", "count = 0"), "matters.0.name"),
    ("negative count", ("count = 2", "count = -1"), "windows.0.count"),
    (
        "unknown matter in window group",
        ("count = 2", 'count = 2\nmatters = ["c"]'),
        "windows.0.matters.0",
    ),
    ("bad time", ('name = "ok"', 'name = "ok"\n[hall]\nopen = "9am"'), "hall.open"),
    (
        "open after close",
        ('name = "ok"', 'name = "ok"\n[hall]\nopen = "18:00"\nclose = "17:00"'),
        "hall",
    ),
    ("zero mean", ("mean = 4 }", "mean = 0 }"), "matters.0.service_min.mean"),
    ("negative cv", ("cv = 0.8", "cv = -0.8"), "matters.1.service_min.cv"),
    (
        "uniform low > high",
        ('{ dist = "exponential", mean = 4 }', '{ dist = "uniform", low = 5, high = 2 }'),
        "matters.0.service_min",
    ),
    ("unknown distribution", ('dist = "exponential"', 'dist = "weibull"'), "matters.0.service_min"),
    ("missing name", ('name = "ok"\n', ""), "name"),
    ("missing windows", ('[[windows]]\nname = "g"\ncount = 2', ""), "windows"),
    (
        "rate key after close",
        ("rate_per_hour = 30", 'rate_per_hour = { "17:30" = 10 }'),
        "arrivals.rate_per_hour",
    ),
    (
        "online share of 1",
        ("rate_per_hour = 30", "rate_per_hour = 30\nonline_share = 1.0"),
        "arrivals.online_share",
    ),
    ("attitude outside [0, 1]", ("count = 2", "count = 2\nattitude = 1.5"), "windows.0.attitude"),
    ("bad queue layout", ('name = "ok"', 'name = "ok"\n[layout]\nqueue = "fifo"'), "layout.queue"),
    ("duplicate matter names", ('name = "b"', 'name = "a"'), "matters.1.name"),
    (
        "steady state without length",
        ('name = "ok"', 'name = "ok"\n[run]\nmode = "steady_state"'),
        "run.length_min",
    ),
    ("string where number expected", ("count = 2", 'count = "two"'), "windows.0.count"),
    ("boolean where a count is expected", ("count = 2", "count = true"), "windows.0.count"),
    (
        "text where a number is expected",
        ("count = 2", 'count = 2\nservice_time_factor = "1.2"'),
        "windows.0.service_time_factor",
    ),
    ("boolean attitude", ("count = 2", "count = 2\nattitude = true"), "windows.0.attitude"),
    (
        "number where a boolean is expected",
        ('name = "ok"', 'name = "ok"\n[attitude_effects]\nenabled = 0'),
        "attitude_effects.enabled",
    ),
    (
        "negative balking threshold",
        ('name = "ok"', 'name = "ok"\n[patience]\nbalk_at_queue = -1'),
        "patience.balk_at_queue",
    ),
]


@pytest.mark.parametrize(("what", "edit", "path"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_scenarios_name_the_field(tmp_path, what, edit, path) -> None:
    old, new = edit
    assert old in GOOD or old.split("\n")[0] in GOOD, f"test case {what!r} edits nothing"
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    f = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    paths = [p for p, _ in info.value.problems]
    assert any(p == path or p.startswith(path + ".") for p in paths), (what, info.value.problems)
    assert str(f) in str(info.value)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path) -> None:
    p = tmp_path / "bom.toml"
    p.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert load_scenario(p).name == "ok"


def test_missing_empty_and_non_toml_files(tmp_path) -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.toml")
    with pytest.raises(ScenarioError, match="empty"):
        load_scenario(write(tmp_path, "   \n"))
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(write(tmp_path, "name = \n[[["))


def test_with_changes_makes_a_new_validated_scenario(tmp_path) -> None:
    sc = load_scenario(write(tmp_path, GOOD))
    more = sc.with_changes({"windows.0.count": 5, "arrivals.rate_per_hour": 12})
    assert more.windows[0].count == 5 and sc.windows[0].count == 2
    with pytest.raises(ScenarioError) as info:
        sc.with_changes({"windows.3.count": 1})
    assert info.value.problems[0][0] == "windows.3.count"
    with pytest.raises(ScenarioError) as info:
        sc.with_changes({"windows.0.count": -1})
    assert info.value.problems[0][0] == "windows.0.count"


def test_example_scenarios_validate() -> None:
    from .conftest import example_scenario_files

    files = example_scenario_files()
    assert len(files) >= 4
    for f in files:
        load_scenario(f)


def test_with_changes_takes_numpy_numbers_but_not_booleans(tmp_path) -> None:
    import numpy as np

    sc = load_scenario(write(tmp_path, GOOD))
    more = sc.with_changes({"windows.0.count": np.int64(5), "windows.0.attitude": np.float64(0.8)})
    assert more.windows[0].count == 5 and isinstance(more.windows[0].count, int)
    with pytest.raises(ScenarioError):
        sc.with_changes({"windows.0.count": np.bool_(True)})


def test_satisfaction_table_is_strictly_typed_too(tmp_path) -> None:
    text = GOOD + '[satisfaction]\nbeta_attitude = true\ndesired_wait_min = "10"\n'
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, text))
    paths = {p for p, _ in info.value.problems}
    assert {"satisfaction.beta_attitude", "satisfaction.desired_wait_min"} <= paths
    ok = GOOD + "[satisfaction]\nbeta_attitude = 2\ncutpoints = [-3, -2, -1, 0]\n"
    assert load_scenario(write(tmp_path, ok)).satisfaction.cutpoints == (-3.0, -2.0, -1.0, 0.0)


def _nested_values():
    from hypothesis import strategies as st

    ints = st.one_of(
        st.integers(-(2**63), 2**63 - 1),
        st.integers(2**63, 2**70),
        st.integers(-(2**70), -(2**63) - 1),
        st.booleans(),
    )
    leaves = st.one_of(ints, st.floats(allow_nan=False), st.text(max_size=3), st.none())
    return st.recursive(
        leaves,
        lambda kids: st.one_of(
            st.lists(kids, max_size=4),
            st.tuples(kids, kids),
            st.dictionaries(st.text(max_size=3), kids, max_size=4),
        ),
        max_leaves=20,
    )


def test_the_quick_big_integer_check_agrees_with_the_one_naming_paths():
    """``_has_big_int`` (the check every point of a sweep gets) finds an integer outside
    the signed 64-bit range exactly when ``_big_ints`` names one; booleans never count."""
    from hypothesis import given, settings

    from hallsim.scenario import _big_ints, _has_big_int

    @settings(max_examples=200, deadline=None)
    @given(_nested_values())
    def check(data):
        assert _has_big_int(data) == bool(list(_big_ints(data)))

    check()
