"""Bounded reading (issue 20, items 2 and 5): a crafted file costs at most that file, or
that sheet, and never the process. Fixtures are built in code by tests/hostile.py.

Anything that could abort or exhaust the reader on a regression runs in a child process
under a memory ceiling, so that a failure is a failed test, not a dead test run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import builders
import hostile
from conftest import ROOT
from xlkpi.merge import merge
from xlkpi.workbook import Rejected, Workbook

CHILD = textwrap.dedent(
    """
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))
    from xlkpi.workbook import Rejected, Workbook
    data = open(sys.argv[1], "rb").read()
    found = {"sheets": []}
    try:
        book = Workbook(data)
        for sheet in book.sheets:
            try:
                grid = book.grid(sheet)
                found["sheets"].append([sheet.label, "read", grid.height, grid.width])
            except Rejected as rejected:
                found["sheets"].append([sheet.label, rejected.code, rejected.detail])
    except Rejected as rejected:
        found["file"] = [rejected.code, rejected.detail]
    # VmHWM: this process's own peak (ru_maxrss keeps the forking parent's across exec)
    status = open("/proc/self/status").read().split("VmHWM:")
    peak_kb = int(status[1].split()[0]) if len(status) > 1 else resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss
    found["peak_mb"] = peak_kb // 1024
    print(json.dumps(found, ensure_ascii=False))
    """
)


def read_in_child(path: Path) -> dict[str, object]:
    """What Workbook makes of the file, read in a child process with 1.5 GiB of address
    space (calamine aborts the process when it cannot allocate)."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    return json.loads(done.stdout)  # type: ignore[no-any-return]


# --- the extent guard: far cells however they are written ---------------------------------


@pytest.mark.parametrize("prefix", ["", "x:"])
@pytest.mark.parametrize("spelling", sorted(hostile.FAR_CELL_SPELLINGS))
def test_a_far_cell_in_any_spelling_costs_only_its_sheet(
    tmp_path: Path, spelling: str, prefix: str
) -> None:
    far = hostile.Sheet("遠い", "", raw=hostile.far_cell_sheet(spelling, prefix=prefix))
    near = hostile.Sheet("近い", hostile.cells_body([("A1", "a"), ("B2", "b")]))
    path = hostile.write(tmp_path / "far.xlsx", hostile.package([near, far]))
    found = read_in_child(path)
    assert "file" not in found
    assert found["sheets"] == [
        ["近い", "read", 2, 2],
        ["遠い", "sheet-too-large", "XFD1048576 まで"],
    ]


def test_a_far_cell_beside_forms_in_a_merge(tmp_path: Path) -> None:
    """The merge goes on: the far sheet is told by name, the sample's forms are read."""
    builders.sample(tmp_path / "05_消防本部.xlsx")
    far = hostile.Sheet("1", "", raw=hostile.far_cell_sheet("single-quotes"))
    hostile.write(tmp_path / "遠い.xlsx", hostile.package([far]))
    done = subprocess.run(
        [sys.executable, "-m", "xlkpi", "merge", str(tmp_path), "-o", str(tmp_path / "out.xlsx")],
        capture_output=True, text=True, timeout=180, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]  # 1: a file with an error, merged
    assert (tmp_path / "out.xlsx").exists()
    assert "遠い.xlsx!1" in done.stdout + done.stderr
    assert "XFD1048576 まで" in done.stdout + done.stderr


@pytest.mark.parametrize(
    "body",
    [
        '<dimension ref="A1:XFD1048576"/>',  # calamine does not size the sheet by it
        "",
    ],
)
def test_a_huge_dimension_alone_is_harmless(tmp_path: Path, body: str) -> None:
    sheet = hostile.Sheet("s", body + hostile.cells_body([("A1", "a")]))
    found = read_in_child(hostile.write(tmp_path / "d.xlsx", hostile.package([sheet])))
    assert found["sheets"] == [["s", "read", 1, 1]]


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="$B$2" t="inlineStr"><is><t>v</t></is></c>',
        "<c r='$B2' t='inlineStr'><is><t>v</t></is></c>",
        '<c r="b2" t="inlineStr"><is><t>v</t></is></c>',
        '<c t="inlineStr" r = "B$2"><is><t>v</t></is></c>',
    ],
)
def test_a_dollar_anchored_or_lower_case_reference_is_read_as_the_cell(cell: str) -> None:
    body = (
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
        f'<row r="2">{cell}</row></sheetData>'
    )
    book = Workbook(hostile.package([hostile.Sheet("s", body)]))
    grid = book.grid(book.sheets[0])
    assert grid.value((1, 1)) == "v"
    assert grid.value((0, 0)) == "a"


@pytest.mark.parametrize("ref", ["$A$1:$B$2", "a1:b2", "A$1:$B2"])
def test_a_dollar_anchored_merged_range_is_read_as_the_range(ref: str) -> None:
    body = hostile.cells_body([("A1", "a"), ("B2", "b")])
    body += f'<mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>'
    book = Workbook(hostile.package([hostile.Sheet("s", body)]))
    grid = book.grid(book.sheets[0])
    assert grid.anchors == {(0, 1): (0, 0), (1, 0): (0, 0), (1, 1): (0, 0)}
    assert grid.value((1, 1)) == "a"


# --- zips: the bytes actually produced ------------------------------------------------------


def test_a_lying_zip_is_refused_without_inflating_it(tmp_path: Path) -> None:
    """A sheet declared as 2,000 bytes that inflates to 400 MB: calamine would hold it all
    (twice), however the caps read the declared sizes."""
    path = hostile.write(tmp_path / "lying.xlsx", hostile.lying_sheet_zip(400 * 2**20))
    started = time.perf_counter()
    found = read_in_child(path)
    assert found.get("file", [None])[0] == "corrupt-file", found
    assert "2,000 バイト" in found["file"][1]  # type: ignore[index]
    assert found["peak_mb"] < 200  # type: ignore[operator]
    assert time.perf_counter() - started < 30


def test_a_member_that_inflates_to_its_declared_size_is_read() -> None:
    from xlkpi.workbook import _inflated_size

    data = b"<x>" + b"a" * 500_000 + b"</x>"
    raw = hostile.deflated(data)
    assert _inflated_size(raw, len(data)) == len(data)
    assert 1000 < _inflated_size(raw, 1000) <= 1000 + 2**16  # stops one chunk past the cap


def test_a_shared_strings_count_of_a_billion_does_not_allocate(tmp_path: Path) -> None:
    body = '<sheetData><row r="1"><c r="A1" t="s"><v>1</v></c></row></sheetData>'
    shared = hostile.shared_strings(2, declared=10**9)
    path = hostile.write(
        tmp_path / "sst.xlsx", hostile.package([hostile.Sheet("s", body)], shared=shared)
    )
    found = read_in_child(path)
    assert found["sheets"] == [["s", "read", 1, 1]], found
    book = Workbook(path.read_bytes())
    assert book.grid(book.sheets[0]).value((0, 0)) == "s1"


# --- sheets: by position, one refused sheet costs only itself -------------------------------


def test_two_sheets_with_one_name_are_each_read_as_themselves() -> None:
    first = hostile.Sheet("施策1", hostile.cells_body([("A1", "first")]))
    second = hostile.Sheet("施策1", hostile.cells_body([("A1", "second"), ("A2", "more")]))
    book = Workbook(hostile.package([first, second]))
    assert [s.label for s in book.sheets] == ["施策1", "施策1（重複）"]
    grids = [book.grid(sheet) for sheet in book.sheets]
    assert [g.value((0, 0)) for g in grids] == ["first", "second"]
    assert [g.name for g in grids] == ["施策1", "施策1（重複）"]


def test_duplicate_names_in_a_merge_read_the_second_form(tmp_path: Path) -> None:
    """A return whose two form sheets carry one name: both measures are read."""
    path = builders.book(tmp_path / "重複.xlsx", {"1": 1, "2": 2})
    builders.patch(
        path,
        "xl/workbook.xml",
        lambda xml: xml.replace(b'name="2"', b'name="1"'),
    )
    result = merge([tmp_path])
    alone = [merge([builders.seed_form(tmp_path / f"{n}" / "a.xlsx", n)]) for n in (1, 2)
             if (tmp_path / f"{n}").mkdir() is None]  # fmt: skip
    expected = [r.measures[0].name for r in alone]
    assert [m.name for m in result.measures] == expected


@pytest.mark.parametrize("kind", ["xlMacrosheet", "xlIntlMacrosheet", "dialogsheet"])
def test_a_macro_or_dialog_sheet_beside_forms_costs_only_itself(tmp_path: Path, kind: str) -> None:
    path = builders.sample(tmp_path / "05_消防本部.xlsx")
    macro = hostile.sheet_part(hostile.cells_body([("A1", "=RETURN()")]))
    with_macro = _add_sheet(path.read_bytes(), "Macro1", kind, macro)
    (tmp_path / "05_消防本部.xlsx").write_bytes(with_macro)
    result = merge([tmp_path])
    assert [p.code for p in result.report.problems if p.file] == []
    assert [m.number for m in result.measures] == [24]
    skipped = [e for e in result.report.ledger if e.sheet == "Macro1"]
    assert [e.status.value for e in skipped] == ["対象外"]


def _add_sheet(data: bytes, name: str, kind: str, part: bytes) -> bytes:
    """A sheet of `kind` added after the workbook's others (as Excel adds a macro sheet)."""
    import io
    import re
    import zipfile

    folder = {"xlMacrosheet": "macrosheets", "xlIntlMacrosheet": "macrosheets"}.get(
        kind, kind + "s"
    )
    target = f"xl/{folder}/added1.xml"
    rel_type = hostile._REL_TYPE[kind]
    content = hostile._CONTENT[kind]
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            member = source.read(info)
            if info.filename == "xl/workbook.xml":
                member = re.sub(
                    rb"</sheets>",
                    f'<sheet name="{name}" sheetId="99" r:id="rIdAdded"/></sheets>'.encode(),
                    member,
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                member = member.replace(
                    b"</Relationships>",
                    f'<Relationship Id="rIdAdded" Type="{rel_type}" '
                    f'Target="{folder}/added1.xml"/></Relationships>'.encode(),
                )
            elif info.filename == "[Content_Types].xml":
                member = member.replace(
                    b"</Types>",
                    f'<Override PartName="/{target}" ContentType="{content}"/></Types>'.encode(),
                )
            zf.writestr(info.filename, member)
        zf.writestr(target, part)
    return buffer.getvalue()


def test_a_sheet_calamine_refuses_costs_only_that_sheet() -> None:
    """Beside a macro sheet calamine cannot open the file at all; the copy it is given
    holds the worksheets, each read as itself."""
    form = hostile.Sheet("様式", hostile.cells_body([("A1", "施策名")]))
    macro = hostile.Sheet("Macro1", hostile.cells_body([("A1", "x")]), kind="xlMacrosheet")
    other = hostile.Sheet("様式", hostile.cells_body([("A1", "二枚目")]))
    book = Workbook(hostile.package([form, macro, other]))
    assert [s.kind for s in book.sheets] == ["worksheet", "xlMacrosheet", "worksheet"]
    assert book.grid(book.sheets[0]).value((0, 0)) == "施策名"
    assert book.grid(book.sheets[2]).value((0, 0)) == "二枚目"


@pytest.mark.parametrize("hidden", ["hidden='1'", 'hidden="true"', 'hidden="True"',
                                    'hidden = "1"', 'hidden=" 1 "'])  # fmt: skip
def test_a_hidden_row_is_hidden_however_the_attribute_is_written(hidden: str) -> None:
    body = (
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
        f'<row r="2" {hidden}><c r="A2" t="inlineStr"><is><t>b</t></is></c></row>'
        "</sheetData>"
        f"<cols><col min='2' max='3' {hidden}/></cols>"
    )
    book = Workbook(hostile.package([hostile.Sheet("s", body)]))
    grid = book.grid(book.sheets[0])
    assert grid.hidden_rows == frozenset({1})
    assert grid.hidden_columns == ((1, 2),)


def test_overlapping_merges_are_refused_not_walked() -> None:
    """Merges anchoring more cells than the sheet holds (10,000 copies of one big range)."""
    cells = "".join(f'<row r="{r}"><c r="T{r}"><v>1</v></c></row>' for r in range(1, 501))
    merges = '<mergeCell ref="A1:T500"/>' * 10_000
    body = f"<sheetData>{cells}</sheetData><mergeCells>{merges}</mergeCells>"
    book = Workbook(hostile.package([hostile.Sheet("s", body)]))
    started = time.perf_counter()
    with pytest.raises(Rejected) as refused:
        book.grid(book.sheets[0])
    assert refused.value.code == "sheet-unreadable"
    assert "A1:T500" in refused.value.detail
    assert time.perf_counter() - started < 5


# --- OLE: declared stream sizes ------------------------------------------------------------

XLS = ROOT / "tests" / "fixtures" / "office" / "old-format-saved-by-libreoffice.xls"


@pytest.mark.parametrize(
    "lie",
    [
        {"size": 0xFFFFFF00, "loop": True},  # the Workbook stream: 4 GB, its chain a loop
        {"size": 100, "root_size": 0xFFFFFF00, "loop": True},  # in the mini stream: the root
    ],
)
def test_an_ole_stream_declared_larger_than_the_file_is_not_read(
    tmp_path: Path, lie: dict[str, int]
) -> None:
    data = hostile.lying_ole(XLS.read_bytes(), **lie)  # type: ignore[arg-type]
    path = hostile.write(tmp_path / "lying.xls", data)
    found = read_in_child(path)
    assert found["file"][0] == "corrupt-file", found  # type: ignore[index]
    assert found["peak_mb"] < 200  # type: ignore[operator]


def test_an_honest_old_xls_is_still_told() -> None:
    from xlkpi.ole import ole_kind

    assert ole_kind(XLS.read_bytes()) == ("old-xls", "")


# --- one file's cells: a budget per file, each part read once, nothing past XFD1048576 ------


def _workbook_xml(entries: str, encoding: str = "UTF-8") -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}" standalone="yes"?>\n'
        f'<workbook xmlns="{hostile.MAIN_NS}" xmlns:r="{hostile.REL_NS}"><sheets>{entries}'
        f"</sheets></workbook>"
    ).encode()


@pytest.mark.parametrize("encoding", ["UTF-82", "Shift_JIS", "EUC-JP"])
def test_a_workbook_part_in_an_encoding_expat_cannot_read_is_corrupt(encoding: str) -> None:
    part = _workbook_xml('<sheet name="s" sheetId="1" r:id="rId1"/>', encoding)
    data = hostile.package(
        [hostile.Sheet("s", hostile.cells_body([("A1", "a")]))],
        extra={"xl/workbook.xml": part},
    )
    with pytest.raises(Rejected) as refused:
        Workbook(data)
    assert refused.value.code == "corrupt-file"
    assert "xl/workbook.xml" in refused.value.detail


def test_a_cell_past_excels_last_row_is_refused_by_name() -> None:
    """One column down to A1048577: a million-cell grid, under the per-sheet cap."""
    body = hostile.cells_body([("A1", "a"), ("A1048577", "x")])
    book = Workbook(hostile.package([hostile.Sheet("s", body)]))
    started = time.perf_counter()
    with pytest.raises(Rejected) as refused:
        book.grid(book.sheets[0])
    assert refused.value.code == "sheet-too-large"
    assert "A1048577" in refused.value.detail
    assert time.perf_counter() - started < 1


def test_sheet_entries_naming_one_part_read_it_once() -> None:
    entries = "".join(f'<sheet name="s{i}" sheetId="{i}" r:id="rId1"/>' for i in range(1, 9))
    data = hostile.package(
        [hostile.Sheet("s", hostile.cells_body([("A1", "a")]))],
        extra={"xl/workbook.xml": _workbook_xml(entries)},
    )
    book = Workbook(data)
    assert [s.part for s in book.sheets] == ["xl/worksheets/sheet1.xml"] * 8
    assert book.grid(book.sheets[0]).value((0, 0)) == "a"
    for sheet in book.sheets[1:]:
        with pytest.raises(Rejected) as refused:
            book.grid(sheet)
        assert refused.value.code == "sheet-unreadable"
        assert "「s1」と同じ部品" in refused.value.detail


def test_the_cells_of_one_file_are_budgeted_across_its_sheets() -> None:
    """Each sheet 600,000 cells (under the per-sheet cap): the file's second one is refused."""
    sheets = [
        hostile.Sheet(f"s{i}", hostile.cells_body([("A1", "a"), ("A600000", "x")])) for i in (1, 2)
    ]
    book = Workbook(hostile.package(sheets))
    assert book.grid(book.sheets[0]).height == 600_000
    with pytest.raises(Rejected) as refused:
        book.grid(book.sheets[1])
    assert refused.value.code == "sheet-too-large"
    assert "1,000,000" in refused.value.detail
