"""The previous year's grades, for the comparison on 概要, 分野別集計 and 継続C・D.

They come from the forms' own year columns when those hold the previous year;
otherwise from last year's xlkpi summary (--previous), matched by 施策名 and
成果指標. What cannot be matched either way is reported, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from xlkpi.model import Kpi, Measure
from xlkpi.problems import Problem, problem
from xlkpi.values import clean_text, fold_label
from xlkpi.workbook import Rejected, Workbook

DATA_SHEET = "データ"
_COLUMNS = ("施策名", "成果指標", "年度", "評価")

Key = tuple[str, str]


@dataclass
class Comparison:
    year: int
    source: str  # "調書" or the previous summary's file name
    unmatched: list[tuple[Measure, Kpi]] = field(default_factory=list)
    orphans: list[tuple[str, str, str]] = field(default_factory=list)  # measure, KPI, grade


def key(measure_name: str, kpi_name: str) -> Key:
    return fold_label(measure_name), fold_label(kpi_name)


def read_previous_grades(
    path: Path, year: int
) -> tuple[dict[Key, tuple[str, str, str]], list[Problem]]:
    """(measure, KPI) -> (measure name, KPI name, grade) for `year`, from an xlkpi summary."""
    where = {"file": path.name}
    try:
        book = Workbook(path.read_bytes())
        sheet = next(s for s in book.sheets if s.name == DATA_SHEET and s.part)
        rows = book.grid(sheet).rows
    except (OSError, Rejected, StopIteration) as exc:
        detail = "「データ」シートがありません" if isinstance(exc, StopIteration) else str(exc)
        return {}, [problem("previous-unreadable", **where, detail=detail)]
    header = [clean_text(v) for v in rows[0]] if rows else []
    if not all(name in header for name in _COLUMNS):
        return {}, [
            problem("previous-unreadable", **where, detail="「データ」シートの見出しが違います")
        ]
    at = {name: header.index(name) for name in _COLUMNS}
    found: dict[Key, tuple[str, str, str]] = {}
    for row in rows[1:]:
        cells = [clean_text(row[at[name]]) if at[name] < len(row) else "" for name in _COLUMNS]
        measure, kpi, shown_year, grade = cells
        if shown_year == str(year) and grade:
            found[key(measure, kpi)] = (measure, kpi, grade)
    if not found:
        return {}, [problem("previous-no-year", **where, year=year)]
    return found, []


def compare(
    measures: list[Measure], year: int, previous: Path | None
) -> tuple[Comparison | None, list[Problem]]:
    """Fill each KPI's previous-year grade where the forms lack it; report what stays unmatched."""
    prev = year - 1
    kpis = [(m, k) for m in measures for k in m.kpis]
    from_forms = any(prev in k.grades for _, k in kpis)
    if previous is None:
        if not from_forms:
            return None, []
        missing = [(m, k) for m, k in kpis if prev not in k.grades]
        return Comparison(prev, "調書", unmatched=missing), []
    grades, problems = read_previous_grades(previous, prev)
    if problems:
        return (Comparison(prev, "調書") if from_forms else None), problems
    comparison = Comparison(prev, previous.name if not from_forms else f"調書・{previous.name}")
    used: set[Key] = set()
    for measure, kpi in kpis:
        if prev in kpi.grades:
            used.add(key(measure.name, kpi.name))
            continue
        found = grades.get(key(measure.name, kpi.name))
        if found is None:
            comparison.unmatched.append((measure, kpi))
            problems.append(
                problem(
                    "previous-unmatched",
                    file=measure.file,
                    sheet=measure.sheet,
                    name=measure.name,
                    kpi=kpi.name,
                )
            )
            continue
        kpi.grades[prev] = found[2]
        used.add(key(measure.name, kpi.name))
    for item_key, (name, kpi_name, grade) in grades.items():
        if item_key not in used:
            comparison.orphans.append((name, kpi_name, grade))
            problems.append(
                problem(
                    "previous-orphan",
                    file=previous.name,
                    sheet=DATA_SHEET,
                    name=name,
                    kpi=kpi_name,
                    grade=grade,
                )
            )
    return comparison, problems
