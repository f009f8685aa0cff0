"""Benchmark: xlkpi merge against a bare python-calamine read and pandas.read_excel.

Every figure is a whole process (start-up included), timed in the same run, so
the ratios hold on a noisy machine. Peak RSS is the largest sum of the resident
memory of the process and its children, sampled every 10 ms. CPU is the user and
system seconds of the process and its children: divided by the cores, it is the
shortest wall time the same work could take with no core ever idle.

    python benchmarks/bench_merge.py            # S and M corpora
    python benchmarks/bench_merge.py L --runs 3 # the 25,000-sheet corpus
    python benchmarks/bench_merge.py M --pandas # also time pandas.read_excel (slow)

Corpora are generated once into benchmarks/.corpus/ with their intended grades;
after timing, the summary's grades are compared with those.
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
from typing import NamedTuple

import python_calamine

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpus import SIZES, make_corpus  # noqa: E402

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
    if code not in (0, 1):
        raise RuntimeError(f"{command[:3]} exited {code}")
    return Run(seconds, peak, children_cpu() - cpu_before)


def corpus(size: str) -> tuple[Path, dict[str, list[str]], int]:
    files, sheets = SIZES[size]
    folder = HERE / ".corpus" / size
    expected_path = HERE / ".corpus" / f"{size}.expected.json"
    if not expected_path.exists():
        start = time.perf_counter()
        make_corpus(folder, files, sheets)
        print(f"generated corpus {size}: {files} x {sheets} in {time.perf_counter() - start:.0f} s")
    return folder, json.loads(expected_path.read_text(encoding="utf-8")), files * sheets


def check_grades(summary: Path, expected: dict[str, list[str]]) -> tuple[int, int]:
    """(KPIs whose FY2024 grade equals the generator's, KPIs expected)."""
    book = python_calamine.CalamineWorkbook.from_path(str(summary))
    rows = book.get_sheet_by_name("データ").to_python()
    header = rows[0]
    name, year, grade = header.index("施策名"), header.index("年度"), header.index("評価")
    found: dict[str, list[str]] = {}
    for row in rows[1:]:
        if str(row[year]) in ("2024", "2024.0"):
            found.setdefault(str(row[name]), []).append(str(row[grade]))
    total = sum(len(v) for v in expected.values())
    return sum(
        1 for key, grades in expected.items() if found.get(key) == grades for _ in grades
    ), total


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
    for run in range(runs):  # interleaved, so a noisy spell hits every command alike
        for label, command in commands.items():
            if run == 0 or not label.startswith("pandas"):
                samples[label].append(timed(command))
    results = {
        label: Run(
            statistics.median(r.seconds for r in found),
            max(r.peak for r in found),
            statistics.median(r.cpu for r in found),
        )
        for label, found in samples.items()
    }
    matched, total = check_grades(out, expected)
    base = results["bare calamine read"]
    cores = os.cpu_count() or 1
    print(f"\n{size} corpus: {sheets:,} form sheets, median of {runs} runs (pandas: 1 run)")
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
    print(f"grades equal to the generator's: {matched:,} / {total:,}")
    return {"size": size, "sheets": sheets, "results": results, "grades": (matched, total)}


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
    startup(max(args.runs, 5))
    measured = [run_size(size, args.runs, args.pandas) for size in args.sizes]
    by_size = {m["size"]: m for m in measured}
    if "M" in by_size and "L" in by_size:
        m_time = by_size["M"]["results"]["xlkpi merge"].seconds  # type: ignore[index]
        l_time = by_size["L"]["results"]["xlkpi merge"].seconds  # type: ignore[index]
        print(f"\nL / M time for 5x the sheets: {l_time / m_time:.2f}x")


if __name__ == "__main__":
    main()
