"""The summary workbook: sheets, grades, live tallies, and text kept as text."""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from published import GRADES_2024, OVERALL_2024
from xlkpi.merge import MergeResult, merge
from xlkpi.model import Kpi, Measure
from xlkpi.summary import write_summary
from xlkpi.template import write_forms


@pytest.fixture(scope="module")
def summary(samples_result: MergeResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("summary") / "summary.xlsx"
    write_summary(samples_result, path)
    return path


def test_sheets_and_list(summary: Path) -> None:
    wb = openpyxl.load_workbook(summary)  # warnings are errors in this suite
    assert wb.sheetnames == ["達成状況一覧", "分野別集計", "データ", "受付"]
    ws = wb["達成状況一覧"]
    header = [c.value for c in ws[4]]
    assert header[:10] == [
        "No",
        "連携する視点",
        "政策分野",
        "施策名",
        "成果指標",
        "R6",
        "R7",
        "R8",
        "R9",
        "R10",
    ]
    assert header[10:] == ["単位", "現状値", "目標値", "実績値（R6）", "達成率（R6）"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5) if row[0].value]
    assert len(rows) == 34
    by_number: dict[int, list[str]] = {}
    for row in rows:
        by_number.setdefault(row[0], []).append(row[5])
    assert by_number == GRADES_2024
    road = next(row for row in rows if row[0] == 27)
    assert road[11:15] == [57.4, 58.1, 58.4, 1.005]  # 100.5 % shown cut to 0.1 %
    assert ws.freeze_panes == "A5"
    assert ws.auto_filter.ref == "A4:O38"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.print_title_rows == "$4:$4"


def test_grade_columns_have_a_fill_per_grade(summary: Path) -> None:
    ws = openpyxl.load_workbook(summary)["達成状況一覧"]
    rules = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            rules[rule.formula[0]] = (str(cf.sqref), rule.dxf.fill.bgColor.rgb)
    assert set(rules) == {'"A"', '"B"', '"C"', '"D"'}
    assert {sqref for sqref, _ in rules.values()} == {"F5:J38"}
    assert len({fill for _, fill in rules.values()}) == 4


def test_field_tallies_are_formulas_with_cached_values(summary: Path) -> None:
    formulas = openpyxl.load_workbook(summary)["分野別集計"]
    cached = openpyxl.load_workbook(summary, data_only=True)["分野別集計"]
    assert [c.value for c in formulas[4]] == [
        "連携する視点",
        "政策分野",
        "A",
        "B",
        "C",
        "D",
        "計",
        "A及びBの割合",
    ]
    total_row = next(
        r for r in range(5, formulas.max_row + 1) if formulas.cell(r, 1).value == "合計"
    )
    assert [cached.cell(total_row, c).value for c in range(3, 7)] == list(OVERALL_2024.values())
    assert cached.cell(total_row, 7).value == 34
    assert round(cached.cell(total_row, 8).value, 3) == 0.706
    medical = next(r for r in range(5, total_row) if formulas.cell(r, 2).value == "医療")
    formula = formulas.cell(medical, 3).value
    assert formula.startswith("=COUNTIFS('達成状況一覧'!$B$5:$B$38,")
    assert "'達成状況一覧'!$F$5:$F$38,C$4)" in formula
    assert [cached.cell(medical, c).value for c in range(3, 8)] == [1, 1, 0, 0, 2]


def test_data_sheet_is_a_table_with_one_row_per_kpi_and_year(summary: Path) -> None:
    ws = openpyxl.load_workbook(summary)["データ"]
    [table] = ws.tables.values()
    assert [c.name for c in table.tableColumns] == [
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
    assert table.ref == "A1:N171"  # 34 KPIs x 5 plan years
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert {row[8] for row in rows} == {2024, 2025, 2026, 2027, 2028}
    road = next(row for row in rows if row[0] == 27 and row[8] == 2024)
    assert road[9:12] == [58.4, 1.005, "A"]
    assert ws.cell(2, 11).number_format == "0.0%"


def test_ledger_lists_every_file_and_sheet(summary: Path, samples_result: MergeResult) -> None:
    ws = openpyxl.load_workbook(summary)["受付"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5, max_col=6)]
    ledger = rows[: len(samples_result.report.ledger)]
    assert len([r for r in ledger if r[2] == "（ファイル）"]) == 8
    sheets = [r for r in ledger if r[2] != "（ファイル）"]
    assert len(sheets) == 8 + 32  # each file's 記入要領 and its form sheets
    assert {r[3] for r in sheets if r[2] == "記入要領"} == {"対象外"}
    assert {r[3] for r in sheets if r[2] != "記入要領"} == {"取込", "警告"}


def hostile_return(folder: Path) -> None:
    texts = {
        "content": '=HYPERLINK("http://x","y")',
        "projects": "@SUM(1)",
        "effect": "+1",
        "roles": "-1+1",
        "evaluation": "file:///etc/passwd",
        "next_steps": "external:c:\\windows\\calc.exe",
    }
    measure = Measure(
        name="=1+1",
        number=1,
        viewpoint="生活機能の強化",
        policy_field="{=SUM(1)}",
        kpis=[
            Kpi(
                name='=HYPERLINK("http://x","y")',
                unit="人",
                baseline=Decimal(1),
                target=Decimal(2),
                actuals={2024: Decimal(2)},
            )
        ],
        texts=texts,
    )
    write_forms(folder / "hostile.xlsx", [measure])


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    hostile_return(tmp_path)
    result = merge([tmp_path])
    out = tmp_path / "out" / "summary.xlsx"
    out.parent.mkdir()
    write_summary(result, out)
    ws = openpyxl.load_workbook(out)["達成状況一覧"]
    assert ws["D5"].value == "=1+1" and ws["D5"].data_type == "s"
    assert ws["E5"].value == '=HYPERLINK("http://x","y")' and ws["E5"].data_type == "s"
    assert ws["C5"].value == "{=SUM(1)}" and ws["C5"].data_type == "s"
    with zipfile.ZipFile(out) as zf:
        formulas = [
            formula
            for name in zf.namelist()
            if name.startswith("xl/worksheets/sheet")
            for formula in re.findall(rb"<f>(.*?)</f>", zf.read(name), re.S)
        ]
        assert formulas  # the tallies are formulas...
        assert not [f for f in formulas if b"HYPERLINK" in f or b"SUM(1)" in f]  # ...nothing else
        rels = b"".join(zf.read(n) for n in zf.namelist() if n.endswith(".rels"))
        assert b"hyperlink" not in rels.lower() and b"External" not in rels
