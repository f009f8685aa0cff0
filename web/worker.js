// The page's Web Worker: boots Pyodide from the bytes the page sends, then runs xlkpi.
// A classic worker started from a blob: URL (a module worker does not start from one in
// a page opened from file://). It cannot read the page's blob: URLs, so every asset
// arrives as gzip-compressed bytes in the "boot" message. Nothing is fetched: Pyodide's
// requests for its wasm, standard library and lock file are answered from memory, and
// any other request fails.
"use strict";

const BASE = "file:///xlkpi-inline/"; // a name for the assets only; never requested
const files = Object.create(null);
let py = null;

function say(type, fields) {
  self.postMessage({ type, ...fields });
}

async function gunzip(buffer) {
  const stream = new Blob([buffer]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function answer(request) {
  const url = String(request instanceof Request ? request.url : request);
  const name = url.startsWith(BASE) ? url.slice(BASE.length) : "";
  if (name && name in files) {
    const type = name.endsWith(".wasm") ? "application/wasm" : "application/octet-stream";
    return Promise.resolve(new Response(files[name], { headers: { "Content-Type": type } }));
  }
  return Promise.reject(new TypeError(`このページはネットワークを使いません（${url}）`));
}

function script(name) {
  return URL.createObjectURL(new Blob([files[name]], { type: "text/javascript" }));
}

async function boot(assets, wheels) {
  const names = Object.keys(assets);
  const total = names.length + wheels.length + 3;
  let done = 0;
  const step = (text) => say("progress", { text, done: done++, total, ms: Math.round(performance.now()) });
  for (const name of names) {
    step(`部品を展開しています（${done + 1} / ${names.length}）`);
    files[name] = await gunzip(assets[name]);
  }
  self.fetch = answer; // before Pyodide runs: it fetches the wasm and the standard library
  importScripts(script("pyodide.js"), script("pyodide.asm.js"));
  // Pyodide refuses a classic worker, which it tells by a working importScripts.
  self.importScripts = undefined;
  step("Python を起動しています（数秒かかります）");
  py = await self.loadPyodide({
    indexURL: BASE,
    packageBaseUrl: BASE,
    lockFileContents: new TextDecoder().decode(files["pyodide-lock.json"]),
    createPyodideModule: self._createPyodideModule,
    stdout: (line) => console.log(line),
    stderr: (line) => console.warn(line),
  });
  const extractDir = py.runPython("import sysconfig; sysconfig.get_path('purelib')");
  for (const name of wheels) {
    step(`集計の機能を組み込んでいます（${name.split("-")[0]}）`);
    py.unpackArchive(files[name], "wheel", { extractDir }); // into site-packages, not the cwd
  }
  step("集計の機能を読み込んでいます");
  py.runPython(new TextDecoder().decode(files["page.py"]));
  py.runPython("import xlkpi.api, xlkpi.summary, xlkpi.template");
  step("準備ができました");
}

function reply(proxy) {
  const [text, data] = proxy.toJs();
  proxy.destroy();
  return { result: JSON.parse(text), data: data ? new Uint8Array(data) : null };
}

self.onmessage = async (event) => {
  const { type, id } = event.data;
  try {
    if (type === "boot") {
      await boot(event.data.assets, event.data.wheels);
      say("ready", {});
      return;
    }
    const call = py.globals.get(type);
    let out;
    if (type === "merge") {
      const progress = (total, sheets) => say("working", { id, total, sheets });
      out = reply(call(event.data.files, event.data.previous ?? undefined, event.data.year, progress));
    } else if (type === "check") {
      out = reply(call(event.data.files));
    } else {
      out = reply(call(event.data.period));
    }
    call.destroy();
    const transfer = out.data ? [out.data.buffer] : [];
    self.postMessage({ type: "done", id, ...out }, transfer);
  } catch (error) {
    say(type === "boot" ? "failed" : "done", {
      id,
      result: { answered: false, error: "処理の途中で止まりました。", detail: String(error && error.stack || error) },
    });
  }
};
