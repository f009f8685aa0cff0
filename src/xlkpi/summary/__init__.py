"""Write the summary workbook.

Every string from a return is written with write_string (the workbook is also
opened with strings_to_formulas/urls/numbers off), every XlsxWriter return code
is checked, and the file appears only when complete (output.atomic_path).
Counts and shares are formulas over 達成状況一覧 with their values cached, so
they follow a grade edited in Excel and read right where nothing recalculates.
They count with SUMPRODUCT(EXACT(...)) against the label cell beside them (see
base.count_exact): matched as the engine matches, and no return text in a formula.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.exceptions import XlsxWriterException

from xlkpi import __version__
from xlkpi.merge import MergeResult
from xlkpi.output import OutputError, atomic_path, failure
from xlkpi.sheetwriter import BulkSheet, WriteFailed, closing_zip
from xlkpi.style import WORKBOOK_OPTIONS
from xlkpi.summary.analysis_sheets import write_budgets, write_review
from xlkpi.summary.base import Book, year_title
from xlkpi.summary.field_tallies import write_field_tallies
from xlkpi.summary.kpi_list import write_comments, write_continuing, write_list
from xlkpi.summary.overview import write_overview
from xlkpi.summary.records import data_years, write_data, write_ledger, write_measures

__all__ = ["summary_bytes", "write_summary", "year_title"]


EXCEL_ROWS = 1_048_576


def write_summary(result: MergeResult, path: Path) -> None:
    """Raises OutputError (never a half-written file) when the summary cannot be written.

    The workbook is built on disk, beside `path`: a national summary is too large for memory.
    """
    _check_rows(result)
    try:
        with atomic_path(path) as temp:
            _write(result, xlsxwriter.Workbook(str(temp), WORKBOOK_OPTIONS))
    except (WriteFailed, XlsxWriterException, OSError) as exc:
        raise OutputError(f"集計ブックを書き込めませんでした（{failure(exc)}）。") from exc


def summary_bytes(result: MergeResult) -> bytes:
    """The summary workbook, built in memory without touching a file (OutputError as above)."""
    _check_rows(result)
    target = io.BytesIO()
    try:
        _write(result, xlsxwriter.Workbook(target, {**WORKBOOK_OPTIONS, "in_memory": True}))
    except (WriteFailed, XlsxWriterException, OSError) as exc:
        raise OutputError(f"集計ブックを作成できませんでした（{failure(exc)}）。") from exc
    return target.getvalue()


def _check_rows(result: MergeResult) -> None:
    data_rows = sum(len(data_years(m, k)) for m in result.measures for k in m.kpis)
    if data_rows + 1 > EXCEL_ROWS:
        raise OutputError(
            f"「データ」シートの行数（{data_rows:,}）が Excel の上限を超えるため書き込めません。"
        )


def _write(result: MergeResult, workbook: Any) -> None:
    year = result.year
    workbook.set_properties({
        "title": "成果指標（KPI）達成状況 集計" + (f"（{year_title(year)}実績）" if year else ""),
        "subject": f"report_year={year or ''}",
        "keywords": "KPI, 定住自立圏共生ビジョン",
        "author": "xlkpi",
        "comments": f"xlkpi {__version__} で作成",
    })  # fmt: skip
    workbook.set_custom_property("generator", f"xlkpi {__version__}")
    if year:
        workbook.set_custom_property("report_year", year)
    book = Book(workbook, result)
    try:
        write_overview(book)
        write_list(book)
        write_field_tallies(book)
        write_continuing(book)
        write_budgets(book)
        write_review(book)
        write_comments(book)
        write_data(book)
        write_measures(book)
        write_ledger(book)
        with closing_zip(compresslevel=1):
            workbook.close()
    finally:  # spooled rows of a failed write are not left open
        for sheet in workbook.worksheets():
            if isinstance(sheet, BulkSheet):
                sheet.discard()
