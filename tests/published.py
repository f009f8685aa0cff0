"""The FY2024 (令和6年度) results as the seed report publishes them, typed in by hand.

Source: ../shared/seeds/000_d8f0ec1620f126f4.txt, "成果指標（KPI）達成状況一覧" (R6
column) and "政策分野別の達成状況". Nothing here is produced by xlkpi.
"""

from __future__ import annotations

# No. -> the R6 grade of each KPI, in the order the list prints them.
GRADES_2024: dict[int, list[str]] = {
    1: ["A"],
    2: ["B"],
    3: ["A"],
    4: ["A"],
    5: ["A"],
    6: ["C"],
    7: ["C"],
    8: ["A"],
    9: ["C"],
    10: ["C"],
    11: ["B"],
    12: ["B"],
    13: ["B"],
    14: ["D"],
    15: ["C"],
    16: ["A"],
    17: ["A"],
    18: ["A"],
    19: ["C"],
    20: ["B"],
    21: ["C"],
    22: ["B"],
    23: ["B", "C"],
    24: ["B"],
    25: ["A"],
    26: ["C"],
    27: ["A"],
    28: ["A"],
    29: ["A"],
    31: ["B"],
    32: ["B"],
    33: ["A", "B"],
}

# The measure names as the list prints them (the forms spell two of them differently:
# 起業・創業支援事業 for No. 17 and 地元学学習事業 for No. 20).
LIST_NAMES: dict[int, str] = {
    1: "休日・夜間診療体制確保事業",
    2: "地域医療確保対策事業",
    3: "子育て世代の負担軽減事業",
    4: "子育て環境整備事業",
    5: "在宅医療・介護連携推進事業",
    6: "介護人材育成事業",
    7: "成年後見制度利用支援事業",
    8: "インバウンド推進事業",
    9: "観光地間二次交通整備事業",
    10: "もち食文化発信事業",
    11: "一関・平泉バルーンフェスティバル事業",
    12: "地域内発型産業創出事業",
    13: "企業立地促進事業",
    14: "地産外商促進事業",
    15: "農林水産業6次産業化支援事業",
    16: "地元就業定着支援事業",
    17: "起業・創業応援事業",
    18: "学校給食運営事業",
    19: "将来世代の人材育成事業",
    20: "地元学事業",
    21: "学術・スポーツ振興事業",
    22: "世界文化遺産調査整備事業",
    23: "世界遺産価値向上推進事業",
    24: "広域消防事業",
    25: "生活バス路線対策事業",
    26: "主要幹線道路等整備促進事業",
    27: "幹線道路等整備事業",
    28: "協働のまちづくり事業",
    29: "多文化共生推進事業",
    31: "移住定住交流促進事業",
    32: "結婚活動支援事業",
    33: "DX地域活性化事業",
}
FORM_NAMES = {**LIST_NAMES, 17: "起業・創業支援事業", 20: "地元学学習事業"}

# 政策分野別の達成状況: viewpoint -> policy field (the forms' wording) -> grade counts.
# One known exception: the seed prints 交通インフラ整備 as B:1 C:1, but its own list and
# data give 幹線道路等整備事業 58.4 / 58.1 = 100.5 % -> A, so the rule gives A:1 C:1.
FIELD_TALLIES_2024: dict[str, dict[str, dict[str, int]]] = {
    "生活機能の強化": {
        "医療": {"A": 1, "B": 1},
        "福祉": {"A": 3, "C": 2},
        "産業振興": {"A": 3, "B": 3, "C": 3, "D": 1},
        "教育及び文化": {"A": 1, "B": 3, "C": 3},
        "消防防災": {"B": 1},
    },
    "結びつきやネットワークの強化": {
        "地域公共交通": {"A": 1},
        "交通インフラの整備": {"A": 1, "C": 1},
        "協働のまちづくり": {"A": 2},
        "地域内外の住民との交流、移住促進": {"B": 2},
    },
    "圏域マネジメント能力の強化": {"中心市等における人材育成": {"A": 1, "B": 1}},
}
SEED_PRINTED_TRANSPORT = {"B": 1, "C": 1}  # what the seed prints for 交通インフラ整備
OVERALL_2024 = {"A": 13, "B": 11, "C": 9, "D": 1}
GOOD_SHARE_2024 = "70.6%"  # 24 / 34
VIEWPOINT_SHARES_2024 = {
    "生活機能の強化": "64.0%",  # 16 / 25
    "結びつきやネットワークの強化": "85.7%",  # 6 / 7
    "圏域マネジメント能力の強化": "100.0%",  # 2 / 2
}
# Measures the report names as C or D in both R5 and R6.
CONTINUING_CD_2024 = [
    "観光地間二次交通整備事業",
    "もち食文化発信事業",
    "地産外商促進事業",
    "学術・スポーツ振興事業",
]

# 【C、D】の指標に係る施策名, as the seed prints them for each viewpoint (none for (3)).
# Two slips: it leaves out 地産外商促進事業 (No. 14, graded D in its own list), and its
# circled numbers ⑳ and ㉔ are not its own list's No. 21 and 26.
CD_LISTS_PRINTED_2024: dict[str, list[str]] = {
    "生活機能の強化": [
        "⑥ 介護人材育成事業",
        "⑦ 成年後見制度利用支援事業",
        "⑨ 観光地間二次交通整備事業",
        "⑩ もち食文化発信事業",
        "⑮ 農林水産業6次産業化支援事業",
        "⑲ 将来世代の人材育成事業",
        "⑳ 学術・スポーツ振興事業",
        "㉓ 世界遺産価値向上推進事業",
    ],
    "結びつきやネットワークの強化": ["㉔ 主要幹線道路等整備促進事業"],
    "圏域マネジメント能力の強化": [],
}
# 政策分野別の達成状況, the 達成状況 column as printed (the seed's field names differ from the
# forms' in places, e.g. 「共同のまちづくり」, 「交通インフラ整備」).
FIELD_TEXTS_PRINTED_2024: dict[str, list[str]] = {
    "生活機能の強化": [
        "A : 1項目 B : 1項目",
        "A : 3項目 C : 2項目",
        "A : 3項目 B : 3項目 C : 3項目 D : 1項目",
        "A : 1項目 B : 3項目 C : 3項目",
        "B : 1項目",
    ],
    "結びつきやネットワークの強化": [
        "A : 1項目",
        "B : 1項目 C : 1項目",  # the slip: 幹線道路等整備事業 is an A
        "A : 2項目",
        "B : 2項目",
    ],
    "圏域マネジメント能力の強化": ["A : 1項目 B : 1項目"],
}
# The seed's sentence on the measures weak in both years, up to where its judgement begins.
CONTINUING_SENTENCE_2024 = (
    "一方で、観光地間二次交通整備事業、もち食文化発信事業、地産外商促進事業、学術・スポーツ振興事業の"
    "4項目は、令和5年度から継続してCまたはDの達成状況となっており、"
)
# 事業費（千円） per measure and plan year (2024-2028) of 結びつきやネットワークの強化 and
# 圏域マネジメント能力の強化, from the seed's measure tables.
BUDGETS_PRINTED: dict[str, dict[int, tuple[int, int, int, int, int]]] = {
    "結びつきやネットワークの強化": {
        25: (321_177, 327_399, 327_399, 327_399, 327_399),
        26: (625, 325, 325, 325, 325),
        27: (1_082_840, 983_624, 993_000, 964_000, 964_000),
        28: (162_654, 194_795, 199_195, 199_195, 199_195),
        29: (17_459, 20_779, 19_876, 19_476, 19_476),
        31: (51_196, 47_995, 47_009, 34_052, 34_052),
        32: (22_294, 20_134, 20_934, 20_134, 20_134),
    },
    "圏域マネジメント能力の強化": {33: (7_889, 10_020, 10_020, 10_020, 3_120)},
}
# Measure 1's table: 事業費 as printed, and its R6 actual.
FIRST_MEASURE_BUDGETS = ["48,221", "47,349", "47,349", "47,349", "47,349"]
# インバウンド推進事業: 163,944人 against a target of 121,700人 (the seed's table).
INBOUND_ACTUAL, INBOUND_TARGET = 163_944, 121_700
