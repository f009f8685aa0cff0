"""Build return workbooks for tests, the way departments' files really look.

Forms start from a seed table (tests/seedforms.py) or from the filled samples;
what openpyxl cannot write (cached formula results, furigana, macros) is patched
into the saved zip.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

import seedforms
from conftest import SAMPLES

Edit = Callable[[Worksheet], None]


def seed_form(
    path: Path,
    number: int = 1,
    edit: Edit | None = None,
    *,
    top: int = 0,
    left: int = 0,
    sheet: str | None = None,
) -> Path:
    """One seed table as a one-sheet workbook, optionally edited with openpyxl."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet or str(number)
    seedforms.write_sheet(ws, seedforms.table(number), top=top, left=left)
    if edit is not None:
        edit(ws)
    wb.save(path)
    return path


def book(
    path: Path,
    sheets: dict[str, int | None],
    edit: Callable[[openpyxl.Workbook], None] | None = None,
) -> Path:
    """A workbook of seed forms (number) and plain sheets (None)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, number in sheets.items():
        ws = wb.create_sheet(name)
        if number is None:
            ws["A1"] = "メモ"
            ws["A2"] = "提出前に担当者が確認すること"
        else:
            seedforms.write_sheet(ws, seedforms.table(number))
    if edit is not None:
        edit(wb)
    wb.save(path)
    return path


def sample(
    path: Path, name: str = "05_消防本部.xlsx", edit: Edit | None = None, sheet: str | None = None
) -> Path:
    """A copy of a sample return, optionally edited on one sheet with openpyxl."""
    if edit is None:
        shutil.copy(SAMPLES / name, path)
        return path
    wb = openpyxl.load_workbook(SAMPLES / name)
    edit(wb[sheet] if sheet else wb.worksheets[1])
    wb.save(path)
    return path


def paste(source: Worksheet, target: Worksheet, rows: int = 0, cols: int = 0) -> None:
    """Copy a sheet's values (as Excel's copy and paste of the cells would), offset."""
    for row in list(source.iter_rows()):
        for cell in row:
            if cell.value is not None:
                target.cell(cell.row + rows, cell.column + cols, cell.value)


def patch(path: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    """Rewrite one zip member in place (what openpyxl cannot write)."""
    with zipfile.ZipFile(path) as zf:
        items = [(info, zf.read(info.filename)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            zf.writestr(info.filename, change(data) if info.filename == member else data)
    return path


def place_by_counting(path: Path, member: str = "xl/worksheets/sheet1.xml") -> Path:
    """Drop every r (optional in OOXML), filling gaps with empty rows and cells, as some
    generators write a sheet: each row and cell then follows the one before it."""

    def column(letters: bytes) -> int:
        number = 0
        for letter in letters.decode():
            number = number * 26 + ord(letter) - 64
        return number

    def cells(row: re.Match[bytes]) -> bytes:
        done = 0

        def unplace(cell: re.Match[bytes]) -> bytes:
            nonlocal done
            gap, done = column(cell.group(1)) - done - 1, column(cell.group(1))
            return b"<c/>" * gap + b"<c"

        return re.sub(rb'<c r="([A-Z]+)\d+"', unplace, row.group(2))

    def change(xml: bytes) -> bytes:
        done = 0

        def unplace(row: re.Match[bytes]) -> bytes:
            nonlocal done
            number = int(re.search(rb'\br="(\d+)"', row.group(1)).group(1))  # type: ignore[union-attr]
            gap, done = number - done - 1, number
            attrs = re.sub(rb'\s(r|spans)="[^"]*"', b"", row.group(1))
            return b"<row/>" * gap + b"<row" + attrs + b">" + cells(row) + b"</row>"

        return re.sub(rb"<row\b([^>]*)>(.*?)</row>", unplace, xml, flags=re.S)

    return patch(path, member, change)


def add_member(path: Path, member: str, data: bytes) -> Path:
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, data)
    return path


def cache_formula(
    path: Path, ref: str, value: str, sheet_xml: str = "xl/worksheets/sheet1.xml"
) -> Path:
    """Give a formula cell written by openpyxl the cached result Excel would have saved."""

    def change(xml: bytes) -> bytes:
        pattern = rb'(<c r="' + ref.encode() + rb'"[^>]*>)(<f>.*?</f>)<v\s*/?>(?:</v>)?'
        new, count = re.subn(pattern, rb"\1\2<v>" + value.encode() + rb"</v>", xml)
        assert count == 1, xml[:2000]
        return new

    return patch(path, sheet_xml, change)


def recalc_done_by_excel(path: Path) -> Path:
    """Drop openpyxl's fullCalcOnLoad: the file now claims Excel calculated it."""
    return patch(path, "xl/workbook.xml", lambda xml: re.sub(rb"<calcPr[^>]*/>", b"", xml))


def previous_year_forms(folder: Path, weak: set[int], *, extra_measure: bool = True) -> Path:
    """FY2023 returns of the previous vision (plan period 2019-2023) for the sample measures.

    Each KPI's 2023 actual is 60 % of its target (C) for the measures numbered in
    `weak`, and 100 % (A) for the others. DX地域活性化事業's second KPI did not exist
    yet, and one measure ended in FY2023 (when `extra_measure`).
    """
    import sys
    from decimal import Decimal

    from xlkpi.form import Period
    from xlkpi.model import Kpi, Measure
    from xlkpi.template import write_forms

    sys.path.insert(0, str(SAMPLES.parent))
    from build_samples import load_measures

    folder.mkdir(parents=True, exist_ok=True)
    period = Period(2019, 2023, 2017)
    for filename, measures in load_measures().items():
        for measure in measures:
            if measure.number == 33:
                measure.kpis = measure.kpis[:1]
            for kpi in measure.kpis:
                assert kpi.target is not None
                share = Decimal("0.6") if measure.number in weak else Decimal(1)
                kpi.actuals = {2023: (kpi.target * share).quantize(Decimal("0.1"))}
            measure.budgets = {}
        if extra_measure and filename.startswith("08"):
            measures.append(Measure(
                name="地域情報化推進事業", number=34, viewpoint="圏域マネジメント能力の強化",
                policy_field="中心市等における人材育成",
                kpis=[Kpi(name="光回線の整備率", unit="%", baseline=Decimal(90), target=Decimal(100),
                          actuals={2023: Decimal(100)})],
            ))  # fmt: skip
        write_forms(folder / filename, measures, period)
    return folder


def ungraded_returns(folder: Path) -> Path:
    """The samples with three KPIs that cannot be graded for FY2024: 広域消防事業 (No. 24) and
    幹線道路等整備事業 (No. 27) without an actual, and DX地域活性化事業's second KPI with an
    actual in another unit (86.1% for a count of people: refused, unit-mismatch)."""
    shutil.copytree(SAMPLES, folder)
    edits = {"05_消防本部.xlsx": ("施策24", "B18", None), "07_建設部.xlsx": ("施策27", "B18", None),
             "08_市長公室.xlsx": ("施策33", "B19", "86.1%")}  # fmt: skip
    for name, (sheet, cell, value) in edits.items():
        wb = openpyxl.load_workbook(folder / name)
        wb[sheet][cell] = value
        wb.save(folder / name)
    return folder
