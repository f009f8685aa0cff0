"""XlsxWriter, made fast and safe for what xlkpi writes.

- BulkSheet serializes whole data rows in one pass (XlsxWriter spends ~11 µs per
  cell; a 5,000-sheet summary has ~700,000 cells). Strings still go through the
  workbook's shared-string table and formats through their xf index, so the file
  is what XlsxWriter itself would write.
- Every call's return code is checked (XlsxWriter reports many errors only so).
- Every string is valid XML text, escaped the OOXML way: control characters, U+FFFE/FFFF
  and lone surrogates as _xHHHH_, a literal "_xHHHH_" as "_x005F_xHHHH_" (so it reads back
  as typed). XlsxWriter does most of this itself, but writes text shaped like its
  internal rich-string marker ("<r>…</r>") as raw XML, leaves lone surrogates to crash
  the encoder and formulas' cached strings unescaped; such text is serialized here
  (own_xml) and handed to it as finished XML.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from decimal import Decimal
from typing import IO, Any, NamedTuple

import xlsxwriter.workbook
from xlsxwriter.utility import xl_col_to_name, xl_range
from xlsxwriter.worksheet import Worksheet


def escape(text: str) -> str:
    """xml.sax.saxutils.escape, without importing it (see workbook.unescape)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


# What XML 1.0 cannot carry (C0 controls but tab and line feed, U+FFFE/FFFF, lone
# surrogates), and every "_" that starts what Excel would decode as an escape: found with
# a lookahead, as in "_x005F_x0041_" the second escape starts inside the first.
_OOXML_UNSAFE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff]")
_IN_ATTRIBUTE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x1f\ufffe\uffff\ud800-\udfff]")
_OWN = re.compile(r"_x[0-9A-Fa-f]{4}_|[\ud800-\udfff]")


def _escaped(match: re.Match[str]) -> str:
    return f"_x{ord(match.group()):04X}_"


def ooxml_text(text: str, *, attribute: bool = False) -> str:
    """Text as an OOXML string holds it: what XML cannot carry as _xHHHH_, a "_" that would
    read as an escape as _x005F_. In an attribute, tab and line breaks too (an XML parser
    turns them into spaces there)."""
    return (_IN_ATTRIBUTE if attribute else _OOXML_UNSAFE).sub(_escaped, text)


def needs_own_xml(text: str) -> bool:
    """Text XlsxWriter would write wrongly: shaped like its rich-string XML, holding a
    lone surrogate (a file name that is not UTF-8 arrives so) or an escape's shape (it
    misses the second of two that overlap: "_x005F_x0041_")."""
    return looks_rich(text) or _OWN.search(text) is not None


def own_xml(text: str) -> str:
    """The text as a one-run rich string, fully escaped. XlsxWriter passes rich-string XML
    through its own escaping once more, so no "_" is left in it for that to touch: each is
    a character reference, which the XML parser turns back before _xHHHH_ is decoded."""
    body = escape(ooxml_text(text)).replace("_", "&#95;")
    return f'<r><t xml:space="preserve">{body}</t></r>'


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


Cell = tuple[str | int | float | Decimal | None, int | None]  # value, xf index of its format

EXCEL_TEXT_LIMIT = 32_767
_COLUMNS = [xl_col_to_name(col) for col in range(64)]
_BLOCK = 1 << 20  # characters of spooled rows copied at a time
_PENDING = 1_000  # rows held before they go to the spool


class RowTemplate(NamedTuple):
    pieces: tuple[str, ...]  # cells' XML, split where the row number goes
    end: int  # the column after the last cell
    strings: int  # shared-string references it holds


class WriteFailed(Exception):
    """XlsxWriter refused a value (a non-zero return code), or a value cannot be written."""


def checked(code: object, what: str) -> None:
    if isinstance(code, int) and code != 0:
        raise WriteFailed(f"XlsxWriter returned {code} for {what}")


def looks_rich(text: str) -> bool:
    """Text XlsxWriter would take for its own rich-string XML."""
    return text.startswith("<r>") and text.endswith("</r>")


class BulkSheet(Worksheet):  # type: ignore[misc]
    """A worksheet that also takes whole rows, serialized after its ordinary cells."""

    dim_rowmin: int | None
    dim_rowmax: int | None
    dim_colmin: int | None
    dim_colmax: int | None

    def __init__(self) -> None:
        super().__init__()
        # Bulk rows go to a temporary file in row order, not into memory: a national
        # summary has hundreds of thousands of them.
        self._spool: IO[str] | None = None
        self._bulk_rows: array[int] = array("q")
        self._bulk_sizes: array[int] = array("q")
        self._pending: list[str] = []  # rows not yet in the spool
        self._cell_style: dict[int | None, str] = {}
        self.in_memory = False  # spool in memory: a workbook written to bytes touches no file

    def _write_string(self, row: int, col: int, string: str, cell_format: Any = None) -> int:
        """Every string XlsxWriter writes into a cell (write_string, merge_range, table
        headers), escaped as module docstring says."""
        return write_text(super()._write_string, self, row, col, string, cell_format)

    def _write_formula(self, row: int, col: int, formula: str, cell_format: Any = None,
                       value: Any = 0) -> int:  # fmt: skip
        """A formula whose cached string result is escaped (XlsxWriter escapes only <>&)."""
        if isinstance(value, str) and not value.startswith("#"):
            value = ooxml_text(value)
        return int(super()._write_formula(row, col, formula, cell_format, value) or 0)

    def bulk_row(self, row: int, cells: Sequence[Cell], height: float | None = None) -> None:
        """A whole row, cells from column A as (value, xf index or None); no ordinary cell there."""
        self.put_row(row, [self.template(cells)], height)

    def template(self, cells: Sequence[Cell], first_col: int = 0) -> RowTemplate:
        """Cells serialized once, with the row number left open: rows that repeat them are cheap."""
        pieces: list[str] = []
        after = ""  # XML after the last row number
        shared = self.str_table._get_shared_string_index
        styles = self._cell_style
        strings = 0
        for col, (value, xf) in enumerate(cells, start=first_col):
            style = styles.get(xf)
            if style is None:  # '" s="7"', what follows the cell's row number
                style = styles[xf] = '"' if xf is None else f'" s="{xf}"'
            kind = type(value)
            if kind is str:
                text: str = value  # type: ignore[assignment]
                if not text:
                    if xf is None:
                        continue
                    body = style + "/>"
                elif len(text) > EXCEL_TEXT_LIMIT // 2 and utf16_len(text) > EXCEL_TEXT_LIMIT:
                    raise WriteFailed(f"{self.name}!{_COLUMNS[col]}: text longer than Excel allows")
                else:
                    if needs_own_xml(text):
                        text = own_xml(text)
                    body = f'{style} t="s"><v>{shared(text)}</v></c>'
                    strings += 1
            elif value is None:
                if xf is None:
                    continue
                body = style + "/>"
            else:
                number = float(value)
                if number - number != 0:  # inf or nan
                    raise WriteFailed(
                        f"{self.name}!{_COLUMNS[col]}: {value} is not a finite number"
                    )
                body = f"{style}><v>{number!r}</v></c>"
            pieces.append(f'{after}<c r="{_COLUMNS[col]}')
            after = body
        pieces.append(after)
        self.str_table.count -= strings  # counted again each time the template is used
        return RowTemplate(tuple(pieces), first_col + len(cells), strings)

    def put_row(self, row: int, parts: Sequence[RowTemplate], height: float | None = None) -> None:
        """A row made of templates, left to right; rows come in increasing order."""
        rows = self._bulk_rows
        if rows and row <= rows[-1]:
            raise WriteFailed(f"{self.name}: row {row + 1} written out of order")
        number = str(row + 1)
        start = (
            f'<row r="{number}" ht="{height:.16g}" customHeight="1">'
            if height
            else f'<row r="{number}">'
        )
        xml = start + "".join([number.join(p.pieces) for p in parts]) + "</row>"
        self._pending.append(xml)
        if len(self._pending) >= _PENDING:
            self._flush()
        rows.append(row)
        self._bulk_sizes.append(len(xml))
        for part in parts:
            self.str_table.count += part.strings
        # XlsxWriter's used range, which its <dimension>, tables and filters rely on.
        last_col = max(parts[-1].end - 1, 0) if parts else 0
        if self.dim_rowmin is None or row < self.dim_rowmin:
            self.dim_rowmin = row
        if self.dim_rowmax is None or row > self.dim_rowmax:
            self.dim_rowmax = row
        self.dim_colmin = 0
        if self.dim_colmax is None or last_col > self.dim_colmax:
            self.dim_colmax = last_col

    def _flush(self) -> IO[str]:
        if self._spool is None and self.in_memory:
            self._spool = io.StringIO(newline="")
        elif self._spool is None:
            self._spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
        self._spool.write("".join(self._pending))
        self._pending.clear()
        return self._spool

    def discard(self) -> None:
        """Close the spooled rows of a workbook that will not be closed (a failed write)."""
        self._pending.clear()
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def add_table(self, first_row: int, first_col: int, last_row: int, last_col: int,
                  options: dict[str, Any] | None = None) -> int:  # fmt: skip
        """XlsxWriter's add_table without its per-cell overlap bookkeeping.

        XlsxWriter records every cell of a table to detect overlaps (0.9 s for a
        63,000-row table). xlkpi's tables never overlap, so the table is declared
        over its header and first row and then given its full range.
        """
        options = options or {}
        if options.get("total_row") or any("formula" in c for c in options.get("columns", [])):
            code = int(super().add_table(first_row, first_col, last_row, last_col, options) or 0)
            if not code:
                self._escape_columns(self.tables[-1])
            return code
        code = super().add_table(
            first_row, first_col, min(last_row, first_row + 1), last_col, options
        )
        if code:
            return int(code)
        table = self.tables[-1]
        self._escape_columns(table)
        table["range"] = xl_range(first_row, first_col, last_row, last_col)
        table["a_range"] = table["range"]
        if table.get("autofilter"):
            table["autofilter"] = table["range"]
        return 0

    @staticmethod
    def _escape_columns(table: dict[str, Any]) -> None:
        """A column's name is an XML attribute, which XlsxWriter escapes only for <>&"
        (its header cell, already written, went through _write_string)."""
        for column in table.get("columns", []):
            name = column.get("name")
            if isinstance(name, str):
                column["name"] = ooxml_text(name, attribute=True)

    def _write_rows(self) -> None:
        """XlsxWriter's own loop for the ordinary rows between bulk rows, in row order."""
        if not self._bulk_rows:
            super()._write_rows()
            return
        spool = self._flush()
        low, high = self.dim_rowmin, self.dim_rowmax
        assert low is not None and high is not None  # bulk rows set them
        spool.seek(0)
        start = low
        block = 0  # characters of consecutive bulk rows not yet copied
        for row, size in zip(self._bulk_rows, self._bulk_sizes, strict=True):
            if self.table.get(row):
                raise WriteFailed(f"{self.name}: row {row + 1} has both bulk and ordinary cells")
            ordinary_before = start < row  # rows start..row-1 are XlsxWriter's own
            if ordinary_before or block > _BLOCK:
                self.fh.write(spool.read(block))
                block = 0
            if ordinary_before:
                self.dim_rowmin, self.dim_rowmax = start, row - 1
                super()._write_rows()
            block += size
            start = row + 1
        self.fh.write(spool.read(block))
        if start <= high:
            self.dim_rowmin, self.dim_rowmax = start, high
            super()._write_rows()
        self.dim_rowmin, self.dim_rowmax = low, high
        spool.close()
        self._spool = None


def write_text(write: Any, sheet: Any, row: int, col: int, text: str, fmt: Any) -> int:
    """`write` (a worksheet's _write_string) given finished XML where XlsxWriter would
    write the text wrongly; too long a text is refused (XlsxWriter would cut it)."""
    if len(text) > EXCEL_TEXT_LIMIT // 2 and utf16_len(text) > EXCEL_TEXT_LIMIT:
        return -2
    if not needs_own_xml(text):
        return int(write(row, col, text, fmt) or 0)
    limit = sheet.xls_strmax
    sheet.xls_strmax = 1 << 62  # the text was measured above, its XML is longer
    try:
        return int(write(row, col, own_xml(text), fmt) or 0)
    finally:
        sheet.xls_strmax = limit


@contextmanager
def closing_zip(compresslevel: int | None = None) -> Iterator[None]:
    """XlsxWriter's zip while a workbook closes, its file closed even when writing fails.

    On a full disk XlsxWriter raises with its ZipFile still open; collected later, that
    ZipFile tries to finish the file again and prints a traceback. Here its file is
    closed at once, quietly. The summary passes compresslevel=1: ~37 MB of XML is
    packed in ~0.2 s instead of ~0.7 s at zlib's default, for a file a third larger.
    """
    opened: list[zipfile.ZipFile] = []

    class Zip(zipfile.ZipFile):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if compresslevel is not None:
                kwargs.setdefault("compresslevel", compresslevel)
            super().__init__(*args, **kwargs)
            opened.append(self)

    default = xlsxwriter.workbook.ZipFile
    xlsxwriter.workbook.ZipFile = Zip
    try:
        yield
    except BaseException:
        for archive in opened:
            file, archive.fp = archive.fp, None  # ZipFile.close then has nothing left to do
            if file is not None:
                with suppress(OSError):
                    file.close()
        raise
    finally:
        xlsxwriter.workbook.ZipFile = default


class CheckedSheet:
    """A worksheet whose every call has its return code checked, and text written safely."""

    def __init__(self, worksheet: Any) -> None:
        self._worksheet = worksheet
        if isinstance(worksheet, BulkSheet):  # they raise rather than return codes: no wrapper
            self.template = worksheet.template
            self.put_row = worksheet.put_row
            self.bulk_row = worksheet.bulk_row

    def write_string(self, row: int, col: int, text: str, fmt: Any = None) -> int:
        ws = self._worksheet
        if isinstance(ws, BulkSheet):  # its _write_string escapes
            code = ws.write_string(row, col, text, fmt)
        else:
            code = write_text(ws._write_string, ws, row, col, text, fmt)
        checked(code, f"{ws.name} write_string({row}, {col})")
        return 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._worksheet, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            code = attribute(*args, **kwargs)
            if isinstance(code, int) and code != 0:
                checked(code, f"{self._worksheet.name}.{name}{args[:2]}")
            return code

        return call
