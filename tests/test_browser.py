"""The dashboard in a real browser: Debian's Chromium driven by Playwright, on the demo."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from tests import servers
from tests.conftest import KEEP, require

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
# Mesh first: a deep link as the first request to a new server must still run app.py.
PAGES = {"mesh": ("mesh", 2), "alerts": ("alerts", 1), "overview": ("", 1)}


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k in KEEP or not k.startswith(("PROMETHEUS_", "ALERTMANAGER_", "ONCALL_"))}
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with servers.streamlit(ROOT, env, log) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser():
    require(servers.CHROMIUM)
    with servers.chromium() as chromium:
        yield chromium


def test_every_page_renders_its_charts(browser, dashboard_url, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1800}, timezone_id="Asia/Seoul")
    for name, (path, charts) in PAGES.items():
        page.goto(f"{dashboard_url}/{path}")
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}"
            " || document.querySelector(\"[data-testid='stException']\") !== null",
            timeout=60000,
        )
        page.wait_for_load_state("networkidle")
        assert page.locator("[data-testid='stException']").count() == 0, f"exception box on {name}"
        assert page.locator(".js-plotly-plot").count() == charts
        # Times are shown in the browser's zone, which the page learnt from the browser.
        assert "Asia/Seoul" in page.locator("[data-testid='stSidebar']").inner_text()
        # .streamlit/config.toml: the viewers' toolbar, even on localhost (where "auto" shows Deploy).
        assert page.get_by_role("button", name="Deploy").count() == 0
        assert page.locator("[data-testid='stAppDeployButton']").count() == 0
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    page.close()


def test_changing_the_window_keeps_the_sidebar_and_redraws(browser, dashboard_url, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(f"{dashboard_url}/alerts")
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60000)
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name="Last 24 hours").click()
    page.wait_for_function(
        "document.body.innerText.includes('ErrorLogRateHigh') && document.body.innerText.includes('Likely false (2)')",
        timeout=60000,
    )
    assert page.locator("[data-testid='stSidebar']").get_by_text("Time window").count() == 1
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(tmp_path / "alerts-24h.png"), full_page=True)
    page.close()


def test_asking_the_assistant_shows_an_answer_with_a_citation(browser, dashboard_url, tmp_path):
    page = browser.new_page(viewport={"width": 1600, "height": 1800})
    page.goto(dashboard_url)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60000)
    page.get_by_placeholder("Ask about this window").fill("What is firing now and what should I check next?")
    page.keyboard.press("Enter")
    page.wait_for_function("document.body.innerText.includes('Offline answer')", timeout=90000)
    # The panel's last element: the run that drew the answer is over (a click before its end may
    # land on an expander the run is still replacing).
    page.get_by_role("button", name="Clear conversation").wait_for(timeout=30000)
    answer = page.locator("[data-testid='stChatMessage']").last.inner_text()
    assert "KubePodCrashLooping" in answer and "[1]" in answer
    page.get_by_text("Sources (").last.click()
    page.get_by_text("Alerts: firing at window end").first.wait_for(timeout=10000)
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(tmp_path / "assistant.png"), full_page=True)
    page.close()


def test_downloading_the_html_shift_summary(browser, dashboard_url, tmp_path):
    page = browser.new_page(viewport={"width": 1600, "height": 1800}, accept_downloads=True)
    page.goto(f"{dashboard_url}/reports")
    page.get_by_role("button", name="Generate shift summary").click()
    html_button = page.get_by_role("button", name="HTML").first
    html_button.wait_for(timeout=90000)
    with page.expect_download() as download:
        html_button.click()
    saved = tmp_path / "shift-summary.html"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and "Shift summary" in text and "<svg" in text
    assert "KubePodCrashLooping" in text
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()


def test_the_service_graph_shows_an_investigation(browser, dashboard_url, tmp_path):
    page = browser.new_page(viewport={"width": 1600, "height": 2000})
    page.goto(f"{dashboard_url}/mesh")
    page.wait_for_selector("[data-testid='stImage'] img", timeout=60000)
    page.locator("[data-testid='stSelectbox']").filter(has_text="Investigate a service").click()
    page.get_by_role("option", name="prod-seoul/shop/recommendation").click()  # crash-looping: 503s now
    page.wait_for_function("document.body.innerText.includes('Likely cause')", timeout=60000)
    assert "recommendation" in page.locator("[data-testid='stAlert']").filter(has_text="Likely cause").inner_text()
    # Laid out on the server: an SVG image the browser decoded and drew.
    image = page.locator("[data-testid='stImage'] img").first
    image.wait_for(timeout=30000)
    assert image.evaluate("i => i.complete && i.naturalWidth > 100 && i.getBoundingClientRect().width > 300")
    src = image.get_attribute("src") or ""
    assert src.startswith("data:image/svg+xml;base64,")
    drawn = base64.b64decode(src.split(",", 1)[1]).decode()
    assert drawn.count('class="node"') >= 3 and drawn.count('class="edge"') >= 2
    assert "frontend" in drawn and "catalog" in drawn  # its caller and its dependency
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(tmp_path / "service-graph.png"), full_page=True)
    assert (tmp_path / "service-graph.png").stat().st_size > 10_000
    page.close()


def test_auto_refresh_rereads_the_page_on_its_timer(browser, dashboard_url):
    """The page reruns by itself: the 'updated' time moves without a click."""
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(f"{dashboard_url}/alerts")
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60000)
    page.locator("[data-testid='stSidebar']").get_by_text("Auto-refresh").click()
    page.locator("[data-testid='stSidebar']").get_by_text("30 s").click()
    caption = page.get_by_text("Auto-refresh every 30 s · updated ")
    caption.wait_for(timeout=30000)
    first = caption.inner_text()
    page.wait_for_function(
        f"!document.body.innerText.includes({first!r}) && document.body.innerText.includes('Auto-refresh every 30 s')",
        timeout=60000,
    )
    errors = page.locator("[data-testid='stException']")
    assert errors.count() == 0, errors.first.inner_text()
    page.close()
