// The page: starts the worker, hands it the inlined assets and the chosen files, shows
// the results. Every message a user sees is Japanese.
"use strict";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const $ = (id) => document.getElementById(id);
const pending = new Map();
let nextId = 0;
let worker = null;
let booted = false;
// One file read may take this long; past it the worker is stopped and started afresh, so a
// workbook that hangs the reader never leaves the page stuck. (A test sets a shorter one.)
const STUCK_MS = window.xlkpiStuckMs || 120000;
let watchdog = null;
const steps = []; // what booting took: [step, ms since the worker started], for a person or a test
window.xlkpiSteps = steps;

function bytesOf(id) {
  const text = $(id).textContent.trim();
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function status(text, done, total) {
  $("status-text").textContent = text;
  const bar = $("status-bar");
  if (total) { bar.max = total; bar.value = done; } else { bar.removeAttribute("value"); }
}

function start() {
  const started = performance.now();
  const source = bytesOf("worker.js");
  worker = new Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
  worker.onerror = (event) => failedToStart(event.message || "ワーカーを起動できません");
  worker.onmessage = (event) => {
    const message = event.data;
    if (message.type === "progress") {
      status(`${message.text}…`, message.done, message.total);
      steps.push([message.text, message.ms]);
    }
    else if (message.type === "ready") ready(performance.now() - started);
    else if (message.type === "failed") failedToStart(message.result.detail);
    else if (message.type === "working") working(message);
    else if (message.type === "done") {
      clearTimeout(watchdog);
      const resolve = pending.get(message.id);
      pending.delete(message.id);
      if (resolve) resolve(message);
    }
  };
  const assets = {};
  const wheels = [];
  for (const node of document.querySelectorAll("script[data-asset]")) {
    assets[node.dataset.asset] = bytesOf(node.id).buffer;
    if (node.dataset.asset.endsWith(".whl")) wheels.push(node.dataset.asset);
  }
  worker.postMessage({ type: "boot", assets, wheels }, Object.values(assets));
}

function failedToStart(detail) {
  status("準備できませんでした。このページを開き直してください。直らないときは、下の内容を xlkpi の担当者に知らせてください。", 0, 1);
  const pre = document.createElement("pre");
  pre.textContent = detail;
  $("status").append(pre);
}

function ready(ms) {
  booted = true;
  document.body.dataset.ready = String(Math.round(ms));
  status(`準備ができました（${(ms / 1000).toFixed(1)} 秒）。`, 1, 1);
  for (const id of ["merge-run", "check-run", "template-run"]) $(id).disabled = false;
}

function working(message) {
  watch(message.id);
  const done = (working.count = (working.count || 0) + 1);
  status(`調書を読み込んでいます: ${done} / ${message.total} ファイル`, done, message.total);
}

function call(type, fields, transfer) {
  const id = ++nextId;
  working.count = 0;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    watch(id);
    worker.postMessage({ type, id, ...fields }, transfer || []);
  });
}

/** (Re)starts the timer of call `id`: it runs out when one file takes longer than STUCK_MS. */
function watch(id) {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => stuck(id), STUCK_MS);
}

function stuck(id) {
  const resolve = pending.get(id);
  pending.delete(id);
  worker.terminate();
  booted = false;
  const read = working.count || 0;
  const seconds = Math.round(STUCK_MS / 1000);
  if (resolve) resolve({ result: { answered: false, error:
    `1 つのファイルの読み込みが ${seconds} 秒を超えたため、中止しました（それまでに読み込めたファイルは ${read} 件です）。` +
    "時間のかかるファイルを除いて、もう一度お試しください。ページは自動で準備し直します。" } });
  start();
}

async function pairsOf(fileList) {
  const pairs = [];
  for (const file of fileList) {
    pairs.push([file.webkitRelativePath || file.name, new Uint8Array(await file.arrayBuffer())]);
  }
  return pairs;
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function table(className, headers, rows, codes) {
  const node = element("table", undefined, className);
  const head = node.createTHead().insertRow();
  for (const title of headers) head.append(element("th", title));
  const body = node.createTBody();
  rows.forEach((cells, index) => {
    const row = body.insertRow();
    if (codes) row.dataset.code = codes[index]; // docs/problem-codes.md, for whoever asks
    for (const [text, className] of cells) row.append(element("td", text, className));
  });
  return node;
}

const SEVERITY = { error: ["エラー", "error"], warning: ["警告", "warning"] };

function problemsTable(problems) {
  return table("problems", ["", "ファイル", "シート", "セル", "内容", "対応"], problems.map((p) => [
    SEVERITY[p.severity] || [p.severity], [p.file], [p.sheet], [p.cell], [p.message], [p.hint],
  ]), problems.map((p) => p.code));
}

function ledgerTable(ledger) {
  return table("ledger", ["ファイル", "シート", "状態", "施策", "備考"], ledger.map((e) => [
    [e.file], [e.sheet], [e.status], [e.measure], [e.note],
  ]));
}

function download(data, name) {
  const url = URL.createObjectURL(new Blob([data], { type: XLSX }));
  const link = element("a", `${name} を保存`, "download");
  link.href = url;
  link.download = name;
  link.id = "download-" + name.replace(/\..*$/, "");
  return link;
}

function show(place, message, name) {
  const box = $(place);
  box.replaceChildren();
  const result = message.result;
  if (!result.answered) {
    box.append(element("div", result.error, "message failed"));
    if (result.detail) {
      const more = element("details");
      more.append(element("summary", "詳しい内容"), element("pre", result.detail));
      box.append(more);
    }
    return;
  }
  const kind = result.fine === false ? "some" : "fine";
  box.append(element("div", result.lines.join("\n"), `message ${kind}`));
  if (message.data) {
    const link = download(message.data, name);
    box.append(link);
    link.click();
  }
  if (result.problems && result.problems.length) {
    box.append(element("h3", `見つかった問題（${result.problems.length} 件）`), problemsTable(result.problems));
  } else if (result.problems) {
    box.append(element("p", "問題はありません。"));
  }
  if (result.ledger) {
    const more = element("details");
    more.append(element("summary", `読み込んだファイルとシート（受付: ${result.ledger.length} 行）`),
      ledgerTable(result.ledger));
    box.append(more);
  }
}

async function run(button, done, work) {
  const buttons = ["merge-run", "check-run", "template-run"].map($);
  for (const b of buttons) b.disabled = true;
  const started = performance.now();
  try {
    await work();
  } finally {
    const seconds = (performance.now() - started) / 1000;
    if (booted) status(seconds >= 1 ? `${done}（${seconds.toFixed(1)} 秒）。` : `${done}。`, 1, 1);
    document.body.dataset[button] = String(Math.round(performance.now() - started));
    for (const b of buttons) b.disabled = !booted; // after a stop, until booted again
  }
}

function chosenFiles() {
  const folder = $("merge-folder").files;
  return folder.length ? folder : $("merge-files").files;
}

function describeChoice() {
  const files = chosenFiles();
  $("merge-chosen").textContent = files.length
    ? `${files.length} 件のファイルを選びました（${Array.from(files, (f) => f.name).slice(0, 5).join("、")}${files.length > 5 ? " など" : ""}）。`
    : "まだ選んでいません。";
}

$("merge-files").addEventListener("change", () => { $("merge-folder").value = ""; describeChoice(); });
$("merge-folder").addEventListener("change", () => { $("merge-files").value = ""; describeChoice(); });

$("merge-run").addEventListener("click", () => run("merged", "集計が終わりました", async () => {
  const files = chosenFiles();
  if (!files.length) {
    show("merge-result", { result: { answered: false, error: "調書のファイル（またはフォルダ）を選んでから「集計」を押してください。" } });
    return;
  }
  status("調書を読み込んでいます…", 0, files.length);
  const pairs = await pairsOf(files);
  const before = $("merge-previous").files;
  const previous = before.length ? (await pairsOf(before))[0] : undefined;
  const message = await call("merge", { files: pairs, previous, year: $("merge-year").value },
    pairs.map((p) => p[1].buffer));
  show("merge-result", message, "集計.xlsx");
}));

$("check-run").addEventListener("click", () => run("checked", "点検が終わりました", async () => {
  const files = $("check-file").files;
  if (!files.length) {
    show("check-result", { result: { answered: false, error: "点検する調書を選んでから「点検」を押してください。" } });
    return;
  }
  const pairs = await pairsOf(files);
  show("check-result", await call("check", { files: pairs }, pairs.map((p) => p[1].buffer)));
}));

$("template-run").addEventListener("click", () => run("templated", "様式を作成しました", async () => {
  show("template-result", await call("template", { period: $("template-period").value }), "様式.xlsx");
}));

// A fault in the page itself is said in words too, never only in the console.
window.addEventListener("unhandledrejection", (event) => fault(event.reason));
window.addEventListener("error", (event) => fault(event.error || event.message));

function fault(reason) {
  status("ページの処理が途中で止まりました。ページを開き直してください。直らないときは、下の内容を xlkpi の担当者に知らせてください。", 0, 1);
  const pre = element("pre", String((reason && reason.stack) || reason));
  pre.className = "fault";
  $("status").append(pre);
}

start();
