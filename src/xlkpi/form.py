"""The KPI form (one sheet per measure): fields, labels, synonyms, choices, layout.

This module is the single definition that both the template writer and the
reader use. The reader finds fields by label (any of `Field.names`, compared
after `values.split_label`), never by cell address; the layout below only tells
the template writer where to put things.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from xlkpi.values import LabelText, fold_label, plain_year, split_label, year_header


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    label: str  # as printed in the template
    synonyms: tuple[str, ...] = ()
    long_text: bool = False  # a free-text block (wrapped, tall row)
    optional: bool = False  # left blank without a warning

    @property
    def names(self) -> tuple[str, ...]:
        return (self.label, *self.synonyms)


NUMBER = Field("number", "施策番号", ("No.", "No", "番号", "施策No.", "施策No"))
NAME = Field("name", "施策名")
VIEWPOINT = Field("viewpoint", "連携する視点", ("連携する事項",))
POLICY_FIELD = Field("policy_field", "政策分野")
DEVELOPMENT = Field("development", "施策の展開", ("政策の内容",))
SDGS = Field("sdgs", "SDGsとの関連性", ("SDGs",), optional=True)  # not on the FY2024 forms
CONTENT = Field("content", "取組内容", ("取組の内容",), long_text=True)
KPI = Field("kpi", "成果指標 (KPI)", ("成果指標", "重要業績評価指標 (KPI)", "重要業績評価指標"))
KPI_NAME = Field("kpi_name", "指標名", ("成果指標名",))
UNIT = Field("unit", "単位")
# Optional column of the KPI table (the blank template has none; forms writes it when a
# measure has a direction): is a higher or a lower value better?
DIRECTION = Field("direction", "方向", ("指標の方向", "評価の方向"))
DIRECTION_WORDS: dict[str, str] = {  # a written direction -> "higher" / "lower"
    "高い方が良い": "higher",
    "高いほうが良い": "higher",
    "高": "higher",
    "上": "higher",
    "↑": "higher",
    "増": "higher",
    "増加": "higher",
    "higher": "higher",
    "低い方が良い": "lower",
    "低いほうが良い": "lower",
    "低": "lower",
    "下": "lower",
    "↓": "lower",
    "減": "lower",
    "減少": "lower",
    "lower": "lower",
}  # keys as values.fold_label leaves them, lower-cased
DIRECTION_SHOWN: dict[str, str] = {"higher": "高い方が良い", "lower": "低い方が良い"}


def direction_of(word: str) -> str | None:
    """ "低い方が良い", "↓", "Lower" ... -> "lower"; None for a word that says neither."""
    return DIRECTION_WORDS.get(fold_label(word).lower())


BASELINE = Field("baseline", "現状値", ("基準値",))
TARGET = Field("target", "目標値")
MUNICIPALITIES = Field("municipalities", "関係市町", ("関係市町村",))
PROJECTS = Field("projects", "事業名称", ("事業名",), long_text=True)
EFFECT = Field("effect", "事業効果", long_text=True)
FISCAL_YEARS = Field("fiscal_years", "実施年度")
BUDGET = Field("budget", "事業費 (千円)", ("事業費",))
ROLES = Field("roles", "役割分担", long_text=True)
ACTUALS = Field("actuals", "実績値", ("実績",))
EVALUATION = Field("evaluation", "年度評価", ("評価",), long_text=True)
NEXT_STEPS = Field(
    "next_steps",
    "次年度以降の取組",
    ("次年度以降の取り組み", "次年度以降の取組み", "今後の取組"),
    long_text=True,
)

FIELDS: tuple[Field, ...] = (
    NUMBER,
    NAME,
    VIEWPOINT,
    POLICY_FIELD,
    DEVELOPMENT,
    SDGS,
    CONTENT,
    KPI,
    KPI_NAME,
    UNIT,
    DIRECTION,
    BASELINE,
    TARGET,
    MUNICIPALITIES,
    PROJECTS,
    EFFECT,
    FISCAL_YEARS,
    BUDGET,
    ROLES,
    ACTUALS,
    EVALUATION,
    NEXT_STEPS,
)

# Free-text fields carried through to the summary, in form order.
TEXT_FIELDS: tuple[Field, ...] = (
    DEVELOPMENT,
    SDGS,
    CONTENT,
    MUNICIPALITIES,
    PROJECTS,
    EFFECT,
    ROLES,
    EVALUATION,
    NEXT_STEPS,
)
# Without these three labels a sheet is not a KPI form.
ANCHORS: tuple[Field, ...] = (NAME, KPI, ACTUALS)
# Labels of this many fields, on as many rows, make a sheet a form even without its anchors.
FORM_LIKE_FIELDS = 4

# Rows under the 実績値 header and columns beside its years that are not KPI values:
# a 達成率 row (worked out from the values), a 実績/見込 status row, a 備考 column.
NOT_KPI_ROWS = ("達成率", "達成度", "進捗率", "達成状況")
STATUS_HEADS = ("区分", "状況", "状態")
STATUS_WORDS = frozenset({"実績", "実績値", "見込", "見込み", "見込値", "速報", "速報値", "確定",
                          "確定値", "予定", "計画", "暫定", "暫定値", "目標"})  # fmt: skip
REMARKS = ("備考", "摘要", "注記", "特記事項", "メモ", "コメント", "注")


def is_remarks(raw: object) -> bool:
    return type(raw) is str and normalise_label(raw) in REMARKS


def not_kpi_row(head: object, cells: list[object]) -> bool:
    """A row of the actuals grid that holds no KPI's values: headed 達成率 (or the like),
    or with only status words (実績, 見込) in its cells."""
    named = split_label(normalise_label(head)).core if type(head) is str else ""
    if named in NOT_KPI_ROWS:
        return True
    if named not in ("", *STATUS_HEADS):
        return False
    texts = [normalise_label(str(c)) for c in cells]
    return bool(texts) and all(t in STATUS_WORDS for t in texts)


MAX_KPIS = 3
KPI_ROW_LABEL = "指標{n}"
# 指標2, KPI2, 2, ② and (2), perhaps with a unit after: 指標2（人）
_KPI_ROW = re.compile(r"^(?:指標|KPI)?\(?(\d{1,2})\)?(?:\(.*\))?$")

FORM_SHEET = "施策"
INSTRUCTIONS_SHEET = "記入要領"
TITLE = "定住自立圏共生ビジョン 成果指標（KPI）実績調書"


@cache
def _label_index() -> dict[str, Field]:
    index: dict[str, Field] = {}
    for field in FIELDS:
        for name in field.names:
            index[split_label(name).core] = field
    return index


# What clerks put around a label without changing it: marks before it (■, ●, ※, ◎ ...),
# footnote marks and colons after it (※1, *, ：), invisible characters anywhere.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"))
_MARKS = "■□◆◇●○◎◉・･※*★☆▼▽▲△►▶▷◀〇♦◼◻-_"
_LEAD = re.compile(f"^[{re.escape(_MARKS)}]+")
_TAIL = re.compile(r"(?:※\d*|\*\d*|[:：]|注\d+)+$")
_WRAPPED = re.compile(r"^\(([^()]*)\)(.*)$")  # 【施策名】 -> 施策名, folded brackets are ()


def normalise_label(text: str) -> str:
    """A label cell's text as the form defines it: NFKC, no spaces, no invisible characters,
    no decoration before or after, a label wrapped whole in brackets unwrapped."""
    folded = fold_label(text.translate(_INVISIBLE))
    folded = _TAIL.sub("", _LEAD.sub("", folded))
    wrapped = _WRAPPED.match(folded)
    if wrapped and wrapped.group(1) and not re.fullmatch(r"[\dRH令和平成年度]+", wrapped.group(1)):
        folded = wrapped.group(1) + wrapped.group(2)
    return _TAIL.sub("", _LEAD.sub("", folded))


def match_label(text: str) -> tuple[Field, LabelText] | None:
    """The field a label cell names, or None. Years in the label are kept."""
    label = split_label(normalise_label(text))
    core = _TAIL.sub("", _LEAD.sub("", label.core))
    field = _label_index().get(core)
    return (field, LabelText(core, label.year)) if field else None


def inline_label(text: str) -> tuple[Field, str] | None:
    """A label and its value typed into one cell: "関係市町 一関市 平泉町"."""
    head, _, rest = text.strip().partition(" ")
    if not rest:
        head, _, rest = text.strip().partition("\u3000")
    if not rest.strip():
        return None
    found = match_label(head)
    return (found[0], rest.strip()) if found else None


def kpi_row_number(head: object) -> int | None:
    """A KPI row's head as a number: "指標2", "②" or 2 typed as a number -> 2; else None."""
    if type(head) is float and head.is_integer():
        head = int(head)
    if type(head) is not int and (type(head) is not str or not head):
        return None
    match = _KPI_ROW.match(fold_label(str(head)))
    return int(match.group(1)) if match else None


# --- Choices ----------------------------------------------------------------------

# 連携する視点 and the 政策分野 under each, as the FY2024 forms use them.
POLICY_FIELDS: dict[str, tuple[str, ...]] = {
    "生活機能の強化": ("医療", "福祉", "産業振興", "教育及び文化", "消防防災"),
    "結びつきやネットワークの強化": (
        "地域公共交通",
        "交通インフラの整備",
        "協働のまちづくり",
        "地域内外の住民との交流、移住促進",
    ),
    "圏域マネジメント能力の強化": ("中心市等における人材育成",),
}
VIEWPOINTS: tuple[str, ...] = tuple(POLICY_FIELDS)
# Spellings seen in published lists, mapped to the form's wording.
CHOICE_SYNONYMS: dict[str, str] = {
    "消防・防災": "消防防災",
    "交通インフラ整備": "交通インフラの整備",
    "中心市における人材育成": "中心市等における人材育成",
    "地域内外の住民との交流・移住促進": "地域内外の住民との交流、移住促進",
}


@cache
def _choice_index() -> dict[str, str]:
    index = {fold_label(name): name for name in VIEWPOINTS}
    for fields in POLICY_FIELDS.values():
        index.update({fold_label(name): name for name in fields})
    index.update({fold_label(k): v for k, v in CHOICE_SYNONYMS.items()})
    return index


# A numbering typed before a choice, as the vision document lists them: 「(1) 生活機能の強化」,
# 「①」 (NFKC makes it 1), 「1.」, 「ア」. Folded text, so brackets are already ().
_ENUMERATOR = re.compile(r"^(?:\(\d{1,2}\)|\d{1,2}[.、):]?|\(?[ア-コ][.、):]?)")


def canonical_choice(text: str) -> str | None:
    """The form's spelling of a viewpoint or policy field, or None if unknown."""
    index = _choice_index()
    folded = fold_label(text)
    found = index.get(folded)
    if found is None:
        bare = _ENUMERATOR.sub("", folded, count=1)
        found = index.get(bare) if bare != folded else None
    return found


def viewpoint_of(policy_field: str) -> str | None:
    """The viewpoint a policy field (the form's spelling) belongs to; None for a viewpoint."""
    return next((v for v, fields in POLICY_FIELDS.items() if policy_field in fields), None)


# --- Plan period and layout ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    first_year: int = 2024
    last_year: int = 2028
    base_year: int = 2022

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.last_year + 1))

    def baseline_label(self, year: int | None = None) -> str:
        """ "現状値 (2022 (R4) 年度)": the period's base year unless a measure has its own."""
        return f"{BASELINE.label} ({year_header(year or self.base_year)} 年度)"

    def target_label(self, year: int | None = None) -> str:
        """ "目標値 (2028 (R10) 年度)": the period's last year unless a measure has its own."""
        return f"{TARGET.label} ({year_header(year or self.last_year)} 年度)"


DEFAULT_PERIOD = Period()
MAX_PLAN_YEARS = 10


def parse_period(text: str | None, base_year: int | None) -> Period:
    """ "2027-2031", "R9〜R13" or "令和9年度～令和13年度", and a base year; the base year
    defaults to two years before."""
    if text is None:
        first, last = DEFAULT_PERIOD.first_year, DEFAULT_PERIOD.last_year
    else:
        match [plain_year(part) for part in re.split(r"[-‐－~〜～]", text)]:
            case [int(first), int(last)]:
                pass
            case _:
                raise ValueError(
                    f"計画期間「{text}」は 2027-2031 や R9-R13 のように指定してください。"
                )
    if not 1989 <= first <= last < first + MAX_PLAN_YEARS or last > 2200:
        raise ValueError(
            f"計画期間 {first}-{last} は使えません（1989 年以降、{MAX_PLAN_YEARS} 年以内）。"
        )
    base = first - 2 if base_year is None else base_year
    if not first - MAX_PLAN_YEARS <= base <= first:
        raise ValueError(
            f"現状値の年度 {base} は計画期間の初年度 {first} 以前の近い年にしてください。"
        )
    return Period(first_year=first, last_year=last, base_year=base)


Cell = tuple[int, int]  # zero-based (row, column)


@dataclass(frozen=True)
class Layout:
    """Where the template puts each label and input cell (zero-based)."""

    period: Period
    last_col: int
    title: Cell
    labels: dict[str, Cell]  # field key -> label cell
    inputs: dict[str, tuple[Cell, Cell]]  # field key -> (first, last) of the merged input
    kpi_header_row: int
    kpi_rows: tuple[int, ...]
    kpi_columns: dict[str, tuple[int, int]]  # "kpi_name"/"unit"/"baseline"/"target" -> cols
    year_columns: dict[int, int]
    fiscal_row: int
    budget_row: int
    actuals_header_row: int
    actual_rows: tuple[int, ...]
    last_row: int


def layout(period: Period = DEFAULT_PERIOD, kpi_count: int = MAX_KPIS) -> Layout:
    """The template's layout; `kpi_count` KPI rows (at least MAX_KPIS) for a measure with more."""
    kpi_count = max(kpi_count, MAX_KPIS)
    years = period.years
    last = max(5, len(years))
    row = 1
    labels: dict[str, Cell] = {}
    inputs: dict[str, tuple[Cell, Cell]] = {}

    def single(field: Field) -> None:
        nonlocal row
        labels[field.key] = (row, 0)
        inputs[field.key] = ((row, 1), (row, 1 if field is NUMBER else last))
        row += 1

    def pair(left: Field, right: Field) -> None:
        nonlocal row
        labels[left.key] = (row, 0)
        inputs[left.key] = ((row, 1), (row, 2))
        labels[right.key] = (row, 3)
        inputs[right.key] = ((row, 4), (row, last))
        row += 1

    single(NUMBER)
    single(NAME)
    pair(VIEWPOINT, POLICY_FIELD)
    pair(DEVELOPMENT, SDGS)
    single(CONTENT)
    kpi_header_row = row
    labels[KPI.key] = (row, 0)
    kpi_columns = {
        KPI_NAME.key: (1, last - 3),
        UNIT.key: (last - 2, last - 2),
        BASELINE.key: (last - 1, last - 1),
        TARGET.key: (last, last),
    }
    kpi_rows = tuple(range(row + 1, row + 1 + kpi_count))
    row += 1 + kpi_count
    single(MUNICIPALITIES)
    single(PROJECTS)
    single(EFFECT)
    fiscal_row = row
    labels[FISCAL_YEARS.key] = (row, 0)
    labels[BUDGET.key] = (row + 1, 0)
    budget_row = row + 1
    row += 2
    single(ROLES)
    actuals_header_row = row
    labels[ACTUALS.key] = (row, 0)
    actual_rows = tuple(range(row + 1, row + 1 + kpi_count))
    row += 1 + kpi_count
    single(EVALUATION)
    single(NEXT_STEPS)
    return Layout(
        period=period,
        last_col=last,
        title=(0, 0),
        labels=labels,
        inputs=inputs,
        kpi_header_row=kpi_header_row,
        kpi_rows=kpi_rows,
        kpi_columns=kpi_columns,
        year_columns={year: 1 + i for i, year in enumerate(years)},
        fiscal_row=fiscal_row,
        budget_row=budget_row,
        actuals_header_row=actuals_header_row,
        actual_rows=actual_rows,
        last_row=row - 1,
    )
