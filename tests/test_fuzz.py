"""Fuzzing: mutated returns give problem records, never an uncaught exception or a hang.

Hypothesis draws a base return (a sample, a seed form as printed, the template)
and a plan of mutations, either on the zip's bytes or on the sheet XML (cell
values, strings, types, styles, references). Each case runs the whole merge,
then writes the summary and next year's forms from what was read. A quarter as
many cases mutate a summary the same ways and read it as `xlkpi forms` and
`--previous` do.

CI runs XLKPI_FUZZ_CASES cases (default 600, about a minute and a half). The long run:
    XLKPI_FUZZ_CASES=10000 python -m pytest tests/test_fuzz.py -s
prints how many inputs were read and how many were rejected with each code, and
writes the same to test-artifacts/fuzz.json.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seedforms
from conftest import ROOT, SAMPLES
from xlkpi.grading import DEFAULT_RULE
from xlkpi.merge import MergeResult, merge
from xlkpi.output import OutputError
from xlkpi.prefill import BrokenSummary, PeriodTooLong, read_source, write_next_year_forms
from xlkpi.previous import read_previous_grades
from xlkpi.problems import CATALOG, Severity
from xlkpi.report import document_bytes
from xlkpi.report.source import read_source as report_source
from xlkpi.summary import write_summary

CASES = int(os.environ.get("XLKPI_FUZZ_CASES", "600"))
TIMEOUT_SECONDS = 10  # a hang is a failure
ARTIFACT = ROOT / "test-artifacts" / "fuzz.json"


def _bases() -> list[bytes]:
    import openpyxl

    seed = io.BytesIO()
    wb = openpyxl.Workbook()
    seedforms.write_sheet(wb.active, seedforms.table(23))
    wb.save(seed)
    return [
        (SAMPLES / "05_消防本部.xlsx").read_bytes(),
        (SAMPLES / "08_市長公室.xlsx").read_bytes(),
        (ROOT / "templates" / "kpi_template.xlsx").read_bytes(),
        seed.getvalue(),
    ]


BASES = _bases()
TEXTS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "1,195人",
            "58.4%",
            "８４％",
            "▲12",
            "－",
            "#N/A",
            "2024 (R6) 1,195人",
            "R6",
            "令和6年度",
            "実績値",
            "目標値",
            "施策名",
            "成果指標 (KPI)",
            "47人 98人",
            "nan",
            "1e309",
            "<",
            "&amp;",
            "]]>",
            "\u0000",
            "𠀋",
            "=1+1",
            "x" * 40_000,
        ]
    ),
)
ATTRIBUTE_VALUES = st.sampled_from(["s", "n", "e", "b", "str", "inlineStr", "d", "99999", "-1",
                                    "A1", "XFD1048576", "ZZZ1", "", "0", "1.5"])  # fmt: skip


@st.composite
def zip_mutations(draw: st.DrawFn, data: bytes) -> bytes:
    buffer = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "duplicate"]))
        at = draw(st.integers(0, max(len(buffer) - 1, 0)))
        if kind == "flip" and buffer:
            buffer[at] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del buffer[at:]
        elif kind == "insert":
            buffer[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            buffer[at:at] = buffer[at : at + draw(st.integers(1, 512))]
    return bytes(buffer)


@st.composite
def xml_mutations(draw: st.DrawFn, data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {info.filename: zf.read(info.filename) for info in zf.infolist()}
    sheets = sorted(name for name in members if name.startswith("xl/worksheets/sheet"))
    targets = [*sheets, "xl/workbook.xml", "xl/styles.xml"]
    for _ in range(draw(st.integers(1, 8))):
        name = draw(st.sampled_from(targets))
        xml = members[name].decode("utf-8", "replace")
        kind = draw(st.sampled_from(["value", "string", "attribute", "delete", "duplicate"]))
        if kind == "value":
            spots = [m.span(1) for m in re.finditer(r"<v>([^<]*)</v>", xml)]
            replacement = draw(TEXTS)
        elif kind == "string":
            spots = [m.span(1) for m in re.finditer(r"<t[^>]*>([^<]*)</t>", xml)]
            replacement = draw(TEXTS).replace("<", "&lt;").replace("&", "&amp;")
        elif kind == "attribute":
            spots = [m.span(1) for m in re.finditer(r'\b(?:t|s|r|ref|name|state)="([^"]*)"', xml)]
            replacement = draw(ATTRIBUTE_VALUES)
        elif kind == "delete":
            spots = [
                m.span()
                for m in re.finditer(
                    r"<c [^>]*>.*?</c>|<row [^>]*>|<mergeCell [^>]*/>|<sheet [^>]*/>", xml
                )
            ]
            replacement = ""
        else:
            spots = [m.span() for m in re.finditer(r"<row [^>]*>.*?</row>", xml)]
            replacement = None
        if not spots:
            continue
        start, end = spots[draw(st.integers(0, len(spots) - 1))]
        piece = xml[start:end] * 2 if replacement is None else replacement
        members[name] = (xml[:start] + piece + xml[end:]).encode("utf-8", "replace")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


@st.composite
def mutated(draw: st.DrawFn, bases: list[bytes]) -> bytes:
    base = bases[draw(st.integers(0, len(bases) - 1))]
    if draw(st.booleans()):
        return draw(xml_mutations(base))
    return draw(zip_mutations(base))


OUTCOMES: Counter[str] = Counter()
CODES: Counter[str] = Counter()
UNCAUGHT: list[str] = []
REFUSED: list[str] = []  # why a writer refused, for the artifact


@contextmanager
def nothing_escapes(what: str) -> Iterator[None]:
    """Within TIMEOUT_SECONDS, and no exception: one that escapes is recorded, then fails."""

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError(f"no result after {TIMEOUT_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(TIMEOUT_SECONDS)
    try:
        yield
    except BaseException as exc:
        UNCAUGHT.append(f"{what}{type(exc).__name__}: {exc}")
        raise
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def write_outputs(result: MergeResult, folder: Path) -> None:
    """What is read is also written: the summary and next year's forms, or a documented error."""
    if not result.measures:
        return
    try:
        write_summary(result, folder / "summary.xlsx")
    except OutputError as refused:
        OUTCOMES["summary refused (OutputError)"] += 1
        REFUSED.append(str(refused)[:300])
    document_bytes(result)  # the committee document: OutputError is no excuse here, none is raised
    if result.year is not None:
        (folder / "next").mkdir()
        try:
            write_next_year_forms(result.measures, result.year, folder / "next")
        except (OutputError, PeriodTooLong) as refused:
            OUTCOMES[f"forms refused ({type(refused).__name__})"] += 1
            REFUSED.append(str(refused)[:300])


# A failing case's bytes are too long for Hypothesis to print with ease: its warning about
# that (an error under this suite's settings) must not hide the failure itself.
LARGE_REPR = "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"


@pytest.mark.filterwarnings(LARGE_REPR)
@settings(max_examples=CASES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=mutated(BASES))
def test_mutated_returns_give_problem_records_only(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "return.xlsx"
        path.write_bytes(data)
        with nothing_escapes(""):
            result = merge([path])
            write_outputs(result, Path(folder))
    report = result.report
    assert all(p.code in CATALOG for p in report.problems)
    assert [e.file for e in report.ledger if not e.sheet] == ["return.xlsx"]
    file_errors = [p.code for p in report.problems if not p.sheet and p.severity is Severity.ERROR]
    OUTCOMES[f"rejected: {file_errors[0]}" if file_errors else "read"] += 1
    CODES.update(p.code for p in report.problems)


def _summary() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "集計.xlsx"
        write_summary(merge([SAMPLES]), path)
        return path.read_bytes()


SUMMARY = _summary()


@pytest.mark.filterwarnings(LARGE_REPR)
@settings(max_examples=max(CASES // 4, 50), deadline=None, suppress_health_check=list(HealthCheck),
          database=None)  # fmt: skip
@given(data=mutated([SUMMARY]))
def test_mutated_summaries_give_problem_records_only(data: bytes) -> None:
    """A summary edited or damaged: read for next year's forms and as --previous, never a crash."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "集計.xlsx"
        path.write_bytes(data)
        with nothing_escapes("summary: "):
            try:
                found = read_source([path]).report.problems
                document = report_source([path])  # as xlkpi report reads it, and writes it
                found += document.report.problems
                document_bytes(document)
            except BrokenSummary:  # a heading lost: said in words by the CLI (exit 1)
                found = []
            found += read_previous_grades(path, 2024, DEFAULT_RULE.labels)[1]
    assert all(p.code in CATALOG for p in found)
    OUTCOMES["summary read"] += 1
    CODES.update(f"summary: {p.code}" for p in found)


@pytest.fixture(scope="module", autouse=True)
def report_outcomes(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    total = sum(OUTCOMES.values())
    summary = {"cases": total + len(UNCAUGHT), "uncaught": len(UNCAUGHT), "uncaught_errors": UNCAUGHT,
               "outcomes": dict(OUTCOMES.most_common()), "problem_codes": dict(CODES.most_common()),
               "writers_refused": REFUSED}  # fmt: skip
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is not None and total:
        with capture.global_and_fixture_disabled():
            counts = ", ".join(f"{k} {v}" for k, v in OUTCOMES.most_common())
            print(f"\nfuzz: {total + len(UNCAUGHT)} cases, {len(UNCAUGHT)} uncaught; {counts}")
