"""Reading in worker processes gives exactly what reading in one process gives; progress display."""

from __future__ import annotations

import io
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLES
from xlkpi.merge import merge
from xlkpi.progress import Progress
from xlkpi.render import problem_lines


def _everything(jobs: int, folder: Path) -> tuple[object, ...]:
    result = merge([folder], jobs=jobs)
    grades = [(m.name, k.name, sorted(k.grades.items())) for m in result.measures for k in m.kpis]
    return (
        [m.content() for m in result.measures],
        grades,
        [(p.code, p.file, p.sheet, p.cell, p.message) for p in result.report.problems],
        [(e.file, e.sheet, e.status, e.note, e.measure) for e in result.report.ledger],
    )


def test_workers_give_the_same_result_in_the_same_order(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    shutil.copytree(SAMPLES, folder)
    (folder / "壊れた調書.xlsx").write_bytes(b"PK\x03\x04 truncated")  # an error among them
    serial = _everything(1, folder)
    assert _everything(2, folder) == serial
    assert _everything(3, folder) == serial
    grades = serial[1]
    assert len(grades) == 34 and "corrupt-file" in [p[0] for p in serial[2]]  # type: ignore[index, union-attr]


def test_records_cross_processes_whole() -> None:
    measures = merge([SAMPLES]).measures
    assert any(k.ratios and k.cells and k.actuals for m in measures for k in m.kpis)
    for measure in measures:
        copy = pickle.loads(pickle.dumps(measure))
        assert copy == measure and copy is not measure  # every field, KPIs' too


def test_progress_is_drawn_only_for_a_person_and_only_after_the_delay() -> None:
    stream = io.StringIO()
    quiet = Progress(stream, shown=False, delay=0)
    quiet(3, 25)
    quiet.close()
    assert stream.getvalue() == ""
    fast = Progress(stream, shown=True, delay=60)  # finished before the delay: nothing drawn
    fast(3, 25)
    fast.close()
    assert stream.getvalue() == ""
    shown = Progress(stream, shown=True, delay=0)
    for _ in range(3):
        shown(3, 25)
    shown.close()
    last = stream.getvalue().split("\r")[-1]
    assert last.startswith("読み込み中 [") and " 3/3 ファイル" in last and last.endswith("\n")


def test_no_progress_when_piped(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "xlkpi", "merge", str(SAMPLES), "-o", str(tmp_path / "s.xlsx")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0
    assert "読み込み中" not in done.stderr and "\r" not in done.stderr


def test_jobs_must_be_positive(tmp_path: Path) -> None:
    from test_cli import run

    code, _, err = run("merge", SAMPLES, "-o", tmp_path / "s.xlsx", "--jobs", "0")
    assert code == 2 and "--jobs" in err
    assert not (tmp_path / "s.xlsx").exists()


def test_the_terminal_gets_errors_first_and_a_count_of_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    shutil.copytree(SAMPLES, folder)
    (folder / "壊れた調書.xlsx").write_bytes(b"PK\x03\x04 truncated")
    report = merge([folder]).report
    assert len(report.problems) == 2  # the samples' one warning, then the error
    lines = problem_lines(report, limit=1)
    assert lines[0].startswith("壊れた調書.xlsx: ")
    assert lines[1] == "…ほか 1 件（すべて集計ブックの「受付」シートにあります）"
    assert len(problem_lines(report)) == 2


class FakePanic(BaseException):
    """What pyo3 raises when Rust code (python-calamine) panics: not an Exception."""


def test_a_library_panic_costs_one_file_not_the_merge(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import xlkpi.merge as merging

    real = merging.read_file

    def panicking(candidate, limits=None, rule=merging.DEFAULT_RULE):  # type: ignore[no-untyped-def]
        if candidate.display.startswith("03_"):
            raise FakePanic("called `Option::unwrap()` on a `None` value")
        return real(candidate, limits, rule)

    monkeypatch.setattr(merging, "read_file", panicking)
    for jobs in (1, 2):
        result = merge([SAMPLES], jobs=jobs)
        errors = [(p.code, p.file) for p in result.report.errors]
        assert errors == [("corrupt-file", "03_農林部.xlsx")]
        assert len(result.measures) == 32 - 2  # 03_農林部 holds 2 measures


def test_spawned_workers_give_the_same_result(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Where fork is not used (macOS, Windows), workers are spawned and import xlkpi afresh."""
    import xlkpi.merge as merging

    monkeypatch.setattr(merging, "START_METHOD", "spawn")
    assert _everything(2, SAMPLES) == _everything(1, SAMPLES)


def test_python_dash_m_does_not_run_again_in_a_spawned_worker(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """spawn runs the parent's main module as __mp_main__ in each worker: it must do nothing."""
    import runpy

    runpy.run_module("xlkpi", run_name="__mp_main__")  # no SystemExit, no output
    assert capsys.readouterr() == ("", "")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_person_at_a_terminal_sees_progress_then_the_writing_step(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import functools

    import xlkpi.cli as cli

    monkeypatch.setattr(cli, "Progress", functools.partial(Progress, delay=0))  # "a slow read"
    out, err = Terminal(), Terminal()
    assert cli.main(["merge", str(SAMPLES), "-o", str(tmp_path / "s.xlsx")], out, err) == 0
    shown = err.getvalue()
    assert "\r読み込み中 [" in shown and " 8/8 ファイル" in shown
    assert shown.index("8/8 ファイル") < shown.index("集計ブックを作成しています…")
    assert "読み込み中" not in out.getvalue()  # the result on stdout stays clean
