"""The single-file page (web/build) in a real browser: Debian's chromium driven by
playwright-core (web/drive.mjs), the page opened from a file:// URL with no security flags.

Without node, npm, chromium or the build's downloads these tests skip, naming what to
install; with XLKPI_REQUIRE_BROWSER=1 (set by .ci/run) they fail instead.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, SAMPLES
from test_check_and_ledger import planted
from xlkpi import api
from xlkpi.cli import main
from xlsxcontent import values

WEB = ROOT / "web"
CHROMIUM = os.environ.get("XLKPI_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("XLKPI_REQUIRE_BROWSER") == "1"
READY_BUDGET_MS, MERGE_BUDGET_MS = 8000, 5000


def unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"XLKPI_REQUIRE_BROWSER=1: {reason}")
    pytest.skip(reason)


def build(target: Path) -> Path:
    for tool, package in (("node", "nodejs"), ("npm", "npm")):
        if shutil.which(tool) is None:
            unavailable(f"{tool} がありません（Debian: sudo apt-get install {package}）")
    done = subprocess.run([str(WEB / "build"), str(target)], capture_output=True, text=True,
                          check=False)  # fmt: skip
    if done.returncode:
        unavailable(f"web/build が失敗しました（npm と PyPI に届くか確認）:\n{done.stderr[-2000:]}")
    return target


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page .ci/run built (XLKPI_PAGE), else one built here."""
    built = os.environ.get("XLKPI_PAGE")
    return Path(built) if built else build(tmp_path_factory.mktemp("web") / "xlkpi.html")


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return planted(tmp_path_factory.mktemp("broken") / "消防本部.xlsx")


@pytest.fixture(scope="module")
def encrypted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from test_ole import encrypted_xlsx

    folder = tmp_path_factory.mktemp("encrypted")
    path = folder / "パスワード付き.xlsx"
    path.write_bytes(encrypted_xlsx(folder))
    return path


@pytest.fixture(scope="module")
def session(
    page: Path, broken: Path, encrypted: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """One clerk's session: boot, merge the samples (files, then the folder), check, template."""
    if not Path(CHROMIUM).is_file():
        unavailable(f"{CHROMIUM} がありません（Debian: sudo apt-get install chromium）")
    out = ROOT / "test-artifacts" / "web"  # the downloads and a screenshot per step, to look at
    out.mkdir(parents=True, exist_ok=True)
    returns = sorted(str(p) for p in SAMPLES.glob("*.xlsx"))
    command = ["node", str(WEB / "drive.mjs"), str(page), str(out), *returns, "--check",
               str(broken), "--check", str(encrypted), "--folder", str(SAMPLES), "--boots", "3", "--stuck", "--shots"]  # fmt: skip
    done = subprocess.run(command, cwd=WEB, capture_output=True, text=True, check=False)
    if done.returncode:
        failure = out / "failure.json"
        shown = failure.read_text(encoding="utf-8")[:3000] if failure.exists() else ""
        pytest.fail(f"web/drive.mjs failed:\n{done.stderr[-3000:]}\n{shown}")
    result: dict[str, Any] = json.loads((out / "result.json").read_text(encoding="utf-8"))
    result["out"] = out
    load = os.getloadavg()[0]
    boots = ", ".join(f"{ms / 1000:.1f}" for ms in result["boots"])
    print(f"\npage {page.stat().st_size / 2**20:.1f} MB, ready {min(result['boots']) / 1000:.1f} s "
          f"(best of {boots} s), "
          f"samples merged {result['mergeMs'] / 1000:.1f} s, checked {result['checks'][0]['ms'] / 1000:.2f} s "
          f"(load average {load:.1f} on {os.cpu_count()} cores)")  # fmt: skip
    return result


def test_the_samples_merged_in_the_page_are_the_clis_summary(
    session: dict[str, Any], tmp_path: Path
) -> None:
    out: Path = session["out"]
    assert session["summaryName"] == "集計.xlsx"
    assert "A 13件、B 11件、C 9件、D 1件（A及びB 70.6%）" in session["mergeMessage"]  # published
    cli = api.merge([SAMPLES])
    expected = values(cli.summary())
    assert values((out / "集計.xlsx").read_bytes()) == expected
    assert values((out / "集計-フォルダ.xlsx").read_bytes()) == expected  # a folder chosen
    shown = [(row["code"], row["cells"][1:4]) for row in session["mergeProblems"]]
    assert shown == [(p.code, [p.file, p.sheet, p.cell]) for p in cli.problems]


def check_json(path: Path) -> dict[str, Any]:
    out = io.StringIO()
    main(["check", "--json", str(path)], out, io.StringIO())
    found: dict[str, Any] = json.loads(out.getvalue())
    return found


def test_returns_checked_in_the_page_list_what_check_json_does(
    session: dict[str, Any], broken: Path, encrypted: Path
) -> None:
    planted, locked = session["checks"]
    for checked, path in ((planted, broken), (locked, encrypted)):
        expected = check_json(path)
        shown = [(row["code"], *row["cells"][1:6]) for row in checked["problems"]]
        assert shown == [
            (p["code"], p["file"], p["sheet"], p["cell"], p["message"], p["hint"])
            for p in expected["problems"]
        ]
        ledger = [tuple(row["cells"][:3]) for row in checked["ledger"]]
        assert ledger == [(e["file"], e["sheet"], e["status"]) for e in expected["ledger"]]
    assert [row["code"] for row in planted["problems"]] == [
        "value-not-number",
        "formula-no-value",
        "target-missing",
    ]
    assert planted["message"].startswith("エラー 3 件、警告 0 件。")
    # Told without msoffcrypto-tool, which the page cannot have (xlkpi.ole).
    assert [row["code"] for row in locked["problems"]] == ["encrypted"]


def test_the_page_makes_no_request_outside_the_file_itself(session: dict[str, Any]) -> None:
    requests = session["seen"]["requests"]
    assert requests and requests[0].startswith("file://")
    assert [url for url in requests if not url.startswith(("file:", "blob:", "data:"))] == []
    assert [url for url in requests if url.startswith("file:")] == [requests[0]]  # only itself
    assert session["seen"]["console"] == [] and session["seen"]["errors"] == []


def test_the_page_is_ready_and_merges_in_time_and_says_so_in_japanese(
    session: dict[str, Any], page: Path
) -> None:
    assert session["disabledUntilReady"]  # 集計 could not be pressed before Python was there
    assert session["status"].startswith("準備ができました")
    # The best of three boots, each in a fresh browser: the 2 cores are shared with others' runs.
    assert min(session["boots"]) < READY_BUDGET_MS, (session["boots"], session["steps"])
    assert session["mergeMs"] < MERGE_BUDGET_MS
    assert session["yearError"] == (
        "2031年度: 調書の計画期間（2024〜2028年度）にない年度のため、評価できません。今年度を確認してください。"
    )
    assert session["templateName"] == "様式.xlsx"
    form = (session["out"] / "様式.xlsx").read_bytes()
    assert form == api.template().data
    text = page.read_text(encoding="utf-8")
    assert "選んだファイルはどこにも送信されません" in text
    csp = text.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0]
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp


def test_a_read_that_hangs_is_stopped_and_the_page_starts_afresh(session: dict[str, Any]) -> None:
    # The page's watchdog set to 1 ms: every read outlasts it, as a hanging workbook would.
    stopped = session["stuck"]
    assert stopped["said"].startswith("1 つのファイルの読み込みが 0 秒を超えたため、中止しました")
    assert stopped["disabledWhileRestarting"]
    assert stopped["status"].startswith("準備ができました")


def test_the_build_is_reproducible(page: Path, tmp_path: Path) -> None:
    started = time.perf_counter()
    again = build(tmp_path / "again.html")
    print(f"\nsecond build {time.perf_counter() - started:.1f} s")
    assert again.read_bytes() == page.read_bytes()
