"""A form sheet's labels, found once, and the cells they name.

Every field of the form is found by its label (form.py); values are read from the cells
right of a label, and every cell read is recorded, so that what is left can be told.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from xlkpi import form
from xlkpi.form import Field
from xlkpi.problems import Problem, problem
from xlkpi.values import (
    BadValue,
    LabelText,
    Quantity,
    YearMismatch,
    clean_text,
    era_less_year,
    era_name,
    is_blank,
    non_finite,
    noted_value,
    parse_quantities,
    parse_year,
    reiwa_label,
    shown_number,
    shown_year,
    split_label,
)
from xlkpi.workbook import Pos, SheetGrid, cell_ref

_HEADER_FIELDS = (form.ACTUALS, form.FISCAL_YEARS, form.BUDGET)
_LABEL_MAX = 40  # longer strings are free text, never labels
TEXT_LIMIT = 32_000  # below Excel's 32,767 characters per cell, with room for joined parts


class Hit(NamedTuple):  # a tuple: made for every label of every sheet
    field: Field
    pos: Pos
    label: LabelText
    inline: str = ""  # a value typed into the label's own cell


_LABELS: dict[str, tuple[Field, LabelText, str] | None] = {}


def _label_of(text: str) -> tuple[Field, LabelText, str] | None:
    """The field a cell's text labels, remembered: labels repeat on every form."""
    found = _LABELS.get(text, _LABELS)
    if found is not _LABELS:
        return found  # type: ignore[return-value]
    label = form.match_label(text)
    if label:
        found = (label[0], label[1], "")
    else:
        inline = form.inline_label(text)
        found = (inline[0], split_label(inline[0].label), inline[1]) if inline else None
    if len(_LABELS) < 50_000:
        _LABELS[text] = found
    return found


def _is_label_of(fld: Field, text: str) -> bool:
    label = form.match_label(text.strip("()（） "))
    return label is not None and label[0] is fld


@dataclass
class LabelledSheet:
    """A form sheet being read: its labels, the cells read so far, the problems found."""

    grid: SheetGrid
    file: str
    problems: list[Problem] = field(default_factory=list)
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    row_hits: dict[int, list[Hit]] = field(default_factory=dict)
    filled_cells: dict[Pos, list[Pos]] = field(default_factory=dict)
    seen: set[Pos] = field(default_factory=set)  # cells read as a label, a head or a value
    label_col: int = -1  # the column of the form's 施策名 label, once found
    right_edge: int | None = None  # the form's last year column, once found (last_year_column)
    _spans: dict[Pos, Pos] | None = None  # merged cell -> its last (row, column)
    remarks_columns: set[int] = field(default_factory=set)  # 備考 beside the year headers
    refused: set[Pos] = field(default_factory=set)  # value cells whose value was refused, told

    # --- problems and cells ---------------------------------------------------------

    def report(self, code: str, pos: Pos | None = None, **params: object) -> None:
        cell = cell_ref(pos) if pos is not None else ""
        self.problems.append(
            problem(code, file=self.file, sheet=self.grid.name, cell=cell, **params)
        )

    def text(self, pos: Pos) -> str:
        pos = self.grid.anchors.get(pos, pos)
        self.seen.add(pos)
        if pos in self.grid.errors:
            self.report("cell-error", pos, found=self.grid.errors[pos])
            return ""
        if pos in self.grid.uncached:
            self.report("formula-no-value", pos, formula=self.grid.formulas[pos])
            return ""
        raw = self.grid.value(pos)
        if (odd := non_finite(raw)) is not None:  # not the text "nan"
            self.report("cell-error", pos, found=odd)
            return ""
        return self.clip(clean_text(raw), pos)

    def clip(self, text: str, pos: Pos) -> str:
        if len(text) > TEXT_LIMIT:
            self.report("text-too-long", pos, limit=TEXT_LIMIT)
            return text[:TEXT_LIMIT]
        return text

    def quantities(self, pos: Pos) -> list[Quantity]:
        pos = self.grid.anchors.get(pos, pos)
        self.seen.add(pos)
        raw = self.grid.value(pos)
        if pos in self.grid.errors:
            self.refused.add(pos)
            self.report("cell-error", pos, found=self.grid.errors[pos])
            return []
        formula = self.grid.formulas.get(pos)
        if formula is not None:
            if pos in self.grid.uncached:
                self.refused.add(pos)
                self.report("formula-no-value", pos, formula=formula)
                return []
            if not self.grid.formulas_trusted:
                self.refused.add(pos)
                self.report("formula-untrusted", pos, formula=formula, value=raw)
                return []
        shown = self.grid.literals.get(pos)
        if shown is not None and isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = shown_number(raw, *shown)  # 0.014 shown 「0.014百万円」 is 14,000 円
        try:
            found = parse_quantities(raw, percent_format=pos in self.grid.percent)
        except BadValue as refused:
            found = self.noted(raw, pos, refused)
        if formula is not None and found:
            self.report("formula-cached", pos, formula=formula, value=raw)
        return found

    def parse(self, raw: object, pos: Pos) -> list[Quantity]:
        """The quantities in `raw`, found at `pos`; what cannot be read is reported there."""
        try:
            return parse_quantities(raw)
        except BadValue as refused:
            return self.noted(raw, pos, refused)

    def noted(self, raw: object, pos: Pos, refused: BadValue) -> list[Quantity]:
        """A value with a note, named in a warning; else the refusal, reported."""
        try:
            found = noted_value(refused)
        except BadValue as bad:
            self.refused.add(pos)
            self.report(bad.code, pos, found=bad.shown)
            return []
        if found.note:
            self.report("value-note", pos, found=" ".join(str(raw).split()), note=found.note,
                        value=f"{found.value:,}{found.unit}")  # fmt: skip
        return [found]

    def region(self, hit: Hit) -> list[Pos]:
        """The cells a label names: right of it up to the next label, on every row the label
        is merged over; else, when a label stands right of it (a row of labels), the cell
        below it.

        The label again with a year (「R6実績」 right of 実績値) is a year header, not a stop.
        A year-header label (実績値, 実施年度) names its own row only: the rows it is merged
        over are the rows under the header.
        """
        row, col = hit.pos
        last_row, last_col = self.span(hit.pos)
        if hit.field in _HEADER_FIELDS:
            last_row = row
        anchors = self.grid.anchors
        cells: list[Pos] = []
        for r in range(row, min(last_row, self.grid.height - 1) + 1):
            stop = len(self.grid.rows[r])
            for c in range(last_col + 1, stop):
                other = self.label_at((r, c))
                if other is not None and not (
                    other.field is hit.field and other.label.year is not None
                ):
                    stop = c
                    break
            cells.extend((r, c) for c in range(last_col + 1, stop) if (r, c) not in anchors)
        if hit.field not in _HEADER_FIELDS and not any(not self.empty(p) for p in cells):
            beside = self.label_at((row, last_col + 1))
            below = (last_row + 1, col)
            if (beside is not None or last_col + 1 >= len(self.grid.rows[row])) and (
                below[0] < self.grid.height
                and self.label_at(below) is None
                and not self.empty(below)
                and (
                    hit.field is not form.KPI or form.kpi_row_number(self.grid.value(below)) is None
                )
            ):
                return [below]
        return cells

    def span(self, pos: Pos) -> Pos:
        """The last (row, column) a merged cell covers; `pos` itself when not merged."""
        if self._spans is None:
            spans: dict[Pos, Pos] = {}
            for (r, c), (ar, ac) in self.grid.anchors.items():
                er, ec = spans.get((ar, ac), (ar, ac))
                spans[(ar, ac)] = (max(er, r), max(ec, c))
            self._spans = spans
        return self._spans.get(pos, pos)

    def label_at(self, pos: Pos) -> Hit | None:
        """The label in a cell, or in the merged cell it belongs to."""
        anchor = self.grid.anchors.get(pos, pos)
        return next((h for h in self.row_hits.get(anchor[0], ()) if h.pos == anchor), None)

    def filled(self, hit: Hit) -> list[Pos]:
        """The filled cells of a label's region, worked out once per label."""
        found = self.filled_cells.get(hit.pos)
        if found is not None:
            return found
        found = [p for p in self.region(hit) if not self.empty(p)]
        self.filled_cells[hit.pos] = found
        self.seen.update(found)
        return found

    def empty(self, pos: Pos) -> bool:
        """No value; an error cell or a formula without a result is not empty."""
        if pos in self.grid.errors or pos in self.grid.formulas:
            return False
        return is_blank(self.grid.value(pos))

    def region_text(self, hit: Hit) -> str:
        """A text field's cells joined; those right of the form's last year column are not
        the field's (they stay unread, and are told)."""
        edge = self.right_edge
        cells = self.filled(hit)
        if edge is not None and any(p[1] > edge for p in cells):
            self.seen.difference_update(p for p in cells if p[1] > edge)
            cells = [p for p in cells if p[1] <= edge]
        parts = [self.text(p) for p in cells]
        if hit.inline:
            parts.insert(0, clean_text(hit.inline))
        return self.clip("\n".join(p for p in parts if p), hit.pos)

    def last_year_column(self) -> int | None:
        """The form's last column: that of its last year header (None without one)."""
        cols = [
            pos[1]
            for fld in (form.FISCAL_YEARS, form.ACTUALS)
            if (hit := self.first(fld)) is not None
            for pos in self.filled(hit)
        ]
        return max(cols, default=None)

    def first(self, fld: Field) -> Hit | None:
        """A field's label: the one in the form's label column, else the first found.

        Text such as 「実績値」 typed as a column head beside the KPI table must not take
        the place of the form's own label below it.
        """
        found = self.hits.get(fld.key)
        if not found:
            return None
        return next((hit for hit in found if hit.pos[1] == self.label_col), found[0])

    def anchor(self, fld: Field) -> Hit:
        """A label every form has (form.ANCHORS): read() stops before any is looked up."""
        hit = self.first(fld)
        assert hit is not None
        return hit

    # --- the sheet ------------------------------------------------------------------

    def index_labels(self) -> None:
        known = _LABELS
        for r, row in enumerate(self.grid.rows):
            for c, raw in enumerate(row):
                if type(raw) is not str or not raw:
                    continue
                if raw in known:
                    found = known[raw]
                elif len(raw) > _LABEL_MAX:
                    continue
                else:
                    found = _label_of(raw)
                if found is None:
                    continue
                hit = Hit(found[0], (r, c), found[1], found[2])
                self.seen.add(hit.pos)
                self.hits.setdefault(hit.field.key, []).append(hit)
                self.row_hits.setdefault(r, []).append(hit)

    def typed_cells(self, known: set[Pos]) -> Iterator[Pos]:
        """Cells holding a value, outside `known`, from the first label's row down.

        Rows above the first label are the form's titles.
        """
        rows = self.grid.rows
        for r in range(min(self.row_hits), self.grid.height):
            for c, value in enumerate(rows[r]):
                if value != "" and (r, c) not in known and not is_blank(value):
                    yield r, c

    def value_pos(self, hit: Hit) -> Pos:
        """The cell a label's value was read from: its first filled cell, else the label's."""
        cells = self.filled(hit)
        return cells[0] if cells else hit.pos

    # --- years: budgets and actuals ------------------------------------------------------

    def header_year(self, pos: Pos, raw: object) -> tuple[int, str] | None:
        """A year header's year: as written (2024 (R6), FY2024, 令和6年度), a date shown as
        its year by its format, or 6年度 with the era the plan period makes certain (both
        told). Raises YearMismatch."""
        if pos in self.grid.years and (year := shown_year(raw)) is not None:
            self.report("year-from-date", pos, year=year, shown=f"{year} ({era_name(year)})")
            return year, ""
        found = parse_year(raw)
        if found is None:
            period = form.DEFAULT_PERIOD
            found = era_less_year(raw, period.first_year, period.last_year)
            if found is not None:
                self.report("year-era-assumed", pos, found=clean_text(raw),
                            shown=reiwa_label(found[0]), year=found[0])  # fmt: skip
        return found

    def year_columns(self, hit: Hit) -> dict[int, tuple[int, str]]:
        """col -> (year, text after the year) for a year header row."""
        found: dict[int, tuple[int, str]] = {}
        for pos in self.filled(hit):
            raw = self.grid.value(pos)
            try:
                year = self.header_year(pos, raw)
            except YearMismatch:
                self.report("year-mismatch", pos, found=clean_text(raw))
                continue
            if year is None:
                if form.is_remarks(raw):  # a 備考 column beside the years: not read
                    self.remarks_columns.add(pos[1])
                    self.report("remarks-not-read", pos, found=clean_text(raw), what="列")
                    continue
                self.report("year-header-invalid", pos, found=non_finite(raw) or clean_text(raw))
                continue
            if year[1] and _is_label_of(hit.field, year[1]):  # 「R6実績」: the label, not a value
                year = (year[0], "")
            if any(year[0] == taken for taken, _ in found.values()):  # a header pasted twice
                self.report("year-repeated", pos, found=clean_text(raw))
                continue
            found[pos[1]] = year
        return found
