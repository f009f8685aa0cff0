"""Writing workbooks safely: a temporary file beside the target, then os.replace."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


class OutputError(Exception):
    """The output cannot be written; the message is for the user (Japanese)."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; replace the target only on success."""
    folder = target.parent if str(target.parent) else Path()
    if not folder.is_dir():
        raise OutputError(f"出力先のフォルダがありません: {folder}")
    try:
        handle, name = tempfile.mkstemp(prefix=".~xlkpi-", suffix=target.suffix, dir=folder)
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
