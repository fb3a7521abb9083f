"""Command line: `python -m pipeline COMMAND ...`; the only module that prints.

Commands: `check`, one per output format (from the writer registry: `pdf`, `docx`, ...),
`build` (several formats in one pass), `new`, `formats`, `clean`, `serve`, `fix`, `import`
and `schema`. Each turns the stages' results and exceptions into lines and an exit status.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import schema
from .errors import PipelineError
from .model import Diagnostic

DEFAULT_SOURCES = Path("sources")


def _say(*values, file=None, end="\n") -> None:
    """Print a line; if the reader has gone (`... | head -1`), go on building silently."""
    file = file or sys.stdout
    try:
        print(*values, file=file, flush=True, end=end)
    except BrokenPipeError:
        # Point the stream at /dev/null so that later lines and the final flush are no-ops.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, file.fileno())
        os.close(devnull)


def _source_files(paths: Sequence[Path]) -> list[Path]:
    """Expand folders to the .yaml files inside them; keep files as given, each once."""
    if not paths:
        paths = [DEFAULT_SOURCES]
    files: list[Path] = []
    for path in paths:
        if not path.exists() and path.suffix != ".yaml":
            continue  # a missing folder holds no sources: said once, by the caller
        if path.is_dir() and path.suffix != ".yaml":
            # Hidden files (an editor's .#lock, a .draft) are not sources, as for make.
            files.extend(sorted(f for f in path.glob("*.yaml") if not f.name.startswith(".")))
            for other in sorted(path.glob("*.yml")):
                _say(f"{_display(other)}: warning: ignored: sources end in .yaml; rename it "
                     f"{other.stem}.yaml", file=sys.stderr)
        else:
            files.append(path)
    unique: dict[Path, Path] = {}
    for file in files:
        unique.setdefault(Path(os.path.abspath(file)), file)
    return list(unique.values())


def _display(path: Path) -> str:
    try:
        # abspath, not resolve: a symbolic link is reported under its own name.
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd()))
    except ValueError:
        return str(path)




def _print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        _say(diagnostic, file=sys.stderr)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _no_sources(args: argparse.Namespace) -> int:
    _say(f"no sources found in {', '.join(map(str, args.files or [DEFAULT_SOURCES]))}",
         file=sys.stderr)
    return 1


def cmd_check(args: argparse.Namespace) -> int:
    files = _source_files(args.files)
    if not files:
        return _no_sources(args)
    from .build import check
    from .fair import fair_files, load_fair

    diagnostics = check(files, _display, args.jobs)
    # The fairs beside the sources are checked too: they name handouts by id.
    known = {path.stem for path in files}
    invalid = {path.stem for path in files
               if any(d.is_error and d.path == _display(path) for d in diagnostics)}
    for path in fair_files(files):
        diagnostics += load_fair(path, _display(path), known, invalid)[1]
    diagnostics.sort(key=Diagnostic.sort_key)
    _print_diagnostics(diagnostics)
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    failed = errors > 0 or (args.strict and warnings > 0)
    strict = " (--strict: warnings fail the check)" if args.strict and warnings else ""
    _say(f"checked {_plural(len(files), 'source')}: {_plural(errors, 'error')}, "
         f"{_plural(warnings, 'warning')}{strict}")
    return 1 if failed else 0


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build
    from .config import load_settings

    files = _source_files(args.files)
    if not files:
        return _no_sources(args)
    formats = args.formats
    overrides = {"page_size": args.page_size,
                 "pdf_variant": getattr(args, "variant", None)}
    settings = load_settings(**overrides)
    started = time.monotonic()
    quiet = args.quiet

    def progress(line: str) -> None:
        if not quiet:
            _say(line)

    # Given folders (the usual case), the build owns their outputs: those of a source that
    # is gone are removed. Given single files, it leaves the others alone.
    whole = all(path.is_dir() for path in (args.files or [DEFAULT_SOURCES]))
    report = build(files, formats, settings, args.out, display=_display, progress=progress,
                   debug=args.debug, jobs=args.jobs, whole_folders=whole, force=args.force,
                   strict=args.strict)
    for path in report.removed:
        _say(f"removed {_display(path)}: its source is gone")
    _print_summaries(report.finished, args.out, quiet)
    _print_diagnostics(report.diagnostics)
    errors = sum(1 for d in report.diagnostics if d.is_error)
    warnings = len(report.diagnostics) - errors
    names = ", ".join(formats)
    seconds = time.monotonic() - started
    if not report.built and not report.failed_sources and not report.finished \
            and not report.failed:
        _say(f"{names}: up to date ({_plural(report.sources, 'source')}, {seconds:.1f} s)"
             + (f", {_plural(warnings, 'warning')}" if warnings else ""))
        return 0
    # A booklet or poster is made from all the sources, not counted as one of them.
    made = f"; made {', '.join(report.finished)}" if report.finished else ""
    _say(f"{names}: {report.built} built, {report.failed_sources} failed, "
         f"{report.up_to_date} up to date, {_plural(errors, 'error')}, "
         f"{_plural(warnings, 'warning')}{made} in {seconds:.1f} s")
    return 1 if report.failed else 0


def _print_summaries(finished: Sequence[str], out_dir: Path, quiet: bool) -> None:
    """Print what the writers that finished a set say about it (a site's page weights)."""
    from . import writers

    if quiet:
        return
    for name in finished:
        for line in writers.get(name).summary(out_dir):
            _say(line)


def cmd_serve(args: argparse.Namespace) -> int:
    import signal

    from .serve import Server

    def say(line: str, problem: bool) -> None:
        _say(line, file=sys.stderr if problem else None)

    try:
        server = Server(args.sources, args.out, args.host, args.port,
                        {"page_size": args.page_size}, _display, say)
    except OSError as exc:
        _say(f"error: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}",
             file=sys.stderr)
        return 1
    _say(f"serving {_display(args.out / 'site')} on {server.address} "
         "(rebuilds on save; Ctrl-C stops)")
    # Ctrl-C, and a polite kill, stop it the same clean way, even when started in the
    # background by a shell that made it ignore SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.run()
    except KeyboardInterrupt:
        _say("stopped")
    return 0


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, not '{text}'")
    return value


def _add_serve_command(commands, common: argparse.ArgumentParser) -> None:
    from .config import PAGE_SIZES

    serve = commands.add_parser(
        "serve", parents=[common], help="preview the site, rebuilt and reloaded on every save",
        description="Build the site, serve it, and rebuild what changed whenever a source, "
                    "template, font or handouts.yaml is saved; the open page reloads itself.")
    serve.add_argument("sources", nargs="?", type=Path, default=DEFAULT_SOURCES,
                       help="the sources folder (default: sources/)")
    serve.add_argument("--out", type=_output_folder, default=Path("output"),
                       help="output folder (default: output/; the site is OUT/site)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default: 8000)")
    serve.add_argument("--page-size", choices=list(PAGE_SIZES), default=None,
                       help="page size of the PDF and DOCX offered (default: A4)")
    serve.set_defaults(run=cmd_serve)


def _formats(text: str) -> list[str]:
    from . import writers

    names = [name.strip() for name in text.split(",") if name.strip()]
    known = writers.writers()
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or repr(text)}; use one or more of "
            f"{', '.join(known)}, separated by commas")
    return names


def cmd_fix(args: argparse.Namespace) -> int:
    from .load import load_source
    from .outputs import write_atomically
    from .text_checks import apply_edits, check_text, read_source_text

    files = _source_files(args.files)
    if not files:
        return _no_sources(args)
    changed = unreadable = 0
    for path in files:
        display = _display(path)
        loaded = load_source(path, display)
        if loaded.root is None:
            _print_diagnostics(loaded.diagnostics)
            unreadable += 1
            continue
        original = text = read_source_text(path)
        # A fix can expose another (a double space next to a new one): repeat until stable.
        for _ in range(5):
            findings = [f for f in check_text(loaded, text) if f.edit]
            if not findings:
                break
            text, applied = apply_edits(text, [f.edit for f in findings])
            for finding in findings:
                if finding.edit in applied:
                    d = finding.diagnostic
                    _say(f"{d.path}:{d.line}:{d.column}: fixed: {finding.description} "
                          f"[{d.rule}]")
            loaded = _reload(path, display, text)
        if text != original:
            bom = b"\xef\xbb\xbf" if path.read_bytes().startswith(b"\xef\xbb\xbf") else b""
            # Through a symbolic link, edit the file it points at rather than replace the link.
            write_atomically(path.resolve(), bom + text.encode("utf-8"))
            changed += 1
    summary = f"fix: {_plural(changed, 'file')} changed of {_plural(len(files), 'source')}"
    if unreadable:
        summary += f", {_plural(unreadable, 'source')} could not be read"
    _say(summary)
    return 1 if unreadable else 0


def _reload(path: Path, display: str, text: str):
    """Parse edited text as if it were the file (to find the next round of fixes)."""
    import tempfile

    from .load import load_source

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / path.name
        copy.write_text(text, encoding="utf-8")
        loaded = load_source(copy, display)
    loaded.path = path
    return loaded


def cmd_import(args: argparse.Namespace) -> int:
    """Read edited DOCX files back into their sources; print each diff and its diagnostics."""
    from .locks import LockBusy
    from .read_docx import DocxImportError

    if args.source and len(args.docx) > 1:
        _say("error: --source names the source of one DOCX; import the others apart",
             file=sys.stderr)
        return 2
    failed = 0
    for docx in args.docx:
        try:
            failed += not _import_one(args, docx)
        except (DocxImportError, LockBusy) as exc:
            _say(f"error: {exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def _import_one(args: argparse.Namespace, docx: Path) -> bool:
    """Import one DOCX; return whether it went through (written, unchanged or dry run)."""
    from .import_docx import find_source, import_docx, import_lock, write_import

    source = args.source or find_source(docx, args.sources)
    display = _display(source)

    def waiting(line: str) -> None:
        _say(f"{_display(docx)}: {line}", file=sys.stderr)

    # Held from reading the source to writing it: two imports into one source cannot both
    # start from the same text (the second then finds the source newer than its DOCX).
    lock = contextlib.nullcontext() if args.dry_run else import_lock(source, docx, display,
                                                                      waiting)
    with lock:
        result = import_docx(docx, source, display, force=args.force)
        for note in result.notes:
            _say(f"warning: {note}", file=sys.stderr)
        if not result.changed:
            _say(f"{_display(docx)}: no changes to {result.display}")
            return True
        _say(result.diff(), end="")
        _print_diagnostics(result.diagnostics)
        if result.errors:
            _say(f"{result.display}: not written: the edited source would have errors "
                 "(above); correct the DOCX and import again", file=sys.stderr)
            return False
        if args.dry_run:
            _say(f"{result.display}: not written (--dry-run)")
            return True
        write_import(result)
    _say(f"{result.display}: written from {_display(docx)}")
    return True


def cmd_new(args: argparse.Namespace) -> int:
    """Write sources/<id>.yaml from the declarations, build its DOCX, say what comes next."""
    import tempfile

    from .build import build
    from .config import load_settings
    from .load import load_source
    from .scaffold import new_source, problem_with
    from .validate import validate_sources

    problem = problem_with(args.id, args.language)
    path = args.sources / f"{args.id}.yaml"
    if problem is None and path.exists():
        problem = f"{_display(path)} already exists; choose another id, or edit that source"
    text = new_source(args.id, args.language, args.title) if problem is None else ""
    if problem is None:
        # A title the format refuses (a control character, say) is refused here, as the
        # check would, before anything is written.
        with tempfile.TemporaryDirectory() as folder:
            trial = Path(folder) / path.name
            trial.write_text(text, encoding="utf-8")
            errors = [d for d in validate_sources([load_source(trial, _display(path))])[1]
                      if d.is_error]
        if errors:
            problem = "; ".join(d.message for d in errors)
    if problem:
        _say(f"error: {problem}; nothing written", file=sys.stderr)
        return 1
    args.sources.mkdir(parents=True, exist_ok=True)
    try:  # never over a source that appeared meanwhile
        with open(path, "x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        _say(f"error: {_display(path)} already exists; nothing written", file=sys.stderr)
        return 1
    _say(f"wrote {_display(path)}")
    report = build([path], ["docx"], load_settings(), args.out, display=_display, jobs=1)
    _print_diagnostics([d for d in report.diagnostics if d.is_error])
    if report.failed:
        return 1
    docx = args.out / "docx" / f"{args.id}.docx"
    _say(f"built {_display(docx)}\n"
         f"next: fill it in Word or LibreOffice (replace each \"…\" text), save it as .docx, "
         f"then\n    make import DOCX={_display(docx)}\n"
         f"The figures, references and optional fields are written in {_display(path)}; "
         "make check lists what is left to write.")
    return 0


def cmd_formats(args: argparse.Namespace) -> int:
    """List the output formats (the writers), one a line: its name and what it makes."""
    from . import writers

    for writer in writers.writers().values():
        _say(f"  {writer.name:<15} {writer.help}")
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    """Remove every writer's folders in the output folder, and the build's state."""
    import shutil

    from . import writers
    from .outputs import STATE_FOLDER

    folders = [folder for writer in writers.writers().values() for folder in writer.folders]
    for folder in dict.fromkeys([*folders, STATE_FOLDER]):
        path = args.out / folder
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
            _say(f"removed {_display(path)}/")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from . import fair

    schemas = ((schema.SCHEMA_PATH, schema.json_schema_text()),
               (fair.SCHEMA_PATH, fair.json_schema_text()))
    if args.check:
        stale = [path for path, text in schemas
                 if not path.exists() or path.read_text(encoding="utf-8") != text]
        for path in stale:
            _say(f"{path}: error: out of date; run 'make schema'", file=sys.stderr)
        return 1 if stale else 0
    for path, text in schemas:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        _say(f"wrote {_display(path)}")
    return 0


def _default_jobs() -> int:
    from .build import default_jobs

    return default_jobs()


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not '{text}'")
    return value


def _output_folder(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("the output folder must not be empty")
    return Path(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Validate Khmer career handouts and publish them as PDF and DOCX.")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks and the stages' log lines")
    # --debug is also taken after the command (pdf --debug); SUPPRESS keeps the value given
    # before it when it is not repeated.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks and the stages' log lines")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", parents=[common],
                                help="validate sources and report every problem",
                                description="Validate sources; print each problem as "
                                            "file:line:col: severity: message [rule].")
    check.add_argument("files", nargs="*", type=Path,
                       help="source files or folders (default: sources/)")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument("-j", "--jobs", type=_positive, default=_default_jobs(),
                       help="worker processes for a large batch (default: every core)")
    check.set_defaults(run=cmd_check)

    from . import writers
    from .config import ALL_PAGE_SIZES, PDF_VARIANTS

    def build_options(sub: argparse.ArgumentParser, variant: bool,
                      sizes: Sequence[str] = ALL_PAGE_SIZES) -> None:
        sub.add_argument("files", nargs="*", type=Path,
                         help="source files or folders (default: sources/)")
        sub.add_argument("--out", type=_output_folder, default=Path("output"),
                         help="output folder (default: output/)")
        sub.add_argument("--page-size", choices=list(sizes), default=None,
                         help="page size (default: A4)")
        if variant:
            sub.add_argument("--variant", choices=list(PDF_VARIANTS), default=None,
                             help="PDF variant (default: pdf/ua-1, tagged)")
        sub.add_argument("-j", "--jobs", type=_positive, default=_default_jobs(),
                         help="worker processes (default: every core, here "
                              f"{_default_jobs()})")
        sub.add_argument("--strict", action="store_true",
                         help="fail, and build nothing, for a source with warnings")
        sub.add_argument("--force", action="store_true",
                         help="render everything, even what is up to date")
        sub.add_argument("-q", "--quiet", action="store_true", help="print only problems")

    # One subcommand per output format, from the writer registry.
    for writer in writers.writers().values():
        sub = commands.add_parser(writer.name, parents=[common], help=writer.help,
                                  description=f"Validate sources, then build {writer.help} "
                                              "in OUT; only what is out of date.")
        build_options(sub, "pdf_variant" in writer.settings, writer.page_sizes)
        sub.set_defaults(run=cmd_build, formats=[writer.name])
    build_cmd = commands.add_parser(
        "build", parents=[common], help="build several formats from one pass over the sources",
        description="Validate and prepare each source once, then build every format named "
                    "(for example pdf,docx); only what is out of date.")
    build_cmd.add_argument("-f", "--formats", type=_formats, default=["pdf", "docx"],
                           help="formats, separated by commas (default: pdf,docx): "
                                f"{', '.join(writers.writers())}")
    build_options(build_cmd, True)
    build_cmd.set_defaults(run=cmd_build)

    fix = commands.add_parser("fix", parents=[common],
                              help="apply the safe Khmer spelling and spacing fixes",
                              description="Rewrite sources in place with the unambiguous "
                                          "fixes that 'check' suggests (cluster order, "
                                          "spaces, invisible characters), keeping comments "
                                          "and layout; print each change.")
    fix.add_argument("files", nargs="*", type=Path,
                     help="source files or folders (default: sources/)")
    fix.set_defaults(run=cmd_fix)

    import_cmd = commands.add_parser(
        "import", parents=[common], help="read edited DOCX files back into their sources",
        description="Read a handout DOCX edited in Word or LibreOffice back into "
                    "sources/<id>.yaml: only the values that changed, keeping comments and "
                    "layout. Prints a unified diff and the source's diagnostics.")
    import_cmd.add_argument("docx", nargs="+", type=Path, help="edited DOCX files")
    import_cmd.add_argument("--source", type=Path, default=None,
                            help="the source to update (default: the one the DOCX was made "
                                 "from, found in --sources)")
    import_cmd.add_argument("--sources", type=Path, default=DEFAULT_SOURCES,
                            help="folder of the sources (default: sources/)")
    import_cmd.add_argument("-n", "--dry-run", action="store_true",
                            help="print the diff, write nothing")
    import_cmd.add_argument("--force", action="store_true",
                            help="import even if the source changed since the DOCX was made "
                                 "(the DOCX's text wins)")
    import_cmd.set_defaults(run=cmd_import)

    new_cmd = commands.add_parser(
        "new", parents=[common], help="start a new handout: its source and its DOCX",
        description="Write SOURCES/ID.yaml with every field the format knows (optional ones "
                    "commented out), build its DOCX to fill in Word or LibreOffice, and say "
                    "how to import it.")
    new_cmd.add_argument("id", help="the handout's id: lower-case letters, digits, hyphens")
    new_cmd.add_argument("--language", default="km",
                         help="the handout's language: km (default) or en")
    new_cmd.add_argument("--title", default=None, help="the career's name, if known")
    new_cmd.add_argument("--sources", type=Path, default=DEFAULT_SOURCES,
                         help="folder of the sources (default: sources/)")
    new_cmd.add_argument("--out", type=_output_folder, default=Path("output"),
                         help="output folder (default: output/)")
    new_cmd.set_defaults(run=cmd_new)
    formats_cmd = commands.add_parser("formats", parents=[common],
                                      help="list the output formats, one a line",
                                      description="List every output format (writer) with "
                                                  "what it makes; each is also a command.")
    formats_cmd.set_defaults(run=cmd_formats)
    clean_cmd = commands.add_parser("clean", parents=[common],
                                    help="remove the outputs of every format",
                                    description="Remove every format's folders in the output "
                                                "folder, and the build's state.")
    clean_cmd.add_argument("--out", type=_output_folder, default=Path("output"),
                           help="output folder (default: output/)")
    clean_cmd.set_defaults(run=cmd_clean)

    schema_cmd = commands.add_parser("schema", parents=[common],
                                     help="write the JSON Schemas of sources and fairs",
                                     description="Write pipeline/schema/handout.schema.json "
                                                 "and fair.schema.json from the formats "
                                                 "declared in pipeline/schema.py and fair.py.")
    schema_cmd.add_argument("--check", action="store_true",
                            help="only verify that the committed schema is up to date")
    schema_cmd.set_defaults(run=cmd_schema)
    _add_serve_command(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.debug else logging.ERROR,
                        format="%(name)s: %(message)s")
    started = time.monotonic()
    try:
        status = args.run(args)
    except PipelineError as exc:
        if args.debug:
            raise
        _say(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _say("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: say so in one line, unless asked for detail
        if args.debug:
            raise
        _say(f"error: internal error: {type(exc).__name__}: {exc}; run 'python -m pipeline "
             "--debug ...' for the traceback and report it", file=sys.stderr)
        return 1
    if args.debug:
        _say(f"done in {time.monotonic() - started:.2f} s", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
