"""The README's two set-up commands are the contract with a new user and with CI."""

from __future__ import annotations

import re

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def setup_commands() -> list[str]:
    section = README.split("## はじめかた", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n\s*(.+?)\n\s*```", section)


def test_readme_has_exactly_two_setup_commands() -> None:
    run, test = setup_commands()
    assert "xlkpi merge samples/returns" in run and "pip install ." in run
    assert "pip install '.[test]'" in test and "pytest" in test


def test_ci_runs_the_readme_test_command() -> None:
    _, test = setup_commands()
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in lines


def test_every_command_is_documented() -> None:
    import io

    from xlkpi.cli import _parser

    parser = _parser(io.StringIO())
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in commands:
        assert f"xlkpi {name}" in README, name


def test_every_problem_code_is_documented_with_its_severity() -> None:
    from xlkpi.problems import CATALOG, Severity

    doc = (ROOT / "docs" / "problem-codes.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| (エラー|警告) \|", doc, re.M))
    expected = {
        code: "エラー" if spec.severity is Severity.ERROR else "警告"
        for code, spec in CATALOG.items()
    }
    assert rows == expected


def test_bad_inputs_table_covers_all_34_rows_with_tests_that_exist() -> None:
    doc = (ROOT / "docs" / "bad-inputs.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \|.*$", doc, re.M)
    assert rows == [str(n) for n in range(1, 35)]
    current = ""
    for file, name in re.findall(r"`(?:(test_\w+\.py))?::(test_\w+)`", doc):
        current = file or current
        source = (ROOT / "tests" / current).read_text(encoding="utf-8")
        assert f"def {name}(" in source, f"{current}::{name}"


def test_every_problem_code_is_raised_by_some_test() -> None:
    """Each code is named in some test's expected problems: none is only documented."""
    from xlkpi.problems import CATALOG

    tests = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_*.py"))
    assert [code for code in CATALOG if f'"{code}"' not in tests] == []
