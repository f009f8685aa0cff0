"""The committee document, in the seed's structure and words, from a merge result.

結果概要 (1 成果指標の設定について, 2 全体の達成状況, 3 分野別の達成状況, and 4 事業費),
達成状況一覧 (landscape), and every measure's table in the form's layout. Every number,
list and sentence that follows from the data is generated; what is the secretariat's
own judgement is a marked blank (「（今後の取組を記入）」), never written for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from xlkpi.analysis import Budgets, ReviewCandidate, budget_totals, final_year, review_candidates
from xlkpi.grading import DEFAULT_RULE, LOWER, PROGRESS, Rule
from xlkpi.merge import MergeResult
from xlkpi.model import Kpi, Measure
from xlkpi.report.blocks import (
    Block,
    Cell,
    Charts,
    Document,
    Heading,
    PageBreak,
    Para,
    Section,
    Table,
    Text,
    blank,
    runs,
)
from xlkpi.report.charts import COLUMN, PIE, Chart
from xlkpi.style import FONT
from xlkpi.summary.base import UNGRADED, percent_text, shown, shown_ratio
from xlkpi.tally import Counts, Tallies, ViewpointTally
from xlkpi.values import BadValue, reiwa_label, tidy, year_header

PORTRAIT_WIDTH = 17.0  # cm between the margins of A4 portrait
LANDSCAPE_WIDTH = 26.7
GRADE_COLORS = ("2E75B6", "9DC3E6", "F4B183", "E06666", "A9D18E", "FFD966", "C9C9C9", "8FAADC")
UNGRADED_COLOR = "D9D9D9"
YEAR_COLORS = ("2E75B6", "BFBFBF")
# The seed's words for the four bands of its own rule.
SEED_BANDS = ("A：達成（達成率100%以上）", "B：概ね達成（達成率80～99%）",
              "C：ある程度達成（達成率50%～79%）", "D：未達成（達成率50%未満）")  # fmt: skip
PURPOSE = (
    "定住自立圏共生ビジョンに記載する具体的な取組に関しては、明確な成果指標を設定し、"
    "進捗管理を行うものとされています。",
    "なお、定住自立圏共生ビジョンの期間が満了する際は、成果指標等の達成状況を踏まえ、"
    "次期共生ビジョンを策定するものとされています。",
)


def compose(result: MergeResult, vision: str = "") -> Document:
    """The document for `result`; `vision` names the plan (「第3次一関・平泉定住自立圏共生ビジョン」),
    left as a blank to fill when not given."""
    year = result.year
    name = runs(vision) if vision else (blank("ビジョンの名称を記入"),)
    title = (
        f"「成果指標（KPI）」の{reiwa_label(year)}実績 結果概要"
        if year
        else "「成果指標（KPI）」の実績"
    )
    doc = Document(title=(vision or "") + title, subject="成果指標（KPI）達成状況")
    doc.add(Heading(0, (*name, Text("\n" + title))))  # the plan's name on a line of its own
    doc.add(*_settings(result))
    if year is None or result.tallies is None:
        doc.add(Para(runs("評価できる実績値がありません。")))
    else:
        doc.add(*_overall(result, year, result.tallies))
        doc.add(*_by_viewpoint(result, year, result.tallies))
    doc.add(*_budgets(budget_totals(result.measures, result.years)))
    doc.add(Section(landscape=True))
    doc.add(Heading(1, (*name, Text(" 成果指標（KPI）達成状況一覧"))))
    doc.add(*_list(result))
    doc.add(Section(landscape=False))
    doc.add(Heading(1, runs("施策ごとの実績")))
    for index, measure in enumerate(result.measures):
        if index:
            doc.add(PageBreak())
        doc.add(_measure_table(measure, result.year))
    return doc


# --- 1 成果指標の設定について ----------------------------------------------------------


def _settings(result: MergeResult) -> list[Block]:
    rule = result.rule
    blocks: list[Block] = [
        Heading(1, runs("1 成果指標の設定について")),
        Heading(
            2,
            runs(
                "(1) 成果指標（KPI：Key Performance Indicator）設定の意義（定住自立圏構想推進要綱）"
            ),
        ),
        *(Para(runs(text)) for text in PURPOSE),
        Para(runs("⇒ ", blank("次期共生ビジョンの策定と成果指標の見直しの予定を記入"))),
        Heading(2, runs("(2) 達成率の算定方法")),
        Para(runs(_method(result))),
        Heading(2, runs("(3) 達成状況の設定")),
    ]
    blocks += [Para(runs(line), "item") for line in band_lines(rule)]
    tallies = [t for t in (result.tallies, result.previous_tallies) if t is not None]
    if any(t.overall.not_graded for t in tallies):
        blocks.append(Para(runs(f"{UNGRADED}：実績値や目標値がないなど、達成率を算定できない指標"
                                "（割合の計算には含めません）"), "item"))  # fmt: skip
    return blocks


def _method(result: MergeResult) -> str:
    rule, year = result.rule, result.year
    targets = {y for m in result.measures if (y := final_year(m)) is not None}
    target = (
        f"{_year_paren(next(iter(targets)))}目標値"
        if len(targets) == 1
        else "各施策の目標年度の目標値"
    )
    actual = f"{_year_paren(year)}実績値" if year else "実績値"
    if rule.method == PROGRESS:
        text = (f"成果指標ごとに、{target}に対する{actual}の現状値からの進捗"
                "（（実績値－現状値）／（目標値－現状値））により達成率を算定しました。")  # fmt: skip
    else:
        text = f"成果指標ごとに、{target}に対する{actual}（実績値／目標値）により達成率を算定しました。"
        lower = [k for m in result.measures for k in m.kpis if rule.direction(k) == LOWER]
        if lower:
            text += f"ただし、低い方が良い指標（{len(lower)}項目）は、目標値／実績値により算定しました。"
    if rule.rounding is not None:
        digits = "整数" if rule.rounding == 0 else f"小数第{rule.rounding}位"
        text += f"達成率は百分率の{digits}に四捨五入して判定しました。"
    return text


def band_lines(rule: Rule) -> list[str]:
    """The bands as the seed words them for its own rule; plainly for any other."""
    if (rule.bands, rule.floor) == (DEFAULT_RULE.bands, DEFAULT_RULE.floor):
        return list(SEED_BANDS)
    lines, upper = [], None
    for band in rule.bands:
        low = _percent(band.at_least)
        lines.append(f"{band.label}：達成率{low}以上" + (f"{_percent(upper)}未満" if upper else ""))
        upper = band.at_least
    lines.append(f"{rule.floor}：達成率{_percent(upper or Fraction(0))}未満")
    return lines


def _percent(ratio: Fraction) -> str:
    value = Decimal(ratio.numerator) / Decimal(ratio.denominator) * 100
    return f"{value.normalize():f}%"


# --- 2 全体の達成状況 ------------------------------------------------------------------


def _years(result: MergeResult, year: int, tallies: Tallies) -> list[tuple[int, Tallies]]:
    years = [(year, tallies)]
    if result.comparison is not None and result.previous_tallies is not None:
        years.append((result.comparison.year, result.previous_tallies))
    return years


def _categories(rule: Rule, years: Sequence[tuple[int, Tallies]]) -> tuple[str, ...]:
    ungraded = any(t.overall.not_graded for _, t in years)
    return (*rule.labels, *((UNGRADED,) if ungraded else ()))


def _values(counts: Counts, categories: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(counts.by_grade.get(c, counts.not_graded if c == UNGRADED else 0)
                 for c in categories)  # fmt: skip


def _pie(title: str, counts: Counts, categories: tuple[str, ...], rule: Rule) -> Chart:
    colors = tuple(
        UNGRADED_COLOR if c == UNGRADED else GRADE_COLORS[i % len(GRADE_COLORS)]
        for i, c in enumerate(categories)
    )
    return Chart(PIE, title, categories, ((title, _values(counts, categories)),), colors, FONT)


def _overall(result: MergeResult, year: int, tallies: Tallies) -> list[Block]:
    rule = result.rule
    good = "及び".join(rule.good_labels)
    years = _years(result, year, tallies)
    categories = _categories(rule, years)
    charts = tuple(
        (f"● {reiwa_label(y)}の結果" + ("" if y == year else "（参考）"),
         _pie(reiwa_label(y), t.overall, categories, rule))
        for y, t in years
    )  # fmt: skip
    blocks: list[Block] = [
        Heading(1, runs("2 全体の達成状況")),
        Charts(charts, 8.2, 7.0),
        _distribution(rule, years),
    ]
    if len(years) == 1:  # after this year's table, so that it is not read as last year's
        blocks.append(Para(runs(f"● {reiwa_label(year - 1)}の結果（参考）：",
                                blank("前年度の評価がありません。--previous で前年度の集計ブックを指定すると掲載します"))))  # fmt: skip
    for y, t in years:
        blocks += _ungraded_lines(y, t)
    share = tallies.overall.share
    said = (f"達成状況{good}の項目は、合わせて{percent_text(share)}となり、"
            if share is not None else "評価した指標がなく、")  # fmt: skip
    blocks += [
        Para(runs(Text(f"【{reiwa_label(year)}の達成状況と今後の取組】", bold=True)), "lead"),
        Para(runs("● 達成状況の評価"), "lead"),
        Para(runs(said, blank("評価を記入"))),
        Para(runs("● 目標値の見直し候補"), "lead"),
        *_review(result, year),
        Para(runs("● 今後の取組"), "lead"),
        Para((blank("今後の取組を記入"),)),
    ]
    return blocks


def _distribution(rule: Rule, years: Sequence[tuple[int, Tallies]]) -> Table:
    head = [Cell(runs("達成状況"), head=True, align="center")]
    for y, _ in years:
        head += [Cell(runs(f"{reiwa_label(y)} 項目数"), head=True, align="center"),
                 Cell(runs("割合"), head=True, align="center")]  # fmt: skip
    rows = [tuple(head)]
    lines = [(label, [t.overall.by_grade[label] for _, t in years]) for label in rule.labels]
    lines.append(("計（評価した指標）", [t.overall.total for _, t in years]))
    lines.append((f"{'及び'.join(rule.good_labels)}（合計）", [t.overall.good for _, t in years]))
    for label, counts in lines:
        row = [Cell(runs(label), align="center")]
        for n, (_, t) in zip(counts, years, strict=True):
            share = percent_text(Fraction(n, t.overall.total)) if t.overall.total else "－"
            row += [Cell(runs(f"{n}項目"), align="right"), Cell(runs(share), align="right")]
        rows.append(tuple(row))
    if any(t.overall.not_graded for _, t in years):
        row = [Cell(runs(UNGRADED), align="center")]
        for _, t in years:
            row += [
                Cell(runs(f"{t.overall.not_graded}項目"), align="right"),
                Cell(runs("－"), align="right"),
            ]
        rows.append(tuple(row))
    widths = (3.6, *([3.4, 2.0] * len(years)))
    return Table(tuple(rows), widths)


def _ungraded_lines(year: int, tallies: Tallies) -> list[Block]:
    """評価なし of one year: how many for which reasons, and each KPI."""
    items = tallies.ungraded
    if not items:
        return []
    blocks: list[Block] = [Para(runs(
        f"{UNGRADED}（{reiwa_label(year)}）：{len(items)}項目（{reasons(tallies.overall)}）。"
        "割合は評価した指標に対するものです。"), "note")]  # fmt: skip
    blocks += [Para(runs(f"{circled(u.measure.number)} {u.measure.name}「{u.kpi.name}」：{u.reason}"), "item")
               for u in items]  # fmt: skip
    return blocks


def reasons(counts: Counts) -> str:
    ranked = sorted(counts.ungraded.items(), key=lambda item: -item[1])
    return "、".join(f"{reason} {n}項目" for reason, n in ranked)


def _review(result: MergeResult, year: int) -> list[Block]:
    found = review_candidates(result.measures, year, result.rule)
    finals = {c.final_year for c in found}
    final = f"最終年度（{reiwa_label(next(iter(finals)))}）" if len(finals) == 1 else "最終年度"
    if not found:
        return [
            Para(
                runs(f"{reiwa_label(year)}の実績値が最終年度の目標値に達している指標はありません。")
            )
        ]
    lead = Para(runs(
        f"{reiwa_label(year)}の実績値が{final}の目標値に達している指標は{len(found)}項目です"
        "（目標値の見直しの候補。低い方が良い指標は目標値以下）。"))  # fmt: skip
    head = tuple(Cell(runs(t), head=True, align="center") for t in (
        "施策名", "成果指標", "目標値", f"実績値（{reiwa_label(year)}）", "目標値との差", "達成率",
        "初めて達した年度"))  # fmt: skip
    rows = [head] + [_review_row(c) for c in found]
    return [lead, Table(tuple(rows), (3.0, 4.4, 2.0, 2.0, 2.0, 1.6, 2.0), size=8.0)]


def _review_row(item: ReviewCandidate) -> tuple[Cell, ...]:
    kpi = item.kpi
    margin = quantity(item.margin, kpi.unit)
    sign = "+" if item.margin > 0 else ""
    ratio = f"{shown_ratio(item.ratio) * 100:.1f}%" if item.ratio is not None else "－"
    return (
        Cell(runs(f"{circled(item.measure.number)} {item.measure.name}")),
        Cell(runs(kpi.name)),
        Cell(runs(quantity(kpi.target, kpi.unit)), align="right"),
        Cell(runs(quantity(item.actual, kpi.unit)), align="right"),
        Cell(runs(sign + margin), align="right"),
        Cell(runs(ratio), align="right"),
        Cell(runs(reiwa_label(item.first_year)), align="center"),
    )


# --- 3 分野別の達成状況 ----------------------------------------------------------------


def _by_viewpoint(result: MergeResult, year: int, tallies: Tallies) -> list[Block]:
    rule = result.rule
    weak_labels = rule.labels[rule.good :]
    good = "及び".join(rule.good_labels)
    years = _years(result, year, tallies)
    numbers = {m.name: m.number for m in result.measures}
    continuing = list(dict.fromkeys((m.viewpoint, m.name) for m, _ in result.continuing_weak()))
    blocks: list[Block] = [Heading(1, runs("3 分野別の達成状況"))]
    for index, block in enumerate(tallies.viewpoints):
        viewpoint = shown(block.viewpoint)
        blocks.append(Heading(2, runs(f"({index + 1}) {viewpoint}")))
        own = [(y, t.viewpoints[index].subtotal) for y, t in years]
        categories = (*rule.labels, *((UNGRADED,) if any(c.not_graded for _, c in own) else ()))
        series = tuple((reiwa_label(y), _values(c, categories)) for y, c in own)
        chart = Chart(COLUMN, f"{viewpoint}の達成状況", categories, series, YEAR_COLORS, FONT)
        blocks.append(Charts((("", chart),), 14.0, 6.0))
        if block.weak_measures:
            blocks.append(
                Para(runs(Text(f"【{'、'.join(weak_labels)}】の指標に係る施策名", bold=True)))
            )
            blocks += [
                Para(runs(f"{circled(numbers.get(n))} {n}"), "item") for n in block.weak_measures
            ]
        blocks.append(Para(runs("● 政策分野別の達成状況"), "lead"))
        blocks.append(_field_table(block))
        share = block.subtotal.share
        if share is not None:
            blocks.append(
                Para(runs(f"達成状況{good}の項目は合わせて{percent_text(share)}となっている。"))
            )
        names = [n for v, n in continuing if v == block.viewpoint]
        if names and result.comparison is not None:
            blocks.append(Para(runs(
                f"一方で、{'、'.join(names)}の{len(names)}項目は、{reiwa_label(result.comparison.year)}"
                f"から継続して{'または'.join(weak_labels)}の達成状況となっており、",
                blank("取組の方針を記入"))))  # fmt: skip
        else:
            blocks.append(Para((blank("分野別の評価と今後の取組を記入"),)))
        blocks += [Para(runs(f"{circled(u.measure.number)} {u.measure.name}「{u.kpi.name}」は{UNGRADED}"
                             f"（{u.reason}）。"), "note") for u in block.ungraded]  # fmt: skip
    return blocks


def _field_table(block: ViewpointTally) -> Table:
    rows = [(Cell(runs("政策分野"), head=True, align="center"),
             Cell(runs("達成状況"), head=True, align="center"))]  # fmt: skip
    for item in block.fields:
        rows.append((Cell(runs(shown(item.policy_field))), Cell(runs(grades_text(item.counts)))))
    return Table(tuple(rows), (6.0, 11.0), size=9.5)


def grades_text(counts: Counts) -> str:
    """「A : 1項目 C : 1項目」, and 評価なし with its reasons."""
    parts = [f"{label} : {n}項目" for label, n in counts.by_grade.items() if n]
    if counts.not_graded:
        parts.append(f"{UNGRADED} : {counts.not_graded}項目（{reasons(counts)}）")
    return " ".join(parts) or "－"


# --- 4 事業費 -------------------------------------------------------------------------


def _budgets(budgets: Budgets) -> list[Block]:
    years = budgets.years
    if not years:
        return []
    blocks: list[Block] = [
        Heading(1, runs("4 事業費の集計")),
        Para(
            runs(
                "各施策の調書に記入された事業費（千円）を、連携する視点・政策分野ごとに合計しました。"
                "空欄の年度は 0 として合計しています。"
            )
        ),
    ]
    first = 3.8
    width = (PORTRAIT_WIDTH - first) / (len(years) + 1.4)  # the total's column 1.4 times as wide
    head = (Cell(runs("連携する視点・政策分野"), head=True, align="center"),
            *(Cell(runs(year_header(y)), head=True, align="center") for y in years),
            Cell(runs("計画期間の合計"), head=True, align="center"))  # fmt: skip
    rows = [head]

    def row(
        label: str, by_year: dict[int, Decimal], total: Decimal, bold: bool
    ) -> tuple[Cell, ...]:
        return (Cell((Text(label, bold=bold),)),
                *(Cell((Text(amount(by_year[y]), bold=bold),), align="right") for y in years),
                Cell((Text(amount(total), bold=bold),), align="right"))  # fmt: skip

    for block in budgets.viewpoints:
        rows.append(row(shown(block.viewpoint), block.subtotal.by_year, block.subtotal.total, True))
        rows += [
            row(f"　{shown(name)}", item.by_year, item.total, False) for name, item in block.fields
        ]
    rows.append(row("合計", budgets.overall.by_year, budgets.overall.total, True))
    blocks.append(
        Table(
            tuple(rows),
            (first, *[width] * len(years), width * 1.4),
            size=7.5 if len(years) > 6 else 8.5,
        )
    )
    if budgets.blank:
        listed = "、".join(f"{m.name}（{'・'.join(reiwa_label(y) for y in missing)}）"
                           for m, missing in budgets.blank)  # fmt: skip
        blocks.append(Para(runs(f"事業費が空欄の年度のある施策：{listed}"), "note"))
    return blocks


# --- 達成状況一覧 ----------------------------------------------------------------------


def _list(result: MergeResult) -> list[Block]:
    years = result.years or result.grade_years
    year = result.year
    tallies = result.tallies
    ungraded = {id(u.kpi) for u in tallies.ungraded} if tallies else set()
    fixed = (1.0, 3.6, 5.6)
    kpi_width = LANDSCAPE_WIDTH - sum(fixed) - 1.2 * len(years)
    head = tuple(Cell(runs(t), head=True, align="center")
                 for t in ("No", "政策分野", "施策名", "重要業績評価指標（KPI）",
                           *(f"R{y - 2018}" if y > 2018 else str(y) for y in years)))  # fmt: skip
    rows = [head]
    previous_field = None
    for measure in result.measures:
        for index, kpi in enumerate(measure.kpis or [Kpi(name="")]):
            field_cell = (Cell(merge_up=True) if measure.policy_field == previous_field
                          else Cell(runs(shown(measure.policy_field))))  # fmt: skip
            previous_field = measure.policy_field
            grades = []
            for y in years:
                grade = kpi.grades.get(y, "")
                if not grade and y == year and id(kpi) in ungraded:
                    grade = "－"
                grades.append(Cell(runs(grade), align="center"))
            rows.append((
                Cell(merge_up=True) if index else Cell(runs(_number(measure.number)), align="center"),
                field_cell,
                Cell(merge_up=True) if index else Cell(runs(measure.name)),
                Cell(runs(f"○{kpi.name}" if kpi.name else "")),
                *grades,
            ))  # fmt: skip
    blocks: list[Block] = [Table(tuple(rows), (*fixed, kpi_width, *[1.2] * len(years)), size=9.0)]
    if ungraded:
        blocks.append(
            Para(
                runs(
                    f"－：{UNGRADED}（達成率を算定できない指標。理由は「2 全体の達成状況」に記載）"
                ),
                "note",
            )
        )
    return blocks


# --- each measure, in the form's layout --------------------------------------------------


def _measure_table(measure: Measure, year: int | None) -> Table:
    years = list(measure.years) or sorted({y for k in measure.kpis for y in k.actuals})
    slots = max(5, len(years))
    label = 3.2
    widths = (label, *[(PORTRAIT_WIDTH - label) / slots] * slots)
    text = measure.texts.get
    kpis = measure.kpis or [Kpi(name="")]

    def head(title: str) -> Cell:
        return Cell(runs(title), head=True)

    def wide(title: str, value: str) -> tuple[Cell, ...]:
        return (head(title), Cell(runs(value), span=slots))

    half = slots // 2
    rows: list[tuple[Cell, ...]] = [
        wide("施策名", measure.name),
        (head("連携する視点"), Cell(runs(shown(measure.viewpoint)), span=half), head("政策分野"),
         Cell(runs(shown(measure.policy_field)), span=slots - half - 1)),
        (head("施策の展開"), Cell(runs(text("development", "")), span=half), head("SDGsとの関連性"),
         Cell(runs(text("sdgs", "")), span=slots - half - 1)),
        wide("取組内容", text("content", "")),
    ]  # fmt: skip
    base = f"現状値 ({year_header(measure.base_year)} 年度)" if measure.base_year else "現状値"
    target_year = final_year(measure)
    target = f"目標値 ({year_header(target_year)} 年度)" if target_year else "目標値"
    for index, kpi in enumerate(kpis):
        rows.append((Cell(merge_up=True) if index else head("成果指標 (KPI)"),
                     Cell(runs(kpi.name), span=slots)))  # fmt: skip
    for index, kpi in enumerate(kpis):
        again = index > 0
        rows.append((
            Cell(merge_up=True) if again else head(base),
            Cell(runs(quantity(kpi.baseline, kpi.unit)), align="right"),
            Cell(merge_up=True) if again else head(target),
            Cell(runs(quantity(kpi.target, kpi.unit)), align="right"),
            Cell(merge_up=True) if again else head("関係市町"),
            Cell(merge_up=True, span=slots - 4) if again
            else Cell(runs(text("municipalities", "")), span=slots - 4),
        ))  # fmt: skip
    padded = [*years, *[None] * (slots - len(years))]
    rows += [
        wide("事業名称", text("projects", "")),
        wide("事業効果", text("effect", "")),
        (head("実施年度"), *(Cell(runs(year_header(y) if y else ""), head=True, align="center") for y in padded)),
        (head("事業費 (千円)"), *(Cell(runs(amount(measure.budgets.get(y)) if y else ""), align="right")
                                  for y in padded)),
        wide("役割分担", text("roles", "")),
        (head("実績値"), *(Cell(runs(year_header(y) if y else ""), head=True, align="center") for y in padded)),
    ]  # fmt: skip
    for index, kpi in enumerate(kpis):
        row_label = f"指標{index + 1}" if len(kpis) > 1 else ""
        rows.append((Cell(runs(row_label), head=True),
                     *(Cell(runs(_actual(kpi, y) if y else ""), align="right") for y in padded)))  # fmt: skip
    evaluated = measure.evaluation_year or year
    rows += [
        wide(f"{evaluated}年度評価" if evaluated else "年度評価", text("evaluation", "")),
        wide("次年度以降の取組", text("next_steps", "")),
    ]
    return Table(tuple(rows), widths, header_rows=0, size=9.5, keep_rows=False, padding=2.5)


def _actual(kpi: Kpi, year: int) -> str:
    value = quantity(kpi.actuals.get(year), kpi.unit)
    note = kpi.notes.get(year)
    return f"{value}（{note}）" if value and note else value


def quantity(value: Decimal | None, unit: str = "") -> str:
    """A value as the forms write it: 「1,195人」, 「58.4%」; blank when there is none."""
    if value is None:
        return ""
    try:
        return f"{tidy(value):,f}{unit}"
    except BadValue:  # beyond 15 digits: as read, not reformatted
        return f"{value}{unit}"


def amount(value: Decimal | None) -> str:
    """事業費 in 千円 as the report prints it: 「48,221」."""
    return quantity(value)


_CIRCLED = (
    [chr(0x2460 + i) for i in range(20)]  # ①..⑳
    + [chr(0x3251 + i) for i in range(15)]  # ㉑..㉟
    + [chr(0x32B1 + i) for i in range(15)]  # ㊱..㊿
)


def circled(number: int | None) -> str:
    """The measure's number as the seed's lists write it: ⑥; 「(51)」 past ㊿; 「・」 for none."""
    if number is None:
        return "・"
    if 1 <= number <= len(_CIRCLED):
        return _CIRCLED[number - 1]
    return f"({number})"


def _number(number: int | None) -> str:
    return "" if number is None else str(number)


def _year_paren(year: int) -> str:
    """2028 -> 「2028（令和10）年度」, as the seed writes a year in a sentence."""
    return f"{year}（{reiwa_label(year).removesuffix('年度')}）年度"
