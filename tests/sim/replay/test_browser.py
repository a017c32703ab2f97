"""The replay page in a real headless browser (Debian's chromium and its
driver): it loads without console errors, plays, seeks, selects.

Time is driven through the page's own controls and API (``replay.advance``
is what each animation frame does), never by waiting on the clock. Needs
``apt-get install -y chromium chromium-driver``; ``.ci/run`` installs them
and sets SMVM_REQUIRE_BROWSER=1 so that CI fails instead of skipping.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from sim.replay import write_replay
from sim.run import run, write_outputs
from sim.scenario import load

from ._replay import page_data, position

# the module's tests share one browser: under -n they all run on one worker
pytestmark = pytest.mark.xdist_group("browser")

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "sim" / "scenarios" / "demo.toml"
INSTALL = "apt-get install -y chromium chromium-driver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,900")


def _browser_or_skip():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        chromium = None
    if not (chromium and driver):
        why = f"needs chromium, chromedriver and selenium: {INSTALL}; pip install 'selenium>=4.15'"
        if os.environ.get("SMVM_REQUIRE_BROWSER"):
            pytest.fail(why)
        pytest.skip(why)
    return chromium, driver


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_outputs(run(load(DEMO), until=30.0, record_trace=True), out)
    return write_replay([out / "trace.jsonl"], out / "replay.html")


@pytest.fixture(scope="module")
def browser(page):
    chromium, driver_path = _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    options = Options()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="smvm-chromium-")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def view(browser, page):
    """The page, freshly loaded."""
    browser.get(page.as_uri())
    browser.find_element("id", "map")
    return browser


def _app(driver, name: str) -> str:
    return driver.find_element("id", "app").get_attribute(f"data-{name}")


def _click_canvas(driver, x: float, y: float) -> None:
    from selenium.webdriver import ActionChains
    canvas = driver.find_element("id", "map")
    size = canvas.size
    ActionChains(driver).move_to_element_with_offset(
        canvas, int(x - size["width"] / 2), int(y - size["height"] / 2)).click().perform()


def test_the_page_loads_without_console_errors_and_draws(view) -> None:
    logs = [entry for entry in view.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert logs == []
    assert view.execute_script("return typeof window.replay") == "object"
    assert int(_app(view, "frame")) >= 1 and float(_app(view, "time")) == 0.0
    inked = view.execute_script("""
        const c = document.getElementById('map'), g = c.getContext('2d');
        const px = g.getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
        return n;""")
    assert inked > 1000, "the map is drawn"
    assert view.find_element("id", "title").text == "demo, seed 7"


def test_after_play_and_advancing_the_nodes_have_moved(view, page) -> None:
    data = page_data(page)
    before = view.execute_script("return replay.positions()")
    picture = view.execute_script("return document.getElementById('map').toDataURL()")
    view.find_element("id", "play").click()
    assert _app(view, "playing") == "true"
    view.execute_script("replay.advance(10)")  # what the frames do: 10 s on
    view.find_element("id", "play").click()
    assert _app(view, "playing") == "false"
    now = float(_app(view, "time"))
    assert now >= 10.0
    after = view.execute_script("return replay.positions()")
    moved = [n for n in before if before[n] != after[n]]
    assert len(moved) >= 20, "cars on the grid move"
    for node in moved[:10]:  # where the page draws them is where the run had them
        assert after[node] == pytest.approx(list(position(data, node, now)), abs=1e-6)
    assert view.execute_script("return document.getElementById('map').toDataURL()") != picture


def test_clicking_an_sm_highlights_its_path(view, page) -> None:
    data = page_data(page)
    first = data["sms"][0]
    view.find_element("css selector", f'.sm[data-sm="{first["id"]}"] .name').click()
    assert _app(view, "selected-sm") == first["id"]
    assert int(_app(view, "highlighted-hops")) == len(first["hops"]) > 0
    info = view.find_element("id", "info").text
    assert f"{sum(h[4] for h in first['hops']):,} B" in info and "hops" in info
    # on the map: a hop of another SM, while it is drawn, selects that SM
    other = data["sms"][1]
    view.execute_script("replay.selectSM(null); replay.seek(arguments[0])",
                        other["hops"][0][1] * data["tq"] + 0.01)
    x, y = view.execute_script("return replay.hopScreen(arguments[0], 0)", other["id"])
    _click_canvas(view, x, y)
    assert _app(view, "selected-sm") == other["id"]
    assert int(_app(view, "highlighted-hops")) == len(other["hops"])


def test_the_slider_seeks(view) -> None:
    from selenium.webdriver import ActionChains
    from selenium.webdriver.common.keys import Keys
    slider = view.find_element("id", "slider")
    width = slider.size["width"]
    ActionChains(view).move_to_element_with_offset(slider, int(width * 0.25), 0).click().perform()
    end = view.execute_script("return replay.duration")
    assert float(_app(view, "time")) == pytest.approx(0.75 * end, abs=0.05 * end)
    slider.send_keys(Keys.HOME)
    assert float(_app(view, "time")) == 0.0
    slider.send_keys(Keys.END)
    assert float(_app(view, "time")) == pytest.approx(end)


def test_next_event_then_click_a_node_shows_its_tags_and_neighbours(view) -> None:
    first = view.execute_script("return replay.eventTimes()[0]")
    view.find_element("id", "next").click()
    assert float(_app(view, "time")) == pytest.approx(first, abs=1e-6)
    x, y = view.execute_script("return replay.screenOf('17')")
    _click_canvas(view, x, y)
    assert _app(view, "selected-node") == "17"
    info = view.find_element("id", "info").text
    assert "tag Taxi" in info and "true" in info
    neighbours = view.execute_script("return replay.neighboursOf('17')")
    assert ", ".join(neighbours) in info if neighbours else "neighbours none" in info


def test_filtering_sms_and_choosing_the_speed(view, page) -> None:
    from selenium.webdriver.support.ui import Select
    ids = [sm["id"] for sm in page_data(page)["sms"]]
    view.find_element("css selector", f'.sm[data-sm="{ids[1]}"] input').click()
    assert view.execute_script("return replay.visibleSMs()") == [i for i in ids if i != ids[1]]
    view.find_element("id", "all").click()
    assert view.execute_script("return replay.visibleSMs()") == ids
    Select(view.find_element("id", "speed")).select_by_value("10")
    assert view.execute_script("return replay.speed") == 10
