"""xlkpi forms: next year's forms pre-filled from this year's returns or from a summary.

The round trip is the contract: merging the pre-filled forms unchanged gives
the same grades and tallies as the source, and every fixed field is identical.
"""

from __future__ import annotations

import hashlib
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import seedforms
from conftest import SAMPLES
from published import GRADES_2024
from test_cli import run
from xlkpi import form
from xlkpi.merge import MergeResult, merge
from xlkpi.model import Measure
from xlkpi.prefill import OPEN_TEXTS, read_source
from xlkpi.style import NEXT_YEAR_FILL

FIXED_TEXTS = [f.key for f in form.TEXT_FIELDS if f.key not in OPEN_TEXTS]
# Every field a form prints filled in, so that a measure built here warns of nothing blank.
FILLED = {
    "texts": {f.key: f"{f.label}の記入" for f in form.TEXT_FIELDS},
    "budgets": {2024: Decimal(100)},
}


def fixed(measure: Measure) -> tuple[object, ...]:
    """Every field next year's form carries over unchanged."""
    return (
        measure.number,
        measure.viewpoint,
        measure.policy_field,
        {key: measure.texts.get(key, "") for key in FIXED_TEXTS},
        measure.budgets,
        measure.years,
        measure.base_year,
        measure.target_year,
        [(k.name, k.unit, k.baseline, k.target, k.direction, k.actuals) for k in measure.kpis],
    )


def assert_same_merge(source: MergeResult, again: MergeResult) -> None:
    assert [m.name for m in again.measures] == [m.name for m in source.measures]
    for before, after in zip(source.measures, again.measures, strict=True):
        assert fixed(after) == fixed(before), before.name
        assert [k.grades for k in after.kpis] == [k.grades for k in before.kpis], before.name
    assert again.year == source.year
    assert again.tallies == source.tallies


def forms_from(source: Path, folder: Path) -> str:
    code, out, err = run("forms", source, "-o", folder, "-j", "1")
    assert code == 0, err
    return out


def test_round_trip_from_the_returns(tmp_path: Path, samples_result: MergeResult) -> None:
    out = forms_from(SAMPLES, tmp_path / "next")
    assert out.startswith("次年度（2025年度（令和7年度））の調書を作成しました")
    assert sorted(p.name for p in (tmp_path / "next").iterdir()) == sorted(
        p.name for p in SAMPLES.glob("*.xlsx")
    )  # one workbook per original department file
    again = merge([tmp_path / "next"])
    assert_same_merge(samples_result, again)
    graded = {m.number: [k.grades[2024] for k in m.kpis] for m in again.measures}
    assert graded == GRADES_2024  # and so still the seed's published grades


def test_round_trip_from_a_summary(tmp_path: Path, samples_result: MergeResult) -> None:
    code, _, _ = run("merge", SAMPLES, "-o", tmp_path / "集計.xlsx")
    assert code == 0
    code, _, err = run("forms", tmp_path / "集計.xlsx", "-o", tmp_path / "next")
    assert (code, err) == (0, "")  # an unedited summary holds nothing to report
    assert_same_merge(samples_result, merge([tmp_path / "next"]))


def test_round_trip_from_last_years_real_forms(tmp_path: Path) -> None:
    """The seed's own irregular forms become clean template forms with the same content."""
    seed = tmp_path / "seed"
    seed.mkdir()
    seedforms.write_seed_returns(seed)
    source = merge([seed])
    forms_from(seed, tmp_path / "next")
    again = merge([tmp_path / "next"])
    assert_same_merge(source, again)
    assert again.report.errors == []
    # the layout warnings of the seed's forms are gone: the new forms are regular
    irregular = [
        p for p in again.report.problems if p.code in ("layout-irregular", "name-from-title")
    ]
    # Next year's forms leave the department its evaluation to write: told, per measure.
    blank = [p for p in again.report.problems if p.code == "fields-blank"]
    assert {p.message for p in blank} == {
        "記入されていない欄があります: 年度評価、次年度以降の取組。"
    }
    assert len(blank) == len(again.measures) == 32
    assert irregular == [] and len(source.report.warnings) > len(again.report.warnings) - 32


def test_next_years_cells_are_empty_and_highlighted(tmp_path: Path) -> None:
    forms_from(SAMPLES, tmp_path / "next")
    wb = openpyxl.load_workbook(tmp_path / "next" / "07_建設部.xlsx")
    layout = form.layout()
    ws = wb["施策27"]

    def fill(row: int, col: int) -> str:
        return str(ws.cell(row + 1, col + 1).fill.fgColor.rgb)[-6:]

    col_2024, col_2025 = layout.year_columns[2024], layout.year_columns[2025]
    row = layout.actual_rows[0]
    assert ws.cell(row + 1, col_2024 + 1).value == pytest.approx(0.584)  # last year's actual kept
    assert ws.cell(row + 1, col_2025 + 1).value is None
    assert fill(row, col_2025) == NEXT_YEAR_FILL[1:] != fill(row, col_2024)
    for key in OPEN_TEXTS:
        (r, c), _ = layout.inputs[key]
        assert ws.cell(r + 1, c + 1).value in (None, "") and fill(r, c) == NEXT_YEAR_FILL[1:]
    (r, c) = layout.labels[form.EVALUATION.key]
    assert ws.cell(r + 1, c + 1).value == "2025年度評価"
    (r, c), _ = layout.inputs[form.CONTENT.key]
    assert ws.cell(r + 1, c + 1).value  # a fixed text is pre-filled


def test_whole_numbers_read_as_the_report_prints_them(tmp_path: Path) -> None:
    """事業費 (千円) shows 48,221 as in the FY2024 report; a fraction or what is typed is not rounded."""
    from decimal import Decimal

    from xlkpi.model import Kpi
    from xlkpi.template import write_forms

    budgets = {2024: Decimal(48221), 2025: Decimal("1234.5")}
    kpi = Kpi(name="参加者数", unit="人", baseline=Decimal(5035), target=Decimal("66.3"),
              actuals={2024: Decimal(10334)})  # fmt: skip
    write_forms(tmp_path / "課.xlsx", [Measure(name="施策", number=1, budgets=budgets,
                                               kpis=[kpi]), None])  # fmt: skip
    wb = openpyxl.load_workbook(tmp_path / "課.xlsx")
    layout = form.layout()
    row = layout.budget_row + 1
    filled, blank = wb.worksheets[1], wb.worksheets[2]
    cells = [filled.cell(row, layout.year_columns[year] + 1) for year in (2024, 2025, 2026)]
    assert [(c.value, c.number_format) for c in cells] == [
        (48221, "#,##0"), (1234.5, "General"), (None, "General"),
    ]  # fmt: skip
    assert blank.cell(row, layout.year_columns[2024] + 1).number_format == "General"
    (kpi_row, baseline_col), (_, target_col) = (
        (layout.kpi_rows[0], layout.kpi_columns[key][0]) for key in ("baseline", "target")
    )
    actual = filled.cell(layout.actual_rows[0] + 1, layout.year_columns[2024] + 1)
    assert [(c.value, c.number_format) for c in (filled.cell(kpi_row + 1, baseline_col + 1),
            filled.cell(kpi_row + 1, target_col + 1), actual)] == [
        (5035, "#,##0"), (66.3, "General"), (10334, "#,##0"),
    ]  # fmt: skip


def test_forms_never_write_over_the_returns(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    shutil.copytree(SAMPLES, returns)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in returns.iterdir()}
    code, out, err = run("forms", returns, "-o", returns)
    assert (code, out) == (2, "") and "別のフォルダを指定してください" in err
    code, _, err = run("forms", returns / "01_保健福祉部.xlsx", "-o", returns)
    assert code == 2
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in returns.iterdir()}
    assert after == before


def test_an_output_that_is_no_folder_is_said_so(tmp_path: Path) -> None:
    (tmp_path / "メモ").write_text("x", encoding="utf-8")
    code, _, err = run("forms", SAMPLES, "-o", tmp_path / "メモ")
    assert code == 2 and "はフォルダではありません" in err  # was FileExistsError, exit 4
    code, _, err = run("forms", SAMPLES, "-o", tmp_path / "メモ" / "次年度")
    assert code == 3 and "出力先のフォルダ" in err and "を作れません" in err


def test_forms_are_never_written_over_workbooks_already_there(tmp_path: Path) -> None:
    # Next year's returns come back under the same names; a second run used to replace them.
    folder = tmp_path / "next"
    assert run("forms", SAMPLES, "-o", folder)[0] == 0
    filled = folder / "05_消防本部.xlsx"
    filled.write_bytes(b"a department's filled-in return")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    code, _, err = run("forms", SAMPLES, "-o", folder)
    assert code == 2
    assert "出力先のフォルダに同じ名前のブックがあります（01_保健福祉部.xlsx ほか 7 件）" in err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_forms_are_written_all_or_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from xlkpi import prefill
    from xlkpi.output import OutputError

    written: list[Path] = []
    real = prefill.write_forms

    def full_disk_at_the_third(path: Path, *args: object, **kwargs: object) -> None:
        if len(written) == 2:
            raise OutputError(
                f"{path.name} を書き込めませんでした（ディスクの空き容量が足りません）。"
            )
        real(path, *args, **kwargs)
        written.append(path)

    monkeypatch.setattr(prefill, "write_forms", full_disk_at_the_third)
    code, _, err = run("forms", SAMPLES, "-o", tmp_path / "next", "-j", "1")
    assert code == 3 and "ディスクの空き容量が足りません" in err
    assert len(written) == 2 and list((tmp_path / "next").iterdir()) == []
    # The two written first used to stay, and the next run refused them as existing workbooks.
    monkeypatch.setattr(prefill, "write_forms", real)
    forms_from(SAMPLES, tmp_path / "next")
    assert len(list((tmp_path / "next").iterdir())) == 8


def test_a_broken_return_is_reported_and_the_rest_still_written(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    shutil.copytree(SAMPLES, returns)
    (returns / "壊れた調書.xlsx").write_bytes(b"PK\x03\x04 truncated")
    code, out, err = run("forms", returns, "-o", tmp_path / "next")
    assert code == 1
    assert "壊れた調書.xlsx: " in err
    assert "エラーのあった施策や値は書き写していません" in out
    assert len(list((tmp_path / "next").glob("*.xlsx"))) == 8


def test_the_last_plan_year_is_said_to_need_a_new_period(tmp_path: Path) -> None:
    # R10 (2028) is the plan's last year: the next year is outside the period
    code, out, err = run("forms", SAMPLES, "-o", tmp_path / "next", "--year", "2028")
    assert code == 0, err
    assert "2029年度は計画期間（2024〜2028年度）の外です" in out


def test_a_single_return_file_is_read_as_a_return(tmp_path: Path) -> None:
    out = forms_from(SAMPLES / "07_建設部.xlsx", tmp_path / "next")
    assert [p.name for p in (tmp_path / "next").iterdir()] == ["07_建設部.xlsx"]
    assert "（施策 2 件、もとの調書: 07_建設部.xlsx）" in out
    assert [m.number for m in merge([tmp_path / "next"]).measures] == [26, 27]


def test_output_names_stay_inside_the_folder_and_are_safe() -> None:
    """A summary's ファイル column is only text: it must not choose where forms are written."""
    from xlkpi.prefill import output_names

    sources = ["01_保健福祉部.xlsx", "../../etc/passwd", "C:\\\\課\\\\a:b?.xlsm", "..xlsx",
               "sub/01_保健福祉部.xlsx", ""]  # fmt: skip
    names = output_names([Measure(name="x", file=source) for source in sources])
    assert list(names.values()) == [
        "01_保健福祉部.xlsx", "passwd.xlsx", "a_b_.xlsx", "調書.xlsx", "01_保健福祉部_2.xlsx",
        "調書_2.xlsx",
    ]  # fmt: skip


def test_an_edited_summary_with_a_far_year_is_refused_before_writing(tmp_path: Path) -> None:
    code, _, _ = run("merge", SAMPLES, "-o", tmp_path / "集計.xlsx")
    assert code == 0
    wb = openpyxl.load_workbook(tmp_path / "集計.xlsx")
    ws = wb["データ"]
    header = [c.value for c in ws[1]]
    year_col, actual_col = header.index("年度") + 1, header.index("実績値") + 1
    ws.cell(ws.max_row, year_col, 2090)  # someone typed a year into the data sheet
    ws.cell(ws.max_row, actual_col, 5)
    wb.save(tmp_path / "集計.xlsx")
    code, out, err = run("forms", tmp_path / "集計.xlsx", "-o", tmp_path / "next")
    assert (code, out) == (1, "")
    assert "計画期間が長すぎるため、様式に書けません" in err and "2090" in err
    assert list((tmp_path / "next").iterdir()) == []


def test_what_an_edit_in_excel_broke_in_a_summary_is_named_not_dropped(tmp_path: Path) -> None:
    assert run("merge", SAMPLES, "-o", tmp_path / "集計.xlsx")[0] == 0
    wb = openpyxl.load_workbook(tmp_path / "集計.xlsx")
    data = wb["データ"]
    header = [c.value for c in data[1]]
    column = {title: header.index(title) + 1 for title in ("施策名", "年度", "実績値")}
    rows = [
        r for r in range(2, data.max_row + 1) if data.cell(r, column["実績値"]).value is not None
    ]
    typed, renamed = rows[0], rows[1]
    data.cell(typed, column["実績値"]).value = "1,234人"  # pasted as text
    name = data.cell(renamed, column["施策名"]).value
    data.cell(renamed, column["施策名"]).value = f"{name}（改）"  # renamed here only
    measures = wb["施策データ"]
    budget = next(c for c in measures[1] if str(c.value).startswith("事業費")).column
    measures.cell(2, budget).value = "未定"
    wb.save(tmp_path / "編集.xlsx")
    code, out, err = run("forms", tmp_path / "編集.xlsx", "-o", tmp_path / "next")
    # All three used to be dropped from next year's forms without a word (exit 0).
    assert code == 1 and out.startswith("次年度")
    actual_cell = f"{openpyxl.utils.get_column_letter(column['実績値'])}{typed}"
    name_cell = f"{openpyxl.utils.get_column_letter(column['施策名'])}{renamed}"
    budget_cell = f"{openpyxl.utils.get_column_letter(budget)}2"
    assert f"編集.xlsx!データ!{actual_cell}: 集計ブックの「1,234人」は数値ではないため" in err
    assert f"編集.xlsx!データ!{name_cell}: 成果指標「" in err and f"施策「{name}（改）」" in err
    assert f"編集.xlsx!施策データ!{budget_cell}: 集計ブックの「未定」は数値ではないため" in err
    assert "エラーのあった施策や値は書き写していません" in out
    assert len(list((tmp_path / "next").iterdir())) == 8  # the rest is still written
    read = read_source([tmp_path / "編集.xlsx"]).report.problems
    assert {(p.sheet, p.cell, p.code) for p in read} == {
        ("データ", actual_cell, "summary-value-not-number"),
        ("データ", name_cell, "summary-row-unmatched"),
        ("施策データ", budget_cell, "summary-value-not-number"),
    }


@pytest.mark.parametrize("typed", ["inf", "1e999", "nan", "2024.5"])
def test_a_whole_number_edited_into_no_number_is_named_not_a_crash(
    tmp_path: Path, typed: str
) -> None:
    """No and 年度 are whole numbers: 「inf」 stopped forms with an internal error (exit 4)."""
    assert run("merge", SAMPLES, "-o", tmp_path / "集計.xlsx")[0] == 0
    wb = openpyxl.load_workbook(tmp_path / "集計.xlsx")
    wb["施策データ"]["A2"] = typed  # No
    data = wb["データ"]
    year = next(c for c in data[1] if c.value == "年度").column_letter
    data[f"{year}2"] = typed
    wb.save(tmp_path / "編集.xlsx")
    code, _, err = run("forms", tmp_path / "編集.xlsx", "-o", tmp_path / "next")
    assert code == 1
    assert f"編集.xlsx!施策データ!A2: 集計ブックの「{typed}」は数値ではないため" in err
    assert f"編集.xlsx!データ!{year}2: 集計ブックの「{typed}」は数値ではないため" in err


def test_a_summary_that_lost_a_column_is_named_not_a_crash(tmp_path: Path) -> None:
    assert run("merge", SAMPLES, "-o", tmp_path / "集計.xlsx")[0] == 0
    for sheet, title in (("データ", "現状値"), ("施策データ", "施策名")):
        wb = openpyxl.load_workbook(tmp_path / "集計.xlsx")
        ws = wb[sheet]
        next(c for c in ws[1] if c.value == title).value = f"{title}（修正）"  # edited in Excel
        wb.save(tmp_path / "編集.xlsx")
        code, out, err = run("forms", tmp_path / "編集.xlsx", "-o", tmp_path / "next")
        # データ used to stop with KeyError as an internal fault (exit 4); 施策データ was
        # read as a return and said 「実績値のある年度がありません」 (exit 2).
        assert (code, out) == (1, "")
        assert err == (
            f"編集.xlsx: 集計ブックから次年度の調書を作れません（「{sheet}」シートに見出し"
            f"「{title}」がありません）。\n"
        )
        assert not (tmp_path / "next").exists()


def test_a_direction_the_department_gave_is_carried_over(tmp_path: Path) -> None:
    # 待機児童数: target 20, actual 25, 低い方が良い -> 20 / 25 = 80 % -> B, this year and next
    from decimal import Decimal

    from xlkpi.model import Kpi
    from xlkpi.template import write_forms

    returns = tmp_path / "returns"
    returns.mkdir()
    kpis = [
        Kpi(name="待機児童数", unit="人", baseline=Decimal(30), target=Decimal(20),
            actuals={2024: Decimal(25)}, direction="lower"),
        Kpi(name="相談件数", unit="件", baseline=Decimal(30), target=Decimal(20),
            actuals={2024: Decimal(25)}),
    ]  # fmt: skip
    measure = Measure(name="子育て支援事業", number=1, viewpoint="生活機能の強化",
                      policy_field="福祉", kpis=kpis)  # fmt: skip
    write_forms(returns / "福祉課.xlsx", [measure])
    source = merge([returns])
    assert [k.direction for k in source.measures[0].kpis] == ["lower", ""]
    assert [k.grades for k in source.measures[0].kpis] == [{2024: "B"}, {2024: "A"}]
    forms_from(returns, tmp_path / "next")
    assert_same_merge(source, merge([tmp_path / "next"]))
    code, _, _ = run("merge", returns, "-o", tmp_path / "集計.xlsx")
    assert code == 0
    forms_from(tmp_path / "集計.xlsx", tmp_path / "from_summary")
    assert_same_merge(source, merge([tmp_path / "from_summary"]))


def test_a_measures_own_base_and_target_years_are_kept(tmp_path: Path) -> None:
    """Two measures in one file with different 現状値/目標値 years: each form keeps its own."""
    from decimal import Decimal

    from xlkpi.model import Kpi
    from xlkpi.template import write_forms

    def measure(number: int, base: int, target: int) -> Measure:
        kpi = Kpi(name=f"指標{number}", unit="人", baseline=Decimal(1), target=Decimal(10),
                  actuals={2024: Decimal(9)})  # fmt: skip
        return Measure(name=f"施策{number}", number=number, viewpoint="生活機能の強化",
                       policy_field="医療", kpis=[kpi], base_year=base, target_year=target)  # fmt: skip

    returns = tmp_path / "returns"
    returns.mkdir()
    write_forms(returns / "課.xlsx", [measure(1, 2022, 2028), measure(2, 2023, 2026),
                                      measure(3, 2022, 2028)])  # fmt: skip
    source = merge([returns])
    assert [(m.base_year, m.target_year) for m in source.measures] == [
        (2022, 2028), (2023, 2026), (2022, 2028),
    ]  # fmt: skip
    forms_from(returns, tmp_path / "next")
    assert_same_merge(source, merge([tmp_path / "next"]))


def test_a_measure_with_more_kpis_than_the_template_gets_the_rows_it_needs(
    tmp_path: Path,
) -> None:
    """Last year's form had four KPI lines: next year's form has four rows, not a crash."""
    from decimal import Decimal

    from xlkpi.model import Kpi
    from xlkpi.template import write_forms

    kpis = [Kpi(name=f"指標{i}", unit="人", baseline=Decimal(1), target=Decimal(10),
                actuals={2024: Decimal(i * 3)}) for i in range(1, 5)]  # fmt: skip
    returns = tmp_path / "returns"
    returns.mkdir()
    write_forms(returns / "課.xlsx", [Measure(name="施策", number=1, viewpoint="生活機能の強化",
                                              policy_field="医療", kpis=kpis, **FILLED)])  # fmt: skip
    source = merge([returns])
    assert source.report.problems == []
    # 3/10 = 30 % -> D, 6/10 -> C, 9/10 -> B, 12/10 -> A
    assert [k.grades[2024] for k in source.measures[0].kpis] == ["D", "C", "B", "A"]
    forms_from(returns, tmp_path / "next")
    assert_same_merge(source, merge([tmp_path / "next"]))


def test_two_kpis_of_one_name_stay_two(tmp_path: Path) -> None:
    """A KPI row copied and not renamed: warned, and never merged into one on the way."""
    from decimal import Decimal

    from xlkpi.model import Kpi
    from xlkpi.template import write_forms

    kpis = [Kpi(name="参加者数", unit="人", baseline=Decimal(1), target=Decimal(10),
                actuals={2024: Decimal(3)}),
            Kpi(name="参加者数", unit="人", baseline=Decimal(5), target=Decimal(50),
                actuals={2024: Decimal(45)})]  # fmt: skip
    returns = tmp_path / "returns"
    returns.mkdir()
    write_forms(returns / "課.xlsx", [Measure(name="施策", number=1, viewpoint="生活機能の強化",
                                              policy_field="医療", kpis=kpis, **FILLED)])  # fmt: skip
    source = merge([returns])
    assert [(p.code, p.cell) for p in source.report.problems] == [("kpi-name-repeated", "F9")]
    # 3/10 = 30 % -> D, 45/50 = 90 % -> B
    assert [k.grades[2024] for k in source.measures[0].kpis] == ["D", "B"]
    assert run("merge", returns, "-o", tmp_path / "集計.xlsx")[0] == 0
    code, _, err = run("forms", tmp_path / "集計.xlsx", "-o", tmp_path / "next")
    assert (code, err) == (0, "")
    # The summary's データ rows of both used to become one KPI, graded A from the second's actual.
    assert_same_merge(source, merge([tmp_path / "next"]))


def test_a_summary_over_the_size_caps_is_said_so_and_the_caps_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xlkpi.intake import Limits
    from xlkpi.prefill import read_source

    summary = tmp_path / "集計.xlsx"
    assert run("merge", SAMPLES, "-o", summary)[0] == 0
    # A national summary unzips to ~180 MB. It was taken for a return, and the user was told
    # 「実績値のある年度がありません。今年度を --year で指定してください」 (exit 2).
    small = read_source([summary], limits=Limits(max_unzipped_bytes=2**16))
    assert small.measures == []
    assert [(p.code, p.file) for p in small.report.problems] == [("too-large", "集計.xlsx")]
    assert len(read_source([summary], limits=Limits()).measures) == 32  # --max-unzipped-mb
    # As with --max-unzipped-mb below the summary's size (the samples' unzips to 0.3 MB only).
    monkeypatch.setattr("xlkpi.cli._limits", lambda args: Limits(max_unzipped_bytes=2**16))
    code, out, err = run("forms", summary, "-o", tmp_path / "next")
    assert (code, out) == (1, "")
    assert "集計.xlsx: 展開後のサイズが大きすぎるため" in err
    assert err.endswith("次年度の調書に書き写せる施策がありません。\n")


def test_a_provisional_actual_is_carried_over_marked_to_be_made_final(tmp_path: Path) -> None:
    """「10,334人（速報値）」 comes back as written and highlighted, not as a final 10,334."""
    from xlkpi.model import Kpi
    from xlkpi.template import write_forms

    returns = tmp_path / "returns"
    returns.mkdir()
    kpis = [
        Kpi(name="参加人数", unit="人", baseline=Decimal(5035), target=Decimal(12000),
            actuals={2024: Decimal(10334)}, notes={2024: "速報値"}),
        Kpi(name="整備率", unit="%", baseline=Decimal("57.4"), target=Decimal("58.1"),
            actuals={2024: Decimal("58.4")}, notes={2024: "見込み"}),
    ]  # fmt: skip
    measure = Measure(name="防災事業", number=24, viewpoint="生活機能の強化",
                      policy_field="消防防災", kpis=kpis, **FILLED)  # type: ignore[arg-type]  # fmt: skip
    write_forms(returns / "消防本部.xlsx", [measure])
    source = merge([returns])
    [read] = source.measures
    assert [(k.actuals, k.notes, k.grades) for k in read.kpis] == [
        ({2024: 10334}, {2024: "速報値"}, {2024: "B"}),  # 10334 / 12000 = 86.1 %
        ({2024: Decimal("58.4")}, {2024: "見込み"}, {2024: "A"}),  # 58.4 / 58.1 = 100.5 %
    ]
    code, _, _ = run("merge", returns, "-o", tmp_path / "集計.xlsx")
    assert code == 0
    layout = form.layout()
    col = layout.year_columns[2024]
    for origin in (returns, tmp_path / "集計.xlsx"):
        folder = tmp_path / f"next_{origin.stem}"
        forms_from(origin, folder)
        ws = openpyxl.load_workbook(folder / "消防本部.xlsx").worksheets[1]
        cells = [ws.cell(r + 1, col + 1) for r in layout.actual_rows[:2]]
        assert [c.value for c in cells] == ["10,334人（速報値）", "58.4%（見込み）"]
        assert {str(c.fill.fgColor.rgb)[-6:] for c in cells} == {NEXT_YEAR_FILL[1:]}
        again = merge([folder])
        assert [(k.actuals, k.notes, k.grades) for k in again.measures[0].kpis] == [
            (k.actuals, k.notes, k.grades) for k in read.kpis
        ]


def test_a_note_that_would_not_read_back_leaves_the_plain_value(tmp_path: Path) -> None:
    from xlkpi.model import Kpi
    from xlkpi.template import write_forms

    kpi = Kpi(name="参加人数", unit="人", baseline=Decimal(5035), target=Decimal(12000),
              actuals={2024: Decimal(10334)}, notes={2024: "暫定)"})  # fmt: skip
    measure = Measure(name="防災事業", number=24, viewpoint="生活機能の強化",
                      policy_field="消防防災", kpis=[kpi], **FILLED)  # type: ignore[arg-type]  # fmt: skip
    write_forms(tmp_path / "消防本部.xlsx", [measure])
    layout = form.layout()
    ws = openpyxl.load_workbook(tmp_path / "消防本部.xlsx").worksheets[1]
    assert ws.cell(layout.actual_rows[0] + 1, layout.year_columns[2024] + 1).value == 10334
    assert merge([tmp_path]).measures[0].kpis[0].grades == {2024: "B"}
