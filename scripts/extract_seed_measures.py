"""One-off provenance script: how samples/measures.json was first drafted.

It reads the seed's 32 measure tables (tests/fixtures/seed_tables.md, built as
worksheets by tests/seedforms.py) and dumps what they say as JSON. The JSON was
then checked by hand against the seed text; samples/measures.json is the
reviewed data, and samples/build_samples.py turns it into samples/returns/.
Run from the repository root: python scripts/extract_seed_measures.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import seedforms
from xlkpi.merge import merge

DEPARTMENT_OF = {
    **dict.fromkeys([1, 2, 3, 4, 5, 6, 7], "01_保健福祉部.xlsx"),
    **dict.fromkeys([8, 9, 10, 11, 12, 13, 16, 17], "02_商工労働部.xlsx"),
    **dict.fromkeys([14, 15], "03_農林部.xlsx"),
    **dict.fromkeys([18, 19, 20, 21, 22, 23], "04_教育委員会.xlsx"),
    24: "05_消防本部.xlsx",
    **dict.fromkeys([25, 28, 29, 31, 32], "06_まちづくり推進部.xlsx"),
    **dict.fromkeys([26, 27], "07_建設部.xlsx"),
    33: "08_市長公室.xlsx",
}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        seedforms.write_seed_returns(Path(folder))
        result = merge([Path(folder)])
    measures = []
    for m in result.measures:
        assert m.number is not None
        measures.append(
            {
                "file": DEPARTMENT_OF[m.number],
                "number": m.number,
                "name": m.name,
                "viewpoint": m.viewpoint,
                "policy_field": m.policy_field,
                "texts": m.texts,
                "budgets": {str(y): str(v) for y, v in sorted(m.budgets.items())},
                "kpis": [
                    {
                        "name": k.name,
                        "unit": k.unit,
                        "baseline": None if k.baseline is None else str(k.baseline),
                        "target": None if k.target is None else str(k.target),
                        "actuals": {str(y): str(v) for y, v in sorted(k.actuals.items())},
                    }
                    for k in m.kpis
                ],
            }
        )
    out = Path("samples/measures.json")
    out.write_text(json.dumps(measures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(measures)} measures)")


if __name__ == "__main__":
    main()
