"""An odd cell costs at most that cell: error values old and new, NaN and infinities, a BOM
or zero-width character before a label. Each gives a problem naming the cell, and the rest
of the sheet (and every other sheet and file) is read as before."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import builders
from conftest import SAMPLES
from xlkpi.merge import MergeResult, merge
from xlkpi.values import BadValue, parse_quantities

SAMPLE = "05_消防本部.xlsx"  # 施策24 広域消防事業: one KPI, its 2024 actual in B18
SHEET = "xl/worksheets/sheet2.xml"

CLASSIC_ERRORS = ["#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"]
NEWER_ERRORS = ["#GETTING_DATA", "#SPILL!", "#CALC!", "#BUSY!", "#FIELD!", "#BLOCKED!",
                "#CONNECT!", "#UNKNOWN!", "#PYTHON!", "#EXTERNAL!"]  # fmt: skip


def with_cell(folder: Path, ref: str, cell: str) -> Path:
    """The samples, with one cell of 施策24 replaced by this XML (its r= attribute kept)."""
    folder.mkdir()
    for path in SAMPLES.iterdir():
        if path.suffix == ".xlsx" and path.name != SAMPLE:
            shutil.copy(path, folder / path.name)

    def change(xml: bytes) -> bytes:
        new, n = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)'.encode(), cell.encode(), xml,
                         count=1, flags=re.S)  # fmt: skip
        assert n == 1
        return new

    return builders.patch(builders.sample(folder / SAMPLE, SAMPLE), SHEET, change).parent


def grades(result: MergeResult) -> dict[str, int]:
    counts: dict[str, int] = {}
    assert result.tallies is not None
    for label, n in result.tallies.overall.by_grade.items():
        counts[label] = n
    return counts


def problems_at(result: MergeResult, cell: str) -> list[str]:
    return [p.code for p in result.report.problems if p.file == SAMPLE and p.cell == cell]


@pytest.fixture(scope="module")
def samples_grades(samples_result: MergeResult) -> dict[str, int]:
    return grades(samples_result)


@pytest.mark.parametrize("error", CLASSIC_ERRORS + NEWER_ERRORS)
def test_an_error_value_in_an_actual_costs_that_actual(
    tmp_path: Path, error: str, samples_grades: dict[str, int]
) -> None:
    folder = with_cell(tmp_path / "r", "B18", f'<c r="B18" s="5" t="e"><v>{error}</v></c>')
    result = merge([folder])
    assert problems_at(result, "B18")[:1] == ["cell-error"]  # (and actual-missing)
    problem = next(p for p in result.report.problems if p.cell == "B18")
    assert error in problem.message
    measure = next(m for m in result.measures if m.number == 24)
    assert measure.name == "広域消防事業" and measure.kpis[0].target is not None
    # Only that KPI lost its grade: 33 of the samples' 34 are graded as before.
    assert sum(grades(result).values()) == sum(samples_grades.values()) - 1


@pytest.mark.parametrize("error", NEWER_ERRORS)
def test_an_error_value_typed_as_text_is_named_as_an_error(error: str) -> None:
    """A value pasted as text from Excel (#SPILL! in a text cell) is an error value too."""
    with pytest.raises(BadValue) as caught:
        parse_quantities(error)
    assert caught.value.code == "cell-error"
    with pytest.raises(BadValue) as caught:
        parse_quantities(error.lower())
    assert caught.value.code == "cell-error"


@pytest.mark.parametrize("error", ["#DIV/0!", "#SPILL!", "#BUSY!", "#PYTHON!"])
def test_an_error_value_in_a_text_field_costs_that_field(tmp_path: Path, error: str) -> None:
    folder = with_cell(tmp_path / "r", "B13", f'<c r="B13" s="4" t="e"><v>{error}</v></c>')
    result = merge([folder])
    assert problems_at(result, "B13") == ["cell-error"]
    measure = next(m for m in result.measures if m.number == 24)
    assert measure.kpis[0].grades.get(2024) is not None


@pytest.mark.parametrize("number", ["NaN", "nan", "INF", "-inf", "Infinity", "1e999", "-1E400"])
def test_a_non_finite_number_costs_that_value(
    tmp_path: Path, number: str, samples_grades: dict[str, int]
) -> None:
    folder = with_cell(tmp_path / "r", "B18", f'<c r="B18" s="5"><v>{number}</v></c>')
    result = merge([folder])
    codes = problems_at(result, "B18")
    assert codes[:1] == ["value-not-number"], codes
    assert sum(grades(result).values()) == sum(samples_grades.values()) - 1
    measure = next(m for m in result.measures if m.number == 24)
    assert 2024 not in measure.kpis[0].actuals


@pytest.mark.parametrize("number", ["NaN", "inf", "1e999"])
def test_a_non_finite_number_in_a_target_or_budget_costs_that_cell(
    tmp_path: Path, number: str
) -> None:
    for ref in ("F8", "C15"):
        folder = with_cell(tmp_path / ref, ref, f'<c r="{ref}" s="5"><v>{number}</v></c>')
        result = merge([folder])
        assert problems_at(result, ref), ref
        assert any(m.number == 24 for m in result.measures)


@pytest.mark.parametrize("mark", ["\ufeff", "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad",
                                  "\ufeff\u200b", "\u180e", "\u2061"])  # fmt: skip
def test_an_invisible_character_before_a_label_is_not_seen(
    tmp_path: Path, mark: str, samples_result: MergeResult
) -> None:
    """実績値, 施策名 and 指標名 with a BOM or zero-width character before them (pasted from
    a web page or a CSV) are still those labels; the sheet reads as without them."""

    def edit(ws):  # type: ignore[no-untyped-def]
        for ref in ("A17", "A3", "B7", "A4"):
            ws[ref] = mark + ws[ref].value

    folder = tmp_path / "r"
    folder.mkdir()
    for path in SAMPLES.iterdir():
        if path.suffix == ".xlsx" and path.name != SAMPLE:
            shutil.copy(path, folder / path.name)
    builders.sample(folder / SAMPLE, SAMPLE, edit=edit)
    result = merge([folder])
    assert [p.code for p in result.report.problems if p.file == SAMPLE] == [
        p.code for p in samples_result.report.problems if p.file == SAMPLE
    ]
    measure = next(m for m in result.measures if m.number == 24)
    expected = next(m for m in samples_result.measures if m.number == 24)
    assert (measure.name, measure.viewpoint) == (expected.name, expected.viewpoint)
    assert measure.kpis[0].actuals == expected.kpis[0].actuals


@pytest.mark.parametrize("mark", ["\ufeff", "\u200b", "\u2060"])
def test_an_invisible_character_around_a_value_or_a_choice_is_not_part_of_it(
    tmp_path: Path, mark: str, samples_result: MergeResult
) -> None:
    """A viewpoint (a choice from the form's list) or a number typed with a BOM or
    zero-width character is that choice or number."""

    def edit(ws):  # type: ignore[no-untyped-def]
        ws["B4"] = mark + ws["B4"].value
        ws["B18"] = f"{mark}10,334"

    folder = tmp_path / "r"
    folder.mkdir()
    for path in SAMPLES.iterdir():
        if path.suffix == ".xlsx" and path.name != SAMPLE:
            shutil.copy(path, folder / path.name)
    builders.sample(folder / SAMPLE, SAMPLE, edit=edit)
    result = merge([folder])
    measure = next(m for m in result.measures if m.number == 24)
    expected = next(m for m in samples_result.measures if m.number == 24)
    assert measure.viewpoint == expected.viewpoint
    assert measure.kpis[0].actuals == expected.kpis[0].actuals


@pytest.mark.parametrize("number", ["NaN", "INF", "-inf", "1e999"])
@pytest.mark.parametrize("ref", ["B14", "D14", "D17"])  # 実施年度, 実績値's year headers
def test_a_non_finite_number_in_a_year_header_costs_that_header(
    tmp_path: Path, number: str, ref: str
) -> None:
    """Not the sheet (ValueError: cannot convert float NaN to integer made it unreadable)."""
    folder = with_cell(tmp_path / "r", ref, f'<c r="{ref}" s="3"><v>{number}</v></c>')
    result = merge([folder])
    assert problems_at(result, ref) == ["year-header-invalid"]
    assert "sheet-unreadable" not in [p.code for p in result.report.problems]
    measure = next(m for m in result.measures if m.number == 24)
    assert measure.kpis[0].grades.get(2024) is not None
    message = next(p.message for p in result.report.problems if p.cell == ref)
    assert "「nan」" not in message and "「inf」" not in message  # Python's spelling


@pytest.mark.parametrize("number", ["NaN", "inf"])
@pytest.mark.parametrize("ref", ["B13", "B16", "B21"])  # 事業効果, 役割分担, 年度評価
def test_a_non_finite_number_in_a_text_field_is_named_not_read_as_text(
    tmp_path: Path, number: str, ref: str
) -> None:
    folder = with_cell(tmp_path / "r", ref, f'<c r="{ref}" s="4"><v>{number}</v></c>')
    result = merge([folder])
    assert problems_at(result, ref) == ["cell-error"]
    measure = next(m for m in result.measures if m.number == 24)
    assert not any(t.lower() in ("nan", "inf") for t in measure.texts.values())
    assert measure.kpis[0].grades.get(2024) is not None


def test_an_era_less_year_header_keeps_the_kpi_markers_after_it() -> None:
    """「6年度 ①636人 ②127人」 in the actual's header: ① and ② mark the KPIs, they are not
    the digits 1 and 2 of 1636 and 2127 (found by tests/test_variations' random combinations
    of actual-in-header, circled-markers and year-era-only)."""
    from xlkpi.values import era_less_year

    found = era_less_year("6年度 ①636人 ②127人", 2024, 2028)
    assert found is not None and found[0] == 2024
    assert [q.value for q in parse_quantities(found[1])] == [636, 127]
