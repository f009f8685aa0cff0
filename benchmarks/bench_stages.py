"""Where a merge's time goes, stage by stage, in one process (no workers, no start-up).

    python benchmarks/bench_stages.py [SIZE]    # default M (200 workbooks x 25 sheets)

Runs the same steps as `xlkpi merge` serially over a corpus of bench_merge.py and
times each stage by wrapping the function that does it: discovery, opening each
workbook (zip and package checks, styles, calamine's open), python-calamine's parse
of each sheet to Python values, xlkpi's own pass over the sheet XML (unzip, entity and
extent checks, merged-cell map, percent formats, formulas, hidden lines), the form
reading, grading, the rest of read_file (the file's bytes, the ledger), pickling each file's records and
reading them back (what workers send the parent), the checks across returns, and the
summary write. Best of --rounds rounds per stage, so that a noisy spell on a shared
machine counts least. The summary's grades are checked as bench_merge.py does.

With --count STEP it makes one untimed pass through that step instead, for an
instruction counter (valgrind --tool=callgrind): see docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_merge import check_summary, corpus  # noqa: E402

from xlkpi import merge as merge_module  # noqa: E402
from xlkpi import summary, workbook  # noqa: E402
from xlkpi.intake import discover  # noqa: E402

spent: dict[str, float] = defaultdict(float)


def timing(stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[stage] += time.perf_counter() - start

    return timed


class _TimedSheet:
    def __init__(self, sheet: Any) -> None:
        self._sheet = sheet

    def to_python(self, **kwargs: Any) -> Any:
        return timing("calamine parse", self._sheet.to_python)(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sheet, name)


class _TimedBook:
    def __init__(self, book: Any) -> None:
        self._book = book

    def get_sheet_by_name(self, name: str) -> Any:
        return _TimedSheet(timing("calamine parse", self._book.get_sheet_by_name)(name))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._book, name)


def instrument() -> None:
    """Wrap the functions each stage runs; calamine's parse is counted apart from grid()."""
    opened = workbook.Workbook.__init__

    def open_book(self: workbook.Workbook, *args: Any, **kwargs: Any) -> None:
        opened(self, *args, **kwargs)
        self._book = _TimedBook(self._book)

    workbook.Workbook.__init__ = timing("open workbook", open_book)  # type: ignore[method-assign]
    workbook.Workbook.grid = timing("grid", workbook.Workbook.grid)  # type: ignore[method-assign]
    merge_module.read_sheet = timing("form reading", merge_module.read_sheet)
    merge_module.grade_measure = timing("grading", merge_module.grade_measure)
    merge_module.read_file = timing("read_file", merge_module.read_file)


def one_round(folder: Path, out: Path) -> dict[str, float]:
    spent.clear()
    start = time.perf_counter()
    candidates, report = discover([folder], out)
    spent["discovery"] = time.perf_counter() - start
    results = [merge_module._read_guarded(c) for c in candidates]
    start = time.perf_counter()
    for result in results:
        pickle.loads(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
    spent["pickle + unpickle"] = time.perf_counter() - start
    start = time.perf_counter()
    rest = (result for result in results)  # a generator: merge may close() it
    original = merge_module.read_all
    merge_module.read_all = lambda *args: rest  # type: ignore[assignment]
    try:
        merged = merge_module.merge_candidates(candidates, report)
    finally:
        merge_module.read_all = original
    spent["checks across returns"] = time.perf_counter() - start
    start = time.perf_counter()
    summary.write_summary(merged, out)
    spent["summary write"] = time.perf_counter() - start
    found = dict(spent)
    found["xlkpi XML pass"] = found.pop("grid") - found["calamine parse"]
    inner = ("open workbook", "calamine parse", "xlkpi XML pass", "form reading", "grading")
    found["rest of read_file"] = found.pop("read_file") - sum(found[k] for k in inner)
    return found


STEPS = ("import", "open", "parse", "grid", "form", "read", "pickle", "merge", "write")


def count(folder: Path, files: int, upto: str) -> None:
    """One untimed pass over the first `files` workbooks, through step `upto`, for an
    instruction counter: the count of one step less that of the step before is that
    step's work, whatever else the machine runs. (See docs/performance.md.)"""
    from xlkpi.reader import read_sheet

    steps = STEPS[: STEPS.index(upto) + 1]
    candidates, report = discover([folder])
    candidates = candidates[:files]
    if steps[-1] in ("open", "parse", "grid", "form"):
        for candidate in candidates:
            book = workbook.Workbook(candidate.read())
            for info in book.sheets:
                if info.kind != "worksheet" or info.part is None:
                    continue
                if upto == "parse":
                    book._book.get_sheet_by_name(info.name).to_python(skip_empty_area=False)
                elif upto in ("grid", "form"):
                    grid = book.grid(info)
                    if upto == "form":
                        read_sheet(grid, candidate.display)
        return
    if "read" not in steps:
        return
    results = [merge_module._read_guarded(c) for c in candidates]
    if "pickle" in steps:
        for result in results:
            pickle.loads(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
    if "merge" in steps:
        rest = (result for result in results)  # a generator: merge may close() it
        merge_module.read_all = lambda *args: rest  # type: ignore[assignment]
        merged = merge_module.merge_candidates(candidates, report)
        if "write" in steps:
            summary.write_summary(merged, Path(tempfile.mkdtemp()) / "summary.xlsx")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", nargs="?", default="M")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", choices=STEPS, help="one untimed pass through this step")
    parser.add_argument("--files", type=int, default=40, help="workbooks read with --count")
    args = parser.parse_args()
    folder, expected, sheets = corpus(args.size)
    if args.count:
        gc.disable()  # the collector runs by allocation counts: the same in every count
        count(folder, args.files, args.count)
        return
    out = Path(tempfile.mkdtemp()) / "summary.xlsx"
    instrument()
    gc.collect()
    rounds = [one_round(folder, out) for _ in range(args.rounds)]
    check = check_summary(out, expected)
    order = ["discovery", "open workbook", "calamine parse", "xlkpi XML pass", "form reading",
             "grading", "rest of read_file", "pickle + unpickle", "checks across returns",
             "summary write"]  # fmt: skip
    print(f"{args.size} corpus, {sheets:,} sheets, one process, best of {args.rounds} rounds")
    print(f"{'stage':24} {'seconds':>8} {'µs/sheet':>9}")
    total = 0.0
    for stage in order:
        best = min(r[stage] for r in rounds)
        total += best
        print(f"{stage:24} {best:8.3f} {best / sheets * 1e6:9.0f}")
    print(f"{'total':24} {total:8.3f} {total / sheets * 1e6:9.0f}")
    right, expected_kpis = sum(check.right.values()), sum(check.total.values())
    print(f"KPIs graded as the generator intends: {right:,} / {expected_kpis:,}")
    for line in check.wrong:
        print(f"  {line}")
    if not check.ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
