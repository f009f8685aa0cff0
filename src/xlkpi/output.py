"""Writing workbooks safely: a temporary file beside the target, then os.replace."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from xlkpi.intake import is_own_temp, own_temp_prefix, stale_temp


class OutputError(Exception):
    """The output cannot be written; the message is for the user (Japanese)."""


_OS_REASONS = {
    errno.ENOSPC: "ディスクの空き容量が足りません",
    errno.EDQUOT: "ディスクの使用量の上限を超えました",
    errno.EFBIG: "ファイルの大きさの上限を超えました",
    errno.EACCES: "書き込む権限がありません",
    errno.EPERM: "書き込む権限がありません",
    errno.EROFS: "読み取り専用の場所です",
}


def failure(exc: BaseException) -> str:
    """Why a write failed, in words: the OS error itself, or the one XlsxWriter wraps."""
    for cause in (exc, exc.__cause__, exc.__context__, *exc.args):
        if isinstance(cause, OSError) and cause.errno in _OS_REASONS:
            return f"{_OS_REASONS[cause.errno]}: {cause.strerror}"
    return f"{type(exc).__name__}: {exc}"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_folder(target: Path) -> None:
    """OutputError unless `target`'s folder exists and may be written in: said before a run
    reads its inputs, not after."""
    folder = target.parent if str(target.parent) else Path()
    if not folder.is_dir():
        raise OutputError(f"出力先のフォルダがありません: {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"出力先のフォルダに書き込めません: {folder}（書き込む権限がありません）")


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; replace the target only on success."""
    folder = target.parent if str(target.parent) else Path()
    if not folder.is_dir():
        raise OutputError(f"出力先のフォルダがありません: {folder}")
    _clean_stale(folder)
    try:  # the pid in the name tells a later run whether the writer still lives
        prefix = own_temp_prefix()
        handle, name = tempfile.mkstemp(prefix=prefix, suffix=target.suffix, dir=folder)
    except OSError as exc:
        raise OutputError(f"出力先のフォルダに書き込めません: {folder}（{exc.strerror}）") from exc
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        # mkstemp makes the file private; give it the mode a plain new file would get.
        temp.chmod(target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask())
        try:
            temp.replace(target)
        except OSError as exc:
            raise OutputError(
                f"{target} に書き込めません。Excel で開いている場合は閉じてから実行してください"
                f"（{exc.strerror}）。"
            ) from exc
    finally:
        temp.unlink(missing_ok=True)


def _clean_stale(folder: Path) -> None:
    """Remove the temporary files of runs that were killed (SIGKILL, power loss) here."""
    try:
        names = [entry.name for entry in os.scandir(folder) if is_own_temp(entry.name)]
    except OSError:
        return
    for name in names:
        path = folder / name
        if stale_temp(path):
            with contextlib.suppress(OSError):
                path.unlink()


def write_atomic(target: Path, data: bytes) -> None:
    """`data` as the file `target`, whole or not at all (OutputError, in words, otherwise)."""
    try:
        with atomic_path(target) as temp:
            temp.write_bytes(data)
    except OSError as exc:
        raise OutputError(f"{target.name} を書き込めませんでした（{failure(exc)}）。") from exc
