"""Grading rules as settings (xlkpi.toml): each setting with a worked example checked by hand.

Every example goes the whole way: a form written by the template writer, read
back, graded by the rule the settings file describes.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from conftest import SAMPLES
from published import GRADES_2024
from test_cli import run
from xlkpi import form
from xlkpi.grading import DEFAULT_RULE
from xlkpi.merge import MergeResult, merge
from xlkpi.model import Kpi, Measure
from xlkpi.settings import SettingsError, load_rule
from xlkpi.template import write_forms


def kpi(name: str, baseline: str | None, target: str, *actuals: str, unit: str = "人") -> Kpi:
    return Kpi(
        name=name,
        unit=unit,
        baseline=Decimal(baseline) if baseline is not None else None,
        target=Decimal(target),
        actuals={2024 + i: Decimal(a) for i, a in enumerate(actuals)},
    )


def returns(folder: Path, *kpis: Kpi, settings: str | None = None) -> Path:
    """One return, one measure per KPI, and the settings file beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    measures = [
        Measure(
            name=f"施策{i}", number=i, viewpoint="生活機能の強化", policy_field="医療", kpis=[k]
        )
        for i, k in enumerate(kpis, start=1)
    ]
    write_forms(folder / "return.xlsx", measures)
    if settings is not None:
        (folder / "xlkpi.toml").write_text(settings, encoding="utf-8")
    return folder


def merged(folder: Path) -> MergeResult:
    """The folder merged by the rule its settings file describes."""
    return merge([folder], rule=load_rule(folder / "xlkpi.toml"))


def grades(folder: Path, year: int = 2024) -> dict[str, tuple[str, float | None]]:
    """KPI name -> (grade, ratio as a float) as merged with the settings found beside it."""
    code, _, err = run("merge", folder, "-o", folder.parent / f"{folder.name}.xlsx", "-j", "1")
    assert code == 0, err
    wb = openpyxl.load_workbook(folder.parent / f"{folder.name}.xlsx")
    ws = wb["データ"]
    header = [c.value for c in ws[1]]
    at = {name: header.index(name) for name in ("成果指標", "年度", "評価", "達成率")}
    found = {}
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[at["年度"]] == year and row[at["評価"]]:
            found[str(row[at["成果指標"]])] = (str(row[at["評価"]]), row[at["達成率"]])
    return found


def test_progress_from_the_baseline(tmp_path: Path) -> None:
    # base 100, target 110, actual 105: (105 - 100) / (110 - 100) = 5 / 10 = 50 % -> C
    # (by actual / target it would be 105 / 110 = 95.45 % -> B)
    # base 100, target 110, actual 99: -1 / 10 = -10 % -> D
    folder = returns(
        tmp_path / "r",
        kpi("来場者数", "100", "110", "105"),
        kpi("参加者数", "100", "110", "99"),
        settings='[grading]\nmethod = "progress"\n',
    )
    assert grades(folder) == {"来場者数": ("C", 0.5), "参加者数": ("D", -0.1)}


def test_lower_is_better_set_in_the_settings(tmp_path: Path) -> None:
    # target 20, actual 25, lower is better: 20 / 25 = 80 % -> B
    # the same numbers, higher is better: 25 / 20 = 125 % -> A
    folder = returns(
        tmp_path / "r",
        kpi("救急搬送の平均所要時間", "30", "20", "25", unit="分"),
        kpi("救急講習の受講者数", "30", "20", "25"),
        settings='[direction]\n"救急搬送の平均所要時間" = "lower"\n',
    )
    assert grades(folder) == {
        "救急搬送の平均所要時間": ("B", 0.8),
        "救急講習の受講者数": ("A", 1.25),
    }


def test_lower_is_better_set_by_a_direction_column_in_the_form(tmp_path: Path) -> None:
    # target 20, actual 25, 方向 低い方が良い: 20 / 25 = 80 % -> B, with no settings file
    folder = returns(tmp_path / "r", kpi("待機児童数", "30", "20", "25"))
    path = folder / "return.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["施策1"]
    layout = form.layout()
    column = layout.last_col + 2  # a column the department added right of 目標値
    ws.cell(layout.kpi_header_row + 1, column, "方向")
    ws.cell(layout.kpi_rows[0] + 1, column, "低い方が良い")
    wb.save(path)
    assert grades(folder) == {"待機児童数": ("B", 0.8)}


def test_a_reduction_target_with_no_direction_is_warned(tmp_path: Path) -> None:
    # 交通事故件数 150 -> 100, actual 120: graded as written, 120 / 100 = 120 % -> A, and warned;
    # lower is better it would be 100 / 120 = 83.3 % -> B.
    accidents = kpi("交通事故件数", "150", "100", "120", unit="件")
    # The seed's No. 4: a target lowered for a falling population, higher is better, A.
    children = kpi("地域子育て支援拠点事業の利用者数", "10778", "10162", "11837")
    folder = returns(tmp_path / "r", accidents, children)
    result = merge([folder])
    [warned] = [p for p in result.report.problems if p.code == "direction-unstated"]
    assert (warned.sheet, warned.cell) == ("施策1", "F8")
    assert "目標値 100 が現状値 150 より小さく" in warned.message
    assert {name: grade for name, (grade, _) in grades(folder).items()} == {
        "交通事故件数": "A",
        "地域子育て支援拠点事業の利用者数": "A",
    }
    stated = returns(tmp_path / "s", accidents, settings='[direction]\n"交通事故件数" = "lower"\n')
    assert "direction-unstated" not in merged(stated).report.codes()
    assert grades(stated)["交通事故件数"][0] == "B"
    # Progress needs no direction: (120 - 150) / (100 - 150) = 60 % -> C, and no warning.
    progress = returns(tmp_path / "p", accidents, settings='[grading]\nmethod = "progress"\n')
    assert "direction-unstated" not in merged(progress).report.codes()
    assert grades(progress)["交通事故件数"] == ("C", 0.6)


def test_a_reduction_target_stated_higher_is_better_is_not_warned(tmp_path: Path) -> None:
    folder = returns(tmp_path / "r", kpi("火災件数", "40", "30", "35", unit="件"))
    path = folder / "return.xlsx"
    wb = openpyxl.load_workbook(path)
    layout = form.layout()
    column = layout.last_col + 2
    wb["施策1"].cell(layout.kpi_header_row + 1, column, "方向")
    wb["施策1"].cell(layout.kpi_rows[0] + 1, column, "高い方が良い")
    wb.save(path)
    result = merge([folder])
    assert result.measures[0].kpis[0].grades == {2024: "A"}  # 35 / 30, as the form says
    assert "direction-unstated" not in result.report.codes()
    unstated = merge([returns(tmp_path / "u", kpi("火災件数", "40", "30", "35", unit="件"))])
    assert "direction-unstated" in unstated.report.codes()


def test_other_bands_and_labels(tmp_path: Path) -> None:
    # S >= 110 %, A >= 100 %, B >= 70 %, else C; good = S and A.
    # 108 / 100 = 108 % -> A;  69 / 100 = 69 % -> C;  110 / 100 -> S
    settings = """
[grading]
floor = "C"
good = 2
[[grading.bands]]
label = "S"
at_least = 110
[[grading.bands]]
label = "A"
at_least = 100
[[grading.bands]]
label = "B"
at_least = 70
"""
    folder = returns(
        tmp_path / "r",
        kpi("指標甲", "1", "100", "108"),
        kpi("指標乙", "1", "100", "69"),
        kpi("指標丙", "1", "100", "110"),
        settings=settings,
    )
    assert {k: g for k, (g, _) in grades(folder).items()} == {
        "指標甲": "A",
        "指標乙": "C",
        "指標丙": "S",
    }
    result = merged(folder)
    assert result.tallies is not None
    assert result.tallies.overall.by_grade == {"S": 1, "A": 1, "B": 0, "C": 1}
    assert result.tallies.overall.share == Fraction(2, 3)


def test_symbol_labels(tmp_path: Path) -> None:
    # ◎ >= 100 %, ○ >= 80 %, △ >= 50 %, else ×: 90 / 100 = 90 % -> ○
    settings = """
[grading]
floor = "×"
[[grading.bands]]
label = "◎"
at_least = 100
[[grading.bands]]
label = "○"
at_least = 80
[[grading.bands]]
label = "△"
at_least = 50
"""
    folder = returns(tmp_path / "r", kpi("指標", "1", "100", "90"), settings=settings)
    assert grades(folder) == {"指標": ("○", 0.9)}


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        # 1999 / 2500 = 79.96 %, 3997 / 5000 = 79.94 %
        ("none", {"甲": "C", "乙": "C"}),  # banded unrounded: both below 80 %
        ("one-decimal", {"甲": "B", "乙": "C"}),  # 80.0 % -> B; 79.9 % -> C
        ("whole", {"甲": "B", "乙": "B"}),  # 80 % and 80 % -> B
    ],
)
def test_rounding_before_banding(tmp_path: Path, rounding: str, expected: dict[str, str]) -> None:
    folder = returns(
        tmp_path / "r",
        kpi("甲", "1", "2500", "1999"),
        kpi("乙", "1", "5000", "3997"),
        settings=f'[grading]\nrounding = "{rounding}"\n',
    )
    assert {k: g for k, (g, _) in grades(folder).items()} == expected


def test_exact_halves_round_up(tmp_path: Path) -> None:
    # whole percent, half-up: 159 / 200 = 79.5 % exactly -> 80 % -> B (unrounded: C);
    # 99 / 200 = 49.5 % exactly -> 50 % -> C (unrounded: D)
    folder = returns(
        tmp_path / "r",
        kpi("甲", "1", "200", "159"),
        kpi("乙", "1", "200", "99"),
        settings='[grading]\nrounding = "whole"\n',
    )
    assert grades(folder) == {"甲": ("B", 0.8), "乙": ("C", 0.5)}


def test_target_zero_is_an_error_by_default_and_graded_by_reaching_it_if_set(
    tmp_path: Path,
) -> None:
    # 死亡事故件数, lower is better, target 0: actual 0 reaches it -> A; actual 2 does not -> D
    kpis = (kpi("死亡事故件数", "3", "0", "0", "2", unit="件"),)
    plain = returns(tmp_path / "plain", *kpis, settings='[direction]\n"死亡事故件数" = "lower"\n')
    result = merged(plain)
    assert [p.code for p in result.report.errors] == ["target-not-positive"]
    assert result.measures[0].kpis[0].grades == {}
    reached = returns(
        tmp_path / "reached",
        *kpis,
        settings='[grading]\nzero_target = "reached"\n[direction]\n"死亡事故件数" = "lower"\n',
    )
    assert grades(reached, 2024) == {"死亡事故件数": ("A", None)}
    assert grades(reached, 2025) == {"死亡事故件数": ("D", None)}


def test_progress_with_a_target_equal_to_the_baseline(tmp_path: Path) -> None:
    # base 50, target 50 ("keep it"): progress cannot be computed; with "reached",
    # actual 51 >= 50 -> A, actual 49 -> D
    kpis = (kpi("維持率", "50", "50", "51", "49", unit="%"),)
    folder = returns(tmp_path / "r", *kpis, settings='[grading]\nmethod = "progress"\n')
    result = merged(folder)
    assert [p.code for p in result.report.errors] == ["progress-no-span"]
    folder2 = returns(
        tmp_path / "r2",
        *kpis,
        settings='[grading]\nmethod = "progress"\nzero_target = "reached"\n',
    )
    assert grades(folder2, 2024) == {"維持率": ("A", None)}
    assert grades(folder2, 2025) == {"維持率": ("D", None)}


def test_progress_without_a_baseline_is_reported(tmp_path: Path) -> None:
    folder = returns(
        tmp_path / "r", kpi("指標", None, "10", "5"), settings='[grading]\nmethod = "progress"\n'
    )
    result = merged(folder)
    assert "progress-no-baseline" in [p.code for p in result.report.errors]


def test_without_a_settings_file_the_seed_rule_holds(tmp_path: Path) -> None:
    assert load_rule_or_default(SAMPLES) == DEFAULT_RULE
    result = merge([SAMPLES])
    graded: dict[int, list[str]] = {}
    for measure in result.measures:
        assert measure.number is not None
        graded[measure.number] = [k.grades[2024] for k in measure.kpis]
    assert graded == GRADES_2024  # the seed's published grades, typed in by hand


def load_rule_or_default(folder: Path) -> object:
    from xlkpi.settings import find_settings

    path = find_settings([folder])
    return load_rule(path) if path else DEFAULT_RULE


def test_the_rule_in_force_is_stated_on_the_overview(tmp_path: Path) -> None:
    folder = returns(
        tmp_path / "r",
        kpi("指標", "100", "110", "105"),
        settings='[grading]\nmethod = "progress"\n',
    )
    code, out, _ = run("merge", folder, "-o", tmp_path / "s.xlsx")
    assert code == 0 and "評価基準: 設定ファイル xlkpi.toml の基準で評価しました。" in out
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    texts = [c.value for row in wb["概要"].iter_rows() for c in row if isinstance(c.value, str)]
    stated = [t for t in texts if t.startswith("評価基準:")]
    assert stated and "(実績値 − 現状値) ÷ (目標値 − 現状値)" in stated[0]
    assert "設定ファイル xlkpi.toml" in stated[0]


def test_config_option_and_an_unknown_kpi_in_the_settings(tmp_path: Path) -> None:
    folder = returns(tmp_path / "r", kpi("指標", "1", "100", "90"))
    config = tmp_path / "rules.toml"
    config.write_text('[direction]\n"存在しない指標" = "lower"\n', encoding="utf-8")
    code, _, err = run("merge", folder, "-o", tmp_path / "s.xlsx", "--config", config)
    assert code == 0  # a warning, not an error
    assert "「存在しない指標」という成果指標は、調書にありません" in err
    result = merge([folder], rule=load_rule(config))
    assert [p.code for p in result.report.problems if p.file == "rules.toml"] == [
        "settings-kpi-unknown"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[grading]\nmethod = "ratio"\nmethod = "x"\n', "3 行目: TOML の書き方が正しくありません"),
        ('[grading]\n\nmethd = "progress"\n', "3 行目: grading.methd: 知らない設定です"),
        ('[grading]\nmethod = "progres"\n', "2 行目: grading.method: 'progres' は使えません"),
        ('[grading]\nrounding = "half"\n', "2 行目: grading.rounding: 'half' は使えません"),
        ("[grading]\nzero_target = 0\n", "2 行目: grading.zero_target: 0 は使えません"),
        ("[grading]\ngood = 5\n", "2 行目: grading.good: 1 から 3 までの整数"),
        (
            '[grading]\nfloor = "D"\n[[grading.bands]]\nlabel = "A"\nat_least = 80\n'
            '[[grading.bands]]\nlabel = "B"\nat_least = 90\n',
            "8 行目: grading.bands[2].at_least: 上の評価より小さい値に",
        ),
        (
            '[grading]\nfloor = "D"\n[[grading.bands]]\nlabel = "A"\nat_least = "100%"\n',
            "5 行目: grading.bands[1].at_least: 下限の達成率をパーセントの数値で",
        ),
        (
            '[grading]\n[[grading.bands]]\nlabel = "A"\nat_least = 100\n',
            "1 行目: grading.floor: 最も低い評価の名前",
        ),
        ('[grading]\nfloor = "A"\n', "2 行目: grading.floor: 評価の名前が重複しています"),
        (
            '[grading]\nfloor = "D"\n[[grading.bands]]\nlabel = "A"\nat_least = inf\n',
            "5 行目: grading.bands[1].at_least: inf は数値ではありません",
        ),
        (
            '[grading]\nfloor = "D"\n[[grading.bands]]\nlabel = "A"\nabove = 100\n',
            "5 行目: grading.bands[1].above: 知らない設定です",
        ),
        ('\n[direction]\n"指標" = "down"\n', "3 行目: direction.指標: 'down' は使えません"),
        ('colour = "red"\n', "1 行目: colour: 知らない設定です"),
        # a grade's name is a COUNTIFS criterion and sits in quoted formula text
        (
            '[grading]\nfloor = "D"\n[[grading.bands]]\nlabel = "A*"\nat_least = 100\n',
            "4 行目: grading.bands[1].label: 'A*' は使えません",
        ),
        ('[grading]\nfloor = "<50%"\n', "2 行目: grading.floor: '<50%' は使えません"),
        ("[grading]\nfloor = '\"D\"'\n", "2 行目: grading.floor: '\"D\"' は使えません"),
        ('[grading]\nfloor = " A "\n', "2 行目: grading.floor: 評価の名前が重複しています"),
    ],
)
def test_a_malformed_settings_file_names_the_key_and_line_and_exits_2(
    tmp_path: Path, text: str, expected: str
) -> None:
    folder = tmp_path / "returns"
    shutil.copytree(SAMPLES, folder)
    (folder / "xlkpi.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=expected.split(":")[0]):
        load_rule(folder / "xlkpi.toml")
    code, out, err = run("merge", folder, "-o", tmp_path / "s.xlsx")
    assert (code, out) == (2, "")
    assert err.startswith("設定ファイル xlkpi.toml") or err.startswith(f"設定ファイル {folder}")
    assert expected in err
    assert not (tmp_path / "s.xlsx").exists()


def test_forms_and_template_tell_departments_the_rule_in_force(tmp_path: Path) -> None:
    folder = returns(
        tmp_path / "r",
        kpi("指標", "100", "110", "105"),
        settings='[grading]\nmethod = "progress"\n',
    )

    def instructions(path: Path) -> str:
        ws = openpyxl.load_workbook(path)["記入要領"]
        return next(
            str(c.value) for row in ws.iter_rows() for c in row if "評価の方法" in str(c.value)
        )

    code, _, err = run("forms", folder, "-o", tmp_path / "next")
    assert code == 0, err
    stated = instructions(tmp_path / "next" / "return.xlsx")
    assert "(実績値 − 現状値) ÷ (目標値 − 現状値)" in stated and "設定ファイル xlkpi.toml" in stated
    code, _, err = run("template", "-o", tmp_path / "様式.xlsx", "--config", folder / "xlkpi.toml")
    assert code == 0, err
    assert instructions(tmp_path / "様式.xlsx") == stated
    code, _, _ = run("template", "-o", tmp_path / "標準.xlsx")
    assert code == 0
    assert instructions(tmp_path / "標準.xlsx") == f"13. 評価の方法: {DEFAULT_RULE.describe()}"


def test_two_settings_files_that_differ_are_not_guessed_between(tmp_path: Path) -> None:
    progress = '[grading]\nmethod = "progress"\n'
    first = returns(tmp_path / "市", kpi("指標", "100", "110", "105"), settings=progress)
    second = tmp_path / "町"
    second.mkdir()
    write_forms(second / "町.xlsx", [Measure(name="町の施策", number=2, viewpoint="生活機能の強化",
                                            policy_field="医療", kpis=[kpi("指標2", "1", "2", "2")])])  # fmt: skip
    (second / "xlkpi.toml").write_text("", encoding="utf-8")
    # The first folder's file used to grade both folders' returns, the other file unread.
    code, _, err = run("merge", first, second, "-o", tmp_path / "s.xlsx")
    assert code == 2 and not (tmp_path / "s.xlsx").exists()
    assert (
        f"内容の違う設定ファイルが複数あります（{first / 'xlkpi.toml'}、{second / 'xlkpi.toml'}）。"
        "使う一つを --config で指定してください。"
    ) in err
    assert run("merge", first, second, "-o", tmp_path / "s.xlsx", "--config",
               first / "xlkpi.toml")[0] == 0  # fmt: skip
    (second / "xlkpi.toml").write_text(progress, encoding="utf-8")  # the same rule twice
    code, out, _ = run("merge", first, second, "-o", tmp_path / "s.xlsx")
    assert code == 0 and "設定ファイル xlkpi.toml の基準" in out
