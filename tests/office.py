"""Drive LibreOffice headless: recalculate a workbook, print it to PDF, render pages to PNG.

Where LibreOffice is missing, tests skip with the reason; with XLKPI_REQUIRE_OFFICE=1
(set by .ci/run) they fail instead, so CI can never pass without having looked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "office"
# Recalculate every formula on load (0 = always), whatever the file's cached values say.
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
_NOISE = re.compile(r"javaldx|^\s*$")


def tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    message = (
        f"{name} が見つかりません（Debian パッケージ {package}）。"
        ".ci/run は apt-get で libreoffice-calc と poppler-utils を入れてからテストします。"
    )
    if os.environ.get("XLKPI_REQUIRE_OFFICE"):
        pytest.fail(message)
    pytest.skip(message)


def soffice() -> str:
    return shutil.which("soffice") or tool("libreoffice", "libreoffice-calc")


def convert(files: list[Path], to: str, outdir: Path, profile: Path) -> list[str]:
    """Convert with LibreOffice; returns what it printed on stderr besides known noise."""
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
    outdir.mkdir(parents=True, exist_ok=True)
    command = [soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", to, "--outdir", str(outdir), *map(str, files)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    for source in files:
        assert (outdir / f"{source.stem}.{to.split(':')[0]}").exists(), done.stdout + done.stderr
    return [line for line in done.stderr.splitlines() if not _NOISE.search(line)]


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page (pdftotext from poppler-utils)."""
    tool("pdftotext", "poppler-utils")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"Pages:\s+(\d+)", info)[1])  # type: ignore[index]
    pages = []
    for page in range(1, count + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout  # fmt: skip
        pages.append(text)
    return pages


def page_size(pdf: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info)
    assert match, info
    return float(match[1]), float(match[2])


def render(pdf: Path, page: int, target: Path) -> Path:
    """One page as PNG (pdftoppm), for a person to look at."""
    tool("pdftoppm", "poppler-utils")
    target.parent.mkdir(parents=True, exist_ok=True)
    stem = target.with_suffix("")
    subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", "80", "-png", "-singlefile",
                    str(pdf), str(stem)], check=True)  # fmt: skip
    return target
