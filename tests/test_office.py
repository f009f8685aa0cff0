"""The summary in a real spreadsheet program: LibreOffice recalculates, prints and renders it."""

from __future__ import annotations

import copy
import math
import re
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
import pytest

import office
from published import OVERALL_2024, VIEWPOINT_SHARES_2024
from xlkpi.merge import MergeResult
from xlkpi.summary import write_summary
from xlkpi.tally import tally

pytestmark = pytest.mark.office
CellValues = dict[tuple[str, str], object]


def poison_caches(source: Path, target: Path) -> int:
    """Copy a workbook with every formula's cached value replaced by 0; returns how many."""
    count = 0

    def poison(xml: bytes) -> bytes:
        nonlocal count
        new, n = re.subn(rb"(<f>.*?</f>)<v>.*?</v>", rb"\1<v>0</v>", xml, flags=re.S)
        count += n
        return new

    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = poison(data)
            zout.writestr(info, data)
    return count


def formula_cells(path: Path) -> list[tuple[str, str]]:
    wb = openpyxl.load_workbook(path)
    return [(ws.title, c.coordinate) for ws in wb.worksheets for row in ws.iter_rows()
            for c in row if isinstance(c.value, str) and c.value.startswith("=")]  # fmt: skip


def values(path: Path, cells: list[tuple[str, str]]) -> CellValues:
    wb = openpyxl.load_workbook(path, data_only=True)
    return {(sheet, ref): wb[sheet][ref].value for sheet, ref in cells}


def grade_cells(path: Path) -> CellValues:
    ws = openpyxl.load_workbook(path, data_only=True)["達成状況一覧"]
    return {("達成状況一覧", c.coordinate): c.value for row in ws.iter_rows(min_row=5, min_col=6, max_col=10)
            for c in row}  # fmt: skip


def same(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return (a or "") == (b or "")


@pytest.fixture(scope="module")
def office_run(
    samples_result: MergeResult, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """The samples' summary, a poisoned copy and an edited copy, recalculated by LibreOffice."""
    office.soffice()
    work = tmp_path_factory.mktemp("office")
    summary = work / "summary.xlsx"
    write_summary(samples_result, summary)
    poisoned = work / "poisoned.xlsx"
    assert poison_caches(summary, poisoned) > 100
    # A user changes 幹線道路等整備事業 (No. 27) from A to C in Excel.
    edited = work / "edited.xlsx"
    wb = openpyxl.load_workbook(summary)
    ws = wb["達成状況一覧"]
    row = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value == 27)
    assert ws.cell(row, 6).value == "A"
    ws.cell(row, 6).value = "C"
    wb.save(edited)  # openpyxl keeps the formulas and drops every cached value
    # What the engine says after the same change.
    changed = copy.deepcopy(samples_result)
    road = next(m for m in changed.measures if m.number == 27)
    road.kpis[0].grades[2024] = "C"
    changed.tallies = tally(changed.measures, 2024, changed.rule)
    expected = work / "expected.xlsx"
    write_summary(changed, expected)
    recalculated = work / "recalculated"
    noise = office.convert([poisoned, edited], "xlsx", recalculated, work / "profile")
    pdf_dir = work / "pdf"
    noise += office.convert([summary], "pdf", pdf_dir, work / "profile")
    assert noise == [], noise  # LibreOffice printed no warnings
    return {"summary": summary, "recalc": recalculated / "poisoned.xlsx", "edited": recalculated / "edited.xlsx",
            "expected": expected, "pdf": pdf_dir / "summary.pdf"}  # fmt: skip


def test_libreoffice_recalculates_every_tally_and_grade_to_the_engines_value(
    office_run: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    cells = formula_cells(office_run["summary"])
    engine = values(office_run["summary"], cells) | grade_cells(office_run["summary"])
    calc = values(office_run["recalc"], cells) | grade_cells(office_run["recalc"])
    differ = {k: (engine[k], calc[k]) for k in engine if not same(engine[k], calc[k])}
    assert differ == {}
    report = f"LibreOffice compared {len(cells)} formula cells and {len(engine) - len(cells)} grade cells: all equal"
    office.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (office.ARTIFACTS / "recalculation.txt").write_text(report + "\n", encoding="utf-8")
    with capsys.disabled():
        print(f"\n{report}")
    assert len(cells) > 100
    # The shares LibreOffice prints on 概要 are the seed's.
    text = "\n".join(
        str(v) for (sheet, _), v in calc.items() if sheet == "概要" and isinstance(v, str)
    )
    assert "全体: 達成状況A及びBの項目は、合わせて70.6%（34項目中24項目）です。" in text
    for viewpoint, share in VIEWPOINT_SHARES_2024.items():
        assert f"{viewpoint}: 達成状況A及びBの項目は、合わせて{share}" in text


def test_an_edited_grade_changes_exactly_the_tallies_it_should(office_run: dict[str, Path]) -> None:
    cells = formula_cells(office_run["summary"])
    before = values(office_run["recalc"], cells)
    after = values(office_run["edited"], cells)
    expected = values(office_run["expected"], cells)
    assert {k for k in cells if not same(after[k], expected[k])} == set()
    changed = {k for k in cells if not same(before[k], after[k])}
    should = {k for k in cells if not same(before[k], expected[k])}
    assert changed == should
    sheets = {sheet for sheet, _ in changed}
    assert sheets == {"概要", "分野別集計"}
    overview = openpyxl.load_workbook(office_run["edited"], data_only=True)["概要"]
    counts = {row[0].value: row[1].value for row in overview.iter_rows(min_row=12, max_row=15)}
    assert counts == {**OVERALL_2024, "A": 12, "C": 10}


def test_each_sheet_prints_on_a4_landscape_with_its_headers_on_every_page(
    office_run: dict[str, Path],
) -> None:
    pdf = office_run["pdf"]
    width, height = office.page_size(pdf)
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    # A sheet's title opens its first page; its header row repeats on every page. A page
    # missing a header column would mean the sheet was cut across pages. The data sheets
    # (データ, 施策データ, 受付) print across pages: their header row and first column repeat.
    sheets = {
        "成果指標（KPI）達成状況の概要": [
            "全体の達成状況",
            "連携する視点別の達成状況",
            "A及びBの割合",
        ],
        "成果指標（KPI）達成状況一覧": [
            "No",
            "連携する視点",
            "成果指標",
            "R6",
            "R10",
            "達成率",  # 「達成率 / （R6）」 on two lines in a font wider than BIZ UDPゴシック
        ],
        "政策分野別の達成状況": ["連携する視点", "政策分野", "A及びBの割合"],
        "前年度から継続して": ["判定できません"],
        "事業費（千円）の集計": ["連携する視点", "政策分野", "施策数", "計画期間の合計"],
        "目標値の見直し候補": ["No", "施策名", "成果指標", "初めて達した年度", "達成率（R6）"],
        "年度評価と次年度以降の取組": ["No", "施策名", "年度評価", "次年度以降の取組"],
        "受付台帳": ["番号"],
    }
    data_header = ["No"]  # and the other headers on the pages across
    current = None
    seen = []
    for number, text in enumerate(office.pdf_pages(pdf), start=1):
        title = next((t for t in sheets if t in text.split("\n", 3)[0] + text[:200]), None)
        if title and title != current:  # a sheet printed across opens each strip of pages
            current = title
            seen.append(title)
        elif current == "年度評価と次年度以降の取組" and "次年度以降の取組" not in text:
            current = "データ"  # データ and then 施策データ, which have no title
        headers = data_header if current == "データ" else sheets.get(current or "", [])
        missing = [h for h in headers if h not in text]
        assert missing == [], f"page {number} ({current}) lacks {missing}"
    assert seen == list(sheets)
    office.render(pdf, 1, office.ARTIFACTS / "概要.png")
    list_page = next(
        i for i, t in enumerate(office.pdf_pages(pdf), start=1) if "達成状況一覧" in t[:300]
    )
    office.render(pdf, list_page, office.ARTIFACTS / "達成状況一覧.png")
    assert (office.ARTIFACTS / "概要.png").stat().st_size > 10_000


def test_the_chart_title_prints_as_written(office_run: dict[str, Path]) -> None:
    """LibreOffice put spaces around half-width letters in the title: 「（ R6 ）」."""
    first = office.pdf_pages(office_run["pdf"])[0]
    shown = unicodedata.normalize("NFKC", first)
    assert "達成状況の分布(R6)" in shown, re.findall(r"達成状況の分布.{0,8}", shown)
