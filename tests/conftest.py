"""Shared fixtures: paths into the repository and small source trees built per test."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SEED = FIXTURES / "seed-account-manager.txt"
SHIPPED_SOURCE = ROOT / "sources" / "account-manager.yaml"


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
