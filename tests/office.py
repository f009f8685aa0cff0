"""Drive LibreOffice headless: recalculate a workbook, print it to PDF, render pages to PNG.

Where LibreOffice is missing, tests skip with the reason; with XLKPI_REQUIRE_OFFICE=1
(set by .ci/run) they fail instead, so CI can never pass without having looked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
from defusedxml import ElementTree

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
    _missing(message)


def soffice() -> str:
    return shutil.which("soffice") or tool("libreoffice", "libreoffice-calc")


def _missing(message: str) -> NoReturn:
    if os.environ.get("XLKPI_REQUIRE_OFFICE"):
        pytest.fail(message)
    pytest.skip(message)


# The fonts the tests print with, by family as fontconfig names them, and their Debian package.
BIZ_GOTHIC = ("BIZ UDPゴシック", "fonts-morisawa-bizud-gothic")
BIZ_MINCHO = ("BIZ UDP明朝", "fonts-morisawa-bizud-mincho")
FALLBACKS = (("Noto Sans CJK JP", "fonts-noto-cjk"), ("IPAexGothic", "fonts-ipaexfont-gothic"))


def has_font(family: str) -> bool:
    """Does fontconfig (as LibreOffice sees it, FONTCONFIG_FILE included) know this family?"""
    try:
        done = subprocess.run(["fc-list", f":family={family}", "family"], capture_output=True,
                              text=True, check=False)  # fmt: skip
    except OSError:  # no fontconfig tools: no way to know, so no
        return False
    return bool(done.stdout.strip())


def require_font(font: tuple[str, str]) -> str:
    """The family, or a skip (a failure under XLKPI_REQUIRE_OFFICE=1) naming its package."""
    family, package = font
    if not has_font(family):
        _missing(
            f"フォント「{family}」がありません（Debian パッケージ {package}）。"
            ".ci/run はこれを入れてからテストします。"
        )
    return family


def fallback_font() -> str:
    """A Japanese font that is not BIZ UD (Noto CJK or IPAex), for printing without BIZ UD."""
    for family, _ in FALLBACKS:
        if has_font(family):
            return family
    packages = " または ".join(package for _, package in FALLBACKS)
    _missing(f"BIZ UD の代わりになる日本語フォントがありません（Debian パッケージ {packages}）。")


def uno_python() -> str:
    """A Python that has LibreOffice's UNO bridge (Debian: python3-uno, for the system python3)."""
    for candidate in ("/usr/bin/python3", shutil.which("python3") or ""):
        if candidate and subprocess.run([candidate, "-c", "import uno"], capture_output=True,
                                        check=False).returncode == 0:  # fmt: skip
            return candidate
    _missing("LibreOffice の UNO が Python から使えません（Debian パッケージ python3-uno）。")


def row_heights(books: list[Path], profile: Path, env: dict[str, str]) -> dict[str, Any]:
    """LibreOffice's own heights for the books' rows (tests/uno_rows.py), by path and sheet."""
    python = uno_python()
    request = {"soffice": soffice(), "profile": str(profile), "books": [
        {"path": str(book), "merged": merged_ranges(book)} for book in books]}  # fmt: skip
    profile.mkdir(parents=True, exist_ok=True)
    asked, answer = profile / "request.json", profile / "answer.json"
    asked.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([python, str(Path(__file__).with_name("uno_rows.py")), str(asked),
                           str(answer)], capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, **env})  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(answer.read_text(encoding="utf-8"))
    return result


def merged_ranges(book: Path) -> dict[str, list[list[int]]]:
    """Each sheet's merged ranges as [first row, first col, last row, last col], from 0."""
    import openpyxl

    wb = openpyxl.load_workbook(book)
    return {ws.title: [[m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1]
                       for m in ws.merged_cells.ranges] for ws in wb.worksheets}  # fmt: skip


def fontconfig(folder: Path, *, instead_of_biz: str = "", aliases: str = "") -> dict[str, str]:
    """Environment for LibreOffice with the machine's fonts (FONTCONFIG_FILE too) and, with
    `instead_of_biz`, every BIZ UD font hidden and that family printed in their place."""
    base = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    extra = aliases
    if instead_of_biz:
        extra += "<selectfont><rejectfont><glob>*BIZUD*</glob></rejectfont></selectfont>"
        for family in ("BIZ UDPゴシック", "BIZ UDゴシック", "BIZ UDPGothic"):
            extra += (f'<alias binding="same"><family>{family}</family>'
                      f"<prefer><family>{instead_of_biz}</family></prefer></alias>")  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
        f'<include ignore_missing="yes">{base}</include>{extra}</fontconfig>\n',
        encoding="utf-8",
    )
    return {"FONTCONFIG_FILE": str(conf)}


def convert(
    files: list[Path], to: str, outdir: Path, profile: Path, env: dict[str, str] | None = None
) -> list[str]:
    """Convert with LibreOffice (all files in one run); returns what it printed on stderr
    besides known noise. `env` is added to the environment (fontconfig's)."""
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
    outdir.mkdir(parents=True, exist_ok=True)
    command = [soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", to, "--outdir", str(outdir), *map(str, files)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, **(env or {})})  # fmt: skip
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


# --- what was printed: word boxes from pdftotext -bbox-layout --------------------------------

SMALLEST = 6.0  # points: the height of a word's box is about its font size


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in points from the top left

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@dataclass(frozen=True)
class Page:
    number: int
    width: float
    height: float
    words: list[Word]


def printed_words(pdf: Path) -> list[Page]:
    tool("pdftotext", "poppler-utils")
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True,
                         check=True).stdout  # fmt: skip
    root = ElementTree.fromstring(xml)
    pages = []
    for number, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), start=1):
        words = [
            Word(number, w.text or "",
                 tuple(float(w.get(k, "0")) for k in ("xMin", "yMin", "xMax", "yMax")))  # type: ignore[arg-type]
            for w in page.iter("{http://www.w3.org/1999/xhtml}word")
        ]  # fmt: skip
        pages.append(
            Page(number, float(page.get("width", "0")), float(page.get("height", "0")), words)
        )
    return pages


def off_page(page: Page, margin: float = 0.5) -> list[Word]:
    return [w for w in page.words if w.box[0] < -margin or w.box[1] < -margin
            or w.box[2] > page.width + margin or w.box[3] > page.height + margin]  # fmt: skip


def in_side_margins(page: Page, inset: float = 25.0) -> list[Word]:
    """Words closer to the left or right edge than every sheet's margin: cut by a printer."""
    return [w for w in page.words if w.box[0] < inset or w.box[2] > page.width - inset]


def overlapping(page: Page, share: float = 0.25) -> list[tuple[Word, Word]]:
    """Pairs of words whose boxes share more than `share` of the smaller one's area."""
    found = []
    words = sorted(page.words, key=lambda w: w.box[1])
    for i, a in enumerate(words):
        for b in words[i + 1 :]:
            if b.box[1] >= a.box[3]:
                break
            width = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
            height = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
            if width <= 0 or height <= 0:
                continue
            smaller = min((a.box[2] - a.box[0]) * a.height, (b.box[2] - b.box[0]) * b.height)
            if smaller > 0 and width * height > share * smaller:
                found.append((a, b))
    return found
