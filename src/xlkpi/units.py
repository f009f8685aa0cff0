"""The unit grammar of a KPI value: an optional multiplier, then a unit word.

"163.9千人" is 163,900 人; "1.2百万円" is 1,200,000 円; "18品目" has a unit word of its own,
which is fine as long as a KPI's values share it. Units that count the same thing (人 and
名) are equivalent, and reading one as the other is told (kpis.py).
"""

from __future__ import annotations

import re
from decimal import Decimal

# Written before a unit: 千人, 万件, 百万円. 千円 is itself a unit (budgets are in 千円).
MULTIPLIERS: dict[str, Decimal] = {
    "億": Decimal(10) ** 8,
    "百万": Decimal(10) ** 6,
    "十万": Decimal(10) ** 5,
    "万": Decimal(10) ** 4,
    "千": Decimal(10) ** 3,
}
# A unit word not in the list: a few letters, perhaps per something (品目, 講座, 人/月).
_WORD = re.compile(
    r"^[\u3041-\u30ff\u4e00-\u9fffA-Za-z]{1,4}(?:/[\u3041-\u30ff\u4e00-\u9fffA-Za-z]{1,2})?$"
)
# Words that are never units: notes, bounds and words of a range or a total.
_NOT_UNITS = re.compile(
    r"速報|見込|暫定|概数|推計|確定|予定|時点|現在|以上|以下|未満|超|から|程度|集計|計測|未定|なし"
)
# Units that count the same thing, and the one they are read as.
EQUIVALENT: dict[str, str] = {
    "名": "人",
    "か所": "箇所",
    "カ所": "箇所",
    "ヶ所": "箇所",
    "ケ所": "箇所",
    "ヵ所": "箇所",
}
# Units that are a multiple of another: 千円 is 1,000 円.
SCALED: dict[str, tuple[Decimal, str]] = {"千円": (Decimal(1000), "円")}


def read_unit(
    unit: str, known: frozenset[str], *, words: bool = True
) -> tuple[Decimal, str] | None:
    """(multiplier, unit) for the text after a number; None when it is no unit. With
    `words`, a unit word not in `known` is a unit too (品目)."""
    if not unit or unit in known:
        return Decimal(1), unit
    for prefix, multiplier in MULTIPLIERS.items():
        rest = unit[len(prefix) :]
        if unit.startswith(prefix) and (not rest or rest in known):
            return multiplier, rest
    if words and _WORD.match(unit) and not _NOT_UNITS.search(unit) and unit[0] not in MULTIPLIERS:
        return Decimal(1), unit
    return None


def base(unit: str) -> tuple[Decimal, str]:
    """(scale, base unit): 千円 -> (1000, 円); 人/年 -> (1, 人); 名 -> (1, 人)."""
    if unit in SCALED:
        return SCALED[unit]
    head = unit.split("/")[0]
    return Decimal(1), EQUIVALENT.get(head, head)


def same_counter(a: str, b: str) -> bool:
    """Different words for one unit (人 and 名): equivalent, but worth a note."""
    a, b = a.split("/")[0], b.split("/")[0]
    return a != b and EQUIVALENT.get(a, a) == EQUIVALENT.get(b, b)
