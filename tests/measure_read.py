"""Read one file in a fresh process and report time and extra memory, as JSON.

Used by the resource tests: python tests/measure_read.py FILE
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from xlkpi.intake import Candidate
from xlkpi.merge import read_file


def main() -> None:
    path = Path(sys.argv[1])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = read_file(Candidate(path, path.name))
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "seconds": seconds,
        "extra_mb": (after - before) / 1024,
        "codes": [p.code for p in result.problems],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
