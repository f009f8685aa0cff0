from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlkpi.grading import DEFAULT_RULE, achievement, grade_measure, looks_lower_is_better
from xlkpi.model import Kpi, Measure


def grade_of(actual: str, target: str) -> str:
    return DEFAULT_RULE.grade(achievement(Decimal(actual), Decimal(target)))


def test_band_boundaries_are_exact() -> None:
    assert grade_of("100", "100") == "A"  # exactly 100 %
    assert grade_of("80", "100") == "B"  # exactly 80 %
    assert grade_of("50", "100") == "C"  # exactly 50 %
    assert grade_of("79.99", "100") == "C"
    assert grade_of("7999999", "10000000") == "C"
    assert grade_of("49.99", "100") == "D"
    assert grade_of("99.99", "100") == "B"
    assert grade_of("0", "100") == "D"


def test_no_float_drift() -> None:
    # 58.4 / 58.1 = 100.5 % (幹線道路等整備事業); 0.3 / 0.3 is exactly 100 %.
    assert grade_of("58.4", "58.1") == "A"
    assert grade_of("0.3", "0.3") == "A"
    assert achievement(Decimal("0.3"), Decimal("0.3")) == 1
    # 46.48 / 58.1 is exactly 80 %; in floats it is 0.7999999999999999, which would be C.
    assert 46.48 / 58.1 < 0.8
    assert grade_of("46.48", "58.1") == "B"
    assert grade_of("0.88", "1.1") == "B"


ratios = st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False)


@given(target=st.decimals(min_value="0.001", max_value=10**6, places=3), a=ratios, b=ratios)
def test_grade_never_falls_as_the_actual_grows(target: Decimal, a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    order = DEFAULT_RULE.labels  # best first
    assert order.index(grade_of(str(high), str(target))) <= order.index(
        grade_of(str(low), str(target))
    )


def test_no_actual_gives_no_grade_and_zero_target_a_problem() -> None:
    measure = Measure(
        name="テスト",
        kpis=[
            Kpi(name="実績なし", target=Decimal(10)),
            Kpi(
                name="目標0", target=Decimal(0), actuals={2024: Decimal(5)}, cells={"target": "F8"}
            ),
        ],
        file="a.xlsx",
        sheet="施策1",
    )
    problems = grade_measure(measure)
    assert measure.kpis[0].grades == {}
    assert measure.kpis[1].grades == {}
    assert [(p.code, p.file, p.sheet, p.cell) for p in problems] == [
        ("target-not-positive", "a.xlsx", "施策1", "F8")
    ]


def test_a_ratio_beyond_reason_is_named_not_graded() -> None:
    tiny = Decimal("0." + "0" * 400 + "1")  # a decimal point in the wrong place
    misplaced = Kpi(name="目標の桁", target=tiny, actuals={2024: Decimal(5), 2025: Decimal(6)})
    fewer = Kpi(name="少ない方が良い", target=Decimal(10), direction="lower",
                actuals={2024: Decimal("1E-20"), 2025: Decimal(20)})  # fmt: skip
    measure = Measure(name="テスト", kpis=[misplaced, fewer], file="a.xlsx", sheet="施策1")
    problems = grade_measure(measure)
    assert [(p.code, p.message) for p in problems] == [
        ("ratio-out-of-range", "「目標の桁」の 2024・2025年度の達成率が 10 の 17 乗 % 以上になるため、評価できません。"),
        ("ratio-out-of-range", "「少ない方が良い」の 2024年度の達成率が 10 の 17 乗 % 以上になるため、評価できません。"),
    ]  # fmt: skip
    assert misplaced.grades == {} and misplaced.ratios == {}
    assert fewer.grades == {2025: "C"} and fewer.ratios == {2025: Fraction(1, 2)}


def test_rule_description_states_the_bands() -> None:
    text = DEFAULT_RULE.describe()
    assert "A: 100%以上" in text
    assert "B: 80%以上100%未満" in text
    assert "C: 50%以上80%未満" in text
    assert "D: 50%未満" in text
    assert Fraction(4, 5) in [band.at_least for band in DEFAULT_RULE.bands]


@pytest.mark.parametrize(
    "name",
    ["1人1日当たりのごみ排出量", "家庭ごみの量", "温室効果ガス量", "公共施設のCO2量", "空き家数",
     "空き店舗数", "不登校児童生徒数", "自殺者数", "新規就農者の離職者数", "成人の喫煙率",
     "公共施設のＣＯ２量", "空き 家数", "交通 事故件数"],
)  # fmt: skip
def test_a_kpi_named_for_something_that_should_fall_and_a_lower_target_is_flagged(
    name: str,
) -> None:
    """Graded higher-is-better for want of a direction: the merge warns (direction-unstated)."""
    kpi = Kpi(name=name, baseline=Decimal(500), target=Decimal(450))
    assert looks_lower_is_better(kpi, DEFAULT_RULE)
    kpi.target = Decimal(550)  # a target above the baseline: nothing says less is better
    assert not looks_lower_is_better(kpi, DEFAULT_RULE)
