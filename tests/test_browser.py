"""The HTML report and its replay in a real browser (headless Debian chromium).

Needs the system `chromium` and `chromedriver` (Debian: apt-get install chromium
chromium-driver; README's test command installs them) and Selenium; skipped
when any is missing.  Selenium is pointed at /usr/bin/chromedriver, so it never
downloads a driver or browser.  Screenshots go to $HALLSIM_SCREENSHOTS if set.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hallsim.report import build_report

from .conftest import SCENARIOS, simulate_cli
from .test_plots import compare_dir  # noqa: F401 (fixture)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no system chromium/chromedriver (Debian: apt-get install chromium chromium-driver)",
)

WIDTHS = (1400, 420)

# elements that reach past the right edge without a scrolling (or clipping) box around them
OVERFLOW_JS = """
const width = document.documentElement.clientWidth, out = [];
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.right <= width + 1) continue;
  let p = el.parentElement, inside = false;
  while (p && p !== document.body) {
    const o = getComputedStyle(p).overflowX;
    if (o === 'auto' || o === 'scroll' || o === 'hidden') { inside = true; break; }
    p = p.parentElement;
  }
  if (!inside) out.push(el.tagName + '.' + el.className + ' right=' + Math.round(r.right));
}
return [document.documentElement.scrollWidth, width, out.slice(0, 10)];
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--hide-scrollbars", "--disable-extensions", "--no-first-run"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # an explicit driver path: Selenium Manager (which downloads drivers) is never run
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def report_file(compare_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(build_report(compare_dir), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def busy_day_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A compare of two halls with about 1,100 citizens a day: three times the demo
    demand, and a little under three times the windows (so queues form)."""
    base = tmp_path_factory.mktemp("busy")
    for name in ("dedicated", "integrated"):
        text = (SCENARIOS / f"{name}.toml").read_text(encoding="utf-8")
        rates = re.search(r"^rate_per_hour = .*$", text, re.M)
        assert rates is not None
        tripled = re.sub(r"= (\d+)", lambda m: f"= {3 * int(m.group(1))}", rates.group(0))
        text = text.replace(rates.group(0), tripled)
        text = re.sub(r"^count = (\d+)", lambda m: f"count = {3 * int(m.group(1)) - 1}", text,
                      flags=re.M)  # fmt: skip
        (base / f"{name}.toml").write_text(text, encoding="utf-8")
    out = base / "out"
    simulate_cli(
        ["compare", str(base / "dedicated.toml"), str(base / "integrated.toml"), "--log",
         "--out", str(out)]
    )  # fmt: skip
    path = base / "report.html"
    path.write_text(build_report(out), encoding="utf-8")
    return path


def open_page(driver, path: Path, width: int) -> None:
    driver.set_window_size(width, 900)
    driver.get(path.as_uri())
    driver.get_log("browser")  # start each page with an empty console


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def screenshot(driver, name: str) -> None:
    folder = os.environ.get("HALLSIM_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / name))


@pytest.mark.parametrize("width", WIDTHS)
def test_report_fits_the_window_without_console_errors(
    browser, report_file: Path, width: int
) -> None:
    open_page(browser, report_file, width)
    scroll_width, client_width, overflowing = browser.execute_script(OVERFLOW_JS)
    screenshot(browser, f"report-{width}.png")
    assert client_width <= width
    assert scroll_width <= client_width, overflowing
    assert not overflowing
    assert not console_errors(browser)
    # every figure loaded (a broken data URI has naturalWidth 0)
    assert browser.execute_script(
        "return [...document.images].every(i => i.complete && i.naturalWidth > 0)"
    )


def test_chinese_report_on_a_phone_fits_without_console_errors(
    browser, chinese_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "report.html"
    path.write_text(build_report(chinese_dir), encoding="utf-8")
    open_page(browser, path, 420)
    scroll_width, client_width, overflowing = browser.execute_script(OVERFLOW_JS)
    assert scroll_width <= client_width and not overflowing, overflowing
    # the embedded font is in use: the page needs no CJK font on the machine
    assert browser.execute_script(
        "return document.fonts.check('16px \"Hallsim Sans SC\"', '综合窗口')"
    )
    browser.execute_script("document.getElementById('replay').scrollIntoView()")
    screenshot(browser, "report-zh-420.png")
    assert not console_errors(browser)


@pytest.mark.parametrize("width", WIDTHS)
def test_replay_advances_when_played_and_stops_when_paused(
    browser, report_file: Path, width: int
) -> None:
    open_page(browser, report_file, width)
    browser.execute_script("document.getElementById('replay').scrollIntoView()")
    clock = browser.find_element("css selector", "#replay .replay-clock")
    before_time = browser.execute_script("return window.hallsimReplay.time()")
    before_clock = clock.text
    browser.find_element("css selector", "#replay .replay-play").click()
    time.sleep(1.2)  # 10 simulated minutes a second by default
    browser.find_element("css selector", "#replay .replay-play").click()  # pause
    after = browser.execute_script("return window.hallsimReplay.time()")
    assert after > before_time + 2
    assert clock.text != before_clock
    time.sleep(0.3)
    assert browser.execute_script("return window.hallsimReplay.time()") == after
    screenshot(browser, f"replay-{width}.png")
    assert not console_errors(browser)


def test_replay_of_a_1000_citizen_day_draws_a_frame_well_within_60_fps(
    browser, busy_day_report: Path
) -> None:
    open_page(browser, busy_day_report, 1400)
    counts = browser.execute_script(
        "return JSON.parse(document.getElementById('hallsim-replay-data').textContent)"
        ".scenarios.map(s => s.citizens)"
    )
    assert min(counts) >= 1000
    per_frame_ms = browser.execute_script(
        """
        const r = window.hallsimReplay, t0 = performance.now();
        for (let i = 0; i < 200; i++) r.seek(540 + i * 2.4);
        return (performance.now() - t0) / 200;
        """
    )
    browser.execute_script("document.getElementById('replay').scrollIntoView()")
    browser.execute_script("window.hallsimReplay.seek(11 * 60)")
    screenshot(browser, "replay-busy-1400.png")
    assert per_frame_ms < 8, per_frame_ms  # both halls; a 60 fps frame has 16.7 ms
    assert not console_errors(browser)


def test_report_prints_to_a4_pdf(browser, report_file: Path) -> None:
    import base64

    from selenium.webdriver.common.print_page_options import PrintOptions

    open_page(browser, report_file, 1400)
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7  # A4, centimetres
    pdf = base64.b64decode(browser.print_page(options))
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes)
    assert len(boxes) >= 3  # a multi-page report, not one squeezed page
    assert not console_errors(browser)


def test_first_screen_shows_question_verdict_and_every_tile(browser, report_file: Path) -> None:
    """At 1400 × 900 the question, the verdict and all KPI tiles are above the fold."""
    open_page(browser, report_file, 1400)
    bottoms = browser.execute_script(
        "return ['h1', '.verdict', '#glance'].map("
        "s => document.querySelector(s).getBoundingClientRect().bottom)"
    )
    assert all(0 < b <= 900 for b in bottoms), bottoms
    tiles = browser.execute_script("return document.querySelectorAll('#glance .tile').length")
    assert 4 <= tiles <= 6


def test_sweep_report_fits_a_phone(browser, tmp_path: Path) -> None:
    from .test_plots import write_sweep

    folder = write_sweep(tmp_path / "sweep")
    path = tmp_path / "sweep.html"
    path.write_text(build_report(folder), encoding="utf-8")
    open_page(browser, path, 420)
    scroll_width, client_width, overflowing = browser.execute_script(OVERFLOW_JS)
    assert scroll_width <= client_width and not overflowing, overflowing
    assert not console_errors(browser)
