"""What the document is made from: the returns (merged as `xlkpi merge` does) or a summary.

A summary is read as `xlkpi forms` reads it (prefill.measures_from_book: 施策データ and
データ), then graded again from its values; the grades on its 達成状況一覧 win, since
that is where the secretariat corrects a grade by hand and what 概要's counts follow.
Every grade taken over a different computed one is named in a warning, with its cell.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from xlkpi.grading import DEFAULT_RULE, Rule, grade_measure
from xlkpi.intake import Limits, Named
from xlkpi.merge import MergeResult, YearOutsidePlan, merge, merge_named, previous_tally
from xlkpi.model import Kpi, Measure, latest_actual_year
from xlkpi.prefill import measures_from_book, open_summary, summary_name
from xlkpi.previous import Comparison, compare, is_summary_file, key
from xlkpi.problems import LedgerEntry, Report, Status, problem
from xlkpi.summary.base import LIST_SHEET
from xlkpi.tally import tally
from xlkpi.values import clean_text, era_name, plain_year
from xlkpi.workbook import Rejected, Workbook, cell_ref

HEADER_SEARCH = 10  # rows of 達成状況一覧 its header row is looked for in


def read_source(
    inputs: list[Path] | list[Named],
    *,
    year: int | None = None,
    previous: Path | Named | None = None,
    rule: Rule = DEFAULT_RULE,
    limits: Limits | None = None,
    jobs: int = 1,
    on_file: Callable[[int, int], None] | None = None,
) -> MergeResult:
    """One xlkpi summary, or else the returns, merged (paths, or files given as (name,
    bytes)). YearOutsidePlan as merge raises it."""
    if len(inputs) == 1 and _is_summary(inputs[0]):
        return from_summary(inputs[0], year=year, previous=previous, rule=rule, limits=limits)
    paths = [item for item in inputs if isinstance(item, Path)]
    named = [item for item in inputs if not isinstance(item, Path)]
    if named:
        return merge_named(named, year=year, previous=previous, rule=rule, limits=limits,
                           on_file=on_file)  # fmt: skip
    return merge(paths, year=year, previous=previous, rule=rule, limits=limits, jobs=jobs,
                 on_file=on_file)  # fmt: skip


def _is_summary(item: Path | Named) -> bool:
    if isinstance(item, Path):
        return item.is_file() and is_summary_file(item)
    return is_summary_file(item[1])


def from_summary(
    path: Path | Named,
    *,
    year: int | None = None,
    previous: Path | Named | None = None,
    rule: Rule = DEFAULT_RULE,
    limits: Limits | None = None,
) -> MergeResult:
    """The merge result a summary holds (a path or (name, bytes)), its hand-corrected
    grades included."""
    report = Report()
    shown = summary_name(path)
    report.ledger.append(LedgerEntry(shown, "", Status.READ, "xlkpi の集計ブックです。"))
    book = open_summary(path, report, limits)
    measures = measures_from_book(book, shown, report) if book is not None else []
    for measure in measures:
        report.extend(grade_measure(measure, rule))
    if book is not None:
        take_list_grades(book, measures, rule, shown, report)
    years = tuple(sorted({y for m in measures for y in m.years}))
    if year is None:
        year = latest_actual_year(measures)
    elif years and year not in years:
        raise YearOutsidePlan(year, years)
    comparison = None
    if year is not None:
        if previous is None:  # the previous year's grades as the list has them
            comparison = _listed_previous(measures, year - 1, shown)
        else:
            comparison, found = compare(measures, year, previous, rule.labels, limits)
            report.extend(found)
    if not measures and report.ok:
        report.add(problem("nothing-merged"))
    return MergeResult(
        measures=measures,
        report=report,
        year=year,
        years=years,
        tallies=tally(measures, year, rule) if year is not None else None,
        rule=rule,
        files=1,
        comparison=comparison,
        previous_tallies=previous_tally(measures, comparison, rule, set()),
    )


def _listed_previous(measures: list[Measure], year: int, shown: str) -> Comparison | None:
    """The previous year's grades as 達成状況一覧 lists them (from last year's summary then)."""
    kpis = [(m, k) for m in measures for k in m.kpis]
    if not any(year in k.grades for _, k in kpis):
        return None
    missing = [(m, k) for m, k in kpis if year not in k.grades]
    return Comparison(year, shown, unmatched=missing)


def take_list_grades(
    book: Workbook, measures: list[Measure], rule: Rule, shown: str, report: Report
) -> None:
    """Each KPI's grade per year as 達成状況一覧 has it, over the one computed from its values."""
    try:
        rows = list(book.rows(LIST_SHEET))
    except KeyError:
        report.add(problem("summary-list-missing", file=shown, sheet=LIST_SHEET))
        return
    except Rejected as rejected:
        report.add(problem(rejected.code, file=shown, sheet=LIST_SHEET, detail=rejected.detail))
        return
    top = next((r for r, row in enumerate(rows[:HEADER_SEARCH]) if _is_header(row)), None)
    if top is None:
        report.add(problem("summary-list-missing", file=shown, sheet=LIST_SHEET))
        return
    header = [clean_text(v) for v in rows[top]]
    name_col, kpi_col = header.index("施策名"), header.index("成果指標")
    grade_cols = {c: y for c, title in enumerate(header) if (y := _era_year(title)) is not None}
    seen: Counter[tuple[str, str]] = Counter()
    by_key = {key(m.name, k.name, seen): (m, k) for m in measures for k in m.kpis}
    seen.clear()
    for r, row in enumerate(rows[top + 1 :], start=top + 1):
        text = [clean_text(v) for v in row]
        name = text[name_col] if name_col < len(text) else ""
        kpi_name = text[kpi_col] if kpi_col < len(text) else ""
        if not name and not kpi_name:
            continue
        found = by_key.get(key(name, kpi_name, seen))
        if found is None:
            report.add(problem("summary-list-unmatched", file=shown, sheet=LIST_SHEET,
                               cell=cell_ref((r, name_col)), name=name, kpi=kpi_name))  # fmt: skip
            continue
        measure, kpi = found
        for col, year in grade_cols.items():
            listed = text[col] if col < len(text) else ""
            _take(measure, kpi, year, listed, rule, report, shown, cell_ref((r, col)))


def _take(
    measure: Measure, kpi: Kpi, year: int, listed: str, rule: Rule, report: Report, shown: str,
    cell: str,
) -> None:  # fmt: skip
    computed = kpi.grades.get(year)
    where = {"file": shown, "sheet": LIST_SHEET, "cell": cell}
    if listed and listed not in rule.labels:
        report.add(problem("summary-grade-unknown", **where, found=listed,
                           labels="・".join(rule.labels), computed=computed or "評価なし"))  # fmt: skip
        return
    if listed == (computed or ""):
        return
    if year in measure.years:  # a plan year: graded from the values, so this is a hand edit
        report.add(problem("summary-grade-edited", **where, year=year, grade=listed or "空欄",
                           computed=computed or "評価なし", name=measure.name, kpi=kpi.name))  # fmt: skip
    if listed:
        kpi.grades[year] = listed
    else:
        kpi.grades.pop(year, None)


def _is_header(row: Sequence[object]) -> bool:
    cells = [clean_text(v) for v in row]
    return "施策名" in cells and "成果指標" in cells


def _era_year(title: str) -> int | None:
    """A grade column's year from its title, 「R6」 (era_name's way; nothing else is one)."""
    year = plain_year(title) if title else None
    return year if year is not None and era_name(year) == title else None
