"""Look shared by every workbook xlkpi writes."""

from __future__ import annotations

import math

from xlkpi.values import display_width

# A Japanese UD font shipped with Windows 10+ and Office; Debian: fonts-morisawa-bizud-gothic.
FONT = "BIZ UDPゴシック"
FONT_SIZE = 10
WORKBOOK_OPTIONS: dict[str, object] = {
    # Text from a return is never turned into a formula, a link or a number.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_format_properties": {"font_name": FONT, "font_size": FONT_SIZE},
}
LABEL_FILL = "#D9E1F2"
INPUT_FILL = "#FFF2CC"
NEXT_YEAR_FILL = "#FCE4D6"
GRADE_FILLS = {"A": "#C6EFCE", "B": "#DDEBF7", "C": "#FFEB9C", "D": "#FFC7CE"}
EXTRA_GRADE_FILLS = ("#E2EFDA", "#FFF2CC", "#F8CBAD", "#D9D9D9")
A4 = 9
A4_LONG, A4_SHORT = 842.0, 595.0  # the sides of an A4 page, in points
# A column width unit in print, in points: LibreOffice with BIZ UDPゴシック, the widest of the
# clients and fonts measured (tests/test_print.py); Noto CJK and IPAex draw it narrower.
POINTS_PER_UNIT = 7.84


def fitted_width(texts: list[str], *, minimum: float = 6, maximum: float = 60) -> float:
    """A column width (Excel character units) for these texts; full-width counts double."""
    widest = max((display_width(line) for text in texts for line in text.split("\n")), default=0)
    return max(minimum, min(maximum, widest * 1.1 + 2))


def width_for_lines(text_units: float, lines: int) -> float:
    """The column width at which text this wide (text_width) wraps to `lines` lines."""
    return text_units / (0.9 * lines) + 1.5


def balanced_width(texts: list[str], header: str, *, lines: int = 4, maximum: float = 60) -> float:
    """A column width at which these texts take about `lines` lines on average: columns of
    long and of short texts then wrap to rows of like height, so no printed band of a wide
    sheet is rows sized for the text of another band."""
    mean = sum(text_width(t) for t in texts) / max(len(texts), 1)
    return max(fitted_width([header], maximum=maximum), min(maximum, width_for_lines(mean, lines)))


def content_width(texts: list[str], header: str, *, maximum: float) -> float:
    """A column as wide as its widest text up to `maximum` (wider ones wrap), and at least
    wide enough for its header on three lines."""
    return max(fitted_width(texts, maximum=maximum), width_for_lines(text_width(header), 3))


# Points per line of text per point of font size: Noto Sans CJK's line is 1.45 em, BIZ UD's
# and IPAex's less, so a row sized by it holds its text in any of them (tests/test_print.py).
LINE_PITCH = 1.5
ROW_PADDING = 4.0  # points above and below the text
MAX_ROW_HEIGHT = 409.0  # Excel's tallest row, in points: longer text scrolls within its cell


def row_height(lines: int, size: float = 10) -> float:
    """Points a row needs for `lines` lines of text at `size` points, in any Japanese font."""
    return min(LINE_PITCH * size * lines + ROW_PADDING, MAX_ROW_HEIGHT)


DEFAULT_ROW_HEIGHT = row_height(1)


def wrapped_lines(text: str, width: float, size: float = 10) -> int:
    """Lines a wrapped cell needs at this column width (Excel character units) for text at
    `size` points, in Excel and in LibreOffice, with BIZ UD or another Japanese font: a
    full-width character counts 2 units, any other 1.2 (Noto's digits are wider than BIZ UD's),
    and a line is filled to 90 % (words are not broken)."""
    room = max((width - 1.5) * 0.9 * 10 / size, 1.0)
    return sum(max(1, math.ceil(text_width(line) / room)) for line in text.split("\n"))


def text_width(text: str) -> float:
    """Units of `text` at 10 pt, counted in C: a kanji is 3 UTF-8 bytes, so 2 units."""
    wide = (len(text.encode("utf-8", "surrogatepass")) - len(text)) // 2  # any str
    return 2 * wide + 1.2 * (len(text) - wide)
