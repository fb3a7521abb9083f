"""The fair booklets: every handout of a fair in one PDF, for reading and for the press."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from ..config import Settings
from ..model import Document
from . import Project, Writer, register


def display(path: Path) -> str:
    """Return a path as diagnostics show it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def arranged_fairs(documents: Sequence[Document], settings: Settings, project: Project):
    """Load every fair beside the sources, with its Documents in order (SourceError if bad)."""
    from ..errors import SetupError
    from ..fair import FAIRS_FOLDER, fair_files, load_fairs

    paths = fair_files(project.sources)
    if not paths:
        raise SetupError(f"no fairs found: describe one in {FAIRS_FOLDER}/<name>.yaml beside "
                         "the sources folder (see the README)")
    return load_fairs(paths, documents, project.sources, settings.organisation, display)


class FairWriter(Writer):
    """A writer that makes one PDF per fair, from all the prepared handouts."""

    per_handout = False
    folder = ""
    # WeasyPrint and its templates draw it; ICU's collator puts a fair in dictionary order.
    libraries = ("weasyprint", "pydyf", "jinja2", "segno", "fonttools", "pyicu-wheels")

    def set_inputs(self, project: Project) -> tuple[Path, ...]:
        from ..fair import fair_files

        return fair_files(project.sources)

    def finish(self, documents: Sequence[Document], settings: Settings,
               project: Project) -> dict[str, bytes]:
        return {f"{self.folder}/{arranged.fair.id}.pdf": self.make(arranged, settings)
                for arranged in arranged_fairs(documents, settings, project)}

    def make(self, arranged, settings: Settings) -> bytes:
        raise NotImplementedError

    def warm(self, cache_dir: Path) -> None:
        from ..render_pdf import warm

        warm()


@register
class BookletWriter(FairWriter):
    name = "booklet"
    help = "a booklet per fair in booklet/: cover, contents, every handout on a right-hand page"
    order = 40
    settings = ("page_size", "pdf_variant", "organisation", "online_url")
    folders = ("booklet",)
    folder = "booklet"
    for_print = False

    def make(self, arranged, settings: Settings) -> bytes:
        from ..render_booklet import render_booklet

        return render_booklet(arranged, dataclasses.replace(
            settings, for_print=self.for_print)).data


@register
class PressBookletWriter(BookletWriter):
    name = "print-booklet"
    order = 50
    help = ("press booklets in print-booklet/: 3 mm bleed, crop marks, padded to a multiple "
            "of 4 pages")
    folders = ("print-booklet",)
    folder = "print-booklet"
    for_print = True
