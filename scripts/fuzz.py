#!/usr/bin/env python3
"""Coverage-guided fuzzing of the whole read path with atheris (libFuzzer for Python).

    python scripts/fuzz.py --seconds 600 [--corpus DIR] [--artifacts DIR]
    python scripts/fuzz.py --check FILE...        # the oracle on saved inputs (no atheris needed)

One input is the bytes of one return. The target reads it as a file of a merge does
(`xlkpi.merge.read_file`: the workbook, every sheet, the KPIs, the grades), and when the
file gave measures it also runs the rest of a merge on it and writes the summary in memory.
xlkpi's own modules are instrumented for coverage (atheris.instrument_imports); calamine is
native and zipfile is not instrumented, so the mutator is structure-aware: it unzips the
input, mutates one member (libFuzzer's byte mutator, or an XML-aware edit with tokens that
matter to the reader) and zips it again. A plain byte mutation of the whole zip is kept
for a small share of the inputs.

The oracle (`check`). A finding is:
- an exception escaping read_file (bad input must become a problem record);
- a problem record that does not name the file, a cell without its sheet, a sheet that is
  not in the file's ledger, or a message with an unfilled {placeholder};
- a summary whose XML is not well-formed, or a formula in it carrying a string literal
  (no text from a return may enter a formula);
- a hang (libFuzzer -timeout) or memory over the limit (-rss_limit_mb, and RLIMIT_AS so
  that one huge allocation fails instead of taking the machine).

The supervisor runs libFuzzer in a child process and starts it again after a finding, with
the corpus it has grown, until the time is up; it prints the executions, the coverage
(libFuzzer's cov: edges and ft: features) and the findings, each saved under --artifacts
(crash-*, timeout-*, oom-*). Exit status 0: no finding; 1: findings.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import os
import random
import re
import resource
import signal
import string
import subprocess
import sys
import time
import traceback
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

ROOT = Path(__file__).resolve().parents[1]
NAME = "fuzz.xlsx"  # how the read path names the input
SLOW_CPU_S = 2.0  # CPU seconds one input may take (a sample: 0.05), then a finding
TIMEOUT_S = 30  # wall seconds, libFuzzer's own limit: a read blocked outside Python
# (wall time is no measure on a shared machine at nice 10; CPU time is)
RSS_LIMIT_MB = 1536
ADDRESS_SPACE_MB = 4096  # RLIMIT_AS in the child: one huge allocation fails, not the machine
MAX_LEN = 1 << 20  # bytes of one input
MAX_INFLATED = 16 << 20  # the mutator does not unzip inputs larger than this
SUMMARY_EVERY = (
    12  # one in this many inputs that give measures also writes the summary (~6x a read)
)


# --- the oracle -------------------------------------------------------------------------


class Slow(BaseException):  # a BaseException: xlkpi's catch-alls let it pass
    """Raised in the read path by the CPU timer (SIGVTALRM) when one input takes too long."""


class Finding(Exception):
    """The read path broke its promise on this input; `signature` tells one bug from another."""

    def __init__(self, message: str, signature: str = "") -> None:
        super().__init__(message)
        self.signature = signature or re.sub(r"\d+", "N", message)[:120]


def _raised(what: str, exc: BaseException) -> Finding:
    """A Finding for an exception, naming the innermost frame of xlkpi it passed through."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/xlkpi/" in f.filename] or frames
    at = f"{Path(ours[-1].filename).name}:{ours[-1].name}:{ours[-1].lineno}" if ours else "?"
    last = f"{Path(frames[-1].filename).name}:{frames[-1].name}" if frames else "?"
    if isinstance(exc, Slow):
        message = f"{what} took over {SLOW_CPU_S:g} CPU seconds (in {at}, innermost {last})"
        return Finding(message, f"slow:{what}")  # where the timer fired varies along one path
    message = f"{what} raised {type(exc).__name__}: {exc} (at {at}, innermost {last})"
    return Finding(message[:600], f"{what}:{type(exc).__name__}:{at.rsplit(':', 1)[0]}")


# Python's own error types with their message, as the catch-alls in merge.read_file and
# _read_guarded write them ("TypeError: …"): an xlkpi bug that cost the sheet or the file.
# (zipfile's errors are named bare, "BadZipFile", "KeyError": a damaged zip, on purpose.)
_SWALLOWED = re.compile(
    r"\b(?:TypeError|KeyError|IndexError|AttributeError|UnboundLocalError|NameError|"
    r"AssertionError|RecursionError|ZeroDivisionError|LookupError|StopIteration|"
    r"InvalidOperation|OverflowError): "
)
# Problems about one sheet: they must say which.
_SHEET_CODES = frozenset({"sheet-unreadable", "sheet-too-large", "sheet-part-missing", "form-blank",
                          "hidden-form-sheet", "cell-not-read", "layout-irregular"})  # fmt: skip
_QUOTED = re.compile(r"「[^」]*」|（[^）]*）")  # a cell's text or a detail, quoted in a message
_FORMULA = re.compile(rb"<f(?:\s[^>]*)?>([^<]*)</f>")
_READ_FILE = None


def _xlkpi() -> dict[str, object]:
    """xlkpi's read path, imported on first use (under instrumentation in the fuzzer)."""
    global _READ_FILE
    if _READ_FILE is None:
        from xlkpi import merge
        from xlkpi.intake import Candidate
        from xlkpi.merge import merge_candidates, read_file
        from xlkpi.output import OutputError
        from xlkpi.problems import Report
        from xlkpi.summary import summary_bytes

        _READ_FILE = {
            "Candidate": Candidate,
            "read_file": read_file,
            "merge": merge,
            "merge_candidates": merge_candidates,
            "Report": Report,
            "summary_bytes": summary_bytes,
            "OutputError": OutputError,
        }
    return _READ_FILE


def check(data: bytes, *, summary: bool | None = None) -> None:
    """Raise Finding when reading `data` as one return breaks the promise."""
    x = _xlkpi()
    candidate = x["Candidate"](Path(NAME), NAME, data)  # type: ignore[operator]
    try:
        result = x["read_file"](candidate)  # type: ignore[operator]
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # pyo3's PanicException is a BaseException
        raise _raised("read_file", exc) from exc
    _check_records(result.ledger, result.problems)
    if summary is None:
        summary = bool(result.measures) and zlib.crc32(data) % SUMMARY_EVERY == 0
    if summary:
        _check_summary(candidate, result)


def _check_records(ledger: list[object], problems: list[object]) -> None:
    if not ledger or (ledger[0].file, ledger[0].sheet) != (NAME, ""):  # type: ignore[attr-defined]
        raise Finding("the ledger does not start with the file's own row")
    sheets = {e.sheet for e in ledger}  # type: ignore[attr-defined]
    for entry in ledger:
        if entry.file != NAME:  # type: ignore[attr-defined]
            raise Finding(f"ledger row names {entry.file!r}, not the file")  # type: ignore[attr-defined]
    for p in problems:
        where = f"{p.code} {p.file}!{p.sheet}!{p.cell}"  # type: ignore[attr-defined]
        if p.file != NAME:  # type: ignore[attr-defined]
            raise Finding(f"problem does not name the file: {where}")
        if p.cell and not p.sheet:  # type: ignore[attr-defined]
            raise Finding(f"problem names a cell without its sheet: {where}")
        if p.code in _SHEET_CODES and not p.sheet:  # type: ignore[attr-defined]
            raise Finding(f"a sheet's problem without the sheet: {where}")
        if p.sheet not in sheets:  # type: ignore[attr-defined]
            raise Finding(f"problem names a sheet not in the ledger: {where}")
        for text in (p.message, p.hint):  # type: ignore[attr-defined]
            if unfilled := _unfilled(_QUOTED.sub("", text)):
                raise Finding(f"unfilled placeholder {unfilled} in {p.code}: {text[:200]}")  # type: ignore[attr-defined]
        if not p.message:  # type: ignore[attr-defined]
            raise Finding(f"problem without a message: {where}")
        bug = _SWALLOWED.search(p.message)  # type: ignore[attr-defined]
        if bug and p.code in ("sheet-unreadable", "corrupt-file"):  # type: ignore[attr-defined]
            raise Finding(f"a bug in xlkpi reported as a bad file: {where}: {p.message[:300]}",  # type: ignore[attr-defined]
                          f"swallowed:{p.code}:{bug.group(0)}")  # type: ignore[attr-defined]  # fmt: skip


def _unfilled(text: str) -> str:
    """A catalogue template's {field} left in a message or hint."""
    global _FIELDS
    if _FIELDS is None:
        from xlkpi.problems import CATALOG

        fields = (f for spec in CATALOG.values() for t in (spec.message, spec.hint)
                  for _, f, _, _ in string.Formatter().parse(t) if f)  # fmt: skip
        _FIELDS = re.compile("|".join(re.escape("{" + f + "}") for f in set(fields)) or "$^")
    found = _FIELDS.search(text)
    return found.group(0) if found else ""


_FIELDS: re.Pattern[str] | None = None


def _check_summary(candidate: object, read: object) -> None:
    """The rest of a merge on the file read (cross-checks, tallies), and the summary written.

    The merge is given the result already read instead of reading the file again (in a
    worker process, where the fuzzer would not see the coverage).
    """
    x = _xlkpi()
    module = x["merge"]
    reader = module.read_all  # type: ignore[attr-defined]
    module.read_all = lambda candidates, *args, **kwargs: iter([read])  # type: ignore[attr-defined]
    try:
        result = x["merge_candidates"]([candidate], x["Report"]())  # type: ignore[operator]
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise _raised("merge", exc) from exc
    finally:
        module.read_all = reader  # type: ignore[attr-defined]
    try:
        written = x["summary_bytes"](result)  # type: ignore[operator]
    except x["OutputError"]:  # type: ignore[misc]
        return  # refused with a message (e.g. too many rows): not a crash
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise _raised("summary", exc) from exc
    with zipfile.ZipFile(io.BytesIO(written)) as zf:
        for info in zf.infolist():
            if not info.filename.endswith((".xml", ".rels")):
                continue
            xml = zf.read(info)
            parser = expat.ParserCreate()
            try:
                parser.Parse(xml, True)
            except expat.ExpatError as exc:
                raise Finding(f"summary {info.filename} is not XML: {exc}") from exc
            if info.filename.startswith("xl/worksheets/"):
                for formula in _FORMULA.findall(xml):
                    _check_formula(html.unescape(formula.decode("utf-8")), info.filename)


_LITERAL = re.compile(r'"(?:[^"]|"")*"')
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9._]*)\s*\(")
# Functions that reach outside the workbook or evaluate text: never in a summary.
_LIVE = {"HYPERLINK", "WEBSERVICE", "INDIRECT", "CALL", "REGISTER", "REGISTER.ID", "EXEC",
         "FILTERXML", "IMPORTDATA", "RTD", "DDE", "INFO", "CELL", "EVALUATE"}  # fmt: skip


def _check_formula(formula: str, part: str) -> None:
    """Text from a return may sit in a formula only as a whole, escaped string literal."""
    code = _LITERAL.sub('""', formula)
    if '"' in code.replace('""', ""):
        raise Finding(f"summary {part}: unbalanced quote in a formula: {formula[:200]!r}")
    live = {name.upper() for name in _CALL.findall(code)} & _LIVE
    if live or "|" in code or "[" in code:
        raise Finding(f"summary {part}: live formula {sorted(live)}: {formula[:200]!r}")


# --- the structure-aware mutator --------------------------------------------------------

# fmt: off
TOKENS = [
    b'"', b"'", b"&amp;", b"&#0;", b"&#x1;", b"&#65535;", b"<![CDATA[x]]>", b"\xef\xbb\xbf",
    "\u200b".encode(), b"\x00", b"\x1b[31m", b"NaN", b"nan", b"inf", b"1e309", b"-0",
    b"#SPILL!", b"#CALC!", b"#BUSY!", b"#FIELD!", b"#BLOCKED!", b"#CONNECT!", b"#N/A", b"#REF!",
    b"$A$1", b"$B$2", b"a1", b" A1", b"XFD1048576", b"XFE1", b"A1048577", b"A0", b"A99999999999",
    b"A1:XFD1048576", b"A1:A1048576", b"xfd1048576", b"b12", b"Xfd1", b"a1:xfd1048576",
    b"A\t1", b"A 1", b"A01", b"A+1", b"R1C1", b"1048576", b"16384", b"4294967295", b"-1", b"ZZZZZ9", b't="s"', b't="str"', b't="inlineStr"',
    b't="e"', b't="b"', b't="d"', b't="n"', b's="99999"', b's="-1"', b'hidden="1"',
    b'hidden="true"', b'state="hidden"', b'state="veryHidden"', b'customFormat="1"',
    b'formatCode="0.0%"', "formatCode=\"#,##0&quot;人&quot;\"".encode(), b'formatCode="[$-ja-JP]ggge"',
    b'numFmtId="9"', b'numFmtId="14"', b"<v>1</v>", b"<v>1E+308</v>", b"<v>99999999</v>",
    b"<is><t>x</t></is>", b"<r><t>x</t></r>", b'<rPr><b/></rPr>', b"<mergeCell ref=\"A1:F9\"/>",
    b'<row r="1048576">', b'<row r="0">', b'<c r="A1">', b"<sheet name=\"x\" sheetId=\"1\"/>",
    "様式".encode(), "施策名".encode(), "成果指標 (KPI)".encode(), "実績値".encode(),
    "目標値".encode(), "現状値".encode(), "令和6年度".encode(), "2024年度".encode(),
    "1,195人".encode(), "８４％".encode(), "▲12".encode(), "＝HYPERLINK(\"x\")".encode(),
    b'=HYPERLINK("http://x","y")',
    b'"&amp;HYPERLINK("http://x","y")&amp;"',
    b"_x0001_",
    b"_x001B_",
    b"_x000D_",
    b"_xD800_", b'"&"', b"*", b"?", b"~", b"\t", b"\r\n", b"x" * 300,
]
# fmt: on
PREFERRED = ("xl/worksheets/", "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml")
_ATTR = re.compile(rb'(\s[A-Za-z:]+=")([^"]*)(")')
_ELEMENT = re.compile(rb"<(c|row|si|mergeCell|sheet|xf|numFmt)\b[^>]*?(?:/>|>.*?</\1>)", re.S)


def _members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if not infos or sum(i.file_size for i in infos) > MAX_INFLATED:
                return None
            return [(info, zf.read(info)) for info in infos]
    except Exception:
        return None


def _rezip(members: list[tuple[zipfile.ZipInfo, bytes]], rng: random.Random) -> bytes:
    out = io.BytesIO()
    stored = rng.random() < 0.05
    with zipfile.ZipFile(out, "w") as zf:
        for info, content in members:
            method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            zf.writestr(zipfile.ZipInfo(info.filename, info.date_time), content, method, 1)
    return out.getvalue()


def _xml_edit(content: bytes, rng: random.Random) -> bytes:
    """An edit that keeps the XML mostly well-formed, so the reader gets past the parser."""
    kind = rng.randrange(5)
    if kind == 0:  # an attribute's value replaced by a token's, or a far/odd one
        spots = list(_ATTR.finditer(content, 0, 200_000))
        if spots:
            m = rng.choice(spots)
            token = rng.choice(TOKENS).replace(b'"', b"&quot;").replace(b"<", b"&lt;")
            return content[: m.start(2)] + token + content[m.end(2) :]
    if kind in (1, 2, 3):  # an element duplicated, moved or dropped
        spots = list(_ELEMENT.finditer(content, 0, 200_000))
        if spots:
            m = rng.choice(spots)
            piece = m.group(0)
            if kind == 1:
                times = rng.choice((1, 1, 2, 10, 100))
                return content[: m.end()] + piece * times + content[m.end() :]
            if kind == 2:
                other = rng.choice(spots)
                cut = content[: m.start()] + content[m.end() :]
                at = other.start() if other.start() < m.start() else other.start() - len(piece)
                return cut[:at] + piece + cut[at:]
            return content[: m.start()] + content[m.end() :]
    # a token put into a text node or between tags
    closes = [m.end() for m in re.finditer(rb">", content[:200_000])]
    at = rng.choice(closes) if closes else rng.randrange(len(content) + 1)
    return content[:at] + rng.choice(TOKENS) + content[at:]


def mutate(data: bytes, max_size: int, seed: int) -> bytes:
    import atheris

    rng = random.Random(seed)
    members = _members(data) if rng.random() > 0.05 else None
    if members is None:
        return atheris.Mutate(data, max_size)
    xml = [i for i, (info, _) in enumerate(members) if info.filename.endswith((".xml", ".rels"))]
    liked = [i for i in xml if members[i][0].filename.startswith(PREFERRED)]
    pool = liked if liked and rng.random() < 0.8 else (xml or list(range(len(members))))
    index = rng.choice(pool)
    info, content = members[index]
    roll = rng.random()
    if roll < 0.45:
        content = _xml_edit(content, rng)
    elif roll < 0.97:
        content = atheris.Mutate(content, len(content) + 64)
    elif len(members) > 1:  # a member dropped
        del members[index]
        return _capped(_rezip(members, rng), data, max_size)
    members[index] = (info, content)
    return _capped(_rezip(members, rng), data, max_size)


def crossover(first: bytes, second: bytes, max_size: int, seed: int) -> bytes:
    """One member of `first` replaced by the member of the same name in `second`."""
    rng = random.Random(seed)
    ours, theirs = _members(first), _members(second)
    if ours is None or theirs is None:
        return first
    others = {info.filename: content for info, content in theirs}
    shared = [i for i, (info, _) in enumerate(ours) if info.filename in others]
    if not shared:
        return first
    index = rng.choice(shared)
    info = ours[index][0]
    ours[index] = (info, others[info.filename])
    return _capped(_rezip(ours, rng), first, max_size)


def _capped(out: bytes, data: bytes, max_size: int) -> bytes:
    return out if len(out) <= max_size else data


# --- the seed corpus --------------------------------------------------------------------


def seeds() -> Iterator[tuple[str, bytes]]:
    """The samples, the template, the test fixtures, and generated variations of the forms."""
    for path in sorted((ROOT / "samples").rglob("*.xls*")):
        yield path.name, path.read_bytes()
    yield "template.xlsx", (ROOT / "templates" / "kpi_template.xlsx").read_bytes()
    for path in sorted((ROOT / "tests" / "fixtures").rglob("*")):
        if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"):
            yield path.name, path.read_bytes()
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import variations
    except Exception as exc:  # the seed under /work/shared may be missing: samples still do
        print(f"fuzz: no generated variations ({type(exc).__name__}: {exc})", file=sys.stderr)
        return
    specs = variations.seed_measures()
    rng = random.Random(20)
    names = [v.name for v in variations.CLASSES if v.name != "libreoffice-saved"]
    for i in range(24):
        chosen = names[i : i + 1] if i < len(names) else []
        for _ in range(50):
            extra = rng.sample(names, 3)
            if variations.compatible([*chosen, *extra]):
                chosen = [*chosen, *extra]
                break
        if not variations.compatible(chosen):
            chosen = chosen[:1]
        picked = rng.sample(specs, 2)
        try:
            data, _ = variations.build(f"v{i}.xlsx", picked, variations.options(chosen))
        except Exception:
            continue
        yield f"variation-{i}-{'+'.join(chosen)}.xlsx"[:120], data


def fill_corpus(corpus: Path) -> int:
    corpus.mkdir(parents=True, exist_ok=True)
    added = 0
    for _, data in seeds():
        target = corpus / hashlib.sha1(data).hexdigest()
        if not target.exists():
            target.write_bytes(data)
            added += 1
    return added


# --- the libFuzzer child and its supervisor ---------------------------------------------


def _too_slow(signum: int, frame: object) -> None:
    raise Slow


def timed_check(data: bytes, summary: bool | None = None) -> None:
    """check, with SLOW_CPU_S CPU seconds for the input (Finding "slow:…" past them)."""
    signal.signal(signal.SIGVTALRM, _too_slow)
    signal.setitimer(signal.ITIMER_VIRTUAL, SLOW_CPU_S)
    try:
        check(data, summary=summary)
    except Slow as exc:  # outside read_file and the merge (the oracle's own checks)
        raise _raised("check", exc) from exc
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)


def child(argv: list[str]) -> None:
    import atheris

    soft = ADDRESS_SPACE_MB << 20
    resource.setrlimit(resource.RLIMIT_AS, (soft, resource.getrlimit(resource.RLIMIT_AS)[1]))
    with atheris.instrument_imports(include=["xlkpi"]):
        _xlkpi()
        import xlkpi.grading  # everything read_file reaches
        import xlkpi.kpis
        import xlkpi.labels
        import xlkpi.reader
        import xlkpi.values
        import xlkpi.workbook  # noqa: F401

    known_file = os.environ.get("XLKPI_FUZZ_KNOWN", "")
    known = set(Path(known_file).read_text().split("\n")) if known_file else set()

    def one(data: bytes) -> None:
        try:
            timed_check(data)
        except Finding as finding:
            if finding.signature in known:
                return  # found before in this session: let the fuzzer look for others
            print(f"FUZZ-SIGNATURE: {finding.signature}", flush=True)
            raise

    atheris.Setup(argv, one, custom_mutator=mutate, custom_crossover=crossover)
    atheris.Fuzz()


_STATUS = re.compile(r"^#(\d+)\s+\S+\s+cov: (\d+) ft: (\d+)")
_ARTIFACT = re.compile(r"Test unit written to (\S+)")


def supervise(args: argparse.Namespace) -> int:
    corpus = Path(args.corpus)
    artifacts = Path(args.artifacts)
    artifacts.mkdir(parents=True, exist_ok=True)
    added = fill_corpus(corpus)
    print(f"fuzz: corpus {corpus} ({len(list(corpus.iterdir()))} inputs, {added} seeds added)")
    deadline = time.monotonic() + args.seconds
    executions = cov = ft = runs = 0
    findings: list[tuple[str, str]] = []
    log = Path(args.log) if args.log else None
    known = artifacts / "known-signatures.txt"  # a finding is reported once per session
    open_ones = _fixture_signatures()  # kept as regression tests, not yet fixed: not new
    known.write_text("".join(f"{sig}\n" for sig in open_ones))
    if open_ones:
        print(f"fuzz: {len(open_ones)} known open finding(s) in tests/fixtures/fuzz, not counted:")
        for sig in open_ones:
            print(f"  {sig}")
    env = {**os.environ, "XLKPI_FUZZ_KNOWN": str(known)}
    while (left := int(deadline - time.monotonic())) > 5:
        runs += 1
        command = [
            sys.executable, str(Path(__file__).resolve()), "--child", str(corpus),
            f"-max_total_time={left}", f"-timeout={args.timeout}",
            f"-rss_limit_mb={args.rss_mb}", f"-max_len={MAX_LEN}", "-len_control=0",
            f"-artifact_prefix={artifacts}/", "-print_final_stats=1", "-reload=0",
        ]  # fmt: skip
        if args.runs:
            command.append(f"-runs={args.runs}")
        last = 0
        artifact = signature = ""
        tail: list[str] = []
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors="replace", cwd=ROOT, env=env) as proc:  # fmt: skip
            assert proc.stdout is not None
            for line in proc.stdout:
                if log is not None:
                    with log.open("a") as out:
                        out.write(line)
                tail = [*tail[-60:], line.rstrip()]
                if m := _STATUS.match(line):
                    last = int(m.group(1))
                    cov, ft = max(cov, int(m.group(2))), max(ft, int(m.group(3)))
                elif m := _ARTIFACT.search(line):
                    artifact = m.group(1)
                elif line.startswith("FUZZ-SIGNATURE: "):
                    signature = line.split(": ", 1)[1].strip()
        executions += last
        if proc.returncode != 0 and artifact:
            reason = f"{_reason(tail)} | {_confirm(artifact)}"
            if signature:
                with known.open("a") as out:
                    out.write(signature + "\n")
            findings.append((artifact, reason))
            print(f"fuzz: FINDING {artifact}: {reason}", flush=True)
        elif proc.returncode != 0:
            print("\n".join(tail[-30:]), file=sys.stderr)
            findings.append(("", f"libFuzzer exited {proc.returncode} without an artifact"))
            break
        else:
            break  # the time is up (or -runs done)
        if args.runs:
            break
    print(f"fuzz: {runs} libFuzzer run(s), {executions} executions, cov: {cov} ft: {ft}")
    print(f"fuzz: {len(findings)} finding(s)")
    for artifact, reason in findings:
        print(f"  {artifact}  {reason}")
    return 1 if findings else 0


def _confirm(artifact: str) -> str:
    """The finding run again without instrumentation, in a fresh process: what it does there."""
    command = [sys.executable, str(Path(__file__).resolve()), "--check", artifact]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return "uninstrumented: still running after 120 s"
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    said = (run.stdout.strip().splitlines() or [run.stderr.strip()[-200:]])[-1]
    return f"uninstrumented: exit {run.returncode}, {cpu:.1f} CPU s, {said[-300:]}"


def _fixture_signatures() -> list[str]:
    """Signatures of the saved findings that still fail (in a child: one may abort)."""
    fixtures = sorted(str(p) for p in (ROOT / "tests" / "fixtures" / "fuzz").glob("*.xls*"))
    if not fixtures:
        return []
    command = [sys.executable, str(Path(__file__).resolve()), "--signatures", *fixtures]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return []
    return sorted({line for line in run.stdout.splitlines() if line})


def _reason(tail: list[str]) -> str:
    for line in tail:
        if "Finding:" in line or "ERROR: libFuzzer" in line or "==ERROR" in line:
            return line.strip()[:300]
    for line in reversed(tail):
        if line.startswith(("Traceback", "  File")) or "Error" in line:
            return line.strip()[:300]
    return (tail[-1] if tail else "")[:300]


def signature_of(data: bytes, slow: float = 0.0) -> str:
    """The finding's signature for `data`, "" when the oracle passes; "slow" when it takes
    longer than `slow` seconds (given for a timeout-* finding)."""
    started = time.monotonic()
    try:
        check(data, summary=True)
    except Finding as finding:
        return finding.signature
    return "slow" if slow and time.monotonic() - started > slow else ""


def minimize(data: bytes, wanted: str, slow: float = 0.0) -> bytes:
    """A smaller input with the same finding: members dropped, then XML elements (ddmin-like)."""
    rng = random.Random(0)
    members = _members(data)
    if members is None:
        return data

    def same(candidate: list[tuple[zipfile.ZipInfo, bytes]]) -> bool:
        return signature_of(_rezip(candidate, rng), slow) == wanted

    for index in reversed(range(len(members))):  # whole members first
        trial = members[:index] + members[index + 1 :]
        if same(trial):
            members = trial
    for index in range(len(members)):
        info, content = members[index]
        spots = list(_ELEMENT.finditer(content))
        chunk = max(1, len(spots) // 2)
        while chunk >= 1 and spots:
            kept_any = False
            for start in range(0, len(spots), chunk):
                group = spots[start : start + chunk]
                if not group:
                    continue
                trial_content = content[: group[0].start()] + content[group[-1].end() :]
                trial = [*members[:index], (info, trial_content), *members[index + 1 :]]
                if same(trial):
                    content, members, kept_any = trial_content, trial, True
                    break
            spots = list(_ELEMENT.finditer(content))
            if not kept_any:
                chunk //= 2
    return _rezip(members, random.Random(1))  # deflated


def check_files(paths: list[str]) -> int:
    bad = 0
    for name in paths:
        data = Path(name).read_bytes()
        started = time.monotonic()
        try:
            check(data, summary=True)
        except Finding as finding:
            bad += 1
            print(f"{name}: FINDING {finding}")
        else:
            print(f"{name}: ok ({time.monotonic() - started:.2f} s)")
    return 1 if bad else 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child([sys.argv[0], *sys.argv[2:]])
        return 0
    sys.path.insert(0, str(ROOT / "src"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--corpus", default=str(ROOT / "test-artifacts" / "fuzz" / "corpus"))
    parser.add_argument("--artifacts", default=str(ROOT / "test-artifacts" / "fuzz" / "findings"))
    parser.add_argument("--timeout", type=int, default=TIMEOUT_S)
    parser.add_argument("--rss-mb", type=int, default=RSS_LIMIT_MB)
    parser.add_argument("--runs", type=int, default=0, help="stop after this many inputs")
    parser.add_argument("--log", default="", help="append libFuzzer's output here")
    parser.add_argument("--check", nargs="+", metavar="FILE", help="run the oracle on files")
    parser.add_argument("--minimize", nargs=2, metavar=("FINDING", "OUT"),
                        help="write a smaller input with the same finding")  # fmt: skip
    parser.add_argument("--slow", type=float, default=0.0,
                        help="with --minimize: keep an input slower than this many seconds")  # fmt: skip
    parser.add_argument("--signatures", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.signatures:
        for name in args.signatures:
            try:
                timed_check(Path(name).read_bytes())
            except Finding as finding:
                print(finding.signature, flush=True)
        return 0
    if args.check:
        return check_files(args.check)
    if args.minimize:
        data = Path(args.minimize[0]).read_bytes()
        wanted = signature_of(data, args.slow)
        if not wanted:
            print(f"{args.minimize[0]}: no finding to keep")
            return 1
        small = minimize(data, wanted, args.slow)
        Path(args.minimize[1]).write_bytes(small)
        print(f"{wanted}: {len(data)} -> {len(small)} bytes, {args.minimize[1]}")
        return 0
    return supervise(args)


if __name__ == "__main__":
    sys.exit(main())
