"""Reader cost per form sheet, in-process (no start-up, no writing).

Times xlkpi.merge.read_file over the given folders (default: samples/returns and
the seed's 32 tables as printed), best of several rounds, and, for scale, a bare
python-calamine read of every sheet of the same files in the same run.
Run: python benchmarks/bench_reader.py [FOLDER ...]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import python_calamine

from xlkpi.intake import discover
from xlkpi.merge import read_file

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 15


def best(fn: object, rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def measure(folder: Path) -> None:
    candidates, _ = discover([folder])
    results = [read_file(c) for c in candidates]
    sheets = sum(len(r.measures) for r in results)

    def xlkpi_read() -> None:
        for c in candidates:
            read_file(c)

    def calamine_read() -> None:
        for c in candidates:
            book = python_calamine.CalamineWorkbook.from_path(str(c.path))
            for name in book.sheet_names:
                book.get_sheet_by_name(name).to_python(skip_empty_area=False)

    ours, bare = best(xlkpi_read), best(calamine_read)
    print(f"{folder.name}: {len(candidates)} files, {sheets} form sheets")
    print(f"  xlkpi read_file   {ours / sheets * 1e6:8.0f} µs per form sheet")
    print(f"  bare calamine     {bare / sheets * 1e6:8.0f} µs per form sheet")
    print(f"  ratio             {ours / bare:8.2f}x")


def main() -> None:
    folders = [Path(a) for a in sys.argv[1:]]
    if not folders:
        sys.path.insert(0, str(ROOT / "tests"))
        import seedforms

        seed = Path(tempfile.mkdtemp()) / "seed_forms"
        seed.mkdir()
        seedforms.write_seed_returns(seed)
        folders = [ROOT / "samples" / "returns", seed]
    for folder in folders:
        measure(folder)


if __name__ == "__main__":
    main()
