"""Grade each KPI for each year: 達成率 = 実績値 / 目標値, banded on the exact ratio.

Ratios are Fractions of the Decimals read from the form, so 58.4 / 58.1 is
compared with 1 exactly, with no float drift and no rounding before banding.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from xlkpi.model import Measure
from xlkpi.problems import Problem, problem
from xlkpi.workbook import parse_ref


@dataclass(frozen=True, slots=True)
class Band:
    label: str
    at_least: Fraction  # the lowest ratio that earns this label


@dataclass(frozen=True, slots=True)
class Rule:
    """Bands from best to worst; below the last band a KPI gets `floor`."""

    bands: tuple[Band, ...] = (
        Band("A", Fraction(1)),
        Band("B", Fraction(4, 5)),
        Band("C", Fraction(1, 2)),
    )
    floor: str = "D"
    good: int = 2  # the top bands counted together in "A及びB"

    @property
    def labels(self) -> tuple[str, ...]:
        return (*(band.label for band in self.bands), self.floor)

    @property
    def good_labels(self) -> tuple[str, ...]:
        return self.labels[: self.good]

    def grade(self, ratio: Fraction) -> str:
        for band in self.bands:
            if ratio >= band.at_least:
                return band.label
        return self.floor

    def describe(self) -> str:
        parts = []
        upper: Fraction | None = None
        for band in self.bands:
            low = _percent(band.at_least)
            parts.append(f"{band.label}: {low}以上" + (f"{_percent(upper)}未満" if upper else ""))
            upper = band.at_least
        parts.append(f"{self.floor}: {_percent(upper or Fraction(0))}未満")
        return "達成率 = 実績値 ÷ 目標値（端数処理をせずに判定）。" + "、".join(parts)


DEFAULT_RULE = Rule()


def _percent(ratio: Fraction) -> str:
    value = Decimal(ratio.numerator) / Decimal(ratio.denominator) * 100
    return f"{value.normalize():f}%"


def achievement(actual: Decimal, target: Decimal) -> Fraction:
    return Fraction(actual) / Fraction(target)


def grade_measure(measure: Measure, rule: Rule = DEFAULT_RULE) -> list[Problem]:
    """Fill each KPI's ratios and grades; problems for targets that cannot grade."""
    problems: list[Problem] = []
    for kpi in measure.kpis:
        kpi.ratios.clear()
        kpi.grades.clear()
        if kpi.target is None:
            continue  # the reader has reported the missing target
        if kpi.target <= 0:
            ref = kpi.cells.get("target", "")
            problems.append(
                problem(
                    "target-not-positive",
                    file=measure.file,
                    sheet=measure.sheet,
                    cell=ref if parse_ref(ref) else "",
                    kpi=kpi.name,
                    value=kpi.target,
                )
            )
            continue
        for year, actual in kpi.actuals.items():
            ratio = achievement(actual, kpi.target)
            kpi.ratios[year] = ratio
            kpi.grades[year] = rule.grade(ratio)
    return problems
