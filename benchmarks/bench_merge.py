"""Benchmark: xlkpi merge against a bare python-calamine read and pandas.read_excel.

Every figure is a whole process (start-up included), timed in the same run, so
the ratios hold on a noisy machine. Peak RSS is the largest sum of the resident
memory of the process and its children, sampled every 10 ms. CPU is the user and
system seconds of the process and its children: divided by the cores, it is the
shortest wall time the same work could take with no core ever idle.

    python benchmarks/bench_merge.py            # S and M corpora
    python benchmarks/bench_merge.py L --runs 3 # the 25,000-sheet corpus
    python benchmarks/bench_merge.py M --pandas # also time pandas.read_excel (slow)

Corpora are generated once into benchmarks/.corpus/ with what every KPI must give
(corpus.py). Every merge run's summary is checked against it: each KPI's FY2024 grade,
actual and target, per layout, and no KPI the corpus does not hold. A run that graded
anything wrong, or a merge that did not exit 0, makes the benchmark exit 1 after printing
its figures, marked as no result: a fast run that graded nothing is no result.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

import python_calamine

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpus import LAYOUTS, SIZES, VERSION, expected_path, make_corpus  # noqa: E402

CALAMINE = """
import sys, pathlib, python_calamine
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.xlsx")):
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python(skip_empty_area=False)
"""
PANDAS = """
import sys, pathlib, pandas
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.xlsx")):
    pandas.read_excel(path, sheet_name=None, engine="openpyxl", header=None)
"""


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return total


class Run(NamedTuple):
    seconds: float  # wall
    peak: int  # bytes, process tree
    cpu: float  # user + system seconds, process tree
    code: int = 0  # exit status


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str]) -> Run:
    """Wall seconds, peak tree RSS and CPU seconds of one run of a command."""
    cpu_before = children_cpu()
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    seconds = time.perf_counter() - start
    sampler.join()
    if code != 0 and not (code == 1 and command[2:4] == ["xlkpi", "merge"]):
        raise RuntimeError(f"{command[:4]} exited {code}")
    return Run(seconds, peak, children_cpu() - cpu_before, code)


def corpus(size: str) -> tuple[Path, dict[str, Any], int]:
    """The corpus of this size (made again when missing or of an older generator)."""
    files, sheets = SIZES[size]
    folder = HERE / ".corpus" / size
    found = expected_path(folder)
    expected = json.loads(found.read_text(encoding="utf-8")) if found.exists() else {}
    if (expected.get("version"), expected.get("files"), expected.get("sheets")) != (
        VERSION, files, sheets,
    ):  # fmt: skip
        start = time.perf_counter()
        expected = make_corpus(folder, files, sheets)
        print(f"generated corpus {size}: {files} x {sheets} in {time.perf_counter() - start:.0f} s")
    return folder, expected["measures"], files * sheets


class Check(NamedTuple):
    """A summary against the corpus: KPIs right and expected per layout, what was wrong."""

    right: dict[str, int]
    total: dict[str, int]
    wrong: list[str]  # the first few, as messages

    @property
    def ok(self) -> bool:
        return not self.wrong and self.right == self.total


def check_summary(summary: Path, expected: dict[str, Any]) -> Check:
    """Every KPI's FY2024 grade, actual and target in the summary's データ sheet against the
    generator's, by layout; a KPI the summary lacks or the corpus does not hold is wrong."""
    book = python_calamine.CalamineWorkbook.from_path(str(summary))
    rows = book.get_sheet_by_name("データ").to_python()
    header = rows[0]
    column = {title: header.index(title) for title in ("施策名", "成果指標", "年度", "評価",
                                                        "実績値", "目標値")}  # fmt: skip
    found: dict[tuple[str, str], tuple[str, object, object]] = {}
    wrong: list[str] = []
    for row in rows[1:]:
        if str(row[column["年度"]]) not in ("2024", "2024.0"):
            continue
        key = (str(row[column["施策名"]]), str(row[column["成果指標"]]))
        if key in found:
            wrong.append(f"{key}: twice in データ")
        found[key] = (str(row[column["評価"]]), row[column["実績値"]], row[column["目標値"]])
    right = dict.fromkeys(LAYOUTS, 0)
    total = dict.fromkeys(LAYOUTS, 0)
    for name, measure in expected.items():
        layout = measure["layout"]
        for kpi, grade, actual, target in measure["kpis"]:
            total[layout] += 1
            got = found.pop((name, kpi), None)
            want = (grade, float(actual), float(target))
            if got is not None and got[0] == grade and _number(got[1:]) == want[1:]:
                right[layout] += 1
            elif len(wrong) < 5:
                shown = "missing" if got is None else f"got {got}"
                wrong.append(f"{layout}: {name} {kpi}: want {want}, {shown}")
    wrong += [f"not in the corpus: {key}" for key in list(found)[:5]]
    return Check(right, total, wrong)


def _number(values: tuple[object, ...]) -> tuple[object, ...]:
    return tuple(float(v) if isinstance(v, int | float) else v for v in values)


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError, StopIteration):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, python-calamine {version('python-calamine')}, "
            f"XlsxWriter {version('xlsxwriter')}, xlkpi {version('xlkpi')}")  # fmt: skip


def run_size(size: str, runs: int, with_pandas: bool) -> dict[str, object]:
    folder, expected, sheets = corpus(size)
    out = Path(tempfile.mkdtemp()) / "summary.xlsx"
    commands = {
        "xlkpi merge": [sys.executable, "-m", "xlkpi", "merge", str(folder), "-o", str(out)],
        "bare calamine read": [sys.executable, "-c", CALAMINE, str(folder)],
    }
    if with_pandas:
        commands["pandas.read_excel (openpyxl)"] = [sys.executable, "-c", PANDAS, str(folder)]
    samples: dict[str, list[Run]] = {label: [] for label in commands}
    checks: list[Check] = []
    codes: list[int] = []
    for run in range(runs):  # interleaved, so a noisy spell hits every command alike
        for label, command in commands.items():
            if run == 0 or not label.startswith("pandas"):
                samples[label].append(timed(command))
            if label == "xlkpi merge":  # every run's summary, outside the timing
                codes.append(samples[label][-1].code)
                checks.append(check_summary(out, expected))
    results = {
        label: Run(
            statistics.median(r.seconds for r in found),
            max(r.peak for r in found),
            statistics.median(r.cpu for r in found),
        )
        for label, found in samples.items()
    }
    base = results["bare calamine read"]
    cores = os.cpu_count() or 1
    print(f"\n{size} corpus: {sheets:,} form sheets, median of {runs} runs (pandas: 1 run),"
          f" load average {os.getloadavg()[0]:.1f} at the end")  # fmt: skip
    print(
        f"{'':30} {'seconds':>9} {'x calamine':>11} {'sheets/s':>10} {'peak RSS':>10} {'CPU s':>7}"
    )
    for label, found in results.items():
        print(
            f"{label:30} {found.seconds:9.2f} {found.seconds / base.seconds:11.2f}"
            f" {sheets / found.seconds:10,.0f} {found.peak / 2**20:8.0f} MB"
            f" {found.cpu:7.2f}"
        )
    floor = results["xlkpi merge"].cpu / cores
    print(f"xlkpi merge's CPU over {cores} cores (no core ever idle): {floor:.2f} s,"
          f" {floor / base.seconds:.2f}x calamine")  # fmt: skip
    if with_pandas:
        speedup = results["pandas.read_excel (openpyxl)"].seconds / results["xlkpi merge"].seconds
        print(f"xlkpi merge is {speedup:.1f}x faster than pandas.read_excel")
    check = next((c for c in checks if not c.ok), checks[0])
    print("KPIs graded as the generator intends (grade, actual, target), by layout:")
    for layout in LAYOUTS:
        right, total = check.right[layout], check.total[layout]
        verdict = "" if right == total else "   <- WRONG"
        print(f"  {layout:28} {right:7,} / {total:,}{verdict}")
    for line in check.wrong:
        print(f"  {line}")
    failed = [n + 1 for n, c in enumerate(checks) if not c.ok]
    if failed:
        print(f"!! {size}: the summary of merge run(s) {failed} is wrong: NO RESULT")
    if any(codes):
        print(f"!! {size}: xlkpi merge exited {codes} (1: errors in its 受付 sheet): NO RESULT")
    return {"size": size, "sheets": sheets, "results": results,
            "ok": not failed and not any(codes)}  # fmt: skip


def startup(runs: int) -> None:
    """Start-up: --version, --help, the import of the CLI, and the seed-size job on the samples."""
    samples = HERE.parent / "samples" / "returns"
    out = Path(tempfile.mkdtemp()) / "summary.xlsx"
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import xlkpi.cli": [sys.executable, "-c", "import xlkpi.cli"],
        "xlkpi --version": [sys.executable, "-m", "xlkpi", "--version"],
        "xlkpi --help": [sys.executable, "-m", "xlkpi", "--help"],
        "xlkpi merge samples/returns": [
            sys.executable, "-m", "xlkpi", "merge", str(samples), "-o", str(out),
        ],
    }  # fmt: skip
    print(f"\nstart-up, median of {runs} runs")
    for label, command in commands.items():
        seconds = statistics.median(timed(command).seconds for _ in range(runs))
        print(f"{label:30} {seconds:9.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", default=["S", "M"], choices=list(SIZES))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--pandas", action="store_true", help="also time pandas.read_excel (minutes on M)"
    )
    args = parser.parse_args()
    print(machine())
    print(f"load average {os.getloadavg()[0]:.1f} (other work on the machine slows every command)")
    startup(max(args.runs, 5))
    measured = [run_size(size, args.runs, args.pandas) for size in args.sizes]
    by_size = {m["size"]: m for m in measured}
    if "M" in by_size and "L" in by_size:
        m_time = by_size["M"]["results"]["xlkpi merge"].seconds  # type: ignore[index]
        l_time = by_size["L"]["results"]["xlkpi merge"].seconds  # type: ignore[index]
        print(f"\nL / M time for 5x the sheets: {l_time / m_time:.2f}x")
    bad = [m["size"] for m in measured if not m["ok"]]
    if bad:
        print(f"\n!! corpora graded wrong: {', '.join(map(str, bad))}: exit 1")
        sys.exit(1)


if __name__ == "__main__":
    main()
