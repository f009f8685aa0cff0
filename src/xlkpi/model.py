"""What a form says once read: a measure with its KPIs, and their grades."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from fractions import Fraction
from operator import attrgetter
from typing import Any


@functools.cache
def actual_key(year: int) -> str:
    """A year's actual in Kpi.cells: "actual:2024", one object per year."""
    return f"actual:{year}"


@dataclass(slots=True)
class Kpi:
    name: str
    unit: str = ""
    baseline: Decimal | None = None
    target: Decimal | None = None
    actuals: dict[int, Decimal] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)  # an actual's note: 速報値, 見込み
    direction: str = ""  # "higher" / "lower" from the form's 方向 column; "" = not stated
    # Where each value came from, or belongs when blank, for messages: "target" -> "F8",
    # actual_key(2024) -> "B18".
    cells: dict[str, str] = field(default_factory=dict)
    # Filled by grading: exact achievement ratio and grade per year with an actual.
    ratios: dict[int, Fraction] = field(default_factory=dict)
    grades: dict[int, str] = field(default_factory=dict)

    def __reduce__(self) -> tuple[type[Kpi], tuple[Any, ...]]:
        return Kpi, _KPI_FIELDS(self)


@dataclass(slots=True)
class Measure:
    name: str
    number: int | None = None
    viewpoint: str = ""
    policy_field: str = ""
    kpis: list[Kpi] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # form.TEXT_FIELDS keys
    budgets: dict[int, Decimal] = field(default_factory=dict)
    years: tuple[int, ...] = ()  # plan years of the form's 実績値 header
    base_year: int | None = None
    target_year: int | None = None
    evaluation_year: int | None = None
    file: str = ""
    sheet: str = ""
    number_from_sheet: bool = False  # no 施策番号 on the form: the number is the sheet name's

    def __reduce__(self) -> tuple[type[Measure], tuple[Any, ...]]:
        return Measure, _MEASURE_FIELDS(self)

    def content(self) -> tuple[object, ...]:
        """Everything a department wrote, without where it came from."""
        kpis = tuple(
            (k.name, k.unit, k.baseline, k.target, k.direction, tuple(sorted(k.actuals.items())))
            for k in self.kpis
        )
        return (
            self.name,
            self.number,
            self.viewpoint,
            self.policy_field,
            kpis,
            tuple(sorted(self.texts.items())),
            tuple(sorted(self.budgets.items())),
            self.years,
            self.base_year,
            self.target_year,
            self.evaluation_year,
        )


# Records cross from the reading workers as positional fields: a third less time
# pickling than the per-field state a slotted dataclass gives by default.
_KPI_FIELDS = attrgetter(*(f.name for f in fields(Kpi)))
_MEASURE_FIELDS = attrgetter(*(f.name for f in fields(Measure)))


def latest_actual_year(measures: Iterable[Measure]) -> int | None:
    """The latest year any KPI has an actual for: the default report year."""
    return max((y for m in measures for k in m.kpis for y in k.actuals), default=None)
