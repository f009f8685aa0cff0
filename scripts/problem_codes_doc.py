"""Regenerate docs/problem-codes.md from the problem catalog (tests/test_docs.py checks it)."""

from __future__ import annotations

from pathlib import Path

from xlkpi.problems import CATALOG, Severity

HEAD = """# 問題コード一覧 / Problem codes

xlkpi が報告する問題の一覧です。コードは変わりません（テストで一覧と実装の一致を確認しています）。
エラーのある調書・シート・値は集計に含めず、終了コードは 1 になります。警告は集計に含めたうえで報告します。

Every problem xlkpi reports, with its stable code. Errors leave the value, sheet or file out of the
merge (exit code 1); warnings are merged and reported. Regenerate with
`python scripts/problem_codes_doc.py`.

「対応のヒント」は集計（事務局）に、「点検のヒント」は提出前に点検する担当課（xlkpi check、ページの
「点検」）に示します（同じときは「同左」）。点検では、メッセージからも事務局だけができること
（--year などの指定）を省きます。設定ファイルの成果指標をすべての調書と照らす settings-kpi-unknown は
集計だけが報告します。The secretariat's hint (merge) and the department's (check); check also
leaves the secretariat's options out of the message, and settings-kpi-unknown to the merge.

| コード | 区分 | メッセージ（{…} は実際の値） | 対応のヒント | 点検のヒント |
|---|---|---|---|---|
"""


def main() -> None:
    rows = [
        f"| `{code}` | {'エラー' if spec.severity is Severity.ERROR else '警告'} "
        f"| {spec.message} | {spec.hint} "
        f"| {'同左' if spec.department_hint == spec.hint else spec.department_hint} |"
        for code, spec in CATALOG.items()
    ]
    path = Path(__file__).resolve().parents[1] / "docs" / "problem-codes.md"
    path.write_text(HEAD + "\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
