"""Output integrity: no return text becomes a formula or a link, the summary's counts match as
the engine matches (case, width, wildcards), every string written is valid XML text.

The summaries here are built from the samples with hostile texts put into what returns
supply (viewpoints, policy fields, names, units, notes, file names); LibreOffice then
recalculates them, and every formula must give the engine's value.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from defusedxml import ElementTree

import office
from xlkpi import sheetwriter
from xlkpi.merge import MergeResult
from xlkpi.sheetwriter import BulkSheet, CheckedSheet
from xlkpi.summary import summary_bytes, write_summary
from xlkpi.summary.base import shown
from xlkpi.tally import tally

# What a return may hold where the summary shows text: formula and link shapes, criteria
# operators and wildcards, case and width twins, controls, OOXML escapes, rich-string XML,
# bidi overrides, text past a formula literal's 255 characters.
# What a return may hold where the summary shows text. FORMULA_HOSTILE: formula and link
# shapes, criteria operators and wildcards, case and width twins, text past a formula
# literal's 255 characters; XML_HOSTILE adds controls, OOXML escapes, rich-string XML,
# bidi overrides and noncharacters.
FORMULA_HOSTILE = [
    'x" & HYPERLINK("http://evil.example/","click") & "',
    '=HYPERLINK("http://evil.example/","click")',
    '"&HYPERLINK("http://evil.example/")&"',
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "*",
    "?",
    "~",
    "~*",
    "医*",
    "Alpha",
    "ALPHA",
    "alpha",
    "ＡＢＣ",
    "ABC",
    "1",
    "TRUE",
    "<5",
    ">=0",
    "<>",
    "L" * 300,
    "（未記入）",  # what the summary shows for a blank one
    "「（未記入）」",
    "",
]
XML_HOSTILE = [
    *FORMULA_HOSTILE,
    "bell\x07",
    "\x1b[31mred\x1b[0m",
    "nul\x00",
    "cr\rlf",
    "_x0007_",
    "_x005F_x0041_",
    "<r>rich\x07</r>",
    "<r><t>x</t></r>",
    "\u202eevil\u202c",
    "\ufffe\uffff",
]
HOSTILE = {"formula": FORMULA_HOSTILE, "xml": XML_HOSTILE}


def hostile_result(base: MergeResult, texts: list[str] = XML_HOSTILE) -> MergeResult:
    """The samples with every viewpoint, field, name, unit and note replaced by hostile text:
    the case and width twins each hold several KPIs with different grades."""
    result = copy.deepcopy(base)
    for index, measure in enumerate(result.measures):
        text = texts[index % len(texts)]
        measure.viewpoint = text
        measure.policy_field = texts[(index * 7 + 3) % len(texts)]
        measure.name = f"{text}{index}" if index % 3 else text
        measure.file = texts[(index + 5) % len(texts)] + ".xlsx"
        measure.sheet = texts[(index + 11) % len(texts)][:31]
        for kpi in measure.kpis:
            kpi.name = texts[(index + 2) % len(texts)]
            kpi.unit = texts[(index + 9) % len(texts)][:20]
            for year in kpi.actuals:
                kpi.notes[year] = texts[(index + year) % len(texts)]
    assert result.year is not None
    result.tallies = tally(result.measures, result.year, result.rule)
    return result


@pytest.fixture(scope="module", params=sorted(HOSTILE))
def texts(request: pytest.FixtureRequest) -> list[str]:
    found: list[str] = HOSTILE[request.param]
    return found


@pytest.fixture(scope="module")
def hostile(
    samples_result: MergeResult, texts: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("integrity") / "hostile.xlsx"
    write_summary(hostile_result(samples_result, texts), path)
    return path


# --- without LibreOffice -----------------------------------------------------------------


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def decoded(text: str) -> str:
    """OOXML text as Excel reads it, in one pass: _x005F_x0041_ is "_x0041_"."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def cell_texts(path: Path, sheet: str) -> dict[str, str]:
    """Every text cell of a sheet XlsxWriter wrote, decoded as Excel decodes it (openpyxl
    only drops "x005F_" and leaves every other escape as it is)."""
    with zipfile.ZipFile(path) as zf:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        names = [s.get("name") for s in book.iter(f"{_MAIN}sheet")]
        strings = [
            decoded("".join(t.text or "" for t in si.iter(f"{_MAIN}t")))
            for si in ElementTree.fromstring(zf.read("xl/sharedStrings.xml")).iter(f"{_MAIN}si")
        ]
        xml = ElementTree.fromstring(zf.read(f"xl/worksheets/sheet{names.index(sheet) + 1}.xml"))
    found = {}
    for c in xml.iter(f"{_MAIN}c"):
        v = c.find(f"{_MAIN}v")
        if c.get("t") == "s" and v is not None:
            found[c.get("r", "")] = strings[int(v.text or "")]
        elif c.get("t") == "str" and v is not None:
            found[c.get("r", "")] = decoded(v.text or "")
        elif c.get("t") == "inlineStr":
            found[c.get("r", "")] = decoded("".join(t.text or "" for t in c.iter(f"{_MAIN}t")))
    return found


def every_xml_part(path: Path) -> None:
    """Each XML part parses strictly (an invalid character is an error, as in Excel)."""
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(zf.read(name))


def test_the_hostile_summary_is_valid_xml_and_reads_back_as_written(
    samples_result: MergeResult, tmp_path: Path
) -> None:
    hostile = tmp_path / "hostile.xlsx"
    result = hostile_result(samples_result, XML_HOSTILE)
    write_summary(result, hostile)
    every_xml_part(hostile)
    ws = openpyxl.load_workbook(hostile)["達成状況一覧"]  # openpyxl parses it too
    texts = cell_texts(hostile, "達成状況一覧")
    rows = [(m, k) for m in result.measures for k in m.kpis]
    for offset, (measure, kpi) in enumerate(rows, start=5):
        assert [texts.get(f"{col}{offset}", "") for col in "BCDE"] == [
            shown(measure.viewpoint),
            shown(measure.policy_field),
            measure.name,
            kpi.name,
        ]
        assert all(ws[f"{c}{offset}"].data_type == "s" for c in "BCDE" if f"{c}{offset}" in texts)
    data = cell_texts(hostile, "データ")
    assert {m.file for m in result.measures} <= set(data.values())


def formulas_of(path: Path) -> dict[tuple[str, str], str]:
    wb = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): c.value for ws in wb.worksheets for row in ws.iter_rows()
            for c in row if c.data_type == "f"}  # fmt: skip


_LITERAL = re.compile(r'"((?:[^"]|"")*)"')


def test_no_return_text_enters_a_formula(hostile: Path, texts: list[str]) -> None:
    formulas = formulas_of(hostile)
    assert len(formulas) > 100
    literals = {text for f in formulas.values() for text in _LITERAL.findall(f)}
    # xlkpi's own word for a blank one, typed in a return, is compared as a literal (事業費):
    # it is nothing but that word in 「」 (see summary.base.shown).
    own = {text for text in texts if text and shown(text) != text}
    for text in set(texts) - own:
        assert not any(text in f for f in formulas.values() if len(text) > 2), text
    # The only literals are xlkpi's own words and number formats.
    assert literals == {"", "0.0%", "全体", ": 評価した指標がありません。", "（", "項目中",
                        ": 達成状況A及びBの項目は、合わせて", "項目）です。", *own}  # fmt: skip
    # No cell holding return text is a formula, none is a link.
    wb = openpyxl.load_workbook(hostile)
    for ws in wb.worksheets:
        assert not ws._hyperlinks, ws.title
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.data_type != "f":
                    assert c.data_type == "s"


@pytest.mark.parametrize(
    "text",
    [
        *(chr(c) + "x" for c in range(32) if c != 10),
        "_x0041_",
        "\x7f\x85\x9b\n _X0041_ _x004_ _x00411_ _x0041_",
        "_x005F_x0007_",
        "<r>\x07</r>",
        "<r>_x0007_ & <b> \x1f</r>",
        "<r></r>",
        "\ufffe\uffff",
        "\udc83\udcfa.xlsx",  # a file name that is not UTF-8, as os.listdir gives it
        " lead and trail ",
    ],
)
def test_every_string_round_trips_through_every_write_path(text: str) -> None:
    """write_string, merge_range, a bulk row, a template row, a table header and a formula's
    cached string: valid XML, and openpyxl reads back the text as written."""
    target = io.BytesIO()
    wb = xlsxwriter.Workbook(target, {"in_memory": True, "strings_to_formulas": False,
                                      "strings_to_urls": False, "strings_to_numbers": False})  # fmt: skip
    ws = CheckedSheet(wb.add_worksheet("s", worksheet_class=BulkSheet))
    ws.write_string(0, 0, text)
    ws.merge_range(1, 0, 1, 2, text, wb.add_format({"bold": True}))
    ws.bulk_row(2, [(text, None), (text + "b", None)])
    template = ws.template([(text, None)], 0)
    ws.put_row(3, [template])
    ws.put_row(4, [template])
    ws.add_table(6, 0, 7, 1, {"columns": [{"header": "h" + text}, {"header": "k"}]})
    ws.write_formula(9, 0, '="a"', None, text)
    wb.close()
    path = Path(f"/tmp/xlkpi-integrity-{abs(hash(text))}.xlsx")
    path.write_bytes(target.getvalue())
    try:
        every_xml_part(path)
        openpyxl.load_workbook(path)  # parses
        texts = cell_texts(path, "s")
        for ref in ("A1", "A2", "A3", "A4", "A5", "A10"):
            assert texts[ref] == text, ref
        assert texts["B3"] == text + "b"
        assert texts["A7"] == "h" + text
        with zipfile.ZipFile(path) as zf:
            table = ElementTree.fromstring(zf.read("xl/tables/table1.xml"))
        assert decoded(next(table.iter(f"{_MAIN}tableColumn")).get("name", "")) == "h" + text
    finally:
        path.unlink()


def test_ooxml_escapes_are_the_ones_excel_writes() -> None:
    ooxml_text, own_xml = sheetwriter.ooxml_text, sheetwriter.own_xml
    assert ooxml_text("a\x07b") == "a_x0007_b"
    assert ooxml_text("_x0041_") == "_x005F_x0041_"
    assert ooxml_text("_x005F_x0041_") == "_x005F_x005F_x005F_x0041_"
    assert ooxml_text("a\tb\n", attribute=True) == "a_x0009_b_x000A_"
    assert ooxml_text("_x004_") == "_x004_"
    assert ooxml_text("\udc83") == "_xDC83_"
    assert "_" not in own_xml("_x0041_\x07").replace("xml:space", "")


def test_a_summary_in_memory_is_the_same_valid_xml(samples_result: MergeResult) -> None:
    data = summary_bytes(hostile_result(samples_result))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.endswith(".xml"):
                ElementTree.fromstring(zf.read(name))


# --- LibreOffice recalculates ---------------------------------------------------------------


def from_libreoffice(text: str) -> set[str]:
    """What LibreOffice's text may have been: its xlsx export escapes control characters but
    a literal "_x0007_" only at times, so text holding one reads any of these ways (text
    without one, and every number, is compared exactly)."""
    controls = _ESCAPE.sub(
        lambda m: chr(n) if (n := int(m.group(1), 16)) < 0x20 or n >= 0xFFFE else m.group(), text
    )
    return {controls, text, decoded(text)}


def _same(engine: object, calc: object) -> bool:
    """The engine's value (as XlsxWriter wrote it) and LibreOffice's (as it wrote it)."""
    if isinstance(engine, int | float) and isinstance(calc, int | float):
        return abs(engine - calc) < 1e-9
    if isinstance(engine, str) and isinstance(calc, str):
        return decoded(engine) in from_libreoffice(calc)
    return (engine or "") == (calc or "")


@pytest.fixture(scope="module")
def recalculated(hostile: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    office.soffice()
    work = tmp_path_factory.mktemp("integrity_office")
    poisoned = work / "hostile.xlsx"
    with zipfile.ZipFile(hostile) as zin, zipfile.ZipFile(poisoned, "w") as zout:
        for info in zin.infolist():  # every cached value 0: only recalculation can be right
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb"(<f>[^<]*</f>)<v>[^<]*</v>", rb"\1<v>0</v>", data)
            zout.writestr(info, data)
    office.convert([poisoned], "xlsx", work / "out", work / "profile")
    return work / "out" / "hostile.xlsx"


@pytest.mark.office
def test_libreoffice_recalculates_hostile_tallies_to_the_engines_values(
    hostile: Path, recalculated: Path, samples_result: MergeResult, texts: list[str]
) -> None:
    formulas = formulas_of(hostile)
    engine = openpyxl.load_workbook(hostile, data_only=True)
    calc = openpyxl.load_workbook(recalculated, data_only=True)
    differ = {
        key: (engine[key[0]][key[1]].value, calc[key[0]][key[1]].value)
        for key in formulas
        if not _same(engine[key[0]][key[1]].value, calc[key[0]][key[1]].value)
    }
    assert differ == {}
    # The engine's values are the Python tally's: per viewpoint, the KPIs of each grade.
    result = hostile_result(samples_result, texts)
    assert result.tallies is not None and result.year is not None
    expected: Counter[tuple[str, str]] = Counter()
    for measure in result.measures:
        for kpi in measure.kpis:
            if (grade := kpi.grades.get(result.year)) is not None:
                expected[(shown(measure.viewpoint), grade)] += 1
    ws = calc["概要"]
    labels = list(result.rule.labels)
    top = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "連携する視点")
    names = cell_texts(hostile, "概要")  # as written (openpyxl would not decode them)
    seen: Counter[tuple[str, str]] = Counter()
    for row in range(top + 1, top + 1 + len(result.tallies.viewpoints)):
        for offset, label in enumerate(labels):
            seen[(names[f"A{row}"], label)] += ws.cell(row, 2 + offset).value
    assert +seen == +expected
    # The twins are told apart: a case-insensitive or wildcard count would merge them.
    twins = {"Alpha", "ALPHA", "alpha", "ＡＢＣ", "ABC", "*", "医*"}
    assert twins <= {m.viewpoint for m in result.measures}


@pytest.mark.office
def test_after_recalculation_no_return_text_is_a_formula_or_a_link(
    hostile: Path, recalculated: Path
) -> None:
    before = formulas_of(hostile)
    after = formulas_of(recalculated)
    assert set(after) == set(before)  # no new formula; a text cell stayed text
    wb = openpyxl.load_workbook(recalculated)
    for ws in wb.worksheets:
        assert not ws._hyperlinks, ws.title
    assert not any("HYPERLINK" in f.upper() for f in after.values())
    overview = openpyxl.load_workbook(recalculated, data_only=True)["概要"]
    sentences = [
        c.value for c in overview["A"] if isinstance(c.value, str) and "達成状況" in c.value
    ]
    assert any(s.startswith('x" & HYPERLINK(') for s in sentences), sentences


# --- the terminal ---------------------------------------------------------------------------

TERMINAL_HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b[31m赤\u202eevil\u2066\r\x08\x9b2J\x85\x7f"
_ACTS_ON_A_TERMINAL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)


def _hostile_returns(folder: Path) -> Path:
    """A sample return whose viewpoint holds terminal controls (in the sheet's XML, as
    Excel escapes them), and a damaged file whose name holds them."""
    import builders
    from xlkpi import form

    folder.mkdir()
    escaped = re.sub("[\x00-\x08\x0b-\x1f]", lambda m: f"_x{ord(m.group()):04X}_",
                     TERMINAL_HOSTILE).encode()  # fmt: skip

    def hostile(xml: bytes) -> bytes:
        for name in form.VIEWPOINTS:
            xml = xml.replace(f">{name}<".encode(), b">" + escaped + b"<")
        return xml

    builders.patch(builders.sample(folder / "a.xlsx"), "xl/sharedStrings.xml", hostile)
    (folder / f"{TERMINAL_HOSTILE}.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    return folder


@pytest.mark.parametrize("command", ["merge", "check", "check --json"])
def test_nothing_from_a_return_acts_on_the_terminal(tmp_path: Path, command: str) -> None:
    """Escape sequences, CR, C1 controls and bidi overrides in a file name or a cell are
    printed escaped (\\u001b ...), on stdout and stderr alike; JSON still reads them back."""
    import json

    from xlkpi.cli import main

    folder = _hostile_returns(tmp_path / "returns")
    argv = [*command.split(), str(folder)]
    if command == "merge":
        argv += ["-o", str(tmp_path / "summary.xlsx")]
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, out, err) == 1
    printed = out.getvalue() + err.getvalue()
    assert _ACTS_ON_A_TERMINAL.findall(printed) == []
    assert "\\u001b[2J" in printed  # shown, escaped, not dropped
    if command == "check --json":
        files = {p["file"] for p in json.loads(out.getvalue())["problems"]}
        assert f"{TERMINAL_HOSTILE}.xlsx" in files  # read back as it is


def test_the_console_escapes_what_acts_on_a_terminal_and_nothing_else() -> None:
    from xlkpi.console import Console, safe

    assert safe("a\tb\nc　日本語 ｶﾅ") == "a\tb\nc　日本語 ｶﾅ"
    assert safe("\x1b[31m\r\u202e\udc83") == "\\u001b[31m\\u000d\\u202e\\udc83"
    stream = io.StringIO()
    Console(stream).write("x\x07")
    assert stream.getvalue() == "x\\u0007"
