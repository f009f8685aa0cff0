"""The committee document (資料.docx): 結果概要, 達成状況一覧 and every measure's table.

source.read_source gives the merge result from the returns or from a summary workbook
(whose grades, corrected by hand, are what the document says); compose builds the
document's content from it; writer lays it out as Word.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from defusedxml import ElementTree

from xlkpi.merge import MergeResult
from xlkpi.output import OutputError, atomic_path, failure
from xlkpi.report.blocks import Document, Heading, Para, Table
from xlkpi.report.compose import compose
from xlkpi.report.writer import body_digest, to_docx

__all__ = ["blanks", "document_bytes", "may_replace", "write_report"]

_CORE = "docProps/core.xml"
_DC = "{http://purl.org/dc/elements/1.1/}"
_LARGEST = 512 * 2**20  # unzipped: no document xlkpi writes comes near


def document_bytes(result: MergeResult, vision: str = "") -> bytes:
    """The .docx for `result`; `vision` names the plan in the titles."""
    return to_docx(compose(result, vision))


def write_report(result: MergeResult, path: Path, vision: str = "") -> int:
    """Written whole or not at all (OutputError when it cannot be); returns how many
    places the document leaves for the secretariat to write in."""
    content = compose(result, vision)
    data = to_docx(content)
    try:
        with atomic_path(path) as temp:
            temp.write_bytes(data)
    except OSError as exc:
        raise OutputError(f"資料を書き込めませんでした（{failure(exc)}）。") from exc
    return blanks(content)


def blanks(content: Document) -> int:
    """The marked places to write in (highlighted in the document)."""
    count = 0
    for block in content.blocks:
        if isinstance(block, Heading | Para):
            count += sum(1 for part in block.runs if part.blank)
        elif isinstance(block, Table):
            count += sum(
                1 for row in block.rows for cell in row for part in cell.runs if part.blank
            )
    return count


def may_replace(path: Path) -> bool:
    """Is there nothing at `path`, or a document xlkpi wrote that nobody has saved since?

    Word or LibreOffice rewrite the body when they save it, and the digest xlkpi kept of
    the body (core property identifier) no longer matches: a document the secretariat has
    written in is never replaced."""
    if not path.exists():
        return True
    try:
        with zipfile.ZipFile(path) as package:
            if sum(info.file_size for info in package.infolist()) > _LARGEST:
                return False
            core = ElementTree.fromstring(package.read(_CORE))
            body = package.read("word/document.xml")
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError, ValueError):
        return False
    identifier = core.find(f"{_DC}identifier")
    return identifier is not None and identifier.text == body_digest(body)
