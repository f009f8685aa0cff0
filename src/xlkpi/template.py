"""Write the form: the blank template, or forms filled with measures.

Layout and wording come from `form`; the reader reads what this writes by its
labels, so a change here that the reader does not follow fails the round-trip
tests.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.exceptions import XlsxWriterException

from xlkpi import __version__, form
from xlkpi.form import DEFAULT_PERIOD, Field, Layout, Period
from xlkpi.grading import DEFAULT_RULE, Rule
from xlkpi.intake import OutputTaken
from xlkpi.model import Measure
from xlkpi.output import OutputError, failure, write_atomic
from xlkpi.reader import read_sheet
from xlkpi.sheetwriter import CheckedSheet, WriteFailed, closing_zip
from xlkpi.style import (
    A4,
    A4_LONG,
    A4_SHORT,
    DEFAULT_ROW_HEIGHT,
    FONT,
    INPUT_FILL,
    LABEL_FILL,
    NEXT_YEAR_FILL,
    POINTS_PER_UNIT,
    WORKBOOK_OPTIONS,
    row_height,
    wrapped_lines,
)
from xlkpi.values import UNITS, with_note, year_header
from xlkpi.workbook import Workbook

# A fixed creation time keeps the generated template byte-stable across runs.
_CREATED = dt.datetime(2024, 4, 1, tzinfo=dt.UTC)
_LONG_ROW_HEIGHT = 54
# 記入要領 on A4 portrait at full size: LibreOffice draws a character unit wider than Excel.
_INSTRUCTION_WIDTH = 66
_NAME_WIDTH, _VALUE_WIDTH = 24, 17  # the form's first column and the others
_SIDE_MARGIN, _TOP_MARGIN = 0.5, 0.6  # inches
SMALLEST_SCALE = 0.65  # a form is shrunk onto one page down to this (10 pt text: 6.5 pt)

INSTRUCTIONS: tuple[str, ...] = (
    "成果指標（KPI）実績調書　記入要領",
    "1. 「施策」シートを施策ごとにコピーし、1 施策につき 1 シートに記入してください。シート名は自由です（例: 施策1）。",
    "2. 黄色のセルに記入します。青色の見出しの文言は変えないでください（集計ツールは見出しを手がかりに読み取ります）。",
    "3. 施策番号には、達成状況一覧の No. を記入します。",
    "4. 連携する視点と政策分野は、セルを選ぶと表示される一覧から選びます。",
    f"5. 成果指標は 1 施策につき {form.MAX_KPIS} 指標まで記入できます。指標ごとに 1 行を使い、指標名・単位・現状値・目標値を記入します。",
    "6. 数値の欄には数値だけを入力します（例: 1195、58.4）。単位は「単位」の欄に記入します。"
    "パーセントは 58.4 と入力しても 58.4% と入力しても、58.4% として読み取ります。",
    "7. 実績値は、指標ごとの行の該当年度の列に記入します。実績のまだない年度は空欄のままにします（「－」も空欄として扱います）。",
    "8. 事業費は千円単位の数値で記入します。",
    "9. 年度評価と次年度以降の取組は、当該年度の評価と今後の取組を文章で記入します。",
    "10. 数式を使った場合は、必ず Excel で保存してから提出してください（計算結果が保存されていないと読み取れません）。",
    "11. 見出しのセルは保護されています（パスワードはありません）。行の高さや列の幅は変更できます。",
    "12. 提出前に、事務局が配布する点検のページ（xlkpi.html。ブラウザで開くだけで使え、インストールは要りません）の「点検」でこのブックを選ぶと、記入漏れや読み取れない値をセルごとに確認できます。ブックはどこにも送信されません。",
)


def write_template(path: Path, period: Period = DEFAULT_PERIOD, rule: Rule = DEFAULT_RULE) -> None:
    """The blank form: instructions and one measure sheet to copy per measure.

    An existing `path` is replaced only when it is a blank form too (OutputTaken otherwise).
    """
    if path.exists() and not is_blank_form(path):
        raise OutputTaken(path, "未記入の様式")
    write_forms(path, [None], period, rule=rule)


def is_blank_form(path: Path) -> bool:
    """A workbook of form sheets with nothing typed in, and perhaps instructions."""
    try:
        book = Workbook(path.read_bytes())
        sheets = [info for info in book.sheets if info.name != form.INSTRUCTIONS_SHEET]
        for info in sheets:
            if info.kind != "worksheet" or info.part is None:
                return False
            if not read_sheet(book.grid(info), path.name).blank:
                return False
    except Exception:  # unreadable, or not a workbook at all: not ours to replace
        return False
    return bool(sheets)


def write_forms(
    path: Path,
    measures: Sequence[Measure | None],
    period: Period = DEFAULT_PERIOD,
    *,
    open_year: int | None = None,
    rule: Rule = DEFAULT_RULE,
) -> None:
    """forms_bytes, written to `path` whole or not at all (OutputError otherwise)."""
    write_atomic(
        path, forms_bytes(measures, period, open_year=open_year, rule=rule, name=path.name)
    )


def forms_bytes(
    measures: Sequence[Measure | None],
    period: Period = DEFAULT_PERIOD,
    *,
    open_year: int | None = None,
    rule: Rule = DEFAULT_RULE,
    name: str = "様式",
) -> bytes:
    """One sheet per measure (None: a blank sheet). `open_year` is highlighted to fill in.

    The instructions state `rule`, the grading the secretariat will apply. Built in
    memory; raises OutputError (naming the workbook as `name`) when it cannot be made.
    """
    target = io.BytesIO()
    try:
        _write_forms(target, measures, period, open_year, rule)
    except (WriteFailed, XlsxWriterException, OSError) as exc:
        raise OutputError(f"{name} を書き込めませんでした（{failure(exc)}）。") from exc
    return target.getvalue()


def _write_forms(
    target: io.BytesIO,
    measures: Sequence[Measure | None],
    period: Period,
    open_year: int | None,
    rule: Rule,
) -> None:
    book = xlsxwriter.Workbook(target, {**WORKBOOK_OPTIONS, "in_memory": True})
    book.set_properties(
        {"title": form.TITLE, "comments": f"xlkpi {__version__}", "created": _CREATED}
    )
    writer = _FormWriter(book, form.layout(period), open_year)
    writer.instructions(rule)
    used = {form.INSTRUCTIONS_SHEET}
    for index, measure in enumerate(measures, start=1):
        base = form.FORM_SHEET if measure is None else f"{form.FORM_SHEET}{measure.number or index}"
        name, copy = base, 1
        while name in used:  # two measures with one number still get a sheet each
            copy += 1
            name = f"{base}_{copy}"
        used.add(name)
        writer.sheet(name, measure)
    with closing_zip():
        book.close()


class _FormWriter:
    def __init__(self, book: Any, layout: Layout, open_year: int | None) -> None:
        self.book = book
        self.layout = layout
        self.open_year = open_year
        self.heights: dict[int, float] = {}  # row -> points its text needs
        base = {
            "font_name": FONT,
            "font_size": 10,
            "border": 1,
            "valign": "vcenter",
            "text_wrap": True,
        }
        self.label = book.add_format({**base, "bg_color": LABEL_FILL, "bold": True})
        self.input = book.add_format({**base, "bg_color": INPUT_FILL, "locked": False})
        self.number = book.add_format({**base, "bg_color": INPUT_FILL, "locked": False})
        self.whole = book.add_format(  # whole numbers as the report prints them: 48,221
            {**base, "bg_color": INPUT_FILL, "locked": False, "num_format": "#,##0"}
        )
        self.percent = book.add_format(
            {**base, "bg_color": INPUT_FILL, "locked": False, "num_format": "0.0%"}
        )
        self.open_text = book.add_format({**base, "bg_color": NEXT_YEAR_FILL, "locked": False})
        self.open_number = book.add_format({**base, "bg_color": NEXT_YEAR_FILL, "locked": False})
        self.title = book.add_format({"font_name": FONT, "font_size": 14, "bold": True})
        self.wrap = book.add_format(
            {"font_name": FONT, "font_size": 11, "text_wrap": True, "valign": "top"}
        )

    def instructions(self, rule: Rule) -> None:
        sheet = CheckedSheet(self.book.add_worksheet(form.INSTRUCTIONS_SHEET))
        sheet.set_column(0, 0, _INSTRUCTION_WIDTH)
        sheet.write_string(0, 0, INSTRUCTIONS[0], self.title)
        sheet.set_row(0, row_height(1, 14))
        lines = [*INSTRUCTIONS[1:], f"{len(INSTRUCTIONS)}. 評価の方法: {rule.describe()}"]
        for row, line in enumerate(lines, start=2):
            sheet.write_string(row, 0, line, self.wrap)
            sheet.set_row(row, row_height(wrapped_lines(line, _INSTRUCTION_WIDTH, 11), 11))
        sheet.set_paper(A4)
        sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        sheet.fit_to_pages(1, 0)

    def sheet(self, name: str, measure: Measure | None) -> None:
        # A return read with more KPIs than the template holds gets the rows it needs.
        self.layout = form.layout(self.layout.period, len(measure.kpis) if measure else 0)
        layout = self.layout
        ws = CheckedSheet(self.book.add_worksheet(name))
        last = layout.last_col
        ws.set_column(0, 0, _NAME_WIDTH)
        ws.set_column(1, last, _VALUE_WIDTH)
        ws.merge_range(0, 0, 0, last, form.TITLE, self.title)
        self.heights = {0: row_height(1, 14)}
        values = _field_values(measure)
        for key, (row, col) in layout.labels.items():
            label = _label_text(key, layout, self.open_year)
            ws.write_string(row, col, label, self.label)
            self.fit(row, label, (col, col))
        for key, ((r0, c0), (r1, c1)) in layout.inputs.items():
            fmt = self.input
            if self.open_year is not None and key in ("evaluation", "next_steps"):
                fmt = self.open_text
            text = values.get(key, "")
            if key == "number" and measure is not None and measure.number is not None:
                ws.write_number(r0, c0, measure.number, fmt)
            elif (r0, c0) == (r1, c1):
                ws.write_string(r0, c0, text, fmt)
            else:
                ws.merge_range(r0, c0, r1, c1, "", fmt)
                ws.write_string(r0, c0, text, fmt)
            if _is_long(key):
                self.heights[r0] = max(self.heights.get(r0, 0), _LONG_ROW_HEIGHT)
            self.fit(r0, text, (c0, c1), rows=r1 - r0 + 1)
        self.kpi_table(ws, measure)
        self.year_rows(ws, measure)
        self.validations(ws)
        for row, height in sorted(self.heights.items()):
            ws.set_row(row, height)
        ws.set_default_row(DEFAULT_ROW_HEIGHT)
        ws.protect(
            "",
            {
                "format_columns": True,
                "format_rows": True,
                "select_locked_cells": True,
                "select_unlocked_cells": True,
            },
        )
        ws.set_paper(A4)
        ws.set_landscape()  # all of the plan years side by side, at a readable size
        ws.fit_to_pages(1, 1 if self.fits_one_page() else 0)
        ws.set_margins(left=_SIDE_MARGIN, right=_SIDE_MARGIN, top=_TOP_MARGIN, bottom=_TOP_MARGIN)

    def fits_one_page(self) -> bool:
        """Does the form print on one A4 landscape page at no less than SMALLEST_SCALE?
        A longer one prints one page wide, over as many pages as it needs."""
        layout = self.layout
        height = sum(self.heights.get(r, DEFAULT_ROW_HEIGHT) for r in range(layout.last_row + 1))
        width = (_NAME_WIDTH + _VALUE_WIDTH * layout.last_col) * POINTS_PER_UNIT
        room = (A4_LONG - 2 * 72 * _SIDE_MARGIN, A4_SHORT - 2 * 72 * _TOP_MARGIN)
        return min(room[0] / width, room[1] / height) >= SMALLEST_SCALE

    def fit(self, row: int, text: str, cols: tuple[int, int], rows: int = 1) -> None:
        """The row is high enough for `text` wrapped across these columns (and `rows` rows)."""
        width = sum(_NAME_WIDTH if c == 0 else _VALUE_WIDTH for c in range(cols[0], cols[1] + 1))
        need = row_height(wrapped_lines(text, width)) - (rows - 1) * DEFAULT_ROW_HEIGHT
        if text and need > self.heights.get(row, DEFAULT_ROW_HEIGHT):
            self.heights[row] = need

    def kpi_table(self, ws: Any, measure: Measure | None) -> None:
        layout = self.layout
        header = layout.kpi_header_row
        cols = layout.kpi_columns
        n0, n1 = cols[form.KPI_NAME.key]
        ws.merge_range(header, n0, header, n1, form.KPI_NAME.label, self.label)
        ws.write_string(header, cols[form.UNIT.key][0], form.UNIT.label, self.label)
        base_year = measure.base_year if measure else None
        target_year = measure.target_year if measure else None
        period = layout.period
        ws.write_string(header, cols["baseline"][0], period.baseline_label(base_year), self.label)
        ws.write_string(header, cols["target"][0], period.target_label(target_year), self.label)
        kpis = measure.kpis if measure else []
        for index, row in enumerate(layout.kpi_rows):
            kpi = kpis[index] if index < len(kpis) else None
            ws.write_string(row, 0, form.KPI_ROW_LABEL.format(n=index + 1), self.label)
            ws.merge_range(row, n0, row, n1, "", self.input)
            ws.write_string(row, n0, kpi.name if kpi else "", self.input)
            self.fit(row, kpi.name if kpi else "", (n0, n1))
            ws.write_string(row, cols["unit"][0], kpi.unit if kpi else "", self.input)
            for key in ("baseline", "target"):
                value = getattr(kpi, key) if kpi else None
                self.value(ws, row, cols[key][0], value, kpi.unit if kpi else "")
        self.heights[header] = max(self.heights.get(header, 0), row_height(2))
        if any(k.direction for k in kpis):  # a 方向 the department gave is carried over
            col = layout.last_col + 1
            ws.set_column(col, col, 13)
            ws.write_string(header, col, form.DIRECTION.label, self.label)
            for kpi, row in zip(kpis, layout.kpi_rows, strict=False):
                ws.write_string(row, col, form.DIRECTION_SHOWN.get(kpi.direction, ""), self.input)

    def year_rows(self, ws: Any, measure: Measure | None) -> None:
        layout = self.layout
        for header_row in (layout.fiscal_row, layout.actuals_header_row):
            for year, col in layout.year_columns.items():
                ws.write_string(header_row, col, year_header(year), self.label)
        for year, col in layout.year_columns.items():
            budget = measure.budgets.get(year) if measure else None
            self.value(ws, layout.budget_row, col, budget, "")
        kpis = measure.kpis if measure else []
        for index, row in enumerate(layout.actual_rows):
            ws.write_string(row, 0, form.KPI_ROW_LABEL.format(n=index + 1), self.label)
            kpi = kpis[index] if index < len(kpis) else None
            for year, col in layout.year_columns.items():
                value = kpi.actuals.get(year) if kpi else None
                if kpi and value is not None and year in kpi.notes:
                    text = with_note(value, kpi.unit, kpi.notes[year])
                    if text is not None:  # 速報値: shown, and highlighted to be made final
                        ws.write_string(row, col, text, self.open_text)
                        continue
                self.value(
                    ws, row, col, value, kpi.unit if kpi else "", open_cell=year == self.open_year
                )

    def value(
        self,
        ws: Any,
        row: int,
        col: int,
        value: Decimal | None,
        unit: str,
        *,
        open_cell: bool = False,
    ) -> None:
        if value is None:
            ws.write_blank(row, col, None, self.open_number if open_cell else self.number)
        elif unit == "%":
            ws.write_number(row, col, float(value / 100), self.percent)
        elif value == value.to_integral_value():
            ws.write_number(row, col, float(value), self.whole)
        else:  # a blank shows what is typed, and a fraction is not rounded away
            ws.write_number(row, col, float(value), self.number)

    def validations(self, ws: Any) -> None:
        layout = self.layout
        last = layout.last_col
        number_rule = {
            "validate": "decimal",
            "criteria": "between",
            "minimum": -1e12,
            "maximum": 1e12,
            "input_title": "数値",
            "input_message": "数値だけを入力します（例: 1195、58.4）。単位は「単位」の欄に。",
            "error_title": "数値ではありません",
            "error_message": "数値だけを入力してください。",
        }
        (nr, nc), _ = layout.inputs[form.NUMBER.key]
        ws.data_validation(
            nr,
            nc,
            nr,
            nc,
            {
                "validate": "integer",
                "criteria": ">=",
                "value": 1,
                "input_title": "施策番号",
                "input_message": "達成状況一覧の No. を記入します。",
            },
        )
        choices = {
            form.VIEWPOINT.key: list(form.VIEWPOINTS),
            form.POLICY_FIELD.key: [f for fields in form.POLICY_FIELDS.values() for f in fields],
        }
        for key, source in choices.items():
            (r0, c0), (r1, c1) = layout.inputs[key]
            ws.data_validation(
                r0,
                c0,
                r1,
                c1,
                {
                    "validate": "list",
                    "source": source,
                    "error_type": "warning",
                    "input_title": "一覧から選択",
                    "input_message": "一覧から選んでください。",
                },
            )
        unit_col = layout.kpi_columns[form.UNIT.key][0]
        k0, k1 = layout.kpi_rows[0], layout.kpi_rows[-1]
        ws.data_validation(
            k0,
            unit_col,
            k1,
            unit_col,
            {
                "validate": "list",
                "source": list(UNITS[:24]),
                "error_type": "warning",
                "input_title": "単位",
                "input_message": "一覧から選ぶか、単位を入力します。",
            },
        )
        for key in ("baseline", "target"):
            col = layout.kpi_columns[key][0]
            ws.data_validation(k0, col, k1, col, number_rule)
        ws.data_validation(
            layout.budget_row,
            1,
            layout.budget_row,
            last,
            {**number_rule, "input_title": "事業費（千円）"},
        )
        a0, a1 = layout.actual_rows[0], layout.actual_rows[-1]
        ws.data_validation(a0, 1, a1, last, {**number_rule, "input_title": "実績値"})


def _label_text(key: str, layout: Layout, open_year: int | None) -> str:
    if key == form.EVALUATION.key and open_year is not None:
        return f"{open_year}{form.EVALUATION.label}"
    field: Field = next(f for f in form.FIELDS if f.key == key)
    return field.label


def _is_long(key: str) -> bool:
    return any(f.long_text for f in form.FIELDS if f.key == key)


def _field_values(measure: Measure | None) -> dict[str, str]:
    if measure is None:
        return {}
    return {
        form.NAME.key: measure.name,
        form.VIEWPOINT.key: measure.viewpoint,
        form.POLICY_FIELD.key: measure.policy_field,
        **measure.texts,
    }
