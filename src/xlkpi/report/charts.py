"""DrawingML charts for the document: a chart part with its data, restylable in Word.

python-docx has no chart API, so the c:chartSpace XML is written here, with the
numbers cached in it (what Word and LibreOffice draw) and the same numbers in an
embedded workbook (what Word's 「データの編集」 opens). Every text is escaped; the
fonts are named for East Asian text too (a:ea), or Word draws Japanese in its default.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls
from xlsxwriter.utility import xl_rowcol_to_cell

from xlkpi.report.xmltext import xml_attr, xml_text

PIE, COLUMN = "pie", "column"
DATA_SHEET = "Sheet1"
_NS = (
    'xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)


@dataclass(frozen=True)
class Chart:
    """A chart of counts: categories (the grades) by series (the years)."""

    kind: str  # PIE (one series) or COLUMN
    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]  # (name, one value per category)
    colors: tuple[str, ...]  # per category for a pie, per series for columns ("RRGGBB")
    font: str
    unit: str = "項目"  # after each data label's number


def chart_xml(chart: Chart) -> bytes:
    """The c:chartSpace part; its formulas point into the embedded workbook's Sheet1."""
    plot = _pie(chart) if chart.kind == PIE else _columns(chart)
    legend = (
        '<c:legend><c:legendPos val="b"/><c:overlay val="0"/>'
        f"{_text_props(chart.font, 900)}</c:legend>"
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f"<c:chartSpace {_NS}>"
        '<c:date1904 val="0"/><c:lang val="ja-JP"/><c:roundedCorners val="0"/>'
        "<c:chart>"
        f"{_title(chart.title, chart.font)}"
        '<c:autoTitleDeleted val="0"/>'
        f"<c:plotArea><c:layout/>{plot}</c:plotArea>"
        f"{legend}"
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/>'
        "</c:chart>"
        '<c:spPr><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>'
        "<a:ln><a:noFill/></a:ln></c:spPr>"
        f"{_text_props(chart.font, 900)}"
        '<c:externalData r:id="rId1"><c:autoUpdate val="0"/></c:externalData>'
        "</c:chartSpace>"
    )
    return xml.encode("utf-8")


def chart_workbook(chart: Chart) -> bytes:
    """The chart's numbers as a workbook: categories down column A, a series per column."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})  # fmt: skip
    sheet = book.add_worksheet(DATA_SHEET)
    for col, (name, values) in enumerate(chart.series, start=1):
        sheet.write_string(0, col, name)
        for row, value in enumerate(values, start=1):
            sheet.write_number(row, col, value)
    for row, category in enumerate(chart.categories, start=1):
        sheet.write_string(row, 0, category)
    book.close()
    return buffer.getvalue()


def _ref(first: tuple[int, int], last: tuple[int, int] | None = None) -> str:
    start = xl_rowcol_to_cell(*first, row_abs=True, col_abs=True)
    if last is None:
        return f"{DATA_SHEET}!{start}"
    return f"{DATA_SHEET}!{start}:{xl_rowcol_to_cell(*last, row_abs=True, col_abs=True)}"


def _series(chart: Chart, index: int, styling: str) -> str:
    name, values = chart.series[index]
    col = index + 1
    count = len(chart.categories)
    names = "".join(
        f'<c:pt idx="{i}"><c:v>{xml_text(c)}</c:v></c:pt>' for i, c in enumerate(chart.categories)
    )
    numbers = "".join(f'<c:pt idx="{i}"><c:v>{v}</c:v></c:pt>' for i, v in enumerate(values))
    return (
        f'<c:ser><c:idx val="{index}"/><c:order val="{index}"/>'
        f'<c:tx><c:strRef><c:f>{_ref((0, col))}</c:f><c:strCache><c:ptCount val="1"/>'
        f'<c:pt idx="0"><c:v>{xml_text(name)}</c:v></c:pt></c:strCache></c:strRef></c:tx>'
        f"{styling}"
        f"<c:cat><c:strRef><c:f>{_ref((1, 0), (count, 0))}</c:f><c:strCache>"
        f'<c:ptCount val="{count}"/>{names}</c:strCache></c:strRef></c:cat>'
        f"<c:val><c:numRef><c:f>{_ref((1, col), (count, col))}</c:f><c:numCache>"
        f'<c:formatCode>General</c:formatCode><c:ptCount val="{count}"/>{numbers}'
        "</c:numCache></c:numRef></c:val></c:ser>"
    )


def _labels(chart: Chart, values: tuple[int, ...], *, category: bool) -> str:
    """Data labels: 「13項目」 (a pie: 「A 13項目」); none on a zero, which has no slice or bar."""
    hidden = "".join(
        f'<c:dLbl><c:idx val="{i}"/><c:delete val="1"/></c:dLbl>'
        for i, v in enumerate(values)
        if v == 0
    )
    code = xml_attr(f'0"{chart.unit}"')
    position = '<c:dLblPos val="bestFit"/>' if category else '<c:dLblPos val="outEnd"/>'
    return (
        f'<c:dLbls>{hidden}<c:numFmt formatCode={code} sourceLinked="0"/>'
        "<c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>"
        f"{_text_props(chart.font, 900)}{position}"
        '<c:showLegendKey val="0"/><c:showVal val="1"/>'
        f'<c:showCatName val="{int(category)}"/><c:showSerName val="0"/>'
        '<c:showPercent val="0"/><c:showBubbleSize val="0"/>'
        + ('<c:separator> </c:separator><c:showLeaderLines val="1"/>' if category else "")
        + "</c:dLbls>"
    )


def _fill(color: str) -> str:
    return (
        f'<c:spPr><a:solidFill><a:srgbClr val="{color}"/></a:solidFill>'
        '<a:ln w="9525"><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill></a:ln></c:spPr>'
    )


def _pie(chart: Chart) -> str:
    _, values = chart.series[0]
    points = "".join(
        f'<c:dPt><c:idx val="{i}"/><c:bubble3D val="0"/>{_fill(color)}</c:dPt>'
        for i, color in enumerate(chart.colors)
    )
    styling = points + _labels(chart, values, category=True)
    return (
        f'<c:pieChart><c:varyColors val="1"/>{_series(chart, 0, styling)}'
        '<c:firstSliceAng val="0"/></c:pieChart>'
    )


def _columns(chart: Chart) -> str:
    series = "".join(
        _series(
            chart,
            i,
            _fill(chart.colors[i % len(chart.colors)])
            + '<c:invertIfNegative val="0"/>'
            + _labels(chart, values, category=False),
        )
        for i, (_, values) in enumerate(chart.series)
    )
    axis_line = '<c:spPr><a:ln w="9525"><a:solidFill><a:srgbClr val="808080"/></a:solidFill></a:ln></c:spPr>'
    return (
        '<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/>'
        f'<c:varyColors val="0"/>{series}<c:gapWidth val="80"/>'
        '<c:axId val="1001"/><c:axId val="1002"/></c:barChart>'
        '<c:catAx><c:axId val="1001"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        '<c:delete val="0"/><c:axPos val="b"/><c:numFmt formatCode="General" sourceLinked="0"/>'
        '<c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f"{axis_line}{_text_props(chart.font, 900)}"
        '<c:crossAx val="1002"/><c:crosses val="autoZero"/><c:auto val="1"/>'
        '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        '<c:valAx><c:axId val="1002"/><c:scaling><c:orientation val="minMax"/>'
        '<c:min val="0"/></c:scaling><c:delete val="0"/><c:axPos val="l"/>'
        '<c:majorGridlines><c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="D9D9D9"/>'
        "</a:solidFill></a:ln></c:spPr></c:majorGridlines>"
        '<c:numFmt formatCode="0" sourceLinked="0"/><c:majorTickMark val="none"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f"{axis_line}{_text_props(chart.font, 900)}"
        '<c:crossAx val="1001"/><c:crosses val="autoZero"/><c:crossBetween val="between"/>'
        f'<c:majorUnit val="{_step(chart)}"/></c:valAx>'
    )


def _step(chart: Chart) -> int:
    """Whole-number gridlines, about five of them: KPIs are counted."""
    top = max((v for _, values in chart.series for v in values), default=0)
    return max(1, -(-top // 5))


def _run_props(font: str, size: int, bold: bool = False) -> str:
    face = xml_attr(font)
    return (
        f'sz="{size}" b="{int(bold)}"><a:solidFill><a:srgbClr val="262626"/></a:solidFill>'
        f"<a:latin typeface={face}/><a:ea typeface={face}/><a:cs typeface={face}/>"
    )


def _text_props(font: str, size: int) -> str:
    return (
        "<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr>"
        f"<a:defRPr {_run_props(font, size)}</a:defRPr></a:pPr>"
        '<a:endParaRPr lang="ja-JP"/></a:p></c:txPr>'
    )


def _title(text: str, font: str) -> str:
    return (
        "<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr>"
        f"<a:defRPr {_run_props(font, 1100, True)}</a:defRPr></a:pPr>"
        f'<a:r><a:rPr lang="ja-JP" {_run_props(font, 1100, True)}</a:rPr>'
        f"<a:t>{xml_text(text)}</a:t></a:r></a:p></c:rich></c:tx>"
        '<c:overlay val="0"/></c:title>'
    )


CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EMU_PER_CM = 360_000


def insert_chart(run: Any, chart: Chart, width_cm: float, height_cm: float) -> None:
    """The chart as an inline drawing in `run`, its part and workbook added to the package."""
    document = run.part
    package = document.package
    number = sum(1 for part in package.iter_parts() if part.content_type == CHART_TYPE) + 1
    chart_part = Part(PackURI(f"/word/charts/chart{number}.xml"), CHART_TYPE, chart_xml(chart),
                      package)  # fmt: skip
    data = Part(PackURI(f"/word/embeddings/Microsoft_Excel_Worksheet{number}.xlsx"), XLSX_TYPE,
                chart_workbook(chart), package)  # fmt: skip
    if chart_part.relate_to(data, RT.PACKAGE) != "rId1":  # chart_xml's c:externalData
        raise AssertionError("the chart's data is not its first relationship")
    rid = document.relate_to(chart_part, RT.CHART)
    cx, cy = round(width_cm * EMU_PER_CM), round(height_cm * EMU_PER_CM)
    shape_id = document.next_id
    inline = parse_xml(
        f'<wp:inline distT="0" distB="0" distL="0" distR="0" {nsdecls("wp", "a", "r")}>'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{shape_id}" name={xml_attr(f"グラフ {number}")} '
        f"descr={xml_attr(chart.title)}/>"
        "<wp:cNvGraphicFramePr/>"
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        '<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        f'r:id="{rid}"/></a:graphicData></a:graphic></wp:inline>'
    )
    drawing = OxmlElement("w:drawing")
    drawing.append(inline)
    run._r.append(drawing)
