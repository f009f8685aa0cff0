"""The previous year's grades, for the comparison on 概要, 分野別集計 and 継続C・D.

They come from the forms' own year columns when those hold the previous year;
otherwise from last year's xlkpi summary (--previous). The matching rule, in order:

1. the same 施策名 and the same 成果指標 (after label folding); 施策番号 is not
   used, so a renumbered measure still matches;
2. a renamed KPI: the same 施策名, and exactly one KPI of that measure left
   unmatched on each side (warning previous-kpi-renamed, naming both names);
3. a renamed measure: the same 成果指標, held by exactly one unmatched KPI on each
   side (warning previous-measure-renamed, naming both names).

What is still unmatched is reported on both sides (previous-unmatched,
previous-orphan) and listed on 概要; nothing is merged or dropped silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from xlkpi.intake import Limits, Named, shown_name
from xlkpi.model import Kpi, Measure
from xlkpi.problems import Problem, problem
from xlkpi.values import clean_text, fold_label
from xlkpi.workbook import Rejected, Workbook, sheet_names

# The summary's sheets that say a workbook is one (summary.base uses these names).
DATA_SHEET = "データ"
MEASURE_SHEET = "施策データ"
LEDGER_SHEET = "受付"
_COLUMNS = ("施策名", "成果指標", "年度", "評価")

Key = tuple[str, str, int]  # measure, KPI name, which of the KPIs of that name


def is_summary(sheet_names: Iterable[str]) -> bool:
    """An xlkpi summary, told by its sheets: no return has all three."""
    return {DATA_SHEET, MEASURE_SHEET, LEDGER_SHEET} <= set(sheet_names)


def is_summary_file(file: Path | bytes) -> bool:
    """Is the file (or content) an xlkpi summary? Only its sheet list is read, whatever its size."""
    return not why_not_summary(file)


def why_not_summary(file: Path | bytes) -> str:
    """Why the file is no xlkpi summary, in words ("" when it is one); its sheet list only."""
    try:
        if is_summary(sheet_names(file)):
            return ""
    except Rejected as exc:  # said as it would be of a return: "Excel ブックではありません（…）"
        return problem(exc.code, detail=exc.detail).message.removesuffix("。")
    except OSError as exc:
        return f"読み込めません: {exc.strerror or type(exc).__name__}"
    return f"「{DATA_SHEET}」「{MEASURE_SHEET}」「{LEDGER_SHEET}」のシートがありません。調書かもしれません"


@dataclass
class Comparison:
    year: int
    source: str  # "調書" or the previous summary's file name
    unmatched: list[tuple[Measure, Kpi]] = field(default_factory=list)
    orphans: list[tuple[str, str, str]] = field(default_factory=list)  # measure, KPI, grade


def key(measure_name: str, kpi_name: str, seen: Counter[tuple[str, str]]) -> Key:
    """The KPI's key; `seen` counts the KPIs of each name so far (a copied row not renamed)."""
    names = fold_label(measure_name), fold_label(kpi_name)
    seen[names] += 1
    return *names, seen[names] - 1


def read_previous_grades(
    source: Path | Named, year: int, labels: tuple[str, ...], limits: Limits | None = None
) -> tuple[dict[Key, tuple[str, str, str]], list[Problem]]:
    """(measure, KPI) -> (measure name, KPI name, grade) for `year`, from an xlkpi summary.

    Only grades among this year's `labels` are kept: another rule's bands do not compare.
    """
    where = {"file": _name(source)}
    try:
        data = source.read_bytes() if isinstance(source, Path) else source[1]
        rows = Workbook(data, limits).rows(DATA_SHEET)
        header = [clean_text(v) for v in next(rows, [])]
        if not all(name in header for name in _COLUMNS):
            detail = "「データ」シートの見出しが違います"
            return {}, [problem("previous-unreadable", **where, detail=detail)]
        at = [header.index(name) for name in _COLUMNS]
        table = [[clean_text(row[i]) if i < len(row) else "" for i in at] for row in rows]
    except Rejected as exc:  # said as it would be of a return: "Excel ブックではありません（…）"
        said = problem(exc.code, detail=exc.detail).message.removesuffix("。")
        return {}, [problem("previous-unreadable", **where, detail=said)]
    except OSError as exc:
        detail = f"読み込めません: {exc.strerror or type(exc).__name__}"
        return {}, [problem("previous-unreadable", **where, detail=detail)]
    except KeyError:
        return {}, [problem("previous-unreadable", **where, detail="「データ」シートがありません")]
    found: dict[Key, tuple[str, str, str]] = {}
    unknown: Counter[str] = Counter()
    seen: Counter[tuple[str, str]] = Counter()
    for measure, kpi, shown_year, grade in table:
        if shown_year == str(year) and grade:
            if grade in labels:
                found[key(measure, kpi, seen)] = (measure, kpi, grade)
            else:
                unknown[grade] += 1
    problems = []
    if unknown:
        shown = "、".join(f"「{grade}」{count} 件" for grade, count in unknown.most_common(5))
        more = f" ほか {len(unknown) - 5} 種類" if len(unknown) > 5 else ""
        problems.append(
            problem("previous-grade-unknown", **where, found=shown + more, labels="・".join(labels))
        )
    if not found:
        return {}, problems or [problem("previous-no-year", **where, year=year)]
    return found, problems


def _name(source: Path | Named) -> str:
    return shown_name(source.name if isinstance(source, Path) else Path(source[0]).name)


def compare(
    measures: list[Measure],
    year: int,
    previous: Path | Named | None,
    labels: tuple[str, ...],
    limits: Limits | None = None,
) -> tuple[Comparison | None, list[Problem]]:
    """Fill each KPI's previous-year grade where the forms lack it; report what stays unmatched."""
    prev = year - 1
    kpis = [(m, k) for m in measures for k in m.kpis]
    from_forms = any(prev in k.grades for _, k in kpis)
    if previous is None:
        if not from_forms:
            return None, []
        missing = [(m, k) for m, k in kpis if prev not in k.grades]
        return Comparison(prev, "調書", unmatched=missing), []
    grades, problems = read_previous_grades(previous, prev, labels, limits)
    if not grades:
        return (Comparison(prev, "調書") if from_forms else None), problems
    shown = _name(previous)
    comparison = Comparison(prev, shown if not from_forms else f"調書・{shown}")
    waiting: list[tuple[Measure, Kpi]] = []
    used: set[Key] = set()
    seen: Counter[tuple[str, str]] = Counter()
    for measure, kpi in kpis:  # rule 1
        item_key = key(measure.name, kpi.name, seen)
        if prev in kpi.grades:
            used.add(item_key)
        elif item_key in grades:
            kpi.grades[prev] = grades[item_key][2]
            used.add(item_key)
        else:
            waiting.append((measure, kpi))
    matched: set[int] = set()
    for pair, old, code in _renamed(waiting, {k: v for k, v in grades.items() if k not in used}):
        measure, kpi = pair
        kpi.grades[prev] = grades[old][2]
        used.add(old)
        matched.add(id(pair))
        problems.append(
            problem(
                code,
                file=measure.file,
                sheet=measure.sheet,
                name=measure.name,
                kpi=kpi.name,
                old_name=grades[old][0],
                old_kpi=grades[old][1],
            )
        )
    for measure, kpi in (pair for pair in waiting if id(pair) not in matched):
        comparison.unmatched.append((measure, kpi))
        problems.append(
            problem(
                "previous-unmatched",
                file=measure.file,
                sheet=measure.sheet,
                name=measure.name,
                kpi=kpi.name,
            )
        )
    for item_key, (name, kpi_name, grade) in grades.items():
        if item_key not in used:
            comparison.orphans.append((name, kpi_name, grade))
            problems.append(
                problem(
                    "previous-orphan",
                    file=shown,
                    sheet=DATA_SHEET,
                    name=name,
                    kpi=kpi_name,
                    grade=grade,
                )
            )
    return comparison, problems


def _renamed(
    waiting: list[tuple[Measure, Kpi]], left: dict[Key, tuple[str, str, str]]
) -> list[tuple[tuple[Measure, Kpi], Key, str]]:
    """Rules 2 and 3: one-to-one leftovers under the same measure, or with the same KPI name."""
    found: list[tuple[tuple[Measure, Kpi], Key, str]] = []
    taken: set[Key] = set()
    done: set[int] = set()
    for side, code in ((0, "previous-kpi-renamed"), (1, "previous-measure-renamed")):
        mine: dict[str, list[tuple[Measure, Kpi]]] = {}
        for pair in waiting:
            if id(pair) in done:
                continue
            mine.setdefault(fold_label(pair[side].name), []).append(pair)
        theirs: dict[str, list[Key]] = {}
        for old in left:
            if old not in taken:
                theirs.setdefault(old[1] if side else old[0], []).append(old)
        for shared, pairs in mine.items():
            olds = theirs.get(shared, [])
            if len(pairs) == 1 and len(olds) == 1:
                found.append((pairs[0], olds[0], code))
                taken.add(olds[0])
                done.add(id(pairs[0]))
    return found
