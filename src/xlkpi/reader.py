"""Read one form sheet into a Measure, finding every field by its label.

Two KPI layouts are read:
- the template's table: a 成果指標 header row (指標名, 単位, 現状値, 目標値) with one
  row per KPI, and one row per KPI under the 実績値 year header;
- the FY2024 forms' inline layout: names in the 成果指標 cell, values beside the
  現状値 and 目標値 labels, actuals under (or inside) the 実績値 year headers.
Anything read from an irregular place is read, and reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from xlkpi import form
from xlkpi.form import Field
from xlkpi.model import Kpi, Measure
from xlkpi.problems import Problem, problem
from xlkpi.values import (
    UNITS,
    BadValue,
    LabelText,
    Quantity,
    YearMismatch,
    clean_text,
    fold_label,
    is_blank,
    nfkc,
    parse_quantities,
    parse_year,
    split_label,
)
from xlkpi.workbook import Pos, SheetGrid, cell_ref, parse_ref

_LABEL_MAX = 40  # longer strings are free text, never labels
TEXT_LIMIT = 32_000  # below Excel's 32,767 characters per cell, with room for joined parts


class Hit(NamedTuple):  # a tuple: made for every label of every sheet
    field: Field
    pos: Pos
    label: LabelText
    inline: str = ""  # a value typed into the label's own cell


@dataclass(slots=True)
class SheetResult:
    measure: Measure | None
    problems: list[Problem]
    is_form: bool
    note: str = ""
    blank: bool = False  # a form with nothing typed in: the template's own sheet, or a copy


@dataclass(slots=True)
class ActualGrid:
    """The rows under the 実績値 year header."""

    rows: dict[int, int]  # KPI index -> row, from 指標N labels (or blank heads, in order)
    named: dict[int, str]  # row -> its head's other text: a KPI's name, or a note
    columns: dict[int, tuple[int, str]]  # col -> (year, text after the year in the header)
    label_col: int


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


def read_sheet(grid: SheetGrid, file: str) -> SheetResult:
    return _FormReader(grid, file).read()


@dataclass
class _FormReader:
    grid: SheetGrid
    file: str
    problems: list[Problem] = field(default_factory=list)
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    row_hits: dict[int, list[Hit]] = field(default_factory=dict)
    filled_cells: dict[Pos, list[Pos]] = field(default_factory=dict)
    seen: set[Pos] = field(default_factory=set)  # cells read as a label, a head or a value
    label_col: int = -1  # the column of the form's 施策名 label, once found

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
        except BadValue as bad:
            self.report(bad.code, pos, found=bad.shown)
            return []
        if formula is not None and found:
            self.report("formula-cached", pos, formula=formula, value=raw)
        return found

    def region(self, hit: Hit) -> list[Pos]:
        """Cells right of a label up to the next label on the same row."""
        row, col = hit.pos
        stop = len(self.grid.rows[row]) if row < self.grid.height else 0
        for other in self.row_hits.get(row, ()):
            if col < other.pos[1] < stop:
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
        parts = [self.text(p) for p in self.filled(hit)]
        if hit.inline:
            parts.insert(0, clean_text(hit.inline))
        return self.clip("\n".join(p for p in parts if p), hit.pos)

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

    def read(self) -> SheetResult:
        self.index_labels()
        present = [f for f in form.ANCHORS if f.key in self.hits]
        if len(present) < 2:
            return SheetResult(None, [], is_form=False, note="様式ではないシート")
        missing = [f.label for f in form.ANCHORS if f not in present]
        if missing:
            self.report("form-incomplete", detail="、".join(missing))
            return SheetResult(None, self.problems, is_form=True)
        name_hit = self.hits[form.NAME.key][0]
        label_col = self.label_col = name_hit.pos[1]
        if sum(1 for h in self.hits[form.NAME.key] if h.pos[1] == label_col) > 1:
            self.report("multiple-forms", self.hits[form.NAME.key][1].pos)
        if not self.filled(name_hit) and not name_hit.inline and self.is_blank():
            return SheetResult(None, [], is_form=True, blank=True)
        measure = Measure(name="", file=self.file, sheet=self.grid.name)
        self.read_identity(measure, name_hit)
        if not measure.name:
            return SheetResult(None, self.problems, is_form=True)
        for fld in form.TEXT_FIELDS:
            hit = self.first(fld)
            if hit is not None:
                measure.texts[fld.key] = self.region_text(hit)
        evaluation = self.first(form.EVALUATION)
        if evaluation is not None:
            measure.evaluation_year = evaluation.label.year
        self.read_budgets(measure)
        self.read_kpis(measure, self.read_actual_grid(measure, label_col))
        self.check_unread()
        return SheetResult(measure, self.problems, is_form=True)

    def typed_cells(self, known: set[Pos]) -> Iterator[Pos]:
        """Cells holding a value, outside `known`, from the first label's row down.

        Rows above the first label are the form's titles.
        """
        rows = self.grid.rows
        for r in range(min(self.row_hits), self.grid.height):
            for c, value in enumerate(rows[r]):
                if value != "" and (r, c) not in known and not is_blank(value):
                    yield r, c

    def is_blank(self) -> bool:
        """Only the form's own text: its labels, year headers and 指標N heads."""
        printed = set(self.seen)  # the labels, so far
        for key in (form.FISCAL_YEARS.key, form.ACTUALS.key):
            for hit in self.hits.get(key, []):
                printed.update(self.filled(hit))
        typed = (self.grid.value(pos) for pos in self.typed_cells(printed))
        return not self.grid.errors and all(form.kpi_row_number(value) for value in typed)

    def check_unread(self) -> None:
        """Values in no field of the form (beside the KPI table, below the form) are told."""
        anchors = self.grid.anchors
        unread = [pos for pos in self.typed_cells(self.seen) if pos not in anchors]
        if unread:
            shown = "、".join(
                f"{cell_ref(pos)}「{_short(clean_text(self.grid.value(pos)))}」"
                for pos in unread[:3]
            )
            more = f" ほか {len(unread) - 3} 件" if len(unread) > 3 else ""
            self.report("cell-not-read", unread[0], cells=shown + more)

    # --- identity: name, number, viewpoint, policy field ---------------------------------

    def read_identity(self, measure: Measure, name_hit: Hit) -> None:
        name = self.region_text(name_hit)
        viewpoint_hit = self.first(form.VIEWPOINT)
        viewpoint = self.region_text(viewpoint_hit) if viewpoint_hit else ""
        title = self.title_above(name_hit)
        if title and (form.canonical_choice(name) in form.VIEWPOINTS or name == viewpoint):
            self.report("name-from-title", self.value_pos(name_hit), found=name, name=title)
            name = title
        if not name:
            self.report("name-missing", name_hit.pos)
            return
        measure.name = name.replace("\n", " ")
        measure.number = self.read_number()
        if viewpoint_hit is None or not viewpoint:
            self.report("viewpoint-missing", viewpoint_hit.pos if viewpoint_hit else None)
        else:
            known = form.canonical_choice(viewpoint)
            if known not in form.VIEWPOINTS:
                self.report("viewpoint-unknown", self.value_pos(viewpoint_hit), found=viewpoint)
            measure.viewpoint = known if known in form.VIEWPOINTS else viewpoint
        field_hit = self.first(form.POLICY_FIELD)
        policy = self.region_text(field_hit) if field_hit else ""
        if field_hit is None or not policy:
            self.report("policy-field-missing", field_hit.pos if field_hit else None)
            return
        known = form.canonical_choice(policy)
        measure.policy_field = known or policy
        owner = form.viewpoint_of(known) if known else None
        if owner is None:
            self.report("policy-field-unknown", self.value_pos(field_hit), found=policy)
        elif measure.viewpoint in form.VIEWPOINTS and owner != measure.viewpoint:
            self.report(
                "policy-field-other-viewpoint",
                self.value_pos(field_hit),
                found=measure.policy_field,
                viewpoint=measure.viewpoint,
                owner=owner,
            )

    def value_pos(self, hit: Hit) -> Pos:
        """The cell a label's value was read from: its first filled cell, else the label's."""
        cells = self.filled(hit)
        return cells[0] if cells else hit.pos

    def title_above(self, name_hit: Hit) -> str:
        row, col = name_hit.pos
        for r in range(row - 1, -1, -1):
            if r in self.row_hits:
                return ""
            texts = [
                clean_text(v) for v in self.grid.rows[r][col:] if isinstance(v, str) and v.strip()
            ]
            if texts:
                return "" if texts[0] == form.TITLE else texts[0]
        return ""

    def read_number(self) -> int | None:
        hit = self.first(form.NUMBER)
        if hit is not None:
            cells = self.filled(hit)
            if cells:
                raw = self.grid.value(cells[0])
                text = nfkc(str(raw)).strip().removesuffix(".0")
                if re.fullmatch(r"(?:No\.?)?\s*\d{1,5}", text):
                    return int(re.sub(r"\D", "", text))
                self.report("number-invalid", cells[0], found=raw)
                return None
        from_sheet = re.fullmatch(r"(?:No\.?|施策)?\s*(\d{1,5})", nfkc(self.grid.name).strip())
        if from_sheet:
            return int(from_sheet.group(1))
        self.report("number-missing", hit.pos if hit else None)
        return None

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
            if any(year[0] == taken for taken, _ in found.values()):  # a header pasted twice
                self.report("year-repeated", pos, found=clean_text(raw))
                continue
            found[pos[1]] = year
        return found

    def read_budgets(self, measure: Measure) -> None:
        years_hit, budget_hit = self.first(form.FISCAL_YEARS), self.first(form.BUDGET)
        if years_hit is None or budget_hit is None:
            return
        columns = self.year_columns(years_hit)
        for pos in self.filled(budget_hit):
            if pos[1] not in columns:
                self.report("value-outside-years", pos, found=clean_text(self.grid.value(pos)))
                continue
            found = self.quantities(pos)
            if not found:
                continue
            value, unit = found[0].value, found[0].unit
            if unit == "円":  # exactly 1,000 円 to the 千円
                value /= 1000
                self.report("budget-in-yen", pos, found=clean_text(self.grid.value(pos)),
                            value=f"{value:,f}".rstrip("0").rstrip("."))  # fmt: skip
            elif unit not in ("", "千円"):
                self.report("budget-unit", pos, found=clean_text(self.grid.value(pos)))
                continue
            measure.budgets[columns[pos[1]][0]] = value

    def read_actual_grid(self, measure: Measure, label_col: int) -> ActualGrid:
        """The rows under the 実績値 header, down to the next field's label."""
        hit = self.anchor(form.ACTUALS)
        columns = self.year_columns(hit)
        measure.years = tuple(sorted(year for year, _ in columns.values()))
        grid = ActualGrid({}, {}, columns, label_col)
        row = hit.pos[0] + 1
        while row < self.grid.height:
            if any(h.pos[1] <= label_col for h in self.row_hits.get(row, [])):
                break
            head = self.grid.value((row, label_col))
            numbered = form.kpi_row_number(head)
            self.seen.add((row, label_col))
            if numbered is None and not is_blank(head):
                grid.named[row] = clean_text(head)  # a KPI's name, or a note: told apart later
            else:
                grid.rows[self.slot(grid.rows, numbered, (row, label_col))] = row
            row += 1
        return grid

    def place_named_rows(self, grid: ActualGrid, kpis: Mapping[int, Kpi]) -> None:
        """Rows headed by a KPI's name instead of 指標N join that KPI; others must be empty."""
        for row, head in grid.named.items():
            pos = (row, grid.label_col)
            cells = [p for col in grid.columns if (p := self.cell_in(row, col))]
            index = next((i for i, k in kpis.items() if _same_name(head, k.name)), None)
            if index is None or index in grid.rows:
                if cells:
                    self.report("actual-row-unknown", pos, found=head)
                    self.seen.update(cells)  # told once, as this row
                continue
            grid.rows[index] = row
            if cells:
                detail = f"実績値の行の見出しが指標名のため、「{kpis[index].name}」の実績値として読み取りました"
                self.report("layout-irregular", pos, detail=detail)

    def slot(self, taken: Mapping[int, object], number: int | None, head: Pos) -> int:
        """A KPI row's index: its 指標N label, else the one after the row above.

        指標1 and 指標3 with 指標2 left blank keep their numbers, so each meets its own
        actuals row. A number already used (a copied row not renumbered) is told.
        """
        following = max(taken, default=-1) + 1
        if number is None:
            return following
        if number - 1 in taken or number - 1 < following:
            detail = (
                f"「指標{number}」の番号が上の行と重複しているか逆順のため、"
                f"指標{following + 1}として読み取りました"
            )
            self.report("layout-irregular", head, detail=detail)
            return following
        return number - 1

    def cell_in(self, row: int, col: int) -> Pos | None:
        """A filled cell of the actuals grid (merged continuations count as empty)."""
        pos = (row, col)
        if pos in self.grid.anchors or self.empty(pos):
            return None
        return pos

    # --- KPIs -------------------------------------------------------------------------

    def read_kpis(self, measure: Measure, grid: ActualGrid) -> None:
        kpi_hit = self.anchor(form.KPI)
        row_fields = {h.field.key for h in self.row_hits.get(kpi_hit.pos[0], [])}
        columns = grid.columns
        if form.KPI_NAME.key in row_fields or form.BASELINE.key in row_fields:
            slotted = self.read_kpi_table(measure, kpi_hit)
        else:
            slotted = dict(enumerate(self.read_kpi_inline(measure, kpi_hit, grid.rows, columns)))
        self.place_named_rows(grid, slotted)
        kpis = list(slotted.values())
        actuals = self.read_actuals(grid.rows, columns, len(kpis))
        for index, kpi in slotted.items():
            for year, (value, pos) in sorted(actuals.get(index, {}).items()):
                self.check_unit(kpi, value, pos)
                kpi.actuals[year] = value.value
                kpi.cells[f"actual:{year}"] = cell_ref(pos)
        for index in sorted(set(actuals) - set(slotted)):
            first_pos = min(pos for _, pos in actuals[index].values())
            self.report("kpi-name-missing", first_pos, n=index + 1)
        named: set[str] = set()
        for kpi in kpis:
            self.check_kpi(kpi)
            if fold_label(kpi.name) in named:
                self.report("kpi-name-repeated", _pos_of(kpi.cells.get("target")), kpi=kpi.name)
            named.add(fold_label(kpi.name))
        measure.kpis = kpis
        if not kpis and not any(p.code == "kpi-count-mismatch" for p in self.problems):
            self.report("kpi-missing", kpi_hit.pos)

    def read_kpi_table(self, measure: Measure, kpi_hit: Hit) -> dict[int, Kpi]:
        """KPI index (its 指標N row, as in the actuals grid) -> KPI; rows without a name skipped."""
        header = {h.field.key: h.pos[1] for h in self.row_hits[kpi_hit.pos[0]]}
        labels = {h.field.key: h.label for h in self.row_hits[kpi_hit.pos[0]]}
        measure.base_year = labels[form.BASELINE.key].year if form.BASELINE.key in labels else None
        measure.target_year = labels[form.TARGET.key].year if form.TARGET.key in labels else None
        value_cols = {k: header[k] for k in ("baseline", "target") if k in header}
        label_col = kpi_hit.pos[1]
        kpis: dict[int, Kpi] = {}
        rows: dict[int, int] = {}
        row = kpi_hit.pos[0] + 1
        while row < self.grid.height and not any(
            h.pos[1] <= label_col for h in self.row_hits.get(row, [])
        ):
            head = self.grid.value((row, label_col))
            number = form.kpi_row_number(head)
            self.seen.add((row, label_col))
            name_col = header.get(form.KPI_NAME.key)
            name = self.text((row, name_col)) if name_col is not None else ""
            values = {key: self.single((row, col)) for key, col in value_cols.items()}
            odd_head = clean_text(head) if number is None and not is_blank(head) else ""
            if odd_head and all(v is None for v in values.values()):
                if name:  # a note, or a field label we do not know: said, not read
                    detail = f"見出し「{odd_head}」の行は、現状値も目標値もないため指標として読み取っていません"
                    self.report("layout-irregular", (row, label_col), detail=detail)
                row += 1
                continue
            index = self.slot(rows, number, (row, label_col))
            rows[index] = row
            if odd_head:  # with a value: a KPI, its name typed over its 指標N head if B is empty
                detail = f"見出し「{odd_head}」の行を指標{index + 1}として読み取りました"
                if not name:
                    name = odd_head
                    detail = (
                        f"見出しの列の「{odd_head}」を指標{index + 1}の名前として読み取りました"
                    )
                self.report("layout-irregular", (row, label_col), detail=detail)
            if not name:
                if any(v is not None for v in values.values()):
                    self.report("kpi-name-missing", (row, label_col), n=index + 1)
                row += 1
                continue
            kpi = Kpi(name=name.replace("\n", " "))
            unit_col = header.get(form.UNIT.key)
            if unit_col is not None and (unit := self.text((row, unit_col))):
                self.set_unit(kpi, unit, (row, unit_col))
            direction_col = header.get(form.DIRECTION.key)
            if direction_col is not None and (word := self.text((row, direction_col))):
                self.set_direction(kpi, word, (row, direction_col))
            for key, col in value_cols.items():
                self.take(kpi, key, values[key], (row, col))
                kpi.cells.setdefault(key, cell_ref((row, col)))
            kpis[index] = kpi
            row += 1
        return kpis

    def read_kpi_inline(
        self,
        measure: Measure,
        kpi_hit: Hit,
        actual_rows: dict[int, int],
        columns: dict[int, tuple[int, str]],
    ) -> list[Kpi]:
        base_hit, target_hit = self.first(form.BASELINE), self.first(form.TARGET)
        measure.base_year = base_hit.label.year if base_hit else None
        measure.target_year = target_hit.label.year if target_hit else None
        baselines = self.value_list(base_hit, extra_ok=False)
        targets = self.value_list(target_hit, extra_ok=True)
        filled = [
            (index, pos)
            for index, row in actual_rows.items()
            for col in columns
            if (pos := self.cell_in(row, col)) is not None
        ]
        counts = [len(baselines), len(targets), 1]
        counts += [index + 1 for index, _ in filled]
        counts += [_value_count(self.grid.value(pos)) for _, pos in filled]
        counts += [_value_count(rest) for _, rest in columns.values() if rest]
        names = self.split_names(self.region_text(kpi_hit), max(counts), kpi_hit)
        kpis = [Kpi(name=name) for name in names]
        for key, found in (("baseline", baselines), ("target", targets)):
            for index, (quantity, pos) in enumerate(found[: len(kpis)]):
                self.take(kpis[index], key, quantity, pos)
        if target_hit is not None:
            cells = self.region(target_hit)
            for kpi in kpis:
                kpi.cells.setdefault("target", cell_ref(cells[0] if cells else target_hit.pos))
        return kpis

    def value_list(self, hit: Hit | None, *, extra_ok: bool) -> list[tuple[Quantity, Pos]]:
        """Values right of an inline label; a second filled cell is an unlabelled extra."""
        if hit is None:
            return []
        found: list[tuple[Quantity, Pos]] = []
        for order, pos in enumerate(self.filled(hit)):
            if order == 1:
                self.report(
                    "layout-irregular",
                    pos,
                    detail=f"{hit.field.label}の右の見出しのないセルの値を次の指標の"
                    f"{hit.field.label}としました",
                )
            found.extend((q, pos) for q in self.quantities(pos))
            if not extra_ok:
                break
        return found

    def split_names(self, text: str, wanted: int, hit: Hit) -> list[str]:
        if not text:
            return []
        if wanted == 1:
            return [text.replace("\n", " ")]
        lines = [line for line in text.split("\n") if line.strip()]
        if len(lines) == wanted:
            return lines
        parts: list[str] = []
        for token in text.split():
            if parts and token[:1] in "(（":
                parts[-1] += " " + token
            else:
                parts.append(token)
        where = self.value_pos(hit)
        if len(parts) == wanted:
            self.report(
                "layout-irregular",
                where,
                detail=f"{wanted} つの成果指標が 1 つのセルに記入されていたため、空白で区切りました",
            )
            return parts
        self.report("kpi-count-mismatch", where, names=len(parts), what="値", values=wanted)
        return []

    def read_actuals(
        self,
        actual_rows: dict[int, int],
        columns: dict[int, tuple[int, str]],
        kpi_count: int,
    ) -> dict[int, dict[int, tuple[Quantity, Pos]]]:
        """KPI index -> year -> (value, cell)."""
        found: dict[int, dict[int, tuple[Quantity, Pos]]] = {}
        header_row = self.anchor(form.ACTUALS).pos[0]
        for col, (year, rest) in sorted(columns.items()):
            filled = {i: pos for i, row in actual_rows.items() if (pos := self.cell_in(row, col))}
            if rest:
                head = (header_row, col)
                if filled:
                    self.report(
                        "layout-irregular",
                        head,
                        detail="年度の見出しのセルにも値があるため、下の行の値を使いました",
                    )
                else:
                    self.report(
                        "layout-irregular",
                        head,
                        detail="実績値が年度の見出しと同じセルに記入されていました",
                    )
                    try:
                        inline = parse_quantities(rest)
                    except BadValue as bad:
                        self.report(bad.code, head, found=bad.shown)
                        continue
                    for index, quantity in enumerate(inline):
                        found.setdefault(index, {})[year] = (quantity, head)
                    continue
            for index, pos in filled.items():
                values = self.quantities(pos)
                if len(values) > 1 and len(filled) == 1 and len(values) == kpi_count:
                    self.report(
                        "layout-irregular",
                        pos,
                        detail=f"{len(values)} つの指標の実績値が 1 つのセルに記入されていました",
                    )
                    for offset, quantity in enumerate(values):
                        found.setdefault(index + offset, {})[year] = (quantity, pos)
                elif len(values) > 1:
                    self.report(
                        "kpi-count-mismatch", pos, names=1, what="実績値", values=len(values)
                    )
                elif values:
                    found.setdefault(index, {})[year] = (values[0], pos)
        label_col = self.anchor(form.ACTUALS).pos[1]
        for row in actual_rows.values():
            for col in range(label_col + 1, len(self.grid.rows[row])):
                pos = self.cell_in(row, col)
                if pos is not None and col not in columns:
                    self.seen.add(pos)
                    self.report("value-outside-years", pos, found=clean_text(self.grid.value(pos)))
        return found

    # --- one KPI's values ---------------------------------------------------------------

    def single(self, pos: Pos) -> Quantity | None:
        found = self.quantities(pos)
        if len(found) > 1:
            self.report("kpi-count-mismatch", pos, names=1, what="値", values=len(found))
            return None
        return found[0] if found else None

    def take(self, kpi: Kpi, key: str, quantity: Quantity | None, pos: Pos) -> None:
        if quantity is None:
            return
        self.check_unit(kpi, quantity, pos)
        setattr(kpi, key, quantity.value)
        kpi.cells[key] = cell_ref(pos)

    def set_unit(self, kpi: Kpi, unit: str, pos: Pos) -> None:
        unit = re.sub(r"\s+", "", nfkc(unit))
        if unit not in UNITS:
            self.report("value-unknown-unit", pos, found=unit)
            return
        kpi.unit = unit

    def set_direction(self, kpi: Kpi, word: str, pos: Pos) -> None:
        direction = form.direction_of(word)
        if direction is None:
            self.report("direction-unknown", pos, found=word)
            return
        kpi.direction = direction

    def check_unit(self, kpi: Kpi, quantity: Quantity, pos: Pos) -> None:
        if not quantity.unit:
            return
        if not kpi.unit:
            kpi.unit = quantity.unit
        elif _base_unit(kpi.unit) != _base_unit(quantity.unit):
            self.report("unit-mismatch", pos, kpi=kpi.name, detail=f"{kpi.unit} と {quantity.unit}")

    def check_kpi(self, kpi: Kpi) -> None:
        where = _pos_of(kpi.cells.get("target"))
        if kpi.target is None:
            self.report("target-missing", where, kpi=kpi.name)
        if kpi.baseline is None:
            self.report(
                "baseline-missing", _pos_of(kpi.cells.get("baseline")) or where, kpi=kpi.name
            )
        if kpi.unit == "%":
            reference = max((v for v in (kpi.target, kpi.baseline) if v is not None), default=None)
            for year, value in kpi.actuals.items():
                if reference is not None and reference > 1 and Decimal(0) < value <= 1:
                    self.report(
                        "percent-as-fraction",
                        _pos_of(kpi.cells[f"actual:{year}"]),
                        kpi=kpi.name,
                        value=value,
                    )


def _value_count(raw: object) -> int:
    try:
        return max(1, len(parse_quantities(raw)))
    except BadValue:
        return 1


def _base_unit(unit: str) -> str:
    return unit.split("/")[0]


def _pos_of(ref: str | None) -> Pos | None:
    return parse_ref(ref) if ref else None


def _short(text: str) -> str:
    return text if len(text) <= 20 else text[:20] + "…"


def _same_name(head: str, name: str) -> bool:
    """A row head naming a KPI, perhaps with its unit in brackets: 「参加人数（人）」."""
    return fold_label(head) == fold_label(name) or split_label(head).core == fold_label(name)
