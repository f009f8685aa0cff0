"""Row heights as LibreOffice itself needs them: run by Debian's python3 (python3-uno).

    python3 tests/uno_rows.py REQUEST.json RESULT.json

REQUEST: {"soffice": path, "profile": dir, "books": [{"path": ..., "merged": {sheet: [[r0, c0,
r1, c1], ...]}}]}. For every row of every sheet it gives the height set in the workbook and the
height LibreOffice's optimal row height makes it (points); for every merged range holding text,
the height of its rows together and what the text needs at the range's width, measured on a
copy of its first cell in an unmerged cell that wide (LibreOffice leaves merged cells out of
optimal heights). Nothing is saved. Run with FONTCONFIG_FILE set to measure under other fonts.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.table import CellAddress  # type: ignore[import-not-found]

HUNDREDTH_MM = 72 / 2540  # points per 1/100 mm


def _prop(name: str, value: object) -> Any:
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def _connect(soffice: str, profile: str) -> tuple[Any, subprocess.Popen[bytes]]:
    pipe = f"xlkpi{time.time_ns()}"
    process = subprocess.Popen([soffice, f"-env:UserInstallation={Path(profile).as_uri()}",
                                "--headless", "--norestore", "--invisible",
                                f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    for _ in range(300):
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.2)
    else:
        process.kill()
        raise SystemExit("LibreOffice did not answer on its pipe")
    desktop = context.ServiceManager.createInstanceWithContext(
        "com.sun.star.frame.Desktop", context
    )
    return desktop, process


def _used_rows(sheet: Any) -> int:
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    return int(cursor.RangeAddress.EndRow) + 1


def measure_book(desktop: Any, path: str, merged: dict[str, list[list[int]]]) -> dict[str, Any]:
    url = Path(path).resolve().as_uri()
    doc = desktop.loadComponentFromURL(url, "_blank", 0, (_prop("Hidden", True),))
    try:
        sheets = doc.Sheets
        names = list(sheets.ElementNames)
        sheets.insertNewByName("xlkpi_scratch", len(names))
        scratch = sheets.getByName("xlkpi_scratch")
        out: dict[str, Any] = {}
        for name in names:
            sheet = sheets.getByName(name)
            rows = sheet.Rows
            count = _used_rows(sheet)
            heights = [rows.getByIndex(r).Height * HUNDREDTH_MM for r in range(count)]
            ranges = []
            for r0, c0, r1, c1 in merged.get(name, []):
                text = sheet.getCellByPosition(c0, r0).String
                if not text:
                    continue
                width = sum(sheet.Columns.getByIndex(c).Width for c in range(c0, c1 + 1))
                scratch.Columns.getByIndex(0).Width = width
                source = sheet.getCellRangeByPosition(c0, r0, c0, r0).RangeAddress
                target = CellAddress()
                target.Sheet, target.Column, target.Row = len(names), 0, 0
                scratch.copyRange(target, source)
                scratch.Rows.getByIndex(0).OptimalHeight = True
                need = scratch.Rows.getByIndex(0).Height * HUNDREDTH_MM
                ranges.append({"range": [r0, c0, r1, c1], "set": sum(heights[r0 : r1 + 1]),
                               "need": need, "text": text[:40]})  # fmt: skip
            optimal = []
            for r in range(count):
                row = rows.getByIndex(r)
                row.OptimalHeight = True
                optimal.append(row.Height * HUNDREDTH_MM)
            out[name] = {"set": heights, "need": optimal, "merged": ranges}
        return out
    finally:
        doc.close(True)


def main() -> None:
    request = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    desktop, process = _connect(request["soffice"], request["profile"])
    try:
        result = {book["path"]: measure_book(desktop, book["path"], book["merged"])
                  for book in request["books"]}  # fmt: skip
    finally:
        with contextlib.suppress(Exception):  # it may close the pipe before answering
            desktop.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    Path(sys.argv[2]).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
