"""`locks.hold`: one holder at a time, across real processes; a clear message past the wait."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline.locks import LockBusy, hold


def test_a_second_holder_is_told_who_holds_the_lock(tmp_path):
    lock = tmp_path / ".lock"
    with hold(lock, "first job"):
        told: list[str] = []
        started = time.monotonic()
        with pytest.raises(LockBusy) as raised, hold(lock, "second job", wait=0.3,
                                                     waiting=told.append):
            pass
        assert time.monotonic() - started >= 0.3
    assert told == [f"waiting for process {os.getpid()} (first job) to finish"]
    assert str(raised.value) == (f"{tmp_path} is busy: process {os.getpid()} (first job) still "
                                 "holds its lock after 0 s; try the second job again when it "
                                 "has finished")


def test_the_lock_is_free_again_and_its_file_gone_after_the_block(tmp_path):
    lock = tmp_path / ".lock"
    with hold(lock, "first job"):
        assert lock.read_text(encoding="utf-8") == f"process {os.getpid()} (first job)\n"
    assert not lock.exists()
    with hold(lock, "second job"):
        pass
    with pytest.raises(RuntimeError), hold(lock, "failing job"):
        raise RuntimeError
    assert not lock.exists()


def test_a_lock_that_cannot_be_made_is_said_plainly(tmp_path):
    with pytest.raises(LockBusy) as raised, hold(tmp_path / "missing" / ".lock", "a job"):
        pass
    assert str(raised.value) == (f"cannot lock {tmp_path / 'missing'} for a job: No such file "
                                 "or directory (.lock)")


def test_a_symbolic_link_is_not_followed(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("keep", encoding="utf-8")
    (tmp_path / ".lock").symlink_to(target)
    with pytest.raises(LockBusy, match="Too many levels of symbolic links"), \
            hold(tmp_path / ".lock", "a job"):
        pass
    assert target.read_text(encoding="utf-8") == "keep"


HOLDER = """
import sys, time
from pathlib import Path
from pipeline.locks import hold
with hold(Path(sys.argv[1]), "a job that is killed"):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_killed_holder_does_not_block_the_next(tmp_path):
    lock = tmp_path / ".lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(LockBusy), hold(lock, "a job"):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert lock.exists()  # it had no chance to remove it; the kernel dropped its lock
    with hold(lock, "the next job", wait=5):
        pass


COUNTER = """
import sys
from pathlib import Path
from pipeline.locks import hold
lock, counter = Path(sys.argv[1]), Path(sys.argv[2])
for _ in range(25):
    with hold(lock, "counting", wait=120):
        value = int(counter.read_text())
        counter.write_text(str(value + 1))
"""


def test_processes_take_turns_and_no_increment_is_lost(tmp_path):
    # Each holder removes the lock file as it lets go while others wait on it: a waiter
    # that locked the removed file must not count as holding the lock.
    counter = tmp_path / "counter"
    counter.write_text("0")
    workers = [subprocess.Popen([sys.executable, "-c", COUNTER, str(tmp_path / ".lock"),
                                 str(counter)]) for _ in range(4)]
    assert [worker.wait(timeout=300) for worker in workers] == [0, 0, 0, 0]
    assert counter.read_text() == "100"
    assert not (tmp_path / ".lock").exists()
