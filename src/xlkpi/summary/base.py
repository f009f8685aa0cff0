"""What every summary sheet shares: formats, checked writes, page setup, list ranges."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from xlkpi.merge import MergeResult
from xlkpi.model import Kpi, Measure
from xlkpi.previous import DATA_SHEET as DATA_SHEET  # one name each: see previous.py
from xlkpi.previous import LEDGER_SHEET as LEDGER_SHEET
from xlkpi.previous import MEASURE_SHEET as MEASURE_SHEET
from xlkpi.sheetwriter import BulkSheet, CheckedSheet, RowTemplate
from xlkpi.style import (
    A4,
    A4_LONG,
    A4_SHORT,
    DEFAULT_ROW_HEIGHT,
    EXTRA_GRADE_FILLS,
    FONT,
    GRADE_FILLS,
    LABEL_FILL,
    POINTS_PER_UNIT,
    row_height,
    text_width,
    wrapped_lines,
)
from xlkpi.tally import Counts
from xlkpi.values import reiwa_label

OVERVIEW_SHEET = "概要"
LIST_SHEET = "達成状況一覧"
FIELD_SHEET = "分野別集計"
CONTINUING_SHEET = "継続C・D"
COMMENTS_SHEET = "評価コメント"
BUDGET_SHEET = "事業費"
REVIEW_SHEET = "見直し候補"
# 「結びつきやネットワークの強化」 on one line in BIZ UDPゴシック and in Noto CJK, not 「…の強 / 化」
VIEWPOINT_WIDTH = 22.0
UNGROUPED = "（未記入）"  # shown for a missing viewpoint or policy field
UNGRADED = "評価なし"  # a KPI the year's tally counts without a grade


def year_title(year: int) -> str:
    return f"{year}年度（{reiwa_label(year)}）"


def shown_ratio(ratio: Fraction) -> float:
    """達成率 as shown: cut (not rounded) to 0.1 %, so 99.96 % never shows as 100.0 %."""
    value = Decimal(ratio.numerator) / Decimal(ratio.denominator)
    return float(value.quantize(Decimal("0.001"), rounding=ROUND_DOWN))


def percent_text(share: Fraction) -> str:
    """What Excel's TEXT(x, "0.0%") shows: 24/34 -> "70.6%"."""
    value = Decimal(share.numerator) * 100 / Decimal(share.denominator)
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def reason_counts(counts: Counts, unit: str) -> str:
    """評価なし by reason, most first: 「実績値なし 2件、目標値なし 1件」."""
    ranked = sorted(counts.ungraded.items(), key=lambda item: -item[1])
    return "、".join(f"{reason} {n}{unit}" for reason, n in ranked)


_LIKE_UNGROUPED = re.compile(f"^(「*){re.escape(UNGROUPED)}(」*)$")


def shown(text: str) -> str:
    """A viewpoint or field as the summary shows it: a blank one as （未記入）. The map is
    one-to-one (the counts compare the shown texts): a return's own 「（未記入）」-shaped
    text gets one more pair of 「」, so （未記入） typed in a return is 「（未記入）」."""
    if not text:
        return UNGROUPED
    if (like := _LIKE_UNGROUPED.match(text)) and len(like[1]) == len(like[2]):
        return f"「{text}」"
    return text


BulkCell = tuple[object, str]  # a value and the name of its format


def number_cell(value: Decimal | int | None) -> BulkCell:
    if value is None:
        return None, "text"
    return value, "int" if value == int(value) else "dec"


def ratio_cell(ratio: Fraction | None) -> BulkCell:
    return (None, "text") if ratio is None else (shown_ratio(ratio), "pct")


NAME_LIST_LIMIT = 1_000  # characters of names one sentence lists before it counts the rest
_WRAPPED = ("text", "header", "bold", "wrap", "note_wrap", "subtitle_wrap")
_SIZES = {"title": 14, "subtitle": 11, "subtitle_wrap": 11}  # points; 10 otherwise
_SPREAD = ("note", "subtitle")  # a line of these wider than its column spreads across the sheet


def name_list(names: list[str], where: str) -> str:
    """Names joined with 、; past NAME_LIST_LIMIT characters the rest are counted, not listed."""
    shown: list[str] = []
    length = 0
    for name in names:
        length += len(name) + 1
        if length > NAME_LIST_LIMIT and shown:
            rest = len(names) - len(shown)
            return "、".join(shown) + f"、ほか {rest:,} 施策（すべて「{where}」にあります）"
        shown.append(name)
    return "、".join(shown)


class Book:
    """The workbook with its formats; each sheet module writes through it."""

    def __init__(self, workbook: Any, result: MergeResult) -> None:
        self.wb = workbook
        self.result = result
        self.rows: list[tuple[Measure, Kpi]] = [(m, k) for m in result.measures for k in m.kpis]
        base = {"font_name": FONT, "font_size": 10, "valign": "top"}
        cell = {**base, "border": 1}
        self.fmt = {
            "title": workbook.add_format({**base, "font_size": 14, "bold": True}),
            "subtitle": workbook.add_format({**base, "font_size": 11, "bold": True}),
            "subtitle_wrap": workbook.add_format(
                {**base, "font_size": 11, "bold": True, "text_wrap": True}
            ),
            "note": workbook.add_format({**base, "font_color": "#404040"}),
            "note_wrap": workbook.add_format({**base, "font_color": "#404040", "text_wrap": True}),
            "header": workbook.add_format({**cell, "bold": True, "bg_color": LABEL_FILL,
                                           "text_wrap": True, "valign": "vcenter", "align": "center"}),
            "text": workbook.add_format({**cell, "text_wrap": True}),
            "cell": workbook.add_format(cell),  # text kept on one line: データ's rows
            "plain": workbook.add_format(base),
            "wrap": workbook.add_format({**base, "text_wrap": True}),
            "center": workbook.add_format({**cell, "align": "center"}),
            "int": workbook.add_format({**cell, "num_format": "#,##0"}),
            "dec": workbook.add_format({**cell, "num_format": "#,##0.0##"}),
            "pct": workbook.add_format({**cell, "num_format": "0.0%"}),
            "bold": workbook.add_format({**cell, "bold": True, "text_wrap": True}),
            "bold_int": workbook.add_format({**cell, "bold": True, "num_format": "#,##0"}),
            "bold_dec": workbook.add_format({**cell, "bold": True, "num_format": "#,##0.0##"}),
            "bold_pct": workbook.add_format({**cell, "bold": True, "num_format": "0.0%"}),
            "year": workbook.add_format({**cell, "num_format": "0", "align": "center"}),
        }  # fmt: skip
        labels = result.rule.labels
        fills = {**dict(zip(labels, EXTRA_GRADE_FILLS, strict=False)), **GRADE_FILLS}
        self.grade_fill = {label: fills.get(label, "#D9D9D9") for label in labels}
        self._xf = {name: fmt._get_xf_index() for name, fmt in self.fmt.items()}
        self._widths: dict[str, list[float]] = {}
        self._across: dict[str, int] = {}  # columns repeated on every page of a data sheet
        self._taller: dict[str, float] = {}  # points bulk rows add to the default row heights
        self._lines: dict[str, dict[int, float]] = {}  # row -> the height its text needs
        self.grade_fmt = {
            label: workbook.add_format({"bg_color": fill, "font_name": FONT})
            for label, fill in self.grade_fill.items()
        }

    # --- writing ------------------------------------------------------------------------

    def sheet(
        self, name: str, title: str, note: str, widths: list[float], *, across: int = 0
    ) -> Any:
        """A new sheet with its column widths; wrapped text is fitted to them.

        A data sheet prints across as many pages as it needs, its first `across` columns
        (those that name a row) repeated on each; its title and note start beside them."""
        sheet = self.wb.add_worksheet(name, worksheet_class=BulkSheet)
        sheet.in_memory = self.wb.in_memory
        ws = CheckedSheet(sheet)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        self._widths[name] = widths
        self._across[name] = across
        self._lines[name] = {}
        if title:
            self.text(ws, 0, across, title, "title")
        if note:
            self.text(ws, 1, across, note, "note")
        return ws

    def text(self, ws: Any, row: int, col: int, value: str, fmt: str = "text") -> None:
        widths = self._widths.get(ws.name, [])
        across = self._across.get(ws.name, 0)
        if fmt in _SPREAD and col == across and text_width(value) > widths[col] - 1.5:
            last = bands(widths, across)[0][-1] if across else len(widths) - 1
            if last > col:  # across the first page only: a page beside it would show a piece
                self.merged_text(ws, row, (col, last), value, f"{fmt}_wrap")
                return
        ws.write_string(row, col, value, self.fmt[fmt])
        if fmt in _WRAPPED and value and col < len(widths):
            self._need(ws, row, wrapped_lines(value, widths[col], _SIZES.get(fmt, 10)), fmt)
        elif fmt in _SIZES:
            self._need(ws, row, 1, fmt)

    def _need(self, ws: Any, row: int, lines: int, fmt: str) -> None:
        """The row is at least as high as `lines` lines of this format need."""
        needs = self._lines[ws.name]
        needs[row] = max(needs.get(row, DEFAULT_ROW_HEIGHT), row_height(lines, _SIZES.get(fmt, 10)))

    def bulk(self, ws: Any, row: int, cells: list[BulkCell]) -> None:
        """A whole data row: (value, format name) per column from A, height fitted to its text."""
        widths = self._widths[ws.name]
        lines = 1
        for col, (value, fmt) in enumerate(cells):
            # Only text that may not fit on one line is measured.
            if (
                type(value) is str
                and fmt in _WRAPPED
                and len(value) * 2 > (widths[col] - 1.5) * 0.9
            ):
                lines = max(lines, wrapped_lines(value, widths[col]))
        height = row_height(lines) if lines > 1 else None  # one line: the sheet's default
        if height is not None:
            self._taller[ws.name] = self._taller.get(ws.name, 0.0) + height - DEFAULT_ROW_HEIGHT
        xf = self._xf
        ws.bulk_row(row, [(value, xf[fmt]) for value, fmt in cells], height)

    def template(self, ws: Any, cells: list[BulkCell], first_col: int = 0) -> RowTemplate:
        """Cells to repeat on many rows, which are then not fitted to their text."""
        xf = self._xf
        template: RowTemplate = ws.template([(v, xf[f]) for v, f in cells], first_col)
        return template

    def table(self, ws: Any, top: int, last: int, titles: list[str], name: str, style: str) -> None:
        """An Excel table with a header row at `top` over data rows down to `last`."""
        widths = self._widths[ws.name]
        for col, title in enumerate(titles):
            self._need(ws, top, wrapped_lines(title, widths[col]), "header")
        ws.add_table(top, 0, last, len(titles) - 1, {
            "name": name, "style": style,
            "columns": [{"header": t, "header_format": self.fmt["header"]} for t in titles],
        })  # fmt: skip

    def merged_text(
        self, ws: Any, row: int, cols: tuple[int, int], value: str, fmt: str = "text"
    ) -> None:
        """Text across several columns, wrapped, with the row sized to it."""
        ws.merge_range(row, cols[0], row, cols[1], value, self.fmt[fmt])
        width = sum(self._widths[ws.name][cols[0] : cols[1] + 1])
        self._need(ws, row, wrapped_lines(value, width, _SIZES.get(fmt, 10)), fmt)

    def number(self, ws: Any, row: int, col: int, value: Decimal | int | None) -> None:
        shown, fmt = number_cell(value)  # the same choice of format as in bulk rows
        if shown is None:
            ws.write_blank(row, col, None, self.fmt[fmt])
        else:
            ws.write_number(row, col, float(shown), self.fmt[fmt])  # type: ignore[arg-type]

    def formula(self, ws: Any, row: int, col: int, formula: str, fmt: str, cached: object) -> None:
        ws.write_formula(row, col, formula, self.fmt[fmt], cached)

    def header(self, ws: Any, row: int, titles: list[str], first_col: int = 0) -> None:
        for col, title in enumerate(titles, start=first_col):
            self.text(ws, row, col, title, "header")

    def page(self, ws: Any, header_rows: tuple[int, int], *, freeze: bool = True) -> None:
        """Row heights for the text; A4 landscape, header rows repeated on every page.

        A sheet is fitted to one page wide; a data sheet prints across as many pages as it
        needs (see sheet()), shrunk a little where that saves a page across."""
        for row, height in sorted(self._lines[ws.name].items()):
            if height > DEFAULT_ROW_HEIGHT:
                ws.set_row(row, height)
        ws.set_default_row(DEFAULT_ROW_HEIGHT)
        ws.set_landscape()
        ws.set_paper(A4)
        if across := self._across[ws.name]:
            ws.repeat_columns(0, across - 1)
            if pages := fewer_pages_across(self._widths[ws.name], across):
                ws.fit_to_pages(pages, 0)
        else:  # one page wide; one page tall as well when it would spill onto a second a little
            ws.fit_to_pages(1, 1 if self._pages_tall(ws) <= SPILL else 0)
        ws.repeat_rows(*header_rows)
        ws.set_margins(left=SIDE_MARGIN, right=SIDE_MARGIN, top=TOP_MARGIN, bottom=TOP_MARGIN)
        ws.set_footer("&C&P / &N ページ")
        if freeze:
            ws.freeze_panes(header_rows[1] + 1, 0)

    def _pages_tall(self, ws: Any) -> float:
        """A4 landscape pages the sheet fills at the scale that fits it one page wide, by the
        row heights it sets (LibreOffice and Excel need no more)."""
        rows = (ws.dim_rowmax or 0) + 1
        extra = sum(h - DEFAULT_ROW_HEIGHT for h in self._lines[ws.name].values())
        extra += self._taller.get(ws.name, 0.0)
        scale = min(1.0, PAGE_UNITS / sum(self._widths[ws.name]))
        return (rows * DEFAULT_ROW_HEIGHT + extra) * scale / PAGE_HEIGHT

    # --- the list everything counts ----------------------------------------------------------

    LIST_HEADER_ROW = 3
    FIRST_GRADE_COL = 5

    def grade_col(self, year: int) -> int:
        return self.FIRST_GRADE_COL + self.result.grade_years.index(year)

    def list_range(self, col: int) -> str:
        """A whole column of 達成状況一覧's data rows, absolute, for the counts."""
        letter = xl_col_to_name(col)
        first = self.LIST_HEADER_ROW + 2
        last = self.LIST_HEADER_ROW + 1 + max(len(self.rows), 1)
        return f"'{LIST_SHEET}'!${letter}${first}:${letter}${last}"

    def counts(
        self, ws: Any, row: int, first_col: int, counts: Counts, criteria: Criteria, year: int,
        label_row: int, *, bold: bool = False,
    ) -> None:  # fmt: skip
        """Per-grade exact counts, their total, the good share and 評価なし (a blank grade),
        each with its cached value."""
        labels = self.result.rule.labels
        grades = self.list_range(self.grade_col(year))
        for offset, label in enumerate(labels):
            head = xl_rowcol_to_cell(label_row, first_col + offset, row_abs=True)
            formula = "=" + count_exact([*criteria, (grades, head)])
            self.formula(ws, row, first_col + offset, formula, "bold_int" if bold else "int",
                         counts.by_grade[label])  # fmt: skip
        start = xl_rowcol_to_cell(row, first_col)
        end = xl_rowcol_to_cell(row, first_col + len(labels) - 1)
        total = xl_rowcol_to_cell(row, first_col + len(labels))
        self.formula(ws, row, first_col + len(labels), f"=SUM({start}:{end})",
                     "bold_int" if bold else "int", counts.total)  # fmt: skip
        good = "+".join(xl_rowcol_to_cell(row, first_col + i) for i in range(self.result.rule.good))
        share = counts.share
        self.formula(ws, row, first_col + len(labels) + 1, f'=IF({total}=0,"",({good})/{total})',
                     "bold_pct" if bold else "pct", float(share) if share is not None else "")  # fmt: skip
        self.formula(ws, row, first_col + len(labels) + 2,
                     "=" + count_exact([*criteria, (grades, BLANK)]),
                     "bold_int" if bold else "int", counts.not_graded)  # fmt: skip


# Conditions of a count: (range, what each cell must equal). The "what" is a cell reference
# (the label written beside the count) or BLANK, never text from a return (see count_exact).
Criteria = list[tuple[str, str]]
BLANK = '""'


SIDE_MARGIN, TOP_MARGIN = 0.4, 0.6  # inches, as page() sets them
PAGE_UNITS = (A4_LONG - 2 * 72 * SIDE_MARGIN) / POINTS_PER_UNIT  # column units across a page
PAGE_HEIGHT = A4_SHORT - 2 * 72 * TOP_MARGIN  # points down a page
# A sheet estimated this many pages tall is fitted to one rather than leave a few rows on a
# second page: the row heights it sets are generous, so in print that is >= 75 % of full size.
SPILL = 1.4
DATA_SHEET_SCALE = 0.8  # a data sheet is shrunk to no less than this (10 pt text: 8 pt)


def bands(widths: list[float], repeated: int, scale: float = 1.0) -> list[range]:
    """The columns each page across prints at this scale, beside the first `repeated`."""
    room = PAGE_UNITS / scale - sum(widths[:repeated])
    found: list[range] = []
    first, used = repeated, 0.0
    for col in range(repeated, len(widths)):
        if used and used + widths[col] > room:
            found.append(range(first, col))
            first, used = col, 0.0
        used += widths[col]
    return [*found, range(first, len(widths))]


def fewer_pages_across(widths: list[float], repeated: int) -> int:
    """Pages wide to fit a data sheet to when shrinking it a little saves a page; else 0."""
    fewer = len(bands(widths, repeated, DATA_SHEET_SCALE))
    return fewer if fewer < len(bands(widths, repeated)) else 0


def label_ref(row: int, col: int) -> str:
    """A cell whose text a count compares with, its column fixed (the label column)."""
    ref: str = xl_rowcol_to_cell(row, col, col_abs=True)
    return ref


def count_exact(criteria: Criteria) -> str:
    """How many rows meet every condition, compared as Python compares: EXACT is case- and
    width-sensitive and knows no wildcards, operators or 255-character limit, unlike
    COUNTIFS ("a" = "A", "*" matches anything, "<5" is a comparison). Return text never
    enters the formula: each condition names a cell that holds it."""
    if not criteria:
        raise ValueError("a count needs a condition")
    terms = [f"EXACT({rng},{value})" for rng, value in criteria]
    if len(terms) == 1:
        return f"SUMPRODUCT(--{terms[0]})"
    return f"SUMPRODUCT({'*'.join(terms)})"


def sum_exact(criteria: Criteria, values: str) -> str:
    """The sum of `values` over the rows meeting every condition (count_exact's matching)."""
    terms = "*".join(f"EXACT({rng},{value})" for rng, value in criteria)
    return f"SUMPRODUCT(({terms})*1,{values})"


def literal(text: str) -> str:
    """A formula string literal for xlkpi's own text (labels, settings): quotes doubled.
    Return text is referenced by cell instead (count_exact)."""
    if len(text) > 255:  # Excel refuses longer literals
        raise ValueError("a formula string literal longer than 255 characters")
    return '"' + text.replace('"', '""') + '"'
