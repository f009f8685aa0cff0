"""Which files a run reads: every entry of the folders given, each listed in the ledger."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TypeVar

from xlkpi.problems import LedgerEntry, Report, Status, problem

T = TypeVar("T")

# Sniffed and read (or refused with a reason); other files are listed as skipped.
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods"})
# A return sent compressed: never opened here, but never passed over in silence either.
ARCHIVE_SUFFIXES = frozenset({".zip", ".lzh", ".7z", ".rar"})


@dataclass(frozen=True)  # no slots: the CLI shows the class defaults
class Limits:
    """Caps checked before anything is decompressed (documented in docs/usage.md)."""

    max_unzipped_bytes: int = 50 * 1024 * 1024
    max_ratio: int = 100  # per zip member larger than 1 MiB


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

    def read(self) -> bytes:
        return self.data if self.data is not None else self.path.read_bytes()


def discover(
    inputs: list[Path], output: Path | None = None, *, output_is_summary: bool = False
) -> tuple[list[Candidate], Report]:
    """Workbooks to read; a report with ledger rows for every other directory entry.

    The output among the inputs is OutputIsInput, unless it is the summary a previous
    run wrote there (`output_is_summary`): that one is listed as skipped, and replaced.
    A subfolder holding workbooks is not read, but said so (folder-not-read), and so
    is an archive (archive-not-read).
    """
    found: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    folders = {given.resolve() for given in inputs if given.is_dir()}
    for given in inputs:
        if given.is_dir():
            for entry in sorted(given.iterdir(), key=lambda p: p.name):
                if entry.resolve() in folders:
                    continue  # given too: read as such, not skipped as a subfolder
                reason = _skip_reason(entry)
                if reason:
                    skipped.append((entry, reason))
                else:
                    found.append(entry)
        elif given.is_file():
            reason = _skip_reason(given) if given.name.startswith("~$") else ""
            if reason:
                skipped.append((given, reason))
            else:
                found.append(given)
        else:
            raise InputMissing(str(given))
    if output is not None and any(p.resolve() == output.resolve() for p in found):
        if not output_is_summary:
            raise OutputIsInput(str(output))
        found = [p for p in found if p.resolve() != output.resolve()]
        skipped.append(
            (output, "この実行の出力先です（前回作成した集計ブック。読み込まずに作り直します）。")
        )
    # A file given twice (a folder and a file in it, or two spellings) is read once.
    found = _first_of_each(found, lambda p: p)
    skipped = _first_of_each(skipped, lambda entry: entry[0])
    names = [p.name for p in found] + [p.name for p, _ in skipped]
    unique = len(set(names)) == len(names)

    def display(path: Path) -> str:
        return shown_name(path.name if unique else str(path))

    # Sorted, so which of two conflicting returns is kept never depends on argument order.
    candidates = sorted((Candidate(p, display(p)) for p in found), key=lambda c: c.display)
    report = Report([], [LedgerEntry(display(p), "", Status.SKIPPED, r) for p, r in skipped])
    for entry, _ in skipped:
        if entry.is_dir():
            count = _workbooks_in(entry, output)
            if count:
                report.add(problem("folder-not-read", file=display(entry), count=count))
        elif entry.suffix.lower() in ARCHIVE_SUFFIXES:
            report.add(problem("archive-not-read", file=display(entry)))
    return candidates, report


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
        kept.setdefault(path_of(item).resolve(), item)
    return list(kept.values())


def _workbooks_in(folder: Path, output: Path | None) -> int:
    """Workbooks directly in `folder` that a run would read, leaving out this run's output."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return 0
    own = output.resolve() if output is not None else None
    return sum(1 for p in entries if not _skip_reason(p) and p.resolve() != own)


def _skip_reason(path: Path) -> str:
    return skip_reason(path.name, folder=path.is_dir(), head=lambda: _head(path))


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
        with path.open("rb") as file:
            return file.read(4)
    except OSError:
        return b""
