"""Open one .xlsx/.xlsm safely and hand out its sheets as value grids.

Checks run before any sheet is parsed: first bytes, encryption, zip integrity,
unzipped size and ratio caps, Strict OOXML, and the workbook's own sheet list
(parsed with defusedxml). Values come from python-calamine; what calamine does
not tell (percent number formats, formulas, error cells) comes from a quick
scan of the sheet XML, only when that XML contains any of them.
"""

from __future__ import annotations

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
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
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
    index: int = 0  # its position in the workbook: how it is read, whatever its name
    rid: str = ""  # its relationship in the workbook part


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
    """An opened workbook. Construction runs every file-level check.

    Sheets are addressed by their position in the workbook, never by their name: a damaged
    or crafted file may name two sheets alike. calamine reads the file as it is when it can;
    when it refuses the file (a macro sheet beside the forms), or when names repeat or a
    part must be given to it otherwise (a shared-strings count that lies, a sheet whose
    cells are placed by $A$1), it reads a copy of the package holding only the worksheets,
    each named by its position, with those parts rewritten.
    """

    def __init__(self, data: bytes, limits: Limits | None = None) -> None:
        self._data = data
        package = _open_package(data, limits or Limits())
        self._zip, root, rels, names = package.zip, package.root, package.rels, package.names
        self._part = package.part
        self.sheets = _sheet_list(root, rels, names)
        calc = root.find(f"{{{_MAIN_NS}}}calcPr")
        self._formulas_trusted = calc is None or calc.get("fullCalcOnLoad") not in ("1", "true")
        props = root.find(f"{{{_MAIN_NS}}}workbookPr")
        self._date1904 = props is not None and props.get("date1904", "").lower() in ("1", "true")
        styles = next((t for t, kind in rels.values() if kind == "styles"), None)
        self._styles = _shown_styles(self._read(styles)) if styles in names else {}
        self._shared_count: int | None = None
        self._rewritten: dict[str, bytes] = {}  # zip member -> what calamine is given instead
        for shared in (t for t, kind in rels.values() if kind == "sharedStrings"):
            if shared in names:
                strings = self._read(shared)
                _refuse_entities(strings)
                self._shared_count = len(_SHARED_ITEM.findall(strings))
                clamped = _clamped_counts(strings, self._shared_count)
                if clamped is not strings:
                    self._rewritten[shared] = clamped
        self._by_position = bool(self._rewritten) or len({s.name for s in self.sheets}) < len(
            self.sheets
        )
        self._copies: dict[int, calamine.CalamineWorkbook] = {}  # a sheet's own copy
        self._parts_read: dict[str, int] = {}  # sheet part -> the position that read it
        self._cells_left = FILE_CELLS
        try:
            self._book = self._calamine(self._copy() if self._by_position else data)
        except Rejected:
            if self._by_position:
                raise
            self._by_position = True  # a sheet calamine refuses costs only that sheet
            self._book = self._calamine(self._copy())
        if not self._by_position and list(self._book.sheet_names) != [s.name for s in self.sheets]:
            self._by_position = True  # calamine lists the sheets otherwise: read them by position
            self._book = self._calamine(self._copy())

    @staticmethod
    def _calamine(data: bytes) -> calamine.CalamineWorkbook:
        try:
            return calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception as exc:  # calamine raises several unrelated types
            raise Rejected("corrupt-file", f"{type(exc).__name__}: {exc}"[:200]) from exc

    def _copy(self, only: SheetInfo | None = None, sheet_xml: bytes | None = None) -> bytes:
        """The package as calamine is given it when it cannot read the file as it is: its
        worksheets (or only `only`, its part replaced by `sheet_xml`), each named by its
        position, and the rewritten parts. Stored, not compressed: it is read once, at once."""
        listed = [s for s in self.sheets if s.part and s.kind == "worksheet"]
        if only is not None:
            listed = [only]
        entries = "".join(
            f'<sheet name="{_position_name(s.index)}" sheetId="{n}" r:id="{s.rid}"/>'
            for n, s in enumerate(listed, 1)
        )
        props = '<workbookPr date1904="1"/>' if self._date1904 else ""
        workbook = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns='
            f'"{_MAIN_NS}" xmlns:r="{_R_NS}">{props}<sheets>{entries}</sheets></workbook>'
        ).encode()
        replaced = {**self._rewritten, self._part: workbook}
        if only is not None and sheet_xml is not None and only.part:
            replaced[only.part] = sheet_xml
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as copy:
            for info in self._zip.infolist():
                if info.filename.endswith("/"):  # ZipInfo.is_dir() raises on an empty name
                    continue
                name = info.filename
                try:
                    data = replaced[name] if name in replaced else self._read(name)
                except Rejected:
                    continue  # damaged: a sheet of it fails on its own, as in the file
                copy.writestr(name, data)
        return buffer.getvalue()

    def _sheet(self, sheet: SheetInfo, xml: bytes, plain_refs: bool) -> calamine.CalamineSheet:
        """calamine's sheet at this position (Rejected as grid)."""
        try:
            if plain_refs:  # read from a copy holding only it, its references made plain
                if sheet.index not in self._copies:
                    copy = self._copy(sheet, _classic_errors(_plain_refs(xml)))
                    self._copies[sheet.index] = self._calamine(copy)
                return self._copies[sheet.index].get_sheet_by_name(_position_name(sheet.index))
            if self._by_position:
                return self._book.get_sheet_by_name(_position_name(sheet.index))
            return self._book.get_sheet_by_index(sheet.index)
        except Rejected as rejected:
            raise self._unreadable(sheet, rejected, xml) from rejected
        except Exception as exc:
            raise self._unreadable(sheet, exc, xml) from exc

    @property
    def has_macros(self) -> bool:
        return "xl/vbaProject.bin" in self._zip.namelist()

    def rows(self, name: str) -> Iterator[Sequence[object]]:
        """The values of the first sheet called `name`, row by row, as a table is read: no
        merged cells, formats or formulas. KeyError if there is none; Rejected as grid, also
        while iterating. For summaries: a national データ sheet is 180 MB of XML and 3 million
        cells, so the XML is let go before calamine parses it, and no grid is built."""
        sheet = next((s for s in self.sheets if s.name == name and s.part), None)
        if sheet is None:
            raise KeyError(name)
        found = self._sheet(sheet, *self._checked_xml(sheet))
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
        xml, plain_refs = self._checked_xml(sheet, budget=True)
        if self._by_position and sheet.kind != "worksheet" and not plain_refs:
            plain_refs = True  # not in the copy of the worksheets: a copy of its own
        if _NEWER_ERROR.search(xml):
            plain_refs = True  # calamine refuses the sheet: it reads a copy without them
        found = self._sheet(sheet, xml, plain_refs)
        try:
            rows = found.to_python(skip_empty_area=False)
            merged = found.merged_cell_ranges or []
        except Exception as exc:
            raise self._unreadable(sheet, exc, xml) from exc
        grid = SheetGrid(sheet.label, rows, formulas_trusted=self._formulas_trusted)
        _anchor_merged(grid, merged)
        _scan_cells(xml, self._styles, grid)
        if b"hidden" in xml:
            grid.hidden_rows, grid.hidden_columns = _hidden_lines(xml)
        return grid

    def _checked_xml(self, sheet: SheetInfo, *, budget: bool = False) -> tuple[bytes, bool]:
        """The sheet's XML, if it holds no entities and no huge extent (Rejected otherwise),
        and whether calamine must be given it with its references made plain.

        With `budget` (a sheet read as a grid), the sheet's area also counts against the
        file's FILE_CELLS, and a part is read once: a second sheet entry naming the part of
        one already read (a crafted file's way of making one sheet cost many) is refused."""
        assert sheet.part is not None
        if budget:
            first = self._parts_read.setdefault(sheet.part, sheet.index)
            if first != sheet.index:
                other = self.sheets[first].label
                detail = f"シート「{other}」と同じ部品 ({sheet.part}) を指しています"
                raise Rejected("sheet-unreadable", detail)
        xml = self._read(sheet.part)
        _refuse_entities(xml)
        rows, cols, plain_refs = _extent(xml, exact=budget)
        if budget:
            self._cells_left -= rows * cols
            if self._cells_left < 0:
                shown = cell_ref((max(rows, 1) - 1, max(cols, 1) - 1))
                detail = (
                    f"{shown} まで（ブックのシートの範囲が合わせて {FILE_CELLS:,} セルを超えます）"
                )
                raise Rejected("sheet-too-large", detail)
        return xml, plain_refs

    def _unreadable(self, sheet: SheetInfo, exc: Exception, xml: bytes | None = None) -> Rejected:
        """calamine's errors carry no position: the cell it chokes on is looked for."""
        assert sheet.part is not None
        if isinstance(exc, Rejected):
            return Rejected("sheet-unreadable", exc.detail)
        where = _bad_cell(self._read(sheet.part) if xml is None else xml, self._shared_count)
        detail = f"{where}: " if where else ""
        return Rejected("sheet-unreadable", f"{detail}{type(exc).__name__}: {exc}"[:200])

    def _read(self, name: str) -> bytes:
        return _member(self._zip, name)


def _position_name(index: int) -> str:
    """How a copy for calamine names the sheet at `index`: by its position, never repeated."""
    return f"xlkpi-{index + 1}"


def _anchor_merged(grid: SheetGrid, merged: Iterable[tuple[Pos, Pos]]) -> None:
    """Each merged cell's top-left. Merged areas never overlap in Excel: a file whose merges
    would anchor more cells than the sheet holds is refused, not walked cell by cell."""
    height, width = grid.height, grid.width
    budget = height * width
    for (r0, c0), (r1, c1) in merged:
        rows = range(r0, min(r1, height - 1) + 1)  # merges beyond the values hold nothing
        cols = range(c0, min(c1, width - 1) + 1)
        budget -= len(rows) * len(cols)
        if budget < 0:
            shown = f"{cell_ref((r0, c0))}:{cell_ref((r1, c1))}"
            raise Rejected("sheet-unreadable", f"結合セル {shown} が他の結合セルと重なっています")
        for r in rows:
            for c in cols:
                if (r, c) != (r0, c0):
                    grid.anchors[(r, c)] = (r0, c0)


_SHARED_ITEM = re.compile(rb"<" + rb"(?:[A-Za-z_][\w.\-]*:)?" + rb"si(?=[\s/>])")
_COUNT_ATTR = re.compile(rb"""(\suniqueCount\s*=\s*)(?:"[^"<]*"|'[^'<]*')""")


def _clamped_counts(strings: bytes, count: int) -> bytes:
    """The shared strings with their declared uniqueCount set to the number of items they
    hold when it claims more: calamine reserves room for it (10^9 strings is 24 GB)."""
    head_end = strings.find(b">", strings.find(b"sst"))
    if head_end < 0:
        return strings
    head = strings[:head_end]
    for found in _COUNT_ATTR.finditer(head):
        value = found.group(0)[len(found.group(1)) :].strip(b"\"'").strip()
        if not value.isdigit() or len(value) > 9 or int(value) > count:
            fixed = _COUNT_ATTR.sub(lambda m: m.group(1) + b'"%d"' % count, head)
            return fixed + strings[head_end:]
    return strings


def sheet_names(source: Path | bytes) -> list[str]:
    """The workbook's sheet names, after the file-level checks but without reading a sheet.

    Only the zip directory and the workbook part are read: cheap for a large workbook.
    Raises Rejected (its code not always Workbook's) or OSError.
    """
    with source.open("rb") if isinstance(source, Path) else io.BytesIO(source) as file:
        head = file.read(8)
        if sniff(head) != "zip":  # said as of a return: empty, .xls, encrypted, not Excel
            _open_package(head + file.read(), Limits())
        _, root, rels, names, _ = _open_zip(file, None)  # no sheet is unzipped: no size caps
        return [sheet.name for sheet in _sheet_list(root, rels, names)]


class _Package(NamedTuple):
    zip: zipfile.ZipFile
    root: SafeET.Element  # the workbook part's
    rels: dict[str, tuple[str, str]]  # the workbook part's relationships
    names: set[str]  # zip members
    part: str  # the workbook part's name


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
        raise Rejected("corrupt-file", _zip_damage(exc)) from exc
    if limits is not None:
        _check_sizes(infos, limits)
        _check_inflation(file, infos)
    names = {info.filename for info in infos}
    part = _workbook_part(package, names)
    root = _parse_xml(_member(package, part, _PART_MAX), part)
    if root.tag.startswith("{" + _STRICT_NS) or root.get("conformance") == "strict":
        raise Rejected("strict-ooxml")
    if not root.tag.startswith("{" + _MAIN_NS):
        raise Rejected("not-a-workbook", f"{part} の形式が不明です")
    return _Package(package, root, _relationships(package, part, names), names, part)


# What zipfile raises for damaged members: bad CRC or headers, broken deflate streams,
# impossible offsets, unknown compression methods, encrypted members.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, KeyError,
               ValueError, NotImplementedError, RuntimeError)  # fmt: skip


def _zip_damage(exc: BaseException) -> str:
    """What a damaged zip looks like, in words (a Python type name tells a clerk nothing)."""
    if isinstance(exc, zlib.error | EOFError):
        return "圧縮されたデータが壊れています"
    if isinstance(exc, NotImplementedError | RuntimeError):
        return "対応していない圧縮方式または暗号化です"
    return "zip の記録が壊れているか矛盾しています"


_PART_MAX = 16 * 2**20  # unzipped bytes of the workbook part or a relationships part


def _member(zf: zipfile.ZipFile, name: str, most: int | None = None) -> bytes:
    """A zip member's bytes; more than `most` unzipped is too-large (zipfile stops at its size)."""
    try:
        if most is not None and zf.getinfo(name).file_size > most:
            raise Rejected("too-large", f"{name} は展開後 {most // 2**20} MB を超えます")
        return zf.read(name)
    except _ZIP_ERRORS as exc:
        raise Rejected("corrupt-file", f"{name}: {_zip_damage(exc)}") from exc


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


def _check_inflation(file: IO[bytes], infos: list[zipfile.ZipInfo]) -> None:
    """Every member inflates to no more than the size the zip declares for it, counted on
    the bytes actually produced (chunked, never held): zipfile stops at the declared size,
    but calamine's reader does not, and a member that lies about it grows to gigabytes.
    A damaged member is left for its reading to tell (it costs its sheet, not the file)."""
    for info in infos:
        if info.filename.endswith("/"):  # ZipInfo.is_dir() raises on an empty name
            continue
        if info.flag_bits & 1 or info.compress_type not in (
            zipfile.ZIP_STORED,
            zipfile.ZIP_DEFLATED,
        ):
            method = "暗号化" if info.flag_bits & 1 else f"圧縮方式 {info.compress_type}"
            raise Rejected("corrupt-file", f"{info.filename}: 対応していない{method}です")
        raw = _raw_member(file, info)
        if raw is None:
            continue
        if info.compress_type == zipfile.ZIP_STORED:
            produced = len(raw)
        else:
            produced = _inflated_size(raw, info.file_size)
        if produced > info.file_size:
            raise Rejected(
                "corrupt-file",
                f"{info.filename} は zip に記録された大きさ ({info.file_size:,} バイト) を超えて展開されます",
            )


_LOCAL_HEADER = 30
_CHUNK = 2**16


def _raw_member(file: IO[bytes], info: zipfile.ZipInfo) -> bytes | None:
    """A member's compressed bytes as the central directory places them (None if damaged)."""
    if info.header_offset < 0:  # a directory whose offsets point before the file's start
        return None
    file.seek(info.header_offset)
    header = file.read(_LOCAL_HEADER)
    if len(header) < _LOCAL_HEADER or header[:4] != ZIP_MAGIC:
        return None
    name_length, extra_length = (
        int.from_bytes(header[26:28], "little"),
        int.from_bytes(header[28:30], "little"),
    )
    file.seek(info.header_offset + _LOCAL_HEADER + name_length + extra_length)
    return file.read(info.compress_size)


def _inflated_size(raw: bytes, most: int) -> int:
    """How many bytes a raw deflate stream produces, counting no further than most + 1."""
    inflater = zlib.decompressobj(-15)
    produced = 0
    view = memoryview(raw)
    try:
        for at in range(0, len(view), _CHUNK):
            data: bytes = view[at : at + _CHUNK].tobytes()
            while data:
                produced += len(inflater.decompress(data, _CHUNK))
                if produced > most:
                    return produced
                data = inflater.unconsumed_tail
            if inflater.eof:
                break
        while out := inflater.decompress(b"", _CHUNK):
            produced += len(out)
            if produced > most:
                return produced
    except zlib.error:
        pass  # damaged: its reading tells
    return produced


def _parse_xml(data: bytes, name: str) -> SafeET.Element:
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise Rejected("xml-entities") from exc
    except (SafeET.ParseError, LookupError, ValueError) as exc:
        # LookupError: an unknown encoding; ValueError: expat reads no multi-byte encoding
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
                index=len(sheets),
                rid=rid or "",
            )
        )
    return sheets


# --- a tolerant, linear scanner of start tags ----------------------------------------------
#
# Sheet and styles XML is attacker input: attributes are read by one tokenizer that takes
# them as XML allows them (either quote, whitespace around =, any order, a namespace prefix
# on the element), never by a pattern that assumes r="..." written one way. Every scan
# moves forward only: no regular expression here backtracks over more than one tag.

_NAME = rb"(?:[A-Za-z_][\w.\-]*:)?"  # an element's optional namespace prefix
# A value holds no < (XML forbids it): a quote left open ends at the next tag, not at the
# end of the sheet (which, tag after tag, was quadratic).
_ATTR_TOKEN = re.compile(rb"""\s*([^\s=/<>"']+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')""")
_TAG_END = re.compile(rb"\s*(/?)>")
Attrs = dict[bytes, bytes]


def _tag_pattern(*names: bytes) -> re.Pattern[bytes]:
    """The start of an element called one of `names`, with any prefix; group 1 its name."""
    return re.compile(rb"<" + _NAME + rb"(" + b"|".join(names) + rb")(?=[\s/>])")


def _start_tag(xml: bytes, at: int) -> tuple[Attrs, bool, int]:
    """The attributes of the start tag whose name ends at `at`, whether it closes itself
    (<c .../>), and where it ends. An attribute named twice keeps its first value (XML
    forbids the second). A tag left open ends where its attributes end."""
    attrs: Attrs = {}
    position = at
    while (token := _ATTR_TOKEN.match(xml, position)) is not None:
        value = token.group(2) if token.group(2) is not None else token.group(3)
        attrs.setdefault(token.group(1), value)
        position = token.end()
    end = _TAG_END.match(xml, position)
    if end is None:
        return attrs, False, position
    return attrs, end.group(1) == b"/", end.end()


def _tags(xml: bytes, pattern: re.Pattern[bytes]) -> Iterator[tuple[bytes, Attrs, bool, int]]:
    """Each start tag `pattern` finds: (its name, attributes, self-closing, end)."""
    position = 0
    while (start := pattern.search(xml, position)) is not None:
        attrs, closed, end = _start_tag(xml, start.end())
        yield start.group(1), attrs, closed, end
        position = max(end, start.end())


def _closing(name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"</" + _NAME + name + rb"\s*>")


_XF_BLOCK_START = _tag_pattern(b"cellXfs")
_XF_BLOCK_END = _closing(b"cellXfs")
_XF = _tag_pattern(b"xf")
_NUMFMT = _tag_pattern(b"numFmt")
Shown = tuple[str, str, int]  # numfmt.shown_as: kind, literal text, thousands


def _xml_text(raw: bytes) -> str:
    """An attribute's text with XML's character references resolved (&quot; is ")."""
    text = raw.decode("utf-8", "replace")
    text = re.sub(r"&#x([0-9a-fA-F]{1,8});", lambda m: _char(int(m.group(1), 16)), text)
    text = re.sub(r"&#(\d{1,10});", lambda m: _char(int(m.group(1))), text)
    return unescape(text.replace("&quot;", '"').replace("&apos;", "'"))


def _char(code: int) -> str:
    return chr(code) if code <= 0x10FFFF else "\ufffd"


def _shown_styles(styles: bytes) -> dict[int, Shown]:
    """cellXfs index -> how its format shows a number, for the styles that change what a
    number means to the reader: a percent, a year (a date formatted 「令和6年度」), a unit
    printed after it (#,##0"人", 0.0"%"), thousands; format codes read by their grammar."""
    _refuse_entities(styles)
    codes = {i: code for i, code in numfmt.BUILTIN.items()}
    for _, attrs, _, _ in _tags(styles, _NUMFMT):
        number = attrs.get(b"numFmtId", b"").strip()
        if number.isdigit() and len(number) <= 9:
            codes[int(number)] = _xml_text(attrs.get(b"formatCode", b""))
    block = _XF_BLOCK_START.search(styles)
    if block is None:
        return {}
    end = _XF_BLOCK_END.search(styles, block.end())
    inside = styles[block.end() : end.start() if end else len(styles)]
    found: dict[int, Shown] = {}
    for index, (_, attrs, _, _) in enumerate(_tags(inside, _XF)):
        fmt = attrs.get(b"numFmtId", b"0").strip()
        if fmt.isdigit() and len(fmt) <= 9 and int(fmt) in codes:
            shown = numfmt.shown_as(codes[int(fmt)])
            kind, literal, thousands = shown
            if kind in (numfmt.PERCENT, numfmt.YEAR) or (
                kind == numfmt.NUMBER and (literal or thousands)
            ):
                found[index] = shown
    return found


_CELL_OR_ROW = _tag_pattern(b"c", b"row")
_CELL_END = _closing(b"c")
_FORMULA_START = _tag_pattern(b"f")
_FORMULA_END = _closing(b"f")
_VALUE_START = re.compile(rb"<" + _NAME + rb"v\s*>")
_VALUE_END = _closing(b"v")
MAX_CELLS = 5_000_000  # a form is ~150 cells; calamine holds a sheet as a dense grid


def _cells(xml: bytes) -> Iterator[tuple[Pos | None, Attrs, bytes]]:
    """Each cell's position, attributes and inner XML, in one linear pass.

    A cell or row without r (optional in OOXML) follows the one before it, as Excel and
    calamine place it. A cell whose r cannot be read has no position. A cell left open
    holds the rest of the sheet.
    """
    position, row, column = 0, -1, -1
    while (start := _CELL_OR_ROW.search(xml, position)) is not None:
        attrs, closed, end = _start_tag(xml, start.end())
        position = max(end, start.end())
        ref = attrs.get(b"r")
        if start.group(1) == b"row":
            row, column = _row_index(ref, row), -1
            continue
        pos = (max(row, 0), column + 1) if ref is None else _ref_pos(ref)
        if pos is not None:
            row, column = pos
        if closed:
            yield pos, attrs, b""
            continue
        stop = _CELL_END.search(xml, end)
        if stop is None:
            yield pos, attrs, xml[end:]
            return
        position = stop.end()
        yield pos, attrs, xml[end : stop.start()]


def _ref_pos(ref: bytes) -> Pos | None:
    """A cell reference as written in r: A1, $A$1, a1, with spaces around."""
    match = _LOOSE_REF.fullmatch(ref)
    if match is None:
        return None
    col = 0
    for char in match.group(1).upper():
        col = col * 26 + char - 64
    return int(match.group(2)) - 1, col - 1


_LOOSE_REF = re.compile(rb"\s*\$?([A-Za-z]{1,3})\$?(\d{1,7})\s*")


def _row_index(ref: bytes | None, before: int) -> int:
    """A row's index from its r, else the one after the row before (r is optional)."""
    text = ref.strip() if ref is not None else b""
    return int(text) - 1 if text.isdigit() and len(text) <= 9 else before + 1


def _inner(xml: bytes, start: re.Pattern[bytes], end: re.Pattern[bytes]) -> bytes | None:
    """The text inside the first element `start` finds (None if none; open: to the end)."""
    found = start.search(xml)
    if found is None:
        return None
    stop = end.search(xml, found.end())
    return xml[found.end() : stop.start() if stop else len(xml)]


def _formula(inner: bytes) -> bytes | None:
    """A cell's formula text (b"" for a shared formula's <f .../>), None if it has none."""
    found = _FORMULA_START.search(inner)
    if found is None:
        return None
    _, closed, end = _start_tag(inner, found.end())
    if closed:
        return b""
    stop = _FORMULA_END.search(inner, end)
    return inner[end : stop.start() if stop else len(inner)]


_LINE = _tag_pattern(b"row", b"col")
_TRUE = (b"1", b"true")


def _hidden_lines(xml: bytes) -> tuple[frozenset[int], tuple[tuple[int, int], ...]]:
    """Rows and column spans hidden in Excel (a row without r follows the one before).

    hidden is an xsd:boolean: 1 or true, read whatever the case and spacing."""
    rows: set[int] = set()
    columns: list[tuple[int, int]] = []
    row = -1
    for name, attrs, _, _ in _tags(xml, _LINE):
        hidden = attrs.get(b"hidden", b"").strip().lower() in _TRUE
        if name == b"row":
            row = _row_index(attrs.get(b"r"), row)
            if hidden:
                rows.add(row)
            continue
        low, high = attrs.get(b"min", b"").strip(), attrs.get(b"max", b"").strip()
        if hidden and low.isdigit() and high.isdigit() and len(low) <= 6 and len(high) <= 6:
            columns.append((int(low) - 1, min(int(high), 16384) - 1))
    return frozenset(rows), tuple(columns)


# The usual sheet, every cell and row placed by an r="..." written as Excel writes it, is
# judged by counting in C (a national summary is 180 MB); anything else by the tokenizer.
# Any of these sends a sheet the slow way: another spelling of a cell or row tag, an
# attribute with whitespace around its =, an r after a tab or a line break, a single
# quote after r=, a prefixed r. Text holding one of them (rare) only costs time.
_ODD_SPELLINGS = (  # (a byte string, then the spellings to look for if it occurs)
    (b"\t", (b"<c\t", b"<row\t", b":c\t", b"\t=", b"=\t", b"\tr")),
    (b"\r", (b"<c\r", b"<row\r", b":c\r", b"\r=", b"=\r", b"\rr")),
    (b"\n", (b"<c\n", b"<row\n", b":c\n", b"\n=", b"=\n", b"\nr")),
    (b"<c>", (b"<c>",)),
    (b"<c/", (b"<c/",)),
    (b"<row>", (b"<row>",)),
    (b"<row/", (b"<row/",)),
    (b":c", (b":c ", b":c>", b":c/")),
    (b":row", (b":row",)),
    (b" =", (b" =",)),
    (b"= ", (b"= ",)),
    (b"r='", (b"r='",)),
)
_ODD_PLACE = re.compile(rb'<c r="(?![A-Z]{1,3}[1-9]\d{0,6}")|<row r="(?![1-9]\d{0,6}")')


def _every_tag_placed(xml: bytes) -> bool:
    """Every cell and row starts with r="..." written as Excel writes it, and no other r."""
    for gate, spellings in _ODD_SPELLINGS:
        if gate in xml and any(odd in xml for odd in spellings):
            return False
    if xml.count(b":r=") != xml.count(b"xmlns:r="):
        return False
    cells, rows = xml.count(b'<c r="'), xml.count(b'<row r="')
    return (
        xml.count(b"<c ") == cells
        and xml.count(b"<row ") == rows
        and xml.count(b' r="') == cells + rows
        and _ODD_PLACE.search(xml) is None
    )


# A reference that could put the area past MAX_CELLS: three letters or a six-digit row;
# else two letters with a four-digit row, or a column past GZ with a five-digit one.
_FARTHEST = re.compile(rb'<c r="(?:[A-Z]{3}|[A-Z]{1,2}\d{6})|<row r="\d{6}')
_TWO_LETTERS = re.compile(rb'<c r="[A-Z]{2}')
_WIDE = re.compile(rb'<c r="[H-Z][A-Z]\d')
_ROWS_4 = re.compile(rb'<c r="[A-Z]{1,2}\d{4}|<row r="\d{4}')
_ROWS_5 = re.compile(rb'<c r="[A-Z]{1,2}\d{5}|<row r="\d{5}')
_PLACED_COLUMN = re.compile(rb'<c r="([A-Z]+)\d')
_PLACED_ROW = re.compile(rb'<(?:c r="[A-Z]+|row r=")(\d+)"')
_ANY_R = re.compile(
    rb"(?<![\w.\-])(?!xmlns:)(?:[A-Za-z_][\w.\-]*:)?r\s*=\s*"
    rb"""(?:"([\s$A-Za-z0-9]*)"|'([\s$A-Za-z0-9]*)')"""
)
_PLAIN_REF = re.compile(rb"[A-Z]{1,3}[1-9]\d{0,6}")


def _surely_small(xml: bytes) -> bool:
    """On a sheet whose tags are all placed: no reference can make the area large."""
    if _FARTHEST.search(xml):
        return False
    if not _ROWS_4.search(xml) or not _TWO_LETTERS.search(xml):
        return True  # 702 x 999 cells, or 26 x 99,999
    return not _WIDE.search(xml) and not _ROWS_5.search(xml)  # 208 x 9,999


def _extent(xml: bytes, *, exact: bool) -> tuple[int, int, bool]:
    """(rows, columns, references to make plain) of a sheet, Rejected past MAX_CELLS or
    past Excel's last cell; `exact` = False leaves rows and columns 0 for a sheet that is
    surely small (decided in C: a national summary is 180 MB).

    Positions as calamine takes them: a cell's r (in any spelling), else the one after the
    cell before; a row's r, else the row after. Every r-like attribute anywhere counts too
    (a prefixed x:r, one inside another tag), so a spelling read one way here and another
    way by calamine cannot slip past."""
    rows = cols = 0
    odd = _odd_merges(xml)
    if _every_tag_placed(xml):
        if not exact and _surely_small(xml):
            return 0, 0, odd  # the usual case, decided in C
        rows = max(map(int, _PLACED_ROW.findall(xml)), default=0)
        for letters in set(_PLACED_COLUMN.findall(xml)):
            cols = max(cols, _column_number(letters))
    else:
        for pos, attrs, _ in _cells(xml):
            if pos is not None:
                rows, cols = max(rows, pos[0] + 1), max(cols, pos[1] + 1)
                ref = attrs.get(b"r")
                odd = odd or (ref is not None and _PLAIN_REF.fullmatch(ref) is None)
        for _, attrs, _, _ in _tags(xml, _ROW):
            rows = max(rows, _row_number(attrs.get(b"r", b"")))
        for found in _ANY_R.finditer(xml):
            value = found.group(1) if found.group(1) is not None else found.group(2)
            letters = bytes(c for c in value if 65 <= c <= 90 or 97 <= c <= 122)
            rows = max(rows, _row_number(bytes(c for c in value if 48 <= c <= 57)))
            cols = max(cols, _column_number(letters))
    rows = max(rows, xml.count(b"<row") + xml.count(b":row"))
    if rows > EXCEL_ROWS or cols > EXCEL_COLUMNS:
        shown = cell_ref((min(rows, 10**12) - 1, min(max(cols, 1), 10**6) - 1))
        raise Rejected("sheet-too-large", f"{shown} まで、Excel のシートの範囲 (XFD1048576) の外")
    if rows * cols > MAX_CELLS:
        raise Rejected("sheet-too-large", f"{cell_ref((rows - 1, cols - 1))} まで")
    return rows, cols, odd


EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384
FILE_CELLS = 1_000_000  # cells of the areas of all sheets of one return read as grids


_ROW = _tag_pattern(b"row")


def _column_number(letters: bytes) -> int:
    """A column's number from its letters (A = 1); anything past 4 letters is far."""
    number = 0
    for char in letters.upper()[:5]:
        number = number * 26 + char - 64
    return number


def _row_number(digits: bytes) -> int:
    digits = digits.strip().lstrip(b"0")
    return int(digits[:10]) if digits.isdigit() else 0


def _plain_refs(xml: bytes) -> bytes:
    """The sheet with every cell's r written as Excel writes it (so $A$1 is read as A1)."""
    pieces: list[bytes] = []
    done = 0
    position = 0
    while (start := _CELL.search(xml, position)) is not None:
        position = start.end()
        while (token := _ATTR_TOKEN.match(xml, position)) is not None:
            position = token.end()
            if token.group(1) != b"r":
                continue
            group = 2 if token.group(2) is not None else 3
            pos = _ref_pos(token.group(group))
            if pos is not None:
                pieces += [xml[done : token.start(group)], cell_ref(pos).encode()]
                done = token.end(group)
        position = max(position, start.end())
    pieces.append(xml[done:])
    return _MERGE_REF.sub(
        lambda m: m.group(1) + m.group(2).replace(b"$", b"").upper(), b"".join(pieces)
    )


# Error values Excel added after 2010: python-calamine refuses a sheet holding one
# ("Unsupported cell error value"). Its copy shows #N/A there; the grid's errors keep the
# value itself (_scan_cells reads the sheet as written), so the cell is named as it is.
_NEWER_ERROR = re.compile(
    rb"<((?:\w+:)?v)>#(?:GETTING_DATA|SPILL!|CALC!|BUSY!|FIELD!|BLOCKED!|CONNECT!|UNKNOWN!"
    rb"|PYTHON!|EXTERNAL!|ERROR!)</(?:\w+:)?v>"
)


def _classic_errors(xml: bytes) -> bytes:
    return _NEWER_ERROR.sub(rb"<\1>#N/A</\1>", xml)


# A merged range's ref (calamine refuses $A$1:$B$2, as it refuses a cell's $A$1).
_MERGE_REF = re.compile(rb"""(mergeCell\s[^<>]*?\bref\s*=\s*["'])([^"'<>]*)""")


def _odd_merges(xml: bytes) -> bool:
    if b"mergeCell" not in xml:
        return False
    return any(
        b"$" in m.group(2) or m.group(2) != m.group(2).upper() for m in _MERGE_REF.finditer(xml)
    )


_CELL = _tag_pattern(b"c")


def _bad_cell(xml: bytes, shared_count: int | None) -> str:
    """The first cell calamine would choke on: a non-numeric number or a missing string."""
    for pos, attrs, inner in _cells(xml):
        kind = attrs.get(b"t", b"n")
        value = _inner(inner, _VALUE_START, _VALUE_END)
        if value is None:
            continue
        text = value.strip()
        if (kind == b"n" and text and not _NUMBER.fullmatch(text)) or (
            kind == b"s"
            and (not text.isdigit() or (shared_count is not None and int(text) >= shared_count))
        ):
            return cell_ref(pos) if pos is not None else ""
    return ""


_NUMBER = re.compile(rb"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


_STRICT_STYLED = re.compile(rb'<c r="([A-Z]{1,3}\d{1,7})" s="(\d{1,9})"(?: t="(\w+)")?[ >/]')
_ANY_STYLE = re.compile(rb"""[\s:]s\s*=\s*["']\s*(\d{1,9})""")


def _scan_cells(xml: bytes, styles: dict[int, Shown], grid: SheetGrid) -> None:
    """Record percent- and year-formatted numbers, formulas and error cells of a sheet."""
    kinds = {b"%d" % i: kind for i, kind in styles.items()}
    used = [s for s in _ANY_STYLE.findall(xml) if s in kinds] if kinds else []
    # <f> and <f ...> are cell formulas (data validations hold <formula1>, not these).
    special = _SPECIAL.search(xml) is not None
    if not used and not special:
        return
    if used and not special:  # the common case: only formatted cells, found in C
        found = [m for m in _STRICT_STYLED.findall(xml) if m[1] in kinds]
        if len(found) == len(used):
            for ref, style, kind in found:
                if kind in (b"", b"n"):
                    pos = _ref_pos(ref)
                    if pos is not None:
                        _mark(grid, pos, kinds[style])
            return
    _scan_every_cell(xml, kinds, grid)


# Anything but a plain or percent cell: a formula, an error, a prefixed or odd cell tag.
_SPECIAL = re.compile(
    rb"<" + _NAME + rb"f[\s/>]|[\s:]t\s*=\s*[\"']\s*e|<[A-Za-z_][\w.\-]*:c[\s/>]|<c[\t\r\n/>]"
)


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
        kind = attrs.get(b"t", b"n").strip()
        style = attrs.get(b"s", b"").strip()
        if kind == b"n" and style in kinds:
            _mark(grid, pos, kinds[style])
        formula = _formula(inner)
        if formula is not None:
            text = unescape(formula.decode("utf-8", "replace"))
            grid.formulas[pos] = "=" + text if text else "(共有数式)"
            cached = _inner(inner, _VALUE_START, _VALUE_END)
            if cached is None or (not cached and kind not in (b"str", b"inlineStr")):
                grid.uncached.add(pos)
        if kind == b"e":
            value = _inner(inner, _VALUE_START, _VALUE_END)
            grid.errors[pos] = value.decode("utf-8", "replace") if value is not None else "#ERROR"
