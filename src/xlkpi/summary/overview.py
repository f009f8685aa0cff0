"""概要: the year's counts and shares beside the previous year's, a chart, and the findings."""

from __future__ import annotations

from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from xlkpi.style import FONT, fitted_width
from xlkpi.summary.base import (
    BLANK,
    CONTINUING_SHEET,
    LIST_SHEET,
    OVERVIEW_SHEET,
    UNGRADED,
    Book,
    count_exact,
    label_ref,
    literal,
    name_list,
    percent_text,
    reason_counts,
    shown,
    year_title,
)
from xlkpi.tally import Counts, Tallies
from xlkpi.values import era_name

_FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})

TABLE_TOP = 10  # a blank row between the facts above and each table's subtitle


def write_overview(book: Book) -> None:
    result = book.result
    rule = result.rule
    good = "及び".join(rule.good_labels)
    ws = book.sheet(
        OVERVIEW_SHEET,
        "成果指標（KPI）達成状況の概要"
        + (f"　{year_title(result.year)}実績" if result.year else ""),
        f"評価基準: {rule.describe()}",
        [30.0, 9.5, 9.5, 9.5, 9.5, 9.5, fitted_width([f"{good}の割合"]), 11.0],
    )
    comparison = result.comparison
    facts: list[tuple[str, str | int]] = [
        ("評価対象年度", year_title(result.year) if result.year else "実績値がありません"),
        ("施策数", len(result.measures)),
        ("成果指標数", len(book.rows)),
        ("評価なしの成果指標", _ungraded_fact(book)),
        (
            "前年度の評価",
            f"{year_title(comparison.year)}（出所: {comparison.source}）" if comparison else "なし",
        ),
        ("注記のある実績値", _noted_actuals(book)),
    ]
    for offset, (label, value) in enumerate(facts, start=3):
        book.text(ws, offset, 0, label, "bold")
        if isinstance(value, int):
            book.number(ws, offset, 1, value)
        else:
            book.text(ws, offset, 1, value, "plain")
    if result.year is None or result.tallies is None:
        book.page(ws, (0, 0), freeze=False)
        return
    years: list[tuple[int, Tallies]] = [(result.year, result.tallies)]
    if comparison and result.previous_tallies:
        years.append((comparison.year, result.previous_tallies))
    distribution(book, ws, TABLE_TOP, years)
    chart(book, ws, TABLE_TOP, years)
    row = viewpoint_table(book, ws, _viewpoint_top(book), result.year, result.tallies)
    row = findings(book, ws, row + 1, result.tallies, good)
    row = unmatched(book, ws, row + 1)
    book.page(ws, (0, 0), freeze=False)


def _ungraded_fact(book: Book) -> str:
    """How many KPIs the report year could not grade, by reason (listed below the tables)."""
    tallies = book.result.tallies
    if tallies is None or not tallies.overall.not_graded:
        return "なし"
    return f"{tallies.overall.not_graded} 件（{reason_counts(tallies.overall, '件')}）"


def _noted_actuals(book: Book) -> str:
    """How many of the report year's actuals carry a note such as 速報値, and where they are."""
    year = book.result.year
    noted = sum(1 for _, kpi in book.rows if year in kpi.notes) if year else 0
    if not noted:
        return "なし"
    return f"{noted} 件（速報値・見込みなど。「{LIST_SHEET}」の注記の列）"


def _viewpoint_top(book: Book) -> int:
    """The viewpoint table's header row: below 全体の達成状況, its four total rows and a blank row."""
    return TABLE_TOP + len(book.result.rule.labels) + 7


def distribution(book: Book, ws: Any, top: int, years: list[tuple[int, Tallies]]) -> None:
    """評価 | this year's count and share | the previous year's count and share."""
    labels = book.result.rule.labels
    book.text(ws, top - 1, 0, "全体の達成状況", "subtitle")
    book.text(ws, top, 0, "評価", "header")
    total_row = top + len(labels) + 1
    for index, (year, tallies) in enumerate(years):
        count_col, share_col = 1 + 2 * index, 2 + 2 * index
        book.text(ws, top, count_col, f"{era_name(year)} 件数", "header")
        book.text(ws, top, share_col, f"{era_name(year)} 割合", "header")
        grades = book.list_range(book.grade_col(year))
        overall = tallies.overall
        total = xl_rowcol_to_cell(total_row, count_col, row_abs=True)
        for offset, label in enumerate(labels, start=1):
            row = top + offset
            if index == 0:
                book.text(ws, row, 0, label, "center")
            label_cell = xl_rowcol_to_cell(row, 0, col_abs=True)
            count = overall.by_grade[label]
            book.formula(
                ws, row, count_col, "=" + count_exact([(grades, label_cell)]), "int", count
            )
            here = xl_rowcol_to_cell(row, count_col)
            book.formula(ws, row, share_col, f'=IF({total}=0,"",{here}/{total})', "pct",
                         count / overall.total if overall.total else "")  # fmt: skip
        first = xl_rowcol_to_cell(top + 1, count_col)
        last = xl_rowcol_to_cell(top + len(labels), count_col)
        if index == 0:
            book.text(ws, total_row, 0, "計（評価した指標）", "bold")
        book.formula(ws, total_row, count_col, f"=SUM({first}:{last})", "bold_int", overall.total)
        book.formula(ws, total_row, share_col, f'=IF({total}=0,"",1)', "bold_pct",
                     1 if overall.total else "")  # fmt: skip
        good_row = total_row + 1
        good_label = "及び".join(book.result.rule.good_labels)
        if index == 0:
            book.text(ws, good_row, 0, f"{good_label}（合計）", "bold")
        good_cells = "+".join(
            xl_rowcol_to_cell(top + 1 + i, count_col) for i in range(book.result.rule.good)
        )
        book.formula(ws, good_row, count_col, f"={good_cells}", "bold_int", overall.good)
        good_here = xl_rowcol_to_cell(good_row, count_col)
        book.formula(ws, good_row, share_col, f'=IF({total}=0,"",{good_here}/{total})', "bold_pct",
                     float(overall.share) if overall.share is not None else "")  # fmt: skip
        ungraded_row, all_row = good_row + 1, good_row + 2
        if index == 0:
            book.text(ws, ungraded_row, 0, UNGRADED, "bold")
            book.text(ws, all_row, 0, "成果指標数", "bold")
        book.formula(ws, ungraded_row, count_col, "=" + count_exact([(grades, BLANK)]), "bold_int",
                     overall.not_graded)  # fmt: skip
        book.text(ws, ungraded_row, share_col, "", "bold")
        ungraded_here = xl_rowcol_to_cell(ungraded_row, count_col)
        book.formula(ws, all_row, count_col, f"={total}+{ungraded_here}", "bold_int", overall.kpis)
        book.text(ws, all_row, share_col, "", "bold")


def chart(book: Book, ws: Any, top: int, years: list[tuple[int, Tallies]]) -> None:
    labels = book.result.rule.labels
    graph = book.wb.add_chart({"type": "column"})
    font = {"name": FONT, "size": 10}
    colors = ["#2F5597", "#A6A6A6"]
    for index, (_year, _) in enumerate(years):
        col = 1 + 2 * index
        graph.add_series({
            "name": [OVERVIEW_SHEET, top, col],
            "categories": [OVERVIEW_SHEET, top + 1, 0, top + len(labels), 0],
            "values": [OVERVIEW_SHEET, top + 1, col, top + len(labels), col],
            "data_labels": {"value": True, "font": font},
            "fill": {"color": colors[index % 2]},
        })  # fmt: skip
    # Full-width: LibreOffice spaces half-width letters off from kanji in a chart title
    # (「（ R6 ）」); Excel and LibreOffice both draw Ｒ６ as it is written.
    names = "と".join(era_name(y).translate(_FULL_WIDTH) for y, _ in years)
    graph.set_title({"name": f"達成状況の分布（{names}）", "name_font": {**font, "size": 12}})
    graph.set_x_axis({"num_font": font, "name": "評価", "name_font": font})
    graph.set_y_axis(
        {
            "num_font": font,
            "name": "指標数",
            "name_font": font,
            "major_gridlines": {"visible": True},
        }
    )
    graph.set_legend({"position": "bottom", "font": font})
    graph.set_size({"width": 430, "height": 260})
    ws.insert_chart(top - 7, 5, graph, {"x_offset": 10, "y_offset": 5})


def viewpoint_table(book: Book, ws: Any, top: int, year: int, tallies: Tallies) -> int:
    labels = list(book.result.rule.labels)
    good = "及び".join(book.result.rule.good_labels)
    book.text(ws, top - 1, 0, f"連携する視点別の達成状況（{era_name(year)}）", "subtitle")
    book.header(ws, top, ["連携する視点", *labels, "計", f"{good}の割合", UNGRADED])
    viewpoints = book.list_range(1)
    row = top + 1
    for block in tallies.viewpoints:
        book.text(ws, row, 0, shown(block.viewpoint))
        book.counts(ws, row, 1, block.subtotal, [(viewpoints, label_ref(row, 0))], year, top)
        row += 1
    book.text(ws, row, 0, "合計", "bold")
    book.counts(ws, row, 1, tallies.overall, [], year, top, bold=True)
    return row + 1


def findings(book: Book, ws: Any, top: int, tallies: Tallies, good: str) -> int:
    """The report's hand-written sentences, as formulas over the tables above."""
    labels = book.result.rule.labels
    width = len(labels)
    book.text(ws, top, 0, "● 達成状況の評価", "subtitle")
    row = top + 1
    vp_top = _viewpoint_top(book)
    # (the name as shown, the formula naming it, the table row its figures are on): a
    # viewpoint's name is referenced in its table row's first cell, never put in the formula.
    lines: list[tuple[str, str, int, Counts]] = [
        ("全体", literal("全体"), vp_top + 1 + len(tallies.viewpoints), tallies.overall)
    ]
    lines += [
        (shown(b.viewpoint), label_ref(vp_top + 1 + i, 0), vp_top + 1 + i, b.subtotal)
        for i, b in enumerate(tallies.viewpoints)
    ]
    none_text = literal(": 評価した指標がありません。")
    some_text = literal(f": 達成状況{good}の項目は、合わせて")
    for name, named, source_row, counts in lines:
        total = xl_rowcol_to_cell(source_row, 1 + width)
        share = xl_rowcol_to_cell(source_row, 2 + width)
        good_cells = "+".join(
            xl_rowcol_to_cell(source_row, 1 + i) for i in range(book.result.rule.good)
        )
        formula = (
            f"=IF({total}=0,{named}&{none_text},"
            f'{named}&{some_text}&TEXT({share},"0.0%")'
            f'&"（"&{total}&"項目中"&({good_cells})&"項目）です。")'
        )
        cached = (
            f"{name}: 達成状況{good}の項目は、合わせて{percent_text(counts.share)}"
            f"（{counts.total}項目中{counts.good}項目）です。"
            if counts.share is not None
            else f"{name}: 評価した指標がありません。"
        )
        book.formula(ws, row, 0, formula, "plain", cached)
        row += 1
    weak_kpis = book.result.continuing_weak()
    if book.result.comparison is not None:
        weak = "または".join(labels[book.result.rule.good :])
        names = name_list(list(dict.fromkeys(m.name for m, _ in weak_kpis)), CONTINUING_SHEET)
        names = names or "ありません"
        text = f"{year_title(book.result.comparison.year)}から継続して{weak}の達成状況: {names}"
        book.text(ws, row, 0, text, "plain")
        row += 1
    years = [(book.result.year, tallies)]
    if book.result.comparison is not None and book.result.previous_tallies is not None:
        years.append((book.result.comparison.year, book.result.previous_tallies))
    for year, table in years:
        if year is None or not table.ungraded:
            continue
        row += 1
        book.text(ws, row, 0, f"{UNGRADED}の指標（{era_name(year)}、{len(table.ungraded)} 件。"
                  f"{'及び'.join(book.result.rule.good_labels)}の割合の計算に含めていません）", "subtitle")  # fmt: skip
        row += 1
        for item in table.ungraded:
            book.text(
                ws, row, 0, f"・{item.measure.name}: {item.kpi.name}（{item.reason}）", "plain"
            )
            row += 1
    return row


def unmatched(book: Book, ws: Any, top: int) -> int:
    comparison = book.result.comparison
    if comparison is None or not (comparison.unmatched or comparison.orphans):
        return top
    row = top
    if comparison.unmatched:
        book.text(
            ws, row, 0, f"前年度の評価がない指標（{len(comparison.unmatched)} 件）", "subtitle"
        )
        row += 1
        for measure, kpi in comparison.unmatched:
            book.text(ws, row, 0, f"・{measure.name}: {kpi.name}", "plain")
            row += 1
    if comparison.orphans:
        book.text(
            ws,
            row,
            0,
            f"前年度の集計ブックにだけある指標（{len(comparison.orphans)} 件。前年度の件数には含めていません）",
            "subtitle",
        )
        row += 1
        for name, kpi_name, grade in comparison.orphans:
            book.text(ws, row, 0, f"・{name}: {kpi_name}（{grade}）", "plain")
            row += 1
    return row
