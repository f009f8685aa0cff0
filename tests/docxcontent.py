"""Read a .docx back as a person reads it: paragraphs and tables in order (python-docx)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph


@dataclass
class Item:
    kind: str  # "p" or "table"
    style: str = ""
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    highlighted: list[str] = field(default_factory=list)  # runs marked for the secretariat


def items(path: Path) -> list[Item]:
    document = docx.Document(str(path))
    found: list[Item] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(child, document)
            marked = [r.text for r in paragraph.runs if r.font.highlight_color is not None]
            found.append(Item("p", paragraph.style.name if paragraph.style else "",
                              paragraph.text, highlighted=marked))  # fmt: skip
        elif tag == "tbl":
            found.append(Item("table", rows=table_rows(Table(child, document))))
    return found


def table_rows(table: Any) -> list[list[str]]:
    """Each row's cells, a cell merged across columns once."""
    rows = []
    for row in table.rows:
        texts, last = [], None
        for cell in row.cells:
            if cell._tc is not last:
                texts.append(cell.text)
            last = cell._tc
        rows.append(texts)
    return rows


def section(found: list[Item], start: str, end: str | None = None) -> list[Item]:
    """The items from the paragraph reading `start` up to the one reading `end`."""
    first = next(i for i, item in enumerate(found) if item.kind == "p" and item.text == start)
    rest = found[first + 1 :]
    if end is None:
        return rest
    last = next(i for i, item in enumerate(rest) if item.kind == "p" and item.text == end)
    return rest[:last]


def texts(found: list[Item]) -> list[str]:
    return [item.text for item in found if item.kind == "p" and item.text]


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as package:
        return package.read(name)


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as package:
        return package.namelist()
