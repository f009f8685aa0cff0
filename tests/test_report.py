"""The committee document says what the seed says, from the returns and from a summary.

Expected figures are typed from the seed (tests/published.py), never taken from xlkpi.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from defusedxml import ElementTree

import builders
from conftest import SAMPLES
from docxcontent import Item, items, names, part, section, texts
from published import (
    BUDGETS_PRINTED,
    CD_LISTS_PRINTED_2024,
    CONTINUING_SENTENCE_2024,
    FIELD_TALLIES_2024,
    FIELD_TEXTS_PRINTED_2024,
    FIRST_MEASURE_BUDGETS,
    FORM_NAMES,
    GOOD_SHARE_2024,
    GRADES_2024,
    INBOUND_ACTUAL,
    INBOUND_TARGET,
    OVERALL_2024,
    VIEWPOINT_SHARES_2024,
)
from xlkpi.cli import main
from xlkpi.merge import MergeResult, merge
from xlkpi.report import document_bytes, may_replace, write_report
from xlkpi.report.source import read_source
from xlkpi.summary import write_summary

VISION = "第3次一関・平泉定住自立圏共生ビジョン"
VIEWPOINTS = list(FIELD_TALLIES_2024)
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report")


@pytest.fixture(scope="module")
def last_year(work: Path) -> Path:
    """An FY2023 summary in which the seed's four continuing measures were C."""
    previous = merge([builders.previous_year_forms(work / "r5", {9, 10, 14, 21})])
    write_summary(previous, work / "r5.xlsx")
    return work / "r5.xlsx"


@pytest.fixture(scope="module")
def result(last_year: Path) -> MergeResult:
    return read_source([SAMPLES], previous=last_year)


@pytest.fixture(scope="module")
def document(result: MergeResult, work: Path) -> Path:
    path = work / "資料.docx"
    write_report(result, path, VISION)
    return path


@pytest.fixture(scope="module")
def found(document: Path) -> list[Item]:
    return items(document)


def viewpoint_part(found: list[Item], index: int) -> list[Item]:
    heads = [f"({i + 1}) {v}" for i, v in enumerate(VIEWPOINTS)]
    end = heads[index + 1] if index + 1 < len(heads) else "4 事業費の集計"
    return section(found, heads[index], end)


def test_the_overall_part_says_the_seeds_share_and_leaves_the_judgement_blank(
    found: list[Item],
) -> None:
    title = found[0]
    assert title.style == "Title"
    assert title.text == f"{VISION}\n「成果指標（KPI）」の令和6年度実績 結果概要"
    overall = section(found, "2 全体の達成状況", "3 分野別の達成状況")
    said = texts(overall)
    assert f"達成状況A及びBの項目は、合わせて{GOOD_SHARE_2024}となり、（評価を記入）" in said
    assert "（今後の取組を記入）" in said
    marked = [text for item in overall for text in item.highlighted]
    assert "（評価を記入）" in marked and "（今後の取組を記入）" in marked
    # The distribution table: this year (the seed's counts) beside last year.
    table = next(item for item in overall if item.kind == "table" and item.rows[0][0] == "達成状況")
    assert table.rows[0] == ["達成状況", "令和6年度 項目数", "割合", "令和5年度 項目数", "割合"]
    counts = {row[0]: row[1] for row in table.rows[1:5]}
    assert counts == {grade: f"{n}項目" for grade, n in OVERALL_2024.items()}
    good = next(row for row in table.rows if row[0] == "A及びB（合計）")
    assert good[1:3] == ["24項目", GOOD_SHARE_2024]


def field_table(found: list[Item]) -> Item:
    return next(i for i in found if i.kind == "table" and i.rows[0] == ["政策分野", "達成状況"])


def test_each_viewpoint_has_the_seeds_share_field_table_and_cd_list(found: list[Item]) -> None:
    # The seed's lists, with the two slips put right: 地産外商促進事業 (No. 14, a D) is
    # listed, and the circled numbers are the list's own No. (21 and 26, not ⑳ and ㉔).
    expected_lists = {
        "生活機能の強化": [*CD_LISTS_PRINTED_2024["生活機能の強化"][:4], "⑭ 地産外商促進事業",
                          *CD_LISTS_PRINTED_2024["生活機能の強化"][4:6], "㉑ 学術・スポーツ振興事業",
                          CD_LISTS_PRINTED_2024["生活機能の強化"][7]],
        "結びつきやネットワークの強化": ["㉖ 主要幹線道路等整備促進事業"],
        "圏域マネジメント能力の強化": [],
    }  # fmt: skip
    printed_names = {
        v: [line.split(" ", 1)[1] for line in lines] for v, lines in CD_LISTS_PRINTED_2024.items()
    }
    for index, viewpoint in enumerate(VIEWPOINTS):
        part_items = viewpoint_part(found, index)
        said = texts(part_items)
        share = VIEWPOINT_SHARES_2024[viewpoint]
        assert f"達成状況A及びBの項目は合わせて{share}となっている。" in said, viewpoint
        listed = [t for t in said if re.match(r"^[①-⑳㉑-㉟㊱-㊿] ", t)]
        assert listed == expected_lists[viewpoint], viewpoint
        assert set(printed_names[viewpoint]) <= {t.split(" ", 1)[1] for t in listed}
        heading = "【C、D】の指標に係る施策名"
        assert (heading in said) == bool(expected_lists[viewpoint]), viewpoint
        table = field_table(part_items)
        assert table.rows[0] == ["政策分野", "達成状況"]
        assert [row[0] for row in table.rows[1:]] == list(FIELD_TALLIES_2024[viewpoint])
        expected = list(FIELD_TEXTS_PRINTED_2024[viewpoint])
        if viewpoint == "結びつきやネットワークの強化":
            expected[1] = "A : 1項目 C : 1項目"  # 58.4 / 58.1 = 100.5 %: an A, as the rule says
        assert [row[1] for row in table.rows[1:]] == expected, viewpoint
    first = texts(viewpoint_part(found, 0))
    assert CONTINUING_SENTENCE_2024 + "（取組の方針を記入）" in first


def test_the_list_is_landscape_with_a_grade_column_per_plan_year(
    found: list[Item], document: Path
) -> None:
    heading = f"{VISION} 成果指標（KPI）達成状況一覧"
    after = section(found, heading)
    table = after[0]
    assert table.rows[0] == ["No", "政策分野", "施策名", "重要業績評価指標（KPI）", "R6", "R7", "R8",
                             "R9", "R10"]  # fmt: skip
    grades: dict[int, list[str]] = {}
    names_seen: dict[int, str] = {}
    number = 0
    for row in table.rows[1:]:
        number = int(row[0]) if row[0] else number
        names_seen[number] = row[2]
        grades.setdefault(number, []).append(row[4])
        assert row[3].startswith("○") and row[5:] == ["", "", "", ""]
    assert grades == GRADES_2024
    assert names_seen == FORM_NAMES
    sections = docx.Document(str(document)).sections
    sizes = [(round(s.page_width.cm, 1), round(s.page_height.cm, 1)) for s in sections]
    assert sizes == [(21.0, 29.7), (29.7, 21.0), (21.0, 29.7)]  # A4: 結果概要, 一覧, tables


def test_every_measure_has_its_table_in_the_forms_layout(found: list[Item]) -> None:
    tables = [item for item in section(found, "施策ごとの実績") if item.kind == "table"]
    assert [t.rows[0] for t in tables] == [["施策名", name] for name in FORM_NAMES.values()]
    first = tables[0].rows
    budgets = next(row for row in first if row[0] == "事業費 (千円)")
    assert budgets[1:] == FIRST_MEASURE_BUDGETS
    years = next(row for row in first if row[0] == "実績値")
    assert years[1:] == ["2024 (R6)", "2025 (R7)", "2026 (R8)", "2027 (R9)", "2028 (R10)"]
    assert first[first.index(years) + 1][1] == "84%"
    assert first[-2][0] == "2024年度評価" and first[-2][1].startswith(
        "①休日当番医：受診者数 7,392人"
    )
    dx = tables[-1].rows  # two KPIs: a row each, the label cell shared
    assert [row[1] for row in dx if row[0] == "成果指標 (KPI)"] == [
        "スマートフォン講座の参加者数",
        "職員研修の参加者数",
    ]
    assert ["指標2", "127人", "", "", "", ""] in dx


def test_budget_totals_are_the_seeds_numbers_summed(found: list[Item]) -> None:
    table = next(
        item
        for item in section(found, "4 事業費の集計")
        if item.kind == "table" and item.rows[0][0] == "連携する視点・政策分野"
    )
    rows = {row[0].strip("　"): row[1:] for row in table.rows[1:]}
    every = [0] * 5
    for viewpoint, measures in BUDGETS_PRINTED.items():
        sums = [sum(years[i] for years in measures.values()) for i in range(5)]
        every = [a + b for a, b in zip(every, sums, strict=True)]
        assert rows[viewpoint] == [f"{n:,}" for n in sums] + [f"{sum(sums):,}"], viewpoint
    assert rows["地域公共交通"][0] == "321,177"
    # 生活機能の強化 is not typed here; the grand total is both known viewpoints plus it.
    life = [int(v.replace(",", "")) for v in rows["生活機能の強化"][:5]]
    total = [int(v.replace(",", "")) for v in rows["合計"][:5]]
    assert total == [a + b for a, b in zip(life, every, strict=True)]


def test_target_review_candidates_are_the_kpis_at_their_target(
    found: list[Item], result: MergeResult
) -> None:
    overall = section(found, "● 目標値の見直し候補", "● 今後の取組")
    table = next(item for item in overall if item.kind == "table")
    assert table.rows[0] == ["施策名", "成果指標", "目標値", "実績値（令和6年度）", "目標値との差",
                             "達成率", "初めて達した年度"]  # fmt: skip
    graded_a = sorted(n for n, grades in GRADES_2024.items() for g in grades if g == "A")
    listed = [_number(row[0]) for row in table.rows[1:]]
    assert listed == graded_a  # reaching the target is an A by the seed's rule
    inbound = next(row for row in table.rows if "インバウンド推進事業" in row[0])
    margin = INBOUND_ACTUAL - INBOUND_TARGET
    assert inbound[2:] == [f"{INBOUND_TARGET:,}人", f"{INBOUND_ACTUAL:,}人", f"+{margin:,}人",
                           "134.7%", "令和6年度"]  # fmt: skip
    assert f"目標値に達している指標は{len(graded_a)}項目です" in texts(overall)[0]


def _number(cell: str) -> int:
    mark = cell.split(" ", 1)[0]
    return "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳㉑㉒㉓㉔㉕㉖㉗㉘㉙㉚㉛㉜㉝".index(mark) + 1


def test_headings_fonts_page_numbers_and_properties(document: Path) -> None:
    opened = docx.Document(str(document))
    headings = [p.text for p in opened.paragraphs if p.style.name == "Heading 1"]
    assert headings[:4] == ["1 成果指標の設定について", "2 全体の達成状況", "3 分野別の達成状況",
                            "4 事業費の集計"]  # fmt: skip
    assert [p.text for p in opened.paragraphs if p.style.name == "Heading 2"][-3:] == [
        f"({i + 1}) {v}" for i, v in enumerate(VIEWPOINTS)
    ]
    styles = part(document, "word/styles.xml").decode()
    for face in ("BIZ UDPゴシック", "BIZ UDP明朝 Medium"):
        assert f'w:eastAsia="{face}"' in styles
    assert "Theme" not in re.search(r'w:styleId="Heading1".*?</w:style>', styles, re.S)[0]  # type: ignore[index]
    footers = [n for n in names(document) if n.startswith("word/footer")]
    assert footers and all(" PAGE " in part(document, n).decode() for n in footers)
    core = opened.core_properties
    assert core.author == "xlkpi" and "令和6年度" in core.title
    assert "docProps/thumbnail.jpeg" not in names(document)


def test_charts_are_drawingml_parts_with_their_data(document: Path) -> None:
    charts = sorted(n for n in names(document) if re.fullmatch(r"word/charts/chart\d+\.xml", n))
    assert len(charts) == 2 + 3  # the two years' pies, a chart per viewpoint
    first = ElementTree.fromstring(part(document, charts[0]))
    assert first.find(f".//{C}pieChart") is not None
    cached = [int(v.text) for v in first.iterfind(f".//{C}val//{C}v")]
    assert cached == [*OVERALL_2024.values(), 0]  # 評価なし: none this year, one in R5
    rels = part(document, charts[0].replace("charts/", "charts/_rels/") + ".rels").decode()
    target = re.search(r'Target="\.\./(embeddings/[^"]+\.xlsx)"', rels)
    assert target is not None
    data = openpyxl.load_workbook(io.BytesIO(part(document, f"word/{target[1]}")))
    sheet = data["Sheet1"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2, max_col=2)] == [
        *([grade, n] for grade, n in OVERALL_2024.items()),
        ["評価なし", 0],
    ]
    life = ElementTree.fromstring(part(document, charts[2]))
    assert life.find(f".//{C}barChart") is not None
    assert [s.text for s in life.iterfind(f".//{C}tx//{C}v")] == ["令和6年度", "令和5年度"]
    assert 'typeface="BIZ UDPゴシック"' in part(document, charts[2]).decode()
    assert "<a:ea " in part(document, charts[2]).decode()


@pytest.fixture(scope="module")
def summary(result: MergeResult, work: Path) -> Path:
    path = work / "集計.xlsx"
    write_summary(result, path)
    return path


def test_from_the_summary_the_document_is_the_same(summary: Path, document: Path) -> None:
    again = read_source([summary])
    assert again.report.problems == []
    assert again.comparison is not None and again.comparison.year == 2023
    from_summary = items_of(document_bytes(again, VISION))
    from_returns = items(document)
    # The same words, tables and lists; only what says where the previous year came from may differ.
    assert [(i.kind, i.text, i.rows) for i in from_summary] == [
        (i.kind, i.text, i.rows) for i in from_returns
    ]


def items_of(data: bytes) -> list[Item]:
    path = Path(__file__).resolve().parent.parent / "test-artifacts" / "report" / "from-bytes.docx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return items(path)


def edited(summary: Path, target: Path, change: dict[int, str], column: int = 7) -> Path:
    """A copy of the summary with grades typed over on 達成状況一覧 (No. -> grade)."""
    wb = openpyxl.load_workbook(summary)
    ws = wb["達成状況一覧"]
    assert ws.cell(4, column).value == "R6"
    for row in range(5, ws.max_row + 1):
        if ws.cell(row, 1).value in change:
            ws.cell(row, column).value = change[ws.cell(row, 1).value]
    wb.save(target)
    return target


def test_a_grade_changed_by_hand_in_the_summary_is_what_the_document_says(
    summary: Path, work: Path
) -> None:
    # 幹線道路等整備事業 (No. 27) typed over from A to C on 達成状況一覧 (R5 is column F).
    changed = read_source([edited(summary, work / "edited.xlsx", {27: "C"})])
    [warning] = changed.report.problems
    assert (warning.code, warning.where) == ("summary-grade-edited", "edited.xlsx!達成状況一覧!G32")
    assert "集計ブックでは「C」ですが、実績値から求めると「A」です" in warning.message
    found = items_of(document_bytes(changed, VISION))
    # 23 of 34 A or B overall (the seed's 24 less one); 5 of 7 in the viewpoint.
    assert "達成状況A及びBの項目は、合わせて67.6%となり、（評価を記入）" in texts(found)
    second = viewpoint_part(found, 1)
    assert "達成状況A及びBの項目は合わせて71.4%となっている。" in texts(second)
    table = field_table(second)
    assert table.rows[2] == ["交通インフラの整備", "C : 2項目"]
    assert "㉗ 幹線道路等整備事業" in texts(second)


def test_what_a_summary_cannot_say_is_named_by_cell(summary: Path, work: Path) -> None:
    unknown = read_source([edited(summary, work / "s.xlsx", {1: "S"})])
    assert [(p.code, p.cell) for p in unknown.report.problems] == [("summary-grade-unknown", "G5")]
    assert unknown.tallies is not None and unknown.tallies.overall.by_grade["A"] == 13  # kept
    wb = openpyxl.load_workbook(summary)
    wb["達成状況一覧"]["D5"] = "休日診療事業"  # a measure renamed on the list only
    wb.save(work / "renamed.xlsx")
    renamed = read_source([work / "renamed.xlsx"])
    assert [(p.code, p.cell) for p in renamed.report.problems] == [("summary-list-unmatched", "D5")]
    del wb["達成状況一覧"]
    wb.save(work / "no-list.xlsx")
    bare = read_source([work / "no-list.xlsx"])
    assert bare.report.codes() == ["summary-list-missing"]
    assert bare.tallies is not None and bare.tallies.overall.by_grade == OVERALL_2024


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def test_the_command_from_returns_and_from_a_summary(summary: Path, tmp_path: Path) -> None:
    target = tmp_path / "資料.docx"
    code, out, _ = run("report", SAMPLES, "-o", target, "--vision", VISION)
    assert code == 0 and target.exists()
    assert "事務局の記入欄" in out and "A及び" in out
    code, out, _ = run("report", summary, "-o", target)  # replaces its own, unedited document
    assert code == 0 and "ファイル 1 件" in out
    assert items(target)[0].text.startswith("（ビジョンの名称を記入）\n「成果指標（KPI）」")
    # Saved in Word (here: python-docx) after the secretariat wrote in it: never replaced.
    written = docx.Document(str(target))
    written.add_paragraph("事務局の記入")
    written.save(str(target))
    assert not may_replace(target)
    before = target.read_bytes()
    code, _, err = run("report", SAMPLES, "-o", target)
    assert code == 2 and "上書きしないよう" in err and target.read_bytes() == before
    code, _, err = run("report", SAMPLES, "-o", tmp_path / "資料.xlsx")
    assert code == 2 and ".docx" in err
    code, _, err = run("report", SAMPLES, "-o", tmp_path / "x.docx", "--year", "2030")
    assert code == 2


def test_text_from_a_return_stays_text(tmp_path: Path) -> None:
    result = merge([builders.sample(tmp_path / "05.xlsx")])
    # Control characters reach a name through a workbook's _x0007_ escapes.
    result.measures[0].name = '広域消防事業<w:t>="x"&HYPERLINK("http://e")\x07'
    data = document_bytes(result)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        body = package.read("word/document.xml").decode()
    assert "<w:t>=" not in body and "&lt;w:t&gt;=" in body and "\x07" not in body
    assert "HYPERLINK" not in re.sub(r"<w:t[^>]*>[^<]*</w:t>", "", body)  # no field, only text


def test_ungraded_kpis_are_counted_with_their_reason_in_the_document(tmp_path: Path) -> None:
    returns = builders.ungraded_returns(tmp_path / "returns")
    found = items_of(document_bytes(merge([returns])))
    said = texts(found)
    assert (
        "評価なし（令和6年度）：3項目（実績値なし 2項目、実績値が読み取れない 1項目）。割合は評価した指標に対するものです。"
        in said
    )
    table = field_table(section(found, "(3) 圏域マネジメント能力の強化"))
    assert table.rows[1] == ["中心市等における人材育成",
                             "A : 1項目 評価なし : 1項目（実績値が読み取れない 1項目）"]  # fmt: skip
    fire = field_table(section(found, "(1) 生活機能の強化"))
    assert ["消防防災", "評価なし : 1項目（実績値なし 1項目）"] in fire.rows
    listed = section(found, "（ビジョンの名称を記入） 成果指標（KPI）達成状況一覧")[0]
    fire_row = next(row for row in listed.rows if row[0] == "24")
    assert fire_row[4] == "－"  # 評価なし, not D


def test_without_last_year_its_line_follows_this_years_table(tmp_path: Path) -> None:
    path = tmp_path / "資料.docx"
    write_report(read_source([SAMPLES]), path, VISION)
    overall = section(items(path), "2 全体の達成状況", "3 分野別の達成状況")
    table = next(i for i, item in enumerate(overall)
                 if item.kind == "table" and item.rows[0] == ["達成状況", "令和6年度 項目数", "割合"])  # fmt: skip
    missing = next(i for i, item in enumerate(overall) if "前年度の評価がありません" in item.text)
    assert missing > table  # not read as the heading of this year's table


def test_chart_texts_with_control_characters_stay_legal_xml() -> None:
    """A viewpoint or title from a return may hold a control character; XML 1.0 cannot."""
    from xlkpi.report.charts import COLUMN, Chart, chart_xml, insert_chart

    chart = Chart(COLUMN, "視点\x07の達成状況", ("A\x01", "B"), (("R6\x1f", (1, 2)),),
                  ("112233",), "BIZ UDPゴシック")  # fmt: skip
    ElementTree.fromstring(chart_xml(chart))  # raises on an illegal character
    document = docx.Document()
    insert_chart(document.add_paragraph().add_run(), chart, 10, 6)
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as package:
        body = package.read("word/document.xml").decode()
    assert 'descr="視点の達成状況"' in body
