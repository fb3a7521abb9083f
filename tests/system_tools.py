"""The system tools the tests run: a test that needs a missing one skips, naming it.

Mark a test with `@pytest.mark.needs("pdftoppm", ...)`: conftest.py skips it before its
fixtures are set up, and ends the run with one line naming every missing tool and the
apt-get command that brings them. Under CI (CI set) such a test fails instead: CI installs
every tool. Tools are run through `run_tool()` or after `require()`, which fail a test that runs
a tool it did not declare, so that a forgotten mark shows on any machine, not only on one
that lacks the tool.

The tools and their Debian packages are listed once, in tools/test-tools.txt, which
`make test` reads to install them where it may (tools/ensure-system-packages --for-tests).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIST = ROOT / "tools" / "test-tools.txt"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def _read_list() -> dict[str, tuple[list[str], list[str]]]:
    """Return {tool: (its commands or path, its Debian packages)} from the shared list."""
    tools = {}
    for line in LIST.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            names = fields[0].split("|")
            tools[names[0]] = (names, fields[1:])
    return tools


TOOLS = _read_list()
# axe-core is no system tool: `npm ci` (which make test runs) brings it, given npm.
NPM_TOOLS = {"axe-core": AXE}
# Every tool a test of this run found missing, in the order first asked for.
missing: dict[str, None] = {}
# The tools the running test declared with its marks (set by conftest.py), or None.
declared: set[str] | None = None


def _found(tool: str) -> bool:
    if tool in NPM_TOOLS:
        return NPM_TOOLS[tool].is_file()
    names, _ = TOOLS[tool]
    if names[0].startswith("/"):
        return Path(names[0]).exists()
    return any(shutil.which(name) for name in names)


def absent(*tools: str) -> list[str]:
    """Return the tools not found, remembering them for the summary line."""
    if unknown := [tool for tool in tools if tool not in TOOLS and tool not in NPM_TOOLS]:
        raise ValueError(f"not in {LIST.relative_to(ROOT)}: {', '.join(unknown)}")
    found_missing = [tool for tool in tools if not _found(tool)]
    missing.update(dict.fromkeys(found_missing))
    return found_missing


def _packages(tools: list[str]) -> list[str]:
    packages = {}
    for tool in tools:
        if tool in TOOLS:
            packages.update(dict.fromkeys(TOOLS[tool][1]))
        elif not shutil.which("npm"):
            packages.update(dict.fromkeys(TOOLS["npm"][1]))
    return list(packages)


def reason(tools: list[str]) -> str:
    """Return why a test that needs these missing tools cannot run."""
    remedies = []
    if packages := _packages(tools):
        remedies.append(f"apt-get install {' '.join(packages)}")
    if any(tool in NPM_TOOLS for tool in tools):
        remedies.append("npm ci")
    return f"needs {', '.join(tools)}, not found ({', then '.join(remedies)})"


def require(*tools: str) -> None:
    """Skip the test, or fail it when CI is set, unless every tool is found."""
    if declared is not None and (undeclared := [t for t in tools if t not in declared]):
        marks = ", ".join(repr(tool) for tool in undeclared)
        pytest.fail(f"the test runs {', '.join(undeclared)}: mark it "
                    f"@pytest.mark.needs({marks})", pytrace=False)
    if not (tools := absent(*tools)):
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason(tools)}; under CI it must run: make test installs it as root",
                    pytrace=False)
    pytest.skip(reason(tools))


def run_tool(tool: str, *args: str) -> str:
    """Run a system tool the test needs; return what it printed."""
    require(tool)
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout


def summary() -> str | None:
    """Return the run's closing line: the missing tools and the command that brings them."""
    if not missing:
        return None
    tools = list(missing)
    remedies = []
    if packages := _packages(tools):
        remedies.append("sudo apt-get update && sudo apt-get install -y --no-install-recommends "
                        + " ".join(packages))
    if any(tool in NPM_TOOLS for tool in tools):
        remedies.append("npm ci (make test runs it)")
    return f"missing tools: {', '.join(tools)}; to run their tests: {', then '.join(remedies)}"
