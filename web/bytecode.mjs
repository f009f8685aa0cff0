// node web/bytecode.mjs OUT_DIR PAGE_PY STDLIB.zip WHEEL...: the standard library and the
// wheels with bytecode for each module the page has loaded when ready (web/bytecode.py),
// compiled by the page's own Pyodide under node.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { loadPyodide } from "pyodide";

const [out, pagePy, ...inputs] = process.argv.slice(2);
const read = (path) => new Uint8Array(readFileSync(path));
const py = await loadPyodide({ stdout: () => {}, stderr: (line) => console.error(line) });
const extractDir = py.runPython("import sysconfig; sysconfig.get_path('purelib')");
for (const wheel of inputs.filter((name) => name.endsWith(".whl"))) {
  py.unpackArchive(read(wheel), "wheel", { extractDir }); // as the page's worker does
}
py.runPython(readFileSync(pagePy, "utf-8")); // what the page's worker runs when it boots
py.runPython("import xlkpi.api, xlkpi.summary, xlkpi.template");
py.runPython(readFileSync(new URL("./bytecode.py", import.meta.url), "utf-8"));
const wanted = py.runPython("sorted(loaded())");
const addBytecode = py.globals.get("add_bytecode");
mkdirSync(out, { recursive: true });
for (const input of inputs) {
  const name = basename(input);
  const result = addBytecode.callKwargs(read(input), { in_zip: name.endsWith(".zip"), wanted });
  writeFileSync(join(out, name), result.toJs());
  result.destroy();
}
