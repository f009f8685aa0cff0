"""Which files a run reads: every entry of the folders given, each listed in the ledger."""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TypeVar

from xlkpi.problems import LedgerEntry, Problem, Report, Status, problem

T = TypeVar("T")

# Sniffed and read (or refused with a reason); other files are listed as skipped.
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods"})
# A return sent compressed: never opened here, but never passed over in silence either.
ARCHIVE_SUFFIXES = frozenset({".zip", ".lzh", ".7z", ".rar"})


@dataclass(frozen=True)  # no slots: the CLI shows the class defaults
class Limits:
    """Caps checked before anything is decompressed (documented in docs/usage.md)."""

    max_unzipped_bytes: int = 50 * 1024 * 1024  # a file on disk larger than this is not read
    max_ratio: int = 100  # per zip member larger than 1 MiB
    max_memory_mb: int = 2048  # per worker reading one file (workers.py)
    max_seconds: float = 60  # per file, then its worker is killed


class InputMissing(Exception):
    """A path given on the command line does not exist (a usage error)."""


class OutputIsInput(Exception):
    """The output path is one of the files that would be read (a usage error)."""


class OutputTaken(Exception):
    """The output path holds a workbook that is not `expected`, perhaps a return (a usage error)."""

    def __init__(self, path: Path, expected: str) -> None:
        super().__init__(str(path), expected)
        self.path = path
        self.expected = expected


@dataclass(frozen=True, slots=True)
class Candidate:
    path: Path
    display: str  # how messages and the ledger name the file
    data: bytes | None = None  # the content, for a file given as (name, bytes): never on disk

    def read(self, limit: int) -> bytes:
        """The content; NotRegular, TooBig or OSError for a file that is not read."""
        return self.data if self.data is not None else read_regular(self.path, limit)


class NotRegular(Exception):
    """A FIFO, device, socket or folder where a file was expected: never read."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class TooBig(Exception):
    """A file larger than the limit: not read past the limit."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(size, limit)
        self.size = size
        self.limit = limit


_KINDS = (
    (stat.S_ISFIFO, "名前付きパイプ"),
    (stat.S_ISCHR, "キャラクタデバイス"),
    (stat.S_ISBLK, "ブロックデバイス"),
    (stat.S_ISSOCK, "ソケット"),
    (stat.S_ISDIR, "フォルダ"),
)


def special_kind(mode: int) -> str:
    """What a non-regular file is, in words ("" for a regular file)."""
    if stat.S_ISREG(mode):
        return ""
    return next((kind for test, kind in _KINDS if test(mode)), "通常のファイルではないもの")


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # Windows has no FIFOs to wait on, and no flag


def read_regular(path: Path, limit: int) -> bytes:
    """A regular file's bytes, at most `limit`: what it is and how large is asked of the
    open file itself (no race with a rename), before anything is read.

    O_NONBLOCK: opening a FIFO does not wait for a writer (it is then refused, never read).
    """
    flags = os.O_RDONLY | _NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        kind = special_kind(info.st_mode)
        if kind:
            raise NotRegular(kind)
        if info.st_size > limit:
            raise TooBig(info.st_size, limit)
        chunks: list[bytes] = []
        left = limit + 1  # one byte more tells a file that grew since fstat
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise TooBig(len(data), limit)
        return data
    finally:
        os.close(fd)


def path_problem(exc: OSError, display: str) -> Problem:
    """A path that cannot be looked at or opened, said as what it is: never a damaged file."""
    reason = exc.strerror or type(exc).__name__
    if exc.errno in (errno.EACCES, errno.EPERM) or isinstance(exc, PermissionError):
        return problem("permission-denied", file=display, detail=reason)
    if exc.errno == errno.ELOOP:
        return problem("symlink-loop", file=display)
    if exc.errno == errno.ENAMETOOLONG:
        return problem("path-too-long", file=display)
    if exc.errno == errno.ENXIO:  # a socket opened as a file
        return problem("not-regular-file", file=display, kind="ソケット")
    return problem("path-unreadable", file=display, detail=reason)


OWN_TEMP_PREFIX = ".~xlkpi-"  # output.atomic_path's temporary files: .~xlkpi-<pid>-<host>-…
STALE_SECONDS = 3600


def own_temp_prefix() -> str:
    """The start of this process' temporary file names: its pid, and which machine it is on
    (a folder on a network share is written from several)."""
    return f"{OWN_TEMP_PREFIX}{os.getpid()}-{_HOST}-"


def _host() -> str:
    import hashlib

    try:
        import socket

        name = socket.gethostname()
    except (ImportError, OSError):  # a sandbox without one (Pyodide writes no temp files)
        name = ""
    return hashlib.sha256(name.encode("utf-8", "replace")).hexdigest()[:8]


_HOST = _host()


def is_own_temp(name: str) -> bool:
    return name.startswith(OWN_TEMP_PREFIX)


def stale_temp(path: Path) -> bool:
    """An own temporary file no run is writing: an hour old, or its writer, a process on
    this machine, is gone."""
    try:
        if time.time() - path.lstat().st_mtime > STALE_SECONDS:
            return True
    except OSError:
        return False
    parts = path.name[len(OWN_TEMP_PREFIX) :].split("-", 2)
    if len(parts) < 3 or not parts[0].isdigit() or parts[1] != _HOST:
        return False  # another machine's, or an older run's name: left to the age test
    pid = int(parts[0])
    if pid == os.getpid() or sys.platform == "win32":  # Windows' os.kill would end it
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # someone else's live process
        return False
    return False


def discover(
    inputs: list[Path], output: Path | None = None, *, output_is_summary: bool = False
) -> tuple[list[Candidate], Report]:
    """Workbooks to read; a report with ledger rows for every other directory entry.

    The output among the inputs is OutputIsInput, unless it is the summary a previous
    run wrote there (`output_is_summary`): that one is listed as skipped, and replaced.
    A subfolder holding workbooks is not read, but said so (folder-not-read), and so
    is an archive (archive-not-read). A path that cannot be looked at (no permission,
    a symlink loop, too long) or that is no regular file (a FIFO, a device) is a
    problem naming it, never opened; xlkpi's own temporary files are skipped.
    """
    found: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    refused: list[tuple[Path, OSError | str]] = []  # an OS error, or what the file is
    folders = {_resolved(given) for given in inputs if _is_dir(given)}
    for given in inputs:
        info = _look(given)
        if isinstance(info, OSError):
            if info.errno in (errno.ENOENT, errno.ENOTDIR):
                raise InputMissing(str(given))
            refused.append((given, info))
        elif stat.S_ISDIR(info.st_mode):
            try:
                entries = sorted(given.iterdir(), key=lambda p: p.name)
            except OSError as exc:
                refused.append((given, exc))
                continue
            for entry in entries:
                if _resolved(entry) in folders:
                    continue  # given too: read as such, not skipped as a subfolder
                _sort(entry, found, skipped, refused)
        elif stat.S_ISREG(info.st_mode):
            reason = _skip_reason(given) if given.name.startswith(("~$", OWN_TEMP_PREFIX)) else ""
            if reason:
                skipped.append((given, reason))
            else:
                found.append(given)
        else:
            refused.append((given, special_kind(info.st_mode)))
    if output is not None and any(_resolved(p) == _resolved(output) for p in found):
        if not output_is_summary:
            raise OutputIsInput(str(output))
        found = [p for p in found if _resolved(p) != _resolved(output)]
        skipped.append(
            (output, "この実行の出力先です（前回作成した集計ブック。読み込まずに作り直します）。")
        )
    # A file given twice (a folder and a file in it, or two spellings) is read once.
    found = _first_of_each(found, lambda p: p)
    skipped = _first_of_each(skipped, lambda entry: entry[0])
    refused = _first_of_each(refused, lambda entry: entry[0])
    names = [p.name for p in found] + [p.name for p, _ in (*skipped, *refused)]
    unique = len(set(names)) == len(names)

    def display(path: Path) -> str:
        return shown_name(path.name if unique else str(path))

    # Sorted, so which of two conflicting returns is kept never depends on argument order.
    candidates = sorted((Candidate(p, display(p)) for p in found), key=lambda c: c.display)
    report = Report([], [LedgerEntry(display(p), "", Status.SKIPPED, r) for p, r in skipped])
    for path, why in refused:
        report.ledger.append(LedgerEntry(display(path), "", Status.SKIPPED))
        if isinstance(why, OSError):
            report.add(path_problem(why, display(path)))
        else:
            report.add(problem("not-regular-file", file=display(path), kind=why))
    for entry, _ in skipped:
        if _is_dir(entry):
            count = _workbooks_in(entry, output)
            if count:
                report.add(problem("folder-not-read", file=display(entry), count=count))
        elif entry.suffix.lower() in ARCHIVE_SUFFIXES:
            report.add(problem("archive-not-read", file=display(entry)))
    return candidates, report


def _sort(
    entry: Path,
    found: list[Path],
    skipped: list[tuple[Path, str]],
    refused: list[tuple[Path, OSError | str]],
) -> None:
    """A folder's entry into the list it belongs to; only regular files are ever opened."""
    if is_own_temp(entry.name):
        skipped.append((entry, OWN_TEMP_REASON))
        return
    info = _look(entry)
    workbook = PurePosixPath(entry.name).suffix.lower() in WORKBOOK_SUFFIXES
    if isinstance(info, OSError):
        if workbook or info.errno != errno.ENOENT:  # a dangling link to a non-workbook: skipped
            refused.append((entry, info))
            return
    elif not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode) and workbook:
        refused.append((entry, special_kind(info.st_mode)))
        return
    reason = _skip_reason(entry)
    if reason:
        skipped.append((entry, reason))
    else:
        found.append(entry)


OWN_TEMP_REASON = (
    "xlkpi が書き込み中の一時ファイル（または中断した実行の残り）のため読み込みません。"
)


def _look(path: Path) -> os.stat_result | OSError:
    """The path's status (links followed), or why it cannot be had."""
    try:
        return path.stat()
    except OSError as exc:
        return exc
    except ValueError as exc:  # a NUL in the name
        return OSError(errno.EINVAL, str(exc))


def _is_dir(path: Path) -> bool:
    info = _look(path)
    return not isinstance(info, OSError) and stat.S_ISDIR(info.st_mode)


def _resolved(path: Path) -> Path:
    """The path resolved; as given, made absolute, where it cannot be (a loop, no access)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # Python 3.11 raises RuntimeError for a symlink loop
        return path.absolute()


Named = tuple[str, bytes]  # a file given by its name and content, as a browser hands it over


def discover_named(items: Sequence[Named]) -> tuple[list[Candidate], Report]:
    """`discover` for files given as (name, bytes): a browser's choice of files or of a folder.

    A name may hold folders ("調書/sub/x.xlsx", as a folder choice gives it): what lies in
    the folder chosen is read, what lies in its subfolders is not, and said so per
    subfolder, as `discover` does for the subfolders of a folder given.
    """
    paths = {name: named_path(name) for name, _ in items}
    depth = min((len(p.parts) for p in paths.values()), default=1)
    found: dict[PurePosixPath, bytes] = {}
    skipped: dict[PurePosixPath, str] = {}
    subfolders: dict[PurePosixPath, list[tuple[str, bytes]]] = {}  # -> the files right in it
    # In name order, as a folder is listed on disk: a browser hands a folder's files in any order.
    for name, data in sorted(items, key=lambda item: paths[item[0]].parts):
        path = paths[name]
        if len(path.parts) > depth:  # inside a subfolder of the folder chosen
            folder = PurePosixPath(*path.parts[:depth])
            inside = subfolders.setdefault(folder, [])
            if len(path.parts) == depth + 1:  # deeper files are in a subfolder of it: not counted
                inside.append((path.name, data))
            skipped.setdefault(folder, skip_reason(folder.name, folder=True, head=bytes))
            continue
        reason = skip_reason(path.name, folder=False, head=partial(_start, data))
        if path in found or path in skipped:
            continue  # the same file twice is read once
        if reason:
            skipped[path] = reason
        else:
            found[path] = data
    names = [p.name for p in (*found, *skipped)]
    unique = len(set(names)) == len(names)

    def display(path: PurePosixPath) -> str:
        return path.name if unique else str(path)

    candidates = sorted(
        (Candidate(Path(p), display(p), data) for p, data in found.items()),
        key=lambda c: c.display,
    )
    report = Report(
        [], [LedgerEntry(display(p), "", Status.SKIPPED, r) for p, r in skipped.items()]
    )
    for path in skipped:
        if path in subfolders:
            count = sum(
                not skip_reason(name, folder=False, head=partial(_start, data))
                for name, data in subfolders[path]
            )
            if count:
                report.add(problem("folder-not-read", file=display(path), count=count))
        elif path.suffix.lower() in ARCHIVE_SUFFIXES:
            report.add(problem("archive-not-read", file=display(path)))
    return candidates, report


def named_path(name: str) -> PurePosixPath:
    """A (name, bytes) file's name as a relative path, Windows' separators too."""
    return PurePosixPath(name.replace("\\", "/").lstrip("/"))


def shown_name(name: str) -> str:
    """A file name as text. Bytes the system could not decode are Shift_JIS from a Windows
    zip more often than not: decoded so, or else shown as escapes (never as surrogates,
    which no message, ledger or workbook can hold)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(name)
        try:
            return raw.decode("cp932")
        except UnicodeDecodeError:
            return raw.decode("utf-8", "backslashreplace")
    return name


def _first_of_each(items: list[T], path_of: Callable[[T], Path]) -> list[T]:
    """In order, leaving out any item whose file was already seen, however it was spelled."""
    kept: dict[Path, T] = {}
    for item in items:
        kept.setdefault(_resolved(path_of(item)), item)
    return list(kept.values())


def _workbooks_in(folder: Path, output: Path | None) -> int:
    """Workbooks directly in `folder` that a run would read, leaving out this run's output."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return 0
    own = _resolved(output) if output is not None else None
    return sum(1 for p in entries if _regular(p) and not _skip_reason(p) and _resolved(p) != own)


def _regular(path: Path) -> bool:
    info = _look(path)
    return not isinstance(info, OSError) and stat.S_ISREG(info.st_mode)


def _skip_reason(path: Path) -> str:
    if is_own_temp(path.name):
        return OWN_TEMP_REASON
    # head() opens the file: only a regular one (a FIFO would block)
    head = (lambda: _head(path)) if _regular(path) else bytes
    return skip_reason(path.name, folder=_is_dir(path), head=head)


def skip_reason(name: str, *, folder: bool, head: Callable[[], bytes]) -> str:
    """Why a directory entry is not read as a workbook ("" if it is); `head` gives its first bytes."""
    suffix = PurePosixPath(name).suffix.lower()
    if name.startswith("~$"):
        return "Excel の一時ファイル（~$）のため読み込みません。元のブックが Excel で開かれている可能性があります。"
    if folder:
        return (
            "フォルダです（中のファイルは読み込みません。読み込むにはフォルダを指定してください）。"
        )
    if suffix in ARCHIVE_SUFFIXES:
        return "圧縮ファイルは展開せず、読み込みません。"
    if suffix not in WORKBOOK_SUFFIXES:
        return "Excel ブックではないため読み込みません。"
    if name.startswith("._") and head() == APPLE_DOUBLE:  # a Mac's metadata beside a file it copies
        return f"macOS が作る付属ファイルのため読み込みません（ブックは「{name[2:]}」）。"
    return ""


APPLE_DOUBLE = b"\x00\x05\x16\x07"


def _start(data: bytes) -> bytes:
    return data[:4]


def _head(path: Path) -> bytes:
    try:
        return _first_bytes(path)
    except OSError:
        return b""


def _first_bytes(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | getattr(os, "O_BINARY", 0))
    try:
        if special_kind(os.fstat(fd).st_mode):
            return b""
        return os.read(fd, 4)
    finally:
        os.close(fd)
