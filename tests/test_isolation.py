"""A return that aborts, hangs or exhausts its reader costs that file only (workers.py).

Each case runs in a child Python: on a reader without isolation the abort would take the
test process with it, and the hang would never end. The child patches the reading step
before the merge starts; the workers are forked from it and inherit the patch, as they
would inherit any state of the parent.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="fork, /proc, prctl: Linux")

# The child: patches applied, then a merge of the folder; prints what it found as JSON.
_CHILD = """
import json, os, sys, time
sys.path.insert(0, {tests!r})
import xlkpi.merge as merging
from xlkpi.intake import Limits
{patch}
started = time.monotonic()
from xlkpi import api
result = api.merge([{folder!r}], jobs={jobs}, limits=Limits(**{limits}))
print(json.dumps({{
    "seconds": time.monotonic() - started,
    "errors": [[p.code, p.file, p.message] for p in result.problems if p.severity == "error"],
    "ledger": [[e.file, e.sheet] for e in result.ledger],
    "counts": result.counts,
}}, ensure_ascii=False))
"""

_SLOW = """
real = merging.read_file
def patched(candidate, limits=None, rule=merging.DEFAULT_RULE):
    if candidate.display.startswith("03_"):
        {action}
    return real(candidate, limits, rule)
merging.read_file = patched
"""


def _merge_in_child(
    folder: Path, patch: str, *, jobs: int = 1, limits: dict[str, object] | None = None
) -> dict[str, object]:
    code = _CHILD.format(
        tests=str(ROOT / "tests"), patch=patch, folder=str(folder), jobs=jobs, limits=limits or {}
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _patched(action: str) -> str:
    return _SLOW.format(action=action)


def _samples(tmp_path: Path) -> Path:
    folder = tmp_path / "returns"
    shutil.copytree(SAMPLES, folder)
    return folder


def _costs_one_file(found: dict[str, object], code: str) -> None:
    errors = found["errors"]
    assert [e[:2] for e in errors] == [[code, "03_農林部.xlsx"]]  # type: ignore[union-attr]
    assert ["03_農林部.xlsx", ""] in found["ledger"]  # type: ignore[operator]
    # 03_農林部 holds 2 measures; the others are graded as before
    assert found["counts"] is not None


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_reader_that_aborts_costs_only_that_file(tmp_path: Path, jobs: int) -> None:
    found = _merge_in_child(_samples(tmp_path), _patched("os.abort()"), jobs=jobs)
    _costs_one_file(found, "reader-crashed")
    assert "SIGABRT" in found["errors"][0][2]  # type: ignore[index]


def test_a_segfault_costs_only_that_file(tmp_path: Path) -> None:
    found = _merge_in_child(
        _samples(tmp_path), _patched("import ctypes; ctypes.string_at(0)"), jobs=1
    )
    _costs_one_file(found, "reader-crashed")
    assert "SIGSEGV" in found["errors"][0][2]  # type: ignore[index]


def test_a_sheet_that_makes_calamine_abort_costs_only_that_file(tmp_path: Path) -> None:
    """The real thing: a cell at XFD1048576 past a (here switched off) extent guard makes
    the Rust reader ask for ~512 GiB; under the worker's ceiling it aborts (SIGABRT)."""
    from builders import patch

    folder = _samples(tmp_path)
    far = folder / "03_農林部.xlsx"
    cell = b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>'
    patch(far, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"</sheetData>", cell))
    guard_off = "import xlkpi.workbook as wb\nwb._extent = lambda xml, exact: (1, 1, False)"
    found = _merge_in_child(folder, guard_off, jobs=1)
    # Rust says "memory allocation of … bytes failed" and aborts: told as the ceiling
    _costs_one_file(found, "memory-exceeded")


def test_a_reader_that_hangs_is_stopped_after_max_seconds(tmp_path: Path) -> None:
    found = _merge_in_child(
        _samples(tmp_path), _patched("time.sleep(3600)"), limits={"max_seconds": 1}
    )
    _costs_one_file(found, "reader-timeout")
    assert "1 秒" in found["errors"][0][2]  # type: ignore[index]
    assert found["seconds"] < 15  # type: ignore[operator]


def test_a_reader_that_exhausts_memory_is_stopped_at_the_ceiling(tmp_path: Path) -> None:
    found = _merge_in_child(
        _samples(tmp_path), _patched("bytearray(3 * 2**30)"), limits={"max_memory_mb": 256}
    )
    _costs_one_file(found, "memory-exceeded")
    assert "256 MB" in found["errors"][0][2]  # type: ignore[index]


def test_a_memory_error_swallowed_by_a_reading_step_is_still_the_ceiling(tmp_path: Path) -> None:
    """A broad `except Exception` in a reading step turns MemoryError into 'sheet-unreadable'."""
    patch = (
        "import xlkpi.merge as m\n"
        "from xlkpi.workbook import Rejected\n"
        "real_sheet = m.read_sheet\n"
        "def hungry(grid, display):\n"
        "    if display.startswith('03_'):\n"
        "        try:\n"
        "            bytearray(3 * 2**30)\n"
        "        except Exception as exc:  # as workbook.py wraps calamine's errors\n"
        "            raise Rejected('sheet-unreadable', f'{type(exc).__name__}: {exc}') from exc\n"
        "    return real_sheet(grid, display)\n"
        "m.read_sheet = hungry\n"
    )
    found = _merge_in_child(_samples(tmp_path), patch, limits={"max_memory_mb": 256})
    _costs_one_file(found, "memory-exceeded")


def test_the_pool_goes_on_with_fresh_workers_after_each_failure(tmp_path: Path) -> None:
    """Every file of the samples kills its worker: each gets its own record, in order."""
    patch = "merging.read_file = lambda *args, **kwargs: os.abort()"
    found = _merge_in_child(_samples(tmp_path), patch, jobs=2)
    names = sorted(p.name for p in SAMPLES.iterdir() if p.suffix == ".xlsx")
    assert [e[:2] for e in found["errors"] if e[0] == "reader-crashed"] == [  # type: ignore[union-attr]
        ["reader-crashed", name] for name in names
    ]


def test_nothing_is_read_in_the_main_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading in the main process after a worker died made the whole merge die too."""
    import xlkpi.merge as merging

    parent = os.getpid()
    real = merging.read_file

    def only_in_workers(candidate, limits=None, rule=merging.DEFAULT_RULE):  # type: ignore[no-untyped-def]
        assert os.getpid() != parent, f"{candidate.display} read in the main process"
        return real(candidate, limits, rule)

    monkeypatch.setattr(merging, "read_file", only_in_workers)
    from xlkpi import api

    for jobs in (1, 3):
        result = api.merge([SAMPLES], jobs=jobs)
        assert result.report.errors == []
        assert result.counts == {"A": 13, "B": 11, "C": 9, "D": 1}


def test_results_stream_in_input_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first file's result comes while the last, slow one is still being read."""
    import xlkpi.merge as merging
    from xlkpi.grading import DEFAULT_RULE
    from xlkpi.intake import discover

    candidates, _ = discover([SAMPLES])
    real = merging.read_file

    def last_is_slow(candidate, limits=None, rule=DEFAULT_RULE):  # type: ignore[no-untyped-def]
        if candidate.display == candidates[-1].display:
            time.sleep(3)
        return real(candidate, limits, rule)

    monkeypatch.setattr(merging, "read_file", last_is_slow)
    started = time.monotonic()
    stream = merging.read_all(candidates, None, DEFAULT_RULE, 2)
    first = next(stream)
    assert time.monotonic() - started < 2.5
    names = [first.display, *(result.display for result in stream)]
    assert names == [c.display for c in candidates]


def test_limits_are_options_of_merge_and_check(tmp_path: Path) -> None:
    from test_cli import run

    for option in ("--max-seconds", "--max-memory-mb"):
        code, _, err = run("merge", SAMPLES, "-o", tmp_path / "s.xlsx", option, "0")
        assert code == 2 and option in err
        code, out, err = run("check", SAMPLES, option, "30")
        assert code == 1 and "現状値がありません" in out, err  # the samples' one warning
    code, out, _ = run("merge", "--help")
    assert "--max-seconds" in out and "--max-memory-mb" in out


# --- signals: a real `python -m xlkpi merge`, a slow file among the samples ---------------

_RUNNER = """
import os, sys, time, pathlib
import xlkpi.merge as merging
real = merging.read_file
def slow(candidate, limits=None, rule=merging.DEFAULT_RULE):
    if candidate.display.startswith("03_") and os.environ.get("SLOW") == "read":
        time.sleep(3600)
    return real(candidate, limits, rule)
merging.read_file = slow
if os.environ.get("SLOW") == "write":  # the temporary file written, then a long wait
    real_chmod = pathlib.Path.chmod
    def chmod(self, mode, **kwargs):
        real_chmod(self, mode, **kwargs)
        if self.name.startswith(".~xlkpi-"):
            time.sleep(3600)
    pathlib.Path.chmod = chmod
sys.argv = ["xlkpi", *sys.argv[1:]]
from xlkpi.cli import run
run()
"""


def _children(pid: int) -> set[int]:
    """Every process descended from `pid` (a /proc scan: no psutil)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has exited (PID 1 of a container may not reap)


class _Run:
    def __init__(self, tmp_path: Path, slow: str) -> None:
        self.folder = _samples(tmp_path)
        self.output = self.folder / "集計.xlsx"
        done = subprocess.run(  # an earlier summary, which the run would replace
            [sys.executable, "-m", "xlkpi", "merge", str(self.folder), "-o", str(self.output)],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        self.before = self.output.read_bytes()
        script = tmp_path / "runner.py"
        script.write_text(_RUNNER, encoding="utf-8")
        args = [sys.executable, str(script), "merge", str(self.folder), "-o", str(self.output)]
        # Files, not pipes: an orphaned worker holding a pipe open would stall the test.
        self.log = tmp_path / "run.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*args, "--jobs", "2"], env={**os.environ, "SLOW": slow}, stdout=log, stderr=log
            )
        self.workers: set[int] = set()

    def __enter__(self) -> _Run:
        return self

    def __exit__(self, *exc: object) -> None:
        """Whatever the outcome, nothing this test started is left running."""
        for pid in {self.process.pid, *self.workers}:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(10)

    def wait_for(self, ready: object, seconds: float = 60) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            if ready():  # type: ignore[operator]
                return
            time.sleep(0.05)
        raise AssertionError("the run never got there")

    def reading(self) -> bool:
        """Both workers started, one of them on the slow file."""
        self.workers = _children(self.process.pid)
        return len(self.workers) >= 2 and time.sleep(0.5) is None

    def writing(self) -> bool:
        return bool(self.temps())

    def temps(self) -> list[str]:
        return sorted(p.name for p in self.folder.iterdir() if p.name.startswith(".~xlkpi-"))

    def stop(self, signum: int) -> tuple[int, float]:
        self.workers |= _children(self.process.pid)
        sent = time.monotonic()
        os.kill(self.process.pid, signum)
        try:
            code = self.process.wait(10)
        except subprocess.TimeoutExpired:
            code = None  # hung: a failure (the caller's assert), killed by __exit__
        return code, time.monotonic() - sent  # type: ignore[return-value]

    def no_orphans(self, *, seen: bool = True, within: float = 3) -> None:
        """No process the run started lives on (`seen`: some were caught while reading)."""
        end = time.monotonic() + within
        while any(_alive(pid) for pid in self.workers) and time.monotonic() < end:
            time.sleep(0.05)
        assert self.workers or not seen, "no worker process was seen"
        assert [pid for pid in self.workers if _alive(pid)] == []


@pytest.mark.parametrize(("signum", "expected"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize("slow", ["read", "write"])
def test_a_signal_stops_the_run_cleanly(
    tmp_path: Path, signum: int, expected: int, slow: str
) -> None:
    with _Run(tmp_path, slow) as run:
        run.wait_for(run.reading if slow == "read" else run.writing)
        code, seconds = run.stop(signum)
        assert code == expected
        assert seconds < 1.0
        run.no_orphans(seen=slow == "read")  # writing: the workers were done and gone
        assert run.temps() == []
        assert run.output.read_bytes() == run.before  # the old summary intact


def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    with _Run(tmp_path, "read") as run:
        run.wait_for(run.reading)
        code, _ = run.stop(signal.SIGKILL)
        assert code == -signal.SIGKILL
        run.no_orphans()
        assert run.temps() == []
        assert run.output.read_bytes() == run.before


def test_a_temporary_file_left_by_a_killed_run_is_skipped_then_cleaned(tmp_path: Path) -> None:
    with _Run(tmp_path, "write") as run:
        run.wait_for(run.writing)
        run.stop(signal.SIGKILL)
    left = run.temps()
    assert len(left) == 1 and run.output.read_bytes() == run.before  # SIGKILL: nothing can clean
    from xlkpi import api

    checked = api.check([run.folder])  # a reader beside the (dead) writer
    assert (left[0], "", "対象外") in {(e.file, e.sheet, e.status.value) for e in checked.ledger}
    assert checked.report.errors == []  # never read, so never called corrupt
    done = subprocess.run(
        [sys.executable, "-m", "xlkpi", "merge", str(run.folder), "-o", str(run.output)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr  # read as nothing, not as a corrupt return
    assert run.temps() == []  # its writer is dead: removed
