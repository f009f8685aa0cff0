"""Problems as data: typed records with stable codes, collected in one report.

Every problem names its file, sheet and cell (A1), carries a Japanese message
and two hints: one for the secretariat, who merges the returns and asks the
departments for corrections (`hint`), and one for the department that wrote the
return and checks it before sending (`department_hint`, what `xlkpi check` and the
page's 点検 show). The intake ledger lists every file and sheet read, once, with its
status. The CLI renders the report; the summary's 受付 sheet lists it; tests assert
against `Report.flatten`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Status(StrEnum):
    """A ledger row's status, as shown on the 受付 sheet."""

    READ = "取込"
    WARNING = "警告"
    ERROR = "エラー"
    SKIPPED = "対象外"


@dataclass(frozen=True, slots=True)
class Spec:
    """A code's severity, message and hints, each a str.format template over the same params.

    `hint` speaks to the secretariat (「担当課に…依頼してください」, xlkpi merge's options);
    `department` to the department checking its own return. Without `department`, the
    department's hint is `hint` rewritten by `_for_department`.
    """

    severity: Severity
    message: str
    hint: str
    department: str = ""

    @property
    def department_hint(self) -> str:
        return self.department or _for_department(self.hint)

    @property
    def department_message(self) -> str:
        """The message without what only the secretariat can do (「--year 2024 を指定」)."""
        return "".join(_department_sentences(self.message))

    def params(self) -> set[str]:
        """The names the message and both hints take (problem() must be given all of them)."""
        return {
            name.split(".")[0].split("[")[0]
            for text in (self.message, self.hint, self.department_hint)
            for _, name, _, _ in string.Formatter().parse(text)
            if name
        }


# What only the secretariat can do, in a sentence of a hint: such sentences are left out of
# the department's hint. The options of xlkpi merge, the summary's sheets, the settings file.
_SECRETARIAT_ONLY = re.compile(r"xlkpi merge|--[a-z]|「受付」シート|集計し直")
# 「…の再提出を担当課に依頼してください」 said to the department that resubmits.
_ASK_DEPARTMENT = (
    (re.compile(r"(.+)の再提出を担当課に依頼してください"), r"\1を提出し直してください"),
    (re.compile(r"(.+)の提出を担当課に依頼してください"), r"\1を提出してください"),
    (re.compile(r"担当課に(.+)の再提出を依頼してください"), r"\1を提出し直してください"),
    (re.compile(r"担当課に(.+)を依頼してください"), r"\1をしてください"),
)
_DEPARTMENT_FALLBACK = "配布した様式に記入し、Excel ブック（.xlsx）として保存して提出してください。"


def _for_department(hint: str) -> str:
    """The secretariat's hint as the department reads it: asked to do what it was to be
    asked, and without the steps only the secretariat can take."""
    sentences = []
    for sentence in _department_sentences(hint):
        for pattern, said in _ASK_DEPARTMENT:
            sentence = pattern.sub(said, sentence)
        sentences.append(sentence)
    return "".join(sentences) or _DEPARTMENT_FALLBACK


def _department_sentences(text: str) -> list[str]:
    """The sentences of a text but those naming what only the secretariat can do."""
    return [s for s in re.findall(r"[^。]+。?", text) if not _SECRETARIAT_ONLY.search(s)]


E, W = Severity.ERROR, Severity.WARNING
_RESUBMIT = "担当課に正しいファイルの再提出を依頼してください。"
# The same, said to the department: what a return that cannot be read needs before it is sent.
_RESAVE = "調書を Excel で開き、「Excel ブック (*.xlsx)」形式で保存し直してから、もう一度点検してください。"
_SAVE_AS = "Excel で開き、「Excel ブック (*.xlsx)」形式で保存し直して提出してください。"
_NUMBER_HINT = "数値（例: 1195）または数値と単位（例: 1,195人、58.4%）で入力してください。"

CATALOG: dict[str, Spec] = {
    # files
    "empty-file": Spec(E, "ファイルが空です（0 バイト）。", _RESUBMIT, _RESAVE),
    "not-excel": Spec(E, "Excel ブックではありません（{detail}）。", _RESUBMIT, _RESAVE),
    "not-a-workbook": Spec(E, "Excel ブックではありません（{detail}）。", _RESUBMIT, _RESAVE),
    "corrupt-file": Spec(
        E, "ファイルが壊れているか、途中で切れています（{detail}）。", _RESUBMIT, _RESAVE
    ),
    "encrypted": Spec(
        E,
        "パスワードで保護されているため読み込めません。",
        "パスワードを解除したファイルの提出を担当課に依頼してください。",
        "Excel の「ファイル」→「情報」→「ブックの保護」→「パスワードを使用して暗号化」で"
        "パスワードを消して保存し、そのブックを提出してください。",
    ),
    "old-xls": Spec(E, "古い Excel 97-2003 形式（.xls）のブックです。", _SAVE_AS),
    "unsupported-format": Spec(E, "対応していない形式です（{detail}）。", _SAVE_AS),
    "strict-ooxml": Spec(
        E,
        "「Strict Open XML」形式で保存されたブックです。",
        _SAVE_AS,
    ),
    "extension-mismatch": Spec(
        W,
        "拡張子は {ext} ですが、中身は {actual} です。",
        "ファイル名の拡張子を確認してください。",
    ),
    "too-large": Spec(
        E,
        "展開後のサイズが大きすぎるため読み込みを中止しました（{detail}）。",
        "通常の調書はこの上限に達しません。上限は xlkpi merge の --max-unzipped-mb で変更できます。",
        "通常の調書はこの大きさになりません。貼り付けた画像や、様式の外に入った値を削除して"
        "保存し直してください。",
    ),
    "xml-entities": Spec(
        E,
        "ブック内の XML に実体宣言（DOCTYPE/ENTITY）があるため読み込みを中止しました。",
        _RESUBMIT,
        _RESAVE,
    ),
    "sheet-part-missing": Spec(
        E,
        "ブックに登録されたシートの中身がありません（{detail}）。",
        _RESUBMIT,
        _RESAVE,
    ),
    "sheet-unreadable": Spec(E, "シートを読み込めませんでした（{detail}）。", _RESUBMIT, _RESAVE),
    # isolation and paths (issue 20): a file that costs its reader, a path that cannot be read
    "reader-crashed": Spec(
        E,
        "このファイルの読み込み中に読み取り処理が異常終了しました（{detail}）。"
        "このファイルを除いて集計を続けました。",
        "ファイルが壊れているか、想定外の作りになっています。Excel で開いて保存し直したファイルの"
        "再提出を担当課に依頼してください。",
    ),
    "reader-timeout": Spec(
        E,
        "このファイルの読み込みが {seconds} 秒で終わらないため中止しました。"
        "このファイルを除いて集計を続けました。",
        "通常の調書は数秒で読み込めます。ファイルの再提出を担当課に依頼してください。"
        "上限は xlkpi merge の --max-seconds で変更できます。",
    ),
    "memory-exceeded": Spec(
        E,
        "このファイルの読み込みに必要なメモリが上限（{mb} MB）を超えたため中止しました。"
        "このファイルを除いて集計を続けました。",
        "通常の調書はこの上限に達しません。ファイルの再提出を担当課に依頼してください。"
        "上限は xlkpi merge の --max-memory-mb で変更できます。",
    ),
    "not-regular-file": Spec(
        E,
        "通常のファイルではない（{kind}）ため読み込みません。",
        "調書のブックそのものを置いてください（名前付きパイプやデバイスは読み込みません）。",
    ),
    "permission-denied": Spec(
        E,
        "読み取る権限がないため読み込めません（{detail}）。ファイルが壊れているのではありません。",
        "ファイルまたはフォルダの読み取り権限（アクセス権）を確認してください。",
    ),
    "symlink-loop": Spec(
        E,
        "シンボリックリンクが循環しているため読み込めません。",
        "リンクの参照先を確認し、ブックそのものを置いてください。",
    ),
    "path-too-long": Spec(
        E,
        "パス（フォルダ名とファイル名）が長すぎるため読み込めません。",
        "短い名前のフォルダに移すか、ファイル名を短くしてください。",
    ),
    "path-unreadable": Spec(
        E,
        "ファイルを開けません（{detail}）。",
        "ファイルがあるか、ほかのプログラムが使っていないかを確認してください。",
    ),
    "sheet-too-large": Spec(
        E,
        "シートの値の範囲が大きすぎるため読み込みませんでした（{detail}）。",
        "様式の外のセルに入った値を削除して再提出してください。",
    ),
    "no-form-sheets": Spec(
        W,
        "記入済みの様式のシートが 1 枚もありません。",
        "記入済みの様式シートがあるか確認してください。",
    ),
    "nothing-merged": Spec(
        E,
        "集計できる施策が 1 件もありません（読み込める調書がありませんでした）。",
        "調書のフォルダを指定しているか確認してください。読み込まなかったファイルとその理由は"
        "「受付」シートにあります。",
        "点検する調書のブック（.xlsx）、またはそれを入れたフォルダを指定してください。",
    ),
    "folder-not-read": Spec(
        W,
        "フォルダの中のブック {count} 件は読み込んでいません（指定したフォルダの中のフォルダは読みません）。",
        "このフォルダの調書も集計するときは、そのブックを調書のフォルダに移してください（xlkpi merge では、このフォルダも指定できます）。",
        "このフォルダの調書も点検するときは、このフォルダ（またはその中のブック）を指定してください。",
    ),
    "lock-file": Spec(
        W,
        "Excel のロックファイルです（ブック「{book}」が Excel で開かれている間だけできる隠しファイルで、"
        "調書ではありません）。読み込んでいません。",
        "「{book}」が Excel で開かれています。保存していない変更は読み込まれていないため、"
        "開いている人に保存して閉じてもらってから集計してください。",
        "「{book}」が Excel で開かれています。保存して Excel を閉じてから、「{book}」を点検してください"
        "（保存していない変更は点検されません）。",
    ),
    "archive-not-read": Spec(
        W,
        "圧縮ファイルは読み込んでいません。",
        "中に調書があるときは、展開して中のブックを調書のフォルダに入れてから集計してください。",
        "調書は圧縮せず、ブック（.xlsx）のまま点検し、提出してください。",
    ),
    "summary-as-return": Spec(
        W,
        "xlkpi の集計ブックのため、調書としては読み込みませんでした。",
        "前年度の集計ブックなら、調書のフォルダから出して「前年度の集計ブック」に指定してください（xlkpi merge では --previous）。",
        "集計ブックは事務局が作るもので、提出するものではありません。提出する調書のブックを点検してください。",
    ),
    "form-blank": Spec(
        W,
        "何も記入されていない様式のシートです。集計していません。",
        "記入し忘れた施策がないか確認してください。不要なシートなら削除してかまいません。",
    ),
    "hidden-form-sheet": Spec(
        W,
        "非表示のシートに様式があります。非表示シートは集計しません。",
        "集計する場合はシートを再表示してから提出してください。",
    ),
    # the form
    "form-incomplete": Spec(
        E,
        "様式の項目が見つかりません: {detail}。",
        "配布した様式の項目名を変えずに記入してください。",
    ),
    "multiple-forms": Spec(
        E,
        "1 枚のシートに 2 つ目の施策があります。最初の施策だけを読み取りました。",
        "1 施策につき 1 シートにしてください。",
    ),
    "name-missing": Spec(E, "施策名がありません。", "施策名を記入してください。"),
    "name-from-title": Spec(
        W,
        "施策名の欄に「{found}」と記入されています。表題の「{name}」を施策名としました。",
        "施策名の欄には施策名を記入してください。",
    ),
    "number-missing": Spec(
        W,
        "施策番号がありません。",
        "達成状況一覧の No. を施策番号の欄に記入してください。",
    ),
    "number-invalid": Spec(
        E, "施策番号「{found}」を読み取れません。", "1 以上の整数を記入してください。"
    ),
    "viewpoint-missing": Spec(W, "連携する視点がありません。", "一覧から選んで記入してください。"),
    "viewpoint-unknown": Spec(
        W,
        "連携する視点「{found}」は一覧にありません。",
        "一覧から選んで記入してください。",
    ),
    "policy-field-missing": Spec(W, "政策分野がありません。", "一覧から選んで記入してください。"),
    "policy-field-unknown": Spec(
        W,
        "政策分野「{found}」は一覧にありません。",
        "一覧から選んで記入してください。",
    ),
    "policy-field-other-viewpoint": Spec(
        W,
        "政策分野「{found}」は連携する視点「{owner}」の分野ですが、連携する視点が「{viewpoint}」です。",
        "どちらかを一覧から選び直してください。分野別集計では、記入された連携する視点に数えています。",
    ),
    "kpi-missing": Spec(E, "成果指標（KPI）がありません。", "成果指標の名称を記入してください。"),
    "kpi-name-missing": Spec(
        E,
        "指標{n}に値がありますが、指標名がありません。",
        "指標名を記入してください。",
    ),
    "actual-row-unknown": Spec(
        E,
        "実績値の行「{found}」がどの指標の行か分かりません。この行の値は読み取っていません。",
        "見出しの列には、成果指標の表と同じ「指標1」「指標2」…を記入してください。",
    ),
    "kpi-count-mismatch": Spec(
        E,
        "成果指標の数（{names}）と{what}の数（{values}）が一致しません。",
        "指標ごとに 1 行ずつ記入してください。",
    ),
    "layout-irregular": Spec(
        W,
        "様式どおりでない記入を読み取りました: {detail}。",
        "配布した様式どおりに記入してください。",
    ),
    "target-missing": Spec(E, "「{kpi}」の目標値がありません。", "目標値を記入してください。"),
    "target-not-positive": Spec(
        E,
        "「{kpi}」の目標値が {value} のため達成率を計算できません。",
        "目標値を確認してください。",
    ),
    "ratio-out-of-range": Spec(
        E,
        "「{kpi}」の {year}年度の達成率が 10 の 17 乗 % 以上になるため、評価できません。",
        "目標値・現状値・実績値の桁や小数点の位置に誤りがないか確認してください。",
    ),
    "direction-unknown": Spec(
        E,
        "方向「{found}」が分かりません。",
        "「高い方が良い」または「低い方が良い」と記入してください。",
    ),
    "direction-unstated": Spec(
        W,
        "「{kpi}」は目標値 {target} が現状値 {baseline} より小さく、低い方が良い指標と思われますが、"
        "方向の指定がないため、高い方が良い指標として評価しました。",
        "低い方が良い指標なら、設定ファイルの [direction] に指定して集計し直してください"
        "（調書の成果指標の表に「方向」欄を設け、「低い方が良い」と記入することもできます）。",
        "低い方が良い指標なら、成果指標の表に「方向」欄を設け、「低い方が良い」と記入してください。",
    ),
    "settings-kpi-unknown": Spec(
        W,
        "設定ファイルの [direction] にある「{kpi}」という成果指標は、調書にありません。",
        "設定ファイルの成果指標の名前を、調書の記入どおりに直してください。",
        "成果指標の名称を変えたときは、事務局に新しい名称を伝えてください。",
    ),
    "progress-no-baseline": Spec(
        E,
        "「{kpi}」の現状値がないため、現状値からの進捗で評価できません。",
        "現状値を記入してください。",
    ),
    "progress-no-span": Spec(
        E,
        "「{kpi}」の目標値 {value} が現状値と同じため、現状値からの進捗を計算できません。",
        '目標値と現状値を確認するか、設定ファイルの zero_target を "reached" にしてください。',
        "目標値と現状値を確認してください。",
    ),
    "baseline-missing": Spec(W, "「{kpi}」の現状値がありません。", "現状値を記入してください。"),
    "unit-mismatch": Spec(
        E,
        "「{kpi}」の単位が一致しません（{detail}）。この値は読み取っていません。",
        "成果指標と同じ単位で、達成率ではなく実績値を記入してください。",
    ),
    "unit-equivalent": Spec(
        W,
        "「{kpi}」の値の単位「{found}」を、指標の単位「{unit}」と同じ意味の単位として読み取りました。",
        "同じ指標の値は同じ単位で記入してください。",
    ),
    "percent-as-fraction": Spec(
        W,
        "「{kpi}」は % の指標ですが、{field}が {value} と小数で入力されています。{detail}。",
        "58.4% なら 58.4 と入力するか、セルの表示形式をパーセントにしてください。",
    ),
    "year-header-invalid": Spec(
        E,
        "年度の見出し「{found}」を読み取れません。",
        "「2024 (R6)」のように記入してください。",
    ),
    "year-repeated": Spec(
        E,
        "年度の見出し「{found}」が、左の列と同じ年度です。この列の値は読み取っていません。",
        "年度の見出しを直してください（例: 2024 (R6) の右は 2025 (R7)）。",
    ),
    "year-mismatch": Spec(
        E,
        "年度の見出し「{found}」の西暦と和暦が一致しません。",
        "「2024 (R6)」のように記入してください。",
    ),
    "year-from-date": Spec(
        W,
        "年度の見出しは日付のセルで、表示形式により年だけが表示されているため、{shown} 年度として読み取りました。",
        "年度の見出しは「2024 (R6)」のように文字で記入してください。",
    ),
    "year-era-assumed": Spec(
        W,
        "年度の見出し「{found}」に元号がないため、計画期間から{shown}（{year}年度）として読み取りました。",
        "年度の見出しは「2024 (R6)」のように西暦か元号付きで記入してください。",
    ),
    "remarks-not-read": Spec(
        W,
        "「{found}」の{what}は指標の値ではないため読み取っていません。",
        "集計に必要な値なら、様式の該当する欄に記入してください。",
    ),
    "budget-in-yen": Spec(
        W,
        "事業費「{found}」は円で記入されているため、{value} 千円として読み取りました。",
        "事業費は千円単位の数値で記入してください。",
    ),
    "budget-unit": Spec(
        E,
        "事業費「{found}」の単位が千円ではありません。この値は読み取っていません。",
        "事業費は千円単位の数値で記入してください。",
    ),
    "fields-blank": Spec(
        W,
        "記入されていない欄があります: {fields}。",
        "報告書に載る欄です。記入してください（該当がなければ「なし」など）。",
    ),
    "cell-not-read": Spec(
        W,
        "様式のどの項目にもあたらないセルの値は読み取っていません: {cells}。",
        "集計に必要な値なら、様式の該当する欄に記入してください。",
    ),
    "hidden-cells-read": Spec(
        W,
        "非表示の行または列にある値を読み取りました: {cells}。",
        "集計に含めない値は、行や列を非表示にせず削除してください。",
    ),
    "value-outside-years": Spec(
        E,
        "年度の見出しがない列に値「{found}」があります。",
        "年度の列に記入してください。",
    ),
    "year-not-on-form": Spec(
        W,
        "様式の実績値に {year}年度の列がありません（この様式の年度: {years}）。"
        "この施策は {year}年度の評価に入っていません。",
        "{year}年度の列のある今年度の様式で提出してもらってください。",
        "{year}年度の列のある今年度の様式に記入して提出してください（様式は事務局から配られます）。",
    ),
    "actual-missing": Spec(
        W,
        "「{kpi}」の {year}年度の実績値がありません。",
        "実績値を記入してください。",
    ),
    "year-no-actuals": Spec(
        W,
        "{year}年度の実績値は、まだどの調書にも記入されていません（成果指標 {count} 件のすべてで"
        "未記入）。{year}年度の評価はすべて「評価なし」です。",
        "各課が {year}年度の実績値を記入した調書を集めてから集計するか、実績値のある年度を"
        " --year で指定してください（省略すると、実績値のある最新の年度を評価します）。",
        "{year}年度の実績値を、実績値の表の {year}年度の列に記入してください。",
    ),
    # cell values
    "value-not-number": Spec(E, "「{found}」を数値として読み取れません。", _NUMBER_HINT),
    "value-note": Spec(
        W,
        "「{found}」のうち「{note}」を注記とみなし、{value} として読み取りました。",
        "値の欄には数値と単位だけを記入し、速報値・見込みなどの注記は年度評価の欄に記入してください。",
    ),
    "value-at-most": Spec(
        E,
        "「{found}」は上限（以下・未満）の書き方のため、数値として読み取っていません。",
        "低い方が良い指標なら、値には数値だけを記入し、設定ファイルの [direction] に指定してください"
        "（調書の成果指標の表に「方向」欄を設け、「低い方が良い」と記入することもできます）。",
        "値には数値だけを記入してください。低い方が良い指標なら、成果指標の表に「方向」欄を設け、"
        "「低い方が良い」と記入してください。",
    ),
    "value-range": Spec(
        E,
        "「{found}」は範囲の書き方のため、数値として読み取っていません。",
        "値の欄には 1 つの数値を記入してください。目標が範囲のときは、達成とみなす値（下限など）を"
        "記入し、範囲は事業効果などの文章に書いてください。",
    ),
    "value-too-large": Spec(
        E, "数値 {found} が大きすぎます（15 桁以上）。", "桁の誤りがないか確認してください。"
    ),
    "value-unknown-unit": Spec(
        E,
        "「{found}」の単位が読み取れません。",
        "数値と単位（人、社、回、組、台、%、人/年 など）だけを記入してください。",
    ),
    "value-boolean": Spec(E, "数値の欄に真偽値（{found}）があります。", _NUMBER_HINT),
    "value-date": Spec(E, "数値の欄に日付（{found}）があります。", _NUMBER_HINT),
    "cell-error": Spec(
        E,
        "セルに Excel のエラー（{found}）が表示されています。",
        "数式または値を直してください。",
    ),
    "formula-no-value": Spec(
        E,
        "数式（{formula}）に計算結果が保存されていません。",
        "Excel で開いて保存し直すか、値を直接入力してください。",
    ),
    "formula-untrusted": Spec(
        E,
        "数式（{formula}）の計算結果が Excel で計算されたものではありません（{value}）。",
        "Excel で開いて保存し直すか、値を直接入力してください。",
    ),
    "formula-cached": Spec(
        W,
        "数式（{formula}）の保存された計算結果 {value} を使用しました。",
        "結果が古い場合は Excel で開いて保存し直してください。",
    ),
    # the previous year's summary (--previous)
    "previous-unreadable": Spec(
        E,
        "前年度の集計ブックを読み込めません（{detail}）。",
        "xlkpi で作成した前年度の集計ブック（「データ」シートのあるもの）を指定してください。",
    ),
    "report-year-sparse": Spec(
        W,
        "実績値のある最新の {year}年度を今年度として評価しましたが、{year}年度の実績値は {count} 件だけです"
        "（{previous}年度は {before} 件。その 1 つがこのセルです）。今年度が {previous}年度なら"
        " --year {previous} を指定してください。",
        "実績値を記入する年度の列を誤っていないか確認してください。",
        "実績値を記入する年度の列を誤っていないか確認してください（今年度の実績値は今年度の列に）。",
    ),
    "kpi-name-repeated": Spec(
        W,
        "成果指標「{kpi}」が、この施策にもう 1 つあります。",
        "別の指標なら名称を区別してください（同じ名称の指標は、前年度との比較で並び順により照合します）。",
    ),
    "summary-value-not-number": Spec(
        E,
        "集計ブックの「{found}」は数値ではないため、次年度の調書に書き写しません。",
        "集計ブックを Excel で直したときは数値で入力し直すか、次年度の調書に直接記入してください。",
    ),
    "summary-row-unmatched": Spec(
        E,
        "成果指標「{kpi}」の行の施策「{name}」（ファイル・シートとも）が「施策データ」シートにないため、"
        "次年度の調書に書き写しません。",
        "集計ブックを Excel で直したときは、「施策データ」と「データ」の両方を同じように直してください。",
    ),
    "summary-list-missing": Spec(
        W,
        "集計ブックに「達成状況一覧」の表がないため、評価は「データ」の実績値から求めました"
        "（集計ブックで直した評価は使っていません）。",
        "xlkpi で作成した集計ブックを指定してください。",
    ),
    "summary-list-unmatched": Spec(
        E,
        "「達成状況一覧」の施策「{name}」の成果指標「{kpi}」が「データ」シートにないため、"
        "この行の評価を資料に使いません。",
        "集計ブックを Excel で直したときは、「達成状況一覧」「データ」「施策データ」を同じように"
        "直してください。",
    ),
    "summary-grade-edited": Spec(
        W,
        "「{name}」の「{kpi}」の {year}年度の評価は、集計ブックでは「{grade}」ですが、実績値から"
        "求めると「{computed}」です。資料には集計ブックの評価を使いました。",
        "集計ブックで評価を直したのでなければ、「達成状況一覧」の評価を確認してください。",
    ),
    "summary-grade-unknown": Spec(
        E,
        "「達成状況一覧」の評価「{found}」は評価の区分（{labels}）にないため、実績値から求めた"
        "評価（{computed}）を資料に使いました。",
        "評価の列には評価の区分のどれかを入力してください（評価基準は xlkpi.toml で変えられます）。",
    ),
    "previous-grade-unknown": Spec(
        W,
        "前年度の集計ブックの評価（{found}）は、今年度の評価の区分（{labels}）にないため比較に使いません。",
        "前年度と今年度で評価基準（xlkpi.toml）が同じか確認してください。",
    ),
    "previous-no-year": Spec(
        W,
        "前年度の集計ブックに {year}年度の評価がありません。",
        "指定したブックの年度を確認してください。",
    ),
    "previous-unmatched": Spec(
        W,
        "「{name}」の「{kpi}」は前年度の集計ブックに見つからないため、前年度の評価がありません。",
        "施策名または成果指標の名称が前年度から変わっていないか確認してください。",
    ),
    "previous-kpi-renamed": Spec(
        W,
        "「{name}」の「{kpi}」を、前年度の集計ブックの「{old_kpi}」と同じ指標とみなしました"
        "（施策内で名前の合わない指標が 1 つずつのため）。",
        "同じ指標でなければ、前年度の評価を使わないよう成果指標の名称を確認してください。",
    ),
    "previous-measure-renamed": Spec(
        W,
        "「{name}」の「{kpi}」を、前年度の集計ブックの「{old_name}」の同名の指標とみなしました"
        "（施策名が変わったとみられるため）。",
        "同じ施策でなければ、施策名と成果指標の名称を確認してください。",
    ),
    "previous-orphan": Spec(
        W,
        "前年度の集計ブックにある「{name}」の「{kpi}」（{grade}）は今年度の調書にありません。",
        "施策の廃止・名称の変更がないか確認してください。",
    ),
    # across returns
    "text-too-long": Spec(
        W,
        "文章が Excel のセルの上限（32,767 文字）を超えるため、{limit:,} 文字までにしました。",
        "文章を短くしてください。",
    ),
    "duplicate-measure": Spec(
        E,
        "施策「{name}」が {other} にもあり、内容が異なります。こちらは集計していません。",
        "どちらが正しいか担当課に確認してください。",
        "同じ施策を 2 か所に記入していないか確認し、正しい方だけを残してください。",
    ),
    "duplicate-identical": Spec(
        W,
        "施策「{name}」は {other} と同一内容のため、1 件として集計しました。",
        "重複した提出を整理してください。",
        "同じ施策のシートが 2 つあります。1 つを削除してください。",
    ),
    "number-from-sheet": Spec(
        W,
        "施策番号の欄がなく、シート名の番号 {number} が {other} と重なるため、この施策は番号なしとしました。",
        "達成状況一覧の No. を施策番号の欄に記入してください。",
    ),
    "duplicate-number": Spec(
        E,
        "施策番号 {number} が {other} の「{name}」と重複しています。",
        "施策番号を確認してください。",
    ),
}


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    severity: Severity
    message: str
    hint: str  # for whom the problem is reported to: the secretariat, or the department (check)
    file: str = ""
    sheet: str = ""
    cell: str = ""
    department_hint: str = ""  # the department's, kept so a report can be addressed to it
    department_message: str = ""

    def for_department(self) -> Problem:
        """The same problem as said to the department that wrote the return: a hint it can
        act on, nothing of the secretariat's options."""
        return replace(
            self,
            message=self.department_message or self.message,
            hint=self.department_hint or self.hint,
        )

    @property
    def where(self) -> str:
        """ "ファイル!シート!セル", leaving out what is not known."""
        return "!".join(part for part in (self.file, self.sheet, self.cell) if part)


_OF_ALL_RETURNS = frozenset({"settings-kpi-unknown"})
QUOTED_MAX = 200  # characters of a cell's text a message quotes


def problem(
    code: str, *, file: str = "", sheet: str = "", cell: str = "", **params: object
) -> Problem:
    spec = CATALOG[code]
    shown = {key: _quoted(v) for key, v in params.items()}
    return Problem(
        code=code,
        severity=spec.severity,
        message=spec.message.format(**shown),
        hint=spec.hint.format(**shown),
        file=file,
        sheet=sheet,
        cell=cell,
        department_hint=spec.department_hint.format(**shown),
        department_message=spec.department_message.format(**shown),
    )


LOCK_PREFIX = "~$"  # Excel's owner file beside a workbook it has open: "~$" + the book's name


def lock_files(ledger: Iterable[LedgerEntry]) -> list[Problem]:
    """A lock-file warning for each Excel lock file the intake passed over."""
    found = []
    for entry in ledger:
        name = entry.file.replace("\\", "/").rsplit("/", 1)[-1]
        if entry.status is Status.SKIPPED and not entry.sheet and name.startswith(LOCK_PREFIX):
            found.append(problem("lock-file", file=entry.file, book=name[len(LOCK_PREFIX) :]))
    return found


def _quoted(value: object) -> object:
    """A long text is shown by its start and length: a message must fit one Excel cell."""
    if isinstance(value, str) and len(value) > QUOTED_MAX:
        return f"{value[:QUOTED_MAX]}…（全 {len(value):,} 文字）"
    return value


@dataclass(slots=True)
class LedgerEntry:
    file: str
    sheet: str  # "" for the file's own row
    status: Status
    note: str = ""
    measure: str = ""


@dataclass
class Report:
    """All problems and the intake ledger of one run."""

    problems: list[Problem] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)

    def add(self, item: Problem) -> None:
        self.problems.append(item)

    def extend(self, items: Iterable[Problem]) -> None:
        self.problems.extend(items)

    def address_department(self) -> None:
        """Problems from now on said to the department checking its return (xlkpi check,
        点検); what compares all the returns together (the settings file's KPIs against
        every return) is not the department's, and is left to the merge."""
        self.problems = [p.for_department() for p in self.problems if p.code not in _OF_ALL_RETURNS]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def flatten(self, *keys: str) -> list[tuple[object, ...]]:
        """e.g. report.flatten("sheet", "cell", "code") == [("施策", "B18", "value-not-number")]."""
        return [tuple(getattr(p, key) for key in keys) for p in self.problems]

    def codes(self) -> list[str]:
        return [p.code for p in self.problems]
