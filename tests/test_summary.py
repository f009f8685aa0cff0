"""The summary workbook as openpyxl and the raw XML see it: sheets, grades, tallies, hygiene."""

from __future__ import annotations

import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import builders
from conftest import SAMPLES
from published import CONTINUING_CD_2024, GRADES_2024, OVERALL_2024, VIEWPOINT_SHARES_2024
from xlkpi.merge import MergeResult, merge
from xlkpi.model import Kpi, Measure
from xlkpi.style import FONT, balanced_width, content_width, wrapped_lines
from xlkpi.summary import write_summary
from xlkpi.template import write_forms

SHEETS = [
    "概要",
    "達成状況一覧",
    "分野別集計",
    "継続C・D",
    "事業費",
    "見直し候補",
    "評価コメント",
    "データ",
    "施策データ",
    "受付",
]


@pytest.fixture(scope="module")
def summary(samples_result: MergeResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("summary") / "summary.xlsx"
    write_summary(samples_result, path)
    return path


def rows_of(ws: openpyxl.worksheet.worksheet.Worksheet, first: int) -> list[list[object]]:
    return [
        [c.value for c in row] for row in ws.iter_rows(min_row=first) if row[0].value is not None
    ]


def test_sheets_and_the_list(summary: Path) -> None:
    wb = openpyxl.load_workbook(summary)  # warnings are errors in this suite
    assert wb.sheetnames == SHEETS
    ws = wb["達成状況一覧"]
    header = [c.value for c in ws[4]]
    assert header == ["No", "連携する視点", "政策分野", "施策名", "成果指標", "R6", "R7", "R8", "R9",
                      "R10", "単位", "現状値", "目標値", "実績値（R6）", "達成率（R6）", "注記（R6）",
                      "評価なしの理由（R6）"]  # fmt: skip
    rows = rows_of(ws, 5)
    assert len(rows) == 34
    by_number: dict[int, list[object]] = {}
    for row in rows:
        by_number.setdefault(row[0], []).append(row[5])  # type: ignore[arg-type]
    assert by_number == GRADES_2024
    road = next(row for row in rows if row[0] == 27)
    assert road[11:15] == [57.4, 58.1, 58.4, 1.005]  # 100.5 % shown cut to 0.1 %
    assert ws.freeze_panes == "A5"
    assert ws.auto_filter.ref == "A4:Q38"


def test_grade_columns_have_a_fill_per_grade(summary: Path) -> None:
    ws = openpyxl.load_workbook(summary)["達成状況一覧"]
    rules = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            rules[rule.formula[0]] = (str(cf.sqref), rule.dxf.fill.bgColor.rgb)
    assert set(rules) == {'"A"', '"B"', '"C"', '"D"'}
    assert {sqref for sqref, _ in rules.values()} == {"F5:J38"}
    assert len({fill for _, fill in rules.values()}) == 4


def test_field_tallies_are_formulas_with_cached_values(summary: Path) -> None:
    formulas = openpyxl.load_workbook(summary)["分野別集計"]
    cached = openpyxl.load_workbook(summary, data_only=True)["分野別集計"]
    assert [c.value for c in formulas[5]][2:8] == ["A", "B", "C", "D", "計", "A及びBの割合"]
    total_row = next(
        r for r in range(6, formulas.max_row + 1) if formulas.cell(r, 1).value == "合計"
    )
    assert [cached.cell(total_row, c).value for c in range(3, 7)] == list(OVERALL_2024.values())
    assert cached.cell(total_row, 7).value == 34
    assert round(cached.cell(total_row, 8).value, 3) == 0.706
    medical = next(r for r in range(6, total_row) if formulas.cell(r, 2).value == "医療")
    formula = formulas.cell(medical, 3).value
    assert formula == (
        "=SUMPRODUCT(EXACT('達成状況一覧'!$B$5:$B$38,$A6)*EXACT('達成状況一覧'!$C$5:$C$38,$B6)"
        "*EXACT('達成状況一覧'!$F$5:$F$38,C$5))"
    )
    assert [cached.cell(medical, c).value for c in range(3, 8)] == [1, 1, 0, 0, 2]


def test_overview_counts_shares_chart_and_findings(summary: Path) -> None:
    ws = openpyxl.load_workbook(summary, data_only=True)["概要"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    grades = {row[0]: row[1:3] for row in values if row[0] in ("A", "B", "C", "D")}
    assert {g: v[0] for g, v in grades.items()} == OVERALL_2024
    assert round(grades["A"][1], 3) == round(13 / 34, 3)
    text = "\n".join(str(row[0]) for row in values if row[0])
    assert "全体: 達成状況A及びBの項目は、合わせて70.6%（34項目中24項目）です。" in text
    for viewpoint, share in VIEWPOINT_SHARES_2024.items():
        assert f"{viewpoint}: 達成状況A及びBの項目は、合わせて{share}" in text
    with zipfile.ZipFile(summary) as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        chart = zf.read(charts[0]).decode()
        assert "<c:barChart>" in chart and "概要!$B$12:$B$15" in chart
        drawing_rels = zf.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        assert "drawing" in drawing_rels  # the chart sits on 概要, the first sheet


def test_hygiene_fonts_print_setup_and_properties(summary: Path) -> None:
    wb = openpyxl.load_workbook(summary)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.paperSize == 9, ws.title
        if ws.title in (
            "データ",
            "施策データ",
            "受付",
        ):  # across as many pages as needed: at full size, or fitted to two or more across
            setup = ws.sheet_properties.pageSetUpPr
            if setup and setup.fitToPage:
                assert (ws.page_setup.fitToWidth or 1) >= 2, ws.title
                assert ws.page_setup.fitToHeight == 0, ws.title
            assert ws.print_title_cols, ws.title
        else:
            # fitToWidth left out means 1 page wide; fitToHeight 0 means as many pages as needed
            # (left out: one page, for a sheet that would spill a few rows onto a second).
            assert ws.page_setup.fitToWidth in (None, 1), ws.title
            assert ws.page_setup.fitToHeight in (None, 0), ws.title
            assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows, ws.title
        assert "&P" in ws.oddFooter.center.text, ws.title
    with zipfile.ZipFile(summary) as zf:
        styles = zf.read("xl/styles.xml").decode()
        fonts = re.findall(
            r"<font>.*?</font>|<font/>", re.search(r"<fonts.*?</fonts>", styles, re.S)[0], re.S
        )
        assert fonts and all(f'<name val="{FONT}"/>' in font for font in fonts)
        chart = zf.read("xl/charts/chart1.xml").decode()
        assert set(re.findall(r'typeface="([^"]+)"', chart)) == {FONT}
        core = zf.read("docProps/core.xml").decode()
        custom = zf.read("docProps/custom.xml").decode()
    assert "2024年度" in wb.properties.title
    assert wb.properties.creator == "xlkpi"
    assert "report_year=2024" in core
    assert "report_year" in custom and "<vt:i4>2024</vt:i4>" in custom
    assert re.search(r"xlkpi \d+\.\d+", custom)


def test_data_sheet_is_a_table_with_one_row_per_kpi_and_year(summary: Path) -> None:
    ws = openpyxl.load_workbook(summary)["データ"]
    [table] = ws.tables.values()
    assert [c.name for c in table.tableColumns] == [
        "No", "連携する視点", "政策分野", "施策名", "成果指標", "単位", "現状値", "目標値",
        "年度", "実績値", "達成率", "評価", "ファイル", "シート", "方向", "注記",
    ]  # fmt: skip
    assert table.ref == "A1:P171"  # 34 KPIs x 5 plan years
    rows = rows_of(ws, 2)
    assert {row[8] for row in rows} == {2024, 2025, 2026, 2027, 2028}
    road = next(row for row in rows if row[0] == 27 and row[8] == 2024)
    assert road[9:12] == [58.4, 1.005, "A"]
    assert ws.cell(2, 11).number_format == "0.0%"


def test_comments_sheet(summary: Path) -> None:
    ws = openpyxl.load_workbook(summary)["評価コメント"]
    rows = rows_of(ws, 5)
    assert len(rows) == 32
    first = rows[0]
    assert first[1] == "休日・夜間診療体制確保事業" and first[2] == "R6"
    assert str(first[3]).startswith("①休日当番医：受診者数 7,392人")
    assert ws.cell(5, 4).alignment.wrap_text
    assert ws.row_dimensions[5].height > 15  # sized to the wrapped text


def test_ledger_lists_every_file_and_sheet(summary: Path, samples_result: MergeResult) -> None:
    ws = openpyxl.load_workbook(summary)["受付"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5, max_col=6)]
    ledger = rows[: len(samples_result.report.ledger)]
    assert len([r for r in ledger if r[2] == "（ファイル）"]) == 8
    sheets = [r for r in ledger if r[2] != "（ファイル）"]
    assert len(sheets) == 8 + 32  # each file's 記入要領 and its form sheets
    assert {r[3] for r in sheets if r[2] == "記入要領"} == {"対象外"}
    assert {r[3] for r in sheets if r[2] != "記入要領"} == {"取込", "警告"}


def test_continuing_from_the_forms_own_previous_year(tmp_path: Path) -> None:
    """FY2024 and FY2025 actuals on the forms: FY2025 is graded against FY2024."""
    import sys

    sys.path.insert(0, str(SAMPLES.parent))
    from build_samples import load_measures

    for filename, measures in load_measures().items():
        for measure in measures:
            for kpi in measure.kpis:
                assert kpi.target is not None
                stays = measure.number in (6, 14, 26)  # C, D, C in 2024: the same actual again
                falls = measure.number == 2  # B in 2024, D in 2025: weak in one year only
                kpi.actuals[2025] = (
                    kpi.actuals[2024] if stays else kpi.target / 4 if falls else kpi.target
                )
        write_forms(tmp_path / filename, measures)
    result = merge([tmp_path])
    assert (result.year, result.comparison and result.comparison.source) == (2025, "調書")
    assert [m.number for m, _ in result.continuing_weak()] == [6, 14, 26]
    out = tmp_path / "out.xlsx"
    write_summary(result, out)
    ws = openpyxl.load_workbook(out)["継続C・D"]
    assert [row[3] for row in rows_of(ws, 5)] == [
        "介護人材育成事業",
        "地産外商促進事業",
        "主要幹線道路等整備促進事業",
    ]
    assert [c.value for c in ws[4]][5:7] == ["R6 評価", "R7 評価"]


def test_previous_grades_outside_this_years_bands_are_named_not_a_crash(tmp_path: Path) -> None:
    # Last year's summary was graded by another rule (◎○△×), or a grade was typed over.
    # Counting such a grade into this year's A-D tallies raised KeyError: an internal fault.
    previous = merge([builders.previous_year_forms(tmp_path / "r5", {9, 10, 14, 21})])
    write_summary(previous, tmp_path / "r5.xlsx")

    def edited(name: str, grade_of: dict[int, str]) -> Path:
        wb = openpyxl.load_workbook(tmp_path / "r5.xlsx")
        ws = wb["データ"]
        header = [c.value for c in ws[1]]
        rows = [
            r
            for r in range(2, ws.max_row + 1)
            if ws.cell(r, header.index("年度") + 1).value == 2023
        ]
        for index, grade in grade_of.items():
            ws.cell(rows[index], header.index("評価") + 1).value = grade
        wb.save(tmp_path / name)
        return tmp_path / name

    one = merge([SAMPLES], previous=edited("one.xlsx", {0: "S"}))
    warned = [p.message for p in one.report.problems if p.code == "previous-grade-unknown"]
    assert warned == [
        "前年度の集計ブックの評価（「S」1 件）は、今年度の評価の区分（A・B・C・D）にないため比較に使いません。"
    ]
    assert one.comparison is not None and len(one.comparison.unmatched) == 2  # it, and No.33
    every = merge([SAMPLES], previous=edited("all.xlsx", dict.fromkeys(range(34), "◎")))
    assert [p.code for p in every.report.problems if p.file == "all.xlsx"] == [
        "previous-grade-unknown"
    ]
    assert every.comparison is None and every.report.ok
    for result in (one, every):
        write_summary(result, tmp_path / "r6.xlsx")


def test_last_years_summary_kept_with_the_returns_is_used_not_warned_of(tmp_path: Path) -> None:
    previous = merge([builders.previous_year_forms(tmp_path / "r5", {9, 10, 14, 21})])
    returns = tmp_path / "returns"
    shutil.copytree(SAMPLES, returns)
    write_summary(previous, returns / "r5.xlsx")
    result = merge([returns], previous=returns / "r5.xlsx")
    # It was also met among the returns: summary-as-return, whose hint says to use --previous.
    assert "summary-as-return" not in [p.code for p in result.report.problems]
    assert result.comparison is not None and result.comparison.source == "r5.xlsx"
    assert [m.name for m, _ in result.continuing_weak()] == CONTINUING_CD_2024
    entry = next(e for e in result.report.ledger if e.file == "r5.xlsx")
    assert entry.note.startswith("--previous で指定した前年度の集計ブックです")


def test_a_previous_summary_without_last_years_grades_is_said_so(tmp_path: Path) -> None:
    """This year's own summary given as last year's: it has no 2023 grades to compare."""
    write_summary(merge([SAMPLES]), tmp_path / "r6.xlsx")
    result = merge([SAMPLES], previous=tmp_path / "r6.xlsx")
    assert result.comparison is None
    assert [(p.file, p.code, p.message) for p in result.report.problems if p.file == "r6.xlsx"] == [
        ("r6.xlsx", "previous-no-year", "前年度の集計ブックに 2023年度の評価がありません。")
    ]


def test_continuing_from_last_years_summary(tmp_path: Path) -> None:
    """FY2024 samples with --previous pointing at an FY2023 summary of the previous vision."""
    weak_2023 = {9, 10, 14, 21}  # the measures the seed names as C or D in R5 and R6
    previous = merge([builders.previous_year_forms(tmp_path / "r5", weak_2023)])
    assert previous.year == 2023
    write_summary(previous, tmp_path / "r5.xlsx")
    result = merge([SAMPLES], previous=tmp_path / "r5.xlsx")
    assert result.comparison is not None and result.comparison.source == "r5.xlsx"
    assert [m.name for m, _ in result.continuing_weak()] == CONTINUING_CD_2024
    assert [(m.number, k.name) for m, k in result.comparison.unmatched] == [
        (33, "職員研修の参加者数")
    ]
    assert result.comparison.orphans == [("地域情報化推進事業", "光回線の整備率", "A")]
    codes = [p.code for p in result.report.problems]
    assert codes.count("previous-unmatched") == 1 and codes.count("previous-orphan") == 1
    orphan = next(p for p in result.report.problems if p.code == "previous-orphan")
    assert (orphan.file, orphan.sheet) == ("r5.xlsx", "データ")
    out = tmp_path / "r6.xlsx"
    write_summary(result, out)
    wb = openpyxl.load_workbook(out, data_only=True)
    assert [c.value for c in wb["達成状況一覧"][4]][5:11] == ["R5", "R6", "R7", "R8", "R9", "R10"]
    assert [row[3] for row in rows_of(wb["継続C・D"], 5)] == CONTINUING_CD_2024
    overview = "\n".join(str(c.value) for row in wb["概要"].iter_rows() for c in row if c.value)
    assert "令和5年度）から継続してCまたはDの達成状況: " + "、".join(CONTINUING_CD_2024) in overview
    assert (
        "前年度の評価がない指標（1 件）" in overview
        and "地域情報化推進事業: 光回線の整備率（A）" in overview
    )
    fields = wb["分野別集計"]
    assert (
        fields["C4"].value == "2024年度（令和6年度）"
        and fields["J4"].value == "2023年度（令和5年度）（前年度）"
    )


HOSTILE = ['=HYPERLINK("http://x","y")', "@SUM(1)", "+1", "-1+1", "file:///etc/passwd",
           "external:c:\\windows\\calc.exe", "{=SUM(1)}", "=1+1",
           # XlsxWriter's own rich-string marker: written raw, it would become markup
           "<r><rPr><b/></rPr><t>太字</t></r>", "<r><t>&amp;</t></r>"]  # fmt: skip


def test_text_that_looks_like_a_formula_or_link_stays_literal_text(tmp_path: Path) -> None:
    measures = [
        Measure(name=text, number=i, viewpoint="生活機能の強化", policy_field="医療",
                kpis=[Kpi(name=text, unit="人", baseline=Decimal(1), target=Decimal(2), actuals={2024: Decimal(2)})],
                texts={"evaluation": text, "next_steps": text})
        for i, text in enumerate(HOSTILE, start=1)
    ]  # fmt: skip
    write_forms(tmp_path / "hostile.xlsx", measures)
    result = merge([tmp_path])
    assert [m.name for m in result.measures] == HOSTILE  # read back as the department typed them
    out = tmp_path / "out" / "summary.xlsx"
    out.parent.mkdir()
    write_summary(result, out)
    wb = openpyxl.load_workbook(out)
    cells = [wb["達成状況一覧"].cell(5 + i, col) for i in range(len(HOSTILE)) for col in (4, 5)]
    cells += [wb["評価コメント"].cell(5 + i, col) for i in range(len(HOSTILE)) for col in (2, 4, 5)]
    assert [(c.value, c.data_type, c.hyperlink) for c in cells] == [
        (text, "s", None) for text in HOSTILE for _ in range(2)
    ] + [(text, "s", None) for text in HOSTILE for _ in range(3)]
    with zipfile.ZipFile(out) as zf:
        formulas = [
            formula
            for name in zf.namelist()
            if name.startswith("xl/worksheets/sheet")
            for formula in re.findall(rb"<f>(.*?)</f>", zf.read(name), re.S)
        ]
        assert formulas  # the tallies are formulas...
        assert not [f for f in formulas if b"HYPERLINK" in f or b"SUM(1)" in f or b"1+1" in f]
        rels = b"".join(zf.read(n) for n in zf.namelist() if n.endswith(".rels"))
        assert b"hyperlink" not in rels.lower() and b"External" not in rels


def test_renamed_kpis_and_measures_are_matched_by_the_documented_rule(tmp_path: Path) -> None:
    """previous.py's rule: exact, then one-to-one leftovers in a measure, then by KPI name."""
    previous = merge([builders.previous_year_forms(tmp_path / "r5", {1, 2, 23})])
    by_number = {m.number: m for m in previous.measures}
    old_kpi = by_number[1].kpis[0].name
    by_number[1].kpis[0].name = "旧い指標名"  # rule 2: the only leftover of its measure
    old_measure = by_number[2].name
    by_number[2].name = "旧い施策名"  # rule 3: its KPI name is unique among the leftovers
    for index, k in enumerate(by_number[23].kpis):  # two renamed in one measure: ambiguous
        k.name = f"旧い指標{index}"
    write_summary(previous, tmp_path / "r5.xlsx")
    result = merge([SAMPLES], previous=tmp_path / "r5.xlsx")
    found = {(m.number, k.name): k.grades.get(2023) for m in result.measures for k in m.kpis}
    assert found[(1, old_kpi)] == "C" and found[(2, by_number[2].kpis[0].name)] == "C"
    assert [(p.code, p.sheet) for p in result.report.problems if "renamed" in p.code] == [
        ("previous-kpi-renamed", "施策1"),
        ("previous-measure-renamed", "施策2"),
    ]
    renamed = next(p for p in result.report.problems if p.code == "previous-measure-renamed")
    assert "旧い施策名" in renamed.message and old_measure in renamed.message
    assert result.comparison is not None
    unmatched = [(m.number, k.name) for m, k in result.comparison.unmatched]
    assert unmatched == [(23, k.name) for k in result.measures[22].kpis] + [
        (33, "職員研修の参加者数")
    ]
    assert [o[1] for o in result.comparison.orphans] == ["旧い指標0", "旧い指標1", "光回線の整備率"]


def test_national_scale_text_stays_within_excels_rows(tmp_path: Path) -> None:
    # 300 measures graded D in one field listed every name in one cell (32,767 characters
    # at most: the end was cut off unsaid), and rows were sized to ~40,000 points of
    # wrapped text; Excel's tallest row is 409 points.
    measures = [
        Measure(name=f"第{i:03d}号 地域の暮らしを支える総合的な推進事業", number=i,
                viewpoint="生活機能の強化", policy_field="医療",
                kpis=[Kpi(name="利用者数", unit="人", baseline=Decimal(1), target=Decimal(100),
                          actuals={2024: Decimal(1)})],
                texts={"evaluation": "所見。" * 6_000})
        for i in range(1, 301)
    ]  # fmt: skip
    (tmp_path / "returns").mkdir()
    write_forms(tmp_path / "returns" / "全国.xlsx", measures)
    result = merge([tmp_path / "returns"])
    assert len(result.measures) == 300
    out = tmp_path / "summary.xlsx"
    write_summary(result, out)
    with zipfile.ZipFile(out) as zf:
        heights = [float(h) for name in zf.namelist() if name.startswith("xl/worksheets/")
                   for h in re.findall(rb' ht="([0-9.]+)"', zf.read(name))]  # fmt: skip
    assert heights and max(heights) <= 409
    fields = openpyxl.load_workbook(out)["分野別集計"]
    note = next(c.value for row in fields.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("【C、D】"))  # fmt: skip
    listed = note.split(": ", 1)[1]
    assert len(note) < 1_100
    assert listed.startswith("第001号 地域の暮らしを支える総合的な推進事業、第002号")
    count = listed.count("、")  # one after each name listed
    assert listed.endswith(f"、ほか {300 - count} 施策（すべて「達成状況一覧」にあります）")


def test_a_provisional_actual_is_marked_beside_its_grade(tmp_path: Path, summary: Path) -> None:
    """「10,334人（速報値）」 is graded, and the summary says the figure is provisional."""

    def edit(ws):  # type: ignore[no-untyped-def]
        ws["B18"] = "10,334人（速報値）"  # 施策24's 2024 actual

    path = tmp_path / "summary.xlsx"
    write_summary(merge([builders.sample(tmp_path / "05.xlsx", edit=edit)]), path)
    wb = openpyxl.load_workbook(path)
    listed = wb["達成状況一覧"]
    assert [c.value for c in listed[4]][-4:-1] == ["実績値（R6）", "達成率（R6）", "注記（R6）"]
    assert [c.value for c in listed[5]][5:] == [
        "B",
        None,
        None,
        None,
        None,
        "人",
        5035,
        12000,
        10334,
        0.861,
        "速報値",
        None,  # 評価なしの理由: it is graded
    ]  # 10334 / 12000 = 86.1 %
    data = rows_of(wb["データ"], 2)
    assert [(row[8], row[11], row[15]) for row in data] == [
        (2024, "B", "速報値"), (2025, None, None), (2026, None, None), (2027, None, None),
        (2028, None, None),
    ]  # fmt: skip
    facts = {row[0].value: row[1].value for row in wb["概要"].iter_rows(min_row=4, max_row=9)}
    assert facts["注記のある実績値"] == "1 件（速報値・見込みなど。「達成状況一覧」の注記の列）"
    plain = {row[0].value: row[1].value for row in openpyxl.load_workbook(summary)["概要"]["A4:B9"]}
    assert plain["注記のある実績値"] == "なし"  # the samples' actuals are plain numbers


ANY_CHAR = st.characters(exclude_categories=())  # lone surrogates too


@example(["\ud800", "長" * 40_000], "\udc83", 4.5, 3)
@given(st.lists(st.text(ANY_CHAR), max_size=8), st.text(ANY_CHAR, min_size=1, max_size=20),
       st.floats(1, 120), st.integers(1, 6))  # fmt: skip
def test_widths_sized_to_any_text_stay_in_their_bounds(
    texts: list[str], header: str, width: float, lines: int
) -> None:
    """Column widths follow what the returns hold: any text (lone surrogates, controls, 40,000
    characters) gives a width within its bounds and at least one line, never an error."""
    assert all(wrapped_lines(t, width) >= 1 for t in [*texts, header])
    assert 6 <= balanced_width(texts, header, lines=lines) <= 60
    assert 6 <= content_width(texts, header, maximum=16) <= max(16, len(header) * 2 / 2.7 + 1.5)
