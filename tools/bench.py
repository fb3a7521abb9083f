"""Time batch rendering: one process for a batch versus one process per handout.

Machines here are shared and noisy, so report medians and the ratio measured in the same run,
not absolute seconds. Usage: python tools/bench.py [--runs N] [--handouts N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "sources" / "account-manager.yaml"


def _batch(folder: Path, count: int) -> list[Path]:
    text = SOURCE.read_text(encoding="utf-8")
    paths = []
    for number in range(count):
        handout_id = f"bench-{number:03d}"
        path = folder / f"{handout_id}.yaml"
        path.write_text(text.replace("id: account-manager", f"id: {handout_id}", 1),
                        encoding="utf-8")
        paths.append(path)
    return paths


def _time(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--handouts", type=int, default=10)
    args = parser.parse_args()
    python = [sys.executable, "-m", "pipeline"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sources"
        folder.mkdir()
        sources = [str(p) for p in _batch(folder, args.handouts)]
        out = str(Path(tmp) / "out")
        batch, single, check = [], [], []
        for _ in range(args.runs):
            batch.append(_time([*python, "pdf", "-q", "--out", out, *sources]))
            single.append(sum(_time([*python, "pdf", "-q", "--out", out, s]) for s in sources))
            check.append(_time([*python, "check", *sources]))
    n = args.handouts
    b, s, c = (statistics.median(x) for x in (batch, single, check))
    print(f"{n} handouts, median of {args.runs} runs each")
    print(f"  pdf, one process for the batch: {b:6.2f} s  ({b / n * 1000:.0f} ms per handout)")
    print(f"  pdf, one process per handout:   {s:6.2f} s  ({s / n * 1000:.0f} ms per handout)")
    print(f"  check, whole batch:             {c:6.2f} s")
    print(f"  batch speed-up: {s / b:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
