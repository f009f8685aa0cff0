"""評価なし in every tally, 事業費 totals and 目標値の見直し候補, in the summary workbook.

Figures are typed from the seed (tests/published.py) or follow from edits made here.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

import builders
from published import BUDGETS_PRINTED, GRADES_2024, INBOUND_ACTUAL, INBOUND_TARGET, OVERALL_2024
from xlkpi.analysis import budget_totals, review_candidates
from xlkpi.grading import PROGRESS, Rule, grade_measure, why_ungraded
from xlkpi.merge import MergeResult, merge
from xlkpi.model import Kpi, Measure
from xlkpi.summary import write_summary


@pytest.fixture(scope="module")
def ungraded(tmp_path_factory: pytest.TempPathFactory) -> MergeResult:
    return merge([builders.ungraded_returns(tmp_path_factory.mktemp("ungraded") / "returns")])


@pytest.fixture(scope="module")
def ungraded_summary(ungraded: MergeResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ungraded-summary") / "summary.xlsx"
    write_summary(ungraded, path)
    return path


def test_kpis_without_a_grade_are_counted_with_their_reason(ungraded: MergeResult) -> None:
    tallies = ungraded.tallies
    assert tallies is not None
    # No. 24 (B) and No. 27 (A) lost their actual, No. 33's second KPI (B) its unit.
    assert tallies.overall.by_grade == {**OVERALL_2024, "A": 12, "B": 9}
    assert tallies.overall.ungraded == {"実績値なし": 2, "実績値が読み取れない": 1}
    assert tallies.overall.kpis == 34 and tallies.overall.total == 31
    assert [(u.measure.number, u.reason) for u in tallies.ungraded] == [
        (24, "実績値なし"), (27, "実績値なし"), (33, "実績値が読み取れない"),
    ]  # fmt: skip
    fire = tallies.viewpoints[0].fields[-1]
    assert (fire.policy_field, fire.counts.total, fire.counts.ungraded) == (
        "消防防災", 0, {"実績値なし": 1},
    )  # fmt: skip
    assert tallies.viewpoints[2].subtotal.share == Fraction(1)  # 1 of 1 graded is an A
    codes = ungraded.report.codes()
    assert "unit-mismatch" in codes and codes.count("actual-missing") == 3  # the refused one too


def test_the_summary_counts_them_on_every_tally(ungraded_summary: Path) -> None:
    wb = openpyxl.load_workbook(ungraded_summary, data_only=True)
    overview = [[c.value for c in row] for row in wb["概要"].iter_rows()]
    facts = {row[0]: row[1] for row in overview[3:9]}
    assert facts["成果指標数"] == 34
    assert facts["評価なしの成果指標"] == "3 件（実績値なし 2件、実績値が読み取れない 1件）"
    rows = {
        row[0]: row[1]
        for row in overview
        if row[0] in ("計（評価した指標）", "計", "評価なし", "成果指標数")
    }
    assert rows == {"計（評価した指標）": 31, "評価なし": 3, "成果指標数": 34}
    listed = [row[0] for row in overview if isinstance(row[0], str) and row[0].startswith("・")]
    assert listed == ["・広域消防事業: 消防防災セミナー参加人数（実績値なし）",
                      "・幹線道路等整備事業: 市道及び町道の改良率（実績値なし）",
                      "・DX地域活性化事業: 職員研修の参加者数（実績値が読み取れない）"]  # fmt: skip
    viewpoints = next(i for i, row in enumerate(overview) if row[0] == "連携する視点")
    assert overview[viewpoints][7] == "評価なし"
    assert [overview[viewpoints + i][7] for i in range(1, 5)] == [1, 1, 1, 3]
    fields = wb["分野別集計"]
    assert fields.cell(5, 9).value == "評価なし"
    fire = next(r for r in range(6, fields.max_row) if fields.cell(r, 2).value == "消防防災")
    assert [fields.cell(fire, c).value for c in range(3, 10)] == [0, 0, 0, 0, 0, None, 1]
    note = next(fields.cell(r, 2).value for r in range(6, fields.max_row)
                if str(fields.cell(r, 2).value).startswith("【C、D】") and "評価なし" in str(fields.cell(r, 2).value))  # fmt: skip
    assert "広域消防事業「消防防災セミナー参加人数」（実績値なし）" in note
    grades = wb["達成状況一覧"]
    header = [c.value for c in grades[4]]
    reason = header.index("評価なしの理由（R6）") + 1
    by_number = {grades.cell(r, 1).value: grades.cell(r, reason).value for r in range(5, 39)}
    assert by_number[24] == "実績値なし" and by_number[1] is None


def test_why_a_kpi_has_no_grade() -> None:
    measure = Measure(name="施策", years=(2024, 2025), file="f.xlsx", sheet="s")
    kpi = Kpi(name="指標", target=Decimal(10), cells={"actual:2024": "B18", "target": "F8"})
    measure.kpis = [kpi]
    assert why_ungraded(measure, kpi, 2024) == "実績値なし"
    assert why_ungraded(measure, kpi, 2024, refused={"f.xlsx!s!B18"}) == "実績値が読み取れない"
    assert why_ungraded(measure, kpi, 2023) == "調書にR5の列なし"
    assert why_ungraded(measure, kpi, 2023, off_form="前年度の集計ブックに該当なし") == (
        "前年度の集計ブックに該当なし"
    )
    kpi.actuals[2024] = Decimal(5)
    kpi.target = None
    assert why_ungraded(measure, kpi, 2024, refused={"f.xlsx!s!F8"}) == "目標値が読み取れない"
    assert why_ungraded(measure, kpi, 2024) == "目標値なし"
    kpi.target = Decimal(0)
    assert why_ungraded(measure, kpi, 2024) == "目標値が0"
    kpi.target = Decimal(10)
    assert why_ungraded(measure, kpi, 2024, Rule(method=PROGRESS)) == "現状値なし"
    kpi.baseline = Decimal(10)
    assert why_ungraded(measure, kpi, 2024, Rule(method=PROGRESS)) == "目標値と現状値が同じ"
    kpi.actuals[2024] = Decimal(10) ** 17  # a digit too many: a ratio out of range
    grade_measure(measure)
    assert 2024 not in kpi.grades and why_ungraded(measure, kpi, 2024) == "達成率が範囲外"


def test_budget_totals_equal_the_seeds_budget_cells_summed(samples_result: MergeResult) -> None:
    budgets = budget_totals(samples_result.measures, samples_result.years)
    assert budgets.years == (2024, 2025, 2026, 2027, 2028) and budgets.blank == []
    for block in budgets.viewpoints[1:]:
        printed = BUDGETS_PRINTED[block.viewpoint]
        expected = [sum(row[i] for row in printed.values()) for i in range(5)]
        assert list(block.subtotal.by_year.values()) == expected, block.viewpoint
        assert block.subtotal.measures == len(printed)
    transport = dict(budgets.viewpoints[1].fields)["交通インフラの整備"]
    assert list(transport.by_year.values()) == [
        a + b for a, b in zip(BUDGETS_PRINTED["結びつきやネットワークの強化"][26],
                              BUDGETS_PRINTED["結びつきやネットワークの強化"][27], strict=True)
    ]  # fmt: skip


def test_the_budget_sheet_sums_the_measure_sheet(
    samples_result: MergeResult, tmp_path: Path
) -> None:
    path = tmp_path / "summary.xlsx"
    write_summary(samples_result, path)
    formulas = openpyxl.load_workbook(path)["事業費"]
    cached = openpyxl.load_workbook(path, data_only=True)["事業費"]
    assert [c.value for c in cached[4]] == ["連携する視点", "政策分野", "施策数",
                                           *(f"{y}年度（令和{y - 2018}年度）" for y in range(2024, 2029)),
                                           "計画期間の合計"]  # fmt: skip
    rows = {(r[0].value, r[1].value): [c.value for c in r[2:]] for r in cached.iter_rows(min_row=5)}
    network = BUDGETS_PRINTED["結びつきやネットワークの強化"]
    sums = [sum(row[i] for row in network.values()) for i in range(5)]
    assert rows[("結びつきやネットワークの強化", "小計")] == [7, *sums, sum(sums)]
    dx = BUDGETS_PRINTED["圏域マネジメント能力の強化"][33]
    assert rows[("圏域マネジメント能力の強化", "中心市等における人材育成")] == [1, *dx, sum(dx)]
    assert rows[("合計", "")][0] == 32
    medical = next(r for r in range(5, formulas.max_row + 1) if formulas.cell(r, 2).value == "医療")
    assert formulas.cell(medical, 4).value.startswith("=SUMPRODUCT((EXACT('施策データ'!$")


def test_a_blank_budget_year_is_named(tmp_path: Path) -> None:
    def edit(ws):  # type: ignore[no-untyped-def]
        ws["D15"] = None  # 広域消防事業's 2026 事業費

    result = merge([builders.sample(tmp_path / "05.xlsx", edit=edit)])
    budgets = budget_totals(result.measures, result.years)
    assert [(m.name, years) for m, years in budgets.blank] == [("広域消防事業", (2026,))]
    assert budgets.overall.by_year[2026] == 0
    write_summary(result, tmp_path / "summary.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "summary.xlsx")["事業費"]
    said = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "事業費が空欄の年度のある施策: 広域消防事業（R8）" in said


def test_review_candidates_from_the_samples(samples_result: MergeResult, tmp_path: Path) -> None:
    found = review_candidates(samples_result.measures, 2024, samples_result.rule)
    graded_a = [n for n, grades in GRADES_2024.items() for g in grades if g == "A"]
    assert [c.measure.number for c in found] == graded_a  # at the target is an A by the rule
    inbound = next(c for c in found if c.measure.number == 8)
    assert (inbound.first_year, inbound.final_year) == (2024, 2028)
    assert inbound.margin == INBOUND_ACTUAL - INBOUND_TARGET
    assert inbound.ratio == Fraction(INBOUND_ACTUAL, INBOUND_TARGET)
    write_summary(samples_result, tmp_path / "summary.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "summary.xlsx", data_only=True)["見直し候補"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5) if row[0].value]
    assert [row[0] for row in rows] == graded_a
    assert rows[graded_a.index(8)][5:] == ["人", INBOUND_TARGET, "R10", "R6", INBOUND_ACTUAL,
                                           INBOUND_ACTUAL - INBOUND_TARGET, 1.347]  # fmt: skip


def test_review_candidates_over_years_and_directions() -> None:
    def kpi(name: str, actuals: dict[int, int], target: int, direction: str = "") -> Kpi:
        return Kpi(name=name, target=Decimal(target), direction=direction,
                   actuals={y: Decimal(a) for y, a in actuals.items()})  # fmt: skip

    measure = Measure(name="施策", years=(2024, 2025, 2026, 2027, 2028), target_year=2028)
    measure.kpis = [
        kpi("早くから", {2024: 120, 2025: 130}, 100),
        kpi("今年から", {2024: 90, 2025: 100}, 100),
        kpi("去年だけ", {2024: 110, 2025: 95}, 100),
        kpi("少ない方が良い", {2024: 12, 2025: 8}, 10, "lower"),
    ]
    found = {c.kpi.name: (c.first_year, c.margin) for c in review_candidates([measure], 2025)}
    assert found == {"早くから": (2024, 30), "今年から": (2025, 0), "少ない方が良い": (2025, 2)}
    assert review_candidates([measure], 2028) == []  # the final year: the target is due
