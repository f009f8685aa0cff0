"""The seed's 34 KPIs under every variation class, alone and in random combinations.

Expected grades are the seed's published ones (tests/published.py). A KPI graded
otherwise must have an error naming a cell of its sheet; a wrong grade, a lost KPI or a
dropped sheet with no error fails.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import office
import variations
from published import GRADES_2024
from variations import CLASSES, check, department_books, seed_measures
from xlkpi import api

SPECS = seed_measures()
# Classes whose forms are graded right but must also carry a note naming the cell.
NOT_LO = [v.name for v in CLASSES if v.name != "libreoffice-saved"]


def merged(files: list[tuple[str, bytes]]) -> api.Result:
    return api.merge(files, year=2024)


@pytest.mark.parametrize("name", [v.name for v in CLASSES])
def test_every_kpi_is_graded_as_published_under_each_class(name: str) -> None:
    # Without LibreOffice: skipped naming the package to install (failed under .ci/run).
    soffice = office.soffice() if name == "libreoffice-saved" else ""
    files, written = department_books([name], SPECS)
    if soffice:
        files = [(f, variations.libreoffice_saved(data, soffice)) for f, data in files]
    result = merged(files)
    verdict = check(result, written)
    assert verdict.failures == []
    assert verdict.right == 34, [
        f"{p.sheet}!{p.cell} {p.code}: {p.message}" for p in result.report.errors
    ]
    # Read right, and nothing to resubmit: no error at all; each assumption noted.
    errors = [f"{p.file}!{p.sheet}!{p.cell} {p.code}: {p.message}" for p in result.report.errors]
    assert errors == []
    wanted = variations.options([name]).warns
    found = {p.code for p in result.report.warnings}
    assert wanted <= found, (wanted - found, sorted(found))
    for p in result.report.problems:
        if p.code in wanted:
            assert p.cell and p.sheet, p


def test_the_generator_has_forty_classes_and_the_seed_has_34_kpis() -> None:
    assert len(CLASSES) >= 40
    assert sum(len(m.kpis) for m in SPECS) == 34
    files, written = department_books([], SPECS)
    verdict = check(merged(files), written)
    assert (verdict.right, verdict.failures) == (34, [])


combination = st.lists(st.sampled_from(NOT_LO), min_size=1, max_size=6, unique=True).filter(
    variations.compatible
)


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=combination,
    picks=st.lists(st.sampled_from(SPECS), min_size=1, max_size=3, unique_by=lambda m: m.number),
)
def test_random_combinations_never_grade_silently_wrong(
    names: list[str], picks: list[variations.MeasureSpec]
) -> None:
    files, written = department_books(names, picks)
    verdict = check(merged(files), written)
    assert verdict.failures == [], names


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=combination, pick=st.sampled_from(SPECS))
def test_random_combinations_grade_right_and_say_why(
    names: list[str], pick: variations.MeasureSpec
) -> None:
    """A combination of classes that each read right reads right too, with no error."""
    files, written = department_books(names, [pick])
    result = merged(files)
    verdict = check(result, written)
    assert verdict.failures == [], names
    errors = [f"{p.sheet}!{p.cell} {p.code}: {p.message}" for p in result.report.errors]
    assert (verdict.right, errors) == (len(pick.kpis), []), names


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=combination)
def test_two_departments_with_the_same_combination(names: list[str]) -> None:
    """Two departments' books side by side (sheet numbers may repeat across them)."""
    half = len(SPECS) // 2
    first, forms_a = department_books(names, SPECS[:3])
    second, forms_b = department_books(names, SPECS[half : half + 3])
    second = [(f"b{name}", data) for name, data in second]
    forms_b = [variations.Written(f"b{w.file}", w.sheet, w.spec) for w in forms_b]
    result = merged(first + second)
    verdict = check(result, forms_a + forms_b)
    assert verdict.failures == [], names
    assert not [p for p in result.report.errors if p.code == "duplicate-number"], names


# --- what each assumption says, and where ------------------------------------------------


def one_form(
    names: list[str], number: int, edit: object = None
) -> tuple[api.Result, variations.Draft]:
    """Measure `number` alone under `names`; its draft tells where each value was written."""
    spec = next(m for m in SPECS if m.number == number)
    chosen = variations.options(names)
    if edit is not None:
        chosen.edits.append(edit)  # type: ignore[arg-type]
    data, _ = variations.build("部.xlsx", [spec], chosen)
    draft = variations.draw(spec, chosen)
    for change in (*chosen.edits, *chosen.moves):
        change(draft)
    return merged([("部.xlsx", data)]), draft


def codes(result: api.Result) -> list[tuple[str, str]]:
    return [(p.cell, p.code) for p in result.report.problems]


def cell(draft: variations.Draft, key: str, col: int) -> str:
    from xlkpi.workbook import cell_ref

    return cell_ref((draft.find(key), col))


@pytest.mark.parametrize(
    ("names", "number", "code", "key", "col"),
    [
        (["unit-counter-synonym"], 2, "unit-equivalent", "actual:0", 1),  # 14名 for 人
        (["note-after-space"], 5, "value-note", "actual:0", 1),  # 「695人 速報値」
        (["note-after-joined"], 5, "value-note", "actual:0", 1),  # 「695人速報値」
        (["year-era-only"], 1, "year-era-assumed", "actuals_head", 1),  # 6年度
        (["year-date-era-format"], 1, "year-from-date", "actuals_head", 1),  # 令和6年度 by format
        (["ratio-row"], 8, "remarks-not-read", "ratio", 0),  # 達成率 row
        (["status-row"], 8, "remarks-not-read", "status", 1),  # 実績/見込 row
        (["remarks-column"], 8, "remarks-not-read", "actuals_head", 6),  # 備考 column
        (["formula-actuals-cached"], 8, "formula-cached", "actual:0", 1),
    ],
)
def test_each_assumption_is_told_at_its_cell_and_grades_right(
    names: list[str], number: int, code: str, key: str, col: int
) -> None:
    result, draft = one_form(names, number)
    assert (cell(draft, key, col), code) in codes(result)
    assert not result.report.errors
    [measure] = result.merged.measures
    assert [k.grades[2024] for k in measure.kpis] == GRADES_2024[number]


def test_a_year_header_dated_by_its_format_is_quoted_as_shown_not_as_a_serial() -> None:
    result, _draft = one_form(["year-date-era-format"], 1)
    messages = [p.message for p in result.report.problems if p.code == "year-from-date"]
    assert messages and all("45383" not in m for m in messages)
    assert any("2024 (R6)" in m for m in messages)


def test_sheet_name_numbers_of_two_departments_are_no_conflict() -> None:
    """Both number their first sheet 施策1: told as a warning, not a duplicate-number error."""
    chosen = variations.options(["sheet-name-numbers"])
    first, _ = variations.build("保健.xlsx", SPECS[:2], chosen)
    second, _ = variations.build("商工.xlsx", SPECS[7:9], chosen)
    result = merged([("保健.xlsx", first), ("商工.xlsx", second)])
    assert [c for c in codes(result) if c[1] == "duplicate-number"] == []
    assert ("", "number-from-sheet") in codes(result)
    assert not result.report.errors
    grades = sorted(k.grades[2024] for m in result.merged.measures for k in m.kpis)
    assert grades == sorted(GRADES_2024[1] + GRADES_2024[2] + GRADES_2024[8] + GRADES_2024[9])


def _value_at(key: str, text: str, col: int = 1):  # type: ignore[no-untyped-def]
    def edit(draft: variations.Draft) -> None:
        draft.rows[draft.find(key)].cells[col] = variations.Cell(text)

    return edit


def test_an_unreadable_baseline_is_not_also_reported_missing() -> None:
    result, draft = one_form([], 2, _value_at("values", "集計中"))
    assert codes(result) == [(cell(draft, "values", 1), "value-not-number")]


def test_circled_markers_are_never_digits_and_messages_quote_them_as_typed() -> None:
    """①636人 ②127人: two values; ②集計中 is refused as typed, not as 「2集計中」."""
    result, _draft = one_form(["circled-markers", "actual-in-header"], 33)
    [measure] = result.merged.measures
    assert [k.actuals[2024] for k in measure.kpis] == [636, 127]
    result, _draft = one_form([], 33, _value_at("actual:1", "②集計中"))
    [problem] = [p for p in result.report.problems if p.code == "value-not-number"]
    assert "「②集計中」" in problem.message


def test_a_literal_percent_format_is_the_number_as_typed_a_real_one_is_times_100() -> None:
    """66.3 shown as 66.3% by 0.0"%" is 66.3 %, not 6,630 % (a silently wrong A before)."""
    for name in ("format-literal-percent", "format-escaped-percent", "format-real-percent"):
        result, _ = one_form([name], 20)
        [measure] = result.merged.measures
        assert measure.kpis[0].actuals == {2024: Decimal("66.3")}, name
        assert measure.kpis[0].grades == {2024: GRADES_2024[20][0]}, name


def test_a_sheet_that_looks_like_a_form_is_never_only_skipped() -> None:
    """施策名 renamed and 実績値 deleted: several form labels remain, so the sheet is a
    form that cannot be read, and what is missing is said (form-incomplete), with a cell."""

    def rename(draft: variations.Draft) -> None:
        draft.rows[draft.find("name")].cells[0].value = "事業の名前"
        draft.rows[draft.find("actuals_head")].cells[0].value = "数値"

    result, _ = one_form(["label-square"], 1, rename)
    [problem] = [p for p in result.report.problems if p.code == "form-incomplete"]
    assert problem.cell and "施策名" in problem.message and "実績値" in problem.message


# --- no silent failure anywhere: the fixtures -------------------------------------------


def test_no_silently_wrong_grade_or_dropped_sheet_in_the_fixtures(
    samples_result: object, seed_result: object
) -> None:
    """Over the samples and the seed's own forms: each published KPI graded as published
    or told by an error with a cell, and every sheet with form labels read or told."""
    from conftest import SAMPLES
    from xlkpi.problems import Status

    for result in (samples_result, seed_result):
        by_number = {m.number: m for m in result.measures}  # type: ignore[attr-defined]
        report = result.report  # type: ignore[attr-defined]
        told = {(p.file, p.sheet) for p in report.errors if p.cell}
        for number, grades in GRADES_2024.items():
            measure = by_number.get(number)
            got = [k.grades.get(2024) for k in measure.kpis] if measure else None
            assert got == grades or (measure and (measure.file, measure.sheet) in told), number
        skipped = [e for e in report.ledger if e.sheet and e.status is Status.SKIPPED]
        for entry in skipped:
            assert "様式のシートではありません" not in entry.note or not _has_form_labels(
                SAMPLES / entry.file, entry.sheet
            ), entry


def _has_form_labels(path: object, sheet: str) -> bool:
    """Labels of two fields of the form or more, after normalisation."""
    import openpyxl

    from xlkpi import form

    try:
        ws = openpyxl.load_workbook(path, read_only=True)[sheet]  # type: ignore[arg-type]
    except (FileNotFoundError, KeyError):
        return False
    found = {
        m[0].key
        for row in ws.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str) and (m := form.match_label(value))
    }
    return len(found) >= 2
