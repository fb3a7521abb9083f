"""Run the stages for a batch of sources and write the outputs atomically.

A bad source does not stop the batch: it is reported, the others are built, and the run fails
at the end. An output is replaced only by a complete new file, so a failed build leaves the
previous one in place.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .errors import BuildError, SetupError
from .fonts import glyph_problems
from .load import load_source
from .model import Diagnostic, Handout, Severity
from .prepare import prepare
from .validate import validate_sources

FORMATS = ("pdf", "docx")


@dataclass
class BuildReport:
    """What a batch produced and what went wrong."""

    written: list[Path] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: int = 0
    built: int = 0  # sources rendered and written

    @property
    def failed(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


def write_atomically(path: Path, data: bytes) -> None:
    """Write data to path through a temporary file and a rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _outputs(handout: Handout, fmt: str, settings: Settings, out_dir: Path) -> dict[Path, bytes]:
    """Render one handout in one format; return the files to write."""
    doc = prepare(handout, settings)
    problems = [p.describe() for text in doc.texts() for p in glyph_problems(text)]
    if problems:
        raise BuildError("cannot print: " + "; ".join(dict.fromkeys(problems)))
    if fmt == "docx":
        from .render_docx import render_docx

        return {out_dir / "docx" / f"{handout.id}.docx": render_docx(doc, settings)}

    from .render_html import render_html
    from .render_pdf import render_pdf

    html = render_html(doc, settings)
    pdf = render_pdf(html, settings)
    if pdf.pages > doc.page_budget:
        raise BuildError(f"renders to {pdf.pages} pages, budget is {doc.page_budget}")
    if settings.for_print:
        return {out_dir / "print" / f"{handout.id}.pdf": pdf.data}
    return {out_dir / "html" / f"{handout.id}.html": html.encode("utf-8"),
            out_dir / "pdf" / f"{handout.id}.pdf": pdf.data}


def build(files: Sequence[Path], fmt: str, settings: Settings, out_dir: Path,
          display: Callable[[Path], str] = str,
          progress: Callable[[str], None] | None = None, debug: bool = False) -> BuildReport:
    """Validate every source, then render each valid one; return what happened.

    A handout that fails, even through a bug of ours, is reported and the batch goes on;
    with `debug` a bug raises instead, for its traceback.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    report = BuildReport(sources=len(files))
    handouts, report.diagnostics = validate_sources(load_source(f, display(f)) for f in files)
    valid = {handout.source: handout for handout in handouts}
    total = len(files)
    for number, source in enumerate(files, start=1):
        where = display(source)
        handout = valid.get(source)
        if handout is None:
            if progress:
                progress(f"[{number}/{total}] {where}: not built, it has errors (see below)")
            continue
        try:
            outputs = _outputs(handout, fmt, settings, out_dir)
            for path, data in outputs.items():
                try:
                    write_atomically(path, data)
                except OSError as exc:
                    raise BuildError(f"cannot write {display(path)}: "
                                     f"{exc.strerror or exc}") from exc
                report.written.append(path)
        except SetupError:
            raise  # the project itself is broken: one message from the CLI, not one per source
        except (BuildError, Exception) as exc:
            if debug and not isinstance(exc, BuildError):
                raise
            message = str(exc) if isinstance(exc, BuildError) else (
                f"internal error while rendering: {type(exc).__name__}: {exc}; "
                "run 'python -m pipeline --debug ...' for the traceback and report it")
            report.diagnostics.append(Diagnostic(where, None, None, Severity.ERROR, message))
            if progress:
                progress(f"[{number}/{total}] {where}: failed (see below)")
            continue
        if progress:
            shown = ", ".join(display(p) for p in outputs)
            progress(f"[{number}/{total}] {where} → {shown}")
        report.built += 1
    report.diagnostics.sort(key=Diagnostic.sort_key)
    return report
