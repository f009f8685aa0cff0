"""Look shared by every workbook xlkpi writes."""

from __future__ import annotations

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


def fitted_width(texts: list[str], *, minimum: float = 6, maximum: float = 60) -> float:
    """A column width (Excel character units) for these texts; full-width counts double."""
    widest = max((display_width(line) for text in texts for line in text.split("\n")), default=0)
    return max(minimum, min(maximum, widest * 1.1 + 2))
