"""xlkpi check for departments, and the ledger that lists every file and sheet once."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

import builders
from conftest import SAMPLES
from xlkpi import form
from xlkpi.cli import main
from xlkpi.intake import shown_name
from xlkpi.merge import merge
from xlkpi.problems import Status


def run(*argv: str | Path) -> tuple[int, str]:
    out = io.StringIO()
    code = main([str(a) for a in argv], out, io.StringIO())
    return code, out.getvalue()


def planted(path: Path) -> Path:
    """A clean return with three mistakes: text in a number cell, no target, an uncached formula."""
    layout = form.layout()
    budget = layout.budget_row + 1
    target_row = layout.kpi_rows[0] + 1

    def mistakes(ws):  # type: ignore[no-untyped-def]
        ws.cell(budget, 3).value = "未定"  # C15: 事業費 2025
        ws.cell(target_row, 6).value = None  # F8: 目標値
        ws.cell(budget, 4).value = "=C15*2"  # D15: a formula saved without its result

    return builders.sample(path, "05_消防本部.xlsx", mistakes)


def test_check_prints_exactly_the_three_planted_problems(tmp_path: Path) -> None:
    code, out = run("check", planted(tmp_path / "消防本部.xlsx"))
    assert code == 1
    assert out.splitlines() == [
        "消防本部.xlsx!施策24!C15: 「未定」を数値として読み取れません。（数値（例: 1195）または数値と単位（例: 1,195人、58.4%）で入力してください。）",
        "消防本部.xlsx!施策24!D15: 数式（=C15*2）に計算結果が保存されていません。（Excel で開いて保存し直すか、値を直接入力してください。）",
        "消防本部.xlsx!施策24!F8: 「消防防災セミナー参加人数」の目標値がありません。（目標値を記入してください。）",
        "エラー 3 件、警告 0 件。読み込み: ファイル 1 件、施策 1 件、成果指標 1 件",
    ]


def test_check_json(tmp_path: Path) -> None:
    code, out = run("check", "--json", planted(tmp_path / "消防本部.xlsx"))
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and data["errors"] == 3
    assert [(p["cell"], p["code"]) for p in data["problems"]] == [
        ("C15", "value-not-number"),
        ("D15", "formula-no-value"),
        ("F8", "target-missing"),
    ]


def test_check_on_a_clean_return(tmp_path: Path) -> None:
    code, out = run("check", builders.sample(tmp_path / "消防本部.xlsx"))
    assert (code, out) == (
        0,
        "問題はありません。読み込み: ファイル 1 件、施策 1 件、成果指標 1 件\n",
    )


def test_the_ledger_lists_every_file_and_sheet_exactly_once(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    folder.mkdir()
    builders.sample(folder / "01_good.xlsx", "01_保健福祉部.xlsx")  # 記入要領 + 7 forms
    builders.book(
        folder / "02_mixed.xlsx",
        {"記入要領": None, "9": 9, "隠し": 10},
        lambda wb: setattr(wb["隠し"], "sheet_state", "hidden"),
    )
    builders.seed_form(folder / "03_bad_value.xlsx", 2, lambda ws: ws.__setitem__("B13", "集計中"))
    (folder / "04_not_excel.xlsx").write_text("施策名,実績値\n", encoding="utf-8")
    (folder / "~$01_good.xlsx").write_bytes(b"\x05owner" + b"\x00" * 160)
    (folder / "提出状況.txt").write_text("メモ", encoding="utf-8")
    (folder / "old").mkdir()
    files = 7  # every directory entry
    sheets = 8 + 3 + 1  # the sheets of the three readable workbooks
    result = merge([folder])
    ledger = result.report.ledger
    assert len(ledger) == files + sheets
    assert len({(e.file, e.sheet) for e in ledger}) == len(ledger)
    by_file = {e.file: e.status for e in ledger if not e.sheet}
    assert by_file == {
        "~$01_good.xlsx": Status.WARNING,  # not read; 01_good.xlsx is open in Excel (lock-file)
        "old": Status.SKIPPED,
        "提出状況.txt": Status.SKIPPED,
        "01_good.xlsx": Status.READ,
        "02_mixed.xlsx": Status.WARNING,
        "03_bad_value.xlsx": Status.ERROR,
        "04_not_excel.xlsx": Status.ERROR,
    }
    assert [(e.sheet, e.status) for e in ledger if e.file == "02_mixed.xlsx" and e.sheet] == [
        ("記入要領", Status.SKIPPED),
        ("9", Status.WARNING),
        ("隠し", Status.SKIPPED),
    ]
    assert all(e.note for e in ledger if e.status is not Status.READ)


def test_a_summary_left_among_the_returns_is_named_not_read_as_forms(tmp_path: Path) -> None:
    from xlkpi.summary import write_summary

    returns = tmp_path / "returns"
    shutil.copytree(SAMPLES, returns)
    write_summary(merge([SAMPLES]), returns / "令和5年度集計.xlsx")
    result = merge([returns])
    mine = [p for p in result.report.problems if p.file == "令和5年度集計.xlsx"]
    # Once its 達成状況一覧 and データ sheets were read as forms: 「施策名がありません」 errors.
    assert [(p.code, p.sheet) for p in mine] == [("summary-as-return", "")]
    assert "--previous" in mine[0].hint
    assert [(e.sheet, e.status) for e in result.report.ledger if e.file == mine[0].file] == [
        ("", Status.WARNING)
    ]
    assert len(result.measures) == 32 and result.report.ok
    # A national summary is over a return's size cap: still told as a summary, not too-large.
    from xlkpi.intake import Limits

    capped = merge([returns], limits=Limits(max_unzipped_bytes=200_000))  # returns ~100 kB
    assert [(p.code, p.file) for p in capped.report.problems if p.file == mine[0].file] == [
        ("summary-as-return", "令和5年度集計.xlsx")
    ]
    assert len(capped.measures) == 32


def test_nothing_to_merge_is_not_success(tmp_path: Path) -> None:
    # An empty or wrong folder used to exit 0 with an empty summary.
    empty, memo_only = tmp_path / "empty", tmp_path / "memo"
    empty.mkdir()
    memo_only.mkdir()
    (memo_only / "提出状況.txt").write_text("未提出: 建設部", encoding="utf-8")
    for folder in (empty, memo_only):
        target = tmp_path / f"{folder.name}.xlsx"
        err = io.StringIO()
        code = main(["merge", str(folder), "-o", str(target)], io.StringIO(), err)
        assert code == 1 and target.exists()
        assert (
            err.getvalue()
            == "集計できる施策が 1 件もありません（読み込める調書がありませんでした）。\n"
        )
    summary = tmp_path / "集計.xlsx"
    from xlkpi.summary import write_summary

    write_summary(merge([SAMPLES]), summary)
    assert [p.code for p in merge([summary]).report.problems] == [
        "summary-as-return",
        "nothing-merged",
    ]


def test_returns_in_a_subfolder_are_said_to_be_unread(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    shutil.copytree(SAMPLES, returns)
    late = returns / "追加提出"
    late.mkdir()
    (returns / "08_市長公室.xlsx").rename(
        late / "08_市長公室.xlsx"
    )  # one department's, sorted away
    (late / "~$08_市長公室.xlsx").write_bytes(b"\x06owner")
    (returns / "参考資料").mkdir()  # no workbook in it but this run's output: nothing to say
    (returns / "参考資料" / "メモ.txt").write_text("PDF は別送", encoding="utf-8")
    from xlkpi.summary import write_summary

    write_summary(merge([SAMPLES]), returns / "参考資料" / "集計.xlsx")
    result = merge([returns], output=returns / "参考資料" / "集計.xlsx")
    # Its measure used to be missing from the summary with only a ledger note to tell.
    assert [
        (p.code, p.file, p.message)
        for p in result.report.problems
        if p.file in ("追加提出", "参考資料")
    ] == [
        (
            "folder-not-read",
            "追加提出",
            "フォルダの中のブック 1 件は読み込んでいません（指定したフォルダの中のフォルダは読みません）。",
        )
    ]
    statuses = {e.file: e.status for e in result.report.ledger if not e.sheet}
    assert (statuses["追加提出"], statuses["参考資料"]) == (Status.WARNING, Status.SKIPPED)
    assert len(result.measures) == 31
    both = merge([returns, late])  # given too, the subfolder is read and not listed as skipped
    assert len(both.measures) == 32
    # 参考資料 now holds a workbook that is not this run's output: it is named in turn.
    assert [p.file for p in both.report.problems if p.code == "folder-not-read"] == ["参考資料"]
    assert "追加提出" not in {e.file for e in both.report.ledger}


def test_a_return_sent_compressed_is_said_to_be_unread(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    shutil.copytree(SAMPLES, returns)
    sent = returns / "08_市長公室.xlsx"
    with zipfile.ZipFile(returns / "08_市長公室.zip", "w") as archive:  # as mailed
        archive.write(sent, sent.name)
    sent.unlink()
    (returns / "資料.lzh").write_bytes(b"-lh5-")
    result = merge([returns])
    # Only the ledger said 「Excel ブックではない」: 0 warnings, and a measure short.
    assert [
        (p.code, p.file) for p in result.report.problems if p.file.endswith(("zip", "lzh"))
    ] == [
        ("archive-not-read", "08_市長公室.zip"),
        ("archive-not-read", "資料.lzh"),
    ]
    entry = next(e for e in result.report.ledger if e.file == "08_市長公室.zip")
    assert entry.status is Status.WARNING and len(result.measures) == 31


def test_a_folder_zipped_on_a_mac_reads_as_its_returns(tmp_path: Path) -> None:
    # A Mac zips a ._ file (AppleDouble metadata) beside each file, and a __MACOSX folder.
    returns = tmp_path / "returns"
    shutil.copytree(SAMPLES, returns)
    apple_double = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "
    (returns / "__MACOSX").mkdir()
    for name in ("._01_保健福祉部.xlsx", "__MACOSX/._01_保健福祉部.xlsx"):
        (returns / name).write_bytes(apple_double)
    (returns / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    result = merge([returns])
    # It was a not-excel error (exit 1) and a folder-not-read warning for metadata.
    assert result.report.problems == merge([SAMPLES]).report.problems
    assert len(result.measures) == 32
    entry = next(e for e in result.report.ledger if e.file == "._01_保健福祉部.xlsx")
    assert (entry.status, entry.note) == (
        Status.SKIPPED,
        "macOS が作る付属ファイルのため読み込みません（ブックは「01_保健福祉部.xlsx」）。",
    )


def test_a_return_on_last_periods_form_is_told_not_left_out(tmp_path: Path) -> None:
    # 05's form with last plan period's years (2019-2023): its KPI has no 2024 column.
    returns = tmp_path / "returns"
    shutil.copytree(SAMPLES, returns)
    wb = openpyxl.load_workbook(returns / "05_消防本部.xlsx")
    ws = wb["施策24"]
    for column, year in zip("BCDEF", range(2019, 2024), strict=True):
        ws[f"{column}14"] = ws[f"{column}17"] = f"{year} (R{year - 2018})"
    ws["B18"], ws["F18"] = None, 10334  # the 2023 actual
    wb.save(returns / "05_消防本部.xlsx")
    result = merge([returns])
    assert sum(2024 in k.grades for m in result.measures for k in m.kpis) == 33  # of 34
    # One KPI fewer graded for 2024 (B 11 -> 10), and not a word of it.
    assert [(p.code, p.file, p.sheet) for p in result.report.problems][1:] == [
        ("year-not-on-form", "05_消防本部.xlsx", "施策24")
    ]
    assert "（この様式の年度: 2019〜2023年度）" in result.report.problems[1].message


def test_a_file_given_twice_is_read_once(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    shutil.copytree(SAMPLES, folder)
    (folder / "~$01_保健福祉部.xlsx").write_bytes(b"\x06owner")
    (folder / "メモ.txt").write_text("提出状況", encoding="utf-8")
    once = merge([folder])
    # The folder twice used to stop on "ledger lists ('~$01_保健福祉部.xlsx', '') twice".
    again = merge([folder, folder / "01_保健福祉部.xlsx", tmp_path / "." / "returns", folder])
    assert [(e.file, e.sheet, e.status) for e in again.report.ledger] == [
        (e.file, e.sheet, e.status) for e in once.report.ledger
    ]
    assert len(again.measures) == 32 and again.report.problems == once.report.problems


def test_file_names_from_a_windows_zip_are_shown_as_text(tmp_path: Path) -> None:
    # Unzipped on Linux, a Windows zip's names stay Shift_JIS bytes: Python holds them as
    # surrogates, which XlsxWriter could not write, so the whole summary was lost (exit 4).
    folder = tmp_path / "returns"
    folder.mkdir()
    try:
        (folder / os.fsdecode("福祉.xlsx".encode("cp932"))).write_bytes(
            (SAMPLES / "01_保健福祉部.xlsx").read_bytes()
        )
        (folder / os.fsdecode("メモ.txt".encode("cp932"))).write_text("提出状況", encoding="utf-8")
    except (OSError, UnicodeError):
        pytest.skip("this file system takes only valid UTF-8 names")
    result = merge([folder])
    assert {e.file for e in result.report.ledger} == {"福祉.xlsx", "メモ.txt"}
    assert {m.file for m in result.measures} == {"福祉.xlsx"}
    err = io.StringIO()
    assert main(["merge", str(folder), "-o", str(tmp_path / "s.xlsx")], io.StringIO(), err) == 0
    assert shown_name(os.fsdecode(b"\x81.xlsx")) == "\\x81.xlsx"  # neither: escapes
