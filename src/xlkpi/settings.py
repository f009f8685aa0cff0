"""The grading rule from a settings file (xlkpi.toml), validated with the key and line.

    [grading]
    method = "ratio"          # "ratio": 実績値 / 目標値; "progress": from the baseline
    rounding = "none"         # "none", "whole" or "one-decimal" percent, half-up
    zero_target = "error"     # "error" or "reached" (best label if reached, else floor)
    floor = "D"
    good = 2                  # how many of the top labels count as good (A及びB)

    [[grading.bands]]         # best first; at_least in percent
    label = "A"
    at_least = 100

    [direction]               # 成果指標 -> "higher" or "lower" (is better)
    "救急車の現場到着までの平均時間" = "lower"

Without a file the rule is exactly the seed's (grading.DEFAULT_RULE).
"""

from __future__ import annotations

import errno
import re
import stat
import tomllib
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from xlkpi.grading import DEFAULT_RULE, ERROR, HIGHER, LOWER, PROGRESS, RATIO, REACHED, Band, Rule
from xlkpi.intake import NotRegular, TooBig, read_regular, shown_name
from xlkpi.values import fold_label

FILE_NAME = "xlkpi.toml"
_ROUNDING = {"none": None, "whole": 0, "one-decimal": 1}
_KEYS = {
    "": {"grading", "direction"},
    "grading": {"method", "rounding", "zero_target", "floor", "good", "bands"},
    "grading.bands": {"label", "at_least"},
}


class SettingsError(Exception):
    """A settings file that cannot be used; the message names the file, line and key."""


def find_settings(inputs: list[Path]) -> Path | None:
    """xlkpi.toml in an input folder (or beside an input file).

    Two that differ are a SettingsError: which rule grades which return is not guessed.
    """
    found: dict[bytes, Path] = {}
    for item in inputs:
        candidate = (item if _is_dir(item) else item.parent) / FILE_NAME
        try:
            candidate.stat()
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                # None here, or a folder that cannot be searched or named: its returns are
                # not read either (intake reports the folder), so no rule is needed for them.
                continue
            raise _unreadable(candidate, exc) from exc
        except ValueError:  # a NUL in the name: no settings beside it
            continue
        found.setdefault(_read(candidate), candidate)
    if len(found) > 1:
        names = "、".join(str(path) for path in found.values())
        raise SettingsError(
            f"内容の違う設定ファイルが複数あります（{names}）。使う一つを --config で指定してください。"
        )
    return next(iter(found.values()), None)


def load_rule(path: Path) -> Rule:
    return parse_rule(_read(path), path)


MAX_BYTES = 1 << 20  # a settings file is a few hundred bytes


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except (OSError, ValueError):
        return False


def _unreadable(path: Path, exc: OSError) -> SettingsError:
    if exc.errno in (errno.EACCES, errno.EPERM):
        why = f"読み取る権限がありません: {exc.strerror}"
    elif exc.errno == errno.ELOOP:
        why = "シンボリックリンクが循環しています"
    elif exc.errno == errno.ENAMETOOLONG:
        why = "パスが長すぎます"
    else:
        why = exc.strerror or type(exc).__name__
    return SettingsError(f"設定ファイル {shown_name(str(path))} を読み込めません（{why}）。")


def _read(path: Path) -> bytes:
    """A settings file's bytes: a regular file of at most MAX_BYTES (a FIFO is never read)."""
    try:
        return read_regular(path, MAX_BYTES)
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    except NotRegular as exc:
        raise SettingsError(
            f"設定ファイル {shown_name(str(path))} は通常のファイルではありません（{exc.kind}）。"
        ) from exc
    except TooBig as exc:
        raise SettingsError(
            f"設定ファイル {shown_name(str(path))} が大きすぎます（{exc.size:,} バイト）。"
        ) from exc


def parse_rule(content: bytes, path: Path) -> Rule:
    """The rule a settings file's content states; `path` names it in messages."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SettingsError(f"設定ファイル {path} を読み込めません（{exc}）。") from exc
    try:
        data = tomllib.loads(text)
    except RecursionError as exc:  # arrays or tables nested thousands deep
        raise SettingsError(
            f"設定ファイル {path}: 入れ子が深すぎるため読み込めません（[ や {{ の重ねすぎ）。"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        where = f" {found.group(1)} 行目" if found else ""
        raise SettingsError(
            f"設定ファイル {path}{where}: TOML の書き方が正しくありません（{exc}）。"
        ) from exc
    return _Checker(path, text).rule(data)


class _Checker:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = _key_lines(text)

    def fail(self, key: str, message: str) -> SettingsError:
        line = self.lines.get(key) or self.lines.get(key.rsplit(".", 1)[0])
        where = f" {line} 行目" if line else ""
        return SettingsError(f"設定ファイル {self.path.name}{where}: {key}: {message}")

    def known(self, table: dict[str, Any], allowed: set[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                name = f"{prefix}.{key}" if prefix else key
                expected = "、".join(sorted(allowed))
                raise self.fail(name, f"知らない設定です（使える設定: {expected}）。")

    def choice(self, table: dict[str, Any], key: str, choices: list[str], default: str) -> str:
        value = table.get(key, default)
        if value not in choices:
            shown = " / ".join(f'"{c}"' for c in choices)
            raise self.fail(f"grading.{key}", f"{value!r} は使えません（{shown} のどれか）。")
        return str(value)

    def rule(self, data: dict[str, Any]) -> Rule:
        self.known(data, _KEYS[""], "")
        grading = data.get("grading", {})
        if not isinstance(grading, dict):
            raise self.fail("grading", "[grading] の表として書いてください。")
        self.known(grading, _KEYS["grading"], "grading")
        method = self.choice(grading, "method", [RATIO, PROGRESS], RATIO)
        rounding = self.choice(grading, "rounding", list(_ROUNDING), "none")
        zero = self.choice(grading, "zero_target", [ERROR, REACHED], ERROR)
        bands = self.bands(grading.get("bands"))
        floor = self.label(
            grading.get("floor", DEFAULT_RULE.floor if "bands" not in grading else None),
            "grading.floor",
            "最も低い評価の名前を文字列で書いてください。",
        )
        labels = [b.label for b in bands] + [floor]
        if len(set(labels)) != len(labels):
            raise self.fail("grading.floor", f"評価の名前が重複しています（{'、'.join(labels)}）。")
        good = grading.get("good", min(DEFAULT_RULE.good, len(bands)))
        if type(good) is not int or not 1 <= good <= len(bands):
            raise self.fail("grading.good", f"1 から {len(bands)} までの整数で書いてください。")
        return Rule(
            bands=bands,
            floor=floor,
            good=good,
            method=method,
            rounding=_ROUNDING[rounding],
            zero_target=zero,
            lower_is_better=self.directions(data.get("direction", {})),
            source=shown_name(self.path.name),
        )

    def bands(self, raw: object) -> tuple[Band, ...]:
        if raw is None:
            return DEFAULT_RULE.bands
        if not isinstance(raw, list) or not raw:
            raise self.fail("grading.bands", "[[grading.bands]] を 1 つ以上書いてください。")
        bands: list[Band] = []
        for index, entry in enumerate(raw, start=1):
            key = f"grading.bands[{index}]"
            if not isinstance(entry, dict):
                raise self.fail(key, "label と at_least を持つ表として書いてください。")
            self.known(entry, _KEYS["grading.bands"], key)
            label = self.label(
                entry.get("label"),
                f"{key}.label",
                '評価の名前を文字列で書いてください（例: "A"）。',
            )
            at_least = entry.get("at_least")
            if type(at_least) not in (int, float):
                raise self.fail(
                    f"{key}.at_least", "下限の達成率をパーセントの数値で書いてください（例: 80）。"
                )
            try:  # TOML allows inf and nan
                threshold = Fraction(Decimal(str(at_least))) / 100
            except (InvalidOperation, ValueError, OverflowError) as exc:
                raise self.fail(f"{key}.at_least", f"{at_least!r} は数値ではありません。") from exc
            if bands and threshold >= bands[-1].at_least:
                raise self.fail(
                    f"{key}.at_least",
                    "上の評価より小さい値にしてください（高い評価から順に書きます）。",
                )
            bands.append(Band(label, threshold))
        return tuple(bands)

    def label(self, raw: object, key: str, missing: str) -> str:
        """A grade's name, usable as a COUNTIFS criterion and inside a quoted formula string."""
        if not isinstance(raw, str) or not raw.strip():
            raise self.fail(key, missing)
        label = raw.strip()
        if any(char in label for char in '*?~"') or label[0] in "=<>":
            raise self.fail(
                key,
                f'{label!r} は使えません。評価の名前には * ? ~ " を使わず、= < > で始めないで'
                "ください（集計ブックの数式が評価を数えるため）。",
            )
        return label

    def directions(self, raw: object) -> frozenset[str]:
        if not isinstance(raw, dict):
            raise self.fail("direction", "[direction] の表として書いてください。")
        lower: set[str] = set()
        for name, value in raw.items():
            if value not in (HIGHER, LOWER):
                raise self.fail(
                    f"direction.{name}", f'{value!r} は使えません（"higher" か "lower"）。'
                )
            if value == LOWER:
                lower.add(fold_label(name))
        return frozenset(lower)


_TABLE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_\-]+)\s*=""")


def _key_lines(text: str) -> dict[str, int]:
    """Dotted key -> line number, e.g. "grading.bands[2].at_least" -> 14 (first occurrence)."""
    lines: dict[str, int] = {}
    table = ""
    counts: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(line)
        if header:
            table = header.group(2).strip()
            if header.group(1) == "[[":
                counts[table] = counts.get(table, 0) + 1
                table = f"{table}[{counts[table]}]"
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            name = key.group(1).strip("\"'")
            lines.setdefault(f"{table}.{name}" if table else name, number)
    return lines
