"""The site in a real browser: headless Chromium at a phone's and a desktop's width.

One browser for the module. Every page is loaded from file:// and from a local web server;
none may fail a request or make one outside the site.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest
import yaml
from browser import CHROMIUM, Browser
from conftest import ROOT, SHIPPED_SOURCE, write_source

from pipeline.build import build
from pipeline.config import load_settings
from pipeline.load import load_source
from pipeline.prepare import prepare
from pipeline.validate import validate_sources

HOSTILE_TITLE = "</script><script>alert(1)</script>"
HOSTILE_OTHER = '" onmouseover="alert(2)'
SIZES = ((360, 800), (1280, 800))
PAGES = ("index.html", "account-manager/index.html", "farmer/index.html",
         "hostile/index.html")


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sources")
    (folder / SHIPPED_SOURCE.name).write_bytes(SHIPPED_SOURCE.read_bytes())
    write_source(folder, {"title": "កសិករ", "title_other": "Farmer"}, handout_id="farmer")
    write_source(folder, {"title": HOSTILE_TITLE, "title_other": HOSTILE_OTHER},
                 handout_id="hostile")
    return folder


@pytest.fixture(scope="module")
def site(sources, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    report = build(sorted(sources.glob("*.yaml")), "site", load_settings(), out)
    assert not report.failed, [str(d) for d in report.diagnostics]
    return out / "site"


@pytest.fixture(scope="module")
def server(site):
    """Serve the site on a free loopback port; yield its address."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def browser():
    chromium = Browser()
    yield chromium
    chromium.close()


def _bases(site: Path, server: str) -> list[str]:
    return [site.as_uri() + "/", server]


@pytest.mark.needs(*CHROMIUM)
@pytest.mark.parametrize("width,height", SIZES)
def test_every_page_loads_with_no_failed_or_outside_request_and_fits(
        browser, site, server, width, height):
    browser.size(width, height)
    for base in _bases(site, server):
        for page in PAGES:
            load = browser.load(base + page)
            assert load.requests and load.requests[0] == base + page
            outside = [url for url in load.requests if not url.startswith(base)]
            assert not outside, (page, outside)
            assert not load.failures, (page, load.failures)
            fits = browser.script("return [document.documentElement.scrollWidth, innerWidth,"
                                  " document.fonts.size, Array.from(document.fonts)"
                                  ".filter(f => f.status === 'error').length]")
            assert fits[0] <= fits[1] == width, (page, fits)
            assert fits[3] == 0, (page, "a font failed to load")


def _expected_text(source: Path) -> str:
    """Return what a handout page's article shows, from the same prepared Document."""
    handouts, _ = validate_sources([load_source(source, source.name)])
    doc = prepare(handouts[0], load_settings(), breaks=False)
    parts = [doc.title, doc.title_other or "", doc.facts_heading]
    parts += [text for fact in doc.facts for text in (fact.label, fact.value)]
    for section in doc.sections:
        parts.append(section.heading)
        for block in section.blocks:
            parts.extend(block.texts())
    return " ".join(" ".join(parts).split())


@pytest.mark.needs(*CHROMIUM)
def test_each_handout_page_shows_exactly_its_source_text(browser, site, sources):
    browser.size(360, 800)
    for handout_id in ("account-manager", "farmer", "hostile"):
        browser.load(f"{site.as_uri()}/{handout_id}/index.html")
        shown = browser.script("return document.querySelector('article').innerText")
        assert " ".join(shown.split()) == _expected_text(sources / f"{handout_id}.yaml")
    # And each paragraph is the source's, character for character (no inserted U+200B).
    browser.load(f"{site.as_uri()}/account-manager/index.html")
    data = yaml.safe_load(SHIPPED_SOURCE.read_text(encoding="utf-8"))
    paragraphs = browser.script(
        "return Array.from(document.querySelectorAll('.introduction p, .tips li'))"
        ".map(p => p.textContent)")
    assert paragraphs == data["introduction"] + data["tips"]
    assert browser.script("return document.title") == "អ្នកគ្រប់គ្រងគណនី – Account Manager"


@pytest.mark.needs(*CHROMIUM)
def test_khmer_text_is_at_least_as_large_and_tall_as_in_the_pdf(browser, site):
    # The PDF sets body text at 11 pt (14.67 px) with line-height 1.65 (handout.css); the
    # English title and references may be set tighter.
    for width, height in SIZES:
        browser.size(width, height)
        browser.load(f"{site.as_uri()}/account-manager/index.html")
        sizes = browser.script(
            "return Array.from(document.querySelectorAll("
            "'article p:not([lang=en]), article li:not([lang=en])'))"
            ".map(e => { const s = getComputedStyle(e);"
            " return [parseFloat(s.fontSize), parseFloat(s.lineHeight)]; })")
        assert sizes
        for font_size, line_height in sizes:
            assert font_size >= 11 * 96 / 72 - 0.01 and line_height / font_size >= 1.65


@pytest.mark.needs(*CHROMIUM)
def test_every_text_is_drawn_with_the_sites_own_fonts(browser, site):
    # A phone without a Khmer font shows what the page brings: no text may fall back to a
    # font of the machine (isCustomFont is Chromium's word for a web font).
    browser.size(360, 800)
    driver = browser.driver
    for page in ("index.html", "account-manager/index.html"):
        browser.load(f"{site.as_uri()}/{page}")
        driver.execute_cdp_cmd("DOM.enable", {})
        driver.execute_cdp_cmd("CSS.enable", {})
        root = driver.execute_cdp_cmd("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        nodes = driver.execute_cdp_cmd("DOM.querySelectorAll", {
            "nodeId": root, "selector": "h1, h2, p, li, dt, dd, a, span, label"})["nodeIds"]
        assert len(nodes) > 10
        used = set()
        for node in nodes:
            fonts = driver.execute_cdp_cmd("CSS.getPlatformFontsForNode",
                                           {"nodeId": node})["fonts"]
            assert all(font["isCustomFont"] for font in fonts), (page, fonts)
            used.update(font["postScriptName"] for font in fonts)
        driver.execute_cdp_cmd("CSS.disable", {})
        driver.execute_cdp_cmd("DOM.disable", {})
        assert "NotoSansKhmer-Regular" in used, used


@pytest.mark.needs(*CHROMIUM)
def test_printed_from_the_browser_only_the_handout_shows(browser, site):
    browser.size(1280, 800)
    browser.load(f"{site.as_uri()}/account-manager/index.html")
    driver = browser.driver
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = browser.script(
            "return ['.site-bar', '.downloads', '.site-footer', 'article']"
            ".map(s => getComputedStyle(document.querySelector(s)).display !== 'none')")
        assert shown == [False, False, False, True]
        assert browser.script("return getComputedStyle(document.querySelector('h1')).color") \
            == "rgb(0, 0, 0)"
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def _visible_careers(browser) -> list[str]:
    return browser.script(
        "return Array.from(document.querySelectorAll('[data-career]'))"
        ".filter(li => li.offsetParent !== null)"
        ".map(li => li.querySelector('a').getAttribute('href'))")


@pytest.mark.needs(*CHROMIUM)
def test_the_search_box_filters_in_khmer_and_english(browser, site):
    from selenium.webdriver.common.by import By

    browser.size(360, 800)
    browser.load(f"{site.as_uri()}/index.html")
    everything = ["hostile/index.html", "farmer/index.html", "account-manager/index.html"]
    assert _visible_careers(browser) == everything
    box = browser.driver.find_element(By.ID, "search")
    for query, expected in (("គណនី", ["account-manager/index.html"]),
                            ("FARM", ["farmer/index.html"]),
                            ("account manager", ["account-manager/index.html"]),
                            ("<script>", ["hostile/index.html"]),
                            ("onmouseover=", ["hostile/index.html"]),
                            ("", everything)):
        box.clear()
        box.send_keys(query or " ")
        assert _visible_careers(browser) == expected, query
    box.send_keys("zzzz")
    assert _visible_careers(browser) == []
    assert "No career matches" in browser.script(
        "return document.querySelector('.search-status').textContent")
    assert browser.script("return document.querySelectorAll('script').length") == 1


@pytest.mark.needs(*CHROMIUM)
def test_a_hostile_title_is_shown_never_run(browser, site):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    marker = browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {
        "source": "window.alert = () => { window.__alerted = true; };"})
    try:
        for page, selector in (("index.html", "a[href^='hostile'] .title-other"),
                               ("hostile/index.html", "h1"),
                               ("hostile/index.html", ".title-other")):
            browser.load(f"{site.as_uri()}/{page}")
            element = browser.driver.find_element(By.CSS_SELECTOR, selector)
            ActionChains(browser.driver).move_to_element(element).perform()
            assert element.text in (HOSTILE_TITLE, HOSTILE_OTHER)
            assert browser.script("return window.__alerted === undefined") is True, page
        assert browser.script("return document.title") == f"{HOSTILE_TITLE} – {HOSTILE_OTHER}"
    finally:
        browser.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                                       {"identifier": marker["identifier"]})


def test_without_javascript_the_index_lists_everything(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    assert '<form class="search" role="search" hidden' in html  # shown by search.js only
    assert html.count("<li data-career>") == 3


@pytest.mark.needs(*CHROMIUM, "axe-core")
def test_axe_finds_no_serious_or_critical_violation(browser, site):
    for width, height in SIZES:
        browser.size(width, height)
        for page in PAGES:
            browser.load(f"{site.as_uri()}/{page}")
            assert browser.axe_violations() == [], (width, page)


@pytest.mark.needs(*CHROMIUM)
def test_screenshots_at_phone_width(browser, tmp_path):
    """Take the README's pictures, of the shipped source; UPDATE_DOCS=1 writes them into docs/."""
    from PIL import Image

    report = build([SHIPPED_SOURCE], "site", load_settings(), tmp_path / "out")
    assert not report.failed
    site = tmp_path / "out" / "site"
    browser.size(360, 800)
    for page, name in (("index.html", "site-index-360.png"),
                       ("account-manager/index.html", "site-handout-360.png")):
        browser.load(f"{site.as_uri()}/{page}")
        shot = tmp_path / name
        browser.driver.save_screenshot(str(shot))
        with Image.open(shot) as image:
            assert image.size == (360, 800)
            # A palette of 64 colours keeps the README's pictures small.
            image.convert("RGB").quantize(64).save(shot, optimize=True)
        if os.environ.get("UPDATE_DOCS"):
            shutil.copyfile(shot, ROOT / "docs" / name)
        assert (ROOT / "docs" / name).exists(), f"run UPDATE_DOCS=1 pytest {__file__}"
