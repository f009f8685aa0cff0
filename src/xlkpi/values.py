"""Parsing of what departments type: numbers with units, fiscal years, labels.

Everything is NFKC-normalised first, so full-width digits, signs and brackets
behave like their ASCII forms. Numbers become exact Decimals; nothing goes
through float() on text, so "nan", "inf" and "1_000" are rejected.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from xlkpi import units

# Units a KPI value may carry. Compared after NFKC and whitespace removal.
UNITS: tuple[str, ...] = (
    "%",
    "人",
    "人/年",
    "人/日",
    "社",
    "回",
    "回/年",
    "組",
    "台",
    "台/日",
    "件",
    "件/年",
    "団体",
    "事業",
    "校",
    "箇所",
    "か所",
    "カ所",
    "施設",
    "世帯",
    "戸",
    "km",
    "m",
    "ha",
    "千円",
    "円",
    "日",
    "時間",
    "分",
    "個",
    "品",
    "店",
    "店舗",
    "点",
    "本",
    "冊",
    "名",
    "者",
    "ポイント",
    "pt",
    "人泊",
    "地区",
    "路線",
    "便",
    "隻",
    "頭",
    "t",
)
_UNIT_SET = frozenset(UNITS)

# A cell holding only one of these means "no value" (they are not minus signs).
BLANK_MARKERS = frozenset({"", "-", "―", "ー", "—", "–", "‐", "‒", "−", "─", "━"})

_NEGATIVE = frozenset({"-", "−", "▲", "△"})
# DOTALL: the unit runs to the end, so nothing is matched twice. Without it, a number,
# 30,000 spaces and two lines took 10 s (each space given back rescanned the line).
_NUMBER = re.compile(
    r"^(?P<sign>[-−▲△])?\s*(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?\s*(?P<unit>.*)$",
    re.DOTALL,
)
# Excel's error values, the classic ones and those of dynamic arrays, data types, linked
# data and Python in Excel (typed or pasted as text, they are errors all the same).
_EXCEL_ERRORS = frozenset(
    {
        "#DIV/0!",
        "#N/A",
        "#NAME?",
        "#NULL!",
        "#NUM!",
        "#REF!",
        "#VALUE!",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#BUSY!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#UNKNOWN!",
        "#PYTHON!",
        "#EXTERNAL!",
        "#ERROR!",
    }
)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number in display units (58.4 % is Decimal("58.4") with unit "%")."""

    value: Decimal
    unit: str = ""
    note: str = ""  # written beside the value: 速報値, 見込み, 約 (see noted_value)


class BadValue(Exception):
    """A cell that should hold a number does not; `code` is a problem code, `shown` the
    text as typed (messages quote it), `text` the text as read (folded, markers out)."""

    def __init__(self, code: str, shown: str, text: str | None = None) -> None:
        super().__init__(code, shown)
        self.code = code
        self.shown = shown
        self.text = shown if text is None else text


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


# Invisible format characters (Unicode category Cf) that arrive with pasted text: a BOM,
# zero-width spaces and joiners, word joiner, soft hyphen, invisible operators, bidi marks,
# the Mongolian vowel separator, interlinear annotation marks.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def visible(text: str) -> str:
    """The text without invisible format characters: what a label, a choice or a number
    is compared by (the text shown in the summary keeps them)."""
    return _INVISIBLE.sub("", text) if _INVISIBLE.search(text) else text


def clean_text(raw: object) -> str:
    """Free text as a person would read it: trimmed, CRLF folded, inner lines kept."""
    if raw is None:
        return ""
    if type(raw) is str and "\n" not in raw and "\r" not in raw:
        return raw.strip()
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def non_finite(raw: object) -> str | None:
    """How a cell holding NaN or an infinity (written so by another program; Excel has
    no such number) is named in a message; None for anything else."""
    if isinstance(raw, float) and not math.isfinite(raw):
        return "NaN" if raw != raw else ("-∞" if raw < 0 else "∞")
    return None


def is_blank(raw: object) -> bool:
    if raw is None or raw == "":
        return True
    if type(raw) is str:
        # Blank markers are one character: longer text is blank only if it is all space.
        stripped = raw.strip()
        return len(stripped) <= 1 and nfkc(stripped).strip() in BLANK_MARKERS
    return False


def parse_quantities(raw: object, *, percent_format: bool = False) -> list[Quantity]:
    """Parse a value cell; several whitespace-separated values give several quantities.

    Raises BadValue for anything that is not a number with an allowed unit.
    """
    if raw is None:
        return []
    if isinstance(raw, bool):
        raise BadValue("value-boolean", str(raw).upper())
    if isinstance(raw, dt.date | dt.time | dt.timedelta):
        raise BadValue("value-date", str(raw))
    if isinstance(raw, int | float):
        return [_from_number(raw, percent_format)]
    typed = visible(str(raw)).strip()
    text = nfkc(unmark(typed)).strip()
    if text in BLANK_MARKERS:
        return []
    one = _parse_token(text)
    if one is not None:
        return [one]
    tokens = text.split()
    if len(tokens) > 1:
        many = [_parse_token(token) for token in tokens]
        if all(q is not None for q in many):
            return [q for q in many if q is not None]
    shown = " ".join(typed.split())
    if text.upper() in _EXCEL_ERRORS:
        raise BadValue("cell-error", shown, text)
    match = _NUMBER.match(text)
    if match and match.group("unit")[:1] not in "_,.0123456789":
        raise BadValue("value-unknown-unit", shown, text)
    raise BadValue("value-not-number", shown, text)


# Circled and bracketed numbers mark which KPI a value belongs to (①636人 ②127人). NFKC
# would fold ① into 1 and make it a digit of the value: they are taken out first.
_MARKERS = re.compile(
    "[\u2460-\u2473\u2474-\u2487\u2488-\u249b\u24ea-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]"
)


def unmark(text: str) -> str:
    """A value cell's text with its KPI markers (① ⑴ ⒈ ❶ ㉑) made spaces."""
    return _MARKERS.sub(" ", text) if _MARKERS.search(text) else text


def has_markers(text: str) -> bool:
    return _MARKERS.search(text) is not None


# A value with a note: "10,334人（速報値）", "12,000人 (R10)", "58.4% ※見込み",
# "約1,200人", "延べ 3,400人", "80%以上". Taken apart by hand: a single pattern with
# optional parts between runs of spaces backtracks for minutes on 30,000 spaces.
_NOTE_WORD = re.compile(r"(約|延べ|延|累計|合計|計)\s*:?")
_FLOORS, _CEILINGS = ("以上", "超"), ("以下", "未満")
_RANGE = re.compile(r"~|〜|から|-")  # NFKC has made ～ and － ~ and -


def noted_value(refused: BadValue) -> Quantity:
    """What parse_quantities refused, read as one value with a note: a word before it (約,
    延べ, 累計, 合計), a floor (以上, 超) after it, or text in brackets or after ※ behind it.

    Returns the value with its notes joined in `note`. A unit in brackets, "10334（人）", is
    the value's unit and no note (""). Raises `refused` when the text is no such value,
    value-at-most for a ceiling (以下, 未満), which says less is better, and value-range
    for two values, "11,000～12,000人".
    """
    if refused.code not in ("value-unknown-unit", "value-not-number"):
        raise refused
    if _is_range(refused.text):
        raise BadValue("value-range", refused.shown, refused.text)
    value, word, after = refused.text, "", None
    if (start := _NOTE_WORD.match(value)) is not None:
        value, word = value[start.end() :], start.group(1)
    if value.endswith(")") and "(" in value:
        opening = value.rindex("(")
        value, after = value[:opening], value[opening + 1 : -1]
    elif "※" in value:
        value, after = value.split("※", 1)
    elif (trailing := _trailing_note(value)) is not None:
        value, after = trailing
    value = value.strip()
    bound = next((b for b in (*_FLOORS, *_CEILINGS) if value.endswith(b)), "")
    if bound:
        value = value[: -len(bound)].rstrip()
    if after is not None:
        after = after.strip()
        if after in _UNIT_SET and not bound and re.fullmatch(r"[-−▲△]?[\d,.]+", value):
            value, after = value + after, ""
        elif not after or ")" in after or "※" in after or after in _UNIT_SET:
            raise refused  # an empty note, or more than one
    elif not word and not bound:
        raise refused  # nothing around the value: it is what could not be read
    found = _parse_token(value) if not any(c in value for c in "()※") else None
    if found is None:
        raise refused
    if bound in _CEILINGS:
        raise BadValue("value-at-most", refused.shown, refused.text)
    return Quantity(found.value, found.unit, "、".join(n for n in (word, bound, after) if n))


# Words that say what kind of figure a value is, written right after it: 695人速報値.
NOTE_WORDS = ("速報値", "速報", "見込み", "見込値", "見込", "暫定値", "暫定", "概数", "推計値",
              "推計", "確定値", "確定", "予定", "時点", "現在")  # fmt: skip


def _trailing_note(text: str) -> tuple[str, str] | None:
    """ "695人 速報値" or "695人速報値" -> ("695人", "速報値"); None when the text after the
    value is no note (another number, or text that is not a note word after no space)."""
    head, _, rest = text.partition(" ")
    rest = rest.strip()
    if (
        0 < len(rest) <= 20
        and any(note in rest for note in NOTE_WORDS)
        and not any(c in rest for c in "()※\n0123456789")
        and _parse_token(head) is not None
    ):
        return head, rest
    match = _NUMBER.match(text)
    if match is None:
        return None
    unit = match.group("unit")
    for note in NOTE_WORDS:
        if unit.endswith(note) and _parse_token(text[: len(text) - len(note)]) is not None:
            return text[: len(text) - len(note)], note
    return None


def _is_range(text: str) -> bool:
    """Two values joined by ～ or から: "11,000～12,000人", "10-20%"."""
    parts = _RANGE.split(text, maxsplit=1)
    return len(parts) == 2 and all(_parse_token(part.strip()) is not None for part in parts)


def with_note(value: Decimal, unit: str, note: str) -> str | None:
    """A value written back with its note, "10,334人（速報値）", if it reads back the same
    (None for a note edited into a summary that would not: brackets of its own, a unit)."""
    text = f"{value:,f}{unit}（{note}）"
    try:
        parse_quantities(text)
    except BadValue as refused:
        with contextlib.suppress(BadValue):
            if noted_value(refused) == Quantity(value, unit, nfkc(note).strip()):
                return text
    return None


def _from_number(number: int | float, percent_format: bool) -> Quantity:
    if isinstance(number, float) and not math.isfinite(number):
        raise BadValue("value-not-number", repr(number))
    value = Decimal(number) if isinstance(number, int) else Decimal(repr(number))
    if percent_format:
        return Quantity(tidy(value * 100), "%")
    return Quantity(tidy(value))


def _parse_token(text: str) -> Quantity | None:
    match = _NUMBER.match(text)
    if match is None:
        return None
    typed = match.group("unit").strip()  # a word of its own is never split by spaces
    found = units.read_unit(re.sub(r"\s+", "", typed), _UNIT_SET, words=not re.search(r"\s", typed))
    if found is None:
        return None
    multiplier, unit = found  # "12.5万人" is 125,000人, "1.2千件" 1,200件
    digits = match.group("int").replace(",", "")
    if match.group("frac"):
        digits += "." + match.group("frac")
    value = Decimal(digits) * multiplier
    if match.group("sign") in _NEGATIVE:
        value = -value
    return Quantity(tidy(value), unit)


TOO_LARGE = Decimal(10) ** 15  # Excel keeps 15 significant digits; no KPI comes near


def tidy(value: Decimal) -> Decimal:
    """58.400 -> 58.4, 84.0 -> 84, without exponent notation; BadValue when too large."""
    if not value.is_finite() or abs(value) >= TOO_LARGE:
        shown = f"{value:.3E}" if value.is_finite() else str(value)
        raise BadValue("value-too-large", shown)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


# --- Fiscal years ---------------------------------------------------------------

_ERA_START = {"R": 2018, "令和": 2018, "H": 1988, "平成": 1988}
_ERA = r"(?P<era{n}>R|令和|H|平成)\s*(?P<num{n}>\d{{1,2}}|元)"
_YEAR_HEAD = re.compile(
    r"^(?:FY\s*)?(?:"
    r"(?P<west>\d{4})(?!\d)\s*年?度?\s*(?:\(\s*" + _ERA.format(n=1) + r"\s*年?度?\s*\)\s*)?年?度?"
    r"|" + _ERA.format(n=2) + r"\s*年?度?\s*(?:\(\s*(?P<west2>\d{4})\s*年?度?\s*\))?"
    r")\s*(?P<rest>.*)$",
    re.DOTALL,
)


class YearMismatch(Exception):
    """A header whose western and era years disagree, e.g. "2024 (R7)"."""


_YEARS_SEEN: dict[str, tuple[int, str] | YearMismatch | None] = {}


def parse_year(raw: object) -> tuple[int, str] | None:
    """Read a fiscal-year header: "2024 (R6)", "2024(R6)", "R6", "令和6年度", 2024.

    Returns (western year, text after the header) or None when it is no year.
    Headers repeat on every form, so text results are remembered.
    """
    if type(raw) is str and len(raw) <= 40:
        seen = _YEARS_SEEN.get(raw, _YEARS_SEEN)
        if seen is _YEARS_SEEN:
            try:
                seen = _parse_year(raw)
            except YearMismatch as mismatch:
                seen = mismatch
            if len(_YEARS_SEEN) < 10_000:
                _YEARS_SEEN[raw] = seen
        if isinstance(seen, YearMismatch):
            raise seen
        return seen  # type: ignore[return-value]
    return _parse_year(raw)


def _parse_year(raw: object) -> tuple[int, str] | None:
    if isinstance(raw, bool | dt.date) or raw is None:  # 2026-03-31 is in fiscal 2025
        return None
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not math.isfinite(raw):  # NaN in a header is no year
            return None
        whole = int(raw)
        return (whole, "") if whole == raw and 1989 <= whole <= 2200 else None
    text = nfkc(unmark(str(raw))).strip()  # 「2024 (R6) ①636人 ②127人」: markers stay out
    text = text.replace("（", "(").replace("）", ")")
    if text[:2].lower() == "fy":
        text = "FY" + text[2:]
    match = _YEAR_HEAD.match(text)
    if match is None:
        return None
    west = match.group("west") or match.group("west2")
    era = match.group("era1") or match.group("era2")
    num = match.group("num1") or match.group("num2")
    from_era = _ERA_START[era] + (1 if num == "元" else int(num)) if era and num else None
    year: int | None = int(west) if west else from_era
    if year is None or not 1989 <= year <= 2200:
        return None
    if west and from_era is not None and from_era != year:
        raise YearMismatch(text)
    return year, match.group("rest").strip()


_ERA_LESS = re.compile(r"^(\d{1,2}|元)\s*年度?\s*(?P<rest>.*)$", re.DOTALL)


def era_less_year(raw: object, first_year: int, last_year: int) -> tuple[int, str] | None:
    """ "6年度" with no era: the 令和 year when it lies within the plan period (or a year of
    it: the form's own columns), where no 平成 year could; None otherwise."""
    if type(raw) is not str:
        return None
    match = _ERA_LESS.match(nfkc(unmark(raw)).strip())  # ① stays a marker, as in parse_year
    if match is None:
        return None
    number = 1 if match.group(1) == "元" else int(match.group(1))
    reiwa, heisei = _ERA_START["R"] + number, _ERA_START["H"] + number
    near = range(first_year - 1, last_year + 2)
    if reiwa in near and heisei not in near:
        return reiwa, match.group("rest").strip()
    return None


def shown_number(number: int | float, literal: str, thousands: int) -> object:
    """A number as its format shows it, for reading: 163944 in #,##0,"千人" is 「163.944千人」,
    10 in #,##0"人" is 「10人」 (the stored number, in full, not rounded as shown)."""
    if not literal or (isinstance(number, float) and not math.isfinite(number)):
        return number  # 「164」 of #,##0, stands for the number stored: 163944
    value = Decimal(number) if isinstance(number, int) else Decimal(repr(number))
    if thousands:
        value = value / Decimal(1000) ** thousands
    return f"{value:f}{literal}"


EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 (with Excel's 1900 leap day)


def shown_year(raw: object) -> int | None:
    """The year a date cell shows when its format shows only the year (「令和6年度」,
    「2024年度」): a date, or the serial number calamine gives for an era format."""
    if isinstance(raw, dt.datetime | dt.date):
        return raw.year
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 1 <= raw < 2_958_466:
        return (EXCEL_EPOCH + dt.timedelta(days=int(raw))).year
    return None


def plain_year(text: str) -> int | None:
    """A year alone, as forms write it: 2027, R9, r9, 令和9年度; None for anything else."""
    try:
        found = parse_year(text.strip().upper())
    except YearMismatch:
        return None
    return found[0] if found and not found[1] else None


def era_name(year: int) -> str:
    """2024 -> "R6"; 2018 -> "H30"."""
    return f"R{year - 2018}" if year >= 2019 else f"H{year - 1988}"


def year_header(year: int) -> str:
    """The form's way to write a plan year: "2024 (R6)"."""
    return f"{year} ({era_name(year)})"


def reiwa_label(year: int) -> str:
    """2024 -> "令和6年度" (used in Japanese sentences)."""
    return f"令和{year - 2018}年度" if year >= 2019 else f"平成{year - 1988}年度"


# --- Labels -----------------------------------------------------------------------

_BRACKETS = str.maketrans(
    {
        "【": "(",
        "】": ")",
        "〔": "(",
        "〕": ")",
        "[": "(",
        "]": ")",
        "「": "(",
        "」": ")",
        "〈": "(",
        "〉": ")",
        "<": "(",
        ">": ")",
    }
)
_PARENS = re.compile(r"\([^()]*\)")
_LEADING_YEAR = re.compile(
    r"^(?:\d{4}|R\d{1,2}|令和\d{1,2}|令和元|H\d{1,2}|平成\d{1,2})(?:\(R\d{1,2}\))?"
)


def fold_label(text: str) -> str:
    """NFKC, no whitespace at all, every bracket kind folded to ()."""
    # Labels, row heads and choices repeat on every form: short text is remembered.
    return _fold_short(text) if len(text) <= 64 else _fold(text)


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", nfkc(visible(text))).translate(_BRACKETS)


_fold_short = functools.lru_cache(maxsize=4_096)(_fold)


@dataclass(frozen=True, slots=True)
class LabelText:
    core: str  # the label without bracketed parts or a leading year: "現状値"
    year: int | None  # a fiscal year written in or before the label


def split_label(text: str) -> LabelText:
    """ "現状値 (2022 (R4) 年度)" -> ("現状値", 2022); "2024年度評価" -> ("年度評価", 2024)."""
    folded = fold_label(text)
    core = folded
    while True:
        stripped = _PARENS.sub("", core)
        if stripped == core:
            break
        core = stripped
    year: int | None = None
    lead = _LEADING_YEAR.match(core)
    if lead:
        year = _year_of(lead.group(0))
        core = core[lead.end() :]
    if year is None and core != folded:
        year = _year_of(folded[folded.find("(") :])
    return LabelText(core, year)


def _year_of(text: str) -> int | None:
    found = re.search(r"\d{4}", text)
    if found:
        return int(found.group(0))
    era = re.search(r"(R|令和|H|平成)(\d{1,2}|元)", text)
    if era:
        return _ERA_START[era.group(1)] + (1 if era.group(2) == "元" else int(era.group(2)))
    return None


def display_width(text: str) -> int:
    """Column width in Excel units: full-width characters count double."""
    width = 0
    for char in text:
        width += 2 if unicodedata.east_asian_width(char) in "WFA" else 1
    return width
