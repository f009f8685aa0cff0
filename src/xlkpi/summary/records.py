"""データ (one row per measure x KPI x plan year), 施策データ (one row per measure, every
field the form holds: what `xlkpi forms` pre-fills next year's forms from), 受付 (the ledger)."""

from __future__ import annotations

from xlkpi import form
from xlkpi.model import Kpi, Measure
from xlkpi.problems import Severity, Status
from xlkpi.sheetwriter import RowTemplate
from xlkpi.style import FONT, balanced_width, fitted_width, row_height, wrapped_lines
from xlkpi.summary.base import (
    DATA_SHEET,
    LEDGER_SHEET,
    MEASURE_SHEET,
    Book,
    BulkCell,
    number_cell,
    ratio_cell,
)
from xlkpi.summary.kpi_list import IDENTITY_WIDTHS, identity

DATA_COLUMNS = ["No", "連携する視点", "政策分野", "施策名", "成果指標", "単位", "現状値", "目標値",
                "年度", "実績値", "達成率", "評価", "ファイル", "シート", "方向", "注記"]  # fmt: skip


YEAR_COLUMNS = ("現状値の年度", "目標値の年度", "計画期間（初年度）", "計画期間（最終年度）")


def measure_columns(years: tuple[int, ...]) -> list[str]:
    """施策データ's headers: identity, the form's texts, its years, 事業費 per plan year, source."""
    return [
        "No", "施策名", "連携する視点", "政策分野", *(f.label for f in form.TEXT_FIELDS),
        *YEAR_COLUMNS, *(f"事業費（千円） {year}" for year in years), "ファイル", "シート",
    ]  # fmt: skip


def data_years(measure: Measure, kpi: Kpi) -> tuple[int, ...]:
    """The years a KPI gets a データ row for: the plan years, else the years with an actual."""
    return measure.years or tuple(sorted(kpi.actuals))


def write_data(book: Book) -> None:
    files = [m.file for m, _ in book.rows]
    sheets = [m.sheet for m, _ in book.rows]
    widths = [*IDENTITY_WIDTHS, 5.0, 9.5, 9.5, 6.0, 9.5, 8.0, 5.0,
              fitted_width(["ファイル", *files], maximum=30), fitted_width(["シート", *sheets], maximum=16),
              12.0, 12.0]  # fmt: skip
    ws = book.sheet(DATA_SHEET, "", "", widths, across=1)
    row = 0
    by_years: dict[tuple[object, ...], RowTemplate] = {}
    by_notes: dict[str, RowTemplate] = {}
    for measure, kpi in book.rows:
        # One row per year: what does not change with the year is serialized once.
        named = identity(measure, kpi)  # wrapped, the row as high as the longest name needs
        lines = max(
            wrapped_lines(str(v), widths[c]) for c, (v, f) in enumerate(named) if f == "text"
        )
        lines = max(
            lines, wrapped_lines(measure.file, widths[-4]), wrapped_lines(measure.sheet, widths[-3])
        )
        height = row_height(lines) if lines > 1 else None
        fixed = [
            *named,
            (kpi.unit, "center"),
            number_cell(kpi.baseline),
            number_cell(kpi.target),
        ]
        head = book.template(ws, fixed)
        source = [(measure.file, "text"), (measure.sheet, "text")]
        tail = book.template(
            ws, [*source, (form.DIRECTION_SHOWN.get(kpi.direction, ""), "cell")], 12
        )
        for year in data_years(measure, kpi):
            row += 1
            key = (year, kpi.actuals.get(year), kpi.ratios.get(year), kpi.grades.get(year, ""))
            by_year = by_years.get(key)
            if by_year is None:  # most rows are years without an actual yet: made once each
                by_year = by_years[key] = book.template(ws, [
                    (year, "year"), number_cell(key[1]), ratio_cell(key[2]), (key[3], "center"),
                ], len(fixed))  # fmt: skip
            note = kpi.notes.get(year)
            if note is None:
                ws.put_row(row, [head, by_year, tail], height)
                continue
            if (noted := by_notes.get(note)) is None:
                noted = by_notes[note] = book.template(ws, [(note, "cell")], len(DATA_COLUMNS) - 1)
            ws.put_row(row, [head, by_year, tail, noted], height)
    book.table(ws, 0, max(row, 1), DATA_COLUMNS, "KpiData", "Table Style Light 9")
    book.page(ws, (0, 0))


def write_measures(book: Book) -> None:
    result = book.result
    years = result.years
    titles = measure_columns(years)
    texts = form.TEXT_FIELDS
    measures = result.measures
    text_widths = [
        balanced_width([m.texts.get(f.key, "") for m in measures], f.label, lines=3) for f in texts
    ]
    widths = [4.5, 24.0, 14.0, 12.0, *text_widths, *(fitted_width([t]) for t in YEAR_COLUMNS),
              *[10.0] * len(years), 20.0, 12.0]  # fmt: skip
    ws = book.sheet(MEASURE_SHEET, "", "", widths, across=2)
    for row, measure in enumerate(result.measures, start=1):
        first, last = (measure.years[0], measure.years[-1]) if measure.years else (None, None)
        book.bulk(ws, row, [
            number_cell(measure.number), (measure.name, "text"), (measure.viewpoint, "text"),
            (measure.policy_field, "text"), *((measure.texts.get(f.key, ""), "text") for f in texts),
            year_cell(measure.base_year), year_cell(measure.target_year),
            year_cell(first), year_cell(last),
            *(number_cell(measure.budgets.get(year)) for year in years),
            (measure.file, "text"), (measure.sheet, "text"),
        ])  # fmt: skip
    book.table(ws, 0, max(len(result.measures), 1), titles, "Measures", "Table Style Light 9")
    book.page(ws, (0, 0))


def year_cell(year: int | None) -> BulkCell:
    """A year as a number shown without a thousands separator: 2024, not 2,024."""
    return (None, "text") if year is None else (year, "year")


def write_ledger(book: Book) -> None:
    result = book.result
    report = result.report
    ws = book.sheet(
        LEDGER_SHEET,
        "受付台帳",
        f"読み込んだファイル {result.files} 件と、そのすべてのシートの状態です。"
        f"エラー {len(report.errors)} 件、警告 {len(report.warnings)} 件。",
        [
            6.0,
            fitted_width(["ファイル", *(e.file for e in report.ledger)], maximum=28),
            fitted_width(["シート", *(e.sheet for e in report.ledger)], maximum=14),
            9.0,
            22.0,
            56.0,
            44.0,
        ],
        across=1,
    )
    titles = ["番号", "ファイル", "シート", "状態", "施策名", "内容"]
    top = 3
    for offset, entry in enumerate(report.ledger, start=1):
        book.bulk(ws, top + offset, [
            (offset, "int"), (entry.file, "text"), (entry.sheet or "（ファイル）", "text"),
            (entry.status.value, "center"), (entry.measure, "text"), (entry.note, "text"),
        ])  # fmt: skip
    last = top + max(len(report.ledger), 1)
    book.table(ws, top, last, titles, "Ledger", "Table Style Light 1")
    status_fill = {Status.ERROR: "#FFC7CE", Status.WARNING: "#FFEB9C", Status.SKIPPED: "#EDEDED"}
    for status, fill in status_fill.items():
        ws.conditional_format(top + 1, 3, last, 3, {
            "type": "cell", "criteria": "==", "value": f'"{status.value}"',
            "format": book.wb.add_format({"bg_color": fill, "font_name": FONT}),
        })  # fmt: skip
    row = last + 2
    book.text(ws, row, 1, "問題の一覧", "subtitle")
    problems = report.problems
    heads = ["区分", "ファイル", "シート", "セル", "コード", "内容", "対応"]
    if not problems:
        book.text(ws, row + 1, 1, "問題はありません。", "note")
    else:
        for offset, item in enumerate(problems, start=1):
            kind = "エラー" if item.severity is Severity.ERROR else "警告"
            values = (kind, item.file, item.sheet, item.cell, item.code, item.message, item.hint)
            book.bulk(ws, row + 1 + offset, [(value, "text") for value in values])
        book.table(ws, row + 1, row + 1 + len(problems), heads, "Problems", "Table Style Light 1")
    book.page(ws, (top, top))
