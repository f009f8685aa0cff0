"""Issue 20, acceptance 2: one folder holding every hostile kind of file beside the samples.

The merge exits 1, its 受付 names every bad file, and the samples are graded as before.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from openpyxl import load_workbook

import hostile
from conftest import SAMPLES

FUZZ_FIXTURES = Path(__file__).parent / "fixtures" / "fuzz"
OLD_XLS = Path(__file__).parent / "fixtures" / "office" / "old-format-saved-by-libreoffice.xls"


def _hostile_folder(tmp_path: Path) -> tuple[Path, list[str]]:
    folder = tmp_path / "returns"
    shutil.copytree(SAMPLES, folder)
    near = hostile.Sheet("近い", hostile.cells_body([("A1", "a")]))
    bad: dict[str, bytes] = {
        # would make calamine ask for hundreds of GiB and abort
        "遠いセル.xlsx": hostile.package(
            [near, hostile.Sheet("遠い", "", raw=hostile.far_cell_sheet("single-quotes"))]
        ),
        "嘘のzip.xlsx": hostile.lying_sheet_zip(64 * 2**20),
        "書式.xlsx": hostile.package([near], styles=hostile.unclosed_styles(20_000)),
        "入れ子の書式.xlsx": hostile.package([near], styles=hostile.nested_styles(20_000)),
        "OLE.xls": hostile.lying_ole(OLD_XLS.read_bytes(), size=0xFFFFFF00, loop=True),
    }
    for name, data in bad.items():
        hostile.write(folder / name, data)
    for fixture in sorted(FUZZ_FIXTURES.glob("*.xlsx")):
        shutil.copy(fixture, folder / fixture.name)
        bad[fixture.name] = b""
    os.mkfifo(folder / "パイプ.xlsx")
    (folder / "ゼロ.xlsx").symlink_to("/dev/zero")
    (folder / "輪.xlsx").symlink_to("輪.xlsx")
    return folder, [*bad, "パイプ.xlsx", "ゼロ.xlsx", "輪.xlsx"]


def test_a_folder_of_every_hostile_file_beside_the_samples(tmp_path: Path) -> None:
    folder, names = _hostile_folder(tmp_path)
    out = tmp_path / "集計.xlsx"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "xlkpi", "merge", str(folder), "-o", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "A 13件、B 11件、C 9件、D 1件" in done.stdout
    assert time.monotonic() - started < 120
    ledger = load_workbook(out, read_only=True)["受付"]
    text = "\n".join(str(c) for row in ledger.iter_rows(values_only=True) for c in row if c)
    for name in names:
        assert name in text, name
        assert re.search(rf"^{re.escape(name)}[:!]", done.stderr, re.M), name  # file or file!sheet
