"""A variation generator: the seed's 34 KPIs written into forms the way clerks draw them.

`seed_measures()` reads the seed's 32 measure tables (tests/seedforms.py) into plain
records: names, texts, and each KPI's baseline, target and FY2024 actual as printed.
`build()` writes such records into an .xlsx in memory with xlsxwriter, in the seed's
inline layout, changed by any set of variation classes (`CLASSES`): labels merged down or
decorated, values below their labels, unit multipliers, number formats, circled markers,
year headers, extra rows and columns, and clerk habits (print setup, comments, shapes,
images, validation, hidden helper columns, formulas with cached results ...).

Every class keeps what the form means: each KPI must still get the grade the seed
publishes (tests/published.py), never one computed here. `check()` holds a merge result
to that: a KPI graded right, or an error naming a cell of its sheet; anything else (a
wrong grade, a KPI or a sheet gone, with no error) is a failure.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

import xlsxwriter

import seedforms
from published import FORM_NAMES, GRADES_2024
from xlkpi.problems import Severity

YEARS = (2024, 2025, 2026, 2027, 2028)
COLS = 6  # A..F, as the seed prints the form


# --- the seed's measures as records ---------------------------------------------------


@dataclass(frozen=True)
class Value:
    """A value as a clerk means it: a number and its unit ("" for none)."""

    number: Decimal
    unit: str = ""


@dataclass(frozen=True)
class KpiSpec:
    name: str
    baseline: Value | None
    target: Value
    actual: Value
    grade: str  # the seed's published FY2024 grade


@dataclass(frozen=True)
class MeasureSpec:
    number: int
    name: str
    viewpoint: str
    policy_field: str
    development: str
    content: str
    kpis: tuple[KpiSpec, ...]
    municipalities: str
    projects: str
    effect: str
    budgets: tuple[str, ...]
    roles: str
    evaluation: str
    next_steps: str


_VALUE = re.compile(r"^([\d,]+(?:\.\d+)?)(.*)$")


def _value(text: str) -> Value:
    match = _VALUE.match(text.strip())
    assert match, text
    return Value(Decimal(match.group(1).replace(",", "")), match.group(2).strip())


def _values(text: str) -> list[Value]:
    return [_value(part) for part in text.split()]


def _row(table: list[list[str]], *heads: str) -> list[str]:
    return next(r for r in table if r[0].startswith(heads))


def seed_measures() -> list[MeasureSpec]:
    """The 32 measures (34 KPIs) of the seed as records; grades from tests/published.py."""
    measures = []
    for number in seedforms.NUMBERS:
        table = seedforms.table(number)
        kpi_text = _row(table, "成果指標")[1]
        values = _row(table, "現状値")
        grades = GRADES_2024[number]
        names = kpi_text.split(" ", 1) if len(grades) == 2 else [kpi_text]
        baselines: list[Value | None] = list(_values(values[1]))
        targets = _values(values[3])
        if number == 23:  # the second KPI's target sits in E; it has no baseline
            targets.append(_value(values[4]))
            baselines.append(None)
        head = _row(table, "実績値")
        index = table.index(head)
        after_year = re.sub(r"^\d{4}\s*\(R\d+\)\s*", "", head[1])
        if after_year:
            actuals = _values(after_year)
        else:
            actuals = [_value(r[1]) for r in table[index + 1 : index + 1 + len(grades)]]
        kpis = tuple(
            KpiSpec(n, b, t, a, g)
            for n, b, t, a, g in zip(names, baselines, targets, actuals, grades, strict=True)
        )
        munis = values[5] if values[4] == "関係市町" else values[5].removeprefix("関係市町 ")
        measures.append(
            MeasureSpec(
                number=number,
                name=FORM_NAMES[number],
                viewpoint=_row(table, "連携する")[1],
                policy_field=_row(table, "連携する")[4],
                development=_row(table, "施策の展開", "政策の内容")[1],
                content=_row(table, "取組内容")[1],
                kpis=kpis,
                municipalities=munis,
                projects=_row(table, "事業名称")[1],
                effect=_row(table, "事業効果")[1],
                budgets=tuple(_row(table, "事業費")[1:6]),
                roles=_row(table, "役割分担")[1],
                evaluation=_row(table, "2024年度評価")[1],
                next_steps=_row(table, "次年度以降の取組")[1],
            )
        )
    assert sum(len(m.kpis) for m in measures) == 34
    return measures


# --- how a value is written -------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """One value as it will be written: text, or a number with a number format."""

    number: Decimal
    unit: str
    before: str = ""  # a marker or word before it: ①, 約
    after: str = ""  # a note after it: 速報値
    numeric: str | None = None  # a number format: the cell holds the number itself
    scale: Decimal = Decimal(1)  # the stored number is number * scale (real percents)
    formula: bool = False  # written as a formula with its cached result

    def text(self) -> str:
        number = f"{self.number:,f}"
        if "." in number:
            number = number.rstrip("0").rstrip(".")
        return f"{self.before}{number}{self.unit}{self.after}"


Role = str  # "baseline", "target", "actual"
Shower = Callable[[int, Role, Shown, "KpiSpec"], Shown]


# --- the form being drawn -------------------------------------------------------------


@dataclass
class Cell:
    value: object = ""
    fmt: str | None = None  # number format
    right: int = 0  # merged over this many more columns
    down: int = 0  # merged over this many more rows
    formula: str | None = None
    comment: str | None = None


@dataclass
class Row:
    key: str
    cells: list[Cell]
    hidden: bool = False


@dataclass
class Draft:
    spec: MeasureSpec
    rows: list[Row] = field(default_factory=list)
    sheet: str = ""
    label_map: Callable[[str], str] = lambda label: label  # how labels are decorated

    def find(self, key: str) -> int:
        return next(i for i, row in enumerate(self.rows) if row.key == key)

    def keyed(self, prefix: str) -> list[int]:
        return [i for i, row in enumerate(self.rows) if row.key.startswith(prefix)]

    @property
    def width(self) -> int:
        return max(len(r.cells) for r in self.rows)


@dataclass
class Options:
    """What the chosen classes change, at each stage of drawing a form."""

    show: list[Shower] = field(default_factory=list)
    formats: list[Shower] = field(default_factory=list)  # after show: how the result is typed
    layout: set[str] = field(default_factory=set)
    year_header: Callable[[int], Cell] = lambda y: Cell(f"{y} (R{y - 2018})")
    edits: list[Callable[[Draft], None]] = field(default_factory=list)
    moves: list[Callable[[Draft], None]] = field(default_factory=list)  # after edits: shifts
    sheet_edits: list[Callable[[object, object, Draft], None]] = field(default_factory=list)
    book_edits: list[Callable[[bytes], bytes]] = field(default_factory=list)
    sheet_name: Callable[[MeasureSpec, int], str] = lambda m, i: str(m.number)
    warns: set[str] = field(default_factory=set)  # warning codes the forms must get
    libreoffice: bool = False


def _shown(options: Options, index: int, role: Role, value: Value, kpi: KpiSpec) -> Shown:
    shown = Shown(value.number, value.unit)
    for show in (*options.show, *options.formats):
        shown = show(index, role, shown, kpi)
    return shown


def _value_cell(values: Sequence[Shown]) -> Cell:
    """One value as a number with its format, or several (or text) as one text cell."""
    if len(values) == 1 and values[0].numeric is not None:
        one = values[0]
        stored = one.number * one.scale
        number: float | int = int(stored) if stored == stored.to_integral() else float(stored)
        if one.formula:
            return Cell(number, fmt=one.numeric, formula=f"={number}*1")
        return Cell(number, fmt=one.numeric)
    return Cell(" ".join(v.text() for v in values))


def _text_row(key: str, label: str, text: str) -> Row:
    return Row(key, [Cell(label), Cell(text, right=COLS - 2), *[Cell() for _ in range(COLS - 2)]])


def draw(spec: MeasureSpec, options: Options) -> Draft:
    """The seed's inline layout for one measure, changed by the options' layout classes."""
    d = Draft(spec)
    kpis = spec.kpis
    n = len(kpis)

    def shown(role: Role) -> list[tuple[int, Shown]]:
        return [
            (i, _shown(options, i, role, v, k))
            for i, k in enumerate(kpis)
            if (v := getattr(k, role)) is not None
        ]

    d.rows.append(_text_row("name", "施策名", spec.name))
    d.rows.append(
        Row("viewpoint", [Cell("連携する視点"), Cell(spec.viewpoint, right=1), Cell(),
                          Cell("政策分野"), Cell(spec.policy_field, right=1), Cell()])
    )  # fmt: skip
    d.rows.append(
        Row("development", [Cell("施策の展開"), Cell(spec.development, right=1), Cell(),
                            Cell("SDGsとの関連性"), Cell("", right=1), Cell()])
    )  # fmt: skip
    d.rows.append(_text_row("content", "取組内容", spec.content))
    base_label, target_label = "現状値 (2022 (R4) 年度)", "目標値 (2028 (R10) 年度)"
    baselines, targets = shown("baseline"), shown("target")
    if "kpi_rows_merged" in options.layout:
        # 成果指標, 現状値 and 目標値 merged down over one row per KPI (two at least)
        rows = max(2, n)
        for i in range(rows):
            name = kpis[i].name if i < n else ""
            first = i == 0
            d.rows.append(Row(f"kpi:{i}", [Cell("成果指標 (KPI)" if first else "", down=rows - 1 if first else 0),
                                           Cell(name, right=COLS - 2), *[Cell() for _ in range(COLS - 2)]]))  # fmt: skip
        for i in range(rows):
            first = i == 0
            b = [s for j, s in baselines if j == i]
            t = [s for j, s in targets if j == i]
            d.rows.append(Row(f"values:{i}", [
                Cell(base_label if first else "", down=rows - 1 if first else 0),
                _value_cell(b) if b else Cell(),
                Cell(target_label if first else "", down=rows - 1 if first else 0),
                _value_cell(t) if t else Cell(),
                Cell("関係市町" if first else "", down=rows - 1 if first else 0),
                Cell(spec.municipalities if first else "", down=rows - 1 if first else 0),
            ]))  # fmt: skip
    else:
        names = "\n".join(k.name for k in kpis)
        d.rows.append(_text_row("kpi", "成果指標 (KPI)", names))
        b_cell = _value_cell([s for _, s in baselines])
        t_cell = _value_cell([s for _, s in targets])
        if "values_below" in options.layout:
            d.rows.append(Row("values_head", [Cell(base_label), Cell(target_label), Cell("関係市町", right=COLS - 3),
                                              *[Cell() for _ in range(COLS - 3)]]))  # fmt: skip
            d.rows.append(Row("values", [b_cell, t_cell, Cell(spec.municipalities, right=COLS - 3),
                                         *[Cell() for _ in range(COLS - 3)]]))  # fmt: skip
        else:
            d.rows.append(Row("values", [Cell(base_label), b_cell, Cell(target_label), t_cell,
                                         Cell("関係市町"), Cell(spec.municipalities)]))  # fmt: skip
    d.rows.append(_text_row("projects", "事業名称", spec.projects))
    d.rows.append(_text_row("effect", "事業効果", spec.effect))
    d.rows.append(Row("years", [Cell("実施年度"), *[options.year_header(y) for y in YEARS]]))
    d.rows.append(Row("budget", [Cell("事業費 (千円)"), *[Cell(b) for b in spec.budgets]]))
    d.rows.append(_text_row("roles", "役割分担", spec.roles))
    actuals = shown("actual")
    d.rows.append(Row("actuals_head", [Cell("実績値"), *[options.year_header(y) for y in YEARS]]))
    for i, s in actuals:
        d.rows.append(Row(f"actual:{i}", [Cell(), _value_cell([s]), *[Cell() for _ in YEARS[1:]]]))
    if "actuals_label_merged_down" in options.layout:
        d.rows[d.find("actuals_head")].cells[0].down = n
    d.rows.append(_text_row("evaluation", "2024年度評価", spec.evaluation))
    d.rows.append(_text_row("next_steps", "次年度以降の取組", spec.next_steps))
    return d


# --- writing the workbook ---------------------------------------------------------------


def _png() -> bytes:
    raw = zlib.compress(b"\x00\xff\x00\x00")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


PNG = _png()


@dataclass
class Written:
    """One form written: where it is and what it must read as."""

    file: str
    sheet: str
    spec: MeasureSpec


def build(
    file: str, specs: Iterable[MeasureSpec], options: Options, *, first_index: int = 0
) -> tuple[bytes, list[Written]]:
    """One department's workbook of forms, as bytes."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False})  # fmt: skip
    formats: dict[tuple[str | None, bool], object] = {}

    def fmt(code: str | None, wrap: bool = False) -> object:
        key = (code, wrap)
        if key not in formats:
            props: dict[str, object] = {"border": 1, "valign": "top"}
            if code is not None:
                props["num_format"] = code
            if wrap:
                props["text_wrap"] = True
            formats[key] = wb.add_format(props)
        return formats[key]

    written = []
    for index, spec in enumerate(specs, start=first_index):
        draft = draw(spec, options)
        draft.sheet = options.sheet_name(spec, index)
        for edit in (*options.edits, *options.moves):
            edit(draft)
        ws = wb.add_worksheet(draft.sheet)
        ws.set_column(0, 0, 18)
        ws.set_column(1, draft.width, 14)
        for r, row in enumerate(draft.rows):
            if row.hidden:
                ws.set_row(r, None, None, {"hidden": True})
            for c, cell in enumerate(row.cells):
                style = fmt(cell.fmt, isinstance(cell.value, str) and "\n" in cell.value)
                if cell.right or cell.down:
                    ws.merge_range(r, c, r + cell.down, c + cell.right, "", style)
                if cell.formula is not None:
                    ws.write_formula(r, c, cell.formula, style, cell.value)
                elif isinstance(cell.value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(cell.value, dt.time()), style)
                elif isinstance(cell.value, str):
                    if cell.value:
                        ws.write_string(r, c, cell.value, style)
                    elif not (cell.right or cell.down):
                        ws.write_blank(r, c, None, style)
                else:
                    ws.write_number(r, c, cell.value, style)  # type: ignore[arg-type]
                if cell.comment:
                    ws.write_comment(r, c, cell.comment)
        for sheet_edit in options.sheet_edits:
            sheet_edit(wb, ws, draft)
        written.append(Written(file, draft.sheet, spec))
    wb.close()
    data = out.getvalue()
    for book_edit in options.book_edits:
        data = book_edit(data)
    return data, written


# --- the variation classes -------------------------------------------------------------


@dataclass(frozen=True)
class Variation:
    name: str
    apply: Callable[[Options], None]
    group: str = ""  # at most one class of a group in a combination


def _label_edit(change: Callable[[str], str]) -> Callable[[Draft], None]:
    """Apply `change` to every printed label (column-A heads and inline labels)."""
    labels = ("施策名", "連携する視点", "政策分野", "施策の展開", "SDGsとの関連性", "取組内容",
              "成果指標 (KPI)", "現状値", "目標値", "関係市町", "事業名称", "事業効果", "実施年度",
              "事業費 (千円)", "役割分担", "実績値", "2024年度評価", "次年度以降の取組")  # fmt: skip

    def edit(draft: Draft) -> None:
        for row in draft.rows:
            for cell in row.cells:
                if isinstance(cell.value, str) and cell.value.startswith(labels):
                    cell.value = change(cell.value)

    return edit


def _core(label: str) -> tuple[str, str]:
    """ "現状値 (2022 (R4) 年度)" -> ("現状値", " (2022 (R4) 年度)")."""
    match = re.match(r"^([^ (（]+)(.*)$", label)
    assert match
    return match.group(1), match.group(2)


def _deco(before: str, after: str = "") -> Callable[[str], str]:
    def change(label: str) -> str:
        core, rest = _core(label)
        return f"{before}{core}{after}{rest}"

    return change


def _spaced(label: str) -> str:
    core, rest = _core(label)
    return "\u3000".join(core) + rest if len(core) <= 4 else core[:2] + "\u3000" + core[2:] + rest


def _invisible(label: str) -> str:
    return "\ufeff" + label + "\u200b"


def _show(change: Callable[[int, Role, Shown, KpiSpec], Shown]) -> Callable[[Options], None]:
    return lambda o: o.show.append(change)


def _typed(change: Shower) -> Callable[[Options], None]:
    return lambda o: o.formats.append(change)


def _counts(kpi: KpiSpec) -> bool:
    return kpi.target.unit == "人"


def _thousands(unit_word: str) -> Shower:
    """人 KPIs written in 千人 (as 千件 when `unit_word` is 件); others as they are."""

    def change(i: int, role: Role, s: Shown, kpi: KpiSpec) -> Shown:
        if not _counts(kpi) or s.unit != "人":
            return s
        return replace(s, number=s.number / 1000, unit="千" + unit_word)

    return change


def _as_unit(unit_word: str) -> Shower:
    def change(i: int, role: Role, s: Shown, kpi: KpiSpec) -> Shown:
        return replace(s, unit=unit_word + s.unit[1:]) if s.unit.startswith("人") else s

    return change


def _million_yen(i: int, role: Role, s: Shown, kpi: KpiSpec) -> Shown:
    """A count KPI turned into money: its actual in 百万円, the rest in 千円 (same ratio)."""
    if not _counts(kpi) or s.unit != "人":
        return s
    if role == "actual":
        return replace(s, number=s.number / 1000, unit="百万円")
    return replace(s, unit="千円")


def _shared_word(i: int, role: Role, s: Shown, kpi: KpiSpec) -> Shown:
    """Bare counts (No. 15, 28) given a unit word of their own: 18品目 / 38品目."""
    return replace(s, unit="品目") if not kpi.target.unit else s


def _actual_only(change: Callable[[Shown], Shown]) -> Shower:
    return lambda i, role, s, kpi: change(s) if role == "actual" else s


def _counter_synonym(i: int, role: Role, s: Shown, kpi: KpiSpec) -> Shown:
    return replace(s, unit="名") if role == "actual" and s.unit == "人" else s


def _circled(i: int, role: Role, s: Shown, kpi: KpiSpec) -> Shown:
    return replace(s, before="①②③"[i]) if len_kpis(kpi) > 1 else s


def len_kpis(kpi: KpiSpec) -> int:
    return _KPI_COUNT.get(kpi.name, 1)


_KPI_COUNT: dict[str, int] = {}


def _numeric(
    code_for: Callable[[Shown], tuple[str, Decimal] | None], formula: bool = False
) -> Shower:
    def change(i: int, role: Role, s: Shown, kpi: KpiSpec) -> Shown:
        if s.before or s.after or s.unit[:1] in "千万百":
            return s  # a note, a marker or a multiplier is text: a format drops none of them
        found = code_for(s)
        if found is None:
            return s
        code, scale = found
        return replace(s, numeric=code, scale=scale, formula=formula)

    return change


def _real_percent(s: Shown) -> tuple[str, Decimal] | None:
    return ("0.0%", Decimal("0.01")) if s.unit == "%" else None


def _literal_percent(s: Shown) -> tuple[str, Decimal] | None:
    return ('0.0"%"', Decimal(1)) if s.unit == "%" else None


def _escaped_percent(s: Shown) -> tuple[str, Decimal] | None:
    return ("0.0\\%", Decimal(1)) if s.unit == "%" else None


def _unit_literal(s: Shown) -> tuple[str, Decimal] | None:
    if s.unit == "%":
        return None
    word = s.unit or "件"
    return (f'[Blue]#,##0"{word}";[Red]-#,##0"{word}";0"{word}"', Decimal(1))


def _plain_number(s: Shown) -> tuple[str, Decimal] | None:
    return ("#,##0.##", Decimal(1)) if s.unit != "%" else ("0.0%", Decimal("0.01"))


def _fy(y: int) -> Cell:
    return Cell(f"FY{y}")


def _era_only(y: int) -> Cell:
    return Cell(f"{y - 2018}年度")


def _date_year(y: int) -> Cell:
    return Cell(dt.date(y, 4, 1), fmt='[$-ja-JP-x-gannen]ggge"年度"')


def _date_yyyy(y: int) -> Cell:
    return Cell(dt.date(y, 4, 1), fmt='yyyy"年度"')


def _actual_row(draft: Draft) -> int:
    """The first KPI row under the 実績値 header (the row below it when none is left)."""
    rows = draft.keyed("actual:")
    return rows[0] if rows else draft.find("actuals_head") + 1


def _add_row_after(key: str, make: Callable[[Draft], Row]) -> Callable[[Draft], None]:
    def edit(draft: Draft) -> None:
        at = max(draft.keyed(key), default=draft.find("actuals_head")) + 1
        draft.rows.insert(at, make(draft))

    return edit


def _status_row(draft: Draft) -> Row:
    return Row("status", [Cell(), Cell("実績"), *[Cell("見込") for _ in YEARS[1:]]])


def _ratio_row(draft: Draft) -> Row:
    kpi = draft.spec.kpis[0]
    ratio = kpi.actual.number / kpi.target.number * 100
    return Row("ratio", [Cell("達成率"), Cell(f"{ratio:.1f}%"), *[Cell() for _ in YEARS[1:]]])


def _remarks_column(draft: Draft) -> None:
    for index in (draft.find("actuals_head"), *draft.keyed("actual:")):
        row = draft.rows[index]
        row.cells.append(Cell("備考" if row.key == "actuals_head" else "速報値"))


def _number_row(draft: Draft) -> None:
    draft.rows.insert(
        0,
        Row(
            "number",
            [Cell("施策番号"), Cell(draft.spec.number), *[Cell() for _ in range(COLS - 2)]],
        ),
    )


def _department_block(draft: Draft) -> None:
    block = [
        Row("dept", [Cell("様式1"), *[Cell() for _ in range(COLS - 2)], Cell("保健福祉部 長寿社会課")]),
        Row("dept", [Cell("定住自立圏共生ビジョン 成果指標（KPI）実績調書", right=COLS - 1), *[Cell() for _ in range(COLS - 1)]]),
        Row("dept", [*[Cell() for _ in range(COLS - 2)], Cell("提出日"), Cell(dt.date(2025, 4, 30), fmt="yyyy/m/d")]),
        Row("dept", [*[Cell() for _ in range(COLS - 2)], Cell("担当"), Cell("山田 (内線 1234)")]),
        Row("dept", [Cell() for _ in range(COLS)]),
    ]  # fmt: skip
    draft.rows[0:0] = block


def _spacer_rows(draft: Draft) -> None:
    for key in ("content", "roles"):
        at = draft.find(key) + 1
        draft.rows.insert(at, Row("spacer", [Cell() for _ in range(COLS)]))


def _hidden_helper(wb: object, ws: object, draft: Draft) -> None:
    """A hidden column H of helper figures: checks a clerk keeps beside the form."""
    actual = _actual_row(draft)
    ws.write_string(0, 7, "確認用")  # type: ignore[attr-defined]
    ws.write_formula(actual, 7, f"=B{actual + 1}", None, 0)  # type: ignore[attr-defined]
    ws.set_column(7, 7, None, None, {"hidden": True})  # type: ignore[attr-defined]


def _print_setup(wb: object, ws: object, draft: Draft) -> None:
    ws.set_landscape()  # type: ignore[attr-defined]
    ws.set_paper(9)  # type: ignore[attr-defined]
    ws.fit_to_pages(1, 0)  # type: ignore[attr-defined]
    ws.print_area(0, 0, len(draft.rows) - 1, COLS - 1)  # type: ignore[attr-defined]
    ws.repeat_rows(0)  # type: ignore[attr-defined]
    ws.set_header("&L&A&R&D")  # type: ignore[attr-defined]
    ws.set_footer("&C&P / &N")  # type: ignore[attr-defined]


def _freeze(wb: object, ws: object, draft: Draft) -> None:
    ws.freeze_panes(1, 1)  # type: ignore[attr-defined]


def _comments(draft: Draft) -> None:
    for index in draft.keyed("actual:"):
        draft.rows[index].cells[1].comment = "速報値です。確定後に差し替えます。"
    draft.rows[draft.find("name")].cells[0].comment = "施策名は計画書のとおり"


def _shapes(wb: object, ws: object, draft: Draft) -> None:
    ws.insert_textbox(2, 6, "記入例を参照してください", {"width": 200, "height": 60})  # type: ignore[attr-defined]


def _image(wb: object, ws: object, draft: Draft) -> None:
    ws.insert_image(0, 6, "logo.png", {"image_data": io.BytesIO(PNG)})  # type: ignore[attr-defined]


def _validation(wb: object, ws: object, draft: Draft) -> None:
    row = draft.find("viewpoint")
    choices = ["生活機能の強化", "結びつきやネットワークの強化", "圏域マネジメント能力の強化"]
    ws.data_validation(row, 1, row, 1, {"validate": "list", "source": choices})  # type: ignore[attr-defined]
    ws.data_validation(row, 4, row, 4, {"validate": "length", "criteria": "<=", "value": 40})  # type: ignore[attr-defined]


def _styles(wb: object, ws: object, draft: Draft) -> None:
    ws.set_tab_color("#FF9900")  # type: ignore[attr-defined]
    ws.set_row(0, 30, wb.add_format({"bold": True, "bg_color": "#DDEEFF"}))  # type: ignore[attr-defined]


def _conditional(wb: object, ws: object, draft: Draft) -> None:
    row = _actual_row(draft)
    ws.conditional_format(
        row,
        1,
        row,
        5,
        {
            "type": "cell",
            "criteria": ">",
            "value": 0,  # type: ignore[attr-defined]
            "format": wb.add_format({"bold": True}),
        },
    )  # type: ignore[attr-defined]


def _hidden_blank_rows(draft: Draft) -> None:
    at = draft.find("effect") + 1
    draft.rows.insert(at, Row("helper", [Cell() for _ in range(COLS)], hidden=True))


def _actual_in_header(draft: Draft) -> None:
    """The seed's own habit: the FY2024 actuals typed into the year header cell."""
    head = draft.rows[draft.find("actuals_head")]
    if not isinstance(head.cells[1].value, str):
        return  # a year header written as a number or a date takes no text
    rows = draft.keyed("actual:")
    texts = []
    for index in rows:
        cell = draft.rows[index].cells[1]
        if not isinstance(cell.value, str):
            return  # a number with a format cannot join a header's text
        texts.append(cell.value)
    head.cells[1] = Cell(f"{head.cells[1].value} {' '.join(texts)}")
    head.cells[0].down = 0  # no rows left under the header to merge the label over
    for index in sorted(rows, reverse=True):
        del draft.rows[index]


def _kpi_heads(draft: Draft) -> None:
    for index in draft.keyed("actual:"):
        row = draft.rows[index]
        row.cells[0] = Cell(f"指標{int(row.key.split(':')[1]) + 1}")


def _shifted(draft: Draft) -> None:
    """A margin column left of the form."""
    for row in draft.rows:
        row.cells.insert(0, Cell())


def _wrapped_labels(draft: Draft) -> None:
    for row in draft.rows:
        cell = row.cells[0]
        if isinstance(cell.value, str) and cell.value in (
            "次年度以降の取組",
            "取組内容",
            "施策の展開",
        ):
            cell.value = cell.value[:2] + "\n" + cell.value[2:]


def _fullwidth_edit(draft: Draft) -> None:
    table = str.maketrans("0123456789,.%", "０１２３４５６７８９，．％")
    for key in ("values", "actual:"):
        for index in draft.keyed(key):
            for cell in draft.rows[index].cells[1:]:
                if isinstance(cell.value, str) and re.match(r"^[\d,.]+", cell.value):
                    cell.value = cell.value.translate(table)


def _cached_formulas(data: bytes) -> bytes:
    """Saved by Excel: calculated, so the formulas' cached results are Excel's own."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                body = re.sub(rb'\s*fullCalcOnLoad="1"', b"", body)
            zf.writestr(info, body)
    return out.getvalue()


def _formula_actuals(o: Options) -> None:
    o.formats.append(
        _numeric(
            lambda s: ("#,##0.##", Decimal(1)) if s.unit != "%" else ("0.0%", Decimal("0.01")),
            formula=True,
        )
    )
    o.book_edits.append(_cached_formulas)
    o.warns.add("formula-cached")


def _note_after(note: str) -> Shower:
    return _actual_only(lambda s: replace(s, after=note))


def _department_numbers(o: Options) -> None:
    o.sheet_name = lambda m, i: f"施策{i + 1}"


CLASSES: tuple[Variation, ...] = (
    # labels: decorations, spaces, invisible characters, merged or placed above
    Variation("label-square", lambda o: o.edits.append(_label_edit(_deco("■"))), "deco"),
    Variation("label-lenticular", lambda o: o.edits.append(_label_edit(_deco("【", "】"))), "deco"),
    Variation("label-footnote", lambda o: o.edits.append(_label_edit(_deco("※"))), "deco"),
    Variation("label-star-after", lambda o: o.edits.append(_label_edit(_deco("", "※1"))), "deco"),
    Variation("label-circle", lambda o: o.edits.append(_label_edit(_deco("●"))), "deco"),
    Variation("label-colon", lambda o: o.edits.append(_label_edit(_deco("", "："))), "deco"),
    Variation("label-fullwidth-spaces", lambda o: o.edits.append(_label_edit(_spaced)), "deco"),
    Variation("label-invisible", lambda o: o.edits.append(_label_edit(_invisible)), "deco2"),
    Variation("label-wrapped", lambda o: o.edits.append(_wrapped_labels)),
    Variation("actuals-label-merged-down", lambda o: o.layout.add("actuals_label_merged_down")),
    Variation("kpi-rows-merged", lambda o: o.layout.add("kpi_rows_merged"), "kpi-layout"),
    Variation("values-below-labels", lambda o: o.layout.add("values_below"), "kpi-layout"),
    # units
    Variation("unit-thousand-people", _show(_thousands("人")), "unit"),
    Variation("unit-thousand-cases", _show(_thousands("件")), "unit"),
    Variation("unit-million-yen", _show(_million_yen), "unit"),
    Variation("unit-shared-word", _show(_shared_word), "unit2"),
    Variation(
        "unit-counter-synonym",
        lambda o: (o.show.append(_counter_synonym), o.warns.add("unit-equivalent")),
        "unit",
    ),
    Variation("unit-other-counter", _show(_as_unit("件")), "unit"),
    # notes after a value
    Variation(
        "note-after-space",
        lambda o: (o.show.append(_note_after(" 速報値")), o.warns.add("value-note")),
        "note",
    ),
    Variation(
        "note-after-fullwidth-space",
        lambda o: (o.show.append(_note_after("\u3000見込み")), o.warns.add("value-note")),
        "note",
    ),
    Variation(
        "note-after-joined",
        lambda o: (o.show.append(_note_after("速報値")), o.warns.add("value-note")),
        "note",
    ),
    Variation(
        "note-in-brackets",
        lambda o: (o.show.append(_note_after("（速報値）")), o.warns.add("value-note")),
        "note",
    ),
    # number formats
    Variation("format-real-percent", _typed(_numeric(_real_percent)), "format"),
    Variation("format-literal-percent", _typed(_numeric(_literal_percent)), "format"),
    Variation("format-escaped-percent", _typed(_numeric(_escaped_percent)), "format"),
    Variation("format-unit-literal-sections", _typed(_numeric(_unit_literal)), "format"),
    Variation("format-plain-numbers", _typed(_numeric(_plain_number)), "format"),
    Variation("formula-actuals-cached", _formula_actuals, "format"),
    Variation("fullwidth-digits", lambda o: o.edits.append(_fullwidth_edit), "format"),
    # circled markers
    Variation("circled-markers", _show(_circled), "marker"),
    # year headers
    Variation("year-fy", lambda o: setattr(o, "year_header", _fy), "year"),
    Variation(
        "year-era-only",
        lambda o: (setattr(o, "year_header", _era_only), o.warns.add("year-era-assumed")),
        "year",
    ),
    Variation(
        "year-date-era-format",
        lambda o: (setattr(o, "year_header", _date_year), o.warns.add("year-from-date")),
        "year",
    ),
    Variation(
        "year-date-yyyy-format",
        lambda o: (setattr(o, "year_header", _date_yyyy), o.warns.add("year-from-date")),
        "year",
    ),
    Variation(
        "year-reiwa",
        lambda o: setattr(o, "year_header", lambda y: Cell(f"令和{y - 2018}年度")),
        "year",
    ),
    Variation("year-numbers", lambda o: setattr(o, "year_header", lambda y: Cell(y)), "year"),
    # extra rows and columns
    Variation("status-row", lambda o: o.edits.append(_add_row_after("actuals_head", _status_row))),
    Variation("ratio-row", lambda o: o.edits.append(_add_row_after("actual:", _ratio_row))),
    Variation("remarks-column", lambda o: o.edits.append(_remarks_column)),
    Variation("kpi-row-heads", lambda o: o.edits.append(_kpi_heads)),
    Variation("actual-in-header", lambda o: o.edits.append(_actual_in_header), "header-actual"),
    # numbering
    Variation("sheet-name-numbers", _department_numbers, "sheet"),
    Variation("number-row", lambda o: o.edits.append(_number_row), "number"),
    # clerk habits
    Variation("print-setup", lambda o: o.sheet_edits.append(_print_setup)),
    Variation("frozen-panes", lambda o: o.sheet_edits.append(_freeze)),
    Variation("comments", lambda o: o.edits.append(_comments)),
    Variation("shapes", lambda o: o.sheet_edits.append(_shapes)),
    Variation("images", lambda o: o.sheet_edits.append(_image)),
    Variation("validation", lambda o: o.sheet_edits.append(_validation)),
    Variation("styles-and-tab-colour", lambda o: o.sheet_edits.append(_styles)),
    Variation("conditional-format", lambda o: o.sheet_edits.append(_conditional)),
    Variation("hidden-helper-column", lambda o: o.sheet_edits.append(_hidden_helper)),
    Variation("hidden-blank-row", lambda o: o.edits.append(_hidden_blank_rows)),
    Variation("department-header-block", lambda o: o.edits.append(_department_block), "top"),
    Variation("spacer-rows", lambda o: o.edits.append(_spacer_rows)),
    Variation("margin-column", lambda o: o.moves.append(_shifted)),
    Variation("libreoffice-saved", lambda o: setattr(o, "libreoffice", True), "lo"),
)
BY_NAME = {v.name: v for v in CLASSES}


def options(names: Iterable[str]) -> Options:
    found = Options()
    for name in names:
        BY_NAME[name].apply(found)
    return found


def compatible(names: Sequence[str]) -> bool:
    groups = [BY_NAME[n].group for n in names if BY_NAME[n].group]
    if "header-actual" in groups and "note" in groups:
        return (
            False  # two noted values in one header cell are refused (value-unknown-unit), not read
        )
    return len(groups) == len(set(groups))


# --- holding a merge result to the published grades -------------------------------------


@dataclass
class Verdict:
    right: int = 0  # KPIs graded as published
    told: int = 0  # KPIs not graded right, with an error naming a cell of their sheet
    failures: list[str] = field(default_factory=list)  # silent: wrong or gone, no error


def check(result: object, written: Sequence[Written]) -> Verdict:
    """Every KPI graded as published, or an error naming a cell of its sheet."""
    report = result.report  # type: ignore[attr-defined]
    merged = getattr(result, "merged", result)
    measures = {(m.file, m.sheet): m for m in merged.measures}
    errors: dict[tuple[str, str], list[str]] = {}
    for p in report.problems:
        if p.severity is Severity.ERROR:
            errors.setdefault((p.file, p.sheet), []).append(f"{p.cell} {p.code}")
    verdict = Verdict()
    for form in written:
        where = (form.file, form.sheet)
        told = any(e.split(" ")[0] for e in errors.get(where, []))
        measure = measures.get(where)
        for index, kpi in enumerate(form.spec.kpis):
            got = None
            if measure is not None and index < len(measure.kpis):
                got = measure.kpis[index].grades.get(2024)
            if got == kpi.grade:
                verdict.right += 1
            elif told:
                verdict.told += 1
            else:
                what = "missing" if measure is None else f"graded {got!r}"
                verdict.failures.append(
                    f"{form.file}!{form.sheet} No.{form.spec.number} KPI {index + 1}: "
                    f"{what}, published {kpi.grade}, no error naming a cell"
                )
    return verdict


def _init() -> None:
    for m in seed_measures():
        for k in m.kpis:
            _KPI_COUNT[k.name] = len(m.kpis)


_init()


def libreoffice_saved(data: bytes, soffice: str) -> bytes:
    """The workbook opened and saved again by LibreOffice (soffice --convert-to xlsx)."""
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in" / "form.xlsx"
        source.parent.mkdir()
        source.write_bytes(data)
        profile = Path(folder) / "profile"
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", "xlsx", "--outdir", folder, str(source)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        return (Path(folder) / "form.xlsx").read_bytes()


def department_books(
    names: Sequence[str], specs: Sequence[MeasureSpec], per_book: int = 8
) -> tuple[list[tuple[str, bytes]], list[Written]]:
    """The measures under the classes `names`, as department workbooks of `per_book` forms."""
    files: list[tuple[str, bytes]] = []
    written: list[Written] = []
    for start in range(0, len(specs), per_book):
        name = f"部{start // per_book + 1}.xlsx"
        data, forms = build(name, specs[start : start + per_book], options(names))
        files.append((name, data))
        written.extend(forms)
    return files, written
