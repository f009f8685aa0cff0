"""Paths that are no plain readable file: each a problem naming the path, never a hang,
an exit 4 or a "damaged file"; xlkpi's own temporary files skipped and cleaned.

The tests run as root here, which reads a chmod 000 file anyway: where os.access says the
file is still readable, an unreadable file or folder is made by patching os.open, os.stat
and Path.iterdir for that one path (the workers are forked, so they inherit the patch);
otherwise the real chmod is used.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SAMPLES
from xlkpi import api

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, symlinks, devices")
GRADES = {"A": 13, "B": 11, "C": 9, "D": 1}


def _memory_cap() -> None:  # a reader that reads /dev/zero whole must not take the machine
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))


def _xlkpi(*args: object, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python -m xlkpi ...`; a hang is a failure (TimeoutExpired), not a stuck suite."""
    return subprocess.run(
        [sys.executable, "-m", "xlkpi", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, check=False, preexec_fn=_memory_cap,
    )  # fmt: skip


def _samples(tmp_path: Path) -> Path:
    folder = tmp_path / "returns"
    shutil.copytree(SAMPLES, folder)
    return folder


def _merged(folder: Path, out: Path, *names: str) -> str:
    """Merge `folder`: exit 1, each of `names` named in an error, the samples graded."""
    done = _xlkpi("merge", folder, "-o", out)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    for name in names:
        assert f"{name}: " in done.stderr, done.stderr
    assert "A 13件、B 11件、C 9件、D 1件" in done.stdout
    return done.stderr


def _codes(result: api.Result, name: str) -> list[str]:
    return [p.code for p in result.problems if p.file == name]


def test_a_fifo_among_the_returns_is_refused_never_read(tmp_path: Path) -> None:
    folder = _samples(tmp_path)
    os.mkfifo(folder / "調書.xlsx")
    err = _merged(folder, tmp_path / "s.xlsx", "調書.xlsx")
    assert "名前付きパイプ" in err
    assert _codes(api.check([folder]), "調書.xlsx") == ["not-regular-file"]


def test_a_fifo_given_by_name_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "調書.xlsx"
    os.mkfifo(fifo)
    done = _xlkpi("check", fifo, SAMPLES / "01_保健福祉部.xlsx")
    assert (
        done.returncode == 1
        and "調書.xlsx: 通常のファイルではない（名前付きパイプ）" in done.stdout
    )


def test_a_device_behind_a_symlink_is_refused(tmp_path: Path) -> None:
    folder = _samples(tmp_path)
    (folder / "zero.xlsx").symlink_to("/dev/zero")
    err = _merged(folder, tmp_path / "s.xlsx", "zero.xlsx")
    assert "キャラクタデバイス" in err
    done = _xlkpi("check", "/dev/null")
    assert done.returncode == 1 and "not-regular-file" not in done.stdout  # said in words
    assert "null: 通常のファイルではない（キャラクタデバイス）" in done.stdout


def test_a_socket_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(folder / "s.xlsx"))
        result = api.check([folder, SAMPLES / "01_保健福祉部.xlsx"])
    assert _codes(result, "s.xlsx") == ["not-regular-file"]


def test_a_symlink_loop_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    folder = _samples(tmp_path)
    (folder / "loop.xlsx").symlink_to("loop.xlsx")
    (folder / "a").symlink_to("b")
    (folder / "b").symlink_to("a")
    _merged(folder, tmp_path / "s.xlsx", "loop.xlsx")
    result = api.check([folder])
    assert _codes(result, "loop.xlsx") == ["symlink-loop"]
    given = _xlkpi("check", folder / "a", SAMPLES / "01_保健福祉部.xlsx")
    assert given.returncode == 1 and "a: シンボリックリンクが循環" in given.stdout, given.stderr


def test_an_overlong_name_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    long = tmp_path / ("調" * 100 + ".xlsx")  # 300 bytes in UTF-8: past NAME_MAX
    done = _xlkpi("check", long, SAMPLES / "01_保健福祉部.xlsx")
    assert done.returncode == 1, done.stderr
    assert "パス（フォルダ名とファイル名）が長すぎる" in done.stdout


def test_a_folder_deeper_than_path_max_is_a_problem(tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY)
    deep = tmp_path
    for _ in range(20):  # 20 × 250 bytes: past PATH_MAX (4096), made relative to each parent
        name = "d" * 250
        os.mkdir(name, dir_fd=fd)
        inner = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
        deep = deep / name
    os.close(fd)
    result = api.check([deep, SAMPLES / "01_保健福祉部.xlsx"])
    assert [p.code for p in result.report.errors] == ["path-too-long"]


def _deny(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """Make `path` unreadable for this process (and its forked workers), as for a user."""
    denied = os.fsencode(path)
    real_open, real_iterdir = os.open, Path.iterdir

    def check(target: object) -> None:
        if isinstance(target, (str, bytes, os.PathLike)) and os.fsencode(target) == denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(target))

    def fake_open(target, *args, **kwargs):  # type: ignore[no-untyped-def]
        check(target)
        return real_open(target, *args, **kwargs)

    def fake_iterdir(self):  # type: ignore[no-untyped-def]
        check(self)
        return real_iterdir(self)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(Path, "iterdir", fake_iterdir)
    real_path_open = Path.open

    def fake_path_open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        check(self)
        return real_path_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", fake_path_open)


def _unreadable(monkeypatch: pytest.MonkeyPatch, path: Path) -> str:
    path.chmod(0)
    if not os.access(path, os.R_OK):
        return "chmod"
    _deny(monkeypatch, path)
    return "patched"


def test_an_unreadable_file_is_a_permission_problem_not_a_damaged_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = _samples(tmp_path)
    locked = folder / "03_農林部.xlsx"
    _unreadable(monkeypatch, locked)
    result = api.merge([folder], jobs=1)
    found = [p for p in result.problems if p.file == locked.name]
    assert [p.code for p in found] == ["permission-denied"]
    assert "権限" in found[0].message and "ファイルが壊れているか" not in found[0].message
    assert result.counts == {"A": 13, "B": 11, "C": 8, "D": 0}  # its 2 KPIs left out


def test_an_unreadable_folder_is_a_problem_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.xlsx").write_bytes((SAMPLES / "01_保健福祉部.xlsx").read_bytes())
    _unreadable(monkeypatch, locked)
    try:
        result = api.merge([locked, SAMPLES])
    finally:
        locked.chmod(0o755)
    assert [p.code for p in result.report.errors] == ["permission-denied"]
    assert result.report.errors[0].file == "locked"
    assert result.counts == GRADES


def test_a_large_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    folder = _samples(tmp_path)
    with (folder / "big.xlsx").open("wb") as big:
        big.truncate(200 * 2**20)  # sparse: 200 MiB of zeros, nothing on disk
    result = api.check([folder])
    assert _codes(result, "big.xlsx") == ["too-large"]
    assert "ファイルの大きさ 209,715,200 バイト" in result.problems[0].message or any(
        "209,715,200" in p.message for p in result.problems
    )


def test_own_temporary_files_are_skipped_never_read(tmp_path: Path) -> None:
    """A run writing its summary into the returns' folder beside a reader of that folder."""
    folder = _samples(tmp_path)
    temp = folder / f".~xlkpi-{os.getpid()}-abcd1234.xlsx"  # a live writer's, half written
    temp.write_bytes(b"PK\x03\x04 half written")
    result = api.check([folder])
    assert result.report.errors == []
    assert (temp.name, "対象外") in {(e.file, e.status.value) for e in result.ledger}
    assert result.counts == GRADES


def test_stale_temporary_files_are_cleaned_by_the_next_write(tmp_path: Path) -> None:
    folder = _samples(tmp_path)
    from xlkpi.intake import _HOST

    dead = _dead_pid()
    live = folder / f".~xlkpi-{os.getpid()}-{_HOST}-live.xlsx"  # this process is alive: kept
    gone = folder / f".~xlkpi-{dead}-{_HOST}-gone.xlsx"  # its writer is dead: removed
    elsewhere = folder / f".~xlkpi-{dead}-00000000-x.xlsx"  # another machine's pid: kept
    old = folder / ".~xlkpi-0abcdef.xlsx"  # an older run's name without pid, two hours old
    for path in (live, gone, elsewhere, old):
        path.write_bytes(b"PK\x03\x04")
    two_hours = time.time() - 7200
    os.utime(old, (two_hours, two_hours))
    done = _xlkpi("merge", folder, "-o", folder / "集計.xlsx")
    assert done.returncode == 0, done.stderr
    kept = sorted(p.name for p in folder.iterdir() if p.name.startswith(".~"))
    assert kept == sorted([live.name, elsewhere.name])


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_deeply_nested_settings_file_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    folder = _samples(tmp_path)
    (folder / "xlkpi.toml").write_text("a = " + "[" * 5000 + "]" * 5000, encoding="utf-8")
    done = _xlkpi("check", folder)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "xlkpi.toml" in done.stderr and "入れ子が深すぎる" in done.stderr


def test_a_fifo_as_settings_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "xlkpi.toml"
    os.mkfifo(fifo)
    done = _xlkpi("check", SAMPLES, "--config", fifo)
    assert done.returncode == 2 and "通常のファイルではありません" in done.stderr


def test_an_unreadable_settings_file_is_a_usage_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from xlkpi.settings import SettingsError

    folder = _samples(tmp_path)
    settings = folder / "xlkpi.toml"
    settings.write_text("[grading]\n", encoding="utf-8")
    _unreadable(monkeypatch, settings)
    with pytest.raises(
        SettingsError, match=r"xlkpi\.toml を読み込めません（読み取る権限がありません"
    ):
        api.check([folder])


def test_an_unsearchable_folder_needs_no_settings_and_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Where even xlkpi.toml cannot be looked for (no search permission), the folder is a
    problem and the other returns are merged."""
    locked = tmp_path / "locked"
    locked.mkdir()
    real_stat = os.stat

    def stat(target, *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.fspath(target).startswith(str(locked)):
            raise PermissionError(errno.EACCES, "Permission denied", str(target))
        return real_stat(target, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    result = api.check([locked, SAMPLES])
    assert [(p.code, p.file) for p in result.report.errors] == [("permission-denied", "locked")]
    assert result.counts == GRADES


def test_every_bad_path_at_once_costs_only_itself(tmp_path: Path) -> None:
    """Acceptance 2 for the path classes: exit 1, each named, the samples graded as before."""
    folder = _samples(tmp_path)
    os.mkfifo(folder / "fifo.xlsx")
    (folder / "zero.xlsx").symlink_to("/dev/zero")
    (folder / "loop.xlsx").symlink_to("loop.xlsx")
    (folder / "dangling.xlsx").symlink_to("nowhere.xlsx")
    (folder / ".~xlkpi-1-left.xlsx").write_bytes(b"PK")
    with (folder / "big.xlsx").open("wb") as big:
        big.truncate(100 * 2**20)
    out = tmp_path / "s.xlsx"
    _merged(folder, out, "fifo.xlsx", "zero.xlsx", "loop.xlsx", "dangling.xlsx", "big.xlsx")
    from openpyxl import load_workbook

    ledger = load_workbook(out, read_only=True)["受付"]
    text = "\n".join(str(c) for row in ledger.iter_rows(values_only=True) for c in row if c)
    for name in ("fifo.xlsx", "zero.xlsx", "loop.xlsx", "dangling.xlsx", "big.xlsx"):
        assert name in text


def test_a_dangling_link_is_a_problem_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "gone.xlsx").symlink_to("nowhere.xlsx")
    (folder / "gone.txt").symlink_to("nowhere.txt")  # not a workbook: skipped as any such
    result = api.check([folder, SAMPLES / "01_保健福祉部.xlsx"])
    assert [(p.code, p.file) for p in result.report.errors] == [("path-unreadable", "gone.xlsx")]
    assert ("gone.txt", "対象外") in {(e.file, e.status.value) for e in result.ledger}
