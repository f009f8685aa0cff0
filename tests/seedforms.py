"""The seed's 32 measure tables as worksheets, cell for cell as printed.

`fixtures/seed_tables.md` is a verbatim copy of the tables in
../shared/seeds/000_d8f0ec1620f126f4.txt. Each markdown table becomes one sheet:
its rows and cells as printed (the markdown separator row dropped, HTML tags
from the PDF-to-text conversion removed), a text cell followed by empty cells
merged across them as the original form does, and the sheet named after the
measure's No. in the published list.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl

FIXTURE = Path(__file__).parent / "fixtures" / "seed_tables.md"
# The published list numbers the 32 measures 1-29 and 31-33 (there is no No. 30).
NUMBERS = [*range(1, 30), 31, 32, 33]
# Which department returns which measures (by No.), as a plausible split.
DEPARTMENTS = {
    "保健福祉部.xlsx": [1, 2, 3, 4, 5, 6, 7],
    "商工労働部.xlsx": [8, 9, 10, 11, 12, 13, 14, 15, 16, 17],
    "教育委員会.xlsx": [18, 19, 20, 21, 22, 23],
    "消防本部・建設部・まちづくり推進部.xlsx": [24, 25, 26, 27, 28, 29, 31, 32],
    "市長公室.xlsx": [33],
}
_NO_MERGE = ("実績値", "実施年度", "事業費")


def seed_tables() -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(set(c) <= {"-"} for c in cells):
                continue
            current.append([_untag(c) for c in cells])
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    assert len(tables) == 32, len(tables)
    return tables


def _untag(cell: str) -> str:
    text = re.sub(r"</p>\s*<p>|<br\s*/?>|</li>\s*<li>", "\n", cell)
    text = re.sub(r"<[^>]+>", "", text)
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()


def write_sheet(
    ws: openpyxl.worksheet.worksheet.Worksheet, table: list[list[str]], top: int = 0, left: int = 0
) -> None:
    """Write a table with its first cell at (top, left), zero-based."""
    in_actuals = False  # rows under the 実績値 header hold one value per year column
    for r, row in enumerate(table, start=1 + top):
        if row[0]:
            in_actuals = row[0].startswith("実績値")
        for c, value in enumerate(row, start=1 + left):
            if value:
                ws.cell(row=r, column=c, value=value)
        if not in_actuals and not row[0].startswith(_NO_MERGE):
            _merge_runs(ws, r, row, left)


def _merge_runs(
    ws: openpyxl.worksheet.worksheet.Worksheet, r: int, row: list[str], left: int
) -> None:
    c = 0
    while c < len(row):
        end = c
        while row[c] and end + 1 < len(row) and not row[end + 1]:
            end += 1
        if end > c:
            ws.merge_cells(
                start_row=r, start_column=c + 1 + left, end_row=r, end_column=end + 1 + left
            )
        c = end + 1


def table(number: int) -> list[list[str]]:
    """A copy of the seed table of measure No. `number`."""
    return [list(row) for row in dict(zip(NUMBERS, seed_tables(), strict=True))[number]]


def write_seed_returns(folder: Path) -> list[Path]:
    """The 32 seed forms as department workbooks; returns the paths written."""
    tables = dict(zip(NUMBERS, seed_tables(), strict=True))
    paths = []
    for filename, numbers in DEPARTMENTS.items():
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for number in numbers:
            write_sheet(wb.create_sheet(str(number)), tables[number])
        path = folder / filename
        wb.save(path)
        paths.append(path)
    return paths
