"""Shared fixtures: paths into the repository and small source trees built per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import system_tools

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SEED = FIXTURES / "seed-account-manager.txt"
SHIPPED_SOURCE = ROOT / "sources" / "account-manager.yaml"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "needs(*tools): system tools the test runs (tools/test-tools.txt); without "
        "one it skips, or fails when CI is set")


def _needs(item) -> list[str]:
    return [tool for mark in item.iter_markers("needs") for tool in mark.args]


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what will not run
def pytest_collection_modifyitems(items):
    """Skip each test whose tools are missing, before its fixtures (and not under CI)."""
    if os.environ.get("CI"):
        return
    for item in items:
        if missing := system_tools.absent(*_needs(item)):
            item.add_marker(pytest.mark.skip(reason=system_tools.reason(missing)))


def pytest_runtest_setup(item):
    """Note the tools the test declared; under CI, fail it before its fixtures if one is missing."""
    system_tools.declared = set(_needs(item))
    system_tools.require(*_needs(item))


@pytest.hookimpl(wrapper=True, tryfirst=True)  # last: after the list of skipped tests
def pytest_terminal_summary(terminalreporter):
    yield
    if line := system_tools.summary():
        terminalreporter.write_line(line)


@pytest.fixture
def root() -> Path:
    return ROOT


def write_source(folder: Path, changes: dict | None = None, handout_id: str = "account-manager",
                 base: Path = SHIPPED_SOURCE) -> Path:
    """Write a copy of the shipped source with top-level keys replaced; return its path."""
    import yaml

    data = yaml.safe_load(base.read_text(encoding="utf-8"))
    data.update(changes or {})
    data["id"] = handout_id
    path = folder / f"{handout_id}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def source_copy(tmp_path):
    """Return a function that writes a modified copy of the shipped source into tmp_path."""

    def make(changes: dict | None = None, handout_id: str = "account-manager") -> Path:
        folder = tmp_path / "sources"
        folder.mkdir(exist_ok=True)
        return write_source(folder, changes, handout_id)

    return make


def write_fair_project(folder: Path) -> list[Path]:
    """Write the shipped source and two one-page test sources into folder/sources; return them.

    In Khmer dictionary order the pharmacist (ឱសថការី) comes first, then the account manager
    and the designer (អ្នក…); code point order would put the pharmacist last. The designer
    prints Khmer digits.
    """
    import yaml

    sources = folder / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_load(SHIPPED_SOURCE.read_text(encoding="utf-8"))

    def short(title: str, title_other: str, **extra) -> dict:
        # The first of everything: one page.
        return {"title": title, "title_other": title_other, "page_budget": 1,
                "introduction": data["introduction"][:1],
                "values": {"lead": data["values"]["lead"], "items": data["values"]["items"][:1]},
                "career_path": data["career_path"][:1], "tips": data["tips"][:1],
                "references": data["references"][:1],
                "salary": dict(data["salary"], narrative=data["salary"]["narrative"][:1]),
                **extra}

    return [write_source(sources),
            write_source(sources, short("ឱសថការី", "Pharmacist",
                                        more_info_url="https://example.org/pharmacist"),
                         "pharmacist"),
            write_source(sources, short("អ្នករចនា", "Designer", digits="khmer",
                                        more_info_url="https://example.org/designer"),
                         "designer")]


def copy_project(root: Path, dest: Path) -> Path:
    """Copy the project's code, templates, fonts, sources and settings to dest; return it.

    A command run with dest as its working folder imports the copy's pipeline (the working
    folder comes first on the path), so a test can change the code there and run it.
    """
    import shutil

    for name in ("pipeline", "templates", "fonts", "sources", "fairs", "branding", "tools"):
        shutil.copytree(root / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Makefile", "pyproject.toml", "handouts.yaml"):
        shutil.copy2(root / name, dest / name)
    return dest
