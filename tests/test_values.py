import datetime as dt
import time
from decimal import Decimal

import pytest

from xlkpi.values import (
    BadValue,
    Quantity,
    YearMismatch,
    display_width,
    noted_value,
    parse_quantities,
    parse_year,
    split_label,
    with_note,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,195人", [Quantity(Decimal("1195"), "人")]),
        ("58.4%", [Quantity(Decimal("58.4"), "%")]),
        ("28,108人/年", [Quantity(Decimal("28108"), "人/年")]),
        ("18", [Quantity(Decimal("18"))]),
        (84, [Quantity(Decimal("84"))]),
        (58.4, [Quantity(Decimal("58.4"))]),
        ("８４％", [Quantity(Decimal("84"), "%")]),
        ("１，１９５人", [Quantity(Decimal("1195"), "人")]),
        ("▲12", [Quantity(Decimal("-12"))]),
        ("△3社", [Quantity(Decimal("-3"), "社")]),
        ("−5", [Quantity(Decimal("-5"))]),
        (" 12\n", [Quantity(Decimal("12"))]),
        ("1,195 人", [Quantity(Decimal("1195"), "人")]),
        ("47人 98人", [Quantity(Decimal("47"), "人"), Quantity(Decimal("98"), "人")]),
        ("636人\n127人", [Quantity(Decimal("636"), "人"), Quantity(Decimal("127"), "人")]),
        ("102.9%", [Quantity(Decimal("102.9"), "%")]),
    ],
)
def test_numbers_as_departments_type_them(raw: object, expected: list[Quantity]) -> None:
    assert parse_quantities(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected", "note"),
    [
        ("10,334人（速報値）", Quantity(Decimal("10334"), "人"), "速報値"),
        ("12,000人 (R10)", Quantity(Decimal("12000"), "人"), "R10"),
        ("58.4% ※見込み", Quantity(Decimal("58.4"), "%"), "見込み"),
        ("1,195人（見込み）", Quantity(Decimal("1195"), "人"), "見込み"),
        ("約1,200人", Quantity(Decimal("1200"), "人"), "約"),
        ("延べ 3,400人", Quantity(Decimal("3400"), "人"), "延べ"),
        ("累計：15社", Quantity(Decimal("15"), "社"), "累計"),
        ("約1,200人（見込み）", Quantity(Decimal("1200"), "人"), "約、見込み"),
        ("80%以上", Quantity(Decimal("80"), "%"), "以上"),  # a floor: higher is better anyway
        ("12,000人以上（R10）", Quantity(Decimal("12000"), "人"), "以上、R10"),
        ("10334（人）", Quantity(Decimal("10334"), "人"), ""),  # the unit, not a note
        ("12.5万人", Quantity(Decimal("125000"), "人"), ""),
        ("３万", Quantity(Decimal("30000")), ""),
        ("-5件（見込み）", Quantity(Decimal("-5"), "件"), "見込み"),  # a minus, not a range
    ],
)
def test_a_value_with_a_note_or_in_ten_thousands(raw: str, expected: Quantity, note: str) -> None:
    assert parse_noted(raw) == ([expected], note)


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (Decimal(10334), "人", "10,334人（速報値）"),
        (Decimal("58.4"), "%", "58.4%（速報値）"),
        (Decimal("1E+4"), "人/年", "10,000人/年（速報値）"),  # no exponent in a form
        (Decimal("-5"), "件", "-5件（速報値）"),
        (Decimal("0.25"), "", "0.25（速報値）"),
    ],
)
def test_a_value_written_back_with_its_note_reads_the_same(
    value: Decimal, unit: str, shown: str
) -> None:
    """What `xlkpi forms` writes for last year's provisional actual."""
    assert with_note(value, unit, "速報値") == shown
    assert parse_noted(shown) == ([Quantity(value, unit)], "速報値")


@pytest.mark.parametrize("note", ["人", "暫定)", "※暫定", ""])
def test_a_note_that_would_not_read_back_is_not_written_back(note: str) -> None:
    """A 注記 edited into a summary by hand: next year's form gets the plain value instead."""
    assert with_note(Decimal(10334), "人", note) is None


def parse_noted(raw: object) -> tuple[list[Quantity], str]:
    """As the reader reads a value cell: plainly, else as a value with a note."""
    try:
        return parse_quantities(raw), ""
    except BadValue as refused:
        found = noted_value(refused)
        return [Quantity(found.value, found.unit)], found.note


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("(10)", "value-not-number"),  # no value before the brackets
        ("約", "value-not-number"),
        ("以上", "value-not-number"),
        ("5件以下", "value-at-most"),  # a ceiling says less is better: not a note
        ("5件 未満（R10）", "value-at-most"),
        ("計測中", "value-not-number"),
        ("合計 10人 20人", "value-not-number"),
        ("集計中（R6）", "value-not-number"),
        ("－（集計中）", "value-not-number"),
        ("10人()", "value-unknown-unit"),  # an empty note is no note
        ("10人 20人（計）", "value-unknown-unit"),  # one value with a note, not several
        ("10件（人）", "value-unknown-unit"),
        ("#N/A（R6）", "value-not-number"),
        (True, "value-boolean"),
        ("11,000～12,000人", "value-range"),  # was "the unit cannot be read"
        ("１１０００〜１２０００", "value-range"),
        ("10－20%", "value-range"),
        ("10から20回", "value-range"),
        ("R6-10", "value-not-number"),  # no value on the left: no range
    ],
)
def test_a_note_does_not_make_a_value(raw: object, code: str) -> None:
    with pytest.raises(BadValue) as caught:
        parse_noted(raw)
    assert caught.value.code == code


def test_percent_formatted_number_is_read_in_percent() -> None:
    assert parse_quantities(0.584, percent_format=True) == [Quantity(Decimal("58.4"), "%")]
    assert parse_quantities(1.029, percent_format=True) == [Quantity(Decimal("102.9"), "%")]


@pytest.mark.parametrize("raw", [None, "", "-", "－", "―", "ー", "—", "–", "  ", "\n"])
def test_blank_markers_mean_no_value(raw: object) -> None:
    assert parse_quantities(raw) == []


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("nan", "value-not-number"),
        ("inf", "value-not-number"),
        ("1_000", "value-not-number"),
        (float("nan"), "value-not-number"),
        ("集計中", "value-not-number"),
        ("1,19,5", "value-not-number"),
        ("1,195人（見込み）", "value-unknown-unit"),
        ("#N/A", "cell-error"),
        ("#DIV/0!", "cell-error"),
        (True, "value-boolean"),
        (dt.date(2024, 4, 1), "value-date"),
        (dt.datetime(2024, 4, 1, 9, 0), "value-date"),
        # beyond Excel's 15 digits: once an uncaught decimal.InvalidOperation
        ("9" * 400, "value-too-large"),
        ("１" * 30 + "人", "value-too-large"),
        (1e308, "value-too-large"),
        (-1e15, "value-too-large"),
    ],
)
def test_what_is_not_a_number_is_refused(raw: object, code: str) -> None:
    with pytest.raises(BadValue) as caught:
        parse_quantities(raw)
    assert caught.value.code == code


def test_the_largest_number_kept_is_below_fifteen_digits() -> None:
    assert parse_quantities(999_999_999_999_999)[0].value == 999_999_999_999_999


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024 (R6)", (2024, "")),
        ("2024(R6)", (2024, "")),
        ("2024（R6）", (2024, "")),
        ("R6", (2024, "")),
        ("令和6年度", (2024, "")),
        ("2024年度", (2024, "")),
        ("令和元年度", (2019, "")),
        ("H30", (2018, "")),
        (2024, (2024, "")),
        (2024.0, (2024, "")),
        ("2024 (R6) 1,195人", (2024, "1,195人")),
        ("2024 (R6) 636人 127人", (2024, "636人 127人")),
        ("2028 (R10)", (2028, "")),
        ("2024年度\n(R6)", (2024, "")),  # 年度 before the era: the era was read as a value
        ("2024年度（令和6年度）", (2024, "")),
        ("2024年度\n（R6）\n84人", (2024, "84人")),
        ("R6年度\n(2024)", (2024, "")),
        (dt.date(2024, 4, 1), None),  # a date: 2026-03-31 is in fiscal 2025
        ("実績値", None),
        ("1,195人", None),
        (20245, None),
    ],
)
def test_year_headers(raw: object, expected: tuple[int, str] | None) -> None:
    assert parse_year(raw) == expected


def test_year_header_with_disagreeing_eras_is_an_error() -> None:
    with pytest.raises(YearMismatch):
        parse_year("2024 (R7)")


@pytest.mark.parametrize(
    ("text", "core", "year"),
    [
        ("現状値 (2022 (R4) 年度)", "現状値", 2022),
        ("現状値 (2022(R4)年度)", "現状値", 2022),
        ("目標値 (2028年 (R10) 度)", "目標値", 2028),
        ("成果指標（KPI）", "成果指標", None),
        ("事業費 (千円)", "事業費", None),
        ("2024年度評価", "年度評価", 2024),
        ("令和6年度評価", "年度評価", 2024),
        ("連 携 す る 視 点", "連携する視点", None),
    ],
)
def test_labels_fold_brackets_spaces_and_years(text: str, core: str, year: int | None) -> None:
    label = split_label(text)
    assert (label.core, label.year) == (core, year)


def test_display_width_counts_full_width_double() -> None:
    assert display_width("施策名") == 6
    assert display_width("KPI") == 3


@pytest.mark.parametrize(
    "raw",
    [
        "1" + " " * 30_000 + "人\nx",  # took 10 s: each space given back rescanned the line
        "1" + ",000" * 7_000 + "\nx",
        "約" + " " * 30_000 + "1以上" + " " * 2_000 + "x",
        "1人" + "(" * 30_000 + ")",
        "1 ※" * 8_000,
    ],
)
def test_a_long_value_cell_is_refused_at_once(raw: str) -> None:
    """A cell holds up to 32,767 characters; no pattern may backtrack over them (not a
    speed target: these take milliseconds, and a backtracking pattern takes seconds to hours)."""
    started = time.perf_counter()
    with pytest.raises(BadValue):
        try:
            parse_quantities(raw)
        except BadValue as refused:
            noted_value(refused)
    assert time.perf_counter() - started < 2
