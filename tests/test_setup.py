"""A fresh machine: the set-up script make runs first, and the tests without their tools."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

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


# --- the README's two commands on a fresh machine, without the test tools ----------------------

# A fresh Debian's PATH, with python3: the README's prerequisites (make, git) and the base
# system that make's recipes, the set-up script and the tests call. No poppler, LibreOffice,
# Chromium, npm or sudo.
FRESH_COMMANDS = ("make", "git", "bash", "sh", "env", "id", "dirname", "awk", "cat", "ls", "cp",
                  "mv", "rm", "mkdir", "touch", "apt-get", "dpkg-query")
# A test of each tool that conftest.py skips before its fixtures, and the poster's other
# tests, which need no tool and pass.
TOOL_TESTS = ("tests/test_poster.py",
              "tests/test_booklet.py::test_each_handout_has_the_text_and_line_breaks_of_its_own_pdf",
              "tests/test_import_docx.py::test_unedited_docx_saved_by_libreoffice_changes_nothing",
              "tests/test_site_browser.py::test_axe_finds_no_serious_or_critical_violation")
SUMMARY = ("missing tools: pdftoppm, pdftotext, soffice, chromium, chromedriver, axe-core; to "
           "run their tests: sudo apt-get update && sudo apt-get install -y "
           "--no-install-recommends poppler-utils libreoffice-writer-nogui chromium "
           "chromium-driver nodejs npm, then npm ci (make test runs it)")


def _top_level_ignored(folder: str, names: list[str]) -> set[str]:
    """Leave out of the copy what a fresh clone has not: outputs, caches, the venv, .git."""
    ignored = {name for name in names if name == "__pycache__"}
    if Path(folder) == ROOT:
        ignored |= {".git", ".venv", "output", "node_modules", ".pytest_cache", ".ruff_cache",
                    ".hypothesis"} & set(names)
        ignored |= {name for name in names if name.endswith(".egg-info")}
    return ignored


def _set_up_fresh_machine(top: Path):
    """Copy the repository into top; return a function running make there as a new user.

    The user may not install (nobody, when the tests run as root) and the PATH holds only
    FRESH_COMMANDS and python3. The Python packages are this run's own (the venv's entries
    linked, a new stamp): they are not what is tested here, and installing them again needs
    the network.
    """
    copy = top / "repo"
    shutil.copytree(ROOT, copy, ignore=_top_level_ignored)
    venv = copy / ".venv"
    venv.mkdir()
    for entry in Path(sys.prefix).iterdir():
        if entry.name not in (".installed", "pip.log"):
            (venv / entry.name).symlink_to(entry)
    (venv / ".installed").touch()
    path = top / "bin"
    path.mkdir()
    for command in FRESH_COMMANDS:
        (path / command).symlink_to(shutil.which(command))
    # And python3: this run's interpreter, whatever a version manager would put first.
    (path / "python3").symlink_to(os.path.realpath(sys.executable))
    (top / "home").mkdir()
    as_user = []
    if os.getuid() == 0:
        # nobody may read every folder: this run's Python may live in root's home (pyenv).
        # Writing outside the copy, and installing, stay out of its reach.
        as_user = [shutil.which("setpriv"), "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                   "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
        for folder, _, files in os.walk(top):
            for name in (folder, *(os.path.join(folder, file) for file in files)):
                os.chown(name, 65534, 65534, follow_symlinks=False)

    def make(*args: str, ci: bool = False) -> subprocess.CompletedProcess:
        env = {"PATH": str(path), "HOME": str(top / "home"), "LANG": "C.UTF-8",
               **({"CI": "true"} if ci else {})}
        return subprocess.run([*as_user, "make", *args], cwd=copy, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)

    return make


@pytest.fixture(scope="module")
def fresh_machine():
    """Yield a function running make in a copy of the repository on a 'fresh machine'."""
    top = Path(tempfile.mkdtemp(prefix="fresh-machine-"))
    try:
        yield _set_up_fresh_machine(top)
    finally:  # after a failed set-up too: the copy is large
        shutil.rmtree(top)


def test_on_a_fresh_machine_make_pdf_builds_and_make_test_skips_what_it_cannot_run(
        fresh_machine):
    built = fresh_machine("pdf")
    assert built.returncode == 0, built.stdout
    assert "pdf: 2 built, 0 failed" in built.stdout
    tested = fresh_machine("test", f"PYTEST_ARGS={' '.join(TOOL_TESTS)}")
    assert tested.returncode == 0, tested.stdout
    lines = tested.stdout.splitlines()
    # make names what is missing and goes on (the font folder too, where it is missing)
    assert any(line.startswith("missing test tools: pdftoppm, pdftotext, pdffonts, pdfinfo, "
                               "soffice, chromium, chromedriver, npm") for line in lines)
    assert "npm not found: the accessibility test will skip" in lines
    skipped = [line for line in lines if line.startswith("SKIPPED")]
    for tool, packages in (("pdftoppm", "poppler-utils"), ("pdftotext", "poppler-utils"),
                           ("soffice", "libreoffice-writer-nogui")):
        assert any(re.fullmatch(rf"SKIPPED \[\d\] tests/test_\w+\.py:\d+: needs {tool}, "
                                rf"not found \(apt-get install {packages}\)", line)
                   for line in skipped), (tool, skipped)
    assert re.fullmatch(r"=+ \d+ passed, 9 skipped in .* =+", lines[-1])
    assert lines[-2] == SUMMARY


def test_on_a_fresh_machine_under_ci_a_missing_tool_fails_the_run(fresh_machine):
    tested = fresh_machine("test", f"PYTEST_ARGS={' '.join(TOOL_TESTS)}", ci=True)
    assert tested.returncode == 2, tested.stdout
    lines = tested.stdout.splitlines()
    assert ("ERROR tests/test_poster.py::test_every_code_decodes_to_the_configured_online_page"
            " - Failed: needs pdftoppm, not found (apt-get install poppler-utils); under CI it "
            "must run: make test installs it as root") in lines
    assert re.fullmatch(r"=+ 1 passed, 9 errors in .* =+", lines[-2])
    assert lines[-3] == SUMMARY
