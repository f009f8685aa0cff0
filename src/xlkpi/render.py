"""Text the CLI prints: result lines in Japanese, problems as ファイル!シート!セル: メッセージ."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from xlkpi.merge import MergeResult
from xlkpi.problems import Report
from xlkpi.summary.base import year_title

if TYPE_CHECKING:
    from xlkpi.prefill import Written


def problem_lines(report: Report, *, hints: bool = False, limit: int | None = None) -> list[str]:
    """One line per problem: ファイル!シート!セル: メッセージ (and the hint, for check).

    With `limit`, errors come before warnings and the rest is counted, not printed.
    """
    problems = report.problems
    if limit is not None:
        problems = [*report.errors, *report.warnings]
    lines = [
        (f"{p.where}: " if p.where else "")
        + p.message
        + (f"（{p.hint}）" if hints and p.hint else "")
        for p in problems[:limit]
    ]
    if limit is not None and len(problems) > limit:
        lines.append(
            f"…ほか {len(problems) - limit} 件（すべて集計ブックの「受付」シートにあります）"
        )
    return lines


def _counts_line(result: MergeResult) -> str:
    tallies = result.tallies
    if tallies is None or result.year is None:
        return "評価できる実績値がありません。"
    overall = tallies.overall
    counts = "、".join(f"{label} {n}件" for label, n in overall.by_grade.items())
    share = overall.share
    good = "及び".join(result.rule.good_labels)
    shown = f"{float(share) * 100:.1f}%" if share is not None else "－"
    return f"{year_title(result.year)}の達成状況: {counts}（{good} {shown}）"


def _read_line(result: MergeResult) -> str:
    kpis = sum(len(m.kpis) for m in result.measures)
    return (
        f"読み込み: ファイル {result.files} 件、施策 {len(result.measures)} 件、成果指標 {kpis} 件"
    )


def merge_summary(result: MergeResult, output: Path) -> str:
    report = result.report
    lines = [_read_line(result), _counts_line(result)]
    if result.rule.source:
        lines.append(f"評価基準: 設定ファイル {result.rule.source} の基準で評価しました。")
    if result.comparison is not None:
        comparison = result.comparison
        weak = len({m.name for m, _ in result.continuing_weak()})
        lines.append(
            f"前年度 {year_title(comparison.year)} の評価（出所: {comparison.source}）と比較: "
            f"継続して{'・'.join(result.rule.labels[result.rule.good :])}の施策 {weak} 件"
        )
    lines += [
        f"エラー {len(report.errors)} 件、警告 {len(report.warnings)} 件"
        + ("（詳細は集計ブックの「受付」シート）" if report.problems else ""),
        f"出力: {output}",
    ]
    return "\n".join(lines) + "\n"


def check_summary(result: MergeResult) -> str:
    report = result.report
    if not report.problems:
        return f"問題はありません。{_read_line(result)}\n"
    return f"エラー {len(report.errors)} 件、警告 {len(report.warnings)} 件。{_read_line(result)}\n"


def check_json(result: MergeResult) -> dict[str, object]:
    report = result.report
    return {
        "ok": not report.problems,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "problems": [
            {
                "code": p.code,
                "severity": p.severity.value,
                "file": p.file,
                "sheet": p.sheet,
                "cell": p.cell,
                "message": p.message,
                "hint": p.hint,
            }
            for p in report.problems
        ],
        "ledger": [
            {
                "file": e.file,
                "sheet": e.sheet,
                "status": e.status.value,
                "note": e.note,
                "measure": e.measure,
            }
            for e in report.ledger
        ],
    }


def forms_summary(year: int, written: list[Written], *, complete: bool) -> str:
    """What `xlkpi forms` wrote, and what it could not."""
    lines = [
        f"次年度（{year_title(year + 1)}）の調書を作成しました（実績値は {year_title(year)} まで記入済み）:"
    ]
    for item in written:
        years = item.period.years
        note = (
            ""
            if year + 1 in years
            else (
                f"　※{year + 1}年度は計画期間（{years[0]}〜{years[-1]}年度）の外です。"
                "新しい計画期間の様式は xlkpi template --period で作成してください"
            )
        )
        lines.append(f"  {item.path}（施策 {item.measures} 件、もとの調書: {item.source}）{note}")
    if not complete:
        lines.append("エラーのあった施策や値は書き写していません（上のエラーを参照）。")
    return "\n".join(lines) + "\n"


def year_outside_plan(year: int, plan_years: tuple[int, ...]) -> str:
    """Why --year was refused: the plan years the returns hold, as runs (2024〜2028年度)."""
    runs: list[list[int]] = []
    for plan_year in plan_years:
        if runs and plan_year == runs[-1][-1] + 1:
            runs[-1].append(plan_year)
        else:
            runs.append([plan_year])
    spans = "・".join(f"{r[0]}〜{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs)
    return (
        f"--year {year}: 調書の計画期間（{spans}年度）にない年度のため、評価できません。"
        "今年度を確認してください。"
    )


def report_summary(result: MergeResult, output: Path, places: int) -> str:
    report = result.report
    lines = [_read_line(result), _counts_line(result)]
    if result.comparison is not None:
        lines.append(
            f"前年度 {year_title(result.comparison.year)} の評価（出所: {result.comparison.source}）と比較しました。"
        )
    lines += [
        f"エラー {len(report.errors)} 件、警告 {len(report.warnings)} 件",
        f"出力: {output}（事務局の記入欄 {places} か所を黄色で示しています）",
    ]
    return "\n".join(lines) + "\n"
