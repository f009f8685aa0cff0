"""Write the summary workbook.

Every string from a return is written with write_string (the workbook is also
opened with strings_to_formulas/urls/numbers off), every XlsxWriter return code
is checked, and the file appears only when complete (output.atomic_path).
Tallies are COUNTIFS formulas over 達成状況一覧 with their values cached, so they
follow a grade edited in Excel and still read right where nothing recalculates.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import xlsxwriter

from xlkpi import __version__
from xlkpi.merge import MergeResult
from xlkpi.model import Kpi, Measure
from xlkpi.output import atomic_path, checked
from xlkpi.problems import Severity, Status
from xlkpi.style import (
    A4,
    EXTRA_GRADE_FILLS,
    FONT,
    GRADE_FILLS,
    LABEL_FILL,
    WORKBOOK_OPTIONS,
    fitted_width,
)
from xlkpi.tally import Counts
from xlkpi.values import era_name, reiwa_label

LIST_SHEET = "達成状況一覧"
FIELD_SHEET = "分野別集計"
DATA_SHEET = "データ"
LEDGER_SHEET = "受付"
LIST_HEADER_ROW = 3
_UNGROUPED = "（未記入）"


def shown_ratio(ratio: Fraction) -> float:
    """達成率 as shown: cut (not rounded) to 0.1 %, so 99.96 % never shows as 100.0 %."""
    value = (Decimal(ratio.numerator) / Decimal(ratio.denominator)).quantize(
        Decimal("0.001"), rounding=ROUND_DOWN
    )
    return float(value)


def year_title(year: int) -> str:
    return f"{year}年度（{reiwa_label(year)}）"


def write_summary(result: MergeResult, path: Path) -> None:
    with atomic_path(path) as temp:
        book = xlsxwriter.Workbook(str(temp), WORKBOOK_OPTIONS)
        writer = _SummaryWriter(book, result)
        writer.properties()
        writer.kpi_list()
        writer.field_tallies()
        writer.data()
        writer.ledger()
        book.close()


class _SummaryWriter:
    def __init__(self, book: Any, result: MergeResult) -> None:
        self.book = book
        self.result = result
        self.rows = [(m, k) for m in result.measures for k in m.kpis]
        base = {"font_name": FONT, "font_size": 10, "valign": "top"}
        self.fmt = {
            "title": book.add_format({**base, "font_size": 14, "bold": True}),
            "note": book.add_format({**base, "font_color": "#404040"}),
            "header": book.add_format(
                {
                    **base,
                    "bold": True,
                    "bg_color": LABEL_FILL,
                    "border": 1,
                    "text_wrap": True,
                    "valign": "vcenter",
                }
            ),
            "text": book.add_format({**base, "border": 1, "text_wrap": True}),
            "center": book.add_format({**base, "border": 1, "align": "center"}),
            "int": book.add_format({**base, "border": 1, "num_format": "#,##0"}),
            "dec": book.add_format({**base, "border": 1, "num_format": "#,##0.0##"}),
            "pct": book.add_format({**base, "border": 1, "num_format": "0.0%"}),
            "bold": book.add_format({**base, "border": 1, "bold": True}),
            "bold_int": book.add_format({**base, "border": 1, "bold": True, "num_format": "0"}),
            "bold_pct": book.add_format({**base, "border": 1, "bold": True, "num_format": "0.0%"}),
        }
        labels = result.rule.labels
        fills = {**dict(zip(labels, EXTRA_GRADE_FILLS, strict=False)), **GRADE_FILLS}
        self.grade_fmt = {
            label: book.add_format({"bg_color": fills.get(label, "#D9D9D9"), "font_name": FONT})
            for label in labels
        }
        self.status_fmt = {
            Status.ERROR: book.add_format({"bg_color": "#FFC7CE", "font_name": FONT}),
            Status.WARNING: book.add_format({"bg_color": "#FFEB9C", "font_name": FONT}),
            Status.SKIPPED: book.add_format({"font_color": "#7F7F7F", "font_name": FONT}),
        }

    # --- helpers ----------------------------------------------------------------------

    def text(self, ws: Any, row: int, col: int, value: str, fmt: str = "text") -> None:
        checked(ws.write_string(row, col, value, self.fmt[fmt]), f"{ws.name}!{row},{col}")

    def number(self, ws: Any, row: int, col: int, value: Decimal | int | float | None) -> None:
        if value is None:
            checked(ws.write_blank(row, col, None, self.fmt["text"]), "blank")
            return
        integral = isinstance(value, int) or value == int(value)
        checked(
            ws.write_number(row, col, float(value), self.fmt["int" if integral else "dec"]),
            f"{ws.name}!{row},{col}",
        )

    def header(self, ws: Any, row: int, titles: list[str]) -> None:
        for col, title in enumerate(titles):
            self.text(ws, row, col, title, "header")

    def page(self, ws: Any, header_row: int, widths: list[float]) -> None:
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        ws.set_landscape()
        ws.set_paper(A4)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(header_row)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer("&C&P / &N ページ")
        ws.freeze_panes(header_row + 1, 0)

    def titled(self, name: str, title: str, note: str) -> Any:
        ws = self.book.add_worksheet(name)
        self.text(ws, 0, 0, title, "title")
        self.text(ws, 1, 0, note, "note")
        return ws

    def properties(self) -> None:
        year = self.result.year
        self.book.set_properties(
            {
                "title": "成果指標（KPI）達成状況 集計",
                "subject": f"{year_title(year)}実績" if year else "実績なし",
                "keywords": f"report_year={year or ''}",
                "comments": f"xlkpi {__version__} で作成",
                "author": "xlkpi",
            }
        )
        self.book.set_custom_property("xlkpi_version", __version__)
        if year:
            self.book.set_custom_property("report_year", year)

    # --- 達成状況一覧 ---------------------------------------------------------------------

    def kpi_list(self) -> None:
        result = self.result
        year = result.year
        years = result.years
        era = era_name(year) if year else ""
        ws = self.titled(
            LIST_SHEET,
            f"成果指標（KPI）達成状況一覧　{year_title(year)}実績"
            if year
            else "成果指標（KPI）達成状況一覧",
            f"評価基準: {result.rule.describe()}　達成率は小数第1位未満を切り捨てて表示しています。",
        )
        titles = [
            "No",
            "連携する視点",
            "政策分野",
            "施策名",
            "成果指標",
            *(era_name(y) for y in years),
            "単位",
            "現状値",
            "目標値",
            f"実績値（{era}）",
            f"達成率（{era}）",
        ]
        self.header(ws, LIST_HEADER_ROW, titles)
        first_grade = 5
        for offset, (measure, kpi) in enumerate(self.rows, start=1):
            row = LIST_HEADER_ROW + offset
            self.identity(ws, row, measure, kpi)
            for col, y in enumerate(years, start=first_grade):
                self.text(ws, row, col, kpi.grades.get(y, ""), "center")
            col = first_grade + len(years)
            self.text(ws, row, col, kpi.unit)
            self.number(ws, row, col + 1, kpi.baseline)
            self.number(ws, row, col + 2, kpi.target)
            self.number(ws, row, col + 3, kpi.actuals.get(year) if year else None)
            ratio = kpi.ratios.get(year) if year else None
            if ratio is None:
                self.text(ws, row, col + 4, "")
            else:
                checked(ws.write_number(row, col + 4, shown_ratio(ratio), self.fmt["pct"]), "ratio")
        last = LIST_HEADER_ROW + max(len(self.rows), 1)
        if years:
            for label, fmt in self.grade_fmt.items():
                ws.conditional_format(
                    LIST_HEADER_ROW + 1,
                    first_grade,
                    last,
                    first_grade + len(years) - 1,
                    {"type": "cell", "criteria": "==", "value": f'"{label}"', "format": fmt},
                )
        ws.autofilter(LIST_HEADER_ROW, 0, last, len(titles) - 1)
        widths = self.widths(
            titles,
            [
                [str(m.number or "") for m, _ in self.rows],
                [m.viewpoint for m, _ in self.rows],
                [m.policy_field for m, _ in self.rows],
                [m.name for m, _ in self.rows],
                [k.name for _, k in self.rows],
            ],
            maximum=40,
        )
        self.page(ws, LIST_HEADER_ROW, widths + [5] * len(years) + [6, 10, 10, 11, 11])

    def identity(self, ws: Any, row: int, measure: Measure, kpi: Kpi) -> None:
        if measure.number is None:
            self.text(ws, row, 0, "")
        else:
            checked(ws.write_number(row, 0, measure.number, self.fmt["int"]), "number")
        self.text(ws, row, 1, measure.viewpoint)
        self.text(ws, row, 2, measure.policy_field)
        self.text(ws, row, 3, measure.name)
        self.text(ws, row, 4, kpi.name)

    def widths(self, titles: list[str], columns: list[list[str]], maximum: float) -> list[float]:
        return [
            fitted_width([titles[i], *values], maximum=maximum) for i, values in enumerate(columns)
        ]

    # --- 分野別集計 ---------------------------------------------------------------------

    def list_range(self, col: int) -> str:
        letter = xlsxwriter.utility.xl_col_to_name(col)
        first = LIST_HEADER_ROW + 2
        last = LIST_HEADER_ROW + 1 + max(len(self.rows), 1)
        return f"'{LIST_SHEET}'!${letter}${first}:${letter}${last}"

    def field_tallies(self) -> None:
        result = self.result
        tallies = result.tallies
        ws = self.titled(
            FIELD_SHEET,
            f"政策分野別の達成状況　{year_title(result.year)}実績"
            if result.year
            else "政策分野別の達成状況",
            f"件数は「{LIST_SHEET}」の評価を数える数式です。評価基準: {result.rule.describe()}",
        )
        labels = list(result.rule.labels)
        good = "及び".join(result.rule.good_labels)
        header_row = 3
        self.header(ws, header_row, ["連携する視点", "政策分野", *labels, "計", f"{good}の割合"])
        self.page(ws, header_row, [30, 34, *[7] * len(labels), 7, 14])
        if tallies is None or result.year is None:
            self.text(ws, header_row + 1, 0, "評価できる実績値がありません。", "note")
            return
        grade_col = 5 + result.years.index(result.year)
        grades = self.list_range(grade_col)
        viewpoints, fields = self.list_range(1), self.list_range(2)
        row = header_row + 1
        for block in tallies.viewpoints:
            shown = block.viewpoint or _UNGROUPED
            for item in block.fields:
                self.text(ws, row, 0, block.viewpoint)
                self.text(ws, row, 1, item.policy_field)
                criteria = f"{viewpoints},{_exact(row, 0)},{fields},{_exact(row, 1)}"
                self.counts(ws, row, item.counts, criteria, grades, header_row)
                row += 1
            self.text(ws, row, 0, block.viewpoint, "bold")
            self.text(ws, row, 1, f"{shown} 小計", "bold")
            self.counts(
                ws,
                row,
                block.subtotal,
                f"{viewpoints},{_exact(row, 0)}",
                grades,
                header_row,
                bold=True,
            )
            row += 1
            self.text(
                ws,
                row,
                1,
                "【" + "、".join(labels[result.rule.good :]) + "】の指標に係る施策名",
                "note",
            )
            row += 1
            for name in block.weak_measures or ["（なし）"]:
                self.text(ws, row, 1, name, "note")
                row += 1
            row += 1
        self.text(ws, row, 0, "合計", "bold")
        self.text(ws, row, 1, "", "bold")
        self.counts(ws, row, tallies.overall, "", grades, header_row, bold=True)

    def counts(
        self,
        ws: Any,
        row: int,
        counts: Counts,
        criteria: str,
        grades: str,
        header_row: int,
        *,
        bold: bool = False,
    ) -> None:
        labels = list(self.result.rule.labels)
        first = 2
        for offset, label in enumerate(labels):
            col = first + offset
            head = xlsxwriter.utility.xl_rowcol_to_cell(header_row, col, row_abs=True)
            formula = f"=COUNTIFS({criteria + ',' if criteria else ''}{grades},{head})"
            checked(
                ws.write_formula(
                    row,
                    col,
                    formula,
                    self.fmt["bold_int" if bold else "int"],
                    counts.by_grade[label],
                ),
                "count",
            )
        start = xlsxwriter.utility.xl_rowcol_to_cell(row, first)
        end = xlsxwriter.utility.xl_rowcol_to_cell(row, first + len(labels) - 1)
        total_col = first + len(labels)
        checked(
            ws.write_formula(
                row,
                total_col,
                f"=SUM({start}:{end})",
                self.fmt["bold_int" if bold else "int"],
                counts.total,
            ),
            "total",
        )
        total = xlsxwriter.utility.xl_rowcol_to_cell(row, total_col)
        good = "+".join(
            xlsxwriter.utility.xl_rowcol_to_cell(row, first + i)
            for i in range(self.result.rule.good)
        )
        share = counts.share
        checked(
            ws.write_formula(
                row,
                total_col + 1,
                f'=IF({total}=0,"",({good})/{total})',
                self.fmt["bold_pct" if bold else "pct"],
                float(share) if share is not None else "",
            ),
            "share",
        )

    # --- データ ---------------------------------------------------------------------------

    def data(self) -> None:
        ws = self.book.add_worksheet(DATA_SHEET)
        titles = [
            "No",
            "連携する視点",
            "政策分野",
            "施策名",
            "成果指標",
            "単位",
            "現状値",
            "目標値",
            "年度",
            "実績値",
            "達成率",
            "評価",
            "ファイル",
            "シート",
        ]
        row = 0
        for measure, kpi in self.rows:
            for year in measure.years or sorted(kpi.actuals):
                row += 1
                self.identity(ws, row, measure, kpi)
                self.text(ws, row, 5, kpi.unit)
                self.number(ws, row, 6, kpi.baseline)
                self.number(ws, row, 7, kpi.target)
                checked(ws.write_number(row, 8, year, self.fmt["text"]), "year")
                self.number(ws, row, 9, kpi.actuals.get(year))
                ratio = kpi.ratios.get(year)
                if ratio is None:
                    self.text(ws, row, 10, "")
                else:
                    checked(ws.write_number(row, 10, shown_ratio(ratio), self.fmt["pct"]), "ratio")
                self.text(ws, row, 11, kpi.grades.get(year, ""), "center")
                self.text(ws, row, 12, measure.file)
                self.text(ws, row, 13, measure.sheet)
        checked(
            ws.add_table(
                0,
                0,
                max(row, 1),
                len(titles) - 1,
                {
                    "name": "KpiData",
                    "style": "Table Style Light 9",
                    "columns": [{"header": t, "header_format": self.fmt["header"]} for t in titles],
                },
            ),
            "table",
        )
        widths = self.widths(
            titles,
            [
                ["No"],
                [m.viewpoint for m, _ in self.rows],
                [m.policy_field for m, _ in self.rows],
                [m.name for m, _ in self.rows],
                [k.name for _, k in self.rows],
                ["単位"],
                ["現状値"],
                ["目標値"],
                ["年度"],
                ["実績値"],
                ["達成率"],
                ["評価"],
                [m.file for m, _ in self.rows],
                [m.sheet for m, _ in self.rows],
            ],
            maximum=40,
        )
        self.page(ws, 0, widths)

    # --- 受付 -------------------------------------------------------------------------------

    def ledger(self) -> None:
        report = self.result.report
        ws = self.titled(
            LEDGER_SHEET,
            "受付台帳",
            f"読み込んだファイル {self.result.files} 件とそのシートの一覧です。"
            f"エラー {len(report.errors)} 件、警告 {len(report.warnings)} 件。",
        )
        titles = ["番号", "ファイル", "シート", "状態", "施策名", "内容"]
        top = 3
        for offset, entry in enumerate(report.ledger, start=1):
            row = top + offset
            checked(ws.write_number(row, 0, offset, self.fmt["int"]), "ledger")
            self.text(ws, row, 1, entry.file)
            self.text(ws, row, 2, entry.sheet or "（ファイル）")
            self.text(ws, row, 3, entry.status.value, "center")
            self.text(ws, row, 4, entry.measure)
            self.text(ws, row, 5, entry.note)
        last = top + max(len(report.ledger), 1)
        checked(
            ws.add_table(
                top,
                0,
                last,
                len(titles) - 1,
                {
                    "name": "Ledger",
                    "style": "Table Style Light 1",
                    "columns": [{"header": t, "header_format": self.fmt["header"]} for t in titles],
                },
            ),
            "ledger table",
        )
        for status, fmt in self.status_fmt.items():
            ws.conditional_format(
                top + 1,
                3,
                last,
                3,
                {"type": "cell", "criteria": "==", "value": f'"{status.value}"', "format": fmt},
            )
        row = last + 2
        self.text(ws, row, 0, "問題の一覧", "title")
        problems = report.problems
        if not problems:
            self.text(ws, row + 1, 0, "問題はありません。", "note")
        else:
            top2 = row + 1
            heads = ["区分", "コード", "ファイル", "シート", "セル", "内容", "対応"]
            for offset, item in enumerate(problems, start=1):
                r = top2 + offset
                kind = "エラー" if item.severity is Severity.ERROR else "警告"
                for col, value in enumerate(
                    (kind, item.code, item.file, item.sheet, item.cell, item.message, item.hint)
                ):
                    self.text(ws, r, col, value)
            checked(
                ws.add_table(
                    top2,
                    0,
                    top2 + len(problems),
                    len(heads) - 1,
                    {
                        "name": "Problems",
                        "style": "Table Style Light 1",
                        "columns": [
                            {"header": t, "header_format": self.fmt["header"]} for t in heads
                        ],
                    },
                ),
                "problem table",
            )
        files = [e.file for e in report.ledger] + [p.file for p in problems]
        sheets = [e.sheet for e in report.ledger] + [p.sheet for p in problems]
        self.page(
            ws,
            top,
            [8, fitted_width(files, maximum=36), fitted_width(sheets, maximum=20), 8, 30, 70, 50],
        )


def _exact(row: int, col: int) -> str:
    """A COUNTIFS criterion matching the cell's text exactly (no wildcards, no operators)."""
    ref = xlsxwriter.utility.xl_rowcol_to_cell(row, col, col_abs=True)
    return f'"="&SUBSTITUTE(SUBSTITUTE(SUBSTITUTE({ref},"~","~~"),"*","~*"),"?","~?")'
