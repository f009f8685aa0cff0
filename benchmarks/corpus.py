"""A corpus of realistic returns for the benchmark, with the grades it intends.

N workbooks x M form sheets, in three layouts taken in turn, workbook by workbook:

- "template": the template's layout (templates/kpi_template.xlsx, as `xlkpi template`
  writes it: merged text cells, borders, numeric and percent-formatted cells, a unit column);
- "seed": the FY2024 forms' layout (values typed as text with units, "1,195人", "84%",
  each KPI's actual under the year header, the 実績値 label beside the year header);
- "seed, 実績値 merged down": the same, with the 実績値 label merged down over the year
  row and the value rows, a natural way to draw that form.

Each sheet has 1-3 KPIs. The expected grade of every KPI is computed here with plain
fractions, independently of xlkpi, and written beside the corpus with the layout of its
sheet, so that a benchmark can tell which layout was graded wrong.
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import xlsxwriter

from xlkpi.model import Kpi, Measure
from xlkpi.template import write_forms

SIZES = {"S": (10, 32), "M": (200, 25), "L": (1000, 25)}
LAYOUTS = ("template", "seed", "seed, 実績値 merged down")
VERSION = 2  # of what make_corpus writes: a corpus of another version is made again
FIELDS = {
    "生活機能の強化": ["医療", "福祉", "産業振興", "教育及び文化", "消防防災"],
    "結びつきやネットワークの強化": ["地域公共交通", "交通インフラの整備", "協働のまちづくり"],
    "圏域マネジメント能力の強化": ["中心市等における人材育成"],
}
UNITS = ["人", "社", "回", "%", "件", "台", "組"]
YEARS = [2024, 2025, 2026, 2027, 2028]
TEXT = (
    "圏域の住民の暮らしを支えるため、両市町が連携して事業を実施し、その費用をそれぞれが負担する。"
)


def expected_grade(actual: Decimal, target: Decimal) -> str:
    ratio = Fraction(actual) / Fraction(target)
    return (
        "A"
        if ratio >= 1
        else "B"
        if ratio >= Fraction(4, 5)
        else "C"
        if ratio >= Fraction(1, 2)
        else "D"
    )


def random_measure(rng: random.Random, number: int) -> Measure:
    viewpoint = rng.choice(list(FIELDS))
    kpis = []
    for k in range(rng.choice([1, 1, 2, 3])):
        unit = rng.choice(UNITS)
        if unit == "%":
            target = Decimal(rng.randint(300, 1000)) / 10
        else:
            target = Decimal(rng.randint(10, 50_000))
        actual = (target * Decimal(rng.randint(30, 130)) / 100).quantize(
            Decimal("0.1" if unit == "%" else "1")
        )
        kpis.append(Kpi(name=f"成果指標{number}-{k + 1}の参加者数", unit=unit,
                        baseline=(target * Decimal("0.8")).quantize(Decimal(1)), target=target,
                        actuals={2024: actual}))  # fmt: skip
    return Measure(
        name=f"施策{number:05d}推進事業",
        number=number,
        viewpoint=viewpoint,
        policy_field=rng.choice(FIELDS[viewpoint]),
        kpis=kpis,
        texts={
            "development": "地域の連携",
            "content": TEXT,
            "municipalities": "一関市 平泉町",
            "projects": "【一関市】○事業A ○事業B 【平泉町】○事業C",
            "effect": TEXT,
            "roles": TEXT,
            "evaluation": TEXT * 3,
            "next_steps": TEXT * 2,
        },
        budgets={year: Decimal(rng.randint(100, 100_000)) for year in YEARS},
    )


def _shown(value: Decimal, unit: str) -> str:
    """A value as departments type it: "1,195人", "58.4%"."""
    number = f"{value:,.1f}" if value != value.to_integral_value() else f"{int(value):,}"
    return f"{number}{unit}"


def write_seed_layout(path: Path, measures: list[Measure], merged_down: bool = False) -> None:
    """The FY2024 forms' layout: one table per sheet, values as text with units.

    `merged_down`: the 実績値 label merged over its year row and the KPIs' value rows.
    """
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    label = book.add_format({"border": 1, "bg_color": "#DDDDDD"})
    cell = book.add_format({"border": 1, "text_wrap": True})
    for measure in measures:
        ws = book.add_worksheet(str(measure.number))
        ws.set_column(0, 0, 22)
        ws.set_column(1, 5, 18)
        names = " ".join(k.name for k in measure.kpis)
        rows: list[list[str]] = [
            ["施策名", measure.name], ["連携する事項", measure.viewpoint, "", "政策分野", measure.policy_field],
            ["政策の内容", measure.texts["development"], "", "SDGsとの関連性", ""], ["取組内容", TEXT],
            ["成果指標 (KPI)", names],
            ["現状値 (2022 (R4) 年度)", " ".join(_shown(k.baseline or Decimal(0), k.unit) for k in measure.kpis),
             "目標値 (2028年 (R10) 度)", " ".join(_shown(k.target or Decimal(1), k.unit) for k in measure.kpis),
             "関係市町", "一関市 平泉町"],
            ["事業名称", measure.texts["projects"]], ["事業効果", TEXT],
            ["実施年度", *(f"{y} (R{y - 2018})" for y in YEARS)],
            ["事業費 (千円)", *(f"{measure.budgets[y]:,}" for y in YEARS)],
            ["役割分担", TEXT], ["実績値", *(f"{y} (R{y - 2018})" for y in YEARS)],
        ]  # fmt: skip
        rows += [["", _shown(k.actuals[2024], k.unit)] for k in measure.kpis]
        rows += [
            ["2024年度評価", measure.texts["evaluation"]],
            ["次年度以降の取組", measure.texts["next_steps"]],
        ]
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                ws.write_string(r, c, value, label if c == 0 else cell)
            if len(row) == 2 and row[0] and not row[0].startswith("実績"):
                ws.merge_range(r, 1, r, 5, row[1], cell)
        if merged_down:
            top = next(r for r, row in enumerate(rows) if row[0] == "実績値")
            ws.merge_range(top, 0, top + len(measure.kpis), 0, "実績値", label)
    book.close()


def expected_path(folder: Path) -> Path:
    return folder.parent / f"{folder.name}.expected.json"


def make_corpus(folder: Path, files: int, sheets: int, seed: int = 2024) -> dict[str, object]:
    """Write the corpus and, beside it, what it must give (returned too):

    {"version": VERSION, "files": files, "sheets": sheets,
     "measures": {施策名: {"layout": layout,
                          "kpis": [[成果指標, FY2024 grade, FY2024 actual, target], ...]}}}
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.xlsx"):
        old.unlink()
    measures_expected: dict[str, dict[str, object]] = {}
    number = 0
    for index in range(files):
        layout = LAYOUTS[index % len(LAYOUTS)]
        measures = []
        for _ in range(sheets):
            number += 1
            measure = random_measure(rng, number)
            measures.append(measure)
            grades = [
                [k.name, expected_grade(k.actuals[2024], k.target or Decimal(0)),
                 str(k.actuals[2024]), str(k.target)]
                for k in measure.kpis
            ]  # fmt: skip
            measures_expected[measure.name] = {"layout": layout, "kpis": grades}
        path = folder / f"{index:04d}_部署.xlsx"
        if layout == "template":
            write_forms(path, measures)
        else:
            write_seed_layout(path, measures, merged_down=layout != "seed")
    expected: dict[str, object] = {
        "version": VERSION, "files": files, "sheets": sheets, "measures": measures_expected,
    }  # fmt: skip
    expected_path(folder).write_text(json.dumps(expected, ensure_ascii=False), encoding="utf-8")
    return expected
