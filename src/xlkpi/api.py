"""The library's front door: what the CLI, the web page and an analyst's script all call.

    import xlkpi
    result = xlkpi.merge(["samples/returns"])     # paths, or (name, bytes) pairs
    result.counts                                 # {"A": 13, "B": 11, "C": 9, "D": 1}
    result.summary()                              # the summary workbook, as bytes
    result.problems                               # typed records (code, file, sheet, cell, ...)
    result.to_pandas()                            # measure x KPI x year, one row each

Files given as paths are found as the CLI finds them (folders read one level deep,
xlkpi.toml beside them); files given as (name, bytes) pairs are never written
anywhere, and a name may hold the folders a browser's folder choice gives it. Each
return is read in a worker process (`jobs` of them, one at least; limits.max_seconds and
limits.max_memory_mb bound each file), only in Pyodide in this process. Every function
raises the exceptions listed in docs/api.md for what is a usage error, never for bad
input: a broken return is a problem record in the result.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlkpi import form
from xlkpi.form import Period
from xlkpi.grading import DEFAULT_RULE, Rule
from xlkpi.intake import (
    InputMissing,
    Limits,
    Named,
    OutputIsInput,
    OutputTaken,
    named_path,
    shown_name,
)
from xlkpi.merge import MergeResult, YearOutsidePlan
from xlkpi.problems import LedgerEntry, Problem, Report

if TYPE_CHECKING:
    import pandas

    from xlkpi.prefill import Written

__all__ = [
    "DocumentTaken",
    "Forms",
    "InputMissing",
    "Limits",
    "NotDocxName",
    "OutputFolderRefused",
    "OutputTaken",
    "Result",
    "Template",
    "YearOutsidePlan",
    "check",
    "forms",
    "merge",
    "parse_year",
    "report",
    "template",
]

Input = str | os.PathLike[str] | Named
Config = str | os.PathLike[str] | Named | Rule | None
Progress = Callable[[int, int], None]  # (files in all, sheets of the file just read)


class OutputFolderRefused(ValueError):
    """Next year's forms would go where they must not (a usage error; the message says why)."""


class NotSummary(ValueError):
    """`previous` is not an xlkpi summary (a return, perhaps): a usage error, said in words."""


class NotDocxName(ValueError):
    """The committee document's output is not named .docx (a usage error)."""


class DocumentTaken(ValueError):
    """The output holds a document that is not one xlkpi wrote, unsaved since (a usage error)."""


def parse_year(year: int | str) -> int:
    """A year as the forms write it: 2024, "R6", "令和6年度", "2024年度" (full-width too).

    ValueError, with a message for the user, for anything else.
    """
    from xlkpi.values import plain_year

    found = plain_year(str(year))
    if found is None:
        raise ValueError(
            f"「{year}」は年度として読めません。西暦か和暦で指定してください（例: 2024、R6、令和6年度）"
        )
    return found


def check_output_name(path: str | os.PathLike[str]) -> Path:
    """A workbook's name the way Excel will open it: xlkpi writes .xlsx content only."""
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise ValueError(
            f"出力先 {target} の名前は .xlsx で終えてください（作成するのは .xlsx 形式のブックです）。"
        )
    return target


@dataclass(frozen=True)
class Result:
    """A merge (or a check): the graded measures, every problem, the intake ledger."""

    merged: MergeResult  # the engine's own record, for what this class does not say

    @property
    def report(self) -> Report:
        return self.merged.report

    @property
    def problems(self) -> list[Problem]:
        return self.merged.report.problems

    @property
    def ledger(self) -> list[LedgerEntry]:
        """Every file and sheet read or passed over, once each, with its status."""
        return self.merged.report.ledger

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed): `xlkpi merge` exits 0."""
        return self.merged.report.ok

    @property
    def clean(self) -> bool:
        """No problem at all: `xlkpi check` exits 0."""
        return not self.problems

    @property
    def year(self) -> int | None:
        """The report year graded (None when no return has an actual)."""
        return self.merged.year

    @property
    def counts(self) -> dict[str, int] | None:
        """KPIs per grade in the report year, best first; None without a report year."""
        tallies = self.merged.tallies
        return dict(tallies.overall.by_grade) if tallies is not None else None

    def summary(self) -> bytes:
        """The summary workbook (.xlsx), built in memory. OutputError if it cannot be made."""
        from xlkpi import summary

        return summary.summary_bytes(self.merged)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """The summary written to `path`, whole or not at all. Only an earlier summary is
        replaced (OutputTaken otherwise: it may be a return); ValueError unless .xlsx."""
        from xlkpi import summary
        from xlkpi.previous import is_summary_file

        target = check_output_name(path)
        if target.is_file() and not is_summary_file(target):
            raise OutputTaken(target, "集計ブック")
        summary.write_summary(self.merged, target)
        return target

    def text(self, output: str | os.PathLike[str]) -> str:
        """What `xlkpi merge` prints when done: counts, comparison, problems, the output."""
        from xlkpi.render import merge_summary

        return merge_summary(self.merged, Path(output))

    def problem_lines(self, *, hints: bool = False, limit: int | None = None) -> list[str]:
        """ファイル!シート!セル: メッセージ per problem; with `limit`, errors first and counted."""
        from xlkpi.render import problem_lines

        return problem_lines(self.merged.report, hints=hints, limit=limit)

    def check_text(self) -> str:
        """What `xlkpi check` prints: each problem with its hint, then the counts."""
        from xlkpi.render import check_summary

        return "".join(f"{line}\n" for line in self.problem_lines(hints=True)) + check_summary(
            self.merged
        )

    def to_dict(self) -> dict[str, object]:
        """Problems and ledger as plain records: exactly `xlkpi check --json`."""
        from xlkpi.render import check_json

        return check_json(self.merged)

    def document(self, vision: str = "") -> bytes:
        """The committee document (.docx) for this result; `vision` names the plan."""
        from xlkpi.report import document_bytes

        return document_bytes(self.merged, vision)

    def write_document(self, path: str | os.PathLike[str], vision: str = "") -> int:
        """The committee document written whole or not at all; returns how many places it
        leaves for the secretariat to write in. Only a document xlkpi wrote, unsaved since,
        is replaced (DocumentTaken otherwise); NotDocxName unless the name ends .docx."""
        from xlkpi.report import write_report

        target = check_document_name(path)
        _check_replaceable(target)
        return write_report(self.merged, target, vision)

    def document_text(self, output: str | os.PathLike[str], places: int) -> str:
        """What `xlkpi report` prints when done."""
        from xlkpi.render import report_summary

        return report_summary(self.merged, Path(output), places)

    def rows(self) -> Iterator[dict[str, object]]:
        """The データ sheet's rows (measure x KPI x year), values exact (Decimal, Fraction);
        a blank 連携する視点 or 政策分野 is "" (the sheet shows （未記入）)."""
        from xlkpi.summary.records import DATA_COLUMNS, data_years

        for measure in self.merged.measures:
            for kpi in measure.kpis:
                for year in data_years(measure, kpi):
                    values = (
                        measure.number, measure.viewpoint, measure.policy_field, measure.name,
                        kpi.name, kpi.unit, kpi.baseline, kpi.target, year, kpi.actuals.get(year),
                        kpi.ratios.get(year), kpi.grades.get(year, ""), measure.file,
                        measure.sheet, form.DIRECTION_SHOWN.get(kpi.direction, ""),
                        kpi.notes.get(year, ""),
                    )  # fmt: skip
                    yield dict(zip(DATA_COLUMNS, values, strict=True))

    def to_pandas(self) -> pandas.DataFrame:
        """rows() as a DataFrame, numbers as floats (達成率 exact, not cut to 0.1 % as shown)."""
        import pandas

        def plain(value: object) -> object:
            return float(value) if isinstance(value, Decimal | Fraction) else value

        from xlkpi.summary.records import DATA_COLUMNS

        records = [{k: plain(v) for k, v in row.items()} for row in self.rows()]
        frame = pandas.DataFrame.from_records(records, columns=DATA_COLUMNS)
        for column in ("No", "年度"):
            frame[column] = frame[column].astype("Int64")
        return frame


def merge(
    inputs: Sequence[Input],
    *,
    year: int | str | None = None,
    previous: Input | None = None,
    config: Config = None,
    limits: Limits | None = None,
    jobs: int = 1,
    output: str | os.PathLike[str] | None = None,
    on_file: Progress | None = None,
) -> Result:
    """Read, grade and tally the returns, as `xlkpi merge` does.

    `inputs` are paths (files or folders) or (name, bytes) pairs, not both. `previous` is
    last year's summary. `config` is an xlkpi.toml (path, pair or Rule); without it one
    beside the returns is used, else the published rule. `output` is where the summary
    will go (with paths: nothing of a pair's is on disk): never read as a return, and
    refused (OutputIsInput, OutputTaken) where it would replace a return. `jobs` worker
    processes read the returns; a return that crashes, hangs or exhausts one costs itself
    only (reader-crashed, reader-timeout, memory-exceeded).
    """
    from xlkpi import merge as engine

    paths, named = _split(inputs)
    if not named:
        _output_folder(output)
    before = _previous(previous)
    rule = _rule(config, paths, named)
    asked = parse_year(year) if year is not None else None
    if named:
        merged = engine.merge_named(named, year=asked, limits=limits, rule=rule,
                                    previous=before, on_file=on_file)  # fmt: skip
    else:
        target = Path(output) if output is not None else None
        merged = engine.merge(paths, year=asked, limits=limits, rule=rule, output=target,
                              previous=before, jobs=jobs, on_file=on_file)  # fmt: skip
    return Result(merged)


def check(
    inputs: Sequence[Input],
    *,
    config: Config = None,
    limits: Limits | None = None,
    jobs: int = 1,
    on_file: Progress | None = None,
) -> Result:
    """The problems of returns before they are sent, as `xlkpi check` finds them: each hint
    said to the department that wrote the return (not 「担当課に…依頼してください」)."""
    result = merge(inputs, config=config, limits=limits, jobs=jobs, on_file=on_file)
    result.report.address_department()
    return result


def report(
    inputs: Sequence[Input],
    *,
    year: int | str | None = None,
    previous: Input | None = None,
    config: Config = None,
    limits: Limits | None = None,
    jobs: int = 1,
    output: str | os.PathLike[str] | None = None,
    on_file: Progress | None = None,
) -> Result:
    """What the committee document is made from, as `xlkpi report` reads it: the returns
    merged, or one xlkpi summary with the grades corrected on its 達成状況一覧. Then
    `.document()` or `.write_document(path)`. `output` (a .docx) is checked first: not an
    input, not a document someone has written in (DocumentTaken). BrokenSummary for a
    summary whose sheets lost their columns."""
    from xlkpi.report.source import read_source

    paths, named = _split(inputs)
    if output is not None:
        check_document_name(output)
        _output_folder(output)
    before = _previous(previous)
    if output is not None:
        target = check_document_name(output)
        given = [*paths, before] if isinstance(before, Path) else paths
        if any(target.resolve() == p.resolve() for p in given):
            raise OutputIsInput(str(target))
        _check_replaceable(target)
    rule = _rule(config, paths, named)
    asked = parse_year(year) if year is not None else None
    merged = read_source(named or paths, year=asked, previous=before, rule=rule, limits=limits,
                         jobs=jobs, on_file=on_file)  # fmt: skip
    return Result(merged)


def check_document_name(path: str | os.PathLike[str]) -> Path:
    """A document's name the way Word will open it: xlkpi writes .docx only."""
    target = Path(path)
    if target.suffix.lower() != ".docx":
        raise NotDocxName(
            f"出力先 {target} の名前は .docx で終えてください（作成するのは Word の文書です）。"
        )
    return target


def _check_replaceable(target: Path) -> None:
    from xlkpi.report import may_replace

    if not may_replace(target):
        raise DocumentTaken(
            f"出力先 {target} には、xlkpi が作成したままではない文書があります（記入済みの資料かも"
            "しれません）。上書きしないよう、何も書きませんでした。別のファイル名を指定してください。"
        )


@dataclass(frozen=True)
class Template:
    """The blank form: its workbook bytes and the plan period it is laid out for."""

    data: bytes
    period: Period

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Written whole or not at all; only a blank form is replaced (OutputTaken otherwise)."""
        from xlkpi.output import write_atomic
        from xlkpi.template import is_blank_form

        target = check_output_name(path)
        if target.exists() and not is_blank_form(target):
            raise OutputTaken(target, "未記入の様式")
        write_atomic(target, self.data)
        return target


def template(
    *, period: str | None = None, base_year: int | str | None = None, config: Config = None
) -> Template:
    """The blank form for a plan period ("2027-2031", "R9-R13"; default 2024-2028), its
    instructions stating the rule of `config`. ValueError for a period that cannot be."""
    from xlkpi.template import forms_bytes

    base = parse_year(base_year) if base_year is not None else None
    plan = form.parse_period(period, base)
    rule = _rule(config, [], [])
    return Template(forms_bytes([None], plan, rule=rule), plan)


@dataclass(frozen=True)
class Forms:
    """Next year's forms, pre-filled from this year's returns or summary."""

    year: int | None  # this year: next year's forms continue from it
    report: Report
    rule: Rule
    measures: list[Any] = field(repr=False)
    inputs: tuple[Path, ...] = ()  # the paths read: never written into

    @property
    def problems(self) -> list[Problem]:
        return self.report.problems

    @property
    def complete(self) -> bool:
        """Every measure was carried over (no error while reading)."""
        return self.report.ok

    def files(self) -> list[tuple[str, bytes]]:
        """Each workbook as (name, bytes), built in memory: the files `write` would write
        (PeriodTooLong for a return whose years span too long, ValueError for no measure)."""
        from xlkpi.prefill import next_year_forms

        made = next_year_forms(self.measures, self._year(), self.rule)
        return [(written.path.name, data) for written, data in made]

    def write(self, folder: str | os.PathLike[str]) -> list[Written]:
        """One workbook per original file into `folder` (made if need be). Nothing is written
        over a workbook there (FormsExist), nor into the returns' folder (OutputFolderRefused)."""
        from xlkpi.output import OutputError, failure
        from xlkpi.prefill import write_next_year_forms

        target = Path(folder)
        _check_forms_folder(target, list(self.inputs))
        year = self._year()
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"出力先のフォルダ {target} を作れません（{failure(exc)}）。"
            ) from exc
        return write_next_year_forms(self.measures, year, target, self.rule)

    def _year(self) -> int:
        if not self.measures:
            raise ValueError("次年度の調書に書き写せる施策がありません。")
        if self.year is None:
            raise ValueError("実績値のある年度がありません。今年度を指定してください。")
        return self.year


def forms(
    inputs: Sequence[Input],
    *,
    year: int | str | None = None,
    config: Config = None,
    limits: Limits | None = None,
    jobs: int = 1,
    output: str | os.PathLike[str] | None = None,
    on_file: Progress | None = None,
) -> Forms:
    """Read this year's returns (or one xlkpi summary) for next year's forms, as
    `xlkpi forms` does; `output`, the folder they will go to, is checked first.
    BrokenSummary for a summary whose sheets lost the columns it is read by."""
    from xlkpi.prefill import read_source

    paths, named = _split(inputs)
    if output is not None:
        _check_forms_folder(Path(output), paths)
    rule = _rule(config, paths, named)
    asked = parse_year(year) if year is not None else None
    source = read_source(named or paths, year=asked, rule=rule, limits=limits, jobs=jobs,
                         on_file=on_file)  # fmt: skip
    return Forms(source.year, source.report, rule, source.measures, tuple(paths))


def _check_forms_folder(folder: Path, inputs: list[Path]) -> None:
    from xlkpi.prefill import holds_returns

    if folder.exists() and not folder.is_dir():
        raise OutputFolderRefused(
            f"出力先 {folder} はフォルダではありません。次年度の調書を入れるフォルダを指定してください。"
        )
    if holds_returns(folder, inputs):
        raise OutputFolderRefused(
            f"出力先のフォルダ {folder} には今年度の調書があります。別のフォルダを指定してください。"
        )


def _split(inputs: Sequence[Input]) -> tuple[list[Path], list[Named]]:
    """Paths, or (name, bytes) pairs: one kind per call (TypeError otherwise)."""
    if isinstance(inputs, str | os.PathLike) or (
        isinstance(inputs, tuple) and len(inputs) == 2 and isinstance(inputs[1], bytes)
    ):
        raise TypeError("inputs is a list of paths or of (name, bytes) pairs, not one item")
    paths = [Path(item) for item in inputs if isinstance(item, str | os.PathLike)]
    named = [_named(item) for item in inputs if not isinstance(item, str | os.PathLike)]
    if paths and named:
        raise TypeError("inputs are either all paths or all (name, bytes) pairs")
    return paths, named


def _named(item: object) -> Named:
    if (
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], bytes | bytearray | memoryview)
    ):
        return item[0], bytes(item[1])
    raise TypeError(f"not a path nor a (name, bytes) pair: {type(item).__name__}")


def _previous(previous: Input | None) -> Path | Named | None:
    """Last year's summary, checked before anything is read: NotSummary if it is none."""
    from xlkpi.previous import why_not_summary

    if previous is None:
        return None
    given = Path(previous) if isinstance(previous, str | os.PathLike) else _named(previous)
    if isinstance(given, Path) and not given.is_file():
        raise InputMissing(str(given))
    name, content = (given.name, given) if isinstance(given, Path) else given
    reason = why_not_summary(content)
    if reason:
        raise NotSummary(
            f"前年度の集計ブックに指定した {shown_name(str(name))} は、xlkpi の集計ブックではありません"
            f"（{reason}）。前年度に xlkpi merge で作成した集計ブックを指定してください。"
            "何も読み込んでいません。"
        )
    return given


def _output_folder(output: str | os.PathLike[str] | None) -> None:
    """The output's folder exists and takes files, checked before anything is read."""
    from xlkpi.output import check_folder

    if output is not None:
        check_folder(Path(output))


def _rule(config: Config, paths: list[Path], named: list[Named]) -> Rule:
    """The rule of `config`, else of the xlkpi.toml beside the returns, else the published one."""
    from xlkpi.settings import FILE_NAME, find_settings, load_rule, parse_rule

    if isinstance(config, Rule):
        return config
    if isinstance(config, str | os.PathLike):
        path = Path(config)
        if not os.path.lexists(path):
            raise InputMissing(str(path))
        return load_rule(path)  # a FIFO, a loop, no permission: SettingsError, naming it
    if config is not None:
        name, data = _named(config)
        return parse_rule(data, Path(name))
    if named:  # one beside the files chosen, as xlkpi.toml beside the returns on disk
        depth = min(len(named_path(name).parts) for name, _ in named)
        beside = [
            (name, data)
            for name, data in named
            if len(named_path(name).parts) == depth and named_path(name).name == FILE_NAME
        ]
        return parse_rule(beside[0][1], Path(beside[0][0])) if beside else DEFAULT_RULE
    found = find_settings(paths)
    return load_rule(found) if found is not None else DEFAULT_RULE
