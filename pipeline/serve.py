"""Serve the site while writing: rebuild what changed on save, reload the open page.

`serve` builds the site once, then watches the sources, templates, fonts, fairs and
handouts.yaml. A change runs the build plan in this process (so only what changed is
rendered, by warm renderers) and bumps a version number; the pages served here carry one
extra script, only in this mode, that polls that number and reloads the page. A handout
whose source has errors is shown as its diagnostics instead. Nothing here prints: the CLI
passes `say` for the terminal.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .config import FONTS_DIR, SETTINGS_FILE, TEMPLATES_DIR
from .errors import PipelineError
from .model import Diagnostic

POLL_SECONDS = 0.2  # how often the files are looked at: a save shows within a second
RELOAD_PATH = "/__serve/reload.js"
VERSION_PATH = "/__serve/version"
# Polls the version and reloads when it changes; a same-origin file, so the site's
# Content-Security-Policy allows it without any change.
RELOAD_SCRIPT = b"""// Only in `make serve`: reload this page when the site has been rebuilt.
(function () {
  "use strict";
  var seen = null;
  function poll() {
    fetch("/__serve/version", {cache: "no-store"})
      .then(function (response) { return response.text(); })
      .then(function (version) {
        if (seen !== null && version !== seen) { location.reload(); }
        seen = version;
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, 300); });
  }
  poll();
})();
"""


@dataclass
class State:
    """What the last build gave: the version pages poll, and the problems per handout."""

    version: int = 0
    errors: dict[str, list[str]] = field(default_factory=dict)  # handout id → diagnostics
    project_error: str | None = None  # the whole project could not be built
    lock: threading.Lock = field(default_factory=threading.Lock)


def watched_files(sources: Path) -> dict[Path, tuple[int, int]]:
    """Return every watched file with its modification time and size."""
    stamps = {}
    folders = (sources, TEMPLATES_DIR, FONTS_DIR, sources.resolve().parent / "fairs")
    candidates = [SETTINGS_FILE]
    for folder in folders:
        if folder.is_dir():
            candidates.extend(path for path in folder.rglob("*") if path.is_file())
    for path in candidates:
        try:
            status = path.stat()
        except OSError:
            continue
        stamps[path] = (status.st_mtime_ns, status.st_size)
    return stamps


class Server:
    """The preview server and its watcher."""

    def __init__(self, sources: Path, out_dir: Path, host: str, port: int,
                 overrides: dict, display: Callable[[Path], str],
                 say: Callable[[str, bool], None]) -> None:
        self.sources, self.out_dir, self.overrides = sources, out_dir, overrides
        self.display, self.say = display, say
        self.state = State()
        self.stop = threading.Event()
        handler = _handler(out_dir / "site", self.state, self)
        self.httpd = http.server.ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True

    @property
    def address(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def rebuild(self) -> None:
        """Run the build plan for the site; remember and report its problems."""
        from . import plan, render_site
        from .build import build
        from .config import load_settings

        # Templates, fonts and settings may have changed under this long-lived process.
        plan.shared_digest.cache_clear()
        render_site.site_labels.cache_clear()
        started = time.monotonic()
        files = sorted(f for f in self.sources.glob("*.yaml") if not f.name.startswith("."))
        errors: dict[str, list[str]] = {}
        project_error = None
        try:
            settings = load_settings(**self.overrides)
            report = build(files, ["site"], settings, self.out_dir, display=self.display,
                           progress=lambda line: self.say(line, False), jobs=1,
                           whole_folders=True)
            diagnostics: list[Diagnostic] = report.diagnostics
        except PipelineError as exc:
            project_error, diagnostics = f"error: {exc}", []
        for diagnostic in diagnostics:
            self.say(str(diagnostic), True)
        for diagnostic in diagnostics:
            if diagnostic.is_error:
                handout_id = Path(diagnostic.path).stem
                errors.setdefault(handout_id, []).append(str(diagnostic))
        if project_error:
            self.say(project_error, True)
        failed = sum(len(lines) for lines in errors.values()) + bool(project_error)
        warnings = sum(not d.is_error for d in diagnostics)
        self.say(f"site: rebuilt in {time.monotonic() - started:.1f} s, "
                 f"{failed} error{'' if failed == 1 else 's'}, "
                 f"{warnings} warning{'' if warnings == 1 else 's'}", False)
        with self.state.lock:
            self.state.errors = errors
            self.state.project_error = project_error
            self.state.version += 1

    def watch(self) -> None:
        """Rebuild whenever a watched file changes, until stopped."""
        seen = watched_files(self.sources)
        while not self.stop.wait(POLL_SECONDS):
            now = watched_files(self.sources)
            if now != seen:
                changed = {path for path, _ in set(now.items()) ^ set(seen.items())}
                seen = now
                self.say("changed: " + ", ".join(sorted(map(self.display, changed))), False)
                try:
                    self.rebuild()
                except Exception as exc:  # a bug of ours must not end the preview
                    self.say(f"error: internal error: {type(exc).__name__}: {exc}", True)

    def run(self) -> None:
        """Build, then serve and watch until Ctrl-C (KeyboardInterrupt) or `close`."""
        self.rebuild()
        watcher = threading.Thread(target=self.watch, name="watch", daemon=True)
        watcher.start()
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self.stop.set()
            watcher.join(timeout=5)
            self.httpd.server_close()

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()


def _handler(site: Path, state: State, server: Server):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, *args) -> None:
            pass  # the terminal shows builds and their problems, not every request

        def end_headers(self) -> None:
            # A preview is always fresh: the browser must not keep an old font or page.
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            path = unquote(urlsplit(self.path).path)
            if path == VERSION_PATH:
                with state.lock:
                    return self._send(str(state.version).encode(), "text/plain")
            if path == RELOAD_PATH:
                return self._send(RELOAD_SCRIPT, "text/javascript")
            parts = [part for part in path.split("/") if part]
            page = path.endswith("/") or path.endswith(".html")
            with state.lock:
                errors = state.errors.get(parts[0]) if parts else None
                project_error = state.project_error
            if page and (project_error or (errors and len(parts) <= 2)):
                depth = len(parts) - (0 if path.endswith("/") else 1)
                return self._diagnostics(parts[0] if errors else "site",
                                         [project_error] if project_error else errors,
                                         "../" * depth)
            if page:
                file = Path(self.translate_path(path))
                if file.is_dir():
                    file = file / "index.html"
                if file.is_file():
                    html = file.read_bytes()
                    if len(parts) <= 1:  # the index names every source that has errors
                        with state.lock:
                            html = _with_problems(html, state.errors)
                    return self._send(_with_reload(html), "text/html")
            return super().do_GET()

        def _diagnostics(self, title: str, lines: Sequence[str], root: str) -> None:
            from .config import load_settings
            from .render_site import render_diagnostics

            try:
                settings = load_settings(**server.overrides)
            except PipelineError:
                from .config import Settings

                settings = Settings()
            html = render_diagnostics(title, lines, settings, root=root)
            self._send(_with_reload(html.encode("utf-8")), "text/html")

        def _send(self, data: bytes, media_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", f"{media_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _with_problems(html: bytes, errors: dict[str, list[str]]) -> bytes:
    """Return the index with the problems of every source that was not built, on top."""
    if not errors:
        return html
    from markupsafe import escape

    lines = "\n".join(str(escape(line)) for id_ in sorted(errors) for line in errors[id_])
    block = (f'<main id="main">\n    <section class="diagnostics" lang="en">'
             f"<h2>Not built: sources with errors</h2><pre>{lines}</pre></section>")
    return html.replace(b'<main id="main">', block.encode("utf-8"), 1)


def _with_reload(html: bytes) -> bytes:
    """Return a page with the reload script added (only served here, never written)."""
    tag = f'<script src="{RELOAD_PATH}" defer></script>\n</head>'.encode()
    return html.replace(b"</head>", tag, 1)

