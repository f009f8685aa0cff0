"""xlkpi: merge departments' KPI forms into a graded summary workbook.

The library API is `xlkpi.api` (docs/api.md): `from xlkpi import api; api.merge(...)`.
It is not imported here: `xlkpi.merge` is the engine's module, and the CLI starts
without the reading stack.
"""

import re
from pathlib import Path
from typing import Any


def __getattr__(name: str) -> Any:
    """`__version__`, looked up only when asked for: importlib.metadata costs ~50 ms here
    and ~250 ms in the page (it imports email), so an installed wheel's METADATA beside
    the package is read first."""
    if name != "__version__":
        raise AttributeError(name)
    for metadata in Path(__file__).parent.parent.glob("xlkpi-*.dist-info/METADATA"):
        found = re.search(r"^Version: (\S+)$", metadata.read_text(encoding="utf-8"), re.M)
        if found:
            return found.group(1)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("xlkpi")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0+unknown"
