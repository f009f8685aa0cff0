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
    is_blank,
    noted_value,
    parse_quantities,
    parse_year,
    split_label,
)
from xlkpi.workbook import Pos, SheetGrid, cell_ref

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
        return self.clip(clean_text(self.grid.value(pos)), pos)

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
            self.report("cell-error", pos, found=self.grid.errors[pos])
            return []
        formula = self.grid.formulas.get(pos)
        if formula is not None:
            if pos in self.grid.uncached:
                self.report("formula-no-value", pos, formula=formula)
                return []
            if not self.grid.formulas_trusted:
                self.report("formula-untrusted", pos, formula=formula, value=raw)
                return []
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
            self.report(bad.code, pos, found=bad.shown)
            return []
        if found.note:
            self.report("value-note", pos, found=" ".join(str(raw).split()), note=found.note,
                        value=f"{found.value:,}{found.unit}")  # fmt: skip
        return [found]

    def region(self, hit: Hit) -> list[Pos]:
        """Cells right of a label up to the next label on the same row.

        The label again with a year (「R6実績」 right of 実績値) is a year header, not a stop.
        """
        row, col = hit.pos
        stop = len(self.grid.rows[row]) if row < self.grid.height else 0
        for other in self.row_hits.get(row, ()):
            if col < other.pos[1] < stop and not (
                other.field is hit.field and other.label.year is not None
            ):
                stop = other.pos[1]
        anchors = self.grid.anchors
        return [(row, c) for c in range(col + 1, stop) if (row, c) not in anchors]

    def filled(self, hit: Hit) -> list[Pos]:
        """The filled cells of a label's region, worked out once per label."""
        found = self.filled_cells.get(hit.pos)
        if found is not None:
            return found
        cells = self.region(hit)
        if self.grid.errors or self.grid.formulas:
            found = [p for p in cells if not self.empty(p)]
        else:  # the common case: region cells are plain cells of the label's row
            values = self.grid.rows[hit.pos[0]]
            found = [p for p in cells if not is_blank(values[p[1]])]
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
        if edge is not None and cells and cells[-1][1] > edge:
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

    def year_columns(self, hit: Hit) -> dict[int, tuple[int, str]]:
        """col -> (year, text after the year) for a year header row."""
        found: dict[int, tuple[int, str]] = {}
        for pos in self.filled(hit):
            raw = self.grid.value(pos)
            try:
                year = parse_year(raw)
            except YearMismatch:
                self.report("year-mismatch", pos, found=clean_text(raw))
                continue
            if year is None:
                self.report("year-header-invalid", pos, found=clean_text(raw))
                continue
            if year[1] and _is_label_of(hit.field, year[1]):  # 「R6実績」: the label, not a value
                year = (year[0], "")
            if any(year[0] == taken for taken, _ in found.values()):  # a header pasted twice
                self.report("year-repeated", pos, found=clean_text(raw))
                continue
            found[pos[1]] = year
        return found
