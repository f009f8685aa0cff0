"""No parse step's cost is super-linear in attacker-controlled input (issue 20, item 2).

Each step is fed a crafted input of size n and of size 10n (styles with tags left open,
cells with formulas and values left open, references in odd spellings, merged ranges,
shared strings, KPI rows) and its time must grow near-linearly: t(10n) / t(n) below 30,
where a quadratic step gives about 100. Times are the best of three, so that the shared
machine's noise does not decide; the ratio, not a wall time, is asserted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

import hostile
from xlkpi import workbook
from xlkpi.workbook import SheetGrid, Workbook

LINEAR = 30  # t(10n) / t(n): 10 when linear, 100 when quadratic


def best_of_three(step: Callable[[], object]) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return min(times)


def ratio_of(small: Callable[[], object], large: Callable[[], object]) -> float:
    """Best-of-three t(large) / t(small), the two timed in turn so that a load that comes
    and goes on the shared machine weighs on both alike. A step too quick to time alone
    is repeated (the same number of times for both) until the small one takes 20 ms."""
    small()  # warm: compiled patterns, imports
    repeat = max(1, min(1000, int(0.02 / max(best_of_three(small), 1e-7)) + 1))

    def times(step: Callable[[], object]) -> Callable[[], object]:
        return lambda: [step() for _ in range(repeat)]

    smalls, larges = [], []
    for _ in range(3):
        smalls.append(best_of_three(times(small)))
        larges.append(best_of_three(times(large)))
    return min(larges) / max(min(smalls), 1e-9)


def growth(step: Callable[[bytes], object], make: Callable[[int], bytes], n: int) -> float:
    small, large = make(n), make(10 * n)
    return ratio_of(lambda: step(small), lambda: step(large))


def step(name: str) -> Callable[[bytes], object]:
    """workbook's step `name`, looked up when called."""
    return lambda data: getattr(workbook, name)(data)


def sheet(inner: str) -> bytes:
    return hostile.sheet_part(f"<sheetData>{inner}</sheetData>")


def grid() -> SheetGrid:
    return SheetGrid("s", [])


# Inputs, each a function of n, and the step that reads it.
CASES: dict[str, tuple[Callable[[bytes], object], Callable[[int], bytes], int]] = {
    "styles: cellXfs opened and never closed": (
        step("_shown_styles"),
        hostile.unclosed_styles,
        2_000,
    ),
    "styles: xf and numFmt tags left open": (
        step("_shown_styles"),
        hostile.nested_styles,
        2_000,
    ),
    "cells: tags left open": (
        lambda xml: list(workbook._cells(xml)),
        lambda n: sheet('<row r="1" ' * n + '<c r="A1" ' * n),
        2_000,
    ),
    "cells: single-quoted values left open": (
        lambda xml: list(workbook._cells(xml)),
        lambda n: sheet("<row r='1'>" + "<c r='A1 " * n),
        2_000,
    ),
    "cells: formulas left open in one cell": (
        lambda xml: workbook._scan_every_cell(xml, {}, grid()),
        lambda n: sheet('<row r="1"><c r="A1" t="e">' + "<f>1/0" * n + "</c></row>"),
        2_000,
    ),
    "cells: values left open in an error cell": (
        lambda xml: workbook._scan_every_cell(xml, {}, grid()),
        lambda n: sheet('<row r="1"><c r="A1" t="e">' + "<v>#N/A" * n + "</c></row>"),
        2_000,
    ),
    "cells: formulas and errors, many cells": (
        lambda xml: workbook._scan_every_cell(xml, {}, grid()),
        lambda n: hostile.many_cells_sheet(n, formulas=True),
        2_000,
    ),
    "cells: a number of many digits calamine refuses": (
        lambda xml: workbook._bad_cell(xml, None),
        lambda n: sheet('<row r="1"><c r="A1"><v>' + "1" * n + "x</v></c></row>"),
        3_000,
    ),
    "extent: cells placed in odd spellings": (
        lambda xml: workbook._extent(xml, exact=False),
        lambda n: sheet("".join(f"<row r='{r}'><c r='b{r}'><v>1</v></c></row>" for r in range(n))),
        2_000,
    ),
    "extent: every cell placed as Excel writes it": (
        lambda xml: workbook._extent(xml, exact=False),
        lambda n: hostile.many_cells_sheet(10 * n),
        2_000,
    ),
    "references: made plain for calamine": (
        step("_plain_refs"),
        lambda n: sheet(
            "".join(f'<row r="{r}"><c r="$B${r}"><v>1</v></c></row>' for r in range(n))
        ),
        2_000,
    ),
    "hidden rows: tags left open": (
        step("_hidden_lines"),
        lambda n: sheet('<row r="1" hidden="1" ' * n),
        2_000,
    ),
    "hidden rows: many rows and columns": (
        step("_hidden_lines"),
        lambda n: sheet("".join(f'<row r="{r}" hidden="1"/>' for r in range(1, n + 1))),
        2_000,
    ),
    "percent cells: many styles and cells": (
        lambda xml: workbook._scan_cells(xml, {i: ("percent", "", 0) for i in range(5000)}, grid()),
        lambda n: sheet(
            "".join(
                f'<row r="{r}"><c r="A{r}" s="{r % 5000}"><v>1</v></c></row>'
                for r in range(1, n + 1)
            )
        ),
        2_000,
    ),
    "shared strings: count and clamp": (
        lambda data: workbook._clamped_counts(data, len(workbook._SHARED_ITEM.findall(data))),
        lambda n: hostile.shared_strings(n, declared=10**9),
        20_000,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_parse_step_grows_linearly(case: str) -> None:
    step, make, n = CASES[case]
    ratio = growth(step, make, n)
    assert ratio < LINEAR, f"{case}: t(10n)/t(n) = {ratio:.0f}"


def test_merged_ranges_grow_linearly() -> None:
    def read(data: bytes) -> None:
        book = Workbook(data)
        book.grid(book.sheets[0])

    def make(n: int) -> bytes:
        return hostile.package([hostile.Sheet("s", "", raw=hostile.merged_sheet(n))])

    ratio = growth(read, make, 2_000)
    assert ratio < LINEAR, ratio


def kpi_return(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return hostile.many_kpis_return(folder / "多指標.xlsx", count)


def test_kpi_placement_grows_linearly(tmp_path: Path) -> None:
    """A form of 300 and one of 3,000 KPIs: placing KPI rows was KPIs x row heads."""
    from xlkpi.intake import Candidate
    from xlkpi.merge import read_file

    small, large = (kpi_return(tmp_path / str(n), n) for n in (300, 3_000))

    ratio = ratio_of(
        lambda: read_file(Candidate(small, small.name)),
        lambda: read_file(Candidate(large, large.name)),
    )
    assert ratio < LINEAR, ratio


def test_a_form_of_ten_thousand_kpis_is_read_in_seconds(tmp_path: Path) -> None:
    from xlkpi.merge import merge

    path = kpi_return(tmp_path, 10_000)
    started = time.perf_counter()
    result = merge([path])
    elapsed = time.perf_counter() - started
    [measure] = result.measures
    assert len(measure.kpis) == 10_000
    assert measure.kpis[-1].actuals == {2024: 5}
    assert elapsed < 20, elapsed  # minutes before; about 4 s on a loaded 2-core machine
