"""達成状況一覧 (every KPI with a grade column per year), 継続C・D and 評価コメント."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from xlkpi.model import Kpi, Measure, latest_actual_year
from xlkpi.style import content_width
from xlkpi.summary.base import (
    COMMENTS_SHEET,
    CONTINUING_SHEET,
    LIST_SHEET,
    UNGRADED,
    Book,
    BulkCell,
    literal,
    number_cell,
    ratio_cell,
    shown,
    year_title,
)
from xlkpi.values import era_name

# No, 連携する視点, 政策分野, 施策名, 成果指標: wrapped to these widths.
IDENTITY_WIDTHS = [4.5, 15.0, 13.0, 22.0, 34.0]


def identity(measure: Measure, kpi: Kpi) -> list[BulkCell]:
    """No, 連携する視点, 政策分野, 施策名, 成果指標 (columns A-E)."""
    return [
        number_cell(measure.number),
        (shown(measure.viewpoint), "text"),
        (shown(measure.policy_field), "text"),
        (measure.name, "text"),
        (kpi.name, "text"),
    ]


def numbers_shown(values: Sequence[Decimal | int | None]) -> list[str]:
    """Numbers as the list's formats show them: 121,700 and 58.4."""
    return [f"{value:,}" for value in values if value is not None]


def fill_grades(
    book: Book, ws: Any, first_row: int, last_row: int, first_col: int, last_col: int
) -> None:
    for label, fmt in book.grade_fmt.items():
        ws.conditional_format(first_row, first_col, last_row, last_col, {
            "type": "cell", "criteria": "==", "value": literal(label), "format": fmt,
        })  # fmt: skip


def write_list(book: Book) -> None:
    result = book.result
    year = result.year
    era = era_name(year) if year else ""
    years = result.grade_years
    titles = ["No", "連携する視点", "政策分野", "施策名", "成果指標", *(era_name(y) for y in years),
              "単位", "現状値", "目標値", f"実績値（{era}）", f"達成率（{era}）", f"注記（{era}）",
              f"{UNGRADED}の理由（{era}）"]  # fmt: skip
    tallies = result.tallies
    reasons = {id(u.kpi): u.reason for u in tallies.ungraded} if tallies else {}
    kpis = [kpi for _, kpi in book.rows]
    actuals = [kpi.actuals.get(year) for kpi in kpis] if year else []
    notes = [kpi.notes.get(year, "") for kpi in kpis] if year else []
    # Sized to what they hold, so the list prints one page wide at as large a size as it can.
    shown_widths = [
        content_width([k.unit for k in kpis], "単位", maximum=6),
        *(content_width(numbers_shown(values), title, maximum=12) for values, title in (
            ([k.baseline for k in kpis], "現状値"), ([k.target for k in kpis], "目標値"),
            (actuals, titles[-4]))),
        9.5,  # 「達成率（R6）」 on one line
        content_width(notes, titles[-2], maximum=16),
        content_width(list(reasons.values()), titles[-1], maximum=16),
    ]  # fmt: skip
    ws = book.sheet(
        LIST_SHEET,
        "成果指標（KPI）達成状況一覧" + (f"　{year_title(year)}実績" if year else ""),
        f"評価基準: {result.rule.describe()}　達成率は小数第1位未満を切り捨てて表示しています。"
        "評価の列を直すと、概要と分野別集計の件数も変わります。",
        [*IDENTITY_WIDTHS, *[5.0] * len(years), *shown_widths],
    )
    top = book.LIST_HEADER_ROW
    book.header(ws, top, titles)
    for offset, (measure, kpi) in enumerate(book.rows, start=1):
        book.bulk(ws, top + offset, [
            *identity(measure, kpi),
            *((kpi.grades.get(y, ""), "center") for y in years),
            (kpi.unit, "center"), number_cell(kpi.baseline), number_cell(kpi.target),
            number_cell(kpi.actuals.get(year) if year else None),
            ratio_cell(kpi.ratios.get(year) if year else None),
            (kpi.notes.get(year, "") if year else "", "text"),
            (reasons.get(id(kpi), ""), "text"),
        ])  # fmt: skip
    last = top + max(len(book.rows), 1)
    if years:
        fill_grades(
            book, ws, top + 1, last, book.FIRST_GRADE_COL, book.FIRST_GRADE_COL + len(years) - 1
        )
    ws.autofilter(top, 0, last, len(titles) - 1)
    book.page(ws, (top, top))


def write_continuing(book: Book) -> None:
    result = book.result
    comparison = result.comparison
    weak = "・".join(result.rule.labels[result.rule.good :])
    title = f"前年度から継続して{weak}の指標"
    widths = [*IDENTITY_WIDTHS, 8.0, 8.0, 10.0]
    if result.year is None or comparison is None:
        ws = book.sheet(
            CONTINUING_SHEET, title, "前年度の評価が分からないため、判定できません。", widths
        )
        book.page(ws, (0, 0), freeze=False)
        return
    prev, year = comparison.year, result.year
    ws = book.sheet(
        CONTINUING_SHEET,
        f"{title}（{year_title(prev)} → {year_title(year)}）",
        f"両年度とも評価が {weak} の指標です。前年度の評価の出所: {comparison.source}。",
        widths,
    )
    titles = ["No", "連携する視点", "政策分野", "施策名", "成果指標", f"{era_name(prev)} 評価",
              f"{era_name(year)} 評価", f"達成率（{era_name(year)}）"]  # fmt: skip
    book.header(ws, 3, titles)
    rows = result.continuing_weak()
    for offset, (measure, kpi) in enumerate(rows, start=1):
        book.bulk(ws, 3 + offset, [*identity(measure, kpi), (kpi.grades[prev], "center"),
                                   (kpi.grades[year], "center"), ratio_cell(kpi.ratios.get(year))])  # fmt: skip
    if rows:
        fill_grades(book, ws, 4, 3 + len(rows), 5, 6)
    else:
        book.text(ws, 4, 0, "該当する指標はありません。", "note")
    book.page(ws, (3, 3))


def write_comments(book: Book) -> None:
    result = book.result
    ws = book.sheet(
        COMMENTS_SHEET,
        "年度評価と次年度以降の取組" + (f"　{year_title(result.year)}" if result.year else ""),
        "各課の調書に記入された文章です（評価の年度が調書に書かれていない場合は、実績値のある最新の年度）。",
        [4.5, 20.0, 5.5, 62.0, 52.0],
    )
    book.header(ws, 3, ["No", "施策名", "年度", "年度評価", "次年度以降の取組"])
    for offset, measure in enumerate(result.measures, start=1):
        latest = latest_actual_year([measure])
        shown_year = measure.evaluation_year or latest
        book.bulk(ws, 3 + offset, [
            number_cell(measure.number), (measure.name, "text"),
            (era_name(shown_year) if shown_year else "", "center"),
            (measure.texts.get("evaluation", ""), "text"), (measure.texts.get("next_steps", ""), "text"),
        ])  # fmt: skip
    book.page(ws, (3, 3))
