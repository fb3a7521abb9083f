#!/usr/bin/env python3
"""The golden tree: what the shipped sources build to, normalised, checked in tests/golden/.

An unintended change to any output then shows as a diff in review. The tree holds each
shipped source's HTML (the PDF's), its web page, the site's index, and its DOCX's
document.xml and styles.xml, pretty-printed. `make golden` (this script with --update)
writes it after an intended change; tests/test_golden.py compares a fresh build with it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
# Fixed, so that the tree does not follow the sources' commit dates.
EPOCH = "1767225600"  # 2026-01-01


def _pretty_xml(data: bytes) -> bytes:
    from lxml import etree

    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False)
    return etree.tostring(etree.fromstring(data, parser), pretty_print=True,
                          encoding="UTF-8", xml_declaration=True)


def golden_files() -> dict[str, bytes]:
    """Build the shipped sources in a temporary folder; return the golden files by name."""
    sys.path.insert(0, str(ROOT))
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    from pipeline.build import build
    from pipeline.config import load_settings

    sources = sorted((ROOT / "sources").glob("*.yaml"))
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        report = build(sources, ["pdf", "docx", "site"], load_settings(), out)
        problems = [str(d) for d in report.diagnostics if d.is_error]
        if problems:
            raise SystemExit("\n".join(problems))
        for source in sources:
            handout = source.stem
            files[f"{handout}.html"] = (out / "html" / f"{handout}.html").read_bytes()
            files[f"{handout}.site.html"] = (out / "site" / handout / "index.html").read_bytes()
            with zipfile.ZipFile(out / "docx" / f"{handout}.docx") as package:
                for part in ("document", "styles"):
                    files[f"{handout}.docx.{part}.xml"] = _pretty_xml(
                        package.read(f"word/{part}.xml"))
        files["site-index.html"] = (out / "site" / "index.html").read_bytes()
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="write tests/golden/")
    args = parser.parse_args()
    files = golden_files()
    if args.update:
        for stale in GOLDEN.glob("*"):
            if stale.name not in files:
                stale.unlink()
        GOLDEN.mkdir(exist_ok=True)
        for name, data in files.items():
            (GOLDEN / name).write_bytes(data)
        print(f"wrote {len(files)} files to {GOLDEN.relative_to(ROOT)}/")
        return 0
    changed = [name for name, data in files.items()
               if not (GOLDEN / name).exists() or (GOLDEN / name).read_bytes() != data]
    for name in changed:
        print(f"tests/golden/{name}: differs; review the change, then run 'make golden'")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
