"""xlkpi: merge departments' KPI forms into a graded summary workbook."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("xlkpi")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"
