"""A build touches nothing it should not: no network, no reads outside the project's inputs and
its own environment, no writes outside output/ and temporary files it removes.

The build runs in a subprocess under an audit hook (sys.addaudithook) that records every
Python-level open, and refuses, and records, every socket.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

AUDITED_BUILD = r"""
import json, os, sys

opened, sockets, done = [], [], []

def audit(event, args):
    if done:
        return
    if event == "open":
        path, mode, flags = args
        if isinstance(path, (str, bytes, os.PathLike)):
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
            opened.append([os.path.abspath(os.fsdecode(path)), bool(writes)])
    elif event.startswith("socket."):
        sockets.append(event)
        raise PermissionError(f"no network in this test: {event}")

sys.addaudithook(audit)
from pipeline.__main__ import main

out = sys.argv[1]
# One process (--jobs 1): the hook sees all the rendering, which workers would do unseen.
status = [main(["pdf", "-q", "--jobs", "1", "--out", out, "sources"]),
          main(["docx", "-q", "--jobs", "1", "--out", out, "sources"])]
done.append(True)
with open(sys.argv[2], "w", encoding="utf-8") as report:
    json.dump({"status": status, "opened": opened, "sockets": sockets}, report)
"""


def _inside(path: str, folders: list[Path]) -> bool:
    return any(Path(path) == folder or Path(path).is_relative_to(folder) for folder in folders)


def test_a_build_stays_in_its_sandbox(tmp_path):
    temporary = tmp_path / "tmp"  # the build's TMPDIR: what is left there was not removed
    temporary.mkdir()
    out = tmp_path / "output"
    report = tmp_path / "report.json"
    env = {**os.environ, "TMPDIR": str(temporary), "PYTHONDONTWRITEBYTECODE": "1",
           "SOURCE_DATE_EPOCH": "1700000000"}
    result = subprocess.run([sys.executable, "-c", AUDITED_BUILD, str(out), str(report)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    found = json.loads(report.read_text(encoding="utf-8"))
    assert found["status"] == [0, 0], result.stderr
    assert found["sockets"] == []

    environment = [Path(p).resolve() for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    inputs = [ROOT / name for name in ("sources", "templates", "fonts", "pipeline",
                                       "handouts.yaml", "words.txt", "branding")]
    # Python's mimetypes (used by WeasyPrint) reads the system's table; /dev/null is where
    # the CLI sends output nobody reads.
    system = [Path("/etc/mime.types"), Path("/dev/null")]
    reads = [path for path, writes in found["opened"] if not writes]
    writes = [path for path, writes in found["opened"] if writes]
    assert reads and writes
    assert [p for p in reads if not _inside(p, [*inputs, *environment, *system, temporary,
                                                 out])] == []
    assert [p for p in writes if not _inside(p, [out, temporary, Path("/dev/null")])] == []
    # Temporary files were written, and every one of them was removed.
    assert any(_inside(p, [temporary]) for p in writes)
    assert list(temporary.iterdir()) == []
    # The outputs, and the build's own state (its manifest and font cache) under .build/.
    shipped = sorted(path.stem for path in (ROOT / "sources").glob("*.yaml"))
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")
                  if p.is_file() and ".build" not in p.parts) == sorted(
        f"{folder}/{name}.{ext}" for name in shipped
        for folder, ext in (("docx", "docx"), ("html", "html"), ("pdf", "pdf")))
    assert (out / ".build" / "manifest.json").is_file()


def test_the_sandbox_sees_a_socket_and_a_stray_read(tmp_path):
    """Prove the audit above can fail: a socket and a read outside the inputs are seen."""
    script = AUDITED_BUILD.replace(
        "from pipeline.__main__ import main",
        "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9))\n"
        "except OSError:\n    pass\ntry:\n    open('/etc/passwd').close()\n"
        "except OSError:\n    pass\n"
        "from pipeline.__main__ import main")
    report = tmp_path / "report.json"
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "out"), str(report)],
                   cwd=ROOT, capture_output=True, text=True, timeout=300,
                   env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    found = json.loads(report.read_text(encoding="utf-8"))
    assert found["sockets"]
    assert "/etc/passwd" in [path for path, _ in found["opened"]]
