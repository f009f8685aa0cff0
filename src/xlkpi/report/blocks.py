"""The committee document's content as plain data: what it says, before it is Word.

compose.py builds it from a merge result; writer.py lays it out with python-docx.
Tests read it back from the .docx, never from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xlkpi.report.charts import Chart


@dataclass(frozen=True)
class Text:
    """A run of text. `blank` marks a place the secretariat writes in (highlighted):
    its words say what goes there, and are never a judgement made for them."""

    text: str
    blank: bool = False
    bold: bool = False


Runs = tuple[Text, ...]


def runs(*parts: str | Text) -> Runs:
    return tuple(Text(p) if isinstance(p, str) else p for p in parts)


def blank(what: str) -> Text:
    return Text(f"（{what}）", blank=True)


@dataclass(frozen=True)
class Heading:
    level: int  # 0 the title, 1 and 2 Word's 見出し 1 and 2
    runs: Runs


@dataclass(frozen=True)
class Para:
    runs: Runs
    kind: str = "body"  # body, lead (● 小見出し), item (an indented list line), note


@dataclass(frozen=True)
class Cell:
    runs: Runs = ()
    span: int = 1  # grid columns
    merge_up: bool = False  # continues the cell above (a label for several KPI rows)
    head: bool = False
    align: str = "left"  # left, center, right


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[float, ...]  # cm per grid column
    header_rows: int = 1  # repeated on each page
    size: float = 9.0  # points
    keep_rows: bool = True  # a row never splits across pages
    padding: float = 1.0  # points above and below the text of each cell


@dataclass(frozen=True)
class Charts:
    """Charts side by side, each under its caption."""

    items: tuple[tuple[str, Chart], ...]
    width: float  # cm, each
    height: float


@dataclass(frozen=True)
class Section:
    """A new section from a new page: 達成状況一覧 is landscape, the rest portrait."""

    landscape: bool


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Para | Table | Charts | Section | PageBreak


@dataclass
class Document:
    title: str  # the file's properties
    subject: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)
