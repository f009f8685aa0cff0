"""BulkSheet: whole rows serialized by xlkpi, read back by openpyxl exactly as XlsxWriter's own."""

from __future__ import annotations

import errno
import gc
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
import xlsxwriter.exceptions

from xlkpi.sheetwriter import BulkSheet, CheckedSheet, WriteFailed, closing_zip
from xlkpi.style import WORKBOOK_OPTIONS


def test_bulk_rows_mix_with_ordinary_rows_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "bulk.xlsx"
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    pct = wb.add_format({"num_format": "0.0%"})
    ws = CheckedSheet(wb.add_worksheet("s", worksheet_class=BulkSheet))
    ws.write_string(0, 0, "見出し")
    xf = pct._get_xf_index()
    head = ws.template([("施策", None), (Decimal("58.4"), None)])
    for row in (1, 2, 5):
        ws.put_row(row, [head, ws.template([(row / 10, xf), ("", None), (None, xf)], 2)])
    ws.write_string(3, 1, "間の行")
    ws.bulk_row(6, [("<r><t>{0}x</t></r>", None), ("{0}", None)], height=30)
    ws.add_table(8, 0, 10, 1, {"columns": [{"header": "a"}, {"header": "b"}]})
    wb.close()
    sheet = openpyxl.load_workbook(path)["s"]
    values = [[c.value for c in row] for row in sheet.iter_rows(max_row=7, max_col=4)]
    assert values == [
        ["見出し", None, None, None],
        ["施策", 58.4, 0.1, None],
        ["施策", 58.4, 0.2, None],
        [None, "間の行", None, None],
        [None, None, None, None],
        ["施策", 58.4, 0.5, None],
        ["<r><t>{0}x</t></r>", "{0}", None, None],
    ]
    assert sheet["C2"].number_format == "0.0%" and sheet["E2"].number_format == "0.0%"
    assert sheet.row_dimensions[7].height == 30
    assert sheet.tables["Table1"].ref == "A9:B11"
    with zipfile.ZipFile(path) as zf:  # the shared-string count matches the references
        sheet_xml = zf.read("xl/worksheets/sheet1.xml").decode()
        table_xml = zf.read("xl/sharedStrings.xml").decode()
    count = re.search(r'<sst [^>]*count="(\d+)"', table_xml)
    assert count and int(count.group(1)) == sheet_xml.count('t="s"')


def test_thousands_of_bulk_rows_keep_their_order_around_ordinary_rows(tmp_path: Path) -> None:
    """Bulk rows reach the spool in batches; ordinary rows still fall between them."""
    path = tmp_path / "many.xlsx"
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    ws = CheckedSheet(wb.add_worksheet("s", worksheet_class=BulkSheet))
    fixed = ws.template([("同じ", None)])
    for row in range(1, 2_600):
        if row != 1_500:
            ws.put_row(row, [fixed, ws.template([(row, None)], 1)])
    ws.write_string(1_500, 0, "普通の行")
    wb.close()
    book = openpyxl.load_workbook(path, read_only=True)
    rows = [tuple(c.value for c in row) for row in book["s"].iter_rows(min_row=2, max_col=2)]
    book.close()  # read-only mode keeps the file open
    assert len(rows) == 2_599
    assert rows[1_499] == ("普通の行", None)
    assert all(rows[r - 1] == ("同じ", r) for r in range(1, 2_600) if r != 1_500)


def test_closing_zip_deflates_and_is_undone_even_on_failure(tmp_path: Path) -> None:
    default = xlsxwriter.workbook.ZipFile
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), WORKBOOK_OPTIONS)
    wb.add_worksheet("s").write_string(0, 0, "本文" * 1_000)
    with closing_zip(compresslevel=1):
        assert xlsxwriter.workbook.ZipFile is not default
        wb.close()
    assert xlsxwriter.workbook.ZipFile is default
    with zipfile.ZipFile(tmp_path / "x.xlsx") as zf:
        assert zf.testzip() is None
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_DEFLATED}
    with pytest.raises(RuntimeError), closing_zip():
        raise RuntimeError
    assert xlsxwriter.workbook.ZipFile is default


class _FullDisk(io.FileIO):
    """A file on a disk that fills up after its first kilobyte."""

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > 1_000:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(data)


def test_a_full_disk_leaves_no_zip_to_fail_again_when_collected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class DiskIO:  # zipfile's io module, whose open() gives files on the full disk
        def __getattr__(self, name: str) -> Any:
            return getattr(io, name)

        @staticmethod
        def open(file: str, mode: str, *args: Any, **kwargs: Any) -> Any:
            assert "w" in mode  # XlsxWriter's zip is only ever written
            return io.BufferedRandom(_FullDisk(file, "w+"))

    monkeypatch.setattr(zipfile, "io", DiskIO())
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), WORKBOOK_OPTIONS)
    wb.add_worksheet("s").write_string(0, 0, "本文" * 1_000)
    with pytest.raises(xlsxwriter.exceptions.FileCreateError), closing_zip():
        wb.close()
    # Unclosed, XlsxWriter's ZipFile finished the file again when collected, failed again,
    # and Python printed "Exception ignored in: ZipFile.__del__" with a traceback (pytest
    # turns that into a failure of this test).
    gc.collect()


def test_rows_out_of_order_and_bad_numbers_are_refused(tmp_path: Path) -> None:
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), WORKBOOK_OPTIONS)
    ws = wb.add_worksheet("s", worksheet_class=BulkSheet)
    ws.bulk_row(3, [("a", None)])
    with pytest.raises(WriteFailed, match="out of order"):
        ws.bulk_row(2, [("b", None)])
    with pytest.raises(WriteFailed, match="not a finite number"):
        ws.bulk_row(4, [(float("inf"), None)])
    with pytest.raises(WriteFailed, match="longer than Excel allows"):
        ws.bulk_row(5, [("x" * 32_768, None)])
    wb.close()


def test_a_failed_summary_leaves_no_file_and_no_open_spool(tmp_path: Path) -> None:
    """Warnings are errors here: an unclosed spool would fail this test as a ResourceWarning."""
    import gc

    from xlkpi.merge import merge
    from xlkpi.output import OutputError
    from xlkpi.summary import write_summary

    result = merge([Path(__file__).resolve().parents[1] / "samples" / "returns"])
    result.measures[-1].texts["evaluation"] = "あ" * 40_000  # more than a cell holds
    with pytest.raises(OutputError, match="書き込めませんでした"):
        write_summary(result, tmp_path / "summary.xlsx")
    gc.collect()
    assert list(tmp_path.iterdir()) == []
