"""Output formats, each a writer with one shape (as Sphinx's builders).

A format is one module in this package: a `Writer` subclass, registered with `@register`,
says everything the rest of the pipeline needs — its name (the CLI subcommand and the make
target), the files it makes for a handout and the folders they go in, what a worker must
warm before the first handout, the libraries whose versions change its bytes, whether it
needs the handout's page layout, which other writers' files it links, and what it offers
a reader to download. `render` turns one prepared Document into its files' bytes; a writer
whose output spans the whole set (a booklet, a site index) also has `finish`, run once after
every handout, with all the Documents. Every module here is found and imported by
`writers()`: the build, the CLI and the Makefile take the formats from this registry, and
nothing lists them by hand.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..config import PAGE_SIZES, Settings
from ..model import Document


@dataclass(frozen=True)
class Rendered:
    """The files a writer made for one handout (paths relative to the output folder)."""

    files: dict[str, bytes]
    pages: int | None = None  # for the progress line, where the format has pages


@dataclass(frozen=True)
class Project:
    """What a finishing step may read besides the Documents: the sources and settings."""

    sources: tuple[Path, ...]
    out_dir: Path
    extra: Mapping[str, object] = field(default_factory=dict)


class Writer:
    """One output format. Subclasses set the class attributes and override `render`."""

    name: str = ""
    help: str = ""
    # Where `make help` and `--help` list it: lower first, then by name.
    order: int = 100
    # The Settings fields that change this writer's bytes: a change to any of them, and only
    # to them, makes its outputs out of date.
    settings: tuple[str, ...] = ()
    # The Python distributions whose versions change its bytes (besides those every output
    # depends on: see plan.CORE_LIBRARIES); a new version rebuilds its outputs.
    libraries: tuple[str, ...] = ()
    # The folders (under the output folder) this writer writes into.
    folders: tuple[str, ...] = ()
    # Writers whose per-handout files this one links or copies (a site offers the PDF and
    # DOCX): they are built first, and asked for their files by `offered`.
    links: tuple[str, ...] = ()
    # Whether `render` makes files per handout; False for a writer that only finishes.
    per_handout: bool = True
    # Whether its Documents carry the line-breaking aids (U+200B between Khmer words, no-break
    # spaces) that Pango, Word and LibreOffice need; a web page leaves breaking to the browser.
    breaks: bool = True
    # Whether it takes the page-budget verdict of the handout's layout: the build lays each
    # handout out once, refuses one over its budget, and hands the layout to `render`.
    needs_layout: bool = False
    # The page sizes (Settings.page_size) it can lay out; a poster also takes A3.
    page_sizes: tuple[str, ...] = tuple(PAGE_SIZES)
    # The media type of the file it offers for download beside a web page, if any.
    media_type: str = ""

    def files(self, handout_id: str) -> tuple[str, ...]:
        """Return the files render makes for a handout, relative to the output folder."""
        return ()

    def offered(self, handout_id: str) -> str | None:
        """Return the file a reader downloads for a handout (e.g. its PDF), if any."""
        return None

    def warm(self, cache_dir: Path) -> None:
        """Do once per worker, before the first handout, what every render needs."""

    def render(self, doc: Document, settings: Settings, layout=None) -> Rendered:
        """Return the files of one handout; `layout` is its layout when `needs_layout`."""
        raise NotImplementedError

    # --- the whole set (booklet, poster, site index) ---------------------------------------

    def set_inputs(self, project: Project) -> tuple[Path, ...]:
        """Return the files besides the sources that `finish` reads (a fair description)."""
        return ()

    def finish(self, documents: Sequence[Document], settings: Settings,
               project: Project) -> dict[str, bytes]:
        """Return the files that span the whole set, relative to the output folder.

        Raise SourceError for a set input with mistakes (a fair file): the build reports its
        diagnostics like a source's and writes none of this writer's files.
        """
        return {}

    def summary(self, out_dir: Path) -> list[str]:
        """Return lines for the build summary about what `finish` made (page weights, say)."""
        return []

    @property
    def finishes(self) -> bool:
        return type(self).finish is not Writer.finish

    def key_settings(self, settings: Settings) -> dict[str, object]:
        return {name: getattr(settings, name) for name in self.settings}


_REGISTRY: dict[str, Writer] = {}


def register(writer_class: type[Writer]) -> type[Writer]:
    """Add a writer to the registry (a class decorator)."""
    writer = writer_class()
    if not writer.name or writer.name in _REGISTRY:
        raise ValueError(f"writer name {writer.name!r} is empty or taken")
    _REGISTRY[writer.name] = writer
    return writer_class


def writers() -> dict[str, Writer]:
    """Return every writer by name, in the order `make help` and `--help` list them."""
    _load_all()
    return dict(sorted(_REGISTRY.items(), key=lambda item: (item[1].order, item[0])))


def get(name: str) -> Writer:
    """Return the writer called name."""
    registry = writers()
    if name not in registry:
        raise KeyError(f"unknown output format {name!r}; use one of {', '.join(registry)}")
    return registry[name]


def _load_all() -> None:
    # Importing a module registers its writers. They import their renderers lazily, so
    # listing the formats never loads WeasyPrint.
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
