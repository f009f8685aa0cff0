"""分野別集計: counts per 連携する視点 and 政策分野, this year beside the previous year."""

from __future__ import annotations

from xlkpi.summary.base import (
    FIELD_SHEET,
    LIST_SHEET,
    UNGRADED,
    VIEWPOINT_WIDTH,
    Book,
    label_ref,
    name_list,
    shown,
    year_title,
)
from xlkpi.values import era_name


def write_field_tallies(book: Book) -> None:
    result = book.result
    rule = result.rule
    labels = list(rule.labels)
    good = "及び".join(rule.good_labels)
    ws = book.sheet(
        FIELD_SHEET,
        "政策分野別の達成状況" + (f"　{year_title(result.year)}実績" if result.year else ""),
        f"件数は「達成状況一覧」の評価を数える数式です。評価基準: {rule.describe()}",
        # 「A及びBの割合」 on one line in any Japanese font, not 「A及びBの割 / 合」
        [VIEWPOINT_WIDTH, 24.0, *([5.5] * len(labels) + [5.5, 12.5, 7.5]) * 2],
    )
    tallies = result.tallies
    if tallies is None or result.year is None:
        book.text(ws, 3, 0, "評価できる実績値がありません。", "note")
        book.page(ws, (0, 0), freeze=False)
        return
    years = [(result.year, tallies)]
    if result.comparison and result.previous_tallies:
        years.append((result.comparison.year, result.previous_tallies))
    group, label_row = 3, 4
    width = len(labels) + 3
    ws.merge_range(group, 0, label_row, 0, "連携する視点", book.fmt["header"])
    ws.merge_range(group, 1, label_row, 1, "政策分野", book.fmt["header"])
    for index, (year, _) in enumerate(years):
        first = 2 + index * width
        caption = f"{year_title(year)}" + ("" if index == 0 else "（前年度）")
        ws.merge_range(group, first, group, first + width - 1, caption, book.fmt["header"])
        book.header(ws, label_row, [*labels, "計", f"{good}の割合", UNGRADED], first_col=first)
    viewpoints, fields = book.list_range(1), book.list_range(2)
    row = label_row + 1
    for index, block in enumerate(tallies.viewpoints):
        for f_index, item in enumerate(block.fields):
            book.text(ws, row, 0, shown(block.viewpoint))
            book.text(ws, row, 1, shown(item.policy_field))
            criteria = [(viewpoints, label_ref(row, 0)), (fields, label_ref(row, 1))]
            for y_index, (year, table) in enumerate(years):
                counts = table.viewpoints[index].fields[f_index].counts
                book.counts(ws, row, 2 + y_index * width, counts, criteria, year, label_row)
            row += 1
        book.text(ws, row, 0, shown(block.viewpoint), "bold")
        book.text(ws, row, 1, "小計", "bold")
        for y_index, (year, table) in enumerate(years):
            book.counts(ws, row, 2 + y_index * width, table.viewpoints[index].subtotal,
                        [(viewpoints, label_ref(row, 0))], year, label_row, bold=True)  # fmt: skip
        row += 1
        weak = "、".join(labels[rule.good :])
        names = name_list(block.weak_measures, LIST_SHEET) or "なし"
        note = f"【{weak}】の指標に係る施策名（{era_name(result.year)}、集計時点）: {names}"
        ungraded = block.ungraded
        if ungraded:
            listed = name_list([f"{u.measure.name}「{u.kpi.name}」（{u.reason}）" for u in ungraded],
                               LIST_SHEET)  # fmt: skip
            note += f"\n{UNGRADED}（{era_name(result.year)}）: {listed}"
        book.merged_text(ws, row, (1, 1 + width * len(years)), note, "wrap")
        row += 2
    book.text(ws, row, 0, "合計", "bold")
    book.text(ws, row, 1, "", "bold")
    for y_index, (year, table) in enumerate(years):
        book.counts(ws, row, 2 + y_index * width, table.overall, [], year, label_row, bold=True)
    book.page(ws, (group, label_row))
