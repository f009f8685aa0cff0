"""Returns as departments really fill them: one fixture per situation, named after it.

Seed-table fixtures keep the FY2024 forms' cells as printed; cell references below
are those of the printed tables (row 1 = the table's first row, column A = its
first column). Table 1 (休日・夜間診療体制確保事業): B6 現状値, D6 目標値,
row 10 事業費, B13 the FY2024 実績値.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import msoffcrypto.format.ooxml
import openpyxl
import pytest
import python_calamine

import builders
from conftest import ROOT
from xlkpi.merge import MergeResult, merge
from xlkpi.model import Measure

OFFICE = ROOT / "tests" / "fixtures" / "office"


def merged(*paths: Path) -> MergeResult:
    return merge(list(paths))


def only(result: MergeResult) -> Measure:
    [measure] = result.measures
    return measure


def problems(result: MergeResult) -> list[tuple[str, str, str]]:
    return [(p.sheet, p.cell, p.code) for p in result.report.problems]


# --- 1. The seed's own quirks ---------------------------------------------------------


def test_seed_tables_as_printed_warn_on_each_irregular_form(seed_result: MergeResult) -> None:
    report = seed_result.report
    assert report.errors == []
    warned = {int(p.sheet) for p in report.warnings}
    # 3, 4: 施策名 holds the viewpoint; 9-12, 32, 33: actual typed into the year header;
    # 23: two KPIs in one cell, one target in an unlabelled cell, no baseline; 33: two KPIs.
    assert warned == {3, 4, 9, 10, 11, 12, 23, 32, 33}
    assert sorted(set(report.codes())) == [
        "baseline-missing",
        "layout-irregular",
        "name-from-title",
    ]


def test_form_below_a_title_and_right_of_the_margin(tmp_path: Path) -> None:
    def title(ws):  # type: ignore[no-untyped-def]
        ws["C2"] = "令和6年度 成果指標（KPI）実績調書"

    result = merged(builders.seed_form(tmp_path / "offset.xlsx", 9, title, top=3, left=2))
    measure = only(result)
    assert measure.name == "観光地間二次交通整備事業"
    assert measure.kpis[0].actuals == {2024: 1195}
    assert measure.kpis[0].cells == {"baseline": "D9", "target": "F9", "actual:2024": "D15"}
    assert problems(result) == [("9", "D15", "layout-irregular")]


def test_first_row_holds_the_name_and_the_name_row_the_viewpoint(tmp_path: Path) -> None:
    result = merged(builders.seed_form(tmp_path / "kosodate.xlsx", 3))
    assert only(result).name == "子育て世代の負担軽減事業"
    assert problems(result) == [("3", "B2", "name-from-title")]
    assert (
        "表題の「子育て世代の負担軽減事業」を施策名としました" in result.report.problems[0].message
    )


def test_title_row_then_a_proper_name_row(tmp_path: Path) -> None:
    result = merged(builders.seed_form(tmp_path / "tabunka.xlsx", 29))
    assert only(result).name == "多文化共生推進事業"
    assert problems(result) == []


def test_label_variants_full_width_and_spacing(tmp_path: Path) -> None:
    def variants(ws):  # type: ignore[no-untyped-def]
        ws["A2"] = "連携する事項"
        ws["A3"] = "政策の内容"
        ws["A5"] = "成果指標（ＫＰＩ）"
        ws["A6"] = "現状値（２０２２（Ｒ４）年度）"
        ws["C6"] = "目標値 (2028年 (R10) 度)"
        ws["A10"] = "事業費(千円)"
        ws["A14"] = "２０２４年度評価"

    measure = only(merged(builders.seed_form(tmp_path / "labels.xlsx", 1, variants)))
    assert (measure.viewpoint, measure.texts["development"]) == (
        "生活機能の強化",
        "地域保健医療体制の充実",
    )
    assert (measure.base_year, measure.target_year, measure.evaluation_year) == (2022, 2028, 2024)
    assert measure.kpis[0].grades == {2024: "A"}
    assert measure.budgets[2024] == 48221


def test_actual_written_into_the_year_header(tmp_path: Path) -> None:
    result = merged(builders.seed_form(tmp_path / "header.xlsx", 9))
    kpi = only(result).kpis[0]
    assert (kpi.actuals, kpi.grades) == ({2024: 1195}, {2024: "C"})  # 1195 / 2000 = 59.75 %
    assert problems(result) == [("9", "B12", "layout-irregular")]


def test_two_kpis_in_one_cell(tmp_path: Path) -> None:
    result = merged(builders.seed_form(tmp_path / "dx.xlsx", 33))
    kpis = only(result).kpis
    assert [(k.name, k.baseline, k.target, k.actuals[2024], k.grades[2024]) for k in kpis] == [
        ("スマートフォン講座の参加者数", 47, 100, 636, "A"),
        ("職員研修の参加者数", 98, 130, 127, "B"),  # 127 / 130 = 97.7 %
    ]
    assert problems(result) == [("33", "B5", "layout-irregular"), ("33", "B12", "layout-irregular")]


def test_two_kpis_on_rows_under_the_actuals_and_an_unlabelled_target(tmp_path: Path) -> None:
    result = merged(builders.seed_form(tmp_path / "isan.xlsx", 23))
    first, second = only(result).kpis
    assert (first.unit, first.baseline, first.target, first.actuals) == (
        "人/年",
        28108,
        29000,
        {2024: 26291},
    )
    assert (second.unit, second.baseline, second.target, second.actuals) == (
        "%",
        None,
        15,
        {2024: 11},
    )
    assert second.ratios[2024] == Fraction(11, 15)
    assert (first.grades, second.grades) == ({2024: "B"}, {2024: "C"})  # 90.7 %, 73.3 %
    assert problems(result) == [
        ("23", "E6", "layout-irregular"),  # 15% beside the target, under no label
        ("23", "B5", "layout-irregular"),  # two KPI names in one cell
        ("23", "E6", "baseline-missing"),
    ]


def test_blank_future_actuals_and_values_without_units(tmp_path: Path) -> None:
    result = merged(builders.seed_form(tmp_path / "six.xlsx", 15))
    kpi = only(result).kpis[0]
    assert (kpi.unit, kpi.baseline, kpi.target, kpi.actuals, kpi.grades) == (
        "",
        18,
        38,
        {2024: 21},
        {2024: "C"},
    )
    assert only(result).years == (2024, 2025, 2026, 2027, 2028)
    assert problems(result) == []


@pytest.mark.parametrize(
    ("number", "unit"),
    [(2, "人"), (13, "社"), (18, "回"), (32, "組"), (26, "台"), (1, "%"), (23, "人/年")],
)
def test_units(tmp_path: Path, number: int, unit: str) -> None:
    assert only(merged(builders.seed_form(tmp_path / "u.xlsx", number))).kpis[0].unit == unit


# --- 2. What Excel users do ------------------------------------------------------------


def test_numbers_typed_as_numbers(tmp_path: Path) -> None:
    def numbers(ws):  # type: ignore[no-untyped-def]
        ws["B6"], ws["D6"], ws["B13"] = 10, 15, 14

    kpi = only(merged(builders.seed_form(tmp_path / "n.xlsx", 1, numbers))).kpis[0]
    assert (kpi.baseline, kpi.target, kpi.actuals, kpi.grades) == (10, 15, {2024: 14}, {2024: "B"})


def test_percent_formatted_cells(tmp_path: Path) -> None:
    def percent(ws):  # type: ignore[no-untyped-def]
        ws["B13"] = 0.584  # "58.4%" typed into a General cell
        ws["B13"].number_format = "0.0%"
        ws["B6"] = 0.574
        ws["B6"].number_format = "0%"

    kpi = only(merged(builders.seed_form(tmp_path / "p.xlsx", 27, percent))).kpis[0]
    assert (kpi.unit, kpi.baseline, kpi.target, kpi.actuals) == (
        "%",
        Decimal("57.4"),
        Decimal("58.1"),
        {2024: Decimal("58.4")},
    )
    assert kpi.grades == {2024: "A"}


def test_a_fraction_typed_for_a_percent_is_read_as_that_percent(tmp_path: Path) -> None:
    def fraction(ws):  # type: ignore[no-untyped-def]
        ws["B13"] = 0.584  # General format: the department meant 58.4 %

    result = merged(builders.seed_form(tmp_path / "f.xlsx", 27, fraction))
    # It was graded D as 0.584 % (a warning, exit 0): the published 58.4 / 58.1 is A.
    assert only(result).kpis[0].actuals == {2024: Decimal("58.4")}
    assert only(result).kpis[0].grades == {2024: "A"}
    assert problems(result) == [("27", "B13", "percent-as-fraction")]
    assert result.report.problems[0].message.endswith(
        "2024年度の実績値が 0.584 と小数で入力されています。58.4% として扱いました。"
    )


def test_a_target_or_baseline_typed_as_a_fraction_is_read_as_that_percent(
    tmp_path: Path,
) -> None:
    def fraction(ws):  # type: ignore[no-untyped-def]
        ws["D6"], ws["B13"] = 0.581, "40%"  # target 58.1 % typed as a fraction

    result = merged(builders.seed_form(tmp_path / "t.xlsx", 27, fraction))
    kpi = only(result).kpis[0]
    # 40 / 0.581 was graded A (6,884 %) with no word; 40 / 58.1 = 68.8 % is C.
    assert (kpi.baseline, kpi.target, kpi.grades) == (Decimal("57.4"), Decimal("58.1"), {2024: "C"})
    assert problems(result) == [("27", "D6", "percent-as-fraction")]
    assert "目標値が 0.581 と小数で" in result.report.problems[0].message

    def baseline(ws):  # type: ignore[no-untyped-def]
        ws["B6"] = 0.574

    result = merged(builders.seed_form(tmp_path / "b.xlsx", 27, baseline))
    assert only(result).kpis[0].baseline == Decimal("57.4")
    assert problems(result) == [("27", "B6", "percent-as-fraction")]


def test_a_percent_typed_explicitly_is_never_scaled(tmp_path: Path) -> None:
    def explicit(ws):  # type: ignore[no-untyped-def]
        ws["B13"] = "0.584%"  # typed with its sign: told, but read as typed

    result = merged(builders.seed_form(tmp_path / "e.xlsx", 27, explicit))
    assert only(result).kpis[0].actuals == {2024: Decimal("0.584")}
    assert problems(result) == [("27", "B13", "percent-as-fraction")]


def test_a_small_percent_is_kept_as_typed_and_flagged(tmp_path: Path) -> None:
    def small(ws):  # type: ignore[no-untyped-def]
        ws["B6"], ws["D6"], ws["B13"] = "1.5%", "2.0%", 0.8  # 0.8 % beside a 2 % target

    result = merged(builders.seed_form(tmp_path / "s.xlsx", 27, small))
    assert only(result).kpis[0].actuals == {2024: Decimal("0.8")}
    assert only(result).kpis[0].grades == {2024: "D"}  # 0.8 / 2.0 = 40 %
    assert problems(result) == [("27", "B13", "percent-as-fraction")]
    assert result.report.problems[0].message.endswith("そのまま 0.8% として扱いました。")


def test_full_width_digits_and_signs(tmp_path: Path) -> None:
    def wide(ws):  # type: ignore[no-untyped-def]
        ws["B6"], ws["D6"], ws["B13"] = "８４％", "１００％", "８４％"

    kpi = only(merged(builders.seed_form(tmp_path / "w.xlsx", 1, wide))).kpis[0]
    assert (kpi.baseline, kpi.target, kpi.actuals, kpi.grades) == (84, 100, {2024: 84}, {2024: "B"})


def test_triangle_negatives(tmp_path: Path) -> None:
    def negative(ws):  # type: ignore[no-untyped-def]
        ws["B6"], ws["C10"] = "▲12人", "△1,000"

    measure = only(merged(builders.seed_form(tmp_path / "neg.xlsx", 2, negative)))
    assert (measure.kpis[0].baseline, measure.budgets[2025]) == (-12, -1000)


@pytest.mark.parametrize("marker", ["－", "―", "ー", "-", "—"])
def test_blank_markers(tmp_path: Path, marker: str) -> None:
    def blank(ws):  # type: ignore[no-untyped-def]
        ws["C13"] = marker  # FY2025, not yet known

    result = merged(builders.seed_form(tmp_path / "b.xlsx", 1, blank))
    assert only(result).kpis[0].actuals == {2024: 84}
    assert problems(result) == []


def test_merged_value_cells_are_read_through_their_anchor(tmp_path: Path) -> None:
    def merge_values(ws):  # type: ignore[no-untyped-def]
        ws.move_range("A14:F15", rows=1)  # (moved first: openpyxl drops text under a merge)
        ws.merge_cells("B13:B14")  # the 2024 actual spans two rows

    result = merged(builders.seed_form(tmp_path / "m.xlsx", 1, merge_values))
    assert only(result).kpis[0].actuals == {2024: 84}
    assert problems(result) == []


def test_formula_with_a_cached_value(tmp_path: Path) -> None:
    path = builders.seed_form(tmp_path / "cached.xlsx", 2, lambda ws: ws.__setitem__("B13", "=7*2"))
    builders.recalc_done_by_excel(builders.cache_formula(path, "B13", "14"))
    result = merged(path)
    assert only(result).kpis[0].actuals == {2024: 14}
    assert problems(result) == [("2", "B13", "formula-cached")]
    assert "=7*2" in result.report.problems[0].message


def test_formula_without_a_cached_value_names_the_cell(tmp_path: Path) -> None:
    result = merged(
        builders.seed_form(tmp_path / "nocache.xlsx", 2, lambda ws: ws.__setitem__("B13", "=7*2"))
    )
    assert only(result).kpis[0].actuals == {}
    assert problems(result) == [("2", "B13", "formula-no-value")]


def test_formula_cache_written_by_a_non_excel_tool_is_not_trusted(tmp_path: Path) -> None:
    # openpyxl and XlsxWriter set fullCalcOnLoad: the cached result is not Excel's.
    path = builders.seed_form(tmp_path / "xw.xlsx", 2, lambda ws: ws.__setitem__("B13", "=7*2"))
    builders.cache_formula(path, "B13", "0")
    result = merged(path)
    assert only(result).kpis[0].actuals == {}
    assert problems(result)[0] == ("2", "B13", "formula-untrusted")


@pytest.mark.parametrize("error", ["#DIV/0!", "#N/A"])
def test_error_cells(tmp_path: Path, error: str) -> None:
    result = merged(
        builders.seed_form(tmp_path / "e.xlsx", 2, lambda ws: ws.__setitem__("B13", error))
    )
    assert only(result).kpis[0].actuals == {}
    assert problems(result)[0] == ("2", "B13", "cell-error")
    assert error in result.report.problems[0].message


@pytest.mark.parametrize(
    ("value", "code"), [(True, "value-boolean"), (dt.datetime(2024, 3, 31), "value-date")]
)
def test_booleans_and_dates_are_never_numbers(tmp_path: Path, value: object, code: str) -> None:
    result = merged(
        builders.seed_form(tmp_path / "t.xlsx", 2, lambda ws: ws.__setitem__("D6", value))
    )
    assert only(result).kpis[0].target is None
    assert problems(result)[0] == ("2", "D6", code)


def test_spaces_and_line_breaks(tmp_path: Path) -> None:
    def spaces(ws):  # type: ignore[no-untyped-def]
        ws["B1"] = "  地域医療確保対策事業 \n"
        ws["B5"] = "\n医師・医療介護従事者修学資金貸付修学者のうち、市内就職者数  "
        ws["B13"] = " 14人\n"

    measure = only(merged(builders.seed_form(tmp_path / "s.xlsx", 2, spaces)))
    assert measure.name == "地域医療確保対策事業"
    assert measure.kpis[0].name == "医師・医療介護従事者修学資金貸付修学者のうち、市内就職者数"
    assert measure.kpis[0].actuals == {2024: 14}


def test_furigana_runs_are_not_glued_onto_the_text(tmp_path: Path) -> None:
    path = builders.seed_form(tmp_path / "ruby.xlsx", 2)

    def ruby(xml: bytes) -> bytes:
        return xml.replace(
            "<is><t>地域医療確保対策事業</t></is>".encode(),
            '<is><r><t>地域医療確保対策事業</t></r><rPh sb="0" eb="2"><t>チイキ</t></rPh>'
            '<phoneticPr fontId="0"/></is>'.encode(),
        )

    builders.patch(path, "xl/worksheets/sheet1.xml", ruby)
    assert only(merged(path)).name == "地域医療確保対策事業"


def typed_over(tmp_path: Path, cells: dict[str, object]) -> MergeResult:
    """Sample 05 (template layout, one measure on sheet 施策24) with these cells typed over."""

    def edit(ws):  # type: ignore[no-untyped-def]
        for ref, value in cells.items():
            ws[ref] = value

    return merged(builders.sample(tmp_path / "edited.xlsx", edit=edit))


# Sample 05 fills 指標1 (row 8, actuals row 18); this fills 指標3 and leaves 指標2 blank.
THIRD_KPI = {"B10": "自主防災組織数", "D10": "団体", "E10": 5, "F10": 10, "B20": 7}  # 7/10: C


def test_an_actual_in_another_unit_is_not_graded(tmp_path: Path) -> None:
    """86.1% typed for a count of people is the 達成率, not the actual: no D in the tallies."""
    result = typed_over(tmp_path, {"B18": "86.1%"})
    [kpi] = only(result).kpis
    assert (kpi.actuals, kpi.grades) == ({}, {})
    assert problems(result) == [("施策24", "B18", "unit-mismatch")]
    assert "読み取っていません" in result.report.problems[0].message


def test_a_target_in_another_unit_is_not_used(tmp_path: Path) -> None:
    result = typed_over(tmp_path, {"F8": "12000件"})
    [kpi] = only(result).kpis
    assert (kpi.target, kpi.grades) == (None, {})
    assert problems(result) == [("施策24", "F8", "unit-mismatch")]  # refused, so not missing


def test_a_unit_per_year_agrees_with_the_unit(tmp_path: Path) -> None:
    result = typed_over(tmp_path, {"B18": "10,334人/年"})
    assert only(result).kpis[0].grades == {2024: "B"}  # 10334 / 12000 = 86.1 %
    assert problems(result) == []


def test_a_value_with_a_note_is_read_and_the_note_named(tmp_path: Path) -> None:
    """「10,334人（速報値）」 was an error and left the KPI ungraded; the value is the actual."""
    result = typed_over(tmp_path, {"B18": "10,334人（速報値）"})
    assert only(result).kpis[0].grades == {2024: "B"}  # 10334 / 12000 = 86.1 %
    assert only(result).kpis[0].notes == {2024: "速報値"}  # shown beside the grade
    assert problems(result) == [("施策24", "B18", "value-note")]
    [note] = result.report.problems
    assert "「速報値」を注記とみなし、10,334人 として読み取りました" in note.message
    assert result.report.ok


def test_a_note_on_a_line_of_its_own(tmp_path: Path) -> None:
    result = typed_over(tmp_path, {"B18": "約10,334人\n（速報値）"})
    assert only(result).kpis[0].grades == {2024: "B"}
    [note] = result.report.problems
    assert note.message == (
        "「約10,334人 （速報値）」のうち「約、速報値」を注記とみなし、10,334人 として読み取りました。"
    )


def test_a_target_as_a_floor_or_a_ceiling(tmp_path: Path) -> None:
    """「12,000人以上」 is the target 12,000; 「12,000人以下」 would make less better: not guessed."""
    floor = typed_over(tmp_path, {"F8": "12,000人以上"})
    assert (only(floor).kpis[0].target, only(floor).kpis[0].grades) == (12000, {2024: "B"})
    assert only(floor).kpis[0].notes == {}  # only an actual's note is shown beside its grade
    assert problems(floor) == [("施策24", "F8", "value-note")]
    ceiling = typed_over(tmp_path, {"F8": "12,000人以下"})
    assert only(ceiling).kpis[0].grades == {}
    assert problems(ceiling) == [("施策24", "F8", "value-at-most")]  # refused, not missing
    assert "[direction]" in ceiling.report.problems[0].hint


def test_a_target_range_is_named_as_a_range(tmp_path: Path) -> None:
    """「11,000～12,000人」 is not graded against either end, and the message says why."""
    result = typed_over(tmp_path, {"F8": "11,000～12,000人"})
    assert only(result).kpis[0].grades == {}
    assert problems(result) == [("施策24", "F8", "value-range")]  # refused, so not also missing
    assert result.report.problems[0].message == (
        "「11,000～12,000人」は範囲の書き方のため、数値として読み取っていません。"
    )


def test_a_target_in_ten_thousands(tmp_path: Path) -> None:
    result = typed_over(tmp_path, {"F8": "1.2万人"})
    [kpi] = only(result).kpis
    assert (kpi.target, kpi.grades) == (12000, {2024: "B"})
    assert problems(result) == []


def test_a_note_beside_an_actual_in_the_year_header(tmp_path: Path) -> None:
    def edit(ws):  # type: ignore[no-untyped-def]
        ws["B12"] = "2024 (R6) 1,195人（速報値）"

    result = merged(builders.seed_form(tmp_path / "header.xlsx", 9, edit=edit))
    kpi = only(result).kpis[0]
    assert (kpi.actuals, kpi.grades) == ({2024: 1195}, {2024: "C"})  # 1195 / 2000 = 59.75 %
    assert kpi.notes == {2024: "速報値"}
    assert problems(result) == [("9", "B12", "layout-irregular"), ("9", "B12", "value-note")]


def test_kpi_rows_left_blank_between_filled_ones(tmp_path: Path) -> None:
    """指標1 and 指標3 filled, 指標2 blank: each KPI meets its own actuals row."""
    result = typed_over(tmp_path, THIRD_KPI)
    # 10334 / 12000 = 86.1 % -> B
    assert [(k.name, k.actuals, k.grades) for k in only(result).kpis] == [
        ("消防防災セミナー参加人数", {2024: 10334}, {2024: "B"}),
        ("自主防災組織数", {2024: 7}, {2024: "C"}),
    ]
    assert problems(result) == []


def test_a_missing_actual_names_the_cell_it_belongs_in(tmp_path: Path) -> None:
    """指標3 has a target but no 2024 actual: the warning points at its empty cell."""
    result = typed_over(tmp_path, {k: v for k, v in THIRD_KPI.items() if k != "B20"})
    assert problems(result) == [("施策24", "B20", "actual-missing")]
    assert result.report.problems[0].where == "edited.xlsx!施策24!B20"


def test_a_value_in_a_blank_kpis_actuals_row_is_not_given_to_the_next_kpi(tmp_path: Path) -> None:
    """指標2 has no name but a 2024 actual: an error there, never 指標3's actual."""
    result = typed_over(tmp_path, {**THIRD_KPI, "B19": 12})
    assert [(k.actuals, k.grades) for k in only(result).kpis][1] == ({2024: 7}, {2024: "C"})
    assert problems(result) == [("施策24", "B19", "kpi-name-missing")]


def test_a_kpi_row_copied_with_its_number(tmp_path: Path) -> None:
    """Two rows labelled 指標1 (a row copied in Excel): both read, in order, and told."""
    copied = {"A9": "指標1", "B9": "自主防災組織数", "D9": "団体", "E9": 5, "F9": 10, "B19": 9}
    result = typed_over(tmp_path, copied)
    assert [(k.name, k.actuals) for k in only(result).kpis] == [
        ("消防防災セミナー参加人数", {2024: 10334}),
        ("自主防災組織数", {2024: 9}),
    ]
    assert problems(result) == [("施策24", "A9", "layout-irregular")]
    [warning] = result.report.problems
    assert "「指標1」の番号が上の行と重複" in warning.message


def test_an_actuals_row_copied_with_its_number(tmp_path: Path) -> None:
    """Two actuals rows labelled 指標1: the first is not overwritten by the second."""
    copied = {"B9": "自主防災組織数", "D9": "団体", "E9": 5, "F9": 10, "A19": "指標1", "B19": 9}
    result = typed_over(tmp_path, copied)
    assert [k.actuals for k in only(result).kpis] == [{2024: 10334}, {2024: 9}]
    assert problems(result) == [("施策24", "A19", "layout-irregular")]


@pytest.mark.parametrize(
    ("viewpoint", "expected"),
    [
        ("生活機能強化", [("施策24", "B4", "viewpoint-unknown")]),  # named at the value, not A4
        ("結びつきやネットワークの強化", [("施策24", "E4", "policy-field-other-viewpoint")]),
        ("生活機能の強化", []),
    ],
)
def test_viewpoint_and_policy_field_are_checked_together(
    tmp_path: Path, viewpoint: str, expected: list[tuple[str, str, str]]
) -> None:
    """消防防災 is a field of 生活機能の強化: another viewpoint with it is a slip in the list."""
    result = typed_over(tmp_path, {"B4": viewpoint})
    assert problems(result) == expected
    assert only(result).viewpoint == viewpoint  # tallied as written
    if expected and expected[0][2] == "policy-field-other-viewpoint":
        [warning] = result.report.problems
        assert "消防防災」は連携する視点「生活機能の強化」の分野" in warning.message


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("①", []),
        (1, []),  # typed as a number
        ("(1)", []),
        ("指標１（人）", []),
        ("消防防災セミナー参加人数", [("施策24", "A18", "layout-irregular")]),
        ("消防防災セミナー参加人数（人）", [("施策24", "A18", "layout-irregular")]),
    ],
)
def test_actuals_row_headed_otherwise_than_its_kpi_number(
    tmp_path: Path, head: object, expected: list[tuple[str, str, str]]
) -> None:
    """The 指標1 head of the actuals row retyped: its value (10334 -> B) is still 指標1's."""
    result = typed_over(tmp_path, {"A18": head})
    assert [(k.actuals, k.grades) for k in only(result).kpis] == [({2024: 10334}, {2024: "B"})]
    assert problems(result) == expected


def test_an_actuals_row_of_no_known_kpi_is_an_error_not_a_silent_drop(tmp_path: Path) -> None:
    result = typed_over(tmp_path, {"A18": "備考"})
    assert only(result).kpis[0].actuals == {}
    assert problems(result) == [("施策24", "A18", "actual-row-unknown")]
    assert result.report.errors


def test_a_kpi_name_typed_over_its_head_is_its_name(tmp_path: Path) -> None:
    """指標2's head overwritten with the KPI's name, 指標名 left empty: the head is the name."""
    typed = {"A9": "自主防災組織数", "D9": "団体", "E9": 5, "F9": 10, "B19": 9}
    result = typed_over(tmp_path, typed)
    assert [(k.name, k.grades) for k in only(result).kpis][1] == ("自主防災組織数", {2024: "B"})
    assert problems(result) == [("施策24", "A9", "layout-irregular")]
    assert "「自主防災組織数」を指標2の名前として" in result.report.problems[0].message


def test_kpi_table_rows_numbered_as_numbers(tmp_path: Path) -> None:
    result = typed_over(tmp_path, {"A8": 1, "A9": 2, "A10": 3})
    assert [(k.name, k.grades) for k in only(result).kpis] == [
        ("消防防災セミナー参加人数", {2024: "B"})
    ]
    assert problems(result) == []


def test_kpi_rows_under_other_heads_are_read_or_named(tmp_path: Path) -> None:
    """A KPI added under a head of the department's own is read; a note row is named."""
    added = {"A9": "追加指標", "B9": "自主防災組織数", "D9": "団体", "E9": 5, "F9": 10}
    note = {"A10": "メモ", "B10": "来年度から指標を追加予定"}
    result = typed_over(tmp_path, {**added, "B19": 9, **note})  # 9 / 10 = 90 % -> B
    assert [(k.name, k.target, k.grades) for k in only(result).kpis] == [
        ("消防防災セミナー参加人数", 12000, {2024: "B"}),
        ("自主防災組織数", 10, {2024: "B"}),
    ]
    assert problems(result) == [
        ("施策24", "A9", "layout-irregular"),
        ("施策24", "A10", "layout-irregular"),
    ]
    read, unread = (p.message for p in result.report.problems)
    assert "「追加指標」の行を指標2として読み取りました" in read
    assert "「メモ」の行は、現状値も目標値もないため指標として読み取っていません" in unread


@pytest.mark.parametrize(
    ("typed", "budget", "expected"),
    [
        ("242,227", 242227, []),
        ("242,227千円", 242227, []),
        ("242,227,000円", 242227, [("施策24", "B15", "budget-in-yen")]),  # not 1,000 x too much
        ("242,227,500円", Decimal("242227.5"), [("施策24", "B15", "budget-in-yen")]),
        ("242,227人", None, [("施策24", "B15", "budget-unit")]),
        ("242,227%", None, [("施策24", "B15", "budget-unit")]),
    ],
)
def test_budgets_are_in_thousands_of_yen(
    tmp_path: Path, typed: str, budget: object, expected: list[tuple[str, str, str]]
) -> None:
    result = typed_over(tmp_path, {"B15": typed})  # 事業費 (千円), 2024
    assert only(result).budgets.get(2024) == budget
    assert only(result).budgets[2025] == 781987  # the next year's, as typed
    assert problems(result) == expected


def test_values_in_no_field_of_the_form_are_told(tmp_path: Path) -> None:
    """Beside the KPI table and below the form: not read, and said so in one warning."""
    below = {"A30": "※速報値", "B31": 1, "C32": 2, "D33": 3}
    result = typed_over(tmp_path, {"G8": 9999, **below})  # G8: right of 指標1's target
    assert only(result).kpis[0].target == 12000
    assert problems(result) == [("施策24", "G8", "cell-not-read")]
    [warning] = result.report.problems
    assert "G8「9999」、A30「※速報値」、B31「1」 ほか 2 件" in warning.message


def test_a_value_right_of_the_form_is_not_joined_into_a_text_field(tmp_path: Path) -> None:
    """G3 and G11, right of the form's last year column (F): they were joined into 施策名 and
    関係市町 (「広域消防事業\n9999」), with no word."""
    result = typed_over(tmp_path, {"G3": 9999, "G11": "メモ"})
    measure = only(result)
    assert (measure.name, measure.texts["municipalities"]) == ("広域消防事業", "一関市 平泉町")
    assert problems(result) == [("施策24", "G3", "cell-not-read")]
    assert "G3「9999」、G11「メモ」" in result.report.problems[0].message


@pytest.mark.parametrize("head", ["実績値", "実績値 (R6)"])
def test_a_column_headed_like_a_field_beside_the_kpi_table(tmp_path: Path, head: str) -> None:
    """「実績値」 typed as a head right of the KPI table took the place of the 実績値 grid:
    every actual was lost. The form's own label, in its label column, is the one read."""
    result = typed_over(tmp_path, {"G7": head, "G8": 10334})
    assert only(result).kpis[0].grades == {2024: "B"}
    assert problems(result) == [("施策24", "G8", "cell-not-read")]


def test_a_year_header_pasted_twice_never_overwrites_the_first(tmp_path: Path) -> None:
    """2024 (R6) over both B and C: C's value was taken as 2024's, and 2025 vanished."""
    actuals = {"C17": "2024 (R6)", "C18": 5000}
    result = typed_over(tmp_path, {**actuals, "C14": "2024 (R6)"})  # C14: over the 事業費 row
    measure = only(result)
    assert measure.kpis[0].actuals == {2024: 10334} and measure.kpis[0].grades == {2024: "B"}
    assert measure.years == (2024, 2026, 2027, 2028)
    assert measure.budgets == {2024: 242227, 2026: 231217, 2027: 231217, 2028: 231217}
    assert problems(result) == [
        ("施策24", "C14", "year-repeated"),
        ("施策24", "C15", "value-outside-years"),
        ("施策24", "C17", "year-repeated"),
        ("施策24", "C18", "value-outside-years"),
    ]


def test_values_in_hidden_rows_and_columns_are_read_and_told(tmp_path: Path) -> None:
    def hide(ws):  # type: ignore[no-untyped-def]
        ws["B9"], ws["D9"], ws["E9"], ws["F9"], ws["B19"] = "救急出動件数", "件", 5000, 5500, 5200
        for row in (9, 10, 19, 20):  # 指標2 filled, 指標3 blank: both rows hidden
            ws.row_dimensions[row].hidden = True
        ws.column_dimensions["G"].hidden = True  # right of the form: nothing there

    result = merged(builders.sample(tmp_path / "05.xlsx", edit=hide))
    kpis = only(result).kpis
    assert [(k.name, k.grades) for k in kpis] == [
        ("消防防災セミナー参加人数", {2024: "B"}),
        ("救急出動件数", {2024: "B"}),  # the form on screen shows no second KPI
    ]
    assert problems(result) == [("施策24", "B9", "hidden-cells-read")]
    assert "B9「救急出動件数」、D9「件」、E9「5000」 ほか 2 件" in result.report.problems[0].message


def test_hidden_rows_placed_by_counting(tmp_path: Path) -> None:
    def hide(ws):  # type: ignore[no-untyped-def]
        ws.row_dimensions[18].hidden = True  # 指標1's actuals

    path = builders.place_by_counting(builders.sample(tmp_path / "05.xlsx", edit=hide),
                                      "xl/worksheets/sheet2.xml")  # fmt: skip
    assert problems(merged(path)) == [("施策24", "B18", "hidden-cells-read")]


def test_fields_left_blank_or_deleted_are_told(tmp_path: Path) -> None:
    """The report prints every field: a return without its 年度評価 passed with no word."""
    blank = {ref: None for ref in ("B15", "C15", "D15", "E15", "F15", "B16", "B21")}
    result = typed_over(tmp_path, {**blank, "A22": None, "B22": None})  # 次年度以降の取組: deleted
    assert only(result).kpis[0].grades == {2024: "B"}
    assert problems(result) == [("施策24", "A16", "fields-blank")]
    assert result.report.problems[0].message == (
        "記入されていない欄があります: 役割分担、年度評価、次年度以降の取組、事業費 (千円)。"
    )


@pytest.mark.parametrize("head", ["R{r}実績", "{y}年度(実績)", "令和{r}年度実績値"])
def test_year_headers_that_repeat_the_label(tmp_path: Path, head: str) -> None:
    """「R6実績」 over the actuals read as the label 実績 again: the grid had no year columns,
    and 10334 was 「年度の見出しがない列に値」 (an error)."""
    headers = {f"{c}17": head.format(y=2024 + i, r=6 + i) for i, c in enumerate("BCDEF")}
    result = typed_over(tmp_path, headers)
    assert only(result).kpis[0].grades == {2024: "B"}
    assert problems(result) == []


def test_a_date_typed_as_a_year_header_is_named_not_misread(tmp_path: Path) -> None:
    """Excel turns 「2026/3/31」 into a date; fiscal 2025 ends that day, so it is no year."""
    dates = {"C14": dt.datetime(2026, 3, 31), "B17": dt.datetime(2024, 4, 1)}
    result = typed_over(tmp_path, dates)
    measure = only(result)
    # It was read as 2026: year-repeated named D14, the right header, and 2025 vanished.
    assert measure.budgets == {2024: 242227, 2026: 231217, 2027: 231217, 2028: 231217}
    assert measure.kpis[0].actuals == {}
    assert problems(result) == [
        ("施策24", "C14", "year-header-invalid"),
        ("施策24", "C15", "value-outside-years"),
        ("施策24", "B17", "year-header-invalid"),
        ("施策24", "B18", "value-outside-years"),
    ]


# Each of the form's own checks, on sample 05's 施策24, with the cell it names.
FORM_CHECKS = {
    "number-invalid": ({"B2": "24-1"}, [("B2", "number-invalid")]),
    "viewpoint-missing": ({"B4": None}, [("A4", "viewpoint-missing")]),
    "policy-field-missing": ({"E4": None}, [("D4", "policy-field-missing")]),
    "policy-field-unknown": ({"E4": "宇宙開発"}, [("E4", "policy-field-unknown")]),
    "kpi-count-mismatch": (  # two targets for one KPI: neither is taken
        {"F8": "12000 13000"},
        [("F8", "kpi-count-mismatch"), ("F8", "target-missing")],
    ),
    "direction-unknown": ({"G7": "方向", "G8": "たぶん上"}, [("G8", "direction-unknown")]),
    "year-mismatch": (  # 2024 is R6: the column is not read, and its actual is named
        {"B17": "2024 (R7)"},
        [("B17", "year-mismatch"), ("B18", "value-outside-years")],
    ),
    "kpi-missing": (
        {"B8": None, "D8": None, "E8": None, "F8": None, "B18": None},
        [("A7", "kpi-missing")],
    ),
    "form-incomplete": ({"A17": None}, [("A2", "form-incomplete")]),  # the 実績値 label deleted
}


@pytest.mark.parametrize("code", FORM_CHECKS)
def test_each_check_of_the_form_names_its_cell(tmp_path: Path, code: str) -> None:
    cells, expected = FORM_CHECKS[code]
    result = typed_over(tmp_path, cells)
    assert problems(result) == [("施策24", cell, found) for cell, found in expected]


@pytest.mark.parametrize(
    ("viewpoint", "policy_field"),
    [
        ("(1) 生活機能の強化", "① 消防防災"),
        ("（１）生活機能の強化", "ア 消防防災"),
        ("1. 生活機能の強化", "消防防災"),
    ],
)
def test_choices_numbered_as_the_vision_lists_them(
    tmp_path: Path, samples_result: MergeResult, viewpoint: str, policy_field: str
) -> None:
    """The report heads its sections 「(1) 生活機能の強化」: typed so, it was a fourth viewpoint."""

    def numbered(ws):  # type: ignore[no-untyped-def]
        ws["B4"], ws["E4"] = viewpoint, policy_field

    returns = tmp_path / "returns"
    shutil.copytree(builders.SAMPLES, returns)
    builders.sample(returns / "05_消防本部.xlsx", edit=numbered)
    result = merged(returns)
    measure = next(m for m in result.measures if m.sheet == "施策24")
    assert (measure.viewpoint, measure.policy_field) == ("生活機能の強化", "消防防災")
    assert problems(result) == problems(samples_result)  # no viewpoint-unknown
    assert result.tallies == samples_result.tallies


def test_a_number_neither_on_the_form_nor_in_the_sheet_name(tmp_path: Path) -> None:
    def unnumbered(ws):  # type: ignore[no-untyped-def]
        ws["B2"] = None
        ws.title = "消防"

    result = merged(builders.sample(tmp_path / "n.xlsx", edit=unnumbered))
    assert only(result).number is None
    assert problems(result) == [("消防", "A2", "number-missing")]
    # with 施策番号 blank, the sheet name gives it
    assert only(typed_over(tmp_path, {"B2": None})).number == 24


# --- 3. Workbooks as they arrive --------------------------------------------------------


def test_xlsm_is_read_and_its_macros_never_run(tmp_path: Path) -> None:
    path = builders.seed_form(tmp_path / "macro.xlsm", 2)
    builders.add_member(path, "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not a real VBA project")
    result = merged(path)
    assert only(result).kpis[0].grades == {2024: "B"}
    assert result.report.ledger[0].note == "マクロは実行せず、値だけを読み込みました。"


def test_extra_sheets_hidden_sheets_and_several_measures(tmp_path: Path) -> None:
    def hide(wb):  # type: ignore[no-untyped-def]
        wb["非表示の様式"].sheet_state = "hidden"
        wb["リスト"].sheet_state = "veryHidden"

    path = builders.book(
        tmp_path / "mixed.xlsx",
        {"記入要領": None, "1": 1, "2": 2, "メモ": None, "非表示の様式": 5, "リスト": None},
        hide,
    )
    result = merged(path)
    assert [m.number for m in result.measures] == [1, 2]
    ledger = [(e.sheet, e.status.value) for e in result.report.ledger]
    assert ledger == [
        ("", "警告"),
        ("記入要領", "対象外"),
        ("1", "取込"),
        ("2", "取込"),
        ("メモ", "対象外"),
        ("非表示の様式", "対象外"),
        ("リスト", "対象外"),
    ]
    assert problems(result) == [("非表示の様式", "", "hidden-form-sheet")]


def test_old_xls_is_refused_by_its_first_bytes(tmp_path: Path) -> None:
    renamed = tmp_path / "renamed.xlsx"
    renamed.write_bytes((OFFICE / "old-format-saved-by-libreoffice.xls").read_bytes())
    result = merged(OFFICE / "old-format-saved-by-libreoffice.xls", renamed)
    assert [(p.file, p.code) for p in result.report.problems] == [
        ("old-format-saved-by-libreoffice.xls", "old-xls"),
        ("renamed.xlsx", "old-xls"),
        ("renamed.xlsx", "extension-mismatch"),  # the extension lies
    ]
    assert "保存し直して" in result.report.problems[0].hint


def test_xlsx_named_xls_is_read_with_a_warning(tmp_path: Path) -> None:
    path = builders.seed_form(tmp_path / "named.xls", 2)
    result = merged(path)
    assert only(result).kpis[0].grades == {2024: "B"}
    assert problems(result) == [("", "", "extension-mismatch")]


def test_password_protected_return(tmp_path: Path) -> None:
    plain = builders.seed_form(tmp_path / "plain.xlsx", 2)
    locked = tmp_path / "locked.xlsx"
    with plain.open("rb") as source, locked.open("wb") as target:
        msoffcrypto.format.ooxml.OOXMLFile(source).encrypt("secret", target)
    plain.unlink()
    result = merged(locked)
    assert problems(result) == [("", "", "encrypted")]


def test_lock_file_is_skipped_and_listed(tmp_path: Path) -> None:
    builders.seed_form(tmp_path / "return.xlsx", 2)
    (tmp_path / "~$return.xlsx").write_bytes(b"\x07tanaka" + b"\x00" * 158)
    result = merged(tmp_path)
    lock = next(e for e in result.report.ledger if e.file == "~$return.xlsx")
    # Not read, with the warning that return.xlsx is open in Excel (its unsaved edits unread).
    assert lock.status.value == "警告" and "Excel で開かれている可能性" in lock.note
    assert [(p.file, p.code) for p in result.report.problems] == [("~$return.xlsx", "lock-file")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("施策", []),  # the template's sheet, kept blank as the instructions lead to
        ("施策 (2)", [("施策 (2)", "", "form-blank")]),  # a copy left blank: a measure forgotten?
    ],
)
def test_a_blank_form_sheet_is_listed_not_an_error(
    tmp_path: Path, name: str, expected: list[tuple[str, str, str]]
) -> None:
    path = builders.sample(tmp_path / "05.xlsx")
    wb = openpyxl.load_workbook(path)
    template = openpyxl.load_workbook(ROOT / "templates" / "kpi_template.xlsx")["施策"]
    builders.paste(template, wb.create_sheet(name))
    wb.save(path)
    result = merged(path)
    assert [m.name for m in result.measures] == ["広域消防事業"]
    assert problems(result) == expected  # it was 「施策名がありません」, an error (exit 1)
    entry = next(e for e in result.report.ledger if e.sheet == name)
    assert (entry.status.value, entry.note) == ("対象外", "記入されていない様式のシートです。")


def copy_form(ws, rows: int = 0, cols: int = 0, number: int = 99) -> None:  # type: ignore[no-untyped-def]
    """A second measure's form pasted on the same sheet, below or right of the first."""
    builders.paste(ws, ws, rows, cols)
    ws.cell(2 + rows, 2 + cols, number)
    ws.cell(3 + rows, 2 + cols, "別の施策")


@pytest.mark.parametrize(("where", "cell"), [({"rows": 24}, "A27"), ({"cols": 8}, "I3")])
def test_a_second_form_on_one_sheet_is_one_error(
    tmp_path: Path, where: dict[str, int], cell: str
) -> None:
    result = merged(builders.sample(tmp_path / "05.xlsx", edit=lambda ws: copy_form(ws, **where)))
    measure = only(result)
    assert (measure.name, measure.kpis[0].actuals, measure.kpis[0].grades) == (
        "広域消防事業",
        {2024: 10334},
        {2024: "B"},
    )
    # Right of the form it was four value-outside-years errors and a cell-not-read warning,
    # and no word of a second form; below it, a cell-not-read warning besides the error.
    assert problems(result) == [("施策24", cell, "multiple-forms")]


def test_a_form_filled_below_the_blank_one_is_not_skipped_as_blank(tmp_path: Path) -> None:
    path = tmp_path / "05.xlsx"
    shutil.copy(ROOT / "templates" / "kpi_template.xlsx", path)
    wb = openpyxl.load_workbook(path)
    filled = openpyxl.load_workbook(builders.SAMPLES / "05_消防本部.xlsx").worksheets[1]
    builders.paste(filled, wb["施策"], rows=24)
    wb.save(path)
    result = merged(path)
    assert result.measures == []
    assert problems(result) == [("施策", "A27", "multiple-forms"), ("施策", "A3", "name-missing")]


def test_a_form_typed_over_the_instructions_sheet_is_read(tmp_path: Path) -> None:
    path = builders.sample(tmp_path / "05.xlsx")
    wb = openpyxl.load_workbook(path)
    instructions, filled = wb["記入要領"], wb["施策24"]
    instructions.delete_rows(1, instructions.max_row)
    builders.paste(filled, instructions)
    instructions["B2"], instructions["B3"] = 99, "別の施策"
    wb.save(path)
    result = merged(path)
    # The sheet was skipped by its name alone: one measure fewer, 0 problems, exit 0.
    assert [(m.sheet, m.name) for m in result.measures] == [
        ("施策24", "広域消防事業"),
        ("記入要領", "別の施策"),
    ]
    assert problems(result) == []


def test_a_return_of_blank_forms_only_is_told(tmp_path: Path) -> None:
    shutil.copy(ROOT / "templates" / "kpi_template.xlsx", tmp_path / "未記入.xlsx")
    result = merged(tmp_path)
    assert result.measures == []
    assert [p.code for p in result.report.problems] == ["no-form-sheets", "nothing-merged"]


def test_same_measure_in_two_returns(tmp_path: Path) -> None:
    builders.seed_form(tmp_path / "a.xlsx", 2)
    builders.seed_form(tmp_path / "b.xlsx", 2)  # identical
    builders.seed_form(tmp_path / "c.xlsx", 2, lambda ws: ws.__setitem__("B13", "15人"))
    result = merged(tmp_path)
    assert len(result.measures) == 1 and result.measures[0].file == "a.xlsx"
    assert [(p.file, p.code, p.severity.value) for p in result.report.problems] == [
        ("b.xlsx", "duplicate-identical", "warning"),
        ("c.xlsx", "duplicate-measure", "error"),
    ]
    assert "a.xlsx!2" in result.report.problems[1].message


# --- 4. Problems as data ----------------------------------------------------------------


def test_every_problem_names_file_sheet_and_cell(seed_result: MergeResult) -> None:
    assert all(p.file and p.sheet and p.cell for p in seed_result.report.problems)
    assert seed_result.report.flatten("sheet", "cell", "code")[:2] == [
        ("3", "B2", "name-from-title"),
        ("4", "B2", "name-from-title"),
    ]


def test_cells_placed_by_counting(tmp_path: Path) -> None:
    # r is optional in OOXML: some generators write every row and cell in order without it.
    def marked(ws):  # type: ignore[no-untyped-def]
        ws["B13"] = 0.584
        ws["B13"].number_format = "0.0%"
        ws["B6"] = 0.574
        ws["B6"].number_format = "0%"
        ws["C13"] = "#DIV/0!"

    path = builders.seed_form(tmp_path / "p.xlsx", 27, marked)
    before = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    builders.place_by_counting(path)
    with zipfile.ZipFile(path) as zf:
        assert b' r="' not in zf.read("xl/worksheets/sheet1.xml")
    after = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    assert after.to_python() == before.to_python()

    result = merged(path)
    kpi = only(result).kpis[0]
    assert (kpi.baseline, kpi.target, kpi.actuals) == (
        Decimal("57.4"),
        Decimal("58.1"),
        {2024: Decimal("58.4")},
    )
    assert problems(result) == [("27", "C13", "cell-error")]


def test_formula_placed_by_counting_names_its_cell(tmp_path: Path) -> None:
    path = builders.seed_form(tmp_path / "f.xlsx", 2, lambda ws: ws.__setitem__("B13", "=7*2"))
    builders.place_by_counting(builders.cache_formula(path, "B13", "14"))
    result = merged(path)
    assert only(result).kpis[0].actuals == {}
    assert problems(result)[0] == ("2", "B13", "formula-untrusted")
