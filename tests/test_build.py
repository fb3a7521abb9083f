"""The batch: atomic writes, a bad source not stopping the others, the CLI and the Makefile."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from pipeline.build import write_atomically

CLI = [sys.executable, "-m", "pipeline"]


def _run(*args, cwd=ROOT, env=None):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_write_atomically_replaces_whole_files_only(tmp_path, monkeypatch):
    target = tmp_path / "out" / "a.pdf"
    write_atomically(target, b"first")
    assert target.read_bytes() == b"first"

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, b"second")
    assert target.read_bytes() == b"first"
    assert [p.name for p in target.parent.iterdir()] == ["a.pdf"]


def test_batch_builds_the_good_sources_and_reports_the_bad(tmp_path, source_copy):
    good = source_copy(handout_id="good-one")
    bad = source_copy({"page_budget": 1}, handout_id="too-long")
    broken = good.parent / "broken.yaml"
    broken.write_text("id: broken\nlanguage: km\ntitle: [\n", encoding="utf-8")
    result = _run("pdf", "--out", str(tmp_path / "out"), str(good.parent))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (tmp_path / "out" / "pdf" / "good-one.pdf").exists()
    assert not (tmp_path / "out" / "pdf" / "too-long.pdf").exists()
    assert f"{bad}: error: renders to 2 pages, budget is 1" in result.stderr
    assert f"{broken}:4:1: error: invalid YAML" in result.stderr
    assert "[1/2] " in result.stdout and "[2/2] " in result.stdout
    assert result.stdout.splitlines()[-1].startswith(
        "pdf: 2 files written from 3 sources, 2 errors")


def test_separate_runs_at_different_times_write_identical_bytes(tmp_path, source_copy):
    # In-process builds share caches and a clock reading; this is what a user sees:
    # two runs, seconds apart, with different hash seeds (set and dict order), and no
    # SOURCE_DATE_EPOCH, which some libraries (fontTools) would take instead of the clock.
    source = source_copy()
    digests = []
    for seed in ("1", "2"):
        env = {name: value for name, value in os.environ.items() if name != "SOURCE_DATE_EPOCH"}
        env["PYTHONHASHSEED"] = seed
        out = tmp_path / f"run-{seed}"
        for fmt in ("pdf", "docx"):
            result = _run(fmt, "-q", "--out", str(out), str(source), env=env)
            assert result.returncode == 0, result.stderr
        digests.append({path.relative_to(out): path.read_bytes()
                        for path in sorted(out.rglob("*")) if path.is_file()})
        time.sleep(1.1)  # a clock read anywhere would now differ
    assert [str(name) for name in digests[0]] == [
        "docx/account-manager.docx", "html/account-manager.html", "pdf/account-manager.pdf"]
    assert digests[0] == digests[1]


def test_cli_help_on_every_subcommand():
    for command in ("check", "pdf", "docx", "fix", "schema"):
        result = _run(command, "--help")
        assert result.returncode == 0
        assert f"usage: python -m pipeline {command}" in result.stdout


def test_check_prints_only_a_summary_on_the_shipped_sources():
    result = _run("check", "--strict")
    assert (result.returncode, result.stdout, result.stderr) == (
        0, "checked 1 source: 0 errors, 0 warnings\n", "")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_lists_every_target():
    result = subprocess.run(["make", "--no-print-directory", "help"], capture_output=True,
                            text=True, cwd=ROOT)
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ")}
    assert {"help", "check", "fix", "pdf", "print", "docx", "test", "schema", "bench",
            "clean"} <= listed
