"""Next year's forms, pre-filled from this year's returns or from an xlkpi summary.

Every fixed field and every actual up to the report year is copied; the next
year's 実績値, 年度評価 and 次年度以降の取組 are left empty and highlighted. One
workbook per original department file, in the template's layout and plan period.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path, PurePath

from xlkpi import form
from xlkpi.form import Period
from xlkpi.grading import DEFAULT_RULE, Rule
from xlkpi.intake import Limits, Named, shown_name
from xlkpi.merge import merge, merge_named
from xlkpi.model import Kpi, Measure, latest_actual_year
from xlkpi.previous import is_summary_file
from xlkpi.problems import Report, problem
from xlkpi.summary.base import DATA_SHEET, MEASURE_SHEET
from xlkpi.summary.records import measure_columns
from xlkpi.template import forms_bytes, write_forms
from xlkpi.values import BadValue, clean_text, is_blank, parse_quantities
from xlkpi.workbook import Rejected, Workbook, cell_ref

OPEN_TEXTS = (form.EVALUATION.key, form.NEXT_STEPS.key)  # rewritten every year


class FormsExist(Exception):
    """Workbooks of these names are already in the folder: maybe next year's returns, filled in."""

    def __init__(self, paths: list[Path]) -> None:
        super().__init__(paths)
        self.paths = paths


class BrokenSummary(Exception):
    """An xlkpi summary whose 施策データ or データ sheet lost columns it is read by."""


@dataclass
class Source:
    """What next year's forms are made from, and the report year they continue from."""

    measures: list[Measure]
    year: int | None
    report: Report  # the problems of reading the returns or the summary


def read_source(
    inputs: list[Path] | list[Named],
    *,
    year: int | None = None,
    rule: Rule = DEFAULT_RULE,
    limits: Limits | None = None,
    jobs: int = 1,
    on_file: Callable[[int, int], None] | None = None,
) -> Source:
    """One xlkpi summary (read once), or else returns, read and graded as merge does.

    `inputs` are paths, or files given as (name, bytes).
    """
    if len(inputs) == 1 and _is_summary(inputs[0]):
        report = Report()
        measures = measures_from_summary(inputs[0], report, limits)
        return Source(measures, year or latest_actual_year(measures), report)
    paths = [item for item in inputs if isinstance(item, Path)]
    named = [item for item in inputs if not isinstance(item, Path)]
    if named:
        result = merge_named(named, year=year, rule=rule, limits=limits, on_file=on_file)
    else:
        result = merge(paths, year=year, rule=rule, limits=limits, jobs=jobs, on_file=on_file)
    return Source(result.measures, result.year, result.report)


def _is_summary(item: Path | Named) -> bool:
    if isinstance(item, Path):
        return item.is_file() and is_summary_file(item)
    return is_summary_file(item[1])


def holds_returns(folder: Path, inputs: list[Path]) -> bool:
    """Is `folder` where the returns are? Forms are never written over them."""
    sources = {p.resolve() if p.is_dir() else p.resolve().parent for p in inputs}
    return folder.resolve() in sources


def next_year_measure(measure: Measure, year: int) -> Measure:
    """A copy holding what next year's form starts from: fixed fields and actuals to `year`."""
    texts = {k: v for k, v in measure.texts.items() if k not in OPEN_TEXTS}
    kpis = [
        Kpi(
            name=k.name,
            unit=k.unit,
            baseline=k.baseline,
            target=k.target,
            direction=k.direction,
            actuals={y: v for y, v in k.actuals.items() if y <= year},
            notes={y: v for y, v in k.notes.items() if y <= year},
        )
        for k in measure.kpis
    ]
    return replace(
        measure, kpis=kpis, texts=texts, evaluation_year=year + 1, budgets=dict(measure.budgets)
    )


class PeriodTooLong(ValueError):
    """One department's forms name years further apart than a plan period can be."""


def period_of(measures: list[Measure]) -> Period:
    """The plan period of one department's forms: every year they name, and their base year.

    Raises PeriodTooLong when those years span more than form.MAX_PLAN_YEARS.
    """
    years = {y for m in measures for y in m.years}
    years |= {y for m in measures for k in m.kpis for y in k.actuals}
    years |= {y for m in measures for y in m.budgets}
    if not years:
        return form.DEFAULT_PERIOD
    bases = Counter(m.base_year for m in measures if m.base_year is not None)
    first, last = min(years), max(years)
    if last - first >= form.MAX_PLAN_YEARS:
        raise PeriodTooLong(f"{measures[0].file}: {first}〜{last}年度")
    base = bases.most_common(1)[0][0] if bases else first - 2
    return Period(first_year=first, last_year=last, base_year=base)


def by_source(measures: list[Measure]) -> dict[str, list[Measure]]:
    """Measures grouped by the file they came from, in order."""
    grouped: dict[str, list[Measure]] = {}
    for measure in measures:
        grouped.setdefault(measure.file, []).append(measure)
    return grouped


_UNSAFE = re.compile(r'[\x00-\x1f<>:"/\\|?*]')


def output_names(measures: list[Measure]) -> dict[str, str]:
    """Original file (as shown in the ledger) -> the .xlsx name its pre-filled forms get."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for source in dict.fromkeys(m.file for m in measures):
        # Only the file's own name, made safe on every system (a summary's ファイル is just text).
        base = PurePath(source.replace("\\", "/")).name
        stem = _UNSAFE.sub("_", base.rsplit(".", 1)[0] if "." in base else base).strip(" .")
        stem = stem[:100] or "調書"
        name, copy = f"{stem}.xlsx", 1
        while name.lower() in used:
            copy += 1
            name = f"{stem}_{copy}.xlsx"
        used.add(name.lower())
        names[source] = name
    return names


@dataclass(frozen=True)
class Written:
    """One pre-filled workbook: where, from which return, how many measures, which period."""

    path: Path
    source: str
    measures: int
    period: Period


def _plans(measures: list[Measure], year: int) -> list[tuple[list[Measure], str, str, Period]]:
    """(next year's measures, workbook name, source, period) per original file, all checked."""
    by_file = by_source(measures)
    plans = []
    for source, name in output_names(measures).items():
        own = [next_year_measure(m, year) for m in by_file[source]]
        plans.append((own, name, source, period_of(own)))
    return plans


def _open_year(year: int, period: Period) -> int | None:
    return year + 1 if year + 1 in period.years else None


def next_year_forms(
    measures: list[Measure], year: int, rule: Rule = DEFAULT_RULE
) -> list[tuple[Written, bytes]]:
    """write_next_year_forms in memory: each workbook's record (its path the bare name), bytes."""
    return [
        (
            Written(Path(name), source, len(own), period),
            forms_bytes(own, period, open_year=_open_year(year, period), rule=rule, name=name),
        )
        for own, name, source, period in _plans(measures, year)
    ]


def write_next_year_forms(
    measures: list[Measure], year: int, folder: Path, rule: Rule = DEFAULT_RULE
) -> list[Written]:
    """One pre-filled workbook per original file (its instructions state `rule`), in order.

    Nothing is written over an existing workbook (FormsExist), nor when a period is too long.
    A failure part way (a full disk, Ctrl-C) removes the forms already written: a second
    run into the same folder would otherwise refuse them as existing workbooks.
    """
    plans = [  # every period and every name is checked before anything is written
        (own, Written(folder / name, source, len(own), period))
        for own, name, source, period in _plans(measures, year)
    ]
    existing = [written.path for _, written in plans if written.path.exists()]
    if existing:
        raise FormsExist(existing)
    done: list[Path] = []
    try:
        for own, written in plans:
            open_year = _open_year(year, written.period)
            write_forms(written.path, own, written.period, open_year=open_year, rule=rule)
            done.append(written.path)
    except BaseException:
        for path in done:
            path.unlink(missing_ok=True)
        raise
    return [written for _, written in plans]


def measures_from_summary(
    source: Path | Named, report: Report, limits: Limits | None = None
) -> list[Measure]:
    """The measures a summary's 施策データ and データ sheets hold, as the forms had them.

    xlkpi writes only numbers or blanks where numbers go, and データ rows only for
    施策データ's measures: what an edit in Excel changed is reported, not dropped.
    A summary that cannot be read is reported as a return would be (none are returned).
    """
    book = open_summary(source, report, limits)
    return [] if book is None else measures_from_book(book, summary_name(source), report)


def summary_name(source: Path | Named) -> str:
    """How messages name a summary given as a path or as (name, bytes)."""
    return shown_name(PurePath(source.name if isinstance(source, Path) else source[0]).name)


def open_summary(
    source: Path | Named, report: Report, limits: Limits | None = None
) -> Workbook | None:
    """The summary workbook, or None with the reason reported as a return's would be."""
    shown = summary_name(source)
    try:
        data = source.read_bytes() if isinstance(source, Path) else source[1]
        return Workbook(data, limits)
    except Rejected as rejected:  # e.g. too-large: a national summary unzips to 180 MB
        report.add(problem(rejected.code, file=shown, detail=rejected.detail))
    except OSError as exc:
        detail = f"読み込めません: {exc.strerror or type(exc).__name__}"
        report.add(problem("corrupt-file", file=shown, detail=detail))
    return None


def measures_from_book(book: Workbook, shown: str, report: Report) -> list[Measure]:
    """measures_from_summary, on a summary already open (`shown` is its name in messages)."""
    try:
        measure_rows, data_rows = list(book.rows(MEASURE_SHEET)), list(book.rows(DATA_SHEET))
    except Rejected as rejected:
        report.add(problem(rejected.code, file=shown, detail=rejected.detail))
        return []
    except KeyError as missing:  # the sheet is listed, its part is not there
        raise BrokenSummary(f"「{missing.args[0]}」シートの中身がありません") from missing
    measures: dict[tuple[str, str, str], Measure] = {}
    header = _header(measure_rows)
    budget_years = {
        int(title.rsplit(" ", 1)[1]): index
        for title, index in header.items()
        if title.startswith("事業費（千円） ")
    }
    _require(header, measure_columns(()), MEASURE_SHEET)  # 事業費 columns are per year
    for r, values in enumerate(measure_rows[1:], start=1):
        row = _Row(values, r, header, MEASURE_SHEET, shown, report)
        if not row.text("施策名"):
            continue
        budgets = {year: row.number(index) for year, index in budget_years.items()}
        measure = Measure(
            name=row.text("施策名"),
            number=row.integer("No"),
            viewpoint=row.text("連携する視点"),
            policy_field=row.text("政策分野"),
            texts={f.key: row.text(f.label) for f in form.TEXT_FIELDS if row.text(f.label)},
            budgets={year: value for year, value in budgets.items() if value is not None},
            years=_plan_years(
                row.integer("計画期間（初年度）"), row.integer("計画期間（最終年度）")
            ),
            base_year=row.integer("現状値の年度"),
            target_year=row.integer("目標値の年度"),
            file=row.text("ファイル"),
            sheet=row.text("シート"),
        )
        measures[(measure.file, measure.sheet, measure.name)] = measure
    data_header = _header(data_rows)
    _require(data_header, _DATA_COLUMNS, DATA_SHEET)
    # A KPI's rows, one per plan year; a year seen again is the next KPI of the same name.
    kpis: dict[tuple[str, str, str, str], list[tuple[Kpi, set[int]]]] = {}
    for r, values in enumerate(data_rows[1:], start=1):
        row = _Row(values, r, data_header, DATA_SHEET, shown, report)
        if not any(row.text(title) for title in _DATA_COLUMNS):
            continue
        owner = measures.get((row.text("ファイル"), row.text("シート"), row.text("施策名")))
        if owner is None:
            report.add(problem("summary-row-unmatched", file=shown, sheet=DATA_SHEET,
                               cell=cell_ref((r, data_header["施策名"])),
                               name=row.text("施策名"), kpi=row.text("成果指標")))  # fmt: skip
            continue
        year = row.integer("年度")
        same_name = kpis.setdefault((owner.file, owner.sheet, owner.name, row.text("成果指標")), [])
        kpi, years = next(
            ((k, y) for k, y in same_name if year is None or year not in y), (None, set())
        )
        if kpi is None:
            kpi = Kpi(
                name=row.text("成果指標"),
                unit=row.text("単位"),
                baseline=row.number(data_header["現状値"]),
                target=row.number(data_header["目標値"]),
                direction=form.direction_of(row.text("方向")) or "",
            )
            same_name.append((kpi, years))
            owner.kpis.append(kpi)
        if year is not None:
            years.add(year)
        actual = row.number(data_header["実績値"])
        if year is not None and actual is not None:
            kpi.actuals[year] = actual
            if note := row.text("注記"):  # an older summary has no 注記 column
                kpi.notes[year] = note
    return list(measures.values())


@dataclass
class _Row:
    """One row of a summary sheet, read by column title; what is not a number is reported."""

    values: Sequence[object]
    index: int  # zero-based, as in the sheet
    header: dict[str, int]
    sheet: str
    file: str
    report: Report

    def raw(self, column: int) -> object:
        return self.values[column] if column < len(self.values) else None

    def text(self, title: str) -> str:
        column = self.header.get(title)
        return clean_text(self.raw(column)) if column is not None else ""

    def integer(self, title: str) -> int | None:
        text = self.text(title)
        found = _int(text)
        if found is None and text:
            self.not_number(self.header[title], text)
        return found

    def number(self, column: int) -> Decimal | None:
        raw = self.raw(column)
        found = _decimal(raw)
        if found is None and not is_blank(raw):
            self.not_number(column, clean_text(raw))
        return found

    def not_number(self, column: int, found: str) -> None:
        self.report.add(problem("summary-value-not-number", file=self.file, sheet=self.sheet,
                                cell=cell_ref((self.index, column)), found=found))  # fmt: skip


def _plan_years(first: int | None, last: int | None) -> tuple[int, ...]:
    """A summary's 計画期間, if it is one a form can have (it is only text in a workbook)."""
    if first is None or last is None or not 0 <= last - first < form.MAX_PLAN_YEARS:
        return ()
    return tuple(range(first, last + 1))


_DATA_COLUMNS = (
    "施策名",
    "成果指標",
    "単位",
    "現状値",
    "目標値",
    "年度",
    "実績値",
    "ファイル",
    "シート",
)


def _require(header: dict[str, int], titles: Sequence[str], sheet: str) -> None:
    missing = [title for title in titles if title not in header]
    if missing:
        raise BrokenSummary(f"「{sheet}」シートに見出し「{'」「'.join(missing)}」がありません")


def _header(rows: Sequence[Sequence[object]]) -> dict[str, int]:
    return {clean_text(v): i for i, v in enumerate(rows[0])} if rows else {}


def _int(text: str) -> int | None:
    """A whole number as Excel shows one (「2024」, 「2024.0」); never 「inf」 or 「1e999」."""
    found = _WHOLE.fullmatch(text)
    return int(found.group(1)) if found else None


_WHOLE = re.compile(r"(-?\d{1,9})(?:\.0*)?")


def _decimal(raw: object) -> Decimal | None:
    """A number cell of the summary as the Decimal the form had; anything else is no value."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    try:
        found = parse_quantities(raw)
    except BadValue:
        return None
    return found[0].value if found else None
