"""What the committee asks beyond the grade counts: 事業費 totals and 目標値の見直し候補.

Both come from the forms' values alone (事業費 cells, actuals and targets), so the
summary workbook and the committee document say the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from xlkpi.grading import DEFAULT_RULE, LOWER, PROGRESS, RATIO_LIMIT, Rule
from xlkpi.model import Kpi, Measure
from xlkpi.tally import grouped


@dataclass
class BudgetRow:
    """事業費 (千円) of a group of measures, per plan year."""

    by_year: dict[int, Decimal]
    measures: int

    @property
    def total(self) -> Decimal:
        return sum(self.by_year.values(), Decimal(0))


@dataclass
class ViewpointBudget:
    viewpoint: str
    fields: list[tuple[str, BudgetRow]]
    subtotal: BudgetRow


@dataclass
class Budgets:
    years: tuple[int, ...]
    viewpoints: list[ViewpointBudget]
    overall: BudgetRow
    # Measures with a plan year whose 事業費 cell is blank: counted as 0, and named.
    blank: list[tuple[Measure, tuple[int, ...]]] = field(default_factory=list)


def budget_totals(measures: list[Measure], years: tuple[int, ...]) -> Budgets:
    """事業費 summed per 政策分野, 連携する視点 and overall for each of `years`."""

    def row(members: list[Measure]) -> BudgetRow:
        sums = {year: sum((m.budgets.get(year, Decimal(0)) for m in members), Decimal(0))
                for year in years}  # fmt: skip
        return BudgetRow(sums, len(members))

    viewpoints = []
    for viewpoint, by_field in grouped(measures).items():
        fields = [(name, row(members)) for name, members in by_field.items()]
        every = [m for members in by_field.values() for m in members]
        viewpoints.append(ViewpointBudget(viewpoint, fields, row(every)))
    blank = []
    for measure in measures:
        missing = tuple(y for y in (measure.years or years) if y not in measure.budgets)
        if missing:
            blank.append((measure, missing))
    return Budgets(years, viewpoints, row(measures), blank)


@dataclass(frozen=True)
class ReviewCandidate:
    """A KPI that reached its final-year target before the final year (目標値の見直し候補)."""

    measure: Measure
    kpi: Kpi
    final_year: int
    first_year: int  # the first year whose actual reached the target
    year: int  # the report year, whose actual the margin is of
    actual: Decimal
    margin: Decimal  # how far past the target, in the KPI's unit (less, when less is better)
    ratio: Fraction | None  # actual / target (target / actual when less is better); None for 0


def final_year(measure: Measure) -> int | None:
    """The year the target is set for: the form's 目標値 year, else its last plan year."""
    if measure.target_year is not None:
        return measure.target_year
    return max(measure.years) if measure.years else None


def reached(kpi: Kpi, actual: Decimal, rule: Rule = DEFAULT_RULE) -> bool:
    """Has the actual met the target? Progress grading goes the way from baseline to target."""
    target = kpi.target
    if target is None:
        return False
    if rule.method == PROGRESS and kpi.baseline is not None and kpi.baseline != target:
        return actual >= target if target > kpi.baseline else actual <= target
    return actual <= target if rule.direction(kpi) == LOWER else actual >= target


def review_candidates(
    measures: list[Measure], year: int, rule: Rule = DEFAULT_RULE
) -> list[ReviewCandidate]:
    """KPIs whose `year` actual meets the final-year target, `year` being before the final year."""
    found = []
    for measure in measures:
        last = final_year(measure)
        if last is None or year >= last:
            continue
        for kpi in measure.kpis:
            actual, target = kpi.actuals.get(year), kpi.target
            if actual is None or target is None or not reached(kpi, actual, rule):
                continue
            first = min(y for y, a in kpi.actuals.items() if y <= year and reached(kpi, a, rule))
            lower = rule.direction(kpi) == LOWER or (
                rule.method == PROGRESS and kpi.baseline is not None and target < kpi.baseline
            )
            margin = target - actual if lower else actual - target
            over, under = (target, actual) if lower else (actual, target)
            ratio = Fraction(over) / Fraction(under) if under else None
            if ratio is not None and abs(ratio) >= RATIO_LIMIT:
                continue  # a misplaced point, graded by nothing (ratio-out-of-range)
            found.append(ReviewCandidate(measure, kpi, last, first, year, actual, margin, ratio))
    return found
