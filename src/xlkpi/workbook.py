"""Open one .xlsx/.xlsm safely and hand out its sheets as value grids.

Checks run before any sheet is parsed: first bytes, encryption, zip integrity,
unzipped size and ratio caps, Strict OOXML, and the workbook's own sheet list
(parsed with defusedxml). Values come from python-calamine; what calamine does
not tell (percent number formats, formulas, error cells) comes from a quick
scan of the sheet XML, only when that XML contains any of them.
"""

from __future__ import annotations

import functools
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NamedTuple

import defusedxml.ElementTree as SafeET
import python_calamine as calamine
from defusedxml import DefusedXmlException

from xlkpi import numfmt
from xlkpi.intake import Limits
from xlkpi.ole import ole_kind

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_R_ATTRS = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id",
    "{http://purl.oclc.org/ooxml/officeDocument/relationships}id",
)

Pos = tuple[int, int]  # zero-based (row, column)


def unescape(text: str) -> str:
    """xml.sax.saxutils.unescape, without importing it: it pulls in urllib.request, http
    and email (0.7 s of the page's 2 s of imports under Pyodide)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class Rejected(Exception):
    """The whole file cannot be read; `code` is a problem code."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class SheetInfo:
    name: str  # as the workbook names it
    label: str  # unique and never empty: how the ledger and messages name it
    kind: str  # "worksheet", "chartsheet", "dialogsheet", "macrosheet", ...
    state: str  # "visible", "hidden" or "veryHidden"
    part: str | None  # zip member, None when the part is missing


@dataclass(slots=True)
class SheetGrid:
    """A sheet's cell values, zero-based, with what calamine alone would lose."""

    name: str
    rows: Sequence[Sequence[object]]
    anchors: dict[Pos, Pos] = field(default_factory=dict)  # merged cell -> its top-left
    percent: set[Pos] = field(default_factory=set)  # numbers shown as percents
    years: set[Pos] = field(default_factory=set)  # dates shown as a year: 「令和6年度」
    # numbers shown with a unit or in thousands by their format: (literal, thousands)
    literals: dict[Pos, tuple[str, int]] = field(default_factory=dict)
    formulas: dict[Pos, str] = field(default_factory=dict)
    uncached: set[Pos] = field(default_factory=set)  # formulas saved without a result
    errors: dict[Pos, str] = field(default_factory=dict)
    formulas_trusted: bool = True  # False when the writer asked Excel to recalculate
    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: tuple[tuple[int, int], ...] = ()  # (first, last), zero-based

    def value(self, pos: Pos) -> object:
        row, col = self.anchors.get(pos) or pos
        try:
            return self.rows[row][col]
        except IndexError:
            return None

    def cropped(self, height: int, width: int) -> SheetGrid:
        """The cells above row `height` and left of column `width`, as a sheet of their own."""

        def inside(pos: Pos) -> bool:
            return pos[0] < height and pos[1] < width

        return SheetGrid(
            self.name,
            [row[:width] for row in self.rows[:height]],
            {p: a for p, a in self.anchors.items() if inside(p) and inside(a)},
            {p for p in self.percent if inside(p)},
            {p for p in self.years if inside(p)},
            {p: v for p, v in self.literals.items() if inside(p)},
            {p: f for p, f in self.formulas.items() if inside(p)},
            {p for p in self.uncached if inside(p)},
            {p: e for p, e in self.errors.items() if inside(p)},
            self.formulas_trusted,
            self.hidden_rows,
            self.hidden_columns,
        )

    def is_hidden(self, pos: Pos) -> bool:
        """In a row or column hidden in Excel."""
        return pos[0] in self.hidden_rows or any(a <= pos[1] <= b for a, b in self.hidden_columns)

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


def sniff(head: bytes) -> str:
    """ "zip", "ole", "empty" or "other", from a file's first bytes."""
    if not head:
        return "empty"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    return "other"


def cell_ref(pos: Pos) -> str:
    """(17, 1) -> "B18"."""
    row, col = pos
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def parse_ref(ref: str) -> Pos | None:
    match = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+)", ref)
    if match is None:
        return None
    col = 0
    for char in match.group(1):
        col = col * 26 + ord(char) - 64
    return int(match.group(2)) - 1, col - 1


class Workbook:
    """An opened workbook. Construction runs every file-level check."""

    def __init__(self, data: bytes, limits: Limits | None = None) -> None:
        self._zip, root, rels, names = _open_package(data, limits or Limits())
        self.sheets = _sheet_list(root, rels, names)
        calc = root.find(f"{{{_MAIN_NS}}}calcPr")
        self._formulas_trusted = calc is None or calc.get("fullCalcOnLoad") not in ("1", "true")
        styles = next((t for t, kind in rels.values() if kind == "styles"), None)
        self._styles = _shown_styles(self._read(styles)) if styles in names else {}
        try:
            self._book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception as exc:  # calamine raises several unrelated types
            raise Rejected("corrupt-file", f"{type(exc).__name__}: {exc}"[:200]) from exc
        self._shared_count: int | None = None
        for shared in (t for t, kind in rels.values() if kind == "sharedStrings"):
            if shared in names:
                strings = self._read(shared)
                _refuse_entities(strings)
                self._shared_count = strings.count(b"<si>") + strings.count(b"<si ")

    @property
    def has_macros(self) -> bool:
        return "xl/vbaProject.bin" in self._zip.namelist()

    def rows(self, name: str) -> Iterator[Sequence[object]]:
        """The values of the sheet called `name`, row by row, as a table is read: no merged
        cells, formats or formulas. KeyError if there is none; Rejected as grid, also while
        iterating. For summaries: a national データ sheet is 180 MB of XML and 3 million
        cells, so the XML is let go before calamine parses it, and no grid is built."""
        sheet = next((s for s in self.sheets if s.name == name and s.part), None)
        if sheet is None:
            raise KeyError(name)
        self._checked_xml(sheet)
        try:
            found = self._book.get_sheet_by_name(sheet.name)
        except Exception as exc:
            raise self._unreadable(sheet, exc) from exc
        column = found.start[1] if found.start else 0  # iter_rows starts at the first used one
        return self._guarded(sheet, found.iter_rows(), [""] * column)

    def _guarded(
        self, sheet: SheetInfo, rows: Iterable[Sequence[object]], before: list[object]
    ) -> Iterator[Sequence[object]]:
        """Rows from column A, as grid has them; calamine's errors while iterating Rejected."""
        try:
            for row in rows:
                yield [*before, *row] if before else row
        except Exception as exc:
            raise self._unreadable(sheet, exc) from exc

    def grid(self, sheet: SheetInfo) -> SheetGrid:
        """The sheet's values. Raises Rejected for a sheet that cannot be read."""
        xml = self._checked_xml(sheet)
        try:
            found = self._book.get_sheet_by_name(sheet.name)
            rows = found.to_python(skip_empty_area=False)
            merged = found.merged_cell_ranges or []
        except Exception as exc:
            raise self._unreadable(sheet, exc, xml) from exc
        grid = SheetGrid(sheet.label, rows, formulas_trusted=self._formulas_trusted)
        height, width = grid.height, grid.width
        for (r0, c0), (r1, c1) in merged:
            for r in range(r0, min(r1, height - 1) + 1):  # merges beyond the values hold nothing
                for c in range(c0, min(c1, width - 1) + 1):
                    if (r, c) != (r0, c0):
                        grid.anchors[(r, c)] = (r0, c0)
        _scan_cells(xml, self._styles, grid)
        if b'hidden="' in xml:
            grid.hidden_rows, grid.hidden_columns = _hidden_lines(xml)
        return grid

    def _checked_xml(self, sheet: SheetInfo) -> bytes:
        """The sheet's XML, if it holds no entities and no huge extent (Rejected otherwise)."""
        assert sheet.part is not None
        xml = self._read(sheet.part)
        _refuse_entities(xml)
        _check_extent(xml)
        return xml

    def _unreadable(self, sheet: SheetInfo, exc: Exception, xml: bytes | None = None) -> Rejected:
        """calamine's errors carry no position: the cell it chokes on is looked for."""
        assert sheet.part is not None
        where = _bad_cell(self._read(sheet.part) if xml is None else xml, self._shared_count)
        detail = f"{where}: " if where else ""
        return Rejected("sheet-unreadable", f"{detail}{type(exc).__name__}: {exc}"[:200])

    def _read(self, name: str) -> bytes:
        return _member(self._zip, name)


def sheet_names(source: Path | bytes) -> list[str]:
    """The workbook's sheet names, after the file-level checks but without reading a sheet.

    Only the zip directory and the workbook part are read: cheap for a large workbook.
    Raises Rejected (its code not always Workbook's) or OSError.
    """
    with source.open("rb") if isinstance(source, Path) else io.BytesIO(source) as file:
        head = file.read(8)
        if sniff(head) != "zip":  # said as of a return: empty, .xls, encrypted, not Excel
            _open_package(head + file.read(), Limits())
        _, root, rels, names = _open_zip(file, None)  # no sheet is unzipped: no size caps
        return [sheet.name for sheet in _sheet_list(root, rels, names)]


class _Package(NamedTuple):
    zip: zipfile.ZipFile
    root: SafeET.Element  # the workbook part's
    rels: dict[str, tuple[str, str]]  # the workbook part's relationships
    names: set[str]  # zip members


def _open_package(data: bytes, limits: Limits) -> _Package:
    kind = sniff(data[:8])
    if kind == "empty":
        raise Rejected("empty-file")
    if kind == "ole":
        raise Rejected(*ole_kind(data))
    if kind != "zip":
        raise Rejected("not-excel", "先頭のバイトが Excel ブックのものではありません")
    return _open_zip(io.BytesIO(data), limits)


def _open_zip(file: IO[bytes], limits: Limits | None) -> _Package:
    """The workbook part and its relationships; `limits` checked over every member."""
    try:
        package = zipfile.ZipFile(file)
        infos = package.infolist()
    except _ZIP_ERRORS as exc:
        raise Rejected("corrupt-file", type(exc).__name__) from exc
    if limits is not None:
        _check_sizes(infos, limits)
    names = {info.filename for info in infos}
    part = _workbook_part(package, names)
    root = _parse_xml(_member(package, part, _PART_MAX), part)
    if root.tag.startswith("{" + _STRICT_NS) or root.get("conformance") == "strict":
        raise Rejected("strict-ooxml")
    if not root.tag.startswith("{" + _MAIN_NS):
        raise Rejected("not-a-workbook", f"{part} の形式が不明です")
    return _Package(package, root, _relationships(package, part, names), names)


# What zipfile raises for damaged members: bad CRC or headers, broken deflate streams,
# impossible offsets, unknown compression methods, encrypted members.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, KeyError,
               ValueError, NotImplementedError, RuntimeError)  # fmt: skip


_PART_MAX = 16 * 2**20  # unzipped bytes of the workbook part or a relationships part


def _member(zf: zipfile.ZipFile, name: str, most: int | None = None) -> bytes:
    """A zip member's bytes; more than `most` unzipped is too-large (zipfile stops at its size)."""
    try:
        if most is not None and zf.getinfo(name).file_size > most:
            raise Rejected("too-large", f"{name} は展開後 {most // 2**20} MB を超えます")
        return zf.read(name)
    except _ZIP_ERRORS as exc:
        raise Rejected("corrupt-file", f"{name}: {type(exc).__name__}") from exc


def _check_sizes(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    total = sum(info.file_size for info in infos)
    if total > limits.max_unzipped_bytes:
        raise Rejected(
            "too-large",
            f"展開後 {total / 2**20:.0f} MB、上限 {limits.max_unzipped_bytes / 2**20:.0f} MB",
        )
    for info in infos:
        if info.file_size > 2**20 and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            raise Rejected(
                "too-large", f"{info.filename} の圧縮率 {ratio} 倍、上限 {limits.max_ratio} 倍"
            )


def _parse_xml(data: bytes, name: str) -> SafeET.Element:
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise Rejected("xml-entities") from exc
    except SafeET.ParseError as exc:
        raise Rejected("corrupt-file", f"{name} の XML が壊れています") from exc


def _refuse_entities(xml: bytes) -> None:
    """No DTD anywhere (markup in text is escaped, so this cannot match a value)."""
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise Rejected("xml-entities")


def _workbook_part(zf: zipfile.ZipFile, names: set[str]) -> str:
    if "_rels/.rels" in names:
        for target, kind in _relationships(zf, "", names).values():
            if kind == "officeDocument" and target in names:
                if target.endswith(".bin"):
                    raise Rejected("unsupported-format", "Excel バイナリ ブック (.xlsb)")
                if target.startswith("word/"):
                    raise Rejected("not-a-workbook", "Word 文書です")
                if target.startswith("ppt/"):
                    raise Rejected("not-a-workbook", "PowerPoint プレゼンテーションです")
                return target
    if "xl/workbook.xml" in names:
        return "xl/workbook.xml"
    if "xl/workbook.bin" in names:
        raise Rejected("unsupported-format", "Excel バイナリ ブック (.xlsb)")
    if "content.xml" in names and "mimetype" in names:
        raise Rejected("unsupported-format", "OpenDocument スプレッドシート (.ods)")
    if "word/document.xml" in names:
        raise Rejected("not-a-workbook", "Word 文書です")
    if "ppt/presentation.xml" in names:
        raise Rejected("not-a-workbook", "PowerPoint プレゼンテーションです")
    raise Rejected("not-a-workbook", "ブックの本体 (xl/workbook.xml) がありません")


def _relationships(zf: zipfile.ZipFile, part: str, names: set[str]) -> dict[str, tuple[str, str]]:
    """rId -> (zip member the target resolves to, relationship kind)."""
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    if rels_name not in names:
        return {}
    root = _parse_xml(_member(zf, rels_name, _PART_MAX), rels_name)
    found: dict[str, tuple[str, str]] = {}
    for rel in root.iter(f"{{{_REL_NS}}}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        if target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = posixpath.normpath(posixpath.join(folder, target))
        found[rel.get("Id", "")] = (resolved, rel.get("Type", "").rsplit("/", 1)[-1])
    return found


def _sheet_list(
    root: SafeET.Element, rels: dict[str, tuple[str, str]], names: set[str]
) -> list[SheetInfo]:
    sheets: list[SheetInfo] = []
    labels: set[str] = set()
    for node in root.iter(f"{{{_MAIN_NS}}}sheet"):
        rid = next((node.get(a) for a in _R_ATTRS if node.get(a)), "")
        target, kind = rels.get(rid or "", ("", "worksheet"))
        name = node.get("name", "")
        label = name or "（名前のないシート）"
        while label in labels:  # Excel forbids it, a damaged file may not
            label += "（重複）"
        labels.add(label)
        sheets.append(
            SheetInfo(
                name=name,
                label=label,
                kind=kind,
                state=node.get("state", "visible"),
                part=target if target in names else None,
            )
        )
    return sheets


_XF_BLOCK = re.compile(rb"<(?:\w+:)?cellXfs\b.*?</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)>")
_NUMFMT = re.compile(rb"<(?:\w+:)?numFmt\b([^>]*)>")
_ATTR = re.compile(rb'\b(numFmtId|formatCode|r|s|t)="([^"]*)"')
Shown = tuple[str, str, int]  # numfmt.shown_as: kind, literal text, thousands


def _xml_text(raw: bytes) -> str:
    """An attribute's text with XML's character references resolved (&quot; is ")."""
    text = raw.decode("utf-8", "replace")
    text = re.sub(r"&#x([0-9a-fA-F]+);", lambda m: chr(int(m.group(1), 16)), text)
    text = re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), text)
    return unescape(text.replace("&quot;", '"').replace("&apos;", "'"))


def _shown_styles(styles: bytes) -> dict[int, Shown]:
    """cellXfs index -> how its format shows a number, for the styles that change what a
    number means to the reader: a percent, a year (a date formatted 「令和6年度」), a unit
    printed after it (#,##0"人", 0.0"%"), thousands; format codes read by their grammar."""
    _refuse_entities(styles)
    codes = {i: code for i, code in numfmt.BUILTIN.items()}
    for match in _NUMFMT.finditer(styles):
        attrs = dict(_ATTR.findall(match.group(1)))
        if attrs.get(b"numFmtId", b"").isdigit():
            codes[int(attrs[b"numFmtId"])] = _xml_text(attrs.get(b"formatCode", b""))
    block = _XF_BLOCK.search(styles)
    if block is None:
        return {}
    found: dict[int, Shown] = {}
    for index, match in enumerate(_XF.finditer(block.group(0))):
        fmt = dict(_ATTR.findall(match.group(1))).get(b"numFmtId", b"0")
        if fmt.isdigit() and int(fmt) in codes:
            shown = numfmt.shown_as(codes[int(fmt)])
            kind, literal, thousands = shown
            if kind in (numfmt.PERCENT, numfmt.YEAR) or (
                kind == numfmt.NUMBER and (literal or thousands)
            ):
                found[index] = shown
    return found


_CELL_OR_ROW = re.compile(rb"<(?:\w+:)?(c|row)\b([^>]*?)(/?)>")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.S)
MAX_CELLS = 5_000_000  # a form is ~150 cells; calamine holds a sheet as a dense grid


def _cells(xml: bytes) -> Iterator[tuple[Pos | None, dict[bytes, bytes], bytes]]:
    """Each cell's position, attributes and inner XML, in one linear pass.

    A cell or row without r (optional in OOXML) follows the one before it, as Excel and
    calamine place it. A cell whose r cannot be read has no position.
    """
    position, row, column = 0, -1, -1
    while True:
        start = _CELL_OR_ROW.search(xml, position)
        if start is None:
            return
        attrs = dict(_ATTR.findall(start.group(2)))
        ref = attrs.get(b"r")
        if start.group(1) == b"row":
            row = _row_index(ref, row)
            position, column = start.end(), -1
            continue
        pos = (
            (max(row, 0), column + 1) if ref is None else parse_ref(ref.decode("ascii", "replace"))
        )
        if pos is not None:
            row, column = pos
        if start.group(3):  # <c .../>
            position = start.end()
            yield pos, attrs, b""
            continue
        end = _CELL_END.search(xml, start.end())
        if end is None:
            return
        position = end.end()
        yield pos, attrs, xml[start.end() : end.start()]


def _row_index(ref: bytes | None, before: int) -> int:
    """A row's index from its r, else the one after the row before (r is optional)."""
    return int(ref) - 1 if ref is not None and ref.isdigit() else before + 1


_LINE = re.compile(rb"<(?:\w+:)?(row|col)\b([^>]*)>")
_LINE_ATTR = re.compile(rb'\b(r|min|max|hidden)="([^"]*)"')


def _hidden_lines(xml: bytes) -> tuple[frozenset[int], tuple[tuple[int, int], ...]]:
    """Rows and column spans hidden in Excel (a row without r follows the one before)."""
    rows: set[int] = set()
    columns: list[tuple[int, int]] = []
    row = -1
    for line in _LINE.finditer(xml):
        attrs = dict(_LINE_ATTR.findall(line.group(2)))
        hidden = attrs.get(b"hidden") in (b"1", b"true")
        if line.group(1) == b"row":
            row = _row_index(attrs.get(b"r"), row)
            if hidden:
                rows.add(row)
        elif hidden and attrs.get(b"min", b"").isdigit() and attrs.get(b"max", b"").isdigit():
            columns.append((int(attrs[b"min"]) - 1, int(attrs[b"max"]) - 1))
    return frozenset(rows), tuple(columns)


# A reference that could put a sheet's area past MAX_CELLS: a column past ZZ, a row past
# 9999, or a column past GZ with a four-digit row (208 x 9999 cells is about 2 million).
_FAR_REF = re.compile(rb'<c r="(?:[A-Z]{3}|[A-Z]{1,2}\d{5}|[H-Z][A-Z]\d{4})')


_PLACED_COLUMN = re.compile(rb'<c r="([A-Z]+)\d')
_PLACED_ROW = re.compile(rb'<c r="[A-Z]+(\d+)"')


def _check_extent(xml: bytes) -> None:
    """Refuse a sheet whose values span a huge area (calamine would allocate all of it)."""
    every_cell_placed = (
        xml.count(b"<c ") == xml.count(b'<c r="')
        and b":c " not in xml
        and b"<c>" not in xml
        and b"<c/>" not in xml
    )
    if every_cell_placed and _FAR_REF.search(xml) is None:
        return  # the usual case, decided in C
    rows = cols = 0
    if every_cell_placed:  # a large sheet (a summary): its distinct columns, its largest row
        rows = max(map(int, _PLACED_ROW.findall(xml)), default=0)
        for letters in set(_PLACED_COLUMN.findall(xml)):
            pos = parse_ref(letters.decode("ascii") + "1")
            cols = max(cols, pos[1] + 1) if pos is not None else cols
    else:
        for pos, _, _ in _cells(xml):
            if pos is not None:
                rows, cols = max(rows, pos[0] + 1), max(cols, pos[1] + 1)
    rows = max(rows, xml.count(b"<row") + xml.count(b":row"))
    if rows * cols > MAX_CELLS:
        raise Rejected("sheet-too-large", f"{cell_ref((rows - 1, cols - 1))} まで")


def _bad_cell(xml: bytes, shared_count: int | None) -> str:
    """The first cell calamine would choke on: a non-numeric number or a missing string."""
    for pos, attrs, inner in _cells(xml):
        kind = attrs.get(b"t", b"n")
        value = _VALUE.search(inner)
        if value is None:
            continue
        text = value.group(1).strip()
        if (
            kind == b"n"
            and text
            and not re.fullmatch(rb"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text)
        ) or (
            kind == b"s"
            and (not text.isdigit() or (shared_count is not None and int(text) >= shared_count))
        ):
            return cell_ref(pos) if pos is not None else ""
    return ""


@functools.cache
def _percent_cells(styles: tuple[bytes, ...]) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """Cells with one of these styles, attributes in the order Excel writes them; any cell."""
    alternatives = b"|".join(styles)
    strict = re.compile(
        rb'<c r="([A-Z]{1,3}\d{1,7})" s="(' + alternatives + rb')"(?: t="(\w+)")?[ >/]'
    )
    loose = re.compile(rb' s="(?:' + alternatives + rb')"')
    return strict, loose


def _scan_cells(xml: bytes, styles: dict[int, Shown], grid: SheetGrid) -> None:
    """Record percent- and year-formatted numbers, formulas and error cells of a sheet."""
    wanted = tuple(b"%d" % i for i in sorted(styles) if b's="%d"' % i in xml)
    kinds = {b"%d" % i: kind for i, kind in styles.items()}
    # <f> and <f ...> are cell formulas (data validations hold <formula1>, not these).
    special = b"<f>" in xml or b"<f " in xml or b't="e"' in xml or b":c " in xml
    if not wanted and not special:
        return
    if wanted and not special:  # the common case: only formatted cells, found in C
        strict, loose = _percent_cells(wanted)
        found = strict.findall(xml)
        if len(found) == len(loose.findall(xml)):
            for ref, style, kind in found:
                if kind in (b"", b"n"):
                    pos = parse_ref(ref.decode("ascii"))
                    if pos is not None:
                        _mark(grid, pos, kinds[style])
            return
    _scan_every_cell(xml, kinds, grid)


def _mark(grid: SheetGrid, pos: Pos, shown: Shown) -> None:
    kind, literal, thousands = shown
    if kind == numfmt.PERCENT:
        grid.percent.add(pos)
    elif kind == numfmt.YEAR:
        grid.years.add(pos)
    else:
        grid.literals[pos] = (literal, thousands)


def _scan_every_cell(xml: bytes, kinds: dict[bytes, Shown], grid: SheetGrid) -> None:
    for pos, attrs, inner in _cells(xml):
        if pos is None:
            continue
        kind = attrs.get(b"t", b"n")
        style = attrs.get(b"s")
        if kind == b"n" and style in kinds:
            _mark(grid, pos, kinds[style])
        formula = _FORMULA.search(inner)
        if formula is not None:
            text = unescape((formula.group(1) or b"").decode("utf-8", "replace"))
            grid.formulas[pos] = "=" + text if text else "(共有数式)"
            cached = _VALUE.search(inner)
            if cached is None or (not cached.group(1) and kind not in (b"str", b"inlineStr")):
                grid.uncached.add(pos)
        if kind == b"e":
            value = _VALUE.search(inner)
            grid.errors[pos] = value.group(1).decode("utf-8", "replace") if value else "#ERROR"
