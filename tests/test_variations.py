"""The seed's 34 KPIs under every variation class, alone and in random combinations.

Expected grades are the seed's published ones (tests/published.py). A KPI graded
otherwise must have an error naming a cell of its sheet; a wrong grade, a lost KPI or a
dropped sheet with no error fails.
"""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import variations
from variations import CLASSES, check, department_books, seed_measures
from xlkpi import api
from xlkpi.problems import Severity

SPECS = seed_measures()
SOFFICE = shutil.which("soffice")
# Classes whose forms are graded right but must also carry a note naming the cell.
NOT_LO = [v.name for v in CLASSES if v.name != "libreoffice-saved"]


def merged(files: list[tuple[str, bytes]]) -> api.Result:
    return api.merge(files, year=2024)


@pytest.mark.parametrize("name", [v.name for v in CLASSES])
def test_every_kpi_is_graded_as_published_under_each_class(name: str) -> None:
    if name == "libreoffice-saved" and SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    files, written = department_books([name], SPECS)
    if name == "libreoffice-saved":
        assert SOFFICE is not None
        files = [(f, variations.libreoffice_saved(data, SOFFICE)) for f, data in files]
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
@given(names=combination, picks=st.lists(st.sampled_from(SPECS), min_size=1, max_size=3, unique_by=lambda m: m.number))
def test_random_combinations_never_grade_silently_wrong(names: list[str], picks: list[variations.MeasureSpec]) -> None:
    files, written = department_books(names, picks)
    verdict = check(merged(files), written)
    assert verdict.failures == [], names


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=combination, pick=st.sampled_from(SPECS))
def test_random_combinations_grade_right_and_say_why(names: list[str], pick: variations.MeasureSpec) -> None:
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
