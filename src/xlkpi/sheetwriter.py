"""XlsxWriter, made fast and safe for what xlkpi writes.

- BulkSheet serializes whole data rows in one pass (XlsxWriter spends ~11 µs per
  cell; a 5,000-sheet summary has ~700,000 cells). Strings still go through the
  workbook's shared-string table and formats through their xf index, so the file
  is what XlsxWriter itself would write.
- Every call's return code is checked (XlsxWriter reports many errors only so).
- Text shaped like XlsxWriter's internal rich-string marker ("<r>…</r>") would be
  written into sharedStrings.xml as raw XML; it is written escaped instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from xlsxwriter.utility import xl_col_to_name, xl_range
from xlsxwriter.worksheet import Worksheet

Cell = tuple[str | int | float | Decimal | None, int | None]  # value, xf index of its format

EXCEL_TEXT_LIMIT = 32_767
_COLUMNS = [xl_col_to_name(col) for col in range(64)]


class RowTemplate(NamedTuple):
    xml: str  # cells, with "{0}" where the row number goes
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
        self._bulk: dict[int, str] = {}

    def bulk_row(self, row: int, cells: Sequence[Cell], height: float | None = None) -> None:
        """A whole row, cells from column A as (value, xf index or None); no ordinary cell there."""
        self.put_row(row, [self.template(cells)], height)

    def template(self, cells: Sequence[Cell], first_col: int = 0) -> RowTemplate:
        """Cells serialized once, with the row number left open: rows that repeat them are cheap."""
        parts: list[str] = []
        append = parts.append
        shared = self.str_table._get_shared_string_index
        strings = 0
        for col, (value, xf) in enumerate(cells, start=first_col):
            ref = _COLUMNS[col] + "{0}"
            style = "" if xf is None else f' s="{xf}"'
            kind = type(value)
            if kind is str:
                text: str = value  # type: ignore[assignment]
                if not text:
                    if style:
                        append(f'<c r="{ref}"{style}/>')
                elif len(text) > EXCEL_TEXT_LIMIT:
                    raise WriteFailed(f"{self.name}!{_COLUMNS[col]}: text longer than Excel allows")
                elif text[:3] == "<r>" and text[-4:] == "</r>":  # see looks_rich()
                    inline = escape(text).replace("{", "{{").replace("}", "}}")
                    append(f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">'
                           f"{inline}</t></is></c>")  # fmt: skip
                else:
                    append(f'<c r="{ref}"{style} t="s"><v>{shared(text)}</v></c>')
                    strings += 1
            elif value is None:
                if style:
                    append(f'<c r="{ref}"{style}/>')
            else:
                number_value = float(value)
                if not math.isfinite(number_value):
                    raise WriteFailed(
                        f"{self.name}!{_COLUMNS[col]}: {value} is not a finite number"
                    )
                append(f'<c r="{ref}"{style}><v>{number_value:.16G}</v></c>')
        self.str_table.count -= strings  # counted again each time the template is used
        return RowTemplate("".join(parts), first_col + len(cells), strings)

    def put_row(self, row: int, parts: Sequence[RowTemplate], height: float | None = None) -> None:
        """A row made of templates, left to right."""
        if row in self._bulk:
            raise WriteFailed(f"{self.name}: row {row + 1} written twice")
        number = str(row + 1)
        start = (
            f'<row r="{number}" ht="{height:.16g}" customHeight="1">'
            if height
            else f'<row r="{number}">'
        )
        self._bulk[row] = start + "".join(p.xml for p in parts).format(number) + "</row>"
        self.str_table.count += sum(p.strings for p in parts)
        # XlsxWriter's used range, which its <dimension>, tables and filters rely on.
        last_col = max(max((p.end for p in parts), default=0) - 1, 0)
        self.dim_rowmin = row if self.dim_rowmin is None else min(self.dim_rowmin, row)
        self.dim_rowmax = row if self.dim_rowmax is None else max(self.dim_rowmax, row)
        self.dim_colmin = 0
        self.dim_colmax = last_col if self.dim_colmax is None else max(self.dim_colmax, last_col)

    def add_table(self, first_row: int, first_col: int, last_row: int, last_col: int,
                  options: dict[str, Any] | None = None) -> int:  # fmt: skip
        """XlsxWriter's add_table without its per-cell overlap bookkeeping.

        XlsxWriter records every cell of a table to detect overlaps (0.9 s for a
        63,000-row table). xlkpi's tables never overlap, so the table is declared
        over its header and first row and then given its full range.
        """
        options = options or {}
        if options.get("total_row") or any("formula" in c for c in options.get("columns", [])):
            return int(super().add_table(first_row, first_col, last_row, last_col, options) or 0)
        code = super().add_table(
            first_row, first_col, min(last_row, first_row + 1), last_col, options
        )
        if code:
            return int(code)
        table = self.tables[-1]
        table["range"] = xl_range(first_row, first_col, last_row, last_col)
        table["a_range"] = table["range"]
        if table.get("autofilter"):
            table["autofilter"] = table["range"]
        return 0

    def _write_rows(self) -> None:
        """XlsxWriter's own loop for the ordinary rows between bulk rows, in row order."""
        if not self._bulk:
            super()._write_rows()
            return
        low, high = self.dim_rowmin, self.dim_rowmax
        assert low is not None and high is not None  # bulk rows set them
        start = low
        for row in sorted(self._bulk):
            if self.table.get(row):
                raise WriteFailed(f"{self.name}: row {row + 1} has both bulk and ordinary cells")
            if start <= row - 1:
                self.dim_rowmin, self.dim_rowmax = start, row - 1
                super()._write_rows()
            self.fh.write(self._bulk[row])
            start = row + 1
        if start <= high:
            self.dim_rowmin, self.dim_rowmax = start, high
            super()._write_rows()
        self.dim_rowmin, self.dim_rowmax = low, high


class CheckedSheet:
    """A worksheet whose every call has its return code checked, and text written safely."""

    def __init__(self, worksheet: Any) -> None:
        self._worksheet = worksheet

    def write_string(self, row: int, col: int, text: str, fmt: Any = None) -> int:
        if looks_rich(text):  # plain runs (XlsxWriter needs three): it escapes them
            extra = (fmt,) if fmt is not None else ()
            runs = (text[:1], text[1:2], text[2:])
            code = self._worksheet.write_rich_string(row, col, *runs, *extra)
        else:
            code = self._worksheet.write_string(row, col, text, fmt)
        checked(code, f"{self._worksheet.name} write_string({row}, {col})")
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
