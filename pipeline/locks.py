"""One writer at a time: an exclusive lock on a file, held for a block of work.

`hold(path, what)` takes an fcntl lock on `path` (created if missing) for the length of a
`with` block. A second process asking for the same lock waits up to `wait` seconds (told
through `waiting`, with what the holder wrote into the file), then gets LockBusy with a clear
message. The lock file is removed when the lock is released, so it never stays behind in a
folder people keep in git; a process that was waiting for it then takes a new one. The kernel
drops the lock of a process that dies, so a killed holder never blocks the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import PipelineError

_POLL_SECONDS = 0.1
_NAME_SECONDS = 1.0


class LockBusy(PipelineError):
    """Another process holds the lock (or it cannot be taken at all); nothing was done."""


def _holder(path: Path) -> str:
    """Return what the process holding a lock wrote into its file ("" if nothing yet)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _open_locked(path: Path, what: str) -> int | None:
    """Return a descriptor of path holding its lock, or None while another process holds it."""
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        raise LockBusy(f"cannot lock {path.parent} for {what}: {exc.strerror or exc} "
                       f"({path.name})") from exc
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        return None
    except OSError as exc:
        os.close(handle)
        raise LockBusy(f"cannot lock {path.parent} for {what}: {exc.strerror or exc}") from exc
    # The holder we waited for removes the file as it lets go: if the file we locked is no
    # longer the one at path, a third process may hold the new one. Start again.
    try:
        same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(handle).st_ino
    except FileNotFoundError:
        same = False
    if not same:
        os.close(handle)
        return None
    return handle


@contextlib.contextmanager
def hold(path: Path, what: str, wait: float = 0.0,
         waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on path for the block; wait up to `wait` s, then raise LockBusy.

    `what` names the work, for messages here and to those who wait ("import of a.docx into
    sources/x.yaml").
    `waiting` is called once, with a line saying who holds the lock, if this must wait.
    """
    started = time.monotonic()
    deadline = started + wait
    told = False
    while True:
        handle = _open_locked(path, what)
        if handle is not None:
            break
        holder = _holder(path)
        now = time.monotonic()
        if now >= deadline:
            raise LockBusy(f"{path.parent} is busy: {holder or 'another process'} still holds "
                           f"its lock after {wait:.0f} s; try the {what} again when it has "
                           "finished")
        # A holder names itself just after it takes the lock: give it a moment to.
        if waiting is not None and not told and (holder or now >= started + _NAME_SECONDS):
            waiting(f"waiting for {holder or 'another process'} to finish")
            told = True
        time.sleep(_POLL_SECONDS)
    try:
        os.ftruncate(handle, 0)
        os.write(handle, f"process {os.getpid()} ({what})\n".encode())
        yield
    finally:
        # Remove the file before letting go: whoever opens the path next makes a new one,
        # and whoever holds the old descriptor sees that it is stale (_open_locked).
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(handle)
