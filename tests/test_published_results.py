"""Merging the returns reproduces the seed's published FY2024 grades and tallies."""

from __future__ import annotations

import pytest

from published import (
    FIELD_TALLIES_2024,
    FORM_NAMES,
    GOOD_SHARE_2024,
    GRADES_2024,
    OVERALL_2024,
    SEED_PRINTED_TRANSPORT,
    VIEWPOINT_SHARES_2024,
)
from xlkpi.merge import MergeResult


def grades_by_number(result: MergeResult, year: int = 2024) -> dict[int, list[str]]:
    return {
        m.number: [k.grades.get(year, "") for k in m.kpis]
        for m in result.measures
        if m.number is not None
    }


@pytest.fixture(params=["samples", "seed_forms"])
def result(request: pytest.FixtureRequest) -> MergeResult:
    fixture = "samples_result" if request.param == "samples" else "seed_result"
    return request.getfixturevalue(fixture)


def test_every_kpi_gets_the_published_grade(result: MergeResult) -> None:
    assert result.year == 2024
    assert grades_by_number(result) == GRADES_2024
    assert sum(len(m.kpis) for m in result.measures) == 34
    assert {m.number: m.name for m in result.measures} == FORM_NAMES


def test_field_tallies_equal_the_published_ones(result: MergeResult) -> None:
    tallies = result.tallies
    assert tallies is not None
    found = {
        block.viewpoint: {
            item.policy_field: {g: n for g, n in item.counts.by_grade.items() if n}
            for item in block.fields
        }
        for block in tallies.viewpoints
    }
    assert found == FIELD_TALLIES_2024
    assert tallies.overall.by_grade == OVERALL_2024
    assert f"{float(tallies.overall.share or 0) * 100:.1f}%" == GOOD_SHARE_2024
    shares = {b.viewpoint: f"{float(b.subtotal.share or 0) * 100:.1f}%" for b in tallies.viewpoints}
    assert shares == VIEWPOINT_SHARES_2024


def test_the_seed_slip_on_transport_infrastructure_is_not_repeated(
    samples_result: MergeResult,
) -> None:
    # The seed prints 交通インフラ整備 B:1 C:1; 58.4 / 58.1 = 100.5 % is an A by the rule.
    road = next(m for m in samples_result.measures if m.number == 27)
    assert road.kpis[0].ratios[2024] > 1
    assert road.kpis[0].grades[2024] == "A"
    assert samples_result.tallies is not None
    block = samples_result.tallies.viewpoints[1]
    transport = next(f for f in block.fields if f.policy_field == "交通インフラの整備")
    assert transport.counts.by_grade != {"A": 0, **SEED_PRINTED_TRANSPORT, "D": 0}
    assert transport.counts.by_grade == {"A": 1, "B": 0, "C": 1, "D": 0}


def test_samples_merge_cleanly_but_for_the_seeds_missing_baseline(
    samples_result: MergeResult,
) -> None:
    report = samples_result.report
    assert report.ok
    assert report.flatten("sheet", "cell", "code") == [("施策23", "E9", "baseline-missing")]
