"""Command line: parse arguments, call the library, render the result. No logic here.

Exit codes (a contract, see docs/usage.md): 0 all read, 1 some input rejected or with
errors (the summary is still written), 2 usage, 3 output not writable, 4 a fault
in xlkpi itself (never 1: a script must not take a crash for a written summary),
130 on Ctrl-C, 143 on SIGTERM (cleaned up as on Ctrl-C) and 141 when the reader of
stdout went away, as a shell reports for any command.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import sys
import threading
import traceback
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from xlkpi.intake import Limits
from xlkpi.progress import Progress

if TYPE_CHECKING:
    from xlkpi.api import Forms, Result

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_OUTPUT, EXIT_FAULT = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # what a shell reports for any command stopped by Ctrl-C (SIGINT)
EXIT_PIPE_CLOSED = 141  # what a shell reports for any command stopped by SIGPIPE
EXIT_TERMINATED = 143  # what a shell reports for any command stopped by SIGTERM
TERMINAL_PROBLEMS = 40  # merge prints this many; the ledger sheet holds them all


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is: unwound as Ctrl-C is (temporary files removed,
    workers killed), then exit 143."""


def _on_sigterm(signum: int, frame: object) -> NoReturn:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the clean-up is not interrupted
    raise Terminated


class UsageError(Exception):
    """A usage error; `command` ("xlkpi merge") is where its help is."""

    def __init__(self, message: str, command: str = "xlkpi") -> None:
        super().__init__(message)
        self.command = command


# argparse's own messages, which it has in English only, as a Japanese user reads them: every
# message it gives for what a user typed (Python 3.11 to 3.13).
_ARGPARSE_JA = (
    (re.compile(r"argument (?P<name>.+?): (?P<rest>.*)", re.S), "{name}: {rest}"),
    (re.compile(r"the following arguments are required: (?P<names>.*)"),
     "次の指定がありません: {names}"),
    (re.compile(r"unrecognized arguments: (?P<names>.*)"), "使えない指定があります: {names}"),
    (re.compile(r"invalid choice: '?(?P<value>.*?)'? \(choose from (?P<choices>.*)\)"),
     "「{value}」は使えません（使えるもの: {choices}）"),
    (re.compile(r"expected one argument"), "値を続けて指定してください"),
    (re.compile(r"expected at least one argument"), "値を 1 つ以上続けて指定してください"),
    (re.compile(r"expected at most one argument"), "値は 1 つまでです"),
    (re.compile(r"expected (?P<count>\d+) arguments?"), "値を {count} つ続けて指定してください"),
    (re.compile(r"ambiguous option: (?P<option>\S+) could match (?P<matches>.*)"),
     "{option} は次のどれか決められません: {matches}"),
    (re.compile(r"ignored explicit argument '?(?P<value>.*?)'?"),
     "値はとりません（「{value}」は付けずに指定してください）"),
    (re.compile(r"one of the arguments (?P<names>.*) is required"),
     "次のどれかを指定してください: {names}"),
    (re.compile(r"not allowed with argument (?P<name>.*)"), "{name} とは一緒に指定できません"),
    (re.compile(r"invalid \S+ value: '?(?P<value>.*?)'?"), "「{value}」は使えません"),
    (re.compile(r"unexpected option string: (?P<option>.*)"), "{option} は使えません"),
)  # fmt: skip


def _in_japanese(message: str) -> str:
    """An argparse error in Japanese; one it does not know stays as argparse wrote it."""
    for pattern, template in _ARGPARSE_JA:
        found = pattern.fullmatch(message)
        if found:
            parts = found.groupdict()
            if "rest" in parts:
                parts["rest"] = _in_japanese(parts["rest"])
            if "choices" in parts:  # 'merge', 'check' -> merge, check
                parts["choices"] = parts["choices"].replace("'", "")
            return template.format(**parts)
    return message


def _columns(text: str) -> int:
    """How many terminal columns the text takes: a full-width character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_NO_LINE_START = set("、。，．）」』】〕・ー％")  # kept on the line before (a light kinsoku)


class _Formatter(argparse.HelpFormatter):
    """argparse's help in Japanese: its headings, and columns and line breaks measured in
    terminal columns (argparse counts characters, so Japanese ran past the edge)."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "使い方: " if prefix is None else prefix)

    def _format_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None) -> str:
        """argparse's usage on one line, then wrapped at the parts' edges by columns."""
        width, self._width = self._width, 10**6
        try:
            text = super()._format_usage(usage, actions, groups, prefix).strip("\n")
        finally:
            self._width = width
        head = f"{prefix or ''}{self._prog}"
        if not text.startswith(head):  # not argparse's usual layout: as it is
            return text + "\n\n"
        parts: list[str] = []
        for part in re.findall(r"\(.*?\)+(?=\s|$)|\[.*?\]+(?=\s|$)|\S+", text[len(head) :]):
            if parts and re.fullmatch(r"-\S+", parts[-1]) and not part.startswith(("-", "[")):
                parts[-1] += " " + part  # a required option and its value stay together
            else:
                parts.append(part)
        indent = " " * (_columns(head) + 1 if _columns(head) * 2 < width else 4)
        lines = [head]
        for part in parts:
            if _columns(lines[-1]) + 1 + _columns(part) > width and lines[-1].strip():
                lines.append(indent + part)
            else:
                lines[-1] += " " + part
        return "\n".join(lines) + "\n\n"

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS:
            invocations = [action, *self._iter_indented_subactions(action)]
            widest = max(_columns(self._format_action_invocation(a)) for a in invocations)
            self._action_max_length = max(self._action_max_length, widest + self._current_indent)

    def _format_action(self, action: argparse.Action) -> str:
        help_position = min(self._action_max_length + 2, self._max_help_position)
        help_width = max(self._width - help_position, 11)
        header = " " * self._current_indent + self._format_action_invocation(action)
        room = help_position - _columns(header)
        lines = self._split_lines(self._expand_help(action), help_width) if action.help else []
        if lines and room >= 2:
            parts = [header + " " * room + lines[0] + "\n"]
        else:
            parts = [header + "\n"]
            if lines:
                parts.append(" " * help_position + lines[0] + "\n")
        parts += [" " * help_position + line + "\n" for line in lines[1:]]
        parts += [self._format_action(sub) for sub in self._iter_indented_subactions(action)]
        return self._join_parts(parts)

    def _split_lines(self, text: str, width: int) -> list[str]:
        """Lines of at most `width` columns, broken anywhere in Japanese, at spaces in English."""
        lines: list[str] = []
        line = ""
        for word in re.findall(r" ?[!-~]+| |.", " ".join(text.split())):
            if not line or _columns(line + word) <= width:
                line += word
            elif word.strip()[:1] in _NO_LINE_START and len(line) > 1:
                lines.append(line[:-1].rstrip())  # 「。」 does not start a line: one more goes down
                line = line[-1] + word
            else:
                lines.append(line.rstrip())
                line = word.lstrip()
        return [*lines, line.rstrip()] if line.strip() else lines


class _Parser(argparse.ArgumentParser):
    """Raises instead of exiting, prints help to the given stream, speaks Japanese."""

    def __init__(self, *, out: IO[str] | None = None, **kwargs: Any) -> None:
        super().__init__(add_help=False, formatter_class=_Formatter, **kwargs)
        self.out = out or sys.stdout
        self.add_argument("-h", "--help", action="help", help="この説明を表示して終了する")

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {_in_japanese(message)}", self.prog)

    def _print_message(self, message: str, file: object = None) -> None:
        self.out.write(message or "")


def _count(text: str) -> int:
    """A whole number option (full-width digits too)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"「{text}」は整数ではありません") from None


def _year(text: str) -> int:
    """A year option as the forms write it: 2024, R6, 令和6年度, 2024年度 (full-width too)."""
    from xlkpi.api import parse_year

    try:
        return parse_year(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Version(argparse.Action):
    """Looks the version up only when asked (importlib.metadata is slow to import)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        import xlkpi

        parser._print_message(f"xlkpi {xlkpi.__version__}\n")
        parser.exit()


def _parser(out: IO[str]) -> argparse.ArgumentParser:
    parser = _Parser(
        out=out,
        prog="xlkpi",
        description="成果指標（KPI）調書を集約し、達成状況を評価した集計ブックを作成します。",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="版数を表示して終了する")
    commands = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="コマンド",
        help="次のどれか（それぞれの説明: xlkpi コマンド --help）",
    )
    merge = commands.add_parser("merge", out=out, help="調書を集約して集計ブックを作成する")
    merge.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="調書",
        help="調書のブック、またはブックを入れたフォルダ",
    )
    merge.add_argument(
        "-o", "--output", type=Path, required=True, metavar="集計.xlsx", help="作成する集計ブック"
    )
    merge.add_argument(
        "--previous",
        type=Path,
        metavar="前年度の集計.xlsx",
        help="調書に前年度の実績値がないとき、前年度の評価をこの集計ブックから取る",
    )
    merge.add_argument(
        "--year",
        type=_year,
        metavar="年度",
        help="評価する年度（2024、R6、令和6年度 など。省略時は実績値のある最新の年度）",
    )
    check = commands.add_parser(
        "check", out=out, help="提出前に調書を点検する（集計ブックは作りません）"
    )
    check.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="調書",
        help="点検する調書のブック、またはブックを入れたフォルダ",
    )
    check.add_argument("--json", action="store_true", help="結果を JSON で出力する")
    forms = commands.add_parser(
        "forms", out=out, help="次年度の調書を、今年度の調書か集計ブックから記入済みで作る"
    )
    forms.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="調書または集計",
        help="今年度の調書（フォルダ）、または集計ブック",
    )
    forms.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="フォルダ",
        help="次年度の調書を書き出すフォルダ",
    )
    forms.add_argument(
        "--year",
        type=_year,
        metavar="年度",
        help="今年度（2024、R6、令和6年度 など。省略時は実績値のある最新の年度）",
    )
    report = commands.add_parser(
        "report", out=out, help="懇談会の資料（Word）を、調書または集計ブックから作成する"
    )
    report.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="調書または集計",
        help="調書のブック・フォルダ、または集計ブック（集計ブックで直した評価を使います）",
    )
    report.add_argument(
        "-o", "--output", type=Path, required=True, metavar="資料.docx", help="作成する資料"
    )
    report.add_argument(
        "--previous",
        type=Path,
        metavar="前年度の集計.xlsx",
        help="前年度の評価を取る集計ブック（merge と同じ）",
    )
    report.add_argument(
        "--year",
        type=_year,
        metavar="年度",
        help="評価する年度（2024、R6、令和6年度 など。省略時は実績値のある最新の年度）",
    )
    report.add_argument(
        "--vision",
        metavar="名称",
        default="",
        help="表題に書くビジョンの名称（例: 第3次一関・平泉定住自立圏共生ビジョン。省略時は記入欄）",
    )
    for sub in (merge, check, forms, report):
        sub.add_argument(
            "--config",
            type=Path,
            metavar="xlkpi.toml",
            help="評価基準の設定ファイル（省略時は調書のフォルダの xlkpi.toml、なければ標準の基準）",
        )
        sub.add_argument(
            "-j",
            "--jobs",
            type=_count,
            metavar="数",
            help="同時に読み込むプロセスの数（既定: CPU のコア数）",
        )
        sub.add_argument(
            "--max-unzipped-mb",
            type=_count,
            default=Limits.max_unzipped_bytes // 2**20,
            metavar="MB",
            help="展開後のブックの大きさの上限（既定: %(default)s MB）",
        )
        sub.add_argument(
            "--max-ratio",
            type=_count,
            default=Limits.max_ratio,
            metavar="倍",
            help="1 MB を超える部品の圧縮率の上限（既定: %(default)s 倍）",
        )
        sub.add_argument(
            "--max-memory-mb",
            type=_count,
            default=Limits.max_memory_mb,
            metavar="MB",
            help="1 つのブックを読み込むプロセスが使えるメモリの上限（既定: %(default)s MB）",
        )
        sub.add_argument(
            "--max-seconds",
            type=_count,
            default=int(Limits.max_seconds),
            metavar="秒",
            help="1 つのブックの読み込みにかけられる時間の上限（既定: %(default)s 秒）",
        )
    template = commands.add_parser(
        "template", out=out, help="記入用の様式（テンプレート）を作成する"
    )
    template.add_argument(
        "-o", "--output", type=Path, required=True, metavar="様式.xlsx", help="作成する様式のブック"
    )
    template.add_argument(
        "--period",
        metavar="開始-終了",
        help="計画期間（例: 2027-2031、R9-R13。既定: 2024-2028）",
    )
    template.add_argument(
        "--config",
        type=Path,
        metavar="xlkpi.toml",
        help="記入要領に書く評価基準の設定ファイル（既定: 標準の基準）",
    )
    template.add_argument(
        "--base-year",
        type=_year,
        metavar="年度",
        help="現状値の年度（例: 2025、R7。既定: 計画期間の初年度の2年前）",
    )
    for sub in (parser, merge, check, template, forms, report):
        sub._positionals.title = "引数"
        sub._optionals.title = "オプション"
    return parser


def main(argv: list[str], out: IO[str], err: IO[str]) -> int:
    from xlkpi.console import console

    out, err = console(out), console(err)  # return text never acts on the terminal
    try:
        args, extra = _parser(out).parse_known_args(argv)
        if extra:  # argparse says so as the top command's; the help to read is the command's
            command = f"xlkpi {args.command}"
            raise UsageError(
                f"{command}: {_in_japanese('unrecognized arguments: ' + ' '.join(extra))}", command
            )
    except UsageError as exc:
        err.write(f"{exc}\n使い方は {exc.command} --help で確認できます。\n")
        return EXIT_USAGE
    except SystemExit as done:  # --help and --version
        return int(done.code or 0)
    from xlkpi.intake import InputMissing, OutputIsInput, OutputTaken, shown_name
    from xlkpi.output import OutputError
    from xlkpi.settings import SettingsError

    try:
        if args.command == "template":
            return _template(args, out)
        if args.command == "check":
            return _check(args, out, err)
        if args.command == "forms":
            return _forms(args, out, err)
        if args.command == "report":
            return _report(args, out, err)
        return _merge(args, out, err)
    except InputMissing as exc:
        err.write(f"入力が見つかりません: {exc}\n")
        return EXIT_USAGE
    except OutputIsInput as exc:
        err.write(f"出力先 {exc} が入力のファイルと同じです。別のファイル名を指定してください。\n")
        return EXIT_USAGE
    except OutputTaken as exc:
        err.write(
            f"出力先 {shown_name(str(exc.path))} は{exc.expected}ではありません（記入済みの調書かも"
            "しれません）。上書きしないよう、何も書きませんでした。別のファイル名を指定してください。\n"
        )
        return EXIT_USAGE
    except OutputError as exc:
        err.write(f"{exc}\n")
        return EXIT_OUTPUT
    except (UsageError, SettingsError) as exc:
        err.write(f"{exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away (`xlkpi check --json | head`): not a fault
        return EXIT_PIPE_CLOSED
    except KeyboardInterrupt as stopped:  # every output whole or not at all (output.atomic_path)
        err.write("中断しました。書きかけのファイルは残していません。\n")
        return EXIT_TERMINATED if isinstance(stopped, Terminated) else EXIT_INTERRUPTED
    except Exception:
        err.write(
            traceback.format_exc()
            + "xlkpi の内部エラーで止まりました（調書の誤りではありません）。集計ブックは作成していません。"
            "この表示と、使った調書を xlkpi の担当者に知らせてください。\n"
        )
        return EXIT_FAULT


def _template(args: argparse.Namespace, out: IO[str]) -> int:
    from xlkpi import api
    from xlkpi.values import year_header

    target = _workbook_path(args.output)
    try:
        made = api.template(period=args.period, base_year=args.base_year, config=args.config)
    except ValueError as exc:
        raise UsageError(f"xlkpi template: {exc}") from exc
    made.write(target)
    period = made.period
    first, last = period.years[0], period.years[-1]
    out.write(
        f"様式を作成しました: {args.output}（計画期間 {year_header(first)}〜{year_header(last)}、"
        f"現状値 {year_header(period.base_year)}）\n"
    )
    return EXIT_OK


def _merge(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from xlkpi import api
    from xlkpi.render import year_outside_plan

    target = _workbook_path(args.output)
    try:
        with _progress(out, err) as progress:
            result = api.merge(args.inputs, year=args.year, output=target, previous=args.previous,
                               config=args.config, limits=_limits(args), jobs=_jobs(args),
                               on_file=progress)  # fmt: skip
    except api.YearOutsidePlan as exc:
        raise UsageError(year_outside_plan(exc.year, exc.years)) from exc
    except api.NotSummary as exc:
        raise UsageError(str(exc)) from exc
    _print_problems(result, err)
    if progress.drawn:  # a person has watched a long read: say what the wait is now
        err.write("集計ブックを作成しています…\n")
    result.write(target)
    out.write(result.text(target))
    return EXIT_OK if result.ok else EXIT_INPUT


def _forms(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from xlkpi import api
    from xlkpi.prefill import BrokenSummary, FormsExist, PeriodTooLong
    from xlkpi.render import forms_summary

    try:
        with _progress(out, err) as progress:
            source = api.forms(args.inputs, year=args.year, config=args.config,
                               limits=_limits(args), jobs=_jobs(args), output=args.output,
                               on_file=progress)  # fmt: skip
    except api.OutputFolderRefused as exc:
        raise UsageError(str(exc)) from exc
    except BrokenSummary as exc:
        err.write(f"{args.inputs[0].name}: 集計ブックから次年度の調書を作れません（{exc}）。\n")
        return EXIT_INPUT
    _print_problems(source, err)
    if not source.measures:
        err.write("次年度の調書に書き写せる施策がありません。\n")
        return EXIT_INPUT
    if source.year is None:
        raise UsageError("実績値のある年度がありません。今年度を --year で指定してください。")
    try:
        written = source.write(args.output)
    except FormsExist as exc:
        more = f" ほか {len(exc.paths) - 1} 件" if len(exc.paths) > 1 else ""
        raise UsageError(
            f"出力先のフォルダに同じ名前のブックがあります（{exc.paths[0].name}{more}）。"
            "記入済みの調書を上書きしないよう、何も書きませんでした。空のフォルダを指定してください。"
        ) from exc
    except PeriodTooLong as exc:
        err.write(
            f"計画期間が長すぎるため、様式に書けません（{exc}）。年度の記入を確認してください。\n"
        )
        return EXIT_INPUT
    out.write(forms_summary(source.year, written, complete=source.complete))
    return EXIT_OK if source.complete else EXIT_INPUT


def _report(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from xlkpi import api
    from xlkpi.prefill import BrokenSummary
    from xlkpi.render import year_outside_plan

    try:
        api.check_document_name(args.output)
        with _progress(out, err) as progress:
            result = api.report(args.inputs, year=args.year, previous=args.previous,
                                config=args.config, limits=_limits(args), jobs=_jobs(args),
                                output=args.output, on_file=progress)  # fmt: skip
    except (api.DocumentTaken, api.NotDocxName, api.NotSummary) as exc:
        raise UsageError(str(exc)) from exc
    except api.YearOutsidePlan as exc:
        raise UsageError(year_outside_plan(exc.year, exc.years)) from exc
    except BrokenSummary as exc:
        err.write(f"{args.inputs[0].name}: 集計ブックから資料を作れません（{exc}）。\n")
        return EXIT_INPUT
    _print_problems(result, err)
    places = result.write_document(args.output, args.vision)
    out.write(result.document_text(args.output, places))
    return EXIT_OK if result.ok else EXIT_INPUT


def _check(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from xlkpi import api

    with _progress(out, err) as progress:
        result = api.check(args.inputs, config=args.config, limits=_limits(args),
                           jobs=_jobs(args), on_file=progress)  # fmt: skip
    if args.json:
        json.dump(result.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(result.check_text())
    return EXIT_OK if result.clean else EXIT_INPUT


def _print_problems(result: Result | Forms, err: IO[str]) -> None:
    """At most TERMINAL_PROBLEMS lines, errors first; the ledger sheet has them all."""
    from xlkpi.render import problem_lines

    for line in problem_lines(result.report, limit=TERMINAL_PROBLEMS):
        err.write(line + "\n")


@contextmanager
def _progress(out: IO[str], err: IO[str]) -> Iterator[Progress]:
    """Shown only when a person watches: stdout and stderr both terminals."""
    progress = Progress(getattr(err, "raw", err), shown=out.isatty() and err.isatty())
    try:
        yield progress
    finally:
        progress.close()


def _workbook_path(path: Path) -> Path:
    from xlkpi.api import check_output_name

    try:
        return check_output_name(path)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _jobs(args: argparse.Namespace) -> int:
    from xlkpi.merge import default_jobs

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs は 1 以上の数で指定してください。")
    return args.jobs or default_jobs()


def _limits(args: argparse.Namespace) -> Limits:
    for option, value in (("--max-unzipped-mb", args.max_unzipped_mb),
                          ("--max-ratio", args.max_ratio),
                          ("--max-memory-mb", args.max_memory_mb),
                          ("--max-seconds", args.max_seconds)):  # fmt: skip
        if value < 1:  # 0 refused every return as too large, in a message per file
            raise UsageError(f"{option} は 1 以上の数で指定してください。")
    return Limits(max_unzipped_bytes=args.max_unzipped_mb * 2**20, max_ratio=args.max_ratio,
                  max_memory_mb=args.max_memory_mb, max_seconds=args.max_seconds)  # fmt: skip


def run() -> None:
    import multiprocessing

    multiprocessing.freeze_support()  # a frozen Windows build's workers start here
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    # A console or file that cannot hold Japanese (latin-1, cp1252) shows escapes, not a crash.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    code = main(sys.argv[1:], sys.stdout, sys.stderr)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = EXIT_PIPE_CLOSED
    if code == EXIT_PIPE_CLOSED:  # Python would report the unflushable stdout at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(code)
