"""Measure the build on a generated fair-sized corpus, beside the tools a user would use instead.

Machines here are shared and noisy: every figure is a median of several runs made in this one
invocation, and the comparisons are ratios measured side by side. The corpus (default 100
handouts, of varied length, some with Khmer digits) is made from the shipped sources in a
temporary folder and never kept.

Usage: python tools/bench.py [--runs N] [--handouts N] [--sample N] [--output FILE]
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
PYTHON = [sys.executable, "-m", "pipeline"]
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
TARGETS = {"full": 20.0, "edit": 1.5, "noop": 0.3, "check": 3.0, "hopeless": 10.0,
           "memory": 250.0}


def make_corpus(folder: Path, count: int, seed: int = 7) -> list[Path]:
    """Write count varied handouts made from the shipped sources' text; return their paths."""
    rng = random.Random(seed)
    bases = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(SOURCES.glob("*.yaml"))]
    paths = []
    for number in range(count):
        data = copy.deepcopy(bases[number % len(bases)])
        handout_id = f"career-{number:03d}"
        data["id"] = handout_id
        data["title"] = f"{data['title']} {number}"
        # Different lengths: drop or repeat some tips and paragraphs, within one sheet.
        tips = data["tips"]
        data["tips"] = rng.sample(tips, k=rng.randint(max(1, len(tips) - 3), len(tips)))
        data["introduction"] = data["introduction"][: rng.randint(1, len(data["introduction"]))]
        data["values"]["items"] = data["values"]["items"][
            : rng.randint(2, len(data["values"]["items"]))]
        if number % 4 == 0:  # every fourth in Khmer digits, written so in its text too
            data["digits"] = "khmer"
            for key in ("title", "introduction", "career_path", "tips"):
                value = data[key]
                data[key] = (value.translate(KHMER_DIGITS) if isinstance(value, str)
                             else [text.translate(KHMER_DIGITS) for text in value])
        data["salary"]["base_min"] = int(data["salary"]["base_min"]) + number * 10
        if data.get("related"):  # suggest a neighbour of the corpus, which exists
            data["related"] = [f"career-{(number + 1) % count:03d}"]
        path = folder / f"{handout_id}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
        paths.append(path)
    return paths


def hopeless_source(folder: Path) -> Path:
    """Write a valid source of about 150 KB with 10,000 tips: far over any page budget."""
    data = yaml.safe_load((SOURCES / "account-manager.yaml").read_text(encoding="utf-8"))
    data["id"] = "hopeless"
    data["tips"] = [f"Tip {number}." for number in range(10_000)]
    path = folder / "hopeless.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def timed(command: list[str], check: bool = True, **options) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, **options)
    elapsed = time.perf_counter() - started
    if check and result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stderr[-2000:]}")
    return elapsed


def children_peak_mb() -> float:
    """Return the largest resident size any finished child (or its children) reached."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def bench_pipeline(tmp: Path, args) -> dict[str, float]:
    sources = tmp / "sources"
    sources.mkdir()
    paths = make_corpus(sources, args.handouts)
    build = [*PYTHON, "build", "-q", "--formats", "pdf,docx", str(sources)]
    results: dict[str, list[float]] = {"full": [], "noop": [], "edit": [], "check": []}
    out = tmp / "out"
    for run in range(args.runs):
        shutil.rmtree(out, ignore_errors=True)
        results["full"].append(timed([*build, "--out", str(out)]))
        results["noop"].append(timed([*build, "--out", str(out)]))
        victim = paths[run % len(paths)]
        text = victim.read_text(encoding="utf-8")
        victim.write_text(text.replace("tips:\n", f"tips:\n- ការកែប្រែលើកទី {run}។\n", 1),
                          encoding="utf-8")
        results["edit"].append(timed([*build, "--out", str(out)]))
        results["check"].append(timed([*PYTHON, "check", str(sources)]))
    figures = {name: median(values) for name, values in results.items()}
    figures["memory"] = children_peak_mb()
    sizes = [p.stat().st_size for p in out.rglob("*") if p.suffix in (".pdf", ".docx")]
    figures["pdf_kb"] = median([p.stat().st_size / 1024 for p in out.glob("pdf/*.pdf")])
    figures["docx_kb"] = median([p.stat().st_size / 1024 for p in out.glob("docx/*.docx")])
    figures["total_mb"] = sum(sizes) / 1048576
    hopeless = tmp / "hopeless"
    hopeless.mkdir()
    source = hopeless_source(hopeless)
    figures["hopeless"] = median([timed([*PYTHON, "pdf", "-q", "--out", str(tmp / "h"),
                                         str(source)], check=False)
                                  for _ in range(args.runs)])
    figures["html_dir"] = str(out / "html")
    figures["docx_dir"] = str(out / "docx")
    return figures


def bench_alternatives(figures: dict, tmp: Path, args) -> dict[str, float | None]:
    """Per handout, the way a user would do it without this pipeline (on a sample)."""
    html = sorted(Path(figures["html_dir"]).glob("*.html"))[: args.sample]
    docx_files = sorted(Path(figures["docx_dir"]).glob("*.docx"))[: args.sample]
    # The HTML links handout.css relatively: give each tool a copy beside it.
    folder = tmp / "alt"
    (folder / "templates").mkdir(parents=True)
    shutil.copytree(ROOT / "templates", folder / "templates", dirs_exist_ok=True)
    shutil.copytree(ROOT / "fonts", folder / "fonts")
    copies = []
    for path in html:
        copy = folder / "templates" / path.name
        copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        copies.append(copy)
    alternatives: dict[str, float | None] = {}
    weasyprint = Path(sys.executable).parent / "weasyprint"
    alternatives["weasyprint"] = median(
        [timed([str(weasyprint), str(c), str(c.with_suffix(".pdf"))]) for c in copies]
    ) if weasyprint.exists() else None
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        profile = tmp / "chromium-profile"
        alternatives["chromium"] = median([timed([
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", f"--print-to-pdf={c.with_suffix('.c.pdf')}",
            "--no-pdf-header-footer", c.as_uri()]) for c in copies])
    else:
        alternatives["chromium"] = None
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        alternatives["libreoffice"] = median([timed([
            soffice, f"-env:UserInstallation=file://{tmp / f'lo-{n}'}", "--headless",
            "--convert-to", "pdf", "--outdir", str(tmp / "lo-out"), str(d)])
            for n, d in enumerate(docx_files)])
    else:
        alternatives["libreoffice"] = None
    pandoc = shutil.which("pandoc")
    alternatives["pandoc"] = median([timed([
        pandoc, str(c), "-o", str(c.with_suffix(".docx"))]) for c in copies]) if pandoc else None
    return alternatives


def table(figures: dict, alternatives: dict, args) -> str:
    n = args.handouts
    per = figures["full"] / n

    def verdict(name: str, value: float) -> str:
        return "yes" if value <= TARGETS[name] else "**no**"

    rows = [
        "| what | median | target | met |",
        "| --- | --- | --- | --- |",
        f"| full build, PDF + DOCX, {n} handouts | {figures['full']:.1f} s "
        f"({per * 1000:.0f} ms a handout) | ≤ {TARGETS['full']:.0f} s | "
        f"{verdict('full', figures['full'])} |",
        f"| one source edited, rebuild | {figures['edit']:.2f} s | ≤ {TARGETS['edit']} s | "
        f"{verdict('edit', figures['edit'])} |",
        f"| nothing changed | {figures['noop']:.2f} s | ≤ {TARGETS['noop']} s | "
        f"{verdict('noop', figures['noop'])} |",
        f"| `check` of all {n} | {figures['check']:.2f} s | ≤ {TARGETS['check']:.0f} s | "
        f"{verdict('check', figures['check'])} |",
        f"| a 10,000-tip source refused | {figures['hopeless']:.2f} s | "
        f"≤ {TARGETS['hopeless']:.0f} s | {verdict('hopeless', figures['hopeless'])} |",
        f"| peak memory of one process | {figures['memory']:.0f} MB | "
        f"≤ {TARGETS['memory']:.0f} MB | {verdict('memory', figures['memory'])} |",
        f"| output sizes | PDF {figures['pdf_kb']:.0f} KB, DOCX {figures['docx_kb']:.0f} KB "
        f"(median); {figures['total_mb']:.1f} MB in all | | |",
        "",
        "| instead, one process per handout | per handout | this pipeline's full build, "
        "per handout, is … times faster |",
        "| --- | --- | --- |",
    ]
    names = {"weasyprint": "`weasyprint` command, HTML → PDF",
             "chromium": "headless Chromium `--print-to-pdf`, HTML → PDF",
             "libreoffice": "LibreOffice `--convert-to pdf`, DOCX → PDF",
             "pandoc": "pandoc, HTML → DOCX"}
    for key, label in names.items():
        value = alternatives.get(key)
        if value is None:
            rows.append(f"| {label} | not installed | |")
        else:
            rows.append(f"| {label} | {value * 1000:.0f} ms | {value / per:.1f}× |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--handouts", type=int, default=100, help="size of the corpus")
    parser.add_argument("--sample", type=int, default=5,
                        help="handouts given to each other tool")
    parser.add_argument("--output", type=Path, help="also write the tables to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        figures = bench_pipeline(tmp, args)
        alternatives = bench_alternatives(figures, tmp, args)
    load = os.getloadavg()[0]
    header = (f"{args.handouts} handouts, medians of {args.runs} runs; {os.cpu_count()} cores, "
              f"{platform.machine()}, Python {platform.python_version()}, "
              f"load {load:.1f} at the end")
    text = header + "\n\n" + table(figures, alternatives, args) + "\n"
    print(text)
    if args.output:
        args.output.write_text(re.sub(r"\n{3,}", "\n\n", text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
