// Drives the built page in Debian's chromium as a clerk would (tests/test_web.py runs it):
//   node web/drive.mjs PAGE.html OUT_DIR RETURN... --check FILE [--check FILE...] [--folder DIR]
//                      [--boots N] [--stuck] [--shots]
// Opens the page from a file:// URL with no security flags, merges the returns, checks each
// --check file, downloads the template, and writes OUT_DIR/result.json with what it saw: timings,
// the messages and tables shown, every request the page made, console errors.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

function parse(argv) {
  const options = { returns: [], checks: [], shots: false, boots: 1 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--check") options.checks.push(resolve(argv[++i]));
    else if (argv[i] === "--folder") options.folder = argv[++i];
    else if (argv[i] === "--shots") options.shots = true;
    else if (argv[i] === "--boots") options.boots = Number(argv[++i]);
    else if (argv[i] === "--stuck") options.stuck = true;
    else if (!options.page) options.page = resolve(argv[i]);
    else if (!options.out) options.out = resolve(argv[i]);
    else options.returns.push(resolve(argv[i]));
  }
  return options;
}

async function rows(page, selector) {
  return page.$$eval(`${selector} tbody tr`, (trs) => trs.map((tr) => ({
    code: tr.dataset.code || "", cells: Array.from(tr.cells, (td) => td.textContent),
  })));
}

function launch(profile) {
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.XLKPI_CHROMIUM || "/usr/bin/chromium",
    args: FLAGS, headless: true, acceptDownloads: true, locale: "ja-JP",
    viewport: { width: 1280, height: 900 },
  });
}

/** Milliseconds from opening the page to its 集計 button enabled, in a fresh browser. */
async function boot(url) {
  const profile = mkdtempSync(join(tmpdir(), "xlkpi-chromium-"));
  const context = await launch(profile);
  try {
    const page = context.pages()[0] || (await context.newPage());
    const opened = Date.now();
    await page.goto(url);
    await page.waitForSelector("#merge-run:not([disabled])", { timeout: 60000 });
    return Date.now() - opened;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** A read that outlasts the page's watchdog (set to 1 ms): stopped, said so, page ready again. */
async function stuck(url, returns) {
  const profile = mkdtempSync(join(tmpdir(), "xlkpi-chromium-"));
  const context = await launch(profile);
  try {
    await context.addInitScript(() => { window.xlkpiStuckMs = 1; });
    const page = context.pages()[0] || (await context.newPage());
    await page.goto(url);
    await page.waitForSelector("#merge-run:not([disabled])", { timeout: 60000 });
    await page.setInputFiles("#merge-files", returns);
    await page.click("#merge-run");
    await page.waitForSelector("#merge-result .message.failed");
    const said = await page.textContent("#merge-result .message.failed");
    const disabledWhileRestarting = await page.isDisabled("#merge-run");
    await page.waitForSelector("#merge-run:not([disabled])", { timeout: 60000 });
    return { said, disabledWhileRestarting, status: await page.textContent("#status-text") };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main() {
  const options = parse(process.argv.slice(2));
  const url = pathToFileURL(options.page).href;
  const stopped = options.stuck ? await stuck(url, options.returns) : null;
  const boots = [];
  for (let i = 1; i < options.boots; i++) boots.push(await boot(url));
  const profile = mkdtempSync(join(tmpdir(), "xlkpi-chromium-"));
  const seen = { requests: [], console: [], errors: [] };
  const context = await launch(profile);
  const shot = async (page, name) => {
    if (options.shots) await page.screenshot({ path: join(options.out, `${name}.png`), fullPage: true });
  };
  let page = null;
  try {
    context.on("request", (request) => seen.requests.push(request.url().slice(0, 120)));
    page = context.pages()[0] || (await context.newPage());
    page.on("console", (m) => { if (m.type() === "error") seen.console.push(m.text().slice(0, 500)); });
    page.on("pageerror", (e) => seen.errors.push(String(e.message).slice(0, 500)));
    page.on("worker", (w) => w.on("console", (m) => {
      if (m.type() === "error") seen.console.push(m.text().slice(0, 500));
    }));
    const result = { seen, stuck: stopped };
    const opened = Date.now();
    await page.goto(url);
    const buttonAtOpen = await page.isDisabled("#merge-run");
    await shot(page, "1-booting");
    await page.waitForSelector("#merge-run:not([disabled])", { timeout: 60000 });
    result.readyMs = Date.now() - opened;
    result.boots = [...boots, result.readyMs]; // each in a fresh browser: the machine is shared
    result.disabledUntilReady = buttonAtOpen;
    result.status = await page.textContent("#status-text");
    result.steps = await page.evaluate(() => window.xlkpiSteps);
    await shot(page, "2-ready");

    // 集計
    await page.setInputFiles("#merge-files", options.returns);
    let started = Date.now();
    const [summary] = await Promise.all([page.waitForEvent("download"), page.click("#merge-run")]);
    await summary.saveAs(join(options.out, "集計.xlsx"));
    await page.waitForSelector("#merge-run:not([disabled])");
    result.mergeMs = Date.now() - started;
    result.summaryName = summary.suggestedFilename();
    result.mergeMessage = await page.textContent("#merge-result .message");
    result.mergeProblems = await rows(page, "#merge-result table.problems");
    await shot(page, "3-merged");

    // 集計, a folder chosen (webkitdirectory), and a year no return has
    if (options.folder) {
      await page.setInputFiles("#merge-folder", options.folder);
      result.folderChosen = await page.textContent("#merge-chosen");
      const [again] = await Promise.all([page.waitForEvent("download"), page.click("#merge-run")]);
      await again.saveAs(join(options.out, "集計-フォルダ.xlsx"));
      await page.waitForSelector("#merge-run:not([disabled])");
      result.folderMessage = await page.textContent("#merge-result .message");
      await page.fill("#merge-year", "2031");
      await page.click("#merge-run");
      await page.waitForSelector("#merge-result .message.failed");
      result.yearError = await page.textContent("#merge-result .message.failed");
      await shot(page, "4-year-refused");
      await page.fill("#merge-year", "");
    }

    // 点検, one return after the other
    result.checks = [];
    for (const [index, file] of options.checks.entries()) {
      await page.setInputFiles("#check-file", file);
      started = Date.now();
      await page.click("#check-run");
      await page.waitForSelector("#check-run:not([disabled])");
      await page.waitForSelector("#check-result .message");
      const checked = { file, ms: Date.now() - started };
      checked.message = await page.textContent("#check-result .message");
      checked.problems = await rows(page, "#check-result table.problems");
      checked.ledger = await rows(page, "#check-result table.ledger");
      result.checks.push(checked);
      if (index === 0) {
        await page.click("#check-result summary");
        await shot(page, "5-checked");
      }
    }

    // 様式
    const [form] = await Promise.all([page.waitForEvent("download"), page.click("#template-run")]);
    await form.saveAs(join(options.out, "様式.xlsx"));
    result.templateName = form.suggestedFilename();
    result.templateMessage = await page.textContent("#template-result .message");
    await shot(page, "6-template");
    writeFileSync(join(options.out, "result.json"), JSON.stringify(result, null, 2));
  } catch (error) {
    if (page) {  // what the page showed when it went wrong, for whoever reads the failure
      await page.screenshot({ path: join(options.out, "failure.png"), fullPage: true }).catch(() => {});
      const shown = await page.textContent("main").catch(() => "");
      writeFileSync(join(options.out, "failure.json"), JSON.stringify({ shown, seen }, null, 2));
    }
    throw error;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
