"""Writing outputs: whole files, a handout's files together, and a killed build's leftovers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from pipeline import outputs
from pipeline.outputs import recover, write_atomically, write_together


def _files(folder: Path) -> dict[str, bytes]:
    """Return the outputs in folder (not the build's state, not temporary files)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".build" not in p.parts and not p.name.endswith(".tmp")}


def test_a_failure_while_writing_keeps_every_old_file(tmp_path, monkeypatch):
    html, pdf = tmp_path / "html" / "a.html", tmp_path / "pdf" / "a.pdf"
    write_together(tmp_path, {html: b"old html", pdf: b"old pdf"})
    real = outputs._temporary_beside

    def disk_full(path, data, sync):
        if path == pdf:
            raise OSError(28, "No space left on device")
        return real(path, data, sync)

    monkeypatch.setattr(outputs, "_temporary_beside", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_together(tmp_path, {html: b"new html", pdf: b"new pdf"})
    assert _files(tmp_path) == {"html/a.html": b"old html", "pdf/a.pdf": b"old pdf"}
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_build_killed_between_renames_is_completed_by_the_next(tmp_path, monkeypatch):
    html, pdf = tmp_path / "html" / "a.html", tmp_path / "pdf" / "a.pdf"
    write_together(tmp_path, {html: b"old html", pdf: b"old pdf"})
    real = os.replace
    calls = []

    def killed_after_first_rename(source, target):
        if str(source).endswith(".tmp") and "journal" not in str(source):
            calls.append(target)
            if len(calls) == 2:
                raise KeyboardInterrupt  # stands for SIGKILL: nothing after it runs
        return real(source, target)

    monkeypatch.setattr(os, "replace", killed_after_first_rename)
    with pytest.raises(KeyboardInterrupt):
        write_together(tmp_path, {html: b"new html", pdf: b"new pdf"})
    monkeypatch.setattr(os, "replace", real)
    # Half replaced now; the next build's recovery finishes what the journal decided.
    assert _files(tmp_path) == {"html/a.html": b"new html", "pdf/a.pdf": b"old pdf"}
    assert recover(tmp_path, ["html", "pdf"]) == [pdf]
    assert _files(tmp_path) == {"html/a.html": b"new html", "pdf/a.pdf": b"new pdf"}
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob("journal-*"))


def test_recovery_removes_temporary_files_no_journal_names(tmp_path):
    (tmp_path / "pdf").mkdir()
    leftover = tmp_path / "pdf" / ".x.pdf.abc123.tmp"
    leftover.write_bytes(b"half a pdf")
    elsewhere = tmp_path / "notes" / ".draft.tmp"  # not a folder the build writes
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"someone's")
    recover(tmp_path, ["pdf"])
    assert not leftover.exists() and elsewhere.exists()


def test_write_atomically_replaces_whole_files_only(tmp_path, monkeypatch):
    target = tmp_path / "out" / "a.pdf"
    write_atomically(target, b"first")

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, b"second")
    assert target.read_bytes() == b"first"
    assert [p.name for p in target.parent.iterdir()] == ["a.pdf"]


def _build(sources: Path, out: Path, jobs: int = 2) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", "build", "-q", "--jobs",
                             str(jobs), "--out", str(out), str(sources)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def test_sigkill_at_any_moment_leaves_whole_old_or_whole_new_files(tmp_path, source_copy):
    names = ("one", "two", "three", "four")
    paths = [source_copy(handout_id=name) for name in names]
    built = tmp_path / "built"
    assert _build(paths[0].parent, built).wait() == 0
    old = _files(built)
    for path in paths:
        path.write_text(path.read_text(encoding="utf-8").replace(
            "tips:\n", "tips:\n- ការកែប្រែ។\n", 1), encoding="utf-8")
    reference = tmp_path / "reference"
    assert _build(paths[0].parent, reference).wait() == 0
    new = _files(reference)
    # Killed early (workers starting), in the middle and late (writing): each time only
    # whole files, old or new.
    for number, delay in enumerate((0.3, 1.0, 1.8, 2.6)):
        out = tmp_path / f"out-{number}"
        shutil.copytree(built, out)
        process = _build(paths[0].parent, out)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for name, data in _files(out).items():
            assert data in (old[name], new[name]), f"{name} is neither old nor new ({delay} s)"
    # The next build completes the work and leaves no temporary file behind.
    assert _build(paths[0].parent, out).wait() == 0
    assert _files(out) == new
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_ctrl_c_stops_the_pool_and_leaves_no_partial_file(tmp_path, source_copy):
    paths = [source_copy(handout_id=f"handout-{n}") for n in range(6)]
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "build", "--jobs", "2",
                                "--out", str(out), str(paths[0].parent)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    time.sleep(2.0)
    os.killpg(process.pid, signal.SIGINT)  # what the terminal sends to the whole group
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.splitlines()[-1] == "interrupted"
    assert "Traceback" not in stderr
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    for pdf in out.glob("pdf/*.pdf"):
        assert pdf.read_bytes().rstrip().endswith(b"%%EOF")
