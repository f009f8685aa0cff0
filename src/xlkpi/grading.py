"""Grade each KPI for each year, by the rule in force (the seed's by default).

The seed's rule: 達成率 = 実績値 / 目標値, banded on the exact ratio (A ≥ 100 %,
B ≥ 80 %, C ≥ 50 %, else D). Ratios are Fractions of the Decimals read from the
form, so 58.4 / 58.1 is compared with 1 exactly, with no float drift.

A settings file (see `settings`) may change the bands, use progress from the
baseline, make some KPIs lower-is-better, round before banding, or grade a
target of 0 by whether it was reached.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from xlkpi.model import Kpi, Measure, actual_key
from xlkpi.problems import Problem, problem
from xlkpi.values import era_name, fold_label
from xlkpi.workbook import parse_ref

RATIO, PROGRESS = "ratio", "progress"  # methods
HIGHER, LOWER = "higher", "lower"  # directions
ERROR, REACHED = "error", "reached"  # what a zero denominator does


@dataclass(frozen=True, slots=True)
class Band:
    label: str
    at_least: Fraction  # the lowest ratio that earns this label


@dataclass(frozen=True, slots=True)
class Rule:
    """Bands from best to worst; below the last band a KPI gets `floor`."""

    bands: tuple[Band, ...] = (
        Band("A", Fraction(1)),
        Band("B", Fraction(4, 5)),
        Band("C", Fraction(1, 2)),
    )
    floor: str = "D"
    good: int = 2  # the top bands counted together in "A及びB"
    method: str = RATIO
    rounding: int | None = None  # decimals of the percentage, rounded half-up before banding
    zero_target: str = ERROR  # target 0 (ratio) or target = baseline (progress)
    lower_is_better: frozenset[str] = frozenset()  # folded 成果指標 names
    source: str = ""  # the settings file, for the description

    @property
    def labels(self) -> tuple[str, ...]:
        return (*(band.label for band in self.bands), self.floor)

    @property
    def good_labels(self) -> tuple[str, ...]:
        return self.labels[: self.good]

    def grade(self, ratio: Fraction) -> str:
        for band in self.bands:
            if ratio >= band.at_least:
                return band.label
        return self.floor

    def direction(self, kpi: Kpi) -> str:
        """The form's 方向 first, then the settings; higher is better by default."""
        if kpi.direction:
            return kpi.direction
        return LOWER if fold_label(kpi.name) in self.lower_is_better else HIGHER

    def rounded(self, ratio: Fraction) -> Fraction:
        if self.rounding is None:
            return ratio
        percent = Decimal(ratio.numerator) * 100 / Decimal(ratio.denominator)
        step = Decimal(1).scaleb(-self.rounding)
        return Fraction(percent.quantize(step, rounding=ROUND_HALF_UP)) / 100

    def describe(self) -> str:
        parts = []
        upper: Fraction | None = None
        for band in self.bands:
            low = _percent(band.at_least)
            parts.append(f"{band.label}: {low}以上" + (f"{_percent(upper)}未満" if upper else ""))
            upper = band.at_least
        parts.append(f"{self.floor}: {_percent(upper or Fraction(0))}未満")
        if self.method == PROGRESS:
            how = "達成率 = (実績値 − 現状値) ÷ (目標値 − 現状値)（現状値からの進捗）"
        else:
            how = "達成率 = 実績値 ÷ 目標値"
            if self.lower_is_better:
                how += "（低い方が良い指標は 目標値 ÷ 実績値）"
        if self.rounding is None:
            how += "（端数処理をせずに判定）"
        else:
            digits = "整数" if self.rounding == 0 else f"小数第{self.rounding}位"
            how += f"（百分率の{digits}に四捨五入して判定）"
        text = f"{how}。" + "、".join(parts)
        if self.zero_target == REACHED:
            zero = "目標値が 0" if self.method == RATIO else "目標値が現状値と同じ"
            text += f"。{zero}の指標は、目標に達していれば {self.labels[0]}、達していなければ {self.floor}"
        if self.lower_is_better:
            text += f"。低い方が良い指標: {len(self.lower_is_better)} 件"
        if self.source:
            text += f"（設定ファイル {self.source}）"
        return text


DEFAULT_RULE = Rule()


def _percent(ratio: Fraction) -> str:
    value = Decimal(ratio.numerator) / Decimal(ratio.denominator) * 100
    return f"{value.normalize():f}%"


def achievement(actual: Decimal, target: Decimal) -> Fraction:
    return Fraction(actual) / Fraction(target)


# Words of KPIs that count what should fall: 交通事故件数, 待機児童数, ごみ排出量.
REDUCTION_WORDS = ("事故", "火災", "犯罪", "待機児童", "死亡", "負傷", "被害", "排出", "不法投棄",
                   "放棄", "滞納", "未納", "減少", "抑制", "所要時間", "到着時間", "待ち時間",
                   "ごみ", "温室効果ガス", "二酸化炭素", "CO2", "空き家", "空家", "空き店舗",
                   "不登校", "自殺", "虐待", "離職", "喫煙", "肥満", "渋滞", "失業", "苦情")  # fmt: skip


def looks_lower_is_better(kpi: Kpi, rule: Rule) -> bool:
    """Graded higher-is-better for want of a direction, though its name and a target below
    the baseline say less is better. Either alone is no sign: the seed lowers three targets
    of higher-is-better KPIs for a falling population. Progress from the baseline needs
    no direction: it measures the way to the target, up or down."""
    return (
        rule.method == RATIO
        and not kpi.direction
        and kpi.baseline is not None
        and kpi.target is not None
        and kpi.target < kpi.baseline
        and _counts_what_should_fall(kpi.name)
        and rule.direction(kpi) == HIGHER  # not made lower-is-better by the settings
    )


def _counts_what_should_fall(name: str) -> bool:
    """Folded as labels are (NFKC, no spaces): 「ＣＯ２量」 and 「空き 家数」 match too."""
    folded = fold_label(name)
    return any(word in folded for word in REDUCTION_WORDS)


def grade_measure(measure: Measure, rule: Rule = DEFAULT_RULE) -> list[Problem]:
    """Fill each KPI's ratios and grades; problems for KPIs that cannot be graded."""
    problems: list[Problem] = []
    for kpi in measure.kpis:
        kpi.ratios.clear()
        kpi.grades.clear()
        found = _grade_kpi(kpi, rule)
        if found is None and kpi.grades and looks_lower_is_better(kpi, rule):
            found = "direction-unstated", {"target": kpi.target, "baseline": kpi.baseline}
        if found is not None:
            code, params = found
            ref = kpi.cells.get("target", "")
            problems.append(
                problem(
                    code,
                    file=measure.file,
                    sheet=measure.sheet,
                    cell=ref if parse_ref(ref) else "",
                    kpi=kpi.name,
                    **params,
                )
            )
    return problems


def _grade_kpi(kpi: Kpi, rule: Rule) -> tuple[str, dict[str, object]] | None:
    """Grades every year with an actual, or says why none can be given."""
    target = kpi.target
    if target is None or not kpi.actuals:
        return None  # the reader has reported a missing target; no actual, no grade
    lower = rule.direction(kpi) == LOWER
    if rule.method == PROGRESS:
        base = kpi.baseline
        if base is None:
            return "progress-no-baseline", {}
        span = Fraction(target) - Fraction(base)  # negative when less is better: still progress
        if span == 0:
            if rule.zero_target == REACHED:
                _grade_reached(kpi, rule, lower)
                return None
            return "progress-no-span", {"value": target}
        progress = {y: (Fraction(a) - Fraction(base)) / span for y, a in kpi.actuals.items()}
        return _grade_years(kpi, progress, rule)
    if target == 0 and rule.zero_target == REACHED:
        _grade_reached(kpi, rule, lower)
        return None
    if target <= 0:
        return "target-not-positive", {"value": target}
    ratios: dict[int, Fraction] = {}
    for year, actual in kpi.actuals.items():
        if not lower:
            ratios[year] = achievement(actual, target)
        elif actual > 0:
            ratios[year] = Fraction(target) / Fraction(actual)
        else:  # nothing at all where less is better: the target is met
            kpi.grades[year] = rule.labels[0]
    return _grade_years(kpi, ratios, rule)


# 10^17 %: only a misplaced digit or decimal point gets a ratio this far, and
# beyond it a ratio no longer fits the decimal arithmetic of the summary.
RATIO_LIMIT = Fraction(10**15)


def _grade_years(
    kpi: Kpi, ratios: dict[int, Fraction], rule: Rule
) -> tuple[str, dict[str, object]] | None:
    """Grade each year's ratio; a year whose ratio is out of range gets no grade, and is named."""
    beyond = sorted(year for year, ratio in ratios.items() if abs(ratio) >= RATIO_LIMIT)
    for year, ratio in ratios.items():
        if year not in beyond:
            shown = rule.rounded(ratio)
            kpi.ratios[year] = shown
            kpi.grades[year] = rule.grade(shown)
    if beyond:
        return "ratio-out-of-range", {"year": "・".join(map(str, beyond))}
    return None


def _grade_reached(kpi: Kpi, rule: Rule, lower: bool) -> None:
    """No ratio can be computed: the best label if the target was reached, else the floor."""
    assert kpi.target is not None
    for year, actual in kpi.actuals.items():
        reached = actual <= kpi.target if lower else actual >= kpi.target
        kpi.grades[year] = rule.labels[0] if reached else rule.floor


def why_ungraded(
    measure: Measure,
    kpi: Kpi,
    year: int,
    rule: Rule = DEFAULT_RULE,
    *,
    refused: Container[str] = frozenset(),
    off_form: str = "",
) -> str:
    """Why `kpi` has no grade for `year`, in a few words: the tallies' 評価なし.

    `refused` holds the places ("file!sheet!cell") of values refused with an error, which
    tells an actual typed but unreadable from one never typed. `off_form` is said for a
    year the form has no column for (the previous year, matched from last year's summary).
    """

    def was_refused(key: str) -> bool:
        cell = kpi.cells.get(key)
        return cell is not None and f"{measure.file}!{measure.sheet}!{cell}" in refused

    if year not in kpi.actuals:
        if measure.years and year not in measure.years:
            return off_form or f"調書に{era_name(year)}の列なし"
        return "実績値が読み取れない" if was_refused(actual_key(year)) else "実績値なし"
    target = kpi.target
    if target is None:
        return "目標値が読み取れない" if was_refused("target") else "目標値なし"
    if rule.method == PROGRESS:
        if kpi.baseline is None:
            return "現状値なし"
        if kpi.baseline == target and rule.zero_target != REACHED:
            return "目標値と現状値が同じ"
    elif target <= 0 and not (target == 0 and rule.zero_target == REACHED):
        return "目標値が0" if target == 0 else "目標値が負の数"
    if year not in kpi.ratios and year not in kpi.grades:
        return "達成率が範囲外"
    return "評価欄が空欄"  # gradable, and graded, until the grade was deleted in the summary
