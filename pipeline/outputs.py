"""Write outputs so that a reader never sees a half-written file or half a handout.

One file is written to a temporary name beside it and renamed over the old one. A handout's
files (its HTML and PDF, say) are replaced together: every temporary file is written first,
then a journal naming them, then the renames; a build killed during the renames is completed
by the next one (`recover`), which also removes temporary files that no journal names.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

TEMPORARY_SUFFIX = ".tmp"
# Where journals and the build's own state live, inside the output folder.
STATE_FOLDER = ".build"
_JOURNAL_PREFIX = "journal-"


def _temporary_beside(path: Path, data: bytes, sync: bool) -> Path:
    """Write data to a new temporary file in path's folder; return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=TEMPORARY_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            if sync:
                os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def write_atomically(path: Path, data: bytes, sync: bool = True) -> None:
    """Write data to path through a temporary file and a rename: never a half-written file."""
    temporary = _temporary_beside(path, data, sync)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_together(out_dir: Path, files: Mapping[Path, bytes]) -> None:
    """Replace several files as one: all new or, after a failure before the journal, all old.

    A failure while writing (a full disk) leaves every old file in place. Once the journal
    is on disk the change is decided: a kill during the renames is finished by `recover`.
    """
    if len(files) == 1:
        [(path, data)] = files.items()
        write_atomically(path, data)
        return
    written: list[tuple[Path, Path]] = []
    journal = None
    try:
        for path, data in files.items():
            written.append((_temporary_beside(path, data, sync=True), path))
        state = out_dir / STATE_FOLDER
        state.mkdir(parents=True, exist_ok=True)
        journal = _temporary_beside(
            state / "journal", json.dumps([[str(t), str(p)] for t, p in written]).encode(),
            sync=True)
        # The rename decides the change; the temporary file's random part names it.
        decided = state / f"{_JOURNAL_PREFIX}{journal.name.split('.')[-2]}.json"
        os.replace(journal, decided)
        journal = decided
    except BaseException:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)
        if journal is not None:
            journal.unlink(missing_ok=True)
        raise
    for temporary, path in written:
        os.replace(temporary, path)
    journal.unlink()


def recover(out_dir: Path, folders: Iterable[str]) -> list[Path]:
    """Finish the replacements a killed build had decided; remove its other temporary files.

    Only the named folders of out_dir are swept (never the whole tree: `--out .` is allowed).
    Return the files completed. Run it before a build, in the one process that writes.
    """
    completed: list[Path] = []
    state = out_dir / STATE_FOLDER
    if state.is_dir():
        for journal in sorted(state.glob(f"{_JOURNAL_PREFIX}*.json")):
            try:
                pairs = json.loads(journal.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                pairs = []  # cut short before its rename: nothing was decided
            for temporary, path in pairs:
                if Path(temporary).exists():
                    os.replace(temporary, path)
                    completed.append(Path(path))
            journal.unlink(missing_ok=True)
    for folder in {STATE_FOLDER, *folders}:
        if (out_dir / folder).is_dir():
            for leftover in (out_dir / folder).rglob(f".*{TEMPORARY_SUFFIX}"):
                if leftover.is_file():
                    leftover.unlink(missing_ok=True)
    return completed
