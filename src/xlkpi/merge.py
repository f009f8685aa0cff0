"""The pipeline: discover files, read each workbook, grade, check across returns, tally."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from xlkpi import form, workers
from xlkpi.grading import DEFAULT_RULE, Rule, grade_measure
from xlkpi.intake import (
    Candidate,
    InputMissing,
    Limits,
    Named,
    NotRegular,
    OutputIsInput,
    OutputTaken,
    TooBig,
    discover,
    discover_named,
    path_problem,
)
from xlkpi.model import Kpi, Measure, actual_key, latest_actual_year
from xlkpi.previous import Comparison, compare, is_summary, is_summary_file
from xlkpi.problems import (
    LedgerEntry,
    Problem,
    Report,
    Severity,
    Status,
    lock_files,
    problem,
)
from xlkpi.reader import read_sheet
from xlkpi.tally import Tallies, tally, weak_in_both
from xlkpi.values import fold_label
from xlkpi.workbook import Rejected, Workbook

_SHEET_KINDS = {
    "chartsheet": "グラフシート",
    "dialogsheet": "ダイアログシート",
    "xlMacrosheet": "マクロシート",
    "xlIntlMacrosheet": "マクロシート",
}


class YearOutsidePlan(Exception):
    """The report year asked for is none of the returns' plan years (a usage error)."""

    def __init__(self, year: int, years: tuple[int, ...]) -> None:
        super().__init__(year, years)
        self.year = year
        self.years = years


@dataclass
class FileResult:
    """What one workbook gave: ledger rows (file first), problems, graded measures."""

    display: str
    ledger: list[LedgerEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)


@dataclass
class MergeResult:
    measures: list[Measure]
    report: Report
    year: int | None
    years: tuple[int, ...]  # every plan year seen
    tallies: Tallies | None
    rule: Rule
    files: int
    comparison: Comparison | None = None  # the previous year, when its grades are known
    previous_tallies: Tallies | None = None

    @property
    def grade_years(self) -> tuple[int, ...]:
        """Years that get a grade column: the plan years, the report year and the compared one."""
        extra = {self.year} if self.year is not None else set()
        if self.comparison is not None:
            extra.add(self.comparison.year)
        return tuple(sorted(set(self.years) | extra))

    def continuing_weak(self) -> list[tuple[Measure, Kpi]]:
        """KPIs below the good bands in both the report year and the previous year."""
        if self.year is None or self.comparison is None:
            return []
        return weak_in_both(self.measures, self.year, self.comparison.year, self.rule)


def read_file(
    candidate: Candidate, limits: Limits | None = None, rule: Rule = DEFAULT_RULE
) -> FileResult:
    """Read and grade one workbook. Never raises for bad input."""
    result = FileResult(candidate.display)
    head = LedgerEntry(candidate.display, "", Status.READ)
    result.ledger.append(head)

    def fail(code: str, sheet: str = "", **params: Any) -> None:
        result.problems.append(problem(code, file=candidate.display, sheet=sheet, **params))

    cap = (limits or Limits()).max_unzipped_bytes  # a file larger than it unzips to: no return
    try:
        data = candidate.read(cap)
    except NotRegular as exc:
        fail("not-regular-file", kind=exc.kind)
        return result
    except TooBig as exc:
        if is_summary_file(candidate.path):  # a national summary is larger than any return
            fail("summary-as-return")
        else:
            fail("too-large", detail=f"ファイルの大きさ {exc.size:,} バイト（上限 {exc.limit:,}）")
        return result
    except OSError as exc:  # no permission, a loop, gone: said as such, never "damaged"
        result.problems.append(path_problem(exc, candidate.display))
        return result
    suffix = candidate.path.suffix.lower()
    try:
        book = Workbook(data, limits)
    except Rejected as rejected:
        if rejected.code == "too-large" and is_summary_file(data):
            fail("summary-as-return")  # a national summary is larger than any return may be
            return result
        fail(rejected.code, detail=rejected.detail)
        if rejected.code == "old-xls" and suffix != ".xls":
            fail("extension-mismatch", ext=suffix, actual="Excel 97-2003 形式 (.xls)")
        return result
    if suffix in (".xls", ".xlsb", ".ods"):
        fail("extension-mismatch", ext=suffix, actual="Excel ブック (.xlsx)")
    if is_summary(info.name for info in book.sheets):  # last year's, left among the returns
        fail("summary-as-return")
        return result
    if book.has_macros or suffix == ".xlsm":
        head.note = "マクロは実行せず、値だけを読み込みました。"
    for info in book.sheets:
        entry = LedgerEntry(candidate.display, info.label, Status.READ)
        result.ledger.append(entry)
        if info.part is None:
            fail("sheet-part-missing", sheet=info.label, detail=f"シート「{info.label}」")
            continue
        if info.kind != "worksheet":
            kind = _SHEET_KINDS.get(info.kind, info.kind)
            entry.status, entry.note = Status.SKIPPED, f"{kind}のため読み込みません。"
            continue
        try:
            sheet = read_sheet(book.grid(info), candidate.display)
        except Rejected as rejected:
            fail(rejected.code, sheet=info.label, detail=rejected.detail)
            continue
        except MemoryError:  # the worker's ceiling: the file is memory-exceeded, not a sheet
            raise
        except Exception as exc:  # a hostile sheet must not stop the other returns
            fail("sheet-unreadable", sheet=info.label, detail=f"{type(exc).__name__}: {exc}"[:200])
            continue
        if info.state != "visible":
            entry.status, entry.note = Status.SKIPPED, "非表示のシートは集計しません。"
            if sheet.is_form:
                fail("hidden-form-sheet", sheet=info.label)
            continue
        if not sheet.is_form:  # 記入要領 is read too: a form typed over it is a form
            note = (
                "記入要領のシートです。"
                if info.name == form.INSTRUCTIONS_SHEET
                else "様式のシートではありません。"
            )
            entry.status, entry.note = Status.SKIPPED, note
            continue
        if sheet.blank:
            entry.status, entry.note = Status.SKIPPED, "記入されていない様式のシートです。"
            if info.name != form.FORM_SHEET:  # the template's own sheet is left blank as told
                fail("form-blank", sheet=info.label)
            continue
        result.problems.extend(sheet.problems)
        if sheet.measure is not None:
            entry.measure = sheet.measure.name
            result.problems.extend(grade_measure(sheet.measure, rule))
            result.measures.append(sheet.measure)
    if not any(e.sheet and e.status is not Status.SKIPPED for e in result.ledger) and not any(
        p.severity is Severity.ERROR for p in result.problems
    ):
        fail("no-form-sheets")
    return result


def _read_guarded(
    candidate: Candidate, limits: Limits | None = None, rule: Rule = DEFAULT_RULE
) -> FileResult:
    """read_file, turning even a library panic (pyo3's is a BaseException) into a record.

    MemoryError is let through: the worker reports it as memory-exceeded and is replaced.
    """
    try:
        result = read_file(candidate, limits, rule)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:
        result = FileResult(candidate.display)
        result.ledger.append(LedgerEntry(candidate.display, "", Status.READ))
        detail = f"{type(exc).__name__}: {exc}"[:200]
        result.problems.append(problem("corrupt-file", file=candidate.display, detail=detail))
    if any(p.code in _CATCH_ALL and "（MemoryError" in p.message for p in result.problems):
        raise MemoryError  # caught as any error by a reading step: still the ceiling
    return result


_CATCH_ALL = frozenset({"corrupt-file", "sheet-unreadable"})

START_METHOD = "fork" if sys.platform == "linux" else None  # spawn elsewhere (fork: macOS unsafe)
_FAILURE_CODES = {workers.CRASHED: "reader-crashed", workers.TIMEOUT: "reader-timeout",
                  workers.MEMORY: "memory-exceeded"}  # fmt: skip


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _failed(candidate: Candidate, failure: workers.Failure, limits: Limits) -> FileResult:
    """The record of a file that cost its worker: its ledger row and the reason."""
    result = FileResult(candidate.display)
    result.ledger.append(LedgerEntry(candidate.display, "", Status.READ))
    code = _FAILURE_CODES[failure.kind]
    found = problem(code, file=candidate.display, detail=failure.detail,
                    seconds=f"{limits.max_seconds:g}", mb=limits.max_memory_mb)  # fmt: skip
    result.problems.append(found)
    return result


def read_all(
    candidates: list[Candidate], limits: Limits | None, rule: Rule, jobs: int
) -> Iterator[FileResult]:
    """Each file read and graded, in the given order, each in a worker process (workers.py).

    Up to `jobs` workers, one at least, also for one file: a file that crashes, hangs or
    exhausts its worker costs that file only (reader-crashed, reader-timeout,
    memory-exceeded), and nothing is read again here. Workers start by fork on Linux
    (nothing re-imported), by spawn elsewhere. Only Pyodide, which has no processes,
    reads here.
    """
    limits = limits or Limits()
    if not workers.HAS_PROCESSES:
        for candidate in candidates:
            try:
                yield _read_guarded(candidate, limits, rule)
            except MemoryError:
                yield _failed(candidate, workers.Failure(workers.MEMORY, ""), limits)
        return
    pool: workers.Pool[Candidate, FileResult] = workers.Pool(
        partial(_read_guarded, limits=limits, rule=rule),
        jobs=jobs,
        max_seconds=limits.max_seconds,
        max_memory_bytes=limits.max_memory_mb * 2**20,
        start_method=START_METHOD,
    )
    for candidate, outcome in zip(candidates, pool.map(candidates), strict=True):
        yield (
            _failed(candidate, outcome, limits) if isinstance(outcome, workers.Failure) else outcome
        )


def merge(
    inputs: list[Path],
    *,
    year: int | None = None,
    limits: Limits | None = None,
    rule: Rule = DEFAULT_RULE,
    output: Path | None = None,
    previous: Path | Named | None = None,
    jobs: int = 1,
    on_file: Callable[[int, int], None] | None = None,
) -> MergeResult:
    """Read every return under `inputs`. `output` may not be one of them, and may replace
    only an earlier summary (OutputIsInput, OutputTaken otherwise).

    A `year` given must be a plan year of some return (YearOutsidePlan otherwise).

    `previous` is last year's summary, used where the forms hold no previous-year actual.
    `jobs` worker processes read the files; `on_file(files, sheets)` is told of each file read.
    """
    if isinstance(previous, Path) and not previous.is_file():
        raise InputMissing(str(previous))
    if isinstance(previous, Path) and output is not None and previous.resolve() == output.resolve():
        raise OutputIsInput(str(output))  # last year's summary would be replaced by this one
    # An earlier summary is remade, even among the returns; anything else is never replaced.
    replaceable = output is not None and output.is_file() and is_summary_file(output)
    candidates, report = discover(inputs, output, output_is_summary=replaceable)
    if output is not None and output.is_file() and not replaceable:
        raise OutputTaken(output, "集計ブック")  # a return kept elsewhere, or a mistyped name
    if isinstance(previous, Path):  # last year's summary kept with the returns, and given as such
        given = next((c for c in candidates if c.path.resolve() == previous.resolve()), None)
        if given is not None:
            candidates.remove(given)
            note = "--previous で指定した前年度の集計ブックです（調書としては読み込みません）。"
            report.ledger.append(LedgerEntry(given.display, "", Status.SKIPPED, note))
    return merge_candidates(candidates, report, year=year, limits=limits, rule=rule,
                            previous=previous, jobs=jobs, on_file=on_file)  # fmt: skip


def merge_named(
    inputs: list[Named],
    *,
    year: int | None = None,
    limits: Limits | None = None,
    rule: Rule = DEFAULT_RULE,
    previous: Path | Named | None = None,
    on_file: Callable[[int, int], None] | None = None,
) -> MergeResult:
    """`merge` for files given as (name, bytes): nothing is on disk. Read in a worker
    process as any return is (the content goes through the pipe), or here in Pyodide."""
    candidates, report = discover_named(inputs)
    return merge_candidates(candidates, report, year=year, limits=limits, rule=rule,
                            previous=previous, on_file=on_file)  # fmt: skip


def merge_candidates(
    candidates: list[Candidate],
    report: Report,
    *,
    year: int | None = None,
    limits: Limits | None = None,
    rule: Rule = DEFAULT_RULE,
    previous: Path | Named | None = None,
    jobs: int = 1,
    on_file: Callable[[int, int], None] | None = None,
) -> MergeResult:
    """Read, grade and check the candidates found; `report` holds what intake found."""
    report.extend(lock_files(report.ledger))  # a workbook open in Excel: said before it is read
    measures: list[Measure] = []
    results = read_all(candidates, limits, rule, jobs)
    for candidate, result in zip(candidates, results, strict=True):
        if on_file is not None:
            on_file(len(candidates), len(result.ledger) - 1)
        if not result.ledger or (result.ledger[0].file, result.ledger[0].sheet) != (
            candidate.display,
            "",
        ):
            raise AssertionError(f"{candidate.display} has no ledger row")
        report.ledger.extend(result.ledger)
        report.extend(result.problems)
        measures.extend(result.measures)
    measures = _drop_duplicates(measures, report)
    if not measures and report.ok:  # an empty or wrong folder must not look like success
        report.add(problem("nothing-merged"))
    named = {fold_label(k.name) for m in measures for k in m.kpis}
    for name in sorted(rule.lower_is_better - named):  # a typo in the settings is not silent
        report.add(problem("settings-kpi-unknown", file=rule.source, kpi=name))
    measures.sort(key=lambda m: (m.number is None, m.number or 0, m.name))
    years = tuple(sorted({y for m in measures for y in m.years}))
    if year is None:
        year = latest_actual_year(measures)
        if year is not None:
            report.extend(_sparse_year(measures, year))
    elif years and year not in years:
        raise YearOutsidePlan(year, years)
    comparison = None
    if year is not None:
        report.extend(_no_actuals(measures, year) or _missing_actuals(measures, year))
        comparison, found = compare(measures, year, previous, rule.labels, limits)
        report.extend(found)
    _settle_ledger(report)
    refused = {p.where for p in report.errors if p.cell}  # 評価なし: unreadable, not blank
    return MergeResult(
        measures=measures,
        report=report,
        year=year,
        years=years,
        tallies=tally(measures, year, rule, refused=refused) if year is not None else None,
        rule=rule,
        files=len(candidates),
        comparison=comparison,
        previous_tallies=previous_tally(measures, comparison, rule, refused),
    )


def previous_tally(
    measures: list[Measure], comparison: Comparison | None, rule: Rule, refused: set[str]
) -> Tallies | None:
    """The previous year's tallies; a KPI last year's summary did not match is 評価なし."""
    if comparison is None:
        return None
    off_form = "前年度の集計ブックに該当なし" if comparison.source != "調書" else ""
    return tally(measures, comparison.year, rule, refused=refused, off_form=off_form)


def _drop_duplicates(measures: list[Measure], report: Report) -> list[Measure]:
    """Keep the first of each measure name; the later copy is reported with both sources."""
    kept: dict[str, Measure] = {}
    numbers: dict[int, Measure] = {}
    for measure in measures:
        key = fold_label(measure.name)
        first = kept.get(key)
        where = {"file": measure.file, "sheet": measure.sheet}
        if first is not None:
            other = f"{first.file}!{first.sheet}"
            same = first.content() == measure.content()
            code = "duplicate-identical" if same else "duplicate-measure"
            report.add(problem(code, **where, name=measure.name, other=other))
            continue
        kept[key] = measure
        if measure.number is not None:
            clash = numbers.setdefault(measure.number, measure)
            if clash is not measure and (measure.number_from_sheet or clash.number_from_sheet):
                # departments number their own sheets 施策1, 施策2 ...: no conflict, told
                report.add(problem("number-from-sheet", **where, number=measure.number,
                                   other=f"{clash.file}!{clash.sheet}"))  # fmt: skip
                measure.number = None
            elif clash is not measure:
                report.add(
                    problem(
                        "duplicate-number",
                        **where,
                        number=measure.number,
                        other=f"{clash.file}!{clash.sheet}",
                        name=clash.name,
                    )
                )
    return list(kept.values())


def _sparse_year(measures: list[Measure], year: int) -> list[Problem]:
    """The latest year with an actual, taken as the report year, has few of them.

    One actual typed into next year's column would otherwise make the whole report
    that year's, quietly: the user is told where it is and how to choose.
    """
    having = [(m, k) for m in measures for k in m.kpis if year in k.actuals]
    counts = Counter(y for m in measures for k in m.kpis for y in k.actuals if y < year)
    # The earlier year with the most actuals: a stray 2029 is measured against 2024 too.
    before, previous = max(((n, y) for y, n in counts.items()), default=(0, year - 1))
    if len(having) * 2 >= before:
        return []
    first, kpi = having[0]
    return [
        problem(
            "report-year-sparse",
            file=first.file,
            sheet=first.sheet,
            cell=kpi.cells.get(actual_key(year), ""),
            year=year,
            count=len(having),
            before=before,
            previous=previous,
        )
    ]


def _no_actuals(measures: list[Measure], year: int) -> list[Problem]:
    """No return has an actual for the year yet: one sentence instead of a warning per KPI
    (a form without the year's column is still named)."""
    kpis = [k for m in measures if year in m.years for k in m.kpis if k.target is not None]
    if not kpis or any(year in k.actuals for m in measures for k in m.kpis):
        return []
    off_form = [p for p in _missing_actuals(measures, year) if p.code != "actual-missing"]
    return [problem("year-no-actuals", year=year, count=len(kpis)), *off_form]


def _missing_actuals(measures: Iterable[Measure], year: int) -> list[Problem]:
    found = []
    for measure in measures:
        if year not in measure.years:  # last plan period's form, or the column deleted
            shown = f"{min(measure.years)}〜{max(measure.years)}年度" if measure.years else "なし"
            where = {"file": measure.file, "sheet": measure.sheet}
            found.append(problem("year-not-on-form", **where, year=year, years=shown))
            continue
        for kpi in measure.kpis:
            if year not in kpi.actuals and kpi.target is not None:
                found.append(
                    problem(
                        "actual-missing",
                        file=measure.file,
                        sheet=measure.sheet,
                        cell=kpi.cells.get(actual_key(year), ""),
                        kpi=kpi.name,
                        year=year,
                    )
                )
    return found


def _settle_ledger(report: Report) -> None:
    """Statuses from the problems; every file and sheet must appear exactly once."""
    worst: dict[tuple[str, str], Status] = {}
    messages: dict[tuple[str, str], list[str]] = {}
    for item in report.problems:
        status = Status.ERROR if item.severity is Severity.ERROR else Status.WARNING
        messages.setdefault((item.file, item.sheet), []).append(item.message)
        for key in ((item.file, item.sheet), (item.file, "")):
            if worst.get(key) is not Status.ERROR:
                worst[key] = status
    seen: set[tuple[str, str]] = set()
    for entry in report.ledger:
        key = (entry.file, entry.sheet)
        if key in seen:
            raise AssertionError(f"ledger lists {key} twice")
        seen.add(key)
        if entry.status is not Status.SKIPPED or not entry.sheet:
            entry.status = worst.get(key, entry.status)
        if entry.status in (Status.ERROR, Status.WARNING) and not entry.note:
            kind = "エラー" if entry.status is Status.ERROR else "警告"
            own = messages.get(key, [])
            entry.note = (
                own[0] if len(own) == 1 else f"{kind}があります（受付の問題の一覧を参照）。"
            )
