"""The set-up script that make runs first on a fresh machine, and the tests' tools."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
import system_tools
from conftest import ROOT

SCRIPT = ROOT / "tools" / "ensure-system-packages"


def _fake_bin(tmp_path, uid: int, sudo_works: bool, ldconfig: str | None):
    folder = tmp_path / "bin"
    folder.mkdir()
    scripts = {"id": f"echo {uid}", "sudo": "exit 0" if sudo_works else "exit 1",
               "apt-get": 'echo "apt-get $*" >> "$APT_LOG"'}
    if ldconfig is not None:
        scripts["ldconfig"] = ldconfig
    for name, body in scripts.items():
        path = folder / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return folder


def _run(tmp_path, uid: int, sudo_works: bool, *packages: str, ldconfig: str | None = None):
    folder = _fake_bin(tmp_path, uid, sudo_works, ldconfig)
    env = {**os.environ, "PATH": f"{folder}:{os.environ['PATH']}",
           "APT_LOG": str(tmp_path / "apt.log")}
    return subprocess.run([str(SCRIPT), *packages], capture_output=True, text=True, env=env)


def test_nothing_to_do_when_everything_is_installed(tmp_path):
    result = _run(tmp_path, 1000, False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_a_library_cache_larger_than_a_pipe_is_read_whole(tmp_path):
    # With `ldconfig -p | grep -q` under pipefail, grep leaves at the first match and
    # ldconfig dies of SIGPIPE once its output outgrows the pipe: the libraries then
    # looked missing at random (it failed CI once).
    cache_listing = (
        'for name in libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0; do\n'
        '  echo "\t$name (libc6,x86-64) => /lib/$name"\n'
        'done\n'
        'seq 1 200000 | sed "s|.*|\tlibfiller&.so (libc6,x86-64) => /lib/libfiller&.so|"')
    result = _run(tmp_path, 1000, False, ldconfig=cache_listing)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_without_root_or_sudo_it_prints_the_command_to_run(tmp_path):
    result = _run(tmp_path, 1000, False, "no-such-package-here")
    assert result.returncode == 1
    assert result.stderr == (
        "error: missing system packages: no-such-package-here\n"
        "run this once, then 'make' again:\n"
        "    sudo apt-get update && sudo apt-get install -y --no-install-recommends "
        "no-such-package-here\n")
    assert not (tmp_path / "apt.log").exists()


def test_as_root_it_installs_what_is_missing(tmp_path):
    result = _run(tmp_path, 0, False, "no-such-package-here")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "apt.log").read_text() == (
        "apt-get update -qq\n"
        "apt-get install -y --no-install-recommends no-such-package-here\n")


# --- --for-tests: the tools the tests use (make test) ------------------------------------------

TOOLS_LIST = """\
# tool                     packages
pdftoppm                   poppler-utils
pdftotext                  poppler-utils
chromium|chromium-browser  chromium
npm                        nodejs npm  # a comment
/no/such/fonts             fonts-x
bash                       bash
"""


def _run_for_tests(tmp_path, uid: int, sudo_works: bool, ldconfig: str | None = None):
    """Run --for-tests with a PATH that holds only the fakes and what the script itself runs."""
    folder = _fake_bin(tmp_path, uid, sudo_works, ldconfig)
    for command in ("bash", "dirname"):
        (folder / command).symlink_to(shutil.which(command))
    (tmp_path / "tools.txt").write_text(TOOLS_LIST)
    env = {**os.environ, "PATH": str(folder), "APT_LOG": str(tmp_path / "apt.log"),
           "TEST_TOOLS_LIST": str(tmp_path / "tools.txt"), "PYTHON": sys.executable}
    return subprocess.run([str(SCRIPT), "--for-tests"], capture_output=True, text=True, env=env)


def test_for_tests_without_root_or_sudo_it_names_the_missing_tools_and_goes_on(tmp_path):
    result = _run_for_tests(tmp_path, 1000, False)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == (
        "missing test tools: pdftoppm, pdftotext, chromium, npm, /no/such/fonts; the tests that "
        "need them will skip. To run them too:\n"
        "    sudo apt-get update && sudo apt-get install -y --no-install-recommends "
        "poppler-utils chromium nodejs npm fonts-x\n")
    assert not (tmp_path / "apt.log").exists()


def test_for_tests_as_root_it_installs_the_missing_tools(tmp_path):
    result = _run_for_tests(tmp_path, 0, False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "apt.log").read_text() == (
        "apt-get update -qq\n"
        "apt-get install -y --no-install-recommends poppler-utils chromium nodejs npm fonts-x\n")


def test_for_tests_without_pango_it_still_stops(tmp_path):
    result = _run_for_tests(tmp_path, 1000, False, ldconfig="true")
    assert result.returncode == 1
    assert result.stderr == (
        "error: missing system packages: libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 "
        "poppler-utils chromium nodejs npm fonts-x\n"
        "run this once, then 'make' again:\n"
        "    sudo apt-get update && sudo apt-get install -y --no-install-recommends "
        "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils chromium nodejs npm "
        "fonts-x\n")


def test_the_tests_read_the_list_the_script_installs_from():
    assert system_tools.LIST.parent == SCRIPT.parent
    assert 'TEST_TOOLS_LIST:-$(dirname "$0")/test-tools.txt' in SCRIPT.read_text()
    assert system_tools.LIST.name == "test-tools.txt"
    assert system_tools.TOOLS["pdftoppm"] == (["pdftoppm"], ["poppler-utils"])
    assert system_tools.TOOLS["chromium"] == (["chromium", "chromium-browser"], ["chromium"])
    assert system_tools.TOOLS["npm"] == (["npm"], ["nodejs", "npm"])


# --- the tests' side: a test that runs a tool declares it --------------------------------------


def test_a_tool_the_test_did_not_declare_fails_it(monkeypatch):
    monkeypatch.setattr(system_tools, "declared", {"pdftotext"})
    with pytest.raises(pytest.fail.Exception,
                       match=re.escape("the test runs pdftoppm: mark it "
                                       "@pytest.mark.needs('pdftoppm')")):
        system_tools.require("pdftotext", "pdftoppm")


def test_a_tool_not_in_the_list_is_a_mistake():
    with pytest.raises(ValueError, match=r"not in tools/test-tools.txt: pdftopng"):
        system_tools.absent("pdftopng")
