"""Crafted workbooks for the bounded-reading tests: built from XML text in code, no blobs.

Other helpers' tests may import these builders (only the bound branch edits this file).
`package` writes a minimal but valid SpreadsheetML package from sheet XML; the other
builders produce the hostile parts (far cells written oddly, lying zips, pathological
styles, huge KPI tables, duplicate sheet names, macro and dialog sheets).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

_CONTENT = {
    "worksheet": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    "chartsheet": "application/vnd.openxmlformats-officedocument.spreadsheetml.chartsheet+xml",
    "dialogsheet": "application/vnd.openxmlformats-officedocument.spreadsheetml.dialogsheet+xml",
    "xlMacrosheet": "application/vnd.ms-excel.macrosheet+xml",
    "xlIntlMacrosheet": "application/vnd.ms-excel.intlmacrosheet+xml",
}
_REL_TYPE = {
    "worksheet": _DOC + "worksheet",
    "chartsheet": _DOC + "chartsheet",
    "dialogsheet": _DOC + "dialogsheet",
    "xlMacrosheet": "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
    "xlIntlMacrosheet": "http://schemas.microsoft.com/office/2006/relationships/xlIntlMacrosheet",
}
_ROOT = {
    "worksheet": "worksheet",
    "chartsheet": "chartsheet",
    "dialogsheet": "dialogsheet",
    "xlMacrosheet": "worksheet",
    "xlIntlMacrosheet": "worksheet",
}


@dataclass(frozen=True)
class Sheet:
    name: str
    body: str  # the XML inside the sheet's root element (sheetData and what follows)
    kind: str = "worksheet"  # or chartsheet, dialogsheet, xlMacrosheet, xlIntlMacrosheet
    state: str = "visible"
    raw: bytes | None = None  # the whole part, when the root element itself is crafted


def sheet_part(body: str, root: str = "worksheet") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<{root} xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">{body}</{root}>'
    ).encode()


def package(
    sheets: Sequence[Sheet],
    *,
    styles: bytes | None = None,
    shared: bytes | None = None,
    extra: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A SpreadsheetML package holding `sheets` in order, as bytes."""
    types = [
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/>',
        '<Default Extension="xml" ContentType="application/xml"/>',
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>',
    ]
    rels, entries, parts = [], [], {}
    for number, sheet in enumerate(sheets, 1):
        folder = "worksheets" if sheet.kind == "worksheet" else sheet.kind.lower() + "s"
        part = f"xl/{folder}/sheet{number}.xml"
        types.append(f'<Override PartName="/{part}" ContentType="{_CONTENT[sheet.kind]}"/>')
        rels.append(
            f'<Relationship Id="rId{number}" Type="{_REL_TYPE[sheet.kind]}" '
            f'Target="{folder}/sheet{number}.xml"/>'
        )
        state = "" if sheet.state == "visible" else f' state="{sheet.state}"'
        entries.append(f'<sheet name="{sheet.name}" sheetId="{number}"{state} r:id="rId{number}"/>')
        parts[part] = sheet.raw or sheet_part(sheet.body, _ROOT[sheet.kind])
    number = len(sheets)
    if styles is not None:
        number += 1
        rels.append(f'<Relationship Id="rId{number}" Type="{_DOC}styles" Target="styles.xml"/>')
        parts["xl/styles.xml"] = styles
    if shared is not None:
        number += 1
        rels.append(
            f'<Relationship Id="rId{number}" Type="{_DOC}sharedStrings" '
            f'Target="sharedStrings.xml"/>'
        )
        parts["xl/sharedStrings.xml"] = shared
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>{"".join(entries)}</sheets>'
        f"</workbook>"
    )
    members = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            + "".join(types)
            + "</Types>"
        ).encode(),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{_DOC}officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": workbook.encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL_NS}">{"".join(rels)}</Relationships>'
        ).encode(),
        **parts,
        **(extra or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- cells ---------------------------------------------------------------------------------


def cells_body(cells: Sequence[tuple[str, str]], *, row_attrs: str = "") -> str:
    """sheetData with one row per cell: (reference, inline text)."""
    rows = []
    for ref, text in cells:
        number = "".join(ch for ch in ref if ch.isdigit())
        rows.append(
            f'<row r="{number}"{row_attrs}><c r="{ref}" t="inlineStr"><is><t>{text}</t></is>'
            f"</c></row>"
        )
    return "<sheetData>" + "".join(rows) + "</sheetData>"


# A far cell written in legal ways a regex looking for <c r="..." misses: quote style,
# letter case (the reader tolerates it), whitespace around = and inside the tag, a
# namespace prefix, $ anchors, a row placed only by <row r>, attributes in another order.
FAR_CELL_SPELLINGS: dict[str, str] = {
    "single-quotes": "<row r='1048576'><c r='XFD1048576' t='inlineStr'><is><t>x</t></is></c></row>",
    "space-around-equals": (
        '<row r = "1048576"><c r = "XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    ),
    "newline-in-tag": (
        '<row\nr="1048576"><c\n\tr="XFD1048576"\nt="inlineStr"><is><t>x</t></is></c></row>'
    ),
    "attribute-order": (
        '<row r="1048576"><c t="inlineStr" r="XFD1048576"><is><t>x</t></is></c></row>'
    ),
    "dollar-anchored": (
        '<row r="1048576"><c r="$XFD$1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    ),
    "lower-case": '<row r="1048576"><c r="xfd1048576" t="inlineStr"><is><t>x</t></is></c></row>',
    "row-only": '<row r="2"><c r="XFD2"/></row>'
    '<row r="1048576"><c t="inlineStr"><is><t>x</t></is></c></row>',
    "far-column-no-row-r": '<row><c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>'
    '<row r="1048576"><c t="inlineStr"><is><t>y</t></is></c></row>',
}


def far_cell_sheet(spelling: str, *, prefix: str = "") -> bytes:
    """A sheet part whose A1 holds a value and whose one other cell lies at XFD1048576,
    written as FAR_CELL_SPELLINGS[spelling]; `prefix` ("x:") puts every element in a
    namespace prefix, as some generators write."""
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
    rows += FAR_CELL_SPELLINGS[spelling]
    body = f"<sheetData>{rows}</sheetData>"
    if not prefix:
        return sheet_part(body)
    p = prefix.rstrip(":")
    body = (
        body.replace("<row", f"<{p}:row")
        .replace("</row", f"</{p}:row")
        .replace("<c ", f"<{p}:c ")
        .replace("<c\n", f"<{p}:c\n")
        .replace("</c>", f"</{p}:c>")
        .replace("<is>", f"<{p}:is>")
        .replace("</is>", f"</{p}:is>")
        .replace("<t>", f"<{p}:t>")
        .replace("</t>", f"</{p}:t>")
        .replace("<sheetData", f"<{p}:sheetData")
        .replace("</sheetData", f"</{p}:sheetData")
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<{p}:worksheet xmlns:{p}="{MAIN_NS}" xmlns:r="{REL_NS}">{body}</{p}:worksheet>'
    ).encode()


# --- zips ----------------------------------------------------------------------------------


def lying_zip(data: bytes, member: str, declared: int | None = None) -> bytes:
    """`data` (a zip) with `member`'s declared uncompressed size rewritten in both its local
    header and the central directory to `declared` (default: a tenth of the true size), so
    that it inflates past what it claims. The CRC stays the true one."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(member)
    size = declared if declared is not None else max(1, info.file_size // 10)
    # local header: signature, ..., compressed size at 18, uncompressed size at 22
    local = info.header_offset
    assert out[local : local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", out, local + 22, size)
    # central directory entry: uncompressed size at 24
    name = member.encode()
    at = out.find(b"PK\x01\x02", 0)
    while at != -1:
        length = struct.unpack_from("<H", out, at + 28)[0]
        if bytes(out[at + 46 : at + 46 + length]) == name:
            struct.pack_into("<I", out, at + 24, size)
            break
        at = out.find(b"PK\x01\x02", at + 4)
    else:
        raise AssertionError(member)
    return bytes(out)


def bomb_member(size: int) -> bytes:
    """`size` bytes of XML-ish filler that deflate to almost nothing."""
    return b"<!-- " + b" " * (size - 9) + b" -->"


def deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


# --- styles, merged ranges, formulas, shared strings (scaling inputs) -----------------------


def styles_part(inner: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<styleSheet xmlns="{MAIN_NS}">{inner}</styleSheet>'
    ).encode()


def unclosed_styles(n: int) -> bytes:
    """cellXfs opened n times and never closed: a lazy .*? up to </cellXfs> from each
    opening is quadratic."""
    return styles_part("<cellXfs><xf numFmtId='9'>" * n)


def nested_styles(n: int) -> bytes:
    """n unclosed <xf and <numFmt tags (no >): a [^>]* up to the next > from each is quadratic."""
    return styles_part("<cellXfs>" + '<xf numFmtId="9" ' * n + "<numFmt numFmtId='1' " * n)


def many_cells_sheet(n: int, *, formulas: bool = False, unclosed: bool = False) -> bytes:
    """n cells in rows of 10, each with a formula and an error or a number."""
    rows = []
    for r in range(n // 10):
        cells = []
        for c in range(10):
            ref = f"{chr(65 + c)}{r + 1}"
            if unclosed:
                cells.append(f'<c r="{ref}"><f>SUM(')
            elif formulas:
                cells.append(f'<c r="{ref}" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{r}</v></c>')
        rows.append(f'<row r="{r + 1}">{"".join(cells)}</row>')
    return sheet_part("<sheetData>" + "".join(rows) + "</sheetData>")


def merged_sheet(n: int) -> bytes:
    """n merged ranges of 2 cells each, one per row."""
    cells = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, n + 1))
    merges = "".join(f'<mergeCell ref="A{r}:B{r}"/>' for r in range(1, n + 1))
    return sheet_part(
        f'<sheetData>{cells}</sheetData><mergeCells count="{n}">{merges}</mergeCells>'
    )


def shared_strings(n: int, *, declared: int | None = None) -> bytes:
    count = n if declared is None else declared
    items = "".join(f"<si><t>s{i}</t></si>" for i in range(n))
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="{MAIN_NS}" count="{count}" uniqueCount="{count}">{items}</sst>'
    ).encode()


def lying_sheet_zip(inflated: int, member_body: str = "") -> bytes:
    """A one-sheet package whose sheet part inflates to about `inflated` bytes (a comment
    of spaces, written in chunks, never held) while the zip declares 2,000 bytes for it."""
    body = member_body or '<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'
    data = package([Sheet("s", body)])
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                zf.writestr(info.filename, source.read(info))
                continue
            part = source.read(info)
            target = zipfile.ZipInfo(info.filename)
            target.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(target, "w") as out:
                out.write(part[: -len(b"</worksheet>")] + b"<!--")
                chunk = b" " * 2**20
                for _ in range(inflated // len(chunk)):
                    out.write(chunk)
                out.write(b"--></worksheet>")
    return lying_zip(buffer.getvalue(), "xl/worksheets/sheet1.xml", 2000)


def many_kpis_return(path: Path, count: int) -> Path:
    """A return whose one form holds `count` KPIs: the template's table, with every actuals
    row headed by its KPI's name (as some departments type it) instead of 指標N."""
    import xlsxwriter

    years = ["2024 (R6)", "2025 (R7)", "2026 (R8)", "2027 (R9)", "2028 (R10)"]
    rows: list[list[object]] = [
        ["定住自立圏共生ビジョン 成果指標（KPI）実績調書"],
        ["施策番号", 1],
        ["施策名", "多指標事業"],
        ["連携する視点", "生活機能の強化", None, "政策分野", "医療"],
        ["施策の展開", "展開"],
        ["取組内容", "内容"],
        ["成果指標 (KPI)", "指標名", None, "単位", "現状値 (2022 (R4) 年度)",
         "目標値 (2028 (R10) 年度)"],
        *([f"指標{i + 1}", f"指標その{i}", None, "人", 1, 10] for i in range(count)),
        ["関係市町", "全市町"],
        ["事業名称", "事業"],
        ["事業効果", "効果"],
        ["実施年度", *years],
        ["事業費 (千円)", 100],
        ["役割分担", "分担"],
        ["実績値", *years],
        *([f"指標その{i}", 5] for i in range(count)),
        ["年度評価", "評価"],
        ["次年度以降の取組", "取組"],
    ]  # fmt: skip
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    book.close()
    return path


def lying_ole(
    data: bytes, stream: str = "Workbook", *, size: int | None = None,
    root_size: int | None = None, loop: bool = False,
) -> bytes:  # fmt: skip
    """An OLE (compound) file with the directory entry of `stream` (or the root entry,
    which sizes the mini stream) declaring another size, and optionally its first sector's
    FAT entry pointing back at itself: a chain that never ends."""
    out = bytearray(data)
    sector = 1 << struct.unpack_from("<H", out, 30)[0]
    directory = 512 + struct.unpack_from("<I", out, 48)[0] * sector
    entry = out.find(stream.encode("utf-16-le") + b"\0\0", directory)
    assert entry >= directory and (entry - directory) % 128 == 0, stream
    start = struct.unpack_from("<I", out, entry + 116)[0]
    if size is not None:
        struct.pack_into("<I", out, entry + 120, size)
    if root_size is not None:
        struct.pack_into("<I", out, directory + 120, root_size)
        start = struct.unpack_from("<I", out, directory + 116)[0]
    if loop:
        per = sector // 4
        fat_sector = struct.unpack_from("<I", out, 76 + 4 * (start // per))[0]
        struct.pack_into("<I", out, 512 + fat_sector * sector + (start % per) * 4, start)
    return bytes(out)
