"""`serve`: a preview that rebuilds on save and shows a broken source's diagnostics."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser import CHROMIUM, Browser
from conftest import ROOT, SHIPPED_SOURCE

NEW_TEXT = "អត្ថបទថ្មីសម្រាប់ការសាកល្បង"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def _wait_for(url: str, text: str, seconds: float) -> float:
    """Return how long it took until the page at url contained text; fail after seconds."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if text in _get(url):
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.05)
    pytest.fail(f"{text!r} not in {url} after {seconds} s")


@pytest.fixture
def served(tmp_path):
    """Start `python -m pipeline serve` on a copy of the sources; yield (process, base, source)."""
    sources = tmp_path / "sources"
    sources.mkdir()
    source = sources / SHIPPED_SOURCE.name
    source.write_bytes(SHIPPED_SOURCE.read_bytes())
    port = _free_port()
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "serve", "--port", str(port),
         "--out", str(tmp_path / "out"), str(sources)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(base + "index.html", "អ្នកគ្រប់គ្រងគណនី", 60)  # the first, cold build
        yield process, base, source, tmp_path / "serve.log"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


def test_serve_rebuilds_on_save_shows_errors_and_stops_cleanly(served):
    process, base, source, log = served
    page = base + "account-manager/"
    html = _get(page)
    assert '<script src="/__serve/reload.js" defer></script>' in html  # only when serving
    assert "fetch(\"/__serve/version\"" in _get(base + "__serve/reload.js")
    version = _get(base + "__serve/version")

    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("introduction:\n  - ", f"introduction:\n  - {NEW_TEXT} ", 1),
                      encoding="utf-8")
    assert _wait_for(page, NEW_TEXT, 2.0) < 2.0
    # The version the open page polls changes with the build, so the page reloads itself.
    deadline = time.monotonic() + 1
    while _get(base + "__serve/version") == version and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _get(base + "__serve/version") != version

    source.write_text(text.replace("base_min: 43000", "base_min: 99000"), encoding="utf-8")
    message = ("account-manager.yaml:40:12: error: &#39;average&#39; in &#39;salary&#39; "
               "(62000) is below &#39;base_min&#39; (99000)")
    _wait_for(page, message, 2.0)
    assert "not built" in _get(page)
    assert message in _get(base)  # the index names it too
    time.sleep(0.3)
    # The terminal shows it as `make check` does.
    assert ("account-manager.yaml:40:12: error: 'average' in 'salary' (62000) is below "
            "'base_min' (99000); the figures must rise") in log.read_text(encoding="utf-8")

    # A new source that never built shows its problems at its own address too.
    (source.parent / "new-career.yaml").write_text("id: new-career\ntitle: [\n",
                                                   encoding="utf-8")
    _wait_for(base + "new-career/", "new-career.yaml:", 2.0)

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0
    assert log.read_text(encoding="utf-8").rstrip().endswith("stopped")


@pytest.mark.needs(*CHROMIUM)
def test_the_open_page_reloads_itself_after_a_save(served):
    _, base, source, _ = served
    browser = Browser()
    try:
        browser.load(base + "account-manager/")
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("title: អ្នកគ្រប់គ្រងគណនី", f"title: {NEW_TEXT}"),
                          encoding="utf-8")
        started = time.monotonic()
        while time.monotonic() - started < 3:
            if browser.script("return document.querySelector('h1').textContent") == NEW_TEXT:
                break
            time.sleep(0.1)
        assert browser.script("return document.querySelector('h1').textContent") == NEW_TEXT
    finally:
        browser.close()


def test_serve_listens_on_loopback_by_default():
    from pipeline.__main__ import _parser

    args = _parser().parse_args(["serve"])
    assert (args.host, args.port, args.sources) == ("127.0.0.1", 8000, Path("sources"))
