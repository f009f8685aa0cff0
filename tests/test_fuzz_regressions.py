"""What the coverage-guided fuzzer (scripts/fuzz.py) found, kept as regression tests.

Each input under tests/fixtures/fuzz/ is a finding, minimised (`scripts/fuzz.py --minimize`).
Read through the real merge beside a sample return, it must cost only itself, with a
problem naming it and saying what is wrong with the file (never a Python error's name), and
the fuzzer's oracle must pass on it (read_file itself does not raise). The oracle is tested
too, and CI runs the fuzzer itself for a minute (skipped, saying why, without atheris).
"""

from __future__ import annotations

import builtins
import importlib.util
import io
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from conftest import ROOT, SAMPLES
from xlkpi.merge import merge

FIXTURES = Path(__file__).parent / "fixtures" / "fuzz"

# Every finding, with the problem a merge must give it ("" for any problem naming the file);
# findings.md (coord) says where each is fixed.
FOUND = {
    # An XML declaration naming an encoding Python does not know: LookupError from expat.
    "unknown-xml-encoding.xlsx": "corrupt-file",
    # The same class: Shift_JIS declared, which expat refuses with ValueError.
    "multibyte-xml-encoding.xlsx": "corrupt-file",
    # A one-column sheet with a cell in row 1,048,577 (past Excel's last row): a dense grid
    # of a million cells from 700 bytes of XML, under the extent cap; read once per sheet entry
    # naming the part (8 here, as the fuzzer's sibling input had 11): seconds per entry.
    "far-row-dense-grid.xlsx": "",
    # A central directory whose offsets put a member's local header before the file's start
    # (zipfile's header_offset is negative): the inflation check's seek raised ValueError.
    "negative-header-offset.xlsx": "",
    # A member with an empty name: zipfile's ZipInfo.is_dir() raised IndexError on it.
    "empty-member-name.xlsx": "",
}
MERGE_SECONDS = 5  # a finding and a sample merged (the sample alone: a fraction of a second)
# Python's own exception types: a message naming one reports a bug in xlkpi, not the file.
_BUILTIN_ERRORS = [
    n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)
]
PYTHON_ERRORS = re.compile(r"\b(?:" + "|".join(_BUILTIN_ERRORS) + r")\b")
SLICE_SECONDS = 60


def _fuzz() -> ModuleType:
    spec = importlib.util.spec_from_file_location("xlkpi_fuzz", ROOT / "scripts" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fuzz = _fuzz()


def test_every_fixture_is_listed() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(FOUND)


@pytest.mark.parametrize("name", sorted(FOUND))
def test_finding_costs_only_its_file(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    folder.mkdir()
    shutil.copy(FIXTURES / name, folder / name)
    shutil.copy(SAMPLES / "05_消防本部.xlsx", folder)
    started = time.monotonic()
    result = merge([folder])
    assert time.monotonic() - started < MERGE_SECONDS
    mine = [p for p in result.report.problems if p.file == name]
    assert mine and FOUND[name] in [p.code for p in mine] + [""], mine
    for p in mine:  # what is wrong with the file, not which Python error the reader hit
        assert not PYTHON_ERRORS.search(p.message), p.message
    assert [m.file for m in result.measures] == ["05_消防本部.xlsx"]


@pytest.mark.parametrize("name", sorted(FOUND))
def test_finding_passes_the_oracle(name: str) -> None:
    started = time.process_time()
    fuzz.check((FIXTURES / name).read_bytes(), summary=True)
    assert time.process_time() - started < fuzz.SLOW_CPU_S  # the fuzzer's hang limit


# --- the oracle --------------------------------------------------------------------------


def test_seeds_pass_the_oracle() -> None:
    for path in [*sorted(SAMPLES.glob("*.xlsx")), ROOT / "templates" / "kpi_template.xlsx"]:
        fuzz.check(path.read_bytes(), summary=True)


def test_oracle_flags_an_exception_from_read_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(candidate: object) -> object:
        raise KeyError("x")

    monkeypatch.setitem(fuzz._xlkpi(), "read_file", broken)
    with pytest.raises(fuzz.Finding, match="read_file raised KeyError"):
        fuzz.check(b"PK")


def test_oracle_flags_records_that_do_not_name_the_file() -> None:
    from xlkpi.problems import LedgerEntry, Status, problem

    ledger = [LedgerEntry(fuzz.NAME, "", Status.READ), LedgerEntry(fuzz.NAME, "様式", Status.READ)]
    good = [
        problem("form-blank", file=fuzz.NAME, sheet="様式"),
        problem("corrupt-file", file=fuzz.NAME, detail="xl/styles.xml: KeyError"),  # zipfile's
        problem("sheet-unreadable", file=fuzz.NAME, sheet="様式", detail=r'"\u{feff}"'),  # Rust's
        problem("value-not-number", file=fuzz.NAME, sheet="様式", cell="B3", found="{year}"),
    ]
    fuzz._check_records(ledger, good)
    bad = [
        problem("form-blank", sheet="様式"),  # no file
        problem("value-not-number", file=fuzz.NAME, cell="B3", found="x"),  # a cell, no sheet
        problem("form-blank", file=fuzz.NAME, sheet="他"),  # a sheet the file does not have
        problem("sheet-unreadable", file=fuzz.NAME, detail="XmlError"),  # which sheet?
        problem("sheet-unreadable", file=fuzz.NAME, sheet="様式", detail="TypeError: x"),
    ]
    for record in bad:
        with pytest.raises(fuzz.Finding):
            fuzz._check_records(ledger, [record])


@pytest.mark.parametrize(
    "formula",
    [
        'COUNTIFS(A:A,"x"&HYPERLINK("http://e","y"))',  # a text that broke out of its literal
        'IF(A1="a"",1)',  # an unbalanced quote
        "SUM([1]Sheet1!A1)",  # a link to another workbook
    ],
)
def test_oracle_flags_live_formulas(formula: str) -> None:
    with pytest.raises(fuzz.Finding):
        fuzz._check_formula(formula, "sheet1.xml")


def test_oracle_passes_the_summary_formulas() -> None:
    for formula in ['IF(B$16=0,"",B12/B$16)', 'COUNTIFS(C:C,"=",D:D,"~*")',
                    'TEXT(A1,"0.0%")&"項目中"', 'SUBSTITUTE(A1,"~","~~")']:  # fmt: skip
        fuzz._check_formula(formula, "sheet1.xml")


def test_oracle_flags_a_summary_that_is_not_xml(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("xl/worksheets/sheet1.xml", "<worksheet><c><v>\x01</v></c></worksheet>")
    monkeypatch.setitem(fuzz._xlkpi(), "summary_bytes", lambda result: out.getvalue())
    data = (SAMPLES / "05_消防本部.xlsx").read_bytes()
    with pytest.raises(fuzz.Finding, match="not XML"):
        fuzz.check(data, summary=True)


def test_minimize_keeps_the_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # F1 is fixed: the bug it found is put back for this test, so the minimiser has one to keep.
    import xlkpi.workbook

    parse = xlkpi.workbook._parse_xml

    def unfixed(data: bytes, name: str) -> object:
        if b"UTF-82" in data[:100]:
            raise LookupError("unknown encoding: UTF-82")
        return parse(data, name)

    monkeypatch.setattr(xlkpi.workbook, "_parse_xml", unfixed)
    data = (FIXTURES / "unknown-xml-encoding.xlsx").read_bytes()
    padded = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zf, zipfile.ZipFile(padded, "w") as out:
        for info in zf.infolist():
            out.writestr(info, zf.read(info))
        out.writestr("xl/styles.xml", "<styleSheet/>")
    wanted = fuzz.signature_of(padded.getvalue())
    assert wanted
    small = fuzz.minimize(padded.getvalue(), wanted)
    assert fuzz.signature_of(small) == wanted
    assert len(zipfile.ZipFile(io.BytesIO(small)).namelist()) == 1


# --- CI's slice of the fuzzer ------------------------------------------------------------


@pytest.mark.slow
def test_fuzzer_slice_finds_nothing(tmp_path: Path) -> None:
    if importlib.util.find_spec("atheris") is None:
        pytest.skip("atheris is not installed (pip install atheris): the fuzzer slice needs it")
    command = [sys.executable, str(ROOT / "scripts" / "fuzz.py"), "--seconds", str(SLICE_SECONDS),
               "--corpus", str(tmp_path / "corpus"), "--artifacts", str(tmp_path / "findings")]  # fmt: skip
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=SLICE_SECONDS + 30, check=False
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    executions = re.search(r"(\d+) executions, cov: (\d+)", out)
    assert executions is not None, out[-2000:]
    assert int(executions.group(1)) > 100 and int(executions.group(2)) > 500, out[-2000:]
    assert "0 finding(s)" in out
