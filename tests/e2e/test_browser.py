"""End to end in headless Chromium: type a question, wait for the cited answer and the sources panel."""
import os
import shutil

import pytest

from servers import gradio_app

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


@pytest.fixture(scope="module")
def page_url(qa):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: `make test` installs it with apt-get (Debian package chromium).")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    with gradio_app(qa) as url:
        yield url


@pytest.fixture()
def page(page_url, tmp_path):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.goto(page_url, wait_until="load")
        yield pg
        browser.close()


def test_question_in_browser_shows_cited_answer_and_passage(page, tmp_path):
    page.locator("#dqa-question textarea").fill("Combien de drones ont été abattus au-dessus de Briansk ?")
    page.locator("#dqa-ask").click()
    page.locator("#dqa-sources .dqa-source").first.wait_for(timeout=60_000)
    sources = page.locator("#dqa-sources").inner_text()
    assert "en a compté 30 à elle seule" in sources
    answer = page.locator("#dqa-chat .message-row").last.inner_text()
    assert "[1]" in answer
    # The cited sentence is highlighted inside its passage.
    assert "30 à elle seule" in " ".join(page.locator("#dqa-sources #source-1 mark").all_inner_texts())
    # Hovering the marker lights up its source; its tooltip is the passage.
    marker = page.locator("#dqa-chat a.dqa-cite").first
    assert "30 à elle seule" in marker.get_attribute("title")
    marker.hover()
    page.locator("#dqa-sources #source-1.dqa-active").wait_for(timeout=5_000)
    assert "dispatches" in page.locator("#dqa-status").inner_text()
    shot = tmp_path / "chat.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
