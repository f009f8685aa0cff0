"""The page's calls into xlkpi.api, run by Pyodide in the page's Web Worker.

Files arrive as [name, bytes] pairs; each call returns (JSON text, workbook bytes or None);
the JSON says "answered": false with an error for a usage error or a fault.
The JSON holds what the page shows: the lines the CLI would print, the problems and the
ledger (xlkpi check --json's records), or an error said in Japanese. Nothing here grades
or reads: it is one more client of the API, like the CLI.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from typing import Any

from xlkpi import api
from xlkpi.output import OutputError
from xlkpi.prefill import BrokenSummary
from xlkpi.render import year_outside_plan
from xlkpi.settings import SettingsError

Reply = tuple[str, bytes | None]


def _pairs(files: Any) -> list[tuple[str, bytes]]:
    """[[name, Uint8Array], ...] from JavaScript, as (name, bytes) pairs."""
    return [(str(item[0]), item[1].to_bytes()) for item in files]


def _answer(
    work: Callable[[], tuple[dict[str, object], bytes | None]],
) -> Reply:
    try:
        shown, data = work()
        return json.dumps({**shown, "answered": True}, ensure_ascii=False), data
    except api.YearOutsidePlan as exc:
        said = year_outside_plan(exc.year, exc.years).replace(f"--year {exc.year}", f"{exc.year}年度")
        return _failure(said), None
    except (ValueError, SettingsError, OutputError, BrokenSummary) as exc:
        return _failure(str(exc)), None
    except Exception:
        detail = traceback.format_exc()
        said = "xlkpi の内部エラーで止まりました（調書の誤りではありません）。下の内容を xlkpi の担当者に知らせてください。"
        return _failure(said, detail), None


def _failure(message: str, detail: str = "") -> str:
    return json.dumps({"answered": False, "error": message, "detail": detail}, ensure_ascii=False)


def _records(result: api.Result) -> dict[str, object]:
    return {**result.to_dict(), "counts": result.counts, "year": result.year}


def merge(files: Any, previous: Any, year: str, progress: Any) -> Reply:
    """集計: the summary workbook, and what `xlkpi merge` would print."""

    def work() -> tuple[dict[str, object], bytes | None]:
        before = _pairs([previous])[0] if previous is not None else None
        result = api.merge(_pairs(files), year=year.strip() or None, previous=before,
                           on_file=lambda total, sheets: progress(total, sheets))  # fmt: skip
        summary = result.summary()
        lines = result.text("集計.xlsx").splitlines()
        return {**_records(result), "lines": lines, "fine": result.ok}, summary

    return _answer(work)


def check(files: Any) -> Reply:
    """点検: a return's problems with their hints, as `xlkpi check` finds them."""

    def work() -> tuple[dict[str, object], bytes | None]:
        result = api.check(_pairs(files))
        lines = result.check_text().splitlines()[-1:]  # the counts; problems go in the table
        return {**_records(result), "lines": lines, "fine": result.clean}, None

    return _answer(work)


def template(period: str) -> Reply:
    """様式: the blank form, for the plan period asked (default 2024-2028)."""

    def work() -> tuple[dict[str, object], bytes | None]:
        made = api.template(period=period.strip() or None)
        years = made.period.years
        line = f"様式を作成しました（計画期間 {years[0]}〜{years[-1]}年度、現状値 {made.period.base_year}年度）。"
        return {"lines": [line]}, made.data

    return _answer(work)
