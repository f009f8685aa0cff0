"""The template: generated from the form definition, committed, and read back by the reader."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from conftest import ROOT, SAMPLES
from test_cli import run as run_cli
from xlkpi import form
from xlkpi.merge import merge
from xlkpi.style import INPUT_FILL, LABEL_FILL
from xlkpi.summary import write_summary
from xlkpi.template import write_template
from xlsxcontent import content

COMMITTED = ROOT / "templates" / "kpi_template.xlsx"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "kpi_template.xlsx"
    write_template(path)
    return path


def test_committed_template_equals_what_the_command_generates(generated: Path) -> None:
    assert content(COMMITTED) == content(generated)


def test_committed_samples_equal_what_their_builder_writes(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "samples"))
    from build_samples import build

    written = build(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in SAMPLES.glob("*.xlsx"))
    for path in written:
        assert content(SAMPLES / path.name) == content(path), path.name


def test_template_sheets_labels_and_inputs(generated: Path) -> None:
    wb = openpyxl.load_workbook(generated)
    assert wb.sheetnames == [form.INSTRUCTIONS_SHEET, form.FORM_SHEET]
    ws = wb[form.FORM_SHEET]
    layout = form.layout()
    values = [[c.value for c in row] for row in ws.iter_rows()]
    column_a = [row[0] for row in values]
    for label in (
        "施策番号",
        "施策名",
        "連携する視点",
        "施策の展開",
        "取組内容",
        "成果指標 (KPI)",
        "関係市町",
        "事業名称",
        "事業効果",
        "実施年度",
        "事業費 (千円)",
        "役割分担",
        "実績値",
        "年度評価",
        "次年度以降の取組",
    ):
        assert label in column_a, label
    flat = [v for row in values for v in row if isinstance(v, str)]
    for label in (
        "政策分野",
        "SDGsとの関連性",
        "指標名",
        "単位",
        "現状値 (2022 (R4) 年度)",
        "目標値 (2028 (R10) 年度)",
        "2024 (R6)",
        "2028 (R10)",
    ):
        assert label in flat, label
    assert column_a.count("指標1") == 2  # once in the KPI table, once under 実績値
    # Labels are locked and blue; every input cell is unlocked and yellow.
    for row, col in layout.labels.values():
        cell = ws.cell(row + 1, col + 1)
        assert cell.protection.locked and cell.fill.fgColor.rgb.endswith(LABEL_FILL[1:])
    inputs = [first for first, _ in layout.inputs.values()]
    inputs += [(r, c) for r in layout.kpi_rows for c in (1, 3, 4, 5)]
    inputs += [(r, c) for r in (*layout.actual_rows, layout.budget_row) for c in range(1, 6)]
    for row, col in inputs:
        cell = ws.cell(row + 1, col + 1)
        assert not cell.protection.locked, cell.coordinate
        assert cell.fill.fgColor.rgb.endswith(INPUT_FILL[1:]), cell.coordinate
    assert ws.protection.sheet and not ws.protection.password


def test_template_validations(generated: Path) -> None:
    ws = openpyxl.load_workbook(generated)[form.FORM_SHEET]
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    viewpoints = rules["B4:C4"]
    assert viewpoints.type == "list" and "生活機能の強化" in viewpoints.formula1
    assert rules["E4:F4"].type == "list" and "中心市等における人材育成" in rules["E4:F4"].formula1
    numeric = [dv for dv in rules.values() if dv.type == "decimal"]
    covered = {c for dv in numeric for rng in dv.sqref.ranges for c in rng.cells}
    layout = form.layout()
    for row in (*layout.actual_rows, layout.budget_row):
        for col in range(1, 6):
            assert (row + 1, col + 1) in covered
    for row in layout.kpi_rows:
        assert (row + 1, 5) in covered and (row + 1, 6) in covered
    assert all(dv.prompt for dv in numeric)


def fill_template(
    source: Path, target: Path, period: form.Period = form.DEFAULT_PERIOD
) -> dict[str, object]:
    """Fill every input of the generated template with openpyxl, as a department would.

    Actuals go into the period's first two years.
    """
    wb = openpyxl.load_workbook(source)
    ws = wb[form.FORM_SHEET]
    layout = form.layout(period)

    def put(row: int, col: int, value: object) -> None:
        ws.cell(row + 1, col + 1, value)

    texts = {f.key: f"{f.label}の記入例\n2行目" for f in form.TEXT_FIELDS}
    texts[form.SDGS.key] = "3, 11"
    texts[form.MUNICIPALITIES.key] = "一関市 平泉町"
    for key, text in texts.items():
        put(*layout.inputs[key][0], text)
    put(*layout.inputs["number"][0], 12)
    put(*layout.inputs["name"][0], "記入例事業")
    put(*layout.inputs["viewpoint"][0], "結びつきやネットワークの強化")
    put(*layout.inputs["policy_field"][0], "地域公共交通")
    kpis = [("利用者数", "人", 100, 120), ("満足度", "%", 70.5, 80), ("開催数", "回", 3, 5)]
    for row, (name, unit, base, target_value) in zip(layout.kpi_rows, kpis, strict=True):
        put(row, 1, name)
        put(row, 3, unit)
        put(row, 4, base)
        put(row, 5, target_value)
    for year, col in layout.year_columns.items():
        put(layout.budget_row, col, 1000 + year)
    first, second = period.years[:2]
    actuals = {first: (110, 0.72, 4), second: (125, 0.81, 5)}
    for year, values in actuals.items():
        col = layout.year_columns[year]
        for row, value in zip(layout.actual_rows, values, strict=True):
            put(row, col, value)
            if isinstance(value, float):
                ws.cell(row + 1, col + 1).number_format = "0.0%"
    wb.save(target)
    return {"texts": texts, "kpis": kpis}


def test_filled_template_reads_back_every_field(generated: Path, tmp_path: Path) -> None:
    filled = fill_template(generated, tmp_path / "記入例.xlsx")
    result = merge([tmp_path])
    assert result.report.problems == []
    [measure] = result.measures
    assert (measure.number, measure.name) == (12, "記入例事業")
    assert (measure.viewpoint, measure.policy_field) == (
        "結びつきやネットワークの強化",
        "地域公共交通",
    )
    assert measure.texts == filled["texts"]
    assert measure.budgets == {y: Decimal(1000 + y) for y in range(2024, 2029)}
    assert (measure.base_year, measure.target_year, measure.years) == (
        2022,
        2028,
        (2024, 2025, 2026, 2027, 2028),
    )
    found = [(k.name, k.unit, k.baseline, k.target, k.actuals) for k in measure.kpis]
    assert found == [
        ("利用者数", "人", 100, 120, {2024: 110, 2025: 125}),
        ("満足度", "%", Decimal("70.5"), 80, {2024: 72, 2025: 81}),
        ("開催数", "回", 3, 5, {2024: 4, 2025: 5}),
    ]
    assert [k.grades for k in measure.kpis] == [
        {2024: "B", 2025: "A"},  # 110/120 = 91.7 %, 125/120
        {2024: "B", 2025: "A"},  # 72/80 = 90 %, 81/80
        {2024: "B", 2025: "A"},  # 4/5 = 80 % exactly, 5/5
    ]


@pytest.mark.parametrize(
    ("period", "base"),
    [("2027-2031", "2025"), ("R9-R13", "R7"), ("令和9年度～令和13年度", "令和7年度")],
)
def test_a_plan_period_is_given_as_the_forms_write_years(
    tmp_path: Path, period: str, base: str
) -> None:
    code, out, err = run_cli("template", "-o", tmp_path / "t.xlsx", "--period", period,
                             "--base-year", base)  # fmt: skip
    assert code == 0, err
    assert "（計画期間 2027 (R9)〜2031 (R13)、現状値 2025 (R7)）" in out


def test_a_template_for_the_next_plan_period_merges(tmp_path: Path) -> None:
    """The 4th vision (R9-R13, base R7): headers, 事業費 columns and the 目標値 label follow."""
    code, _, err = run_cli("template", "-o", tmp_path / "第4次.xlsx", "--period", "2027-2031",
                             "--base-year", "2025")  # fmt: skip
    assert code == 0, err
    period = form.Period(2027, 2031, 2025)
    wb = openpyxl.load_workbook(tmp_path / "第4次.xlsx")
    ws = wb[form.FORM_SHEET]
    layout = form.layout(period)
    headers = [ws.cell(layout.actuals_header_row + 1, c + 1).value for c in range(1, 6)]
    assert headers == ["2027 (R9)", "2028 (R10)", "2029 (R11)", "2030 (R12)", "2031 (R13)"]
    fiscal = [ws.cell(layout.fiscal_row + 1, c + 1).value for c in range(1, 6)]
    assert fiscal == headers
    kpi_header = layout.kpi_header_row + 1
    assert ws.cell(kpi_header, 5).value == "現状値 (2025 (R7) 年度)"
    assert ws.cell(kpi_header, 6).value == "目標値 (2031 (R13) 年度)"

    returns = tmp_path / "returns"
    returns.mkdir()
    fill_template(tmp_path / "第4次.xlsx", returns / "記入例.xlsx", period)
    result = merge([returns])
    assert result.report.problems == []
    [measure] = result.measures
    assert (measure.base_year, measure.target_year, measure.years) == (
        2025, 2031, (2027, 2028, 2029, 2030, 2031),
    )  # fmt: skip
    assert measure.budgets == {y: Decimal(1000 + y) for y in range(2027, 2032)}
    assert [k.grades for k in measure.kpis] == [
        {2027: "B", 2028: "A"},  # 110/120 = 91.7 %, 125/120 = 104.2 %
        {2027: "B", 2028: "A"},  # 72/80 = 90 %, 81/80 = 101.3 %
        {2027: "B", 2028: "A"},  # 4/5 = 80 % exactly, 5/5
    ]
    assert result.year == 2028  # the latest year with an actual

    write_summary(result, tmp_path / "集計.xlsx")
    listing = openpyxl.load_workbook(tmp_path / "集計.xlsx")["達成状況一覧"]
    header = [c.value for c in listing[4]]
    assert header[5:10] == ["R9", "R10", "R11", "R12", "R13"]
    # every year's grade is shown (multi-year history), the later years blank
    assert [listing.cell(5, c).value for c in range(6, 11)] == ["B", "A", None, None, None]


def test_forms_that_cannot_be_written_raise_output_error_and_leave_nothing(tmp_path: Path) -> None:
    from xlkpi.model import Measure
    from xlkpi.output import OutputError
    from xlkpi.template import write_forms

    too_long = Measure(name="施策", number=1, texts={"content": "あ" * 40_000})
    with pytest.raises(OutputError, match="書き込めませんでした"):
        write_forms(tmp_path / "x.xlsx", [too_long])
    assert list(tmp_path.iterdir()) == []
