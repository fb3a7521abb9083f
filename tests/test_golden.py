"""The golden tree: a fresh build of the shipped sources equals tests/golden/ (make golden)."""

from __future__ import annotations

import difflib
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _golden_module():
    spec = importlib.util.spec_from_file_location("golden", ROOT / "tools" / "golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_sources_build_to_the_golden_tree(monkeypatch):
    golden = _golden_module()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", golden.EPOCH)
    built = golden.golden_files()
    kept = {path.name: path.read_bytes() for path in golden.GOLDEN.iterdir()}
    assert sorted(built) == sorted(kept), "run 'make golden' after adding or removing a source"
    for name, data in built.items():
        if data != kept[name]:
            diff = "".join(list(difflib.unified_diff(
                kept[name].decode("utf-8").splitlines(keepends=True),
                data.decode("utf-8").splitlines(keepends=True),
                f"tests/golden/{name}", "built"))[:60])
            raise AssertionError(f"{name} differs from the golden tree; if the change is "
                                 f"meant, run 'make golden' and commit it:\n{diff}")
