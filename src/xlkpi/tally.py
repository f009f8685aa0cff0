"""Per-field tallies of one year's grades, grouped as the published report groups them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from xlkpi import form
from xlkpi.grading import DEFAULT_RULE, Rule
from xlkpi.model import Kpi, Measure


@dataclass
class Counts:
    by_grade: dict[str, int]
    good_labels: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(self.by_grade.values())

    @property
    def good(self) -> int:
        return sum(self.by_grade[label] for label in self.good_labels)

    @property
    def share(self) -> Fraction | None:
        """The share of KPIs in the good bands (the report's "A及びB"), None if none graded."""
        return Fraction(self.good, self.total) if self.total else None

    def add(self, grade: str) -> None:
        self.by_grade[grade] += 1


@dataclass
class FieldTally:
    policy_field: str
    counts: Counts


@dataclass
class ViewpointTally:
    viewpoint: str
    fields: list[FieldTally]
    subtotal: Counts
    weak_measures: list[str] = field(default_factory=list)  # a KPI below the good bands


@dataclass
class Tallies:
    year: int
    rule: Rule
    viewpoints: list[ViewpointTally]
    overall: Counts


def _order(known: Iterable[str], seen: Iterable[str]) -> list[str]:
    """The known names that occur, in their order, then the others as first seen."""
    present = dict.fromkeys(seen)
    known = tuple(known)
    return [n for n in known if n in present] + [n for n in present if n not in known]


def tally(measures: list[Measure], year: int, rule: Rule = DEFAULT_RULE) -> Tallies:
    def empty() -> Counts:
        return Counts(dict.fromkeys(rule.labels, 0), rule.good_labels)

    overall = empty()
    viewpoints = _order(form.VIEWPOINTS, [m.viewpoint for m in measures])
    result: list[ViewpointTally] = []
    grouped: dict[str, dict[str, list[Measure]]] = {}
    for measure in measures:  # grouped once: free-text fields must not make this quadratic
        by_field = grouped.setdefault(measure.viewpoint, {})
        by_field.setdefault(measure.policy_field, []).append(measure)
    for viewpoint in viewpoints:
        members = grouped[viewpoint]
        fields = _order(form.POLICY_FIELDS.get(viewpoint, ()), list(members))
        block = ViewpointTally(viewpoint, [], empty())
        for policy_field in fields:
            counts = empty()
            for measure in members[policy_field]:
                weak = False
                for kpi in measure.kpis:
                    grade = kpi.grades.get(year)
                    if grade is None:
                        continue
                    for target in (counts, block.subtotal, overall):
                        target.add(grade)
                    weak = weak or grade not in rule.good_labels
                if weak:
                    block.weak_measures.append(measure.name)
            block.fields.append(FieldTally(policy_field, counts))
        result.append(block)
    return Tallies(year, rule, result, overall)


def weak_in_both(
    measures: list[Measure], year: int, previous: int, rule: Rule = DEFAULT_RULE
) -> list[tuple[Measure, Kpi]]:
    """KPIs graded below the good bands in both years (the report's 継続してCまたはD)."""
    weak = set(rule.labels) - set(rule.good_labels)
    return [
        (m, k)
        for m in measures
        for k in m.kpis
        if k.grades.get(year) in weak and k.grades.get(previous) in weak
    ]
