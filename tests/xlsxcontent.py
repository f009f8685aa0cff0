"""Compare workbooks by what they hold, not by bytes (XlsxWriter's comparison-test idea)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl


def content(path: Path) -> dict[str, Any]:
    """Sheets, values, merges, validations, protection and input-cell styling."""
    wb = openpyxl.load_workbook(path)
    sheets: dict[str, Any] = {}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None and not cell.has_style:
                    continue
                cells[cell.coordinate] = (
                    cell.value,
                    cell.number_format,
                    cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type else None,
                    cell.protection.locked,
                    bool(cell.font and cell.font.b),
                )
        sheets[ws.title] = {
            "state": ws.sheet_state,
            "cells": cells,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": sorted(
                (str(dv.sqref), dv.type, dv.formula1, dv.prompt, dv.errorStyle)
                for dv in ws.data_validations.dataValidation
            ),
            "protected": ws.protection.sheet,
            "password": ws.protection.password,
        }
    return {"sheets": list(wb.sheetnames), "content": sheets}


def values(data: bytes) -> dict[str, list[list[Any]]]:
    """Every sheet's cell values (cached results for formulas), read by a second reader."""
    import io

    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb}
