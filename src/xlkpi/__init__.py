"""xlkpi: merge departments' KPI forms into a graded summary workbook.

The library API is `xlkpi.api` (docs/api.md): `from xlkpi import api; api.merge(...)`.
It is not imported here: `xlkpi.merge` is the engine's module, and the CLI starts
without the reading stack.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    """`__version__`, looked up only when asked for: importlib.metadata costs ~50 ms."""
    if name != "__version__":
        raise AttributeError(name)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("xlkpi")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0+unknown"
