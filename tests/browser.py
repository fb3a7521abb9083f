"""Headless Chromium for the site's tests: Debian's chromium driven by its chromedriver.

Nothing is downloaded: both binaries are named, so Selenium never looks for a driver of its
own. Mark a test that opens one with @pytest.mark.needs(*CHROMIUM): without them it skips,
naming them, except in CI (CI is set), where it fails (see system_tools.py).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field

from system_tools import AXE, require

CHROMIUM = ("chromium", "chromedriver")
# As root in a container: no sandbox, no GPU, and nothing that talks to the network on its own.
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--disable-default-apps", "--disable-extensions", "--mute-audio")


def _binary(*names: str) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Load:
    """What a page load asked for and what failed."""

    requests: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class Browser:
    """One Chromium for a test module, with the network log of each page load."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        require(*CHROMIUM)
        chromium = _binary("chromium", "chromium-browser")
        driver = _binary("chromedriver")
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={self.profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(driver), options=options)
        self.driver.get("about:blank")
        self.driver.get_log("performance")  # drop what the browser did while starting

    def close(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)

    def size(self, width: int, height: int) -> None:
        """Make the page's viewport width × height CSS pixels."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1,
            "mobile": width < 600})

    def load(self, url: str) -> Load:
        """Open url, wait for its fonts, and return the requests it made."""
        self.driver.get_log("performance")
        self.driver.get(url)
        self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "document.fonts.ready.then(() => done(true));")
        load = Load()
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message["method"] == "Network.requestWillBeSent":
                load.requests.append(params["request"]["url"])
            elif message["method"] == "Network.loadingFailed":
                load.failures.append(f"{params.get('type')}: {params.get('errorText')} "
                                     f"{params.get('blockedReason') or ''}")
            elif message["method"] == "Network.responseReceived":
                status = params["response"].get("status", 200)
                if status >= 400:
                    load.failures.append(f"{params['response']['url']}: HTTP {status}")
        return load

    def script(self, source: str, *args):
        return self.driver.execute_script(source, *args)

    def axe_violations(self) -> list[str]:
        """Run axe-core on the open page; return its serious and critical violations."""
        require("axe-core")
        self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
            " nodes: v.nodes.map(n => n.target.join(' '))}))))"
            ".catch(e => done([{id: 'axe failed: ' + e, impact: 'critical', nodes: []}]));")
        return [f"{v['impact']} {v['id']}: {', '.join(v['nodes'][:3])}" for v in result
                if v["impact"] in ("serious", "critical")]
