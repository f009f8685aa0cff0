"""Every workbook xlkpi writes prints whole on A4 in LibreOffice, with BIZ UDPゴシック and without.

Two measurements, each under BIZ UDPゴシック and under a fallback (Noto CJK or IPAex, with
every BIZ UD font hidden from fontconfig): the word boxes of the PDF export (none off the
page, none on another, none under 6 pt) and LibreOffice's own optimal height of every row
(tests/uno_rows.py, through UNO) against the height the workbook sets. The books: summaries
of the samples, of the seed's forms and of a 200-measure corpus; the template for two plan
periods; next year's forms. Pages are rendered to test-artifacts/office/print-*.png.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import office
import seedforms
from office import SMALLEST, Page, Word, in_side_margins, off_page, overlapping, printed_words
from xlkpi import api
from xlkpi.merge import merge
from xlkpi.summary import write_summary

pytestmark = pytest.mark.office
ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "returns"
DATA_SHEETS = ("データ", "施策データ", "受付")
TOLERANCE = 0.5  # points: LibreOffice rounds heights to 1/100 mm and twips


def test_the_checker_sees_a_word_off_the_page_on_another_and_too_small() -> None:
    page = Page(1, 100, 100, [
        Word(1, "外", (90, 10, 110, 20)), Word(1, "重", (10, 10, 30, 20)),
        Word(1, "なり", (12, 11, 32, 21)), Word(1, "小", (50, 50, 54, 54)),
    ])  # fmt: skip
    assert [w.text for w in off_page(page)] == ["外"]
    assert [w.text for w in in_side_margins(page, inset=11)] == ["外", "重"]
    assert [(a.text, b.text) for a, b in overlapping(page)] == [("重", "なり")]
    assert [w.text for w in page.words if w.height < SMALLEST] == ["小"]


def corpus_summary(folder: Path) -> Path:
    """200 measures in 10 department files (benchmarks/corpus.py), some with long names."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import corpus
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    corpus.make_corpus(folder / "returns", files=10, sheets=20)
    result = merge([folder / "returns"])
    long = "、".join(
        ["市内の公共交通機関の一日あたりの平均利用者数（路線バスと鉄道を合わせたもの）"] * 2
    )
    for measure in result.measures[::7]:
        measure.name = measure.name + "（地域の連携による定住自立圏の生活機能の強化に係る事業）"
        measure.kpis[0].name = long
    target = folder / "summary-corpus.xlsx"
    write_summary(result, target)
    return target


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    office.soffice()
    work = tmp_path_factory.mktemp("print")
    made: list[Path] = []
    write_summary(merge([SAMPLES]), work / "summary-samples.xlsx")
    seed = work / "seed"
    seed.mkdir()
    seedforms.write_seed_returns(seed)
    write_summary(merge([seed]), work / "summary-seed.xlsx")
    made += [work / "summary-samples.xlsx", work / "summary-seed.xlsx", corpus_summary(work)]
    api.template().write(work / "template-2024.xlsx")
    api.template(period="2027-2031", base_year=2025).write(work / "template-2027.xlsx")
    made += [work / "template-2024.xlsx", work / "template-2027.xlsx"]
    forms = work / "forms"
    forms.mkdir()
    api.forms([SAMPLES]).write(forms)
    for index, path in enumerate(sorted(forms.iterdir())):
        made.append(path.rename(work / f"forms-{index + 1}.xlsx"))
    api.forms([seed]).write(forms)  # the seed's long texts, pre-filled
    for index, path in enumerate(sorted(forms.iterdir())):
        made.append(path.rename(work / f"forms-seed-{index + 1}.xlsx"))
    return made


FONTS = ("biz", "fallback")


@pytest.fixture(scope="module", params=FONTS)
def printed(
    request: pytest.FixtureRequest, books: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """PDFs and row heights of every book under one font: all books in one LibreOffice run."""
    work = tmp_path_factory.mktemp(f"print-{request.param}")
    if request.param == "biz":
        office.require_font(office.BIZ_GOTHIC)
        env = office.fontconfig(work / "fonts")
    else:
        env = office.fontconfig(work / "fonts", instead_of_biz=office.fallback_font())
    noise = office.convert(books, "pdf", work / "pdf", work / "profile", env)
    assert noise == [], noise
    rows = office.row_heights(books, work / "uno", env)
    return {"font": request.param, "pdf": work / "pdf", "rows": rows}


def test_every_page_is_whole_and_readable(printed: dict[str, Any], books: list[Path]) -> None:
    faults = []
    pages = 0
    smallest = 99.0
    for book in books:
        pdf = printed["pdf"] / f"{book.stem}.pdf"
        for page in printed_words(pdf):
            pages += 1
            size = sorted((round(page.width), round(page.height)))
            if size != [595, 842]:
                faults.append(f"{book.stem} p{page.number}: not A4 ({size})")
            faults += [
                f"{book.stem} p{page.number}: off the page: {w.text}" for w in off_page(page)
            ]
            faults += [f"{book.stem} p{page.number}: in the margin: {w.text}"
                       for w in in_side_margins(page)]  # fmt: skip
            faults += [f"{book.stem} p{page.number}: {a.text} on {b.text}"
                       for a, b in overlapping(page)]  # fmt: skip
            faults += [f"{book.stem} p{page.number}: {w.text} is {w.height:.1f} pt"
                       for w in page.words if w.height < SMALLEST]  # fmt: skip
            smallest = min([smallest, *(w.height for w in page.words)])
    print(
        f"\n{printed['font']}: {len(books)} books, {pages} pages, smallest word {smallest:.1f} pt"
    )
    assert faults == [], "\n".join(faults[:30])
    for book in books:
        office.render(printed["pdf"] / f"{book.stem}.pdf", 1,
                      office.ARTIFACTS / f"print-{printed['font']}-{book.stem}.png")  # fmt: skip


def test_no_row_is_lower_than_its_text_needs(printed: dict[str, Any]) -> None:
    low = []
    spare = 99.0
    rows = 0
    for book, sheets in printed["rows"].items():
        name = Path(book).stem
        for sheet, measured in sheets.items():
            for row, (have, need) in enumerate(zip(measured["set"], measured["need"], strict=True)):
                rows += 1
                if have < need - TOLERANCE:
                    low.append(f"{name} {sheet} row {row + 1}: {have:.1f} < {need:.1f} pt")
            for merged in measured["merged"]:
                have, need = merged["set"], merged["need"]
                spare = min(spare, have - need)
                if have < need - TOLERANCE:
                    r0, _, r1, _ = merged["range"]
                    low.append(f"{name} {sheet} rows {r0 + 1}-{r1 + 1} (merged, "
                               f"「{merged['text']}」): {have:.1f} < {need:.1f} pt")  # fmt: skip
    print(
        f"\n{printed['font']}: {rows} rows measured; least spare of a merged range {spare:.1f} pt"
    )
    assert low == [], "\n".join(low[:30])


def test_each_form_prints_on_one_page(printed: dict[str, Any], books: list[Path]) -> None:
    """The template's and next year's forms: 記入要領 and each 施策 on a page of its own, but
    for a form so long that one page would shrink it below template.SMALLEST_SCALE (it prints
    one page wide over two); in these books that is at most one form in ten."""
    split, counted, long_forms = [], 0, 0
    for book in (b for b in books if b.stem.startswith(("template", "forms"))):
        with zipfile.ZipFile(book) as z:
            forms = [z.read(n).decode() for n in z.namelist()
                     if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)][1:]  # fmt: skip
        long = sum('fitToHeight="0"' in xml for xml in forms)
        pages = len(printed_words(printed["pdf"] / f"{book.stem}.pdf"))
        if pages > 1 + len(forms) + long:
            split.append(f"{book.stem}: {len(forms)} forms ({long} long) on {pages} pages")
        counted, long_forms = counted + len(forms), long_forms + long
    print(f"\n{printed['font']}: {counted} forms, {long_forms} over two pages")
    assert split == [], "\n".join(split)
    assert long_forms <= counted // 10


def test_the_overview_prints_on_one_page(printed: dict[str, Any], books: list[Path]) -> None:
    """概要 is the summary's first page: without BIZ UDPゴシック it once spilled its last table
    row and the findings onto a second."""
    for book in (b for b in books if b.stem.startswith("summary")):
        pdf = printed["pdf"] / f"{book.stem}.pdf"
        second = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(pdf), "-"],
                                capture_output=True, text=True, check=True).stdout  # fmt: skip
        assert second.startswith("成果指標（KPI）達成状況一覧"), (book.stem, second[:80])


def test_data_sheets_print_across_pages_with_their_titles_repeated(books: list[Path]) -> None:
    """Not shrunk to one page across: header rows and identifying columns repeated."""
    for book in (b for b in books if b.stem.startswith("summary")):
        with zipfile.ZipFile(book) as z:
            workbook = z.read("xl/workbook.xml").decode()
            names = re.findall(r'<sheet name="([^"]+)"', workbook)
            titles = dict(re.findall(
                r"<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"(\d+)\">([^<]+)<",
                workbook))  # fmt: skip
            for index, sheet in enumerate(names):
                if sheet not in DATA_SHEETS:
                    continue
                xml = z.read(f"xl/worksheets/sheet{index + 1}.xml").decode()
                fitted = re.search(r'fitToWidth="(\d+)" fitToHeight="(\d+)"', xml)
                if "fitToPage" in xml:  # shrunk a little to save a page across, never to one
                    assert fitted and int(fitted[1]) >= 2 and fitted[2] == "0", (book.name, sheet)
                shown = titles.get(str(index), "")
                assert re.search(r"\$\d+:\$\d+", shown), (book.name, sheet, shown)  # rows
                assert re.search(r"\$[A-Z]+:\$[A-Z]+", shown), (book.name, sheet, shown)  # columns
