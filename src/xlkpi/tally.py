"""Per-field tallies of one year's grades, grouped as the published report groups them."""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from xlkpi import form
from xlkpi.grading import DEFAULT_RULE, Rule, why_ungraded
from xlkpi.model import Kpi, Measure


@dataclass
class Counts:
    by_grade: dict[str, int]
    good_labels: tuple[str, ...]
    ungraded: dict[str, int] = field(default_factory=dict)  # 評価なし: reason -> KPIs

    @property
    def total(self) -> int:
        """The KPIs graded: what the shares are of."""
        return sum(self.by_grade.values())

    @property
    def not_graded(self) -> int:
        return sum(self.ungraded.values())

    @property
    def kpis(self) -> int:
        """Every KPI counted, graded or not."""
        return self.total + self.not_graded

    @property
    def good(self) -> int:
        return sum(self.by_grade[label] for label in self.good_labels)

    @property
    def share(self) -> Fraction | None:
        """The share of KPIs in the good bands (the report's "A及びB"), None if none graded."""
        return Fraction(self.good, self.total) if self.total else None

    def add(self, grade: str) -> None:
        self.by_grade[grade] += 1

    def add_ungraded(self, reason: str) -> None:
        self.ungraded[reason] = self.ungraded.get(reason, 0) + 1


@dataclass(frozen=True)
class Ungraded:
    """A KPI without a grade for the year, and why (the 評価なし of every tally)."""

    measure: Measure
    kpi: Kpi
    reason: str


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
    ungraded: list[Ungraded] = field(default_factory=list)


@dataclass
class Tallies:
    year: int
    rule: Rule
    viewpoints: list[ViewpointTally]
    overall: Counts

    @property
    def ungraded(self) -> list[Ungraded]:
        return [item for block in self.viewpoints for item in block.ungraded]


def _order(known: Iterable[str], seen: Iterable[str]) -> list[str]:
    """The known names that occur, in their order, then the others as first seen."""
    present = dict.fromkeys(seen)
    known = tuple(known)
    return [n for n in known if n in present] + [n for n in present if n not in known]


def grouped(measures: list[Measure]) -> dict[str, dict[str, list[Measure]]]:
    """Viewpoint -> policy field -> measures, in the vision's order, then as first seen."""
    found: dict[str, dict[str, list[Measure]]] = {}
    for measure in measures:  # grouped once: free-text fields must not make this quadratic
        by_field = found.setdefault(measure.viewpoint, {})
        by_field.setdefault(measure.policy_field, []).append(measure)
    return {
        viewpoint: {
            name: found[viewpoint][name]
            for name in _order(form.POLICY_FIELDS.get(viewpoint, ()), found[viewpoint])
        }
        for viewpoint in _order(form.VIEWPOINTS, found)
    }


def tally(
    measures: list[Measure],
    year: int,
    rule: Rule = DEFAULT_RULE,
    *,
    refused: Container[str] = frozenset(),
    off_form: str = "",
) -> Tallies:
    """Grade counts per policy field, viewpoint and overall; a KPI without a grade is
    counted as 評価なし with its reason (grading.why_ungraded, which `refused` and
    `off_form` are for)."""

    def empty() -> Counts:
        return Counts(dict.fromkeys(rule.labels, 0), rule.good_labels)

    overall = empty()
    result: list[ViewpointTally] = []
    for viewpoint, members in grouped(measures).items():
        block = ViewpointTally(viewpoint, [], empty())
        for policy_field, in_field in members.items():
            counts = empty()
            for measure in in_field:
                weak = False
                for kpi in measure.kpis:
                    grade = kpi.grades.get(year)
                    if grade is None:
                        reason = why_ungraded(
                            measure, kpi, year, rule, refused=refused, off_form=off_form
                        )
                        block.ungraded.append(Ungraded(measure, kpi, reason))
                        for target in (counts, block.subtotal, overall):
                            target.add_ungraded(reason)
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
