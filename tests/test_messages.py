"""What a person reads: every message and hint filled in, `check` speaking to the department,
Excel's lock file named as such, a plain sentence for a year without actuals, and help that
is Japanese and whole for every command (issue 22)."""

from __future__ import annotations

import ast
import io
import json
import re
import shutil
import string
from pathlib import Path
from typing import Any

import pytest
import python_calamine

import builders
from conftest import ROOT, SAMPLES
from xlkpi import api
from xlkpi.cli import _columns, _parser, main
from xlkpi.problems import CATALOG, problem

# What only the secretariat does or has: asking a department, xlkpi merge and its options,
# the summary's 受付 sheet, merging again.
SECRETARIAT = re.compile(
    r"担当課|依頼|提出してもらって|xlkpi merge|--[a-z]|「受付」シート|集計し直"
)


def run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


# --- 5. every message and hint formatted with its params -------------------------------------


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", sorted(CATALOG))
def test_every_message_and_hint_is_filled_in_with_its_params(code: str) -> None:
    """Once hints were printed as written: 「{year}年度の列のある今年度の様式で…」."""
    spec = CATALOG[code]
    made = problem(code, file="f.xlsx", **{name: 2025 for name in spec.params()})
    for text in (made.message, made.hint, made.department_hint):
        assert text and "{" not in text and "}" not in text, (code, text)
    # A hint takes no param the message does not: problem() is called with the message's.
    for hint in (spec.hint, spec.department_hint):
        assert _fields(hint) <= _fields(spec.message), (code, hint)


def _problem_calls() -> list[tuple[str, str, set[str], bool]]:
    """Each problem("code", ...) in src/: (where, code, keyword names, has **kwargs)."""
    found = []
    for path in sorted((ROOT / "src" / "xlkpi").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "problem"):
                continue
            if not node.args or not isinstance(node.args[0], ast.Constant):
                continue  # the code in a variable: its value is one of the literal ones below
            names = {k.arg for k in node.keywords if k.arg}
            spread = any(k.arg is None for k in node.keywords)
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            found.append((where, str(node.args[0].value), names, spread))
    return found


def test_every_problem_made_in_the_code_is_given_the_params_its_texts_name() -> None:
    """The calls that name their code; the others (labels.py, merge.read_file) pass on a
    code and params made elsewhere, and a hint takes no param its message does not."""
    calls = _problem_calls()
    assert len(calls) >= 25
    for where, code, names, spread in calls:
        assert code in CATALOG, (where, code)
        if not spread:  # **where adds only file/sheet/cell
            missing = CATALOG[code].params() - names
            assert not missing, (where, code, missing)


def test_a_form_without_the_year_names_the_year_in_its_hint() -> None:
    made = problem(
        "year-not-on-form", file="a.xlsx", sheet="施策1", year=2025, years="2019〜2023年度"
    )
    assert made.hint == "2025年度の列のある今年度の様式で提出してもらってください。"


# --- 1. check speaks to the department --------------------------------------------------------


def test_every_code_has_a_hint_for_the_department_that_it_can_act_on() -> None:
    for code, spec in CATALOG.items():
        assert not SECRETARIAT.search(spec.department_hint), (code, spec.department_hint)
        assert not SECRETARIAT.search(spec.department_message), (code, spec.department_message)
        assert spec.department_message, code


def test_check_gives_the_department_its_hints_and_merge_the_secretariat_its(
    tmp_path: Path,
) -> None:
    returns = tmp_path / "returns"
    returns.mkdir()
    builders.seed_form(returns / "01_good.xlsx", 2)
    (returns / "02_broken.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 40)  # resubmit
    shutil.copy(returns / "01_good.xlsx", returns / "03_copy.xlsx")  # duplicate-identical
    code, out, _ = run("check", returns)
    assert code == 1
    assert "02_broken.xlsx" in out and "03_copy.xlsx" in out, out
    assert not SECRETARIAT.search(out), out
    assert "保存し直して" in out  # what the department does: save it again from Excel
    found = json.loads(run("check", "--json", returns)[1])
    hints = {p["code"]: p["hint"] for p in found["problems"]}
    assert len(hints) >= 2 and not any(SECRETARIAT.search(h) for h in hints.values()), hints
    # The page's 点検 calls api.check, so it shows the same; merge keeps the secretariat's.
    assert [p.hint for p in api.check([returns]).problems] == list(hints.values())
    merged = api.merge([returns])
    assert any("担当課に" in p.hint for p in merged.problems)
    target = tmp_path / "集計.xlsx"
    merged.write(target)
    ledger = python_calamine.CalamineWorkbook.from_path(str(target)).get_sheet_by_name("受付")
    assert "担当課に正しいファイルの再提出を依頼してください。" in str(ledger.to_python())


# --- 2. Excel's lock file ---------------------------------------------------------------------


def _lock(folder: Path, book: str) -> Path:
    """What Excel leaves beside a book it has open: ~$ + the name, 165 bytes, the user's name."""
    lock = folder / f"~${book}"
    lock.write_bytes(b"\x07tanaka" + b"\x20" * 47 + b"\x00" * 111)
    return lock


def test_checking_a_lock_file_says_it_is_excels_and_the_book_is_open(tmp_path: Path) -> None:
    builders.seed_form(tmp_path / "02_建設部.xlsx", 2)
    lock = _lock(tmp_path, "02_建設部.xlsx")
    code, out, _ = run("check", lock)
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("~$02_建設部.xlsx: Excel のロックファイルです"), out
    assert "「02_建設部.xlsx」が Excel で開かれている" in first and "点検してください" in first
    found = json.loads(run("check", "--json", lock)[1])
    assert next((p["code"], p["file"]) for p in found["problems"]) == (
        "lock-file",
        "~$02_建設部.xlsx",
    )
    assert "受付" not in out  # check makes no summary: its sheets are not named to a department


def test_merging_a_folder_with_a_lock_file_says_which_book_is_open(tmp_path: Path) -> None:
    builders.seed_form(tmp_path / "02_建設部.xlsx", 2)
    _lock(tmp_path, "02_建設部.xlsx")
    code, _, err = run("merge", tmp_path, "-o", tmp_path.parent / "集計.xlsx")
    assert code == 0  # a warning: the saved book is merged
    assert "~$02_建設部.xlsx: Excel のロックファイルです" in err
    assert "ブック「02_建設部.xlsx」が Excel で開かれている" in err
    # The same for files handed over by the page, and in a folder chosen there.
    named = [("調書/02_建設部.xlsx", (tmp_path / "02_建設部.xlsx").read_bytes()),
             ("調書/~$02_建設部.xlsx", (tmp_path / "~$02_建設部.xlsx").read_bytes())]  # fmt: skip
    assert [p.code for p in api.check(named).problems] == ["lock-file"]


# --- 3. a report year without actuals ---------------------------------------------------------


def test_a_year_without_any_actual_yet_is_one_plain_sentence(tmp_path: Path) -> None:
    target = tmp_path / "集計.xlsx"
    code, _out, err = run("merge", SAMPLES, "-o", target, "--year", "2025")
    sentence = (
        "2025年度の実績値は、まだどの調書にも記入されていません（成果指標 34 件のすべてで未記入）。"
        "2025年度の評価はすべて「評価なし」です。"
    )
    assert code == 0
    assert err.count(sentence) == 1, err
    assert "の 2025年度の実績値がありません" not in err  # not also 34 lines saying it KPI by KPI
    assert len(err.splitlines()) <= 3, err  # the sentence, and the samples' one other warning
    ledger = python_calamine.CalamineWorkbook.from_path(str(target)).get_sheet_by_name("受付")
    assert sentence in str(ledger.to_python())
    # A year with some actuals still names each KPI without one.
    result = api.merge([SAMPLES], year=2024)
    assert "year-no-actuals" not in [p.code for p in result.problems]


# --- 4. help, Japanese and whole --------------------------------------------------------------

ENGLISH = re.compile(
    r"usage:|positional arguments|optional arguments|options:|show this help|error:|"
    r"argument|expected|invalid|required|unrecognized|ambiguous|ignored|allowed",
    re.IGNORECASE,
)


def _commands() -> dict[str, object]:
    parser = _parser(io.StringIO())
    subparsers = next(a for a in parser._actions if a.choices)
    return {"": parser, **subparsers.choices}  # type: ignore[dict-item]


def test_every_command_has_help_in_japanese_that_fits_the_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    commands = _commands()
    assert set(commands) == {"", "merge", "check", "forms", "report", "template"}
    for name, parser in commands.items():
        for action in parser._actions:  # type: ignore[attr-defined]
            assert action.help and re.search(r"[ぁ-んァ-ン一-龥]", action.help), (name, action)
        code, text, _ = run(*([name] if name else []), "--help")
        assert code == 0 and text.startswith(f"使い方: xlkpi {name}".rstrip()), text
        assert not ENGLISH.search(text), (name, text)
        assert "引数:" in text or name == "template"
        assert "オプション:" in text and "この説明を表示して終了する" in text
        wide = [line for line in text.splitlines() if _columns(line) > 78]
        assert wide == [], (name, wide)  # argparse counted characters: Japanese ran past 80


USER_ERRORS = {  # every argparse message for what is typed, with the command it names
    ("merge", SAMPLES): "次の指定がありません: -o/--output",
    ("merge", "-o", "s.xlsx"): "次の指定がありません: 調書",
    ("merge", SAMPLES, "-o"): "-o/--output: 値を続けて指定してください",
    ("merge", SAMPLES, "-o", "s.xlsx", "--bogus"): "使えない指定があります: --bogus",
    ("check", SAMPLES, "--bogus", "x"): "使えない指定があります: --bogus x",
    ("check", SAMPLES, "--json=yes"): "--json: 値はとりません（「yes」は付けずに指定してください）",
    (
        "check",
        SAMPLES,
        "--max",
        "3",
    ): "--max は次のどれか決められません: --max-unzipped-mb, --max-ratio",
    ("forms", SAMPLES, "-o", "d", "-j", "x"): "-j/--jobs: 「x」は整数ではありません",
    ("report", SAMPLES, "-o", "r.docx", "--year", "来年"): "--year: 「来年」は年度として読めません",
    ("template", "-o", "t.xlsx", "--period"): "--period: 値を続けて指定してください",
    ("template", "-o", "t.xlsx", "-h=1"): "-h/--help: 値はとりません",
}


@pytest.mark.parametrize("argv", list(USER_ERRORS), ids=lambda argv: " ".join(map(str, argv)))
def test_a_usage_error_is_japanese_and_names_the_commands_help(argv: tuple[object, ...]) -> None:
    code, out, err = run(*argv)
    command = f"xlkpi {argv[0]}"
    assert (code, out) == (2, "")
    said, pointer = err.splitlines()
    assert said.startswith(f"{command}: ") and USER_ERRORS[argv] in said, err
    assert pointer == f"使い方は {command} --help で確認できます。"
    assert not ENGLISH.search(said), said


@pytest.mark.parametrize(
    "message",
    [
        "expected at least one argument",
        "expected at most one argument",
        "expected 2 arguments",
        "one of the arguments --a --b is required",
        "not allowed with argument --a",
        "invalid int value: 'x'",
        "unexpected option string: --a",
        "invalid choice: 'sum' (choose from 'merge', 'check')",
    ],
)
def test_argparse_messages_the_commands_do_not_reach_yet_are_japanese_too(message: str) -> None:
    from xlkpi.cli import _in_japanese

    said = _in_japanese(f"argument --x: {message}")
    assert said.startswith("--x: ") and not ENGLISH.search(said), said


# --- check sees one return: nothing of the secretariat's, nothing about the other returns -----


def test_a_sparse_report_year_tells_check_nothing_of_merge_options(tmp_path: Path) -> None:
    """A figure in a 2029 column added by hand: the department is told to check its columns,
    the secretariat (merge, on the console too) which --year to give."""

    def added(ws: Any) -> None:
        ws["G17"], ws["G18"] = "2029 (R11)", 5000

    returns = tmp_path / "returns"
    shutil.copytree(SAMPLES, returns)
    builders.sample(returns / "05_消防本部.xlsx", "05_消防本部.xlsx", added)
    _, out, _ = run("check", returns)
    assert "2029年度の実績値は 1 件だけです" in out, out
    assert not SECRETARIAT.search(out), out
    _, _, err = run("merge", returns, "-o", tmp_path / "集計.xlsx")
    assert "今年度が 2024年度なら --year 2024 を指定してください。" in err, err


def test_check_with_the_shared_settings_does_not_warn_of_other_departments_kpis(
    tmp_path: Path,
) -> None:
    """The settings file names every department's lower-is-better KPIs; one return has few."""
    one = builders.sample(tmp_path / "05_消防本部.xlsx")
    settings = tmp_path / "xlkpi.toml"
    settings.write_text('[direction]\n"よその課の指標" = "lower"\n', encoding="utf-8")
    code, out, _ = run("check", one, "--config", settings)
    assert "よその課の指標" not in out, out
    assert code == 0, out
    merged = api.merge([one], config=settings)
    assert [p.code for p in merged.problems] == ["settings-kpi-unknown"]
