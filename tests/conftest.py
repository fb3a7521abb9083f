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
