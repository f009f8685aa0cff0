"""Dependency floors: pyproject's `>=` versions are the oldest that have what the code uses,
and .ci/run installs exactly them (tests/floors.txt) in a second venv and runs the tests.

python-calamine>=0.3 was once allowed, but CalamineSheet.merged_cell_ranges first shipped in
0.4.0: with 0.3.x every sheet would have been unreadable. FEATURES names, for each package,
the newest thing the code relies on and the release that brought it; the floor may not be
older. Keep it up to date when code starts using something newer (the floor job fails then).
"""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.version import Version

from conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
FLOORS = ROOT / "tests" / "floors.txt"

# What the code uses that came late, and the release that brought it: the floor may not be
# older. (package: (release, what, a file that uses it)). The other floors are as low as the
# floor job has shown to work.
FEATURES = {
    # CalamineSheet.merged_cell_ranges: python-calamine 0.4.0 (0.3.2 has none); a shared
    # string out of range an error, not a PanicException that lost the cell: 0.6.0
    # (calamine 0.32; tests/test_bad_inputs.py::test_28 fails on 0.4.0 to 0.5.4).
    "python-calamine": ("0.6.0", "merged_cell_ranges", "src/xlkpi/workbook.py"),
    # OOXMLFile.encrypt (Agile encryption), with which the tests make locked returns: 5.3.0.
    "msoffcrypto-tool": ("5.3.0", ".encrypt(", "tests/test_ole.py"),
}


def floors() -> dict[str, Version]:
    """pyproject's `>=` floor of each runtime and test dependency (what the floor job installs)."""
    listed = [*PYPROJECT["project"]["dependencies"],
              *PYPROJECT["project"]["optional-dependencies"]["test"]]  # fmt: skip
    found = {}
    for line in listed:
        requirement = Requirement(line)
        lows = [s.version for s in requirement.specifier if s.operator == ">="]
        assert len(lows) == 1, f"{line}: give every dependency one >= floor"
        found[requirement.name.lower()] = Version(lows[0])
    return found


def test_the_floor_job_installs_exactly_pyprojects_floors() -> None:
    pinned = {}
    for line in FLOORS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)", line.strip()).groups()  # type: ignore[union-attr]
            pinned[name.lower()] = Version(version)
    assert pinned == floors()


def test_no_floor_is_older_than_what_the_code_uses() -> None:
    have = floors()
    for package, (release, feature, where) in FEATURES.items():
        assert feature in (ROOT / where).read_text(encoding="utf-8"), (package, feature, where)
        assert have[package] >= Version(release), (
            f"{package}>={have[package]}: {feature} is {release}"
        )


def test_ci_runs_the_tests_at_the_floors() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"\.venv-floors/bin/pip install (-q )?-c tests/floors\.txt '\.\[test\]'", ci)
    assert re.search(r"\.venv-floors/bin/python -m pytest .*-m 'not office'", ci)
