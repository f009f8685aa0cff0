"""The document as a .docx (python-docx): A4, Word's heading styles, BIZ UD fonts, page numbers.

結果概要 and the measure tables are A4 portrait, 達成状況一覧 A4 landscape. Every font
is named for East Asian text too (w:eastAsia), where Word takes Japanese glyphs from.
Text from a return is only ever text: python-docx escapes it, and characters XML cannot
hold are dropped.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from typing import Any

import docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from lxml.etree import SubElement

from xlkpi import __version__
from xlkpi.report.blocks import (
    Block,
    Cell,
    Charts,
    Document,
    Heading,
    PageBreak,
    Para,
    Runs,
    Section,
    Table,
    Text,
)
from xlkpi.report.charts import insert_chart
from xlkpi.report.xmltext import legal
from xlkpi.style import FONT, LABEL_FILL

GOTHIC = FONT  # BIZ UDPゴシック: headings, tables, charts
MINCHO = "BIZ UDP明朝 Medium"  # the name Windows and Office give BIZ UDP明朝: body text
TABLE_STYLE = "xlkpi 表"
IDENTIFIER = "xlkpi:sha256:"  # core property: the digest of the body as written


def to_docx(content: Document) -> bytes:
    document = docx.Document()
    _styles(document)
    section = document.sections[0]
    _page(section, landscape=False)
    _footer(section)
    for block in content.blocks:
        _block(document, block)
    _properties(document, content)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def body_digest(document_xml: bytes) -> str:
    """What the identifier property holds: Word rewrites the body whenever it saves."""
    return IDENTIFIER + hashlib.sha256(document_xml).hexdigest()


# --- blocks ---------------------------------------------------------------------------


def _block(document: Any, block: Block) -> None:
    if isinstance(block, Heading):
        style = "Title" if block.level == 0 else f"Heading {block.level}"
        _runs(document.add_paragraph(style=style), block.runs)
    elif isinstance(block, Para):
        _para(document.add_paragraph(), block)
    elif isinstance(block, Table):
        _table(document, block)
        _gap(document)
    elif isinstance(block, Charts):
        _charts(document, block)
        _gap(document)
    elif isinstance(block, Section):
        _page(document.add_section(WD_SECTION.NEW_PAGE), landscape=block.landscape)
    elif isinstance(block, PageBreak):
        gap = document.add_paragraph()
        gap.paragraph_format.page_break_before = True
        gap.paragraph_format.space_after = Pt(0)


def _runs(paragraph: Any, runs: Runs) -> None:
    for part in runs:
        run = paragraph.add_run(legal(part.text))
        if part.bold:
            run.bold = True
        if part.blank:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _para(paragraph: Any, block: Para) -> None:
    layout = paragraph.paragraph_format
    if block.kind == "body":
        layout.first_line_indent = Pt(10.5)
    elif block.kind == "lead":
        layout.space_before = Pt(6)
        layout.keep_with_next = True
    elif block.kind == "item" or block.kind == "note":
        layout.left_indent = Pt(10.5)
    _runs(paragraph, block.runs)
    if block.kind == "note":
        for run in paragraph.runs:
            run.font.size = Pt(9)


def _gap(document: Any) -> None:
    """A small paragraph after each table: Word joins tables that touch."""
    gap = document.add_paragraph()
    gap.paragraph_format.space_after = Pt(0)
    gap.paragraph_format.line_spacing = Pt(8)


def _table(document: Any, block: Table) -> None:
    """The table's rows written as XML: python-docx's cell access and merging walk the
    whole table for each cell (40 s for the 32 measures' tables)."""
    columns = len(block.widths)
    table = document.add_table(rows=0, cols=columns)
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _cell_margins(table, Cm(0.1))
    for index, width in enumerate(block.widths):
        table.columns[index].width = Cm(width)
    placed: list[list[tuple[int, Cell]]] = []  # per row: (grid column, cell)
    for r, cells in enumerate(block.rows):
        col, here = 0, []
        for cell in cells:
            here.append((col, cell))
            col += cell.span
        if col != columns:
            raise AssertionError(f"table row {r} spans {col} of {columns} columns")
        placed.append(here)
    continued = {(r, col) for r, here in enumerate(placed) for col, cell in here if cell.merge_up}
    style = document.styles[TABLE_STYLE].style_id
    for r, here in enumerate(placed):
        row = OxmlElement("w:tr")
        table._tbl.append(row)
        if r < block.header_rows:
            _row_flag(row, "w:tblHeader")
        if block.keep_rows:
            _row_flag(row, "w:cantSplit")
        for col, cell in here:
            width = Cm(sum(block.widths[col : col + cell.span]))
            row.append(_cell_xml(document, block, cell, width, style,
                                 merge="continue" if cell.merge_up and r else
                                 "restart" if (r + 1, col) in continued else ""))  # fmt: skip


def _cell_xml(document: Any, block: Table, cell: Cell, width: Any, style: str, merge: str) -> Any:
    """One w:tc: its width, span, vertical merge and shading, and a paragraph of its runs."""
    tc = OxmlElement("w:tc")
    properties = OxmlElement("w:tcPr")
    tc.append(properties)
    tc_width = OxmlElement("w:tcW")
    tc_width.set(qn("w:w"), str(round(width.twips)))
    tc_width.set(qn("w:type"), "dxa")
    properties.append(tc_width)
    if cell.span > 1:
        span = OxmlElement("w:gridSpan")
        span.set(qn("w:val"), str(cell.span))
        properties.append(span)
    if merge:
        vertical = OxmlElement("w:vMerge")
        if merge == "restart":
            vertical.set(qn("w:val"), "restart")
        properties.append(vertical)
    if cell.head and merge != "continue":
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), LABEL_FILL.lstrip("#"))
        properties.append(shading)
    p = SubElement(tc, _W_P)  # every cell holds a paragraph, a continued one too
    layout = SubElement(p, _W_PPR)
    SubElement(layout, _W_PSTYLE).set(_W_VAL, style)
    spacing = SubElement(layout, _W_SPACING)
    spacing.set(_W_BEFORE, str(round(block.padding * 20)))
    spacing.set(_W_AFTER, str(round(block.padding * 20)))
    if merge == "continue":
        return tc
    if cell.align in _JC:
        SubElement(layout, _W_JC).set(_W_VAL, _JC[cell.align])
    size = str(round(block.size * 2))  # half-points
    for part in cell.runs:
        _run_xml(p, part, size)
    return tc


def _run_xml(p: Any, part: Text, size: str) -> None:
    """A w:r of table text, written directly (python-docx's run API is the slow part)."""
    run = SubElement(p, _W_R)
    properties = SubElement(run, _W_RPR)
    if part.bold:  # in the schema's order: b, sz, highlight
        SubElement(properties, _W_B)
    SubElement(properties, _W_SZ).set(_W_VAL, size)
    if part.blank:
        SubElement(properties, _W_HIGHLIGHT).set(_W_VAL, "yellow")
    for index, line in enumerate(legal(part.text).split("\n")):
        if index:
            SubElement(run, _W_BR)
        for number, piece in enumerate(line.split("\t")):
            if number:
                SubElement(run, _W_TAB)
            if piece:
                text = SubElement(run, _W_T)
                text.text = piece
                text.set(_XML_SPACE, "preserve")


_W_P, _W_PPR, _W_PSTYLE, _W_SPACING, _W_JC = (
    qn(f"w:{t}") for t in ("p", "pPr", "pStyle", "spacing", "jc")
)
_W_R, _W_RPR, _W_B, _W_HIGHLIGHT, _W_SZ = (
    qn(f"w:{t}") for t in ("r", "rPr", "b", "highlight", "sz")
)
_W_BR, _W_TAB, _W_T = qn("w:br"), qn("w:tab"), qn("w:t")
_W_VAL, _W_BEFORE, _W_AFTER = qn("w:val"), qn("w:before"), qn("w:after")
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_JC = {"center": "center", "right": "right"}


def _cell_margins(table: Any, side: Any) -> None:
    """Narrow left and right cell margins (Word's default is 0.19 cm): numbers fit their columns."""
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        margin = OxmlElement(f"w:{edge}")
        margin.set(qn("w:w"), str(round(side.twips)))  # twentieths of a point
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties = table._tbl.tblPr
    look = properties.find(qn("w:tblLook"))  # the schema's order: tblCellMar before tblLook
    if look is None:
        properties.append(margins)
    else:
        look.addprevious(margins)


def _row_flag(row: Any, name: str) -> None:
    """A w:trPr flag (w:cantSplit, w:tblHeader) on a w:tr."""
    properties = row.find(qn("w:trPr"))
    if properties is None:
        properties = OxmlElement("w:trPr")
        row.insert(0, properties)
    flag = OxmlElement(name)
    flag.set(qn("w:val"), "true")
    properties.append(flag)


def _charts(document: Any, block: Charts) -> None:
    """Charts side by side in a borderless table, each under its caption."""
    table = document.add_table(rows=1, cols=len(block.items))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for index, (caption, chart) in enumerate(block.items):
        table.columns[index].width = Cm(block.width + 0.2)
        cell = table.cell(0, index)
        cell.width = Cm(block.width + 0.2)
        first = cell.paragraphs[0]
        if caption:
            _runs(first, (Text(caption),))
            first = cell.add_paragraph()
        first.alignment = WD_ALIGN_PARAGRAPH.CENTER
        insert_chart(first.add_run(), chart, block.width, block.height)
    _row_flag(table.rows[0]._tr, "w:cantSplit")


# --- page, styles, properties ---------------------------------------------------------


def _page(section: Any, *, landscape: bool) -> None:
    short, long = Cm(21.0), Cm(29.7)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    side = Cm(1.5) if landscape else Cm(2.0)
    section.left_margin = section.right_margin = side
    section.top_margin = section.bottom_margin = Cm(1.8)
    section.header_distance = section.footer_distance = Cm(0.8)


def _footer(section: Any) -> None:
    """「- 3 -」 centred: a PAGE field, which every later section's footer repeats."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("- ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                       ("end", None)):  # fmt: skip
        run = paragraph.add_run()
        if kind is not None:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
            run._r.append(field)
        elif text == " PAGE ":
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = text
            run._r.append(code)
        else:
            run.text = text
    paragraph.add_run(" -")


def _set_font(style: Any, face: str, size: float | None = None, bold: bool | None = None) -> None:
    """The style's font for Latin and East Asian text alike; theme fonts removed."""
    properties = style.element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.insert(0, fonts)
    for attribute in list(fonts.attrib):
        if attribute.endswith("Theme"):
            del fonts.attrib[attribute]
    for kind in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{kind}"), face)
    font = style.font
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    font.color.rgb = RGBColor(0, 0, 0)


def _styles(document: Any) -> None:
    styles = document.styles
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:  # 日本語 for proofing and line breaking
        for lang in defaults.iter(qn("w:lang")):
            lang.set(qn("w:eastAsia"), "ja-JP")
    normal = styles["Normal"]
    _set_font(normal, MINCHO, 10.5)
    normal.paragraph_format.space_after = Pt(2)
    normal.paragraph_format.line_spacing = 1.15
    for name, size, before in (("Title", 14, 0), ("Heading 1", 12, 12), ("Heading 2", 11, 8)):
        style = styles[name]
        _set_font(style, GOTHIC, size, True)
        layout = style.paragraph_format
        layout.space_before = Pt(before)
        layout.space_after = Pt(4)
        layout.keep_with_next = True
        style.font.italic = False
    title = styles["Title"].element.find(qn("w:pPr"))
    if title is not None:  # the template's Title has a rule below it
        for border in title.findall(qn("w:pBdr")):
            title.remove(border)
    styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    table = styles.add_style(TABLE_STYLE, 1)  # a paragraph style for text in tables
    table.base_style = normal
    _set_font(table, GOTHIC, 9)
    table.paragraph_format.space_before = Pt(1)
    table.paragraph_format.space_after = Pt(1)
    table.paragraph_format.line_spacing = 1.0
    table.paragraph_format.first_line_indent = Pt(0)
    _set_font(styles["Footer"], GOTHIC, 9)


def _properties(document: Any, content: Document) -> None:
    package = document.part.package
    for rel_id, rel in list(package.rels.items()):  # the template's thumbnail is not this document
        if rel.reltype == RT.THUMBNAIL:
            package.rels.pop(rel_id)
    core = document.core_properties
    now = datetime.now(UTC).replace(microsecond=0)
    core.title = content.title
    core.subject = content.subject
    core.author = core.last_modified_by = "xlkpi"
    core.comments = f"xlkpi {__version__} で作成"
    core.keywords = "KPI, 定住自立圏共生ビジョン"
    core.created = core.modified = now
    core.revision = 1
    core.identifier = body_digest(document.part.blob)
