"""事業費 (totals per 政策分野 and 連携する視点, exact sums over 施策データ) and 見直し候補."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from xlkpi.analysis import BudgetRow, budget_totals, review_candidates
from xlkpi.summary.base import (
    BLANK,
    BUDGET_SHEET,
    MEASURE_SHEET,
    REVIEW_SHEET,
    VIEWPOINT_WIDTH,
    Book,
    Criteria,
    count_exact,
    label_ref,
    literal,
    name_list,
    number_cell,
    ratio_cell,
    shown,
    sum_exact,
    year_title,
)
from xlkpi.summary.kpi_list import IDENTITY_WIDTHS, identity
from xlkpi.summary.records import measure_columns
from xlkpi.values import era_name

VIEWPOINT_COL, FIELD_COL = 2, 3  # of 施策データ (see records.measure_columns)


def write_budgets(book: Book) -> None:
    result = book.result
    years = result.years
    ws = book.sheet(
        BUDGET_SHEET,
        "事業費（千円）の集計",
        f"「{MEASURE_SHEET}」の事業費を政策分野・連携する視点ごとに合計する数式です"
        "（空欄の年度は 0 として合計します）。",
        [VIEWPOINT_WIDTH, 24.0, 6.0, *[11.5] * len(years), 13.0],
    )
    top = 3
    book.header(ws, top, ["連携する視点", "政策分野", "施策数",
                          *(year_title(y) for y in years), "計画期間の合計"])  # fmt: skip
    if not years:
        book.text(ws, top + 1, 0, "計画期間の分かる施策がありません。", "note")
        book.page(ws, (top, top))
        return
    budgets = budget_totals(result.measures, years)
    columns = measure_columns(years)
    last = max(len(result.measures), 1) + 1

    def data(col: int) -> str:
        letter = xl_col_to_name(col)
        return f"'{MEASURE_SHEET}'!${letter}$2:${letter}${last}"

    budget_cols = [columns.index(f"事業費（千円） {year}") for year in years]
    row = top + 1
    for block in budgets.viewpoints:
        for name, item in block.fields:
            book.text(ws, row, 0, shown(block.viewpoint))
            book.text(ws, row, 1, shown(name))
            where = [(data(VIEWPOINT_COL), _criterion(row, 0, block.viewpoint)),
                     (data(FIELD_COL), _criterion(row, 1, name))]  # fmt: skip
            _budget_row(book, ws, row, item, where, [data(c) for c in budget_cols])
            row += 1
        book.text(ws, row, 0, shown(block.viewpoint), "bold")
        book.text(ws, row, 1, "小計", "bold")
        where = [(data(VIEWPOINT_COL), _criterion(row, 0, block.viewpoint))]
        _budget_row(book, ws, row, block.subtotal, where, [data(c) for c in budget_cols], True)
        row += 1
    book.text(ws, row, 0, "合計", "bold")
    book.text(ws, row, 1, "", "bold")
    _budget_row(book, ws, row, budgets.overall, [], [data(c) for c in budget_cols], True)
    row += 2
    if budgets.blank:
        listed = name_list(
            [
                f"{m.name}（{'・'.join(era_name(y) for y in missing)}）"
                for m, missing in budgets.blank
            ],
            MEASURE_SHEET,
        )
        book.merged_text(ws, row, (0, 3 + len(years)), f"事業費が空欄の年度のある施策: {listed}",
                         "wrap")  # fmt: skip
    book.page(ws, (top, top))


def _criterion(row: int, col: int, value: str) -> str:
    """The label cell's text exactly; a blank viewpoint or field (shown as （未記入）) matches
    blanks. 施策データ holds the text as typed, so where the label shows it otherwise (a
    typed 「（未記入）」, see base.shown) the text is the literal: it is then xlkpi's own
    word in 「」, nothing else."""
    if not value:
        return BLANK
    if shown(value) != value:
        return literal(value)
    return label_ref(row, col)


def _budget_row(
    book: Book,
    ws: Any,
    row: int,
    item: BudgetRow,
    where: Criteria,
    budget_ranges: list[str],
    bold: bool = False,
) -> None:
    """施策数, an exact sum per plan year (SUM for the grand total) and the row's total."""
    count = "=" + count_exact(where) if where else f"=ROWS({budget_ranges[0]})"
    cached_count = item.measures
    book.formula(ws, row, 2, count, "bold_int" if bold else "int", cached_count)
    for offset, (year, rng) in enumerate(zip(item.by_year, budget_ranges, strict=True)):
        formula = "=" + sum_exact(where, rng) if where else f"=SUM({rng})"
        book.formula(ws, row, 3 + offset, formula, _fmt(item.by_year[year], bold),
                     float(item.by_year[year]))  # fmt: skip
    first = xl_rowcol_to_cell(row, 3)
    end = xl_rowcol_to_cell(row, 2 + len(budget_ranges))
    book.formula(ws, row, 3 + len(budget_ranges), f"=SUM({first}:{end})",
                 _fmt(item.total, bold), float(item.total))  # fmt: skip


def _fmt(value: Decimal, bold: bool) -> str:
    _, fmt = number_cell(value)
    if bold:
        return "bold_int" if fmt == "int" else "bold_dec"
    return fmt


def write_review(book: Book) -> None:
    result = book.result
    year = result.year
    era = era_name(year) if year else ""
    ws = book.sheet(
        REVIEW_SHEET,
        "目標値の見直し候補（最終年度より前に目標値に達した指標）"
        + (f"　{year_title(year)}実績" if year else ""),
        "実績値が最終年度の目標値に達している指標です（低い方が良い指標は目標値以下）。"
        "目標値との差は指標の単位で、達成率は小数第1位未満を切り捨てて表示しています。",
        [*IDENTITY_WIDTHS, 5.0, 9.5, 8.0, 16.0, 9.5, 11.0, 11.0],
    )
    top = 3
    book.header(ws, top, ["No", "連携する視点", "政策分野", "施策名", "成果指標", "単位", "目標値",
                          "目標年度", "初めて達した年度", f"実績値（{era}）", "目標値との差",
                          f"達成率（{era}）"])  # fmt: skip
    found = review_candidates(result.measures, year, result.rule) if year else []
    for offset, item in enumerate(found, start=1):
        book.bulk(ws, top + offset, [
            *identity(item.measure, item.kpi), (item.kpi.unit, "center"),
            number_cell(item.kpi.target), (era_name(item.final_year), "center"),
            (era_name(item.first_year), "center"), number_cell(item.actual),
            number_cell(item.margin), ratio_cell(item.ratio),
        ])  # fmt: skip
    if not found:
        book.text(ws, top + 1, 0, "該当する指標はありません。", "note")
    book.page(ws, (top, top))
