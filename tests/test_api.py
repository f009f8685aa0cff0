"""The library API (docs/api.md): paths and (name, bytes) give the same results as the CLI."""

from __future__ import annotations

import ast
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

import builders
from conftest import ROOT, SAMPLES
from published import GRADES_2024
from xlkpi import api
from xlkpi.cli import main
from xlkpi.intake import OutputTaken
from xlsxcontent import content, values


def cli(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def named(folder: Path, top: str = "") -> list[tuple[str, bytes]]:
    """A folder's files as a browser hands them over: relative names and bytes."""
    base = folder.parent if top else folder
    return [
        (str(p.relative_to(base)), p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()
    ]


def published_counts() -> dict[str, int]:
    counts = dict.fromkeys("ABCD", 0)
    for grades in GRADES_2024.values():
        for grade in grades:
            counts[grade] += 1
    return counts


def test_merge_paths_and_bytes_give_the_published_grades_and_the_same_summary(
    tmp_path: Path,
) -> None:
    by_path = api.merge([SAMPLES])
    by_bytes = api.merge([(p.name, p.read_bytes()) for p in sorted(SAMPLES.iterdir())])
    assert (
        by_path.counts
        == by_bytes.counts
        == published_counts()
        == {"A": 13, "B": 11, "C": 9, "D": 1}
    )
    assert by_path.year == by_bytes.year == 2024
    assert by_path.to_dict() == by_bytes.to_dict()
    written = by_path.write(tmp_path / "集計.xlsx")
    assert cli("merge", SAMPLES, "-o", tmp_path / "cli.xlsx")[0] == 0
    expected = values((tmp_path / "cli.xlsx").read_bytes())
    assert values(written.read_bytes()) == expected
    assert values(by_bytes.summary()) == expected


def test_the_summary_in_memory_touches_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    result = api.merge([SAMPLES])

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file was made while building the summary in memory")

    for name in ("TemporaryFile", "NamedTemporaryFile", "mkstemp", "mkdtemp"):
        monkeypatch.setattr(tempfile, name, refused)
    monkeypatch.setattr("builtins.open", refused)
    data = result.summary()
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None


def test_a_folder_chosen_in_a_browser_is_read_as_the_cli_reads_it_on_disk(tmp_path: Path) -> None:
    # Every kind of entry the intake ledger names, on disk and as (name, bytes).
    returns = tmp_path / "調書"
    shutil.copytree(SAMPLES, returns)
    (returns / "壊れた調書.xlsx").write_text("No,施策名\n", encoding="utf-8")
    (returns / "空.xlsx").write_bytes(b"")
    (returns / "~$01_保健福祉部.xlsx").write_bytes(b"\x06owner" + b"\x00" * 150)
    (returns / "._02_商工労働部.xlsx").write_bytes(b"\x00\x05\x16\x07" + b"\x00" * 60)
    (returns / "メモ.txt").write_text("提出状況", encoding="utf-8")
    (returns / "送付.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    (returns / "参考").mkdir()
    shutil.copy(SAMPLES / "05_消防本部.xlsx", returns / "参考" / "古い版.xlsx")
    (returns / "参考" / "さらに下").mkdir()
    shutil.copy(SAMPLES / "05_消防本部.xlsx", returns / "参考" / "さらに下" / "x.xlsx")
    on_disk = api.merge([returns]).to_dict()
    chosen = api.merge(named(returns, top="調書")[::-1]).to_dict()  # in a browser's own order
    assert chosen == on_disk
    codes = [p["code"] for p in chosen["problems"]]  # type: ignore[index]
    assert {"folder-not-read", "archive-not-read", "not-excel", "empty-file"} <= set(codes)
    folder = next(p for p in chosen["problems"] if p["code"] == "folder-not-read")  # type: ignore[index, union-attr]
    assert folder["file"] == "参考" and "1 件" in folder["message"]  # its subfolder's not counted


def test_settings_beside_the_returns_apply_as_on_disk(tmp_path: Path) -> None:
    returns = tmp_path / "調書"
    shutil.copytree(SAMPLES, returns)
    (returns / "xlkpi.toml").write_text(
        '[grading]\ngood = 1\nfloor = "B"\n[[grading.bands]]\nlabel = "S"\nat_least = 90\n'
        '[[grading.bands]]\nlabel = "A"\nat_least = 60\n',
        encoding="utf-8",
    )
    on_disk = api.merge([returns])
    chosen = api.merge(named(returns, top="調書"))
    assert on_disk.merged.rule.source == chosen.merged.rule.source == "xlkpi.toml"
    assert chosen.counts == on_disk.counts and set(chosen.counts or {}) == {"S", "A", "B"}
    given = api.merge(named(SAMPLES), config=("xlkpi.toml", (returns / "xlkpi.toml").read_bytes()))
    assert given.counts == on_disk.counts


def test_last_years_summary_given_as_bytes_is_compared_as_a_path_is(tmp_path: Path) -> None:
    last = api.merge([builders.previous_year_forms(tmp_path / "r5", {9, 10, 14, 21})])
    path = last.write(tmp_path / "r5.xlsx")
    by_path = api.merge([SAMPLES], previous=path)
    by_bytes = api.merge(named(SAMPLES), previous=("r5.xlsx", path.read_bytes()))
    assert by_path.merged.comparison is not None
    assert by_bytes.to_dict() == by_path.to_dict()
    assert values(by_bytes.summary()) == values(by_path.summary())


def test_check_as_bytes_is_check_json(tmp_path: Path) -> None:
    from test_check_and_ledger import planted

    broken = planted(tmp_path / "消防本部.xlsx")
    code, out, _ = cli("check", "--json", broken)
    result = api.check([(broken.name, broken.read_bytes())])
    assert code == 1 and not result.clean and result.to_dict() == json.loads(out)
    assert [(p.cell, p.code) for p in result.problems] == [
        ("C15", "value-not-number"),
        ("D15", "formula-no-value"),
        ("F8", "target-missing"),
    ]
    assert cli("check", SAMPLES / "05_消防本部.xlsx")[0] == 0
    assert api.check([SAMPLES / "05_消防本部.xlsx"]).clean


def test_to_pandas_is_the_data_sheet(tmp_path: Path) -> None:
    result = api.merge([SAMPLES])
    frame = result.to_pandas()
    sheet = openpyxl.load_workbook(io.BytesIO(result.summary()))["データ"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(frame.columns) == list(rows[0])
    assert len(frame) == len(rows) - 1 == 34 * 5
    for record, row in zip(frame.itertuples(index=False), rows[1:], strict=True):
        for column, mine, theirs in zip(frame.columns, record, row, strict=True):
            if column == "達成率" and theirs is not None:  # the sheet shows it cut to 0.1 %
                assert 0 <= mine - theirs < 0.001, (column, mine, theirs)
            elif theirs is None:
                assert mine in ("", None) or mine != mine, (column, mine)  # "", None or NaN
            else:
                assert mine == theirs, (column, mine, theirs)
    year = frame[frame["年度"] == 2024]
    assert year["評価"].value_counts().to_dict() == published_counts()


def test_pandas_is_imported_only_by_to_pandas() -> None:
    code = (
        "import sys\nfrom xlkpi import api\n"
        f"result = api.merge([{str(SAMPLES)!r}])\n"
        "result.summary(); result.to_dict(); list(result.rows())\n"
        "assert 'pandas' not in sys.modules\n"
        "result.to_pandas()\n"
        "assert 'pandas' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_template_bytes_are_the_shipped_template(tmp_path: Path) -> None:
    made = api.template()
    (tmp_path / "様式.xlsx").write_bytes(made.data)
    assert content(tmp_path / "様式.xlsx") == content(ROOT / "templates" / "kpi_template.xlsx")
    assert api.template().data == made.data  # byte for byte: the page's build depends on it
    assert made.period.years == (2024, 2025, 2026, 2027, 2028)
    later = api.template(period="R9-R13", base_year="R7")
    assert later.period.years[0] == 2027 and later.period.base_year == 2025
    with pytest.raises(ValueError, match="計画期間「R9」は"):
        api.template(period="R9")
    kept = tmp_path / "課.xlsx"
    shutil.copy(SAMPLES / "01_保健福祉部.xlsx", kept)
    with pytest.raises(OutputTaken):
        made.write(kept)  # a filled-in return is never replaced
    assert kept.read_bytes() == (SAMPLES / "01_保健福祉部.xlsx").read_bytes()


def test_forms_in_memory_are_the_forms_the_cli_writes(tmp_path: Path) -> None:
    assert cli("forms", SAMPLES, "-o", tmp_path / "next")[0] == 0
    made = api.forms(named(SAMPLES))
    files = made.files()
    assert made.year == 2024 and made.complete
    assert sorted(name for name, _ in files) == sorted(
        p.name for p in (tmp_path / "next").iterdir()
    )
    for name, data in files:
        assert data == (tmp_path / "next" / name).read_bytes()
    again = api.forms(named(SAMPLES)).files()
    assert [d for _, d in again] == [d for _, d in files]  # reproducible, as the template is
    with pytest.raises(api.OutputFolderRefused):
        api.forms([SAMPLES], output=SAMPLES)


def test_a_year_is_taken_as_the_forms_write_it() -> None:
    assert api.parse_year("令和6年度") == api.parse_year("R6") == api.parse_year(2024) == 2024
    with pytest.raises(ValueError, match="「来年度」は年度として読めません"):
        api.merge([SAMPLES], year="来年度")
    with pytest.raises(api.YearOutsidePlan):
        api.merge([SAMPLES], year=2031)
    assert api.merge([SAMPLES], year="R7").counts == {"A": 0, "B": 0, "C": 0, "D": 0}


def test_inputs_are_paths_or_pairs_never_both() -> None:
    with pytest.raises(TypeError, match="either all paths or all"):
        api.merge([SAMPLES, ("a.xlsx", b"")])
    with pytest.raises(TypeError, match="not one item"):
        api.merge(SAMPLES)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a path nor"):
        api.merge([42])  # type: ignore[list-item]


def test_the_cli_holds_no_logic_only_calls_the_api() -> None:
    """cli.py imports from xlkpi only the API, what renders results, and its own defaults."""
    allowed = {
        "xlkpi": {"api", "__version__"},
        "xlkpi.api": {"check_output_name", "parse_year", "Forms", "Result"},
        "xlkpi.intake": {"Limits", "InputMissing", "OutputIsInput", "OutputTaken", "shown_name"},
        "xlkpi.progress": {"Progress"},
        "xlkpi.console": {"console"},  # what it prints, escaped (no logic)
        "xlkpi.render": {"year_outside_plan", "forms_summary", "problem_lines"},
        "xlkpi.values": {"year_header"},
        "xlkpi.output": {"OutputError"},
        "xlkpi.settings": {"SettingsError"},
        "xlkpi.prefill": {"BrokenSummary", "FormsExist", "PeriodTooLong"},
        "xlkpi.merge": {"default_jobs"},
    }
    tree = ast.parse((ROOT / "src" / "xlkpi" / "cli.py").read_text(encoding="utf-8"))
    imported = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("xlkpi")
        for alias in node.names
    }
    assert {(m, n) for m, n in imported if n not in allowed.get(m or "", set())} == set()


def test_report_from_paths_or_bytes_is_the_document_the_cli_writes(tmp_path: Path) -> None:
    from docxcontent import items

    def texts(path: Path) -> list[tuple[str, str]]:  # every paragraph and cell, in order
        return [(item.kind, item.text) for item in items(path)]

    summary = api.merge([SAMPLES]).write(tmp_path / "集計.xlsx")
    assert cli("report", SAMPLES, "-o", tmp_path / "cli.docx", "--vision", "第3次")[0] == 0
    by_path = api.report([SAMPLES])
    by_bytes = api.report(named(SAMPLES))
    from_summary = api.report([("集計.xlsx", summary.read_bytes())])  # the page's way
    assert by_path.counts == by_bytes.counts == from_summary.counts == published_counts()
    expected = texts(tmp_path / "cli.docx")
    for result, name in ((by_path, "path"), (by_bytes, "bytes"), (from_summary, "summary")):
        (tmp_path / f"{name}.docx").write_bytes(result.document("第3次"))
        assert texts(tmp_path / f"{name}.docx") == expected, name
    places = by_bytes.write_document(tmp_path / "資料.docx", "第3次")
    assert places > 0 and texts(tmp_path / "資料.docx") == expected
    kept = tmp_path / "記入済み.docx"
    kept.write_bytes(b"PK not ours")
    with pytest.raises(api.DocumentTaken):
        by_path.write_document(kept)
    with pytest.raises(api.DocumentTaken):
        api.report([SAMPLES], output=kept)
    with pytest.raises(api.NotDocxName):
        by_path.write_document(tmp_path / "資料.xlsx")
    assert kept.read_bytes() == b"PK not ours"
