"""Write samples/returns/ from samples/measures.json (the seed's 32 measures).

The returns are the template filled in, one workbook per department, one sheet
per measure. KPIs in % are written as percent-formatted numbers (58.4 % is the
number 0.584 shown as 58.4%), as Excel stores a typed "58.4%".
Run from the repository root: python samples/build_samples.py
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from xlkpi.model import Kpi, Measure
from xlkpi.template import write_forms

HERE = Path(__file__).resolve().parent


def load_measures(path: Path = HERE / "measures.json") -> dict[str, list[Measure]]:
    """Department file name -> its measures, in list order."""
    by_file: dict[str, list[Measure]] = defaultdict(list)
    for item in json.loads(path.read_text(encoding="utf-8")):
        kpis = [
            Kpi(
                name=k["name"],
                unit=k["unit"],
                baseline=None if k["baseline"] is None else Decimal(k["baseline"]),
                target=None if k["target"] is None else Decimal(k["target"]),
                actuals={int(y): Decimal(v) for y, v in k["actuals"].items()},
            )
            for k in item["kpis"]
        ]
        by_file[item["file"]].append(
            Measure(
                name=item["name"],
                number=item["number"],
                viewpoint=item["viewpoint"],
                policy_field=item["policy_field"],
                kpis=kpis,
                texts=item["texts"],
                budgets={int(y): Decimal(v) for y, v in item["budgets"].items()},
            )
        )
    return dict(by_file)


def build(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, measures in load_measures().items():
        path = folder / filename
        write_forms(path, measures)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "returns"
    for path in build(target):
        print(path)
