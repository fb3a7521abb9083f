"""Work out what is out of date: per handout and per writer, from what its files depend on.

An output depends on its source, the writer and the settings it reads, the versions of the
libraries that writer drives, the handout's date, and everything shared: the pipeline's code
and the libraries every output goes through, the templates and labels, the fonts and
handouts.yaml. Each is hashed into a key; the manifest in the output folder keeps the key
each output was built with and the size and time of its files, so that a rebuild renders
only what changed (or what someone deleted or touched). What spans the set (a booklet, the
site) has a key of its own over every source and the files it reads. This module alone
decides what is out of date; the build only runs what the plan says.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

from .branding import BRANDING_DIR
from .config import FONTS_DIR, SETTINGS_FILE, TEMPLATES_DIR, Settings
from .errors import SetupError
from .model import Diagnostic, Severity
from .outputs import STATE_FOLDER, write_atomically
from .related import related_digest

MANIFEST_NAME = "manifest.json"
# Bump when the manifest's meaning changes: every output is then rebuilt once.
MANIFEST_VERSION = 1
PIPELINE_DIR = Path(__file__).resolve().parent
# The libraries every output goes through (loading, validation, Khmer word breaks, the
# glyph check); each writer names its own (Writer.libraries).
CORE_LIBRARIES = ("pyyaml", "icu4py", "pheasa", "uharfbuzz", "fonttools")
# The libraries that lay a handout out, for writers that take its page-budget verdict.
LAYOUT_LIBRARIES = ("weasyprint", "pydyf", "jinja2", "segno", "fonttools")


def _hash_files(digest, folder: Path, pattern: str) -> None:
    for path in sorted(folder.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(path.read_bytes())


@cache
def shared_digest(code: Path = PIPELINE_DIR, templates: Path = TEMPLATES_DIR,
                  fonts: Path = FONTS_DIR, config: Path = SETTINGS_FILE) -> str:
    """Return a hash of everything every output depends on."""
    digest = hashlib.sha256(f"manifest {MANIFEST_VERSION}\0{sys.version}\0".encode())
    digest.update(json.dumps(library_versions(CORE_LIBRARIES)).encode())
    for name, folder, pattern in (("code", code, "*.py"), ("schema", code, "*.json"),
                                  ("templates", templates, "*"), ("fonts", fonts, "*")):
        digest.update(f"\0{name}\0".encode())
        _hash_files(digest, folder, pattern)
    digest.update(b"\0config\0" + (config.read_bytes() if config.exists() else b""))
    if BRANDING_DIR.is_dir():  # the logo handouts.yaml names
        digest.update(b"\0branding\0")
        _hash_files(digest, BRANDING_DIR, "*")
    return digest.hexdigest()


def library_versions(names) -> dict[str, str]:
    """Return the installed version of each distribution ("-" for one not installed)."""
    return {name: _version(name) for name in sorted(set(names))}


@cache
def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def writer_libraries(writer) -> tuple[str, ...]:
    """Return the libraries whose versions change a writer's bytes, besides the core ones."""
    return tuple(writer.libraries) + (LAYOUT_LIBRARIES if writer.needs_layout else ())


def source_dates(files: Sequence[Path]) -> dict[Path, datetime | None]:
    """Return each source's date: SOURCE_DATE_EPOCH if set, else its last commit in git.

    Each handout is dated by its own source, so committing one source leaves the others'
    outputs as they were. A source git does not know (new, or outside a repository) gets
    no date, so its bytes still depend on nothing but its content.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        from .config import build_timestamp

        date = build_timestamp()
        return {path: date for path in files}
    dates: dict[Path, datetime | None] = {path: None for path in files}
    by_folder: dict[Path, list[Path]] = {}
    for path in files:
        by_folder.setdefault(path.resolve().parent, []).append(path)
    for folder, members in by_folder.items():
        dates.update(_git_dates(folder, members))
    return dates


def _git_dates(folder: Path, members: list[Path]) -> dict[Path, datetime]:
    """Read the last commit time of every file in folder with one `git log`."""
    try:
        result = subprocess.run(
            ["git", "-C", str(folder), "log", "--format=%x00%ct", "--name-only",
             "--relative", "--no-renames", "--", "."],
            capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return {}
    if result.returncode != 0:
        return {}
    latest: dict[str, int] = {}
    for commit in result.stdout.split("\0")[1:]:
        lines = commit.strip().splitlines()
        if not lines:
            continue
        when = int(lines[0])
        for name in lines[1:]:
            latest.setdefault(name.strip(), when)  # newest first: keep the first seen
    dates = {}
    for path in members:
        when = latest.get(path.resolve().name) if path.resolve().parent == folder else None
        if when is not None:
            dates[path] = datetime.fromtimestamp(when, tz=UTC)
    return dates


def output_key(writer, settings: Settings, source_bytes: bytes,
               date: datetime | None, shared: str) -> str:
    """Return the key of one writer's outputs for one source (see `with_related`)."""
    parts = {"writer": writer.name, "settings": writer.key_settings(settings),
             "libraries": library_versions(writer_libraries(writer)),
             "date": date.isoformat() if date else None, "shared": shared,
             "source": hashlib.sha256(source_bytes).hexdigest()}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def set_key(writer, settings: Settings, sources: Sequence[SourcePlan],
            inputs: Sequence[Path]) -> str:
    """Return the key of what a writer makes over the whole set (a booklet, the site)."""
    parts = {"writer": writer.name, "settings": writer.key_settings(settings),
             "libraries": library_versions(writer_libraries(writer)),
             "shared": shared_digest(),
             "sources": [[p.handout_id, p.digest, p.date.isoformat() if p.date else None]
                         for p in sources],
             "inputs": [[str(path), hashlib.sha256(path.read_bytes()).hexdigest()
                         if path.exists() else None] for path in inputs]}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


# --- the manifest ------------------------------------------------------------------------------


@dataclass
class Entry:
    """One writer's outputs for one handout (or one finished set), as last built."""

    key: str
    source: str
    files: dict[str, list[int]]  # relative path → [size, mtime_ns]
    # The source's warnings when it was built, to repeat while it is up to date.
    warnings: list[list] = field(default_factory=list)
    # The careers it suggests: their sources are inputs too (it prints their titles).
    related: list[str] = field(default_factory=list)


@dataclass
class Manifest:
    path: Path
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def read(cls, out_dir: Path) -> Manifest:
        path = out_dir / STATE_FOLDER / MANIFEST_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != MANIFEST_VERSION:
                raise ValueError("another version")
            entries = {name: Entry(**entry) for name, entry in data["entries"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            entries = {}  # missing or unreadable: everything is out of date, nothing lost
        return cls(path, entries)

    def save(self) -> None:
        data = {"version": MANIFEST_VERSION,
                "entries": {name: vars(entry) for name, entry in sorted(self.entries.items())}}
        try:
            write_atomically(self.path, json.dumps(data, indent=1).encode(), sync=False)
        except OSError as exc:
            raise SetupError(f"cannot write the build manifest {self.path}: "
                             f"{exc.strerror or exc}") from exc

    def is_current(self, name: str, key: str, out_dir: Path) -> bool:
        """Tell whether an output was built with this key and its files are untouched."""
        entry = self.entries.get(name)
        if entry is None or entry.key != key:
            return False
        return all(_stamp(out_dir / file) == stamp for file, stamp in entry.files.items())

    def record(self, name: str, key: str, source: str, out_dir: Path,
               files: Iterable[str], warnings: Iterable[Diagnostic] = (),
               related: Iterable[str] = ()) -> None:
        self.entries[name] = Entry(key, source, {f: _stamp(out_dir / f) for f in files},
                                   [[d.line, d.column, d.message, d.rule] for d in warnings],
                                   list(related))

    def related(self, name: str) -> list[str]:
        """Return the careers an output suggested when it was built."""
        entry = self.entries.get(name)
        return entry.related if entry else []

    def warnings(self, name: str, display: str) -> list[Diagnostic]:
        """Return the warnings an up-to-date output was built with, as diagnostics."""
        entry = self.entries.get(name)
        return [Diagnostic(display, line, column, Severity.WARNING, message, rule)
                for line, column, message, rule in (entry.warnings if entry else [])]


def _stamp(path: Path) -> list[int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return [status.st_size, status.st_mtime_ns]


def entry_name(writer: str, handout_id: str) -> str:
    return f"{writer}:{handout_id}"


# --- the plan ----------------------------------------------------------------------------------


@dataclass
class SourcePlan:
    """One source and the writers whose outputs for it are out of date."""

    path: Path
    display: str
    handout_id: str  # the file name's stem: a valid source's id is its file name
    digest: str  # of the source's bytes
    date: datetime | None
    keys: dict[str, str]  # writer name → key, for every writer asked for
    stale: list[str]  # the writers to run


SET = "@set"  # the handout id of what a writer makes over the whole set


@dataclass
class Plan:
    sources: list[SourcePlan]
    writers: list
    orphans: dict[str, list[str]]  # entry name → files whose source is gone
    # The writers whose set-wide files are out of date, and the key of each.
    finishing: list = field(default_factory=list)
    set_keys: dict[str, str] = field(default_factory=dict)
    # The warnings up-to-date handouts were built with, to repeat (and, in a strict build,
    # an error for each such handout).
    replayed: list[Diagnostic] = field(default_factory=list)

    @property
    def stale(self) -> list[SourcePlan]:
        return [source for source in self.sources if source.stale]

    @property
    def to_render(self) -> list[SourcePlan]:
        """Return the sources to run: the stale ones, or all when a set is finished (it
        needs every handout's Document)."""
        return self.sources if self.finishing else self.stale


def with_related(key: str, path: Path, related: Sequence[str]) -> str:
    """Return an output key that also stands for what it prints of the careers it suggests.

    A handout prints their titles, so those fields of their sources are inputs too. Which
    careers they are is known once its source is read: the plan takes them from the
    manifest (as last built), the build records them with the key it computes here from the
    handout it rendered.
    """
    if not related:
        return key
    return hashlib.sha256(f"{key}\0{related_digest(path.parent, related)}".encode()).hexdigest()


def make_plan(files: Sequence[Path], writers: Sequence, settings: Settings,
              out_dir: Path, manifest: Manifest, display=str, whole_folders: bool = False,
              force: bool = False, strict: bool = False, project=None) -> Plan:
    """Return what must be rendered for files, given what the manifest says was built.

    With `whole_folders` (the build was given folders, not single files) an output whose
    source is no longer there is an orphan, to be removed. `project` is what finishing
    writers read besides the sources (writers.Project).
    """
    shared = shared_digest()
    dates = source_dates(files)
    plans = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            data = b""  # reported by the loader, with its reason; never up to date
        keys = {w.name: output_key(w, settings, data, dates[path], shared)
                for w in writers if w.per_handout}
        stale = [name for name, key in keys.items()
                 if force or not data
                 or not manifest.is_current(entry_name(name, path.stem), with_related(
                     key, path, manifest.related(entry_name(name, path.stem))), out_dir)]
        plans.append(SourcePlan(path, display(path), path.stem,
                                hashlib.sha256(data).hexdigest(), dates[path], keys, stale))
    orphans: dict[str, list[str]] = {}
    if whole_folders:
        present = {path.stem for path in files}
        asked = {w.name for w in writers}
        for name, entry in manifest.entries.items():
            writer, _, handout_id = name.partition(":")
            if writer in asked and handout_id and not handout_id.startswith("@") \
                    and handout_id not in present:
                orphans[name] = sorted(entry.files)
    plan = Plan(plans, list(writers), orphans)
    plan.replayed = _replayed(plans, manifest, strict)
    finishing = [w for w in writers if w.finishes]
    plan.set_keys = {w.name: set_key(w, settings, plans, w.set_inputs(project))
                     for w in finishing}
    plan.finishing = [w for w in finishing if force or not manifest.is_current(
        entry_name(w.name, SET), plan.set_keys[w.name], out_dir)]
    return plan


def _replayed(plans: Sequence[SourcePlan], manifest: Manifest,
              strict: bool) -> list[Diagnostic]:
    """Return the warnings up-to-date handouts were built with.

    An up-to-date handout is not checked again: its warnings are repeated, and under
    --strict they fail the build as they would have then.
    """
    found: list[Diagnostic] = []
    for source in plans:
        if source.stale or not source.keys:
            continue
        warnings = manifest.warnings(entry_name(next(iter(source.keys)), source.handout_id),
                                     source.display)
        found += warnings
        if strict and warnings:
            found.append(Diagnostic(
                source.display, None, None, Severity.ERROR,
                "has warnings, and the build is strict (its outputs are from an earlier, "
                "non-strict build)"))
    return found
