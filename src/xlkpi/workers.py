"""xlkpi's own process pool: every return is parsed in a worker that may die for it.

A return comes from anyone. A crafted file can make the Rust reader abort the process,
ask for hundreds of GiB, or spin forever; none of that may cost more than that file.
So each file is handed to a worker process, one at a time, and the parent watches:

- a memory ceiling (RLIMIT_AS) in the worker: a MemoryError is reported, an abort too;
- a wall-clock limit per file, kept by the parent, which kills the worker;
- a worker that dies (signal, abort, segfault, the ceiling) is replaced by a fresh one,
  and the file it held gets an outcome saying why. Nothing is read again in the parent.

Workers die with the parent in every case: the parent kills them on any exit (Ctrl-C,
SIGTERM turned into an exception by the CLI), and on Linux a death signal
(PR_SET_PDEATHSIG) plus a watchdog thread (the parent's pid changing) cover SIGKILL.
Results come back in input order, as soon as each is known.

Where processes do not exist (Pyodide, the web page) the caller reads in-process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Why a file has no result of its own (the caller turns these into problems).
CRASHED, TIMEOUT, MEMORY = "crashed", "timeout", "memory"

HAS_PROCESSES = sys.platform != "emscripten"  # Pyodide has no fork, no spawn, no pipes
_WATCHDOG_SECONDS = 0.25
_OUT_OF_MEMORY = b"memory allocation of "  # Rust's words before it aborts
_KILL_WAIT = 2.0  # seconds a killed worker is waited for (SIGKILL: at once in practice)


@dataclass(frozen=True, slots=True)
class Failure:
    """A file that cost its worker: `kind` is CRASHED, TIMEOUT or MEMORY."""

    kind: str
    detail: str  # e.g. "SIGABRT", "60 秒", for the message


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel sends SIGKILL when the parent dies. Everywhere: a watchdog thread."""
    if sys.platform == "linux":
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no libc to call: the watchdog alone
            pass
    if os.getppid() != parent:  # the parent died before the death signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_WATCHDOG_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="xlkpi-watchdog", daemon=True).start()


def _vm_bytes() -> int:
    """The process' address space now (Linux), 0 where unknown."""
    try:
        pages = Path("/proc/self/statm").read_bytes().split()[0]
        return int(pages) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(budget: int) -> None:
    """RLIMIT_AS: what the worker already maps (inherited by fork) plus `budget` bytes.

    Counting from the worker's start makes the ceiling the same per file whatever the
    parent has loaded. Windows has no `resource` module, and macOS does not enforce
    RLIMIT_AS: there the wall-clock limit and the size checks still hold.
    """
    try:
        import resource
    except ImportError:  # Windows
        return
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        ceiling = _vm_bytes() + budget
        if hard != resource.RLIM_INFINITY:
            ceiling = min(ceiling, hard)
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    except (ValueError, OSError, AttributeError):  # not allowed or not known here
        pass


def _serve(
    conn: Connection, parent: int, memory_budget: int, task: Callable[[Any], Any], errors: int
) -> None:
    """A worker's life: read (index, item), answer (index, ("ok", result) | (MEMORY, "")).

    Its stderr goes to `errors` (a file the parent reads when the worker dies), or nowhere
    (-1): a Rust backtrace is no message for a person.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if not os.environ.get("XLKPI_WORKER_STDERR"):
        sink = errors if errors >= 0 else os.open(os.devnull, os.O_WRONLY)
        os.dup2(sink, 2)
        if sink != errors:
            os.close(sink)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    _limit_memory(memory_budget)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the parent closed the pipe, or died
            os._exit(0)
        if message is None:
            os._exit(0)
        index, item = message
        if errors >= 0:  # what the last file printed is no clue to this one
            with contextlib.suppress(OSError):
                os.ftruncate(2, 0)
                os.lseek(2, 0, os.SEEK_SET)
        try:
            answer: tuple[str, Any] = ("ok", task(item))
        except MemoryError:
            answer = (MEMORY, "")
        try:
            conn.send((index, answer))
        except MemoryError:
            conn.send((index, (MEMORY, "")))
        if answer[0] == MEMORY:  # the heap may be in pieces: a fresh worker for the next file
            os._exit(0)


class _Worker:
    def __init__(
        self, context: BaseContext, memory_budget: int, task: Callable[[Any], Any]
    ) -> None:
        ours, theirs = context.Pipe(duplex=True)
        self.conn = ours
        # A forked worker inherits this file as its stderr; a spawned one could not.
        forked = context.get_start_method() == "fork"
        self.errors = tempfile.TemporaryFile() if forked else None  # noqa: SIM115 (closed by kill)
        self.process = context.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(theirs, os.getpid(), memory_budget, task,
                  self.errors.fileno() if self.errors else -1),
            name="xlkpi-reader",
            daemon=True,
        )  # fmt: skip
        self.process.start()
        theirs.close()
        self.index = -1  # the item it holds, -1 when idle
        self.deadline = 0.0

    def give(self, index: int, item: object, seconds: float) -> None:
        self.index = index
        self.deadline = time.monotonic() + seconds
        self.conn.send((index, item))

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(_KILL_WAIT)
        self.conn.close()
        if self.errors is not None:
            self.errors.close()

    def last_words(self) -> bytes:
        """The start of what the worker wrote to stderr for its last file (Rust's message
        comes first, a long backtrace after it)."""
        if self.errors is None:
            return b""
        try:
            self.errors.seek(0)
            return self.errors.read(4096)
        except (OSError, ValueError):
            return b""


class Pool(Generic[T, R]):
    """Up to `jobs` workers running `task` over items, each under the limits."""

    def __init__(
        self,
        task: Callable[[T], R],
        *,
        jobs: int,
        max_seconds: float,
        max_memory_bytes: int,
        start_method: str | None = None,
    ) -> None:
        self.task = task
        self.jobs = max(1, jobs)
        self.max_seconds = max_seconds
        self.max_memory_bytes = max_memory_bytes
        self.context = multiprocessing.get_context(start_method)

    def map(self, items: Iterable[T]) -> Iterator[R | Failure]:
        """Each item's result (or Failure), in the items' order, as soon as it is known."""
        todo = deque(enumerate(items))
        total = len(todo)
        done: dict[int, R | Failure] = {}
        workers: list[_Worker] = []
        following = 0
        try:
            while following < total:
                for worker in workers:
                    if worker.index < 0 and todo:
                        worker.give(*todo.popleft(), self.max_seconds)
                while todo and len(workers) < min(self.jobs, total):
                    worker = _Worker(self.context, self.max_memory_bytes, self.task)
                    workers.append(worker)
                    worker.give(*todo.popleft(), self.max_seconds)
                while following in done:
                    yield done.pop(following)
                    following += 1
                if following >= total:
                    break
                busy = [w for w in workers if w.index >= 0]
                wait_for = min(w.deadline for w in busy) - time.monotonic()
                handles: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
                ready = set(wait(handles, max(0.0, wait_for)))
                for worker in busy:
                    outcome = self._outcome(worker, ready)
                    if outcome is None:
                        continue
                    done[worker.index] = outcome
                    worker.index = -1
                    if isinstance(outcome, Failure) or not worker.process.is_alive():
                        worker.kill()
                        workers.remove(worker)
        finally:  # Ctrl-C, SIGTERM, a consumer that stops: no worker outlives the pool
            if following >= total:  # all done: the idle workers are told to go, briefly awaited
                for worker in workers:
                    with contextlib.suppress(OSError):
                        worker.conn.send(None)
                end = time.monotonic() + 0.5
                for worker in workers:
                    worker.process.join(max(0.0, end - time.monotonic()))
            for worker in workers:  # stopped early: killed at once (Ctrl-C exits within 1 s)
                worker.kill()

    def _outcome(self, worker: _Worker, ready: set[Any]) -> R | Failure | None:
        """What `worker` gave for its item: a result, a Failure, or None (still working)."""
        if worker.conn in ready or worker.process.sentinel in ready:
            if worker.conn.poll():
                try:
                    _, (kind, value) = worker.conn.recv()
                except (EOFError, OSError):
                    pass
                else:
                    if kind == MEMORY:
                        return Failure(MEMORY, "")
                    return value  # type: ignore[no-any-return]
            worker.process.join(_KILL_WAIT)
            code = worker.process.exitcode
            if _OUT_OF_MEMORY in worker.last_words():  # Rust aborts when an allocation fails
                return Failure(MEMORY, "")
            if code is not None and code < 0:
                return Failure(CRASHED, signal_name(-code))
            return Failure(CRASHED, f"終了コード {code}")
        if time.monotonic() >= worker.deadline:
            return Failure(TIMEOUT, f"{self.max_seconds:g} 秒")
        return None
