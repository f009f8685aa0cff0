"""Which files a run reads: every entry of the folders given, each listed in the ledger."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from xlkpi.problems import LedgerEntry, Report, Status, problem

T = TypeVar("T")

# Sniffed and read (or refused with a reason); other files are listed as skipped.
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods"})
# A return sent compressed: never opened here, but never passed over in silence either.
ARCHIVE_SUFFIXES = frozenset({".zip", ".lzh", ".7z", ".rar"})


@dataclass(frozen=True)  # no slots: the CLI shows the class defaults
class Limits:
    """Caps checked before anything is decompressed (documented in the README)."""

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
    if path.name.startswith("~$"):
        return "Excel の一時ファイル（~$）のため読み込みません。元のブックが Excel で開かれている可能性があります。"
    if path.is_dir():
        return (
            "フォルダです（中のファイルは読み込みません。読み込むにはフォルダを指定してください）。"
        )
    if path.suffix.lower() in ARCHIVE_SUFFIXES:
        return "圧縮ファイルは展開せず、読み込みません。"
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        return "Excel ブックではないため読み込みません。"
    if path.name.startswith("._") and _is_apple_double(path):
        return f"macOS が作る付属ファイルのため読み込みません（ブックは「{path.name[2:]}」）。"
    return ""


def _is_apple_double(path: Path) -> bool:
    """A Mac's ._ file beside each file it zips or copies (its metadata, not the file)."""
    try:
        with path.open("rb") as file:
            return file.read(4) == b"\x00\x05\x16\x07"
    except OSError:
        return False
