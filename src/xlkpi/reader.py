"""Read one form sheet into a Measure: identity, texts, budgets, then its KPIs (kpis.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from xlkpi import form
from xlkpi.kpis import KpiReader
from xlkpi.labels import Hit, LabelledSheet
from xlkpi.model import Measure
from xlkpi.problems import Problem
from xlkpi.values import clean_text, is_blank, nfkc
from xlkpi.workbook import Pos, SheetGrid, cell_ref


@dataclass(slots=True)
class SheetResult:
    measure: Measure | None
    problems: list[Problem]
    is_form: bool
    note: str = ""
    blank: bool = False  # a form with nothing typed in: the template's own sheet, or a copy


def read_sheet(grid: SheetGrid, file: str) -> SheetResult:
    return _FormReader(grid, file).read()


class _FormReader(LabelledSheet):
    number_from_sheet = False

    def read(self) -> SheetResult:
        self.index_labels()
        present = [f for f in form.ANCHORS if f.key in self.hits]
        if len(present) < 2 and not self.looks_like_form():
            return SheetResult(None, [], is_form=False, note="様式ではないシート")
        missing = [f.label for f in form.ANCHORS if f not in present]
        if missing:
            top = min(hit.pos for hits in self.hits.values() for hit in hits)
            self.report("form-incomplete", top, detail="、".join(missing))
            return SheetResult(None, self.problems, is_form=True)
        second = self.second_form()
        if second is not None:  # the first form is read as if alone on its sheet
            self.report("multiple-forms", second.pos)
            first_form = self.grid.cropped(*self.first_form_extent(second))
            return _FormReader(first_form, self.file, self.problems).read()
        name_hit = self.hits[form.NAME.key][0]
        self.label_col = name_hit.pos[1]
        # A blank form with a second form beside it (self.problems) is not a blank sheet.
        if (
            not self.filled(name_hit)
            and not name_hit.inline
            and not self.problems
            and self.is_blank()
        ):
            return SheetResult(None, [], is_form=True, blank=True)
        self.right_edge = self.last_year_column()  # where text fields end
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
        self.check_filled(measure)
        KpiReader(self).read(measure)
        self.check_unread()
        self.check_hidden()
        return SheetResult(measure, self.problems, is_form=True)

    def looks_like_form(self) -> bool:
        """Labels of several fields, one under another: a form, even if its anchors are not
        all found (a sheet like that is never only 対象外: what is missing is told)."""
        rows = {hit.pos[0] for hits in self.hits.values() for hit in hits}
        return len(self.hits) >= form.FORM_LIKE_FIELDS and len(rows) >= form.FORM_LIKE_FIELDS

    def check_filled(self, measure: Measure) -> None:
        """The report prints every field: one left blank (or deleted) is told."""
        blank = [f for f in form.TEXT_FIELDS if not f.optional and not measure.texts.get(f.key)]
        if not measure.budgets:
            blank.append(form.BUDGET)
        if blank:
            hit = next((h for f in blank if (h := self.first(f)) is not None), None)
            fields = "、".join(f.label for f in blank)
            self.report("fields-blank", hit.pos if hit else None, fields=fields)

    def second_form(self) -> Hit | None:
        """A second 施策名 label with a form under it: below the first form, or right of it."""
        first, *others = self.hits[form.NAME.key]
        lowest: dict[int, int] = {}  # column -> the lowest row of a 成果指標 or 実績値 label in it
        for key in (form.KPI.key, form.ACTUALS.key):
            for h in self.hits.get(key, []):
                lowest[h.pos[1]] = max(lowest.get(h.pos[1], -1), h.pos[0])
        for hit in others:
            row, col = hit.pos
            if col == first.pos[1] or (col > first.pos[1] and lowest.get(col, -1) > row):
                return hit
        return None

    def first_form_extent(self, second: Hit) -> tuple[int, int]:
        """(height, width) of the first form: up to the second form's top rows, or its column."""
        row, col = second.pos
        if col != self.hits[form.NAME.key][0].pos[1]:
            return self.grid.height, col
        first_form_end = max(
            found[0].pos[0] for found in self.hits.values() if found[0].pos[0] < row
        )
        while row - 1 > first_form_end and any(not is_blank(v) for v in self.grid.rows[row - 1]):
            row -= 1  # the second form's title and number rows
        return row, self.grid.width

    def printed_cells(self) -> set[Pos]:
        """The form's own text: its labels and year headers."""
        printed = {hit.pos for hits in self.hits.values() for hit in hits}
        for key in (form.FISCAL_YEARS.key, form.ACTUALS.key):
            for hit in self.hits.get(key, []):
                printed.update(self.filled(hit))
        return printed

    def is_blank(self) -> bool:
        """Only the form's own text: its labels, year headers and 指標N heads."""
        typed = (self.grid.value(pos) for pos in self.typed_cells(self.printed_cells()))
        return not self.grid.errors and all(form.kpi_row_number(value) for value in typed)

    def check_unread(self) -> None:
        """Values in no field of the form (beside the KPI table, below the form) are told."""
        anchors = self.grid.anchors
        unread = [pos for pos in self.typed_cells(self.seen) if pos not in anchors]
        if unread:
            self.report("cell-not-read", unread[0], cells=self.shown(unread))

    def check_hidden(self) -> None:
        """Values read from rows or columns hidden in Excel: the form on screen shows none."""
        grid = self.grid
        if not grid.hidden_rows and not grid.hidden_columns:
            return
        read = sorted(
            pos
            for pos in self.seen - self.printed_cells()
            if pos[1] != self.label_col and grid.is_hidden(pos) and not self.empty(pos)
        )
        if read:
            self.report("hidden-cells-read", read[0], cells=self.shown(read))

    def shown(self, cells: list[Pos]) -> str:
        """The first three cells with their values, for a message."""
        shown = "、".join(
            f"{cell_ref(pos)}「{_short(clean_text(self.grid.value(pos)))}」" for pos in cells[:3]
        )
        return shown + (f" ほか {len(cells) - 3} 件" if len(cells) > 3 else "")

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
        measure.number_from_sheet = self.number_from_sheet
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
            self.number_from_sheet = True
            return int(from_sheet.group(1))
        self.report("number-missing", hit.pos if hit else None)
        return None

    # --- budgets ---------------------------------------------------------------------------

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


def _short(text: str) -> str:
    return text if len(text) <= 20 else text[:20] + "…"
