"""Read a form's KPIs: names, units, baselines, targets and actuals per year.

Two KPI layouts are read:
- the template's table: a 成果指標 header row (指標名, 単位, 現状値, 目標値) with one
  row per KPI, and one row per KPI under the 実績値 year header;
- the FY2024 forms' inline layout: names in the 成果指標 cell, values beside the
  現状値 and 目標値 labels, actuals under (or inside) the 実績値 year headers.
Anything read from an irregular place is read, and reported.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from xlkpi import form, units
from xlkpi.labels import Hit, LabelledSheet
from xlkpi.model import Kpi, Measure, actual_key
from xlkpi.values import (
    UNITS,
    BadValue,
    Quantity,
    clean_text,
    fold_label,
    is_blank,
    nfkc,
    parse_quantities,
    split_label,
    tidy,
)
from xlkpi.workbook import Pos, cell_ref, parse_ref


class Slots(dict[int, int]):
    """KPI index -> row, knowing its highest index (slot asks for it at every row: taking
    the max of the keys each time made a 10,000-KPI sheet quadratic)."""

    top = -1

    def __setitem__(self, key: int, value: int) -> None:
        super().__setitem__(key, value)
        self.top = max(self.top, key)


@dataclass(slots=True)
class ActualGrid:
    """The rows under the 実績値 year header."""

    rows: Slots  # KPI index -> row, from 指標N labels (or blank heads, in order)
    named: dict[int, str]  # row -> its head's other text: a KPI's name, or a note
    columns: dict[int, tuple[int, str]]  # col -> (year, text after the year in the header)


@dataclass
class KpiReader:
    """Reads the KPIs of a sheet whose identity is read (sheet.label_col is known)."""

    sheet: LabelledSheet

    def read_actual_grid(self, measure: Measure) -> ActualGrid:
        """The rows under the 実績値 header, down to the next field's label."""
        label_col = self.sheet.label_col
        hit = self.sheet.anchor(form.ACTUALS)
        columns = self.sheet.year_columns(hit)
        measure.years = tuple(sorted(year for year, _ in columns.values()))
        grid = ActualGrid(Slots(), {}, columns)
        row = hit.pos[0] + 1
        while row < self.sheet.grid.height:
            if any(h.pos[1] <= label_col for h in self.sheet.row_hits.get(row, [])):
                break
            # the 実績値 label merged down over its rows leaves their heads blank
            head = (
                None
                if (row, label_col) in self.sheet.grid.anchors
                else self.sheet.grid.value((row, label_col))
            )
            numbered = form.kpi_row_number(head)
            self.sheet.seen.add((row, label_col))
            values = [p for col in columns if (p := self.cell_in(row, col)) is not None]
            if numbered is None and form.not_kpi_row(
                head, [self.sheet.grid.value(p) for p in values]
            ):
                # a 達成率 or 実績/見込 row: no KPI's values, told and left unread
                found = clean_text(head) or clean_text(self.sheet.grid.value(values[0]))
                self.sheet.report("remarks-not-read", (row, label_col) if head else values[0],
                                  found=found, what="行")  # fmt: skip
                self.sheet.seen.update(values)
                self.sheet.seen.update(
                    (row, c) for c in range(label_col + 1, len(self.sheet.grid.rows[row]))
                )
                row += 1
                continue
            if numbered is None and not is_blank(head):
                grid.named[row] = clean_text(head)  # a KPI's name, or a note: told apart later
            else:
                grid.rows[self.slot(grid.rows, numbered, (row, label_col))] = row
            row += 1
        return grid

    def place_named_rows(self, grid: ActualGrid, kpis: Mapping[int, Kpi]) -> None:
        """Rows headed by a KPI's name instead of 指標N join that KPI; others must be empty.

        A head names the first KPI (in their order) whose folded name is the head's, or the
        head's core without its unit in brackets: looked up, not compared with every KPI."""
        first: dict[str, tuple[int, int]] = {}  # folded name -> (order, KPI index)
        for order, (i, kpi) in enumerate(kpis.items()):
            first.setdefault(fold_label(kpi.name), (order, i))
        for row, head in grid.named.items():
            pos = (row, self.sheet.label_col)
            cells = [p for col in grid.columns if (p := self.cell_in(row, col))]
            found = [first[key] for key in _name_keys(head) if key in first]
            index = min(found)[1] if found else None
            if index is None or index in grid.rows:
                if cells:
                    self.sheet.report("actual-row-unknown", pos, found=head)
                    self.sheet.seen.update(cells)  # told once, as this row
                continue
            grid.rows[index] = row
            if cells:
                detail = f"実績値の行の見出しが指標名のため、「{kpis[index].name}」の実績値として読み取りました"
                self.sheet.report("layout-irregular", pos, detail=detail)

    def slot(self, taken: Mapping[int, object], number: int | None, head: Pos) -> int:
        """A KPI row's index: its 指標N label, else the one after the row above.

        指標1 and 指標3 with 指標2 left blank keep their numbers, so each meets its own
        actuals row. A number already used (a copied row not renumbered) is told.
        """
        following = (taken.top if isinstance(taken, Slots) else max(taken, default=-1)) + 1
        if number is None:
            return following
        if number - 1 in taken or number - 1 < following:
            detail = (
                f"「指標{number}」の番号が上の行と重複しているか逆順のため、"
                f"指標{following + 1}として読み取りました"
            )
            self.sheet.report("layout-irregular", head, detail=detail)
            return following
        return number - 1

    def cell_in(self, row: int, col: int) -> Pos | None:
        """A filled cell of the actuals grid (merged continuations count as empty)."""
        pos = (row, col)
        if pos in self.sheet.grid.anchors or self.sheet.empty(pos):
            return None
        return pos

    # --- KPIs -------------------------------------------------------------------------

    def read(self, measure: Measure) -> None:
        """The 実績値 grid, the KPIs in either layout, then each KPI's actuals and checks."""
        grid = self.read_actual_grid(measure)
        kpi_hit = self.sheet.anchor(form.KPI)
        row_fields = {h.field.key for h in self.sheet.row_hits.get(kpi_hit.pos[0], [])}
        columns = grid.columns
        if form.KPI_NAME.key in row_fields or form.BASELINE.key in row_fields:
            slotted = self.read_kpi_table(measure, kpi_hit)
        else:
            slotted = dict(enumerate(self.read_kpi_inline(measure, kpi_hit, grid.rows, columns)))
        self.place_named_rows(grid, slotted)
        kpis = list(slotted.values())
        actuals = self.read_actuals(grid.rows, columns, len(kpis))
        for index, kpi in slotted.items():
            for year, (typed, pos) in sorted(actuals.get(index, {}).items()):
                value = self.in_kpi_unit(kpi, typed, pos)
                if value is None:
                    continue
                kpi.actuals[year] = value.value
                kpi.cells[actual_key(year)] = cell_ref(pos)
                if value.note:
                    kpi.notes[year] = value.note
        self.place_missing_actuals(slotted, grid)
        for index in sorted(set(actuals) - set(slotted)):
            first_pos = min(pos for _, pos in actuals[index].values())
            self.sheet.report("kpi-name-missing", first_pos, n=index + 1)
        named: set[str] = set()
        for kpi in kpis:
            self.check_kpi(kpi)
            if fold_label(kpi.name) in named:
                self.sheet.report(
                    "kpi-name-repeated", _pos_of(kpi.cells.get("target")), kpi=kpi.name
                )
            named.add(fold_label(kpi.name))
        measure.kpis = kpis
        if not kpis and not any(p.code == "kpi-count-mismatch" for p in self.sheet.problems):
            self.sheet.report("kpi-missing", kpi_hit.pos)

    @staticmethod
    def place_missing_actuals(slotted: dict[int, Kpi], grid: ActualGrid) -> None:
        """Each plan year's empty cell in a KPI's actuals row, for a missing actual's warning.

        Interned: a national merge holds ~200,000 of them, the same few strings (+26 MB
        on the L corpus as separate objects; pickling keeps one copy per file)."""
        for index, kpi in slotted.items():
            if (row := grid.rows.get(index)) is not None:
                for col, (year, _) in grid.columns.items():
                    key = actual_key(year)
                    if key not in kpi.cells:
                        kpi.cells[key] = sys.intern(cell_ref((row, col)))

    def read_kpi_table(self, measure: Measure, kpi_hit: Hit) -> dict[int, Kpi]:
        """KPI index (its 指標N row, as in the actuals grid) -> KPI; rows without a name skipped."""
        header = {h.field.key: h.pos[1] for h in self.sheet.row_hits[kpi_hit.pos[0]]}
        labels = {h.field.key: h.label for h in self.sheet.row_hits[kpi_hit.pos[0]]}
        measure.base_year = labels[form.BASELINE.key].year if form.BASELINE.key in labels else None
        measure.target_year = labels[form.TARGET.key].year if form.TARGET.key in labels else None
        value_cols = {k: header[k] for k in ("baseline", "target") if k in header}
        label_col = kpi_hit.pos[1]
        kpis: dict[int, Kpi] = {}
        rows = Slots()
        row = kpi_hit.pos[0] + 1
        while row < self.sheet.grid.height and not any(
            h.pos[1] <= label_col for h in self.sheet.row_hits.get(row, [])
        ):
            head = self.sheet.grid.value((row, label_col))
            number = form.kpi_row_number(head)
            self.sheet.seen.add((row, label_col))
            name_col = header.get(form.KPI_NAME.key)
            name = self.sheet.text((row, name_col)) if name_col is not None else ""
            values = {key: self.single((row, col)) for key, col in value_cols.items()}
            odd_head = clean_text(head) if number is None and not is_blank(head) else ""
            if odd_head and all(v is None for v in values.values()):
                if name:  # a note, or a field label we do not know: said, not read
                    detail = f"見出し「{odd_head}」の行は、現状値も目標値もないため指標として読み取っていません"
                    self.sheet.report("layout-irregular", (row, label_col), detail=detail)
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
                self.sheet.report("layout-irregular", (row, label_col), detail=detail)
            if not name:
                if any(v is not None for v in values.values()):
                    self.sheet.report("kpi-name-missing", (row, label_col), n=index + 1)
                row += 1
                continue
            kpi = Kpi(name=name.replace("\n", " "))
            unit_col = header.get(form.UNIT.key)
            if unit_col is not None and (unit := self.sheet.text((row, unit_col))):
                self.set_unit(kpi, unit, (row, unit_col))
            direction_col = header.get(form.DIRECTION.key)
            if direction_col is not None and (word := self.sheet.text((row, direction_col))):
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
        base_hit, target_hit = self.sheet.first(form.BASELINE), self.sheet.first(form.TARGET)
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
        counts += [_value_count(self.sheet.grid.value(pos)) for _, pos in filled]
        counts += [_value_count(rest) for _, rest in columns.values() if rest]
        names = self.split_names(self.sheet.region_text(kpi_hit), max(counts), kpi_hit)
        kpis = [Kpi(name=name) for name in names]
        for key, found in (("baseline", baselines), ("target", targets)):
            for index, (quantity, pos) in enumerate(found[: len(kpis)]):
                self.take(kpis[index], key, quantity, pos)
        for key, hit in (("target", target_hit), ("baseline", base_hit)):
            if hit is not None:  # where a missing value belongs, or was refused
                cells = self.sheet.filled(hit) or self.sheet.region(hit)
                for index, kpi in enumerate(kpis):
                    cell = cells[min(index, len(cells) - 1)] if cells else hit.pos
                    if key == "target" or cell in self.sheet.refused:
                        kpi.cells.setdefault(key, cell_ref(cell))
        return kpis

    def value_list(self, hit: Hit | None, *, extra_ok: bool) -> list[tuple[Quantity, Pos]]:
        """Values right of an inline label; a second filled cell is an unlabelled extra."""
        if hit is None:
            return []
        found: list[tuple[Quantity, Pos]] = []
        cells = self.sheet.filled(hit)
        for order, pos in enumerate(cells):
            if order == 1 and pos[0] == cells[0][0]:  # one row each: a label merged down
                self.sheet.report(
                    "layout-irregular",
                    pos,
                    detail=f"{hit.field.label}の右の見出しのないセルの値を次の指標の"
                    f"{hit.field.label}としました",
                )
            found.extend((q, pos) for q in self.sheet.quantities(pos))
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
        where = self.sheet.value_pos(hit)
        if len(parts) == wanted:
            self.sheet.report(
                "layout-irregular",
                where,
                detail=f"{wanted} つの成果指標が 1 つのセルに記入されていたため、空白で区切りました",
            )
            return parts
        self.sheet.report("kpi-count-mismatch", where, names=len(parts), what="値", values=wanted)
        return []

    def read_actuals(
        self,
        actual_rows: dict[int, int],
        columns: dict[int, tuple[int, str]],
        kpi_count: int,
    ) -> dict[int, dict[int, tuple[Quantity, Pos]]]:
        """KPI index -> year -> (value, cell)."""
        found: dict[int, dict[int, tuple[Quantity, Pos]]] = {}
        label = self.sheet.anchor(form.ACTUALS)
        if label.inline:  # 「実績値 84%」: a value in the label's own cell has no year
            self.sheet.report("value-outside-years", label.pos, found=label.inline)
        header_row = label.pos[0]
        for col, (year, rest) in sorted(columns.items()):
            filled = {i: pos for i, row in actual_rows.items() if (pos := self.cell_in(row, col))}
            if rest:
                head = (header_row, col)
                if filled:
                    self.sheet.report(
                        "layout-irregular",
                        head,
                        detail="年度の見出しのセルにも値があるため、下の行の値を使いました",
                    )
                else:
                    self.sheet.report(
                        "layout-irregular",
                        head,
                        detail="実績値が年度の見出しと同じセルに記入されていました",
                    )
                    for index, quantity in enumerate(self.sheet.parse(rest, head)):
                        found.setdefault(index, {})[year] = (quantity, head)
                    continue
            for index, pos in filled.items():
                values = self.sheet.quantities(pos)
                if len(values) > 1 and len(filled) == 1 and len(values) == kpi_count:
                    self.sheet.report(
                        "layout-irregular",
                        pos,
                        detail=f"{len(values)} つの指標の実績値が 1 つのセルに記入されていました",
                    )
                    for offset, quantity in enumerate(values):
                        found.setdefault(index + offset, {})[year] = (quantity, pos)
                elif len(values) > 1:
                    self.sheet.report(
                        "kpi-count-mismatch", pos, names=1, what="実績値", values=len(values)
                    )
                elif values:
                    found.setdefault(index, {})[year] = (values[0], pos)
        label_col = self.sheet.anchor(form.ACTUALS).pos[1]
        for row in actual_rows.values():
            for col in range(label_col + 1, len(self.sheet.grid.rows[row])):
                pos = self.cell_in(row, col)
                if pos is None or col in columns:
                    continue
                if col in self.sheet.remarks_columns:
                    self.sheet.seen.add(pos)  # a 備考 column: told once, at its header
                    continue
                if self.sheet.grid.is_hidden(pos):
                    continue  # a hidden helper column: told as a cell not read
                self.sheet.seen.add(pos)
                self.sheet.report(
                    "value-outside-years", pos, found=clean_text(self.sheet.grid.value(pos))
                )
        return found

    # --- one KPI's values ---------------------------------------------------------------

    def single(self, pos: Pos) -> Quantity | None:
        found = self.sheet.quantities(pos)
        if len(found) > 1:
            self.sheet.report("kpi-count-mismatch", pos, names=1, what="値", values=len(found))
            return None
        return found[0] if found else None

    def take(self, kpi: Kpi, key: str, quantity: Quantity | None, pos: Pos) -> None:
        if quantity is None or (quantity := self.in_kpi_unit(kpi, quantity, pos)) is None:
            return
        setattr(kpi, key, quantity.value)
        kpi.cells[key] = cell_ref(pos)

    def set_unit(self, kpi: Kpi, unit: str, pos: Pos) -> None:
        unit = re.sub(r"\s+", "", nfkc(unit))
        if unit not in UNITS:
            self.sheet.report("value-unknown-unit", pos, found=unit)
            return
        kpi.unit = unit

    def set_direction(self, kpi: Kpi, word: str, pos: Pos) -> None:
        direction = form.direction_of(word)
        if direction is None:
            self.sheet.report("direction-unknown", pos, found=word)
            return
        kpi.direction = direction

    def in_kpi_unit(self, kpi: Kpi, quantity: Quantity, pos: Pos) -> Quantity | None:
        """The value in the KPI's unit (千円 and 円 by their scale, 名 as 人, told); None for
        a value in another unit, reported and not used: 86.1% typed as a count's actual is
        most likely the 達成率, and would be graded D."""
        if not quantity.unit:
            return quantity
        if not kpi.unit:
            kpi.unit = quantity.unit
            return quantity
        (mine, unit), (theirs, other) = units.base(kpi.unit), units.base(quantity.unit)
        if unit != other:
            self.sheet.refused.add(pos)
            self.sheet.report(
                "unit-mismatch", pos, kpi=kpi.name, detail=f"{kpi.unit} と {quantity.unit}"
            )
            return None
        if units.same_counter(kpi.unit, quantity.unit):
            self.sheet.report("unit-equivalent", pos, kpi=kpi.name, found=quantity.unit,
                              unit=kpi.unit)  # fmt: skip
        if mine == theirs:
            return quantity
        return Quantity(tidy(quantity.value * theirs / mine), kpi.unit, quantity.note)

    def check_kpi(self, kpi: Kpi) -> None:
        """A missing target or baseline is told, unless its cell's value was refused (told
        already: a value that cannot be read is not also missing)."""
        where = _pos_of(kpi.cells.get("target"))
        refused = self.sheet.refused
        if kpi.target is None and where not in refused:
            self.sheet.report("target-missing", where, kpi=kpi.name)
        base = _pos_of(kpi.cells.get("baseline")) or where
        if kpi.baseline is None and base not in refused:
            self.sheet.report("baseline-missing", base, kpi=kpi.name)
        if kpi.unit == "%":
            self.check_fractions(kpi)

    def check_fractions(self, kpi: Kpi) -> None:
        """A % KPI's value typed as a fraction (0.584) where its others are percents (58.1).

        A bare number whose percent lies within 3x of the largest other value is read as that
        percent (as typed, 0.584 was graded as 0.584 %, and a target of 0.581 made 40 % an A).
        Anything else is kept as typed (0.8 beside 2.0 may well be 0.8 %). Either way it is told."""
        # (cell key, field as messages name it, year of an actual, value)
        values: list[tuple[str, str, int | None, Decimal | None]] = [
            ("baseline", "現状値", None, kpi.baseline),
            ("target", "目標値", None, kpi.target),
        ]
        values += [(actual_key(y), f"{y}年度の実績値", y, v) for y, v in kpi.actuals.items()]
        known = [
            (key, field, year, value) for key, field, year, value in values if value is not None
        ]
        for key, field, year, value in known:
            reference = max((v for k, _, _, v in known if k != key), default=Decimal(0))
            if reference <= 1 or not Decimal(0) < value <= 1:
                continue
            pos = _pos_of(kpi.cells.get(key))
            percent = tidy(value * 100)
            if self.is_bare(pos) and reference / 3 <= percent <= reference * 3:
                if year is None:
                    setattr(kpi, key, percent)
                else:
                    kpi.actuals[year] = percent
                detail = f"{percent:f}% として扱いました"
            else:
                detail = f"そのまま {value}% として扱いました"
            self.sheet.report(
                "percent-as-fraction", pos, kpi=kpi.name, field=field, value=value, detail=detail
            )

    def is_bare(self, pos: Pos | None) -> bool:
        """A number typed with no % sign and no percent format."""
        if pos is None or pos in self.sheet.grid.percent:
            return False
        raw = self.sheet.grid.value(pos)
        return not isinstance(raw, str) or "%" not in nfkc(raw)


def _value_count(raw: object) -> int:
    try:
        return max(1, len(parse_quantities(raw)))
    except BadValue:
        return 1


def _pos_of(ref: str | None) -> Pos | None:
    return parse_ref(ref) if ref else None


def _name_keys(head: str) -> tuple[str, str]:
    """What a row head naming a KPI may match of its folded name: the head, or the head
    without its unit in brackets (「参加人数（人）」)."""
    return fold_label(head), split_label(head).core
