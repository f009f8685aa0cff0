"""Excel number format codes, read by their grammar.

A format code is up to four sections split by `;` (positive, negative, zero, text). A
section is made of tokens: quoted text ("人"), escaped characters (\\%), bracketed parts
([Red], [>=100], [$-ja-JP-x-gannen], [DBNum1]), fill and spacing (*x, _x), and the
placeholders themselves (0 # ? . , % E+ @ and the date letters y m d h s g e).

Only the placeholders say what a number shows: `0.0"%"` shows 66.3 as 「66.3%」 (a literal
%, the number as typed), `0.0%` shows 0.663 as 「66.3%」 (a real percent), `ggge"年度"`
shows a date as 「令和6年度」. `kind()` tells these apart.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

GENERAL, NUMBER, PERCENT, DATE, YEAR, TEXT = "general", "number", "percent", "date", "year", "text"

# Built-in formats (numFmtId) that a workbook does not spell out.
BUILTIN: dict[int, str] = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%",
    11: "0.00E+00", 12: "# ?/?", 13: "# ??/??", 14: "yyyy/m/d", 15: "d-mmm-yy", 16: "d-mmm",
    17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss",
    22: "yyyy/m/d h:mm", 27: '[$-411]ge.m.d', 28: '[$-411]ggge"年"m"月"d"日"',
    29: '[$-411]ggge"年"m"月"d"日"', 30: "m/d/yy", 31: 'yyyy"年"m"月"d"日"',
    32: 'h"時"mm"分"', 33: 'h"時"mm"分"ss"秒"', 34: 'yyyy"年"m"月"', 35: 'm"月"d"日"',
    36: '[$-411]ge.m.d', 37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)",
    39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)", 45: "mm:ss",
    46: "[h]:mm:ss", 47: "mm:ss.0", 48: "##0.0E+0", 49: "@", 50: '[$-411]ge.m.d',
    51: '[$-411]ggge"年"m"月"d"日"', 52: 'yyyy"年"m"月"', 53: 'm"月"d"日"',
    54: '[$-411]ggge"年"m"月"d"日"', 55: 'yyyy"年"m"月"', 56: 'm"月"d"日"',
    57: '[$-411]ge.m.d', 58: '[$-411]ggge"年"m"月"d"日"',
}  # fmt: skip

_TOKEN = re.compile(r'"[^"]*"?|\\.|\[[^\]]*\]?|[_*].?|.', re.S)
_DATE_LETTERS = frozenset("ymdhsge")
_ELAPSED = re.compile(r"^\[(?:h+|m+|s+)\]$", re.I)


@dataclass(frozen=True, slots=True)
class Section:
    placeholders: str  # the format's own characters, lower-cased, quoted text and escapes out
    literal: str  # the text the section prints as is: "人", "%" of 0.0"%"

    @property
    def thousands(self) -> int:
        """Commas after the last digit placeholder: each shows the number divided by 1,000
        (#,##0,"千人" shows 163944 as 「164千人」)."""
        match = re.search(r"[0#?](,+)[^0#?]*$", self.placeholders)
        return len(match.group(1)) if match else 0


def sections(code: str) -> list[Section]:
    """The sections of a format code, each as its placeholders and its literal text."""
    found: list[Section] = []
    shown: list[str] = []
    literal: list[str] = []
    for token in _TOKEN.findall(code):
        if token == ";":
            found.append(Section("".join(shown), "".join(literal)))
            shown, literal = [], []
        elif token.startswith('"'):
            literal.append(token.strip('"'))
        elif token.startswith("\\") and len(token) == 2:
            literal.append(token[1])
        elif token.startswith("["):
            if _ELAPSED.match(token):
                shown.append(token[1:-1].lower())  # [h]:mm elapsed time
            # colours, conditions, locales and [DBNum] change how, not what, is shown
        elif token[:1] in "_*":
            continue  # spacing and fill
        else:
            shown.append(token.lower())
    found.append(Section("".join(shown), "".join(literal)))
    return found


@functools.lru_cache(maxsize=1024)
def kind(code: str) -> str:
    """What a number in this format shows: PERCENT (the value times 100 with %), YEAR (a
    date showing only its year, 「令和6年度」), DATE, TEXT (@), NUMBER or GENERAL."""
    if code.strip().lower() in ("", "general"):
        return GENERAL
    first = sections(code)[0].placeholders
    if "@" in first and not any(c in first for c in "0#?"):
        return TEXT
    scientific = re.sub(r"e[+-]", "", first)
    letters = {c for c in scientific if c in _DATE_LETTERS}
    if letters:
        return YEAR if letters <= {"y", "g", "e"} else DATE
    if "%" in first:
        return PERCENT
    if "general" in first:
        return GENERAL
    return NUMBER


def literal(code: str) -> str:
    """The literal text of the positive section: 「人」 of #,##0"人"."""
    return sections(code)[0].literal.strip()


@functools.lru_cache(maxsize=1024)
def shown_as(code: str) -> tuple[str, str, int]:
    """(kind, literal text, thousands) of a format's positive section: what a person sees
    of a number is the number / 1000 ** thousands followed by the literal text."""
    first = sections(code)[0]
    return kind(code), first.literal.strip(), first.thousands
