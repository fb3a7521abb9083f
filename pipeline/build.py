"""Run the build plan: render what is out of date in a pool of warm workers, write it safely.

A bad source does not stop the batch: it is reported, the others are built, and the run fails
at the end. Workers only render; this process alone writes, replacing each handout's files
together (outputs.write_together), so a failed or interrupted build leaves the previous
files in place and never half a handout.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import writers as writer_registry
from .config import Settings
from .errors import BuildError, SetupError, SourceError
from .model import Diagnostic, Document, Severity
from .outputs import STATE_FOLDER, recover, write_atomically, write_together
from .plan import SET, Manifest, SourcePlan, entry_name, make_plan, with_related
from .related import related_titles
from .writers import Project, Writer

__all__ = ["BuildReport", "build", "write_atomically"]


@dataclass
class BuildReport:
    """What a batch produced and what went wrong."""

    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: int = 0
    built: int = 0  # sources rendered and written
    failed_sources: int = 0
    up_to_date: int = 0  # sources whose outputs were current already
    finished: list[str] = field(default_factory=list)  # the set outputs made

    @property
    def failed(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


@dataclass
class HandoutResult:
    """What rendering one source gave: files per writer, or the reasons it failed."""

    source: Path
    display: str
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)  # writer → path → bytes
    pages: dict[str, int | None] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    documents: dict[bool, Document] = field(default_factory=dict)  # by `Writer.breaks`
    related: tuple[str, ...] = ()  # the careers it suggests, whose titles it prints
    seconds: float = 0.0
    rendered: bool = False  # False: the source has errors, or a writer failed


# --- one group of sources: runs in a worker, or here --------------------------------------------


@dataclass(frozen=True)
class _Task:
    sources: tuple[tuple[Path, str, datetime | None], ...]  # path, display, date
    writers: tuple[str, ...]
    want_documents: tuple[bool, ...]  # the Documents (by `breaks`) a finishing step needs
    strict: bool


class _Documents:
    """Prepare a handout once for each kind of Document its writers need."""

    def __init__(self, handout, settings: Settings, date: datetime | None) -> None:
        self.handout, self.settings, self.date = handout, settings, date
        self.prepared: dict[bool, Document] = {}
        self.related = related_titles(handout)

    def __call__(self, breaks: bool = True) -> Document:
        from .prepare import prepare

        if breaks not in self.prepared:
            self.prepared[breaks] = prepare(self.handout, self.settings, date=self.date,
                                            breaks=breaks, related=self.related)
        return self.prepared[breaks]


def _render_handout(result: HandoutResult, document: _Documents, task: _Task) -> None:
    """Render one valid handout with each writer of the task, into result.

    A handout is laid out once, when any of its writers takes the layout's page-budget
    verdict; over its budget, it fails for all of them.
    """
    from .fonts import glyph_problems

    problems = [p.describe() for text in document().texts() for p in glyph_problems(text)]
    if problems:
        raise BuildError("cannot print: " + "; ".join(dict.fromkeys(problems)))
    chosen = [writer_registry.get(name) for name in task.writers]
    layout = None
    if any(writer.needs_layout for writer in chosen):
        from .render_pdf import lay_out

        layout = lay_out(document(), dataclasses.replace(document.settings, for_print=False))
    for writer in chosen:
        rendered = writer.render(document(writer.breaks), document.settings, layout)
        result.files[writer.name] = rendered.files
        result.pages[writer.name] = rendered.pages
    result.rendered = True
    result.documents = {breaks: document(breaks) for breaks in task.want_documents}


def _render_task(task: _Task, settings: Settings, debug: bool) -> list[HandoutResult]:
    """Load, validate and prepare each source once; render it with every writer asked for.

    Sources that share a file name (in different folders) come in one task, so that the
    rule against duplicate ids sees them together.
    """
    from .load import load_source
    from .validate import validate_sources

    started = time.perf_counter()
    loaded = [load_source(path, display) for path, display, _ in task.sources]
    handouts, diagnostics = validate_sources(loaded, settings)
    valid = {handout.source: handout for handout in handouts}
    results = []
    for path, display, date in task.sources:
        result = HandoutResult(path, display,
                               diagnostics=[d for d in diagnostics if d.path == display])
        results.append(result)
        handout = valid.get(path)
        if handout is None or not (task.writers or task.want_documents):
            continue  # invalid, or only checked
        if task.strict and result.diagnostics:
            result.diagnostics.append(Diagnostic(
                display, None, None, Severity.ERROR,
                "not built: it has warnings, and the build is strict"))
            continue
        result.related = tuple(handout.related)
        try:
            _render_handout(result, _Documents(handout, settings, date), task)
        except SetupError:
            raise  # the project itself is broken: one message from the CLI, not one per source
        except (BuildError, Exception) as exc:
            if debug and not isinstance(exc, BuildError):
                raise
            message = str(exc) if isinstance(exc, BuildError) else (
                f"internal error while rendering: {type(exc).__name__}: {exc}; "
                "run 'python -m pipeline --debug ...' for the traceback and report it")
            result.files.clear()
            result.diagnostics.append(Diagnostic(display, None, None, Severity.ERROR, message))
    elapsed = time.perf_counter() - started
    for result in results:
        result.seconds = elapsed / len(results)
    return results


def _warm(writer_names: Iterable[str], cache_dir: Path) -> None:
    """Do once per worker what every handout needs: imports, fonts, templates, subsets."""
    from . import prepare, validate  # noqa: F401  (ICU, pheasa, the schema)

    chosen = [writer_registry.get(name) for name in writer_names]
    if any(writer.needs_layout for writer in chosen):
        from .render_pdf import warm

        warm()
    for writer in chosen:
        writer.warm(cache_dir)


def _init_worker(settings: Settings, writer_names: tuple[str, ...], debug: bool,
                 cache_dir: Path) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the pool, workers stay quiet.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _SETTINGS, _DEBUG
    _SETTINGS, _DEBUG = settings, debug
    _warm(writer_names, cache_dir)


_SETTINGS: Settings | None = None
_DEBUG = False


def _worker_task(task: _Task) -> list[HandoutResult]:
    return _render_task(task, _SETTINGS, _DEBUG)


# --- the batch ----------------------------------------------------------------------------------


def _expand(names: Sequence[str] | str) -> list[Writer]:
    """Return the writers asked for, with the writers whose files they link."""
    ordered: list[Writer] = []

    def add(name: str) -> None:
        writer = writer_registry.get(name)
        for linked in writer.links:
            add(linked)
        if writer not in ordered:
            ordered.append(writer)

    for name in [names] if isinstance(names, str) else names:
        add(name)
    registered = list(writer_registry.writers())
    return sorted(ordered, key=lambda writer: registered.index(writer.name))


def _groups(sources: Sequence[SourcePlan]) -> list[list[SourcePlan]]:
    by_name: dict[str, list[SourcePlan]] = {}
    for source in sources:
        by_name.setdefault(source.path.name, []).append(source)
    return list(by_name.values())


def _size(count: int) -> str:
    return f"{count / 1024:.0f} KB" if count < 1024 * 1024 else f"{count / 1048576:.1f} MB"


def _describe(result: HandoutResult) -> str:
    parts = []
    for name, files in result.files.items():
        pages = result.pages.get(name)
        shown = f"{pages} page{'' if pages == 1 else 's'}, " if pages else ""
        parts.append(f"{name} {shown}{_size(sum(map(len, files.values())))}")
    return ", ".join(parts)


class _Runner:
    """Collect results and write them; the one place where outputs are written."""

    def __init__(self, out_dir: Path, manifest: Manifest, report: BuildReport, total: int,
                 display: Callable[[Path], str], progress: Callable[[str], None] | None) -> None:
        self.out_dir, self.manifest, self.report = out_dir, manifest, report
        self.total, self.display, self.progress = total, display, progress
        self.done = 0
        self.documents: dict[bool, dict[Path, Document]] = {True: {}, False: {}}
        self.last_save = time.monotonic()

    def take(self, result: HandoutResult, plan: SourcePlan | None) -> None:
        self.report.diagnostics.extend(result.diagnostics)
        for breaks, document in result.documents.items():
            self.documents[breaks][result.source] = document
        if plan is None or not plan.stale:
            return  # rendered only for its Document (a finishing step needs it)
        self.done += 1
        where = f"[{self.done}/{self.total}] {result.display}"
        if not result.rendered:
            self.report.failed_sources += 1
            has_errors = any(d.is_error for d in result.diagnostics if d.line is not None)
            self._say(f"{where}: {'not built, it has errors' if has_errors else 'failed'} "
                      "(see below)")
            return
        files = {self.out_dir / path: data
                 for name in plan.stale for path, data in result.files[name].items()}
        try:
            write_together(self.out_dir, files)
        except OSError as exc:
            self.report.failed_sources += 1
            self.report.diagnostics.append(Diagnostic(
                result.display, None, None, Severity.ERROR, _write_problem(exc, files)))
            self._say(f"{where}: failed (see below)")
            return
        self.report.written.extend(files)
        for name in plan.stale:
            key = with_related(plan.keys[name], plan.path, result.related)
            self.manifest.record(entry_name(name, plan.handout_id), key, result.display,
                                 self.out_dir, result.files[name], result.diagnostics,
                                 result.related)
        self.report.built += 1
        if time.monotonic() - self.last_save > 2:  # a killed build keeps most of its work
            self.manifest.save()
            self.last_save = time.monotonic()
        self._say(f"{where} → {_describe(result)} ({result.seconds:.1f} s)")

    def _say(self, line: str) -> None:
        if self.progress:
            self.progress(line)


def _run_tasks(tasks: list[_Task], settings: Settings, jobs: int, debug: bool,
               cache_dir: Path, take: Callable[[HandoutResult], None],
               pool_from: int = 2) -> None:
    """Run tasks here, or in a pool of `jobs` workers when there are pool_from or more."""
    names = sorted({name for task in tasks for name in task.writers})
    if jobs <= 1 or len(tasks) < pool_from:
        if tasks and names:
            _warm(names, cache_dir)
        for task in tasks:
            for result in _render_task(task, settings, debug):
                take(result)
        return
    context = multiprocessing.get_context("forkserver")
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=min(jobs, len(tasks)), mp_context=context, initializer=_init_worker,
        initargs=(settings, tuple(names), debug, cache_dir))
    try:
        futures = [pool.submit(_worker_task, task) for task in tasks]
        for future in concurrent.futures.as_completed(futures):
            for result in future.result():
                take(result)
    except BaseException:
        # Ctrl-C (or a broken project): stop at once. Workers only render, so nothing they
        # leave is half written; what was finished is already in place.
        workers = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            process.terminate()
        raise
    pool.shutdown(wait=True)


def _write_problem(exc: OSError, files: Iterable[Path]) -> str:
    """Say why files could not be written, naming a file that stands where a folder must."""
    target = next(iter(files))
    for folder in target.parents:
        if folder.exists():
            if not folder.is_dir():
                return f"cannot write {target}: {folder} is a file, not a folder"
            break
    return f"cannot write {target}: {exc.strerror or exc}"


def build(files: Sequence[Path], formats: Sequence[str] | str, settings: Settings,
          out_dir: Path, display: Callable[[Path], str] = str,
          progress: Callable[[str], None] | None = None, debug: bool = False,
          jobs: int = 1, whole_folders: bool = False, force: bool = False,
          strict: bool = False) -> BuildReport:
    """Bring the outputs of files in the given formats up to date; return what happened.

    Only what is out of date is rendered, each source loaded, validated and prepared once
    for all formats. A handout that fails, even through a bug of ours, is reported and the
    batch goes on; with `debug` a bug raises instead, for its traceback.
    """
    chosen = _expand(formats)
    unsuited = [writer.name for writer in chosen if settings.page_size not in writer.page_sizes]
    if unsuited:
        raise SetupError(f"page size {settings.page_size} is not made for "
                         f"{', '.join(unsuited)}; use one of "
                         f"{', '.join(writer_registry.get(unsuited[0]).page_sizes)}")
    report = BuildReport(sources=len(files))
    folders = [folder for writer in chosen for folder in writer.folders]
    try:
        recover(out_dir, folders)
    except OSError as exc:
        raise SetupError(f"cannot use the output folder {display(out_dir)}: "
                         f"{exc.strerror or exc}") from exc
    manifest = Manifest.read(out_dir)
    project = Project(tuple(files), out_dir)
    plan = make_plan(files, chosen, settings, out_dir, manifest, display=display,
                     whole_folders=whole_folders, force=force, strict=strict,
                     project=project)
    for name, orphaned in plan.orphans.items():
        for file in orphaned:
            path = out_dir / file
            if path.exists():
                path.unlink()
                report.removed.append(path)
        del manifest.entries[name]
    stale = plan.stale
    report.up_to_date = len(plan.sources) - len(stale)
    report.diagnostics.extend(plan.replayed)
    unfinished = plan.finishing

    plans = {source.path: source for source in plan.sources}
    tasks = []
    for group in _groups(plan.to_render):
        names = sorted({name for source in group for name in source.stale},
                       key=[w.name for w in chosen].index)
        tasks.append(_Task(tuple((s.path, s.display, s.date) for s in group), tuple(names),
                           tuple(sorted({w.breaks for w in unfinished})), strict))
    runner = _Runner(out_dir, manifest, report, len(stale), display, progress)
    try:
        _run_tasks(tasks, settings, jobs, debug, out_dir / STATE_FOLDER / "cache",
                   lambda result: runner.take(result, plans.get(result.source)))
        for writer in unfinished:
            prepared = runner.documents[writer.breaks]
            documents = [prepared[s.path] for s in plan.sources if s.path in prepared]
            try:
                finished = writer.finish(documents, settings, project)
            except SourceError as exc:
                # A set input (a fair file) has problems: report them as a source's, write
                # none of this writer's files, and leave it out of date.
                report.diagnostics.extend(exc.diagnostics)
                continue
            made = {out_dir / path: data for path, data in finished.items()}
            write_together(out_dir, made)
            report.written.extend(made)
            report.removed.extend(_remove_unmade(out_dir, manifest.entries.get(
                entry_name(writer.name, SET)), made))
            report.finished.append(writer.name)
            manifest.record(entry_name(writer.name, SET), plan.set_keys[writer.name], "",
                            out_dir, [str(p.relative_to(out_dir)) for p in made])
    finally:
        if report.written or report.removed:
            manifest.save()
    report.diagnostics.sort(key=Diagnostic.sort_key)
    return report


def _remove_unmade(out_dir: Path, previous, made: dict[Path, bytes]) -> list[Path]:
    """Remove what a finishing step made last time but not now (a removed handout's page)."""
    removed = []
    for file in sorted(previous.files if previous else ()):
        path = out_dir / file
        if path not in made and path.is_file():
            path.unlink()
            removed.append(path)
            with contextlib.suppress(OSError):  # its folder, once empty
                path.parent.rmdir()
    return removed


# Checking is quick (tens of milliseconds a source): a pool pays for its start-up only on a
# batch of about this many.
_CHECK_POOL_FROM = 8


def check(files: Sequence[Path], display: Callable[[Path], str] = str,
          jobs: int = 1) -> list[Diagnostic]:
    """Load and validate every source (in a pool for a large batch); return the diagnostics."""
    by_name: dict[str, list[Path]] = {}
    for path in files:
        by_name.setdefault(path.name, []).append(path)
    tasks = [_Task(tuple((path, display(path), None) for path in group), (), (), False)
             for group in by_name.values()]
    diagnostics: list[Diagnostic] = []
    from .config import load_settings

    # handouts.yaml says which optional checks run (check_coeng_da).
    _run_tasks(tasks, load_settings(), jobs, False, Path(),
               lambda result: diagnostics.extend(result.diagnostics),
               pool_from=_CHECK_POOL_FROM)
    # Between sources: a copy that kept another career's title, address or references.
    from .load import load_source
    from .validate import copied_content

    diagnostics += copied_content(load_source(path, display(path)) for path in files)
    return sorted(diagnostics, key=Diagnostic.sort_key)


def default_jobs() -> int:
    """Return the number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
