// Runs chapters of the built book in JupyterLite, in headless Debian Chromium, as a reader would.
//
//   node run_lite.mjs --base http://127.0.0.1:PORT/ --chapters book/data,book/activations --report report.json
//                     [--screenshots DIR]
//
// For each chapter: open its page, follow the "Run this chapter in your browser" button, wait
// for the notebook and its Pyodide kernel, run all cells (the app's own "run all" command), and
// record each code cell's tags, execution count and outputs (errors with their traceback).
// Every request is audited: one to a host other than the local server is aborted and reported,
// and Chromium resolves no other host (a backstop).  Service workers are blocked so that no
// request can bypass the audit.  The exit code is 1 if a chapter could not be run, 2 if the
// browser cannot be started; the Python test asserts on the JSON report.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const { values: args } = parseArgs({
  options: {
    base: { type: "string" },
    chapters: { type: "string" },
    report: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    timeout: { type: "string", default: "600" },
    screenshots: { type: "string" },
  },
});
const base = new URL(args.base);
const timeout = Number(args.timeout) * 1000;
const CHROMIUM_FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${base.hostname}`,
];

/** True for a URL served by the local test server (or made in the page). */
function isLocal(url) {
  return url.startsWith("data:") || url.startsWith("blob:") || new URL(url).host === base.host;
}

/** Wait until every code cell ran or one failed; return the cells as the report sees them. */
async function runAllCells(page, timings, seconds) {
  await page.waitForFunction(() => window.jupyterapp?.shell?.currentWidget?.content?.widgets?.length > 0,
    null, { timeout });
  timings.notebookShown = seconds();
  await page.evaluate(() => window.jupyterapp.shell.currentWidget.sessionContext.ready);
  await page.waitForFunction(
    () => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === "idle",
    null, { timeout, polling: 500 });
  timings.kernelReady = seconds();
  await page.evaluate(() => window.jupyterapp.commands.execute("notebook:run-all-cells"));
  await page.waitForFunction(() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = panel.content.widgets.filter((c) => c.model.type === "code");
    const failed = cells.some((c) => c.model.outputs.toJSON().some((o) => o.output_type === "error"));
    const done = cells.every((c) => c.model.executionCount !== null);
    return (failed || done) && panel.sessionContext.session?.kernel?.status === "idle";
  }, null, { timeout, polling: 1000 });
  return page.evaluate(() => {
    const panel = window.jupyterapp.shell.currentWidget;
    return panel.content.widgets.filter((c) => c.model.type === "code").map((c) => ({
      tags: c.model.getMetadata("tags") || [],
      source: c.model.sharedModel.getSource().slice(0, 200),
      executionCount: c.model.executionCount,
      outputs: c.model.outputs.toJSON().map((o) => ({
        type: o.output_type,
        mime: Object.keys(o.data || {}),
        text: o.output_type === "stream" ? String(o.text).slice(0, 500) : null,
        error: o.output_type === "error" ? `${o.ename}: ${o.evalue}\n${(o.traceback || []).join("\n")}` : null,
      })),
    }));
  }).finally(() => { timings.allRun = seconds(); });
}

/** Open ``chapter``'s page, follow its button, run the notebook; the chapter's report entry. */
async function runChapter(context, chapter, requests) {
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (msg) => { if (msg.type() === "error") consoleErrors.push(msg.text()); });
  page.on("pageerror", (error) => consoleErrors.push(`page error: ${error.message}`));
  const started = Date.now();
  try {
    await page.goto(new URL(`${chapter}.html`, base).href);
    const href = await page.locator(".lite-launch a").first().getAttribute("href");
    const target = new URL(href, page.url()).href;
    await page.goto(target);
    const timings = {};
    const cells = await runAllCells(page, timings, () => (Date.now() - started) / 1000);
    if (args.screenshots) {  // the notebook's top, as a reader sees it after running it
      await page.evaluate(() => window.jupyterapp.shell.currentWidget.content.activeCellIndex = 0);
      await page.waitForTimeout(500);
      await page.screenshot({ path: `${args.screenshots}/${chapter.split("/").pop()}-lite.png` });
    }
    return { chapter, target, cells, seconds: (Date.now() - started) / 1000, timings, consoleErrors, requests };
  } catch (error) {
    return { chapter, error: error.message, seconds: (Date.now() - started) / 1000, consoleErrors, requests };
  } finally {
    await page.close();
  }
}

let browser;
try {
  browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: CHROMIUM_FLAGS });
} catch (error) {
  console.error(`cannot start ${args.chromium}: ${error.message}`);
  process.exit(2);
}
const results = [];
for (const chapter of args.chapters.split(",")) {
  // a fresh context per chapter: a first visit, nothing cached
  const context = await browser.newContext();
  const requests = { local: 0, localBytes: 0, bytesByFolder: {}, nonLocal: [] };
  context.on("requestfinished", async (request) => {
    if (!isLocal(request.url())) return;
    requests.local += 1;
    const sizes = await request.sizes().catch(() => null);
    const bytes = sizes ? sizes.responseBodySize : 0;
    // bytes per folder of the site (e.g. _lite/static): where a first visit's download goes
    const folder = new URL(request.url()).pathname.split("/").slice(1, 3).join("/");
    requests.localBytes += bytes;
    requests.bytesByFolder[folder] = (requests.bytesByFolder[folder] || 0) + bytes;
  });
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    requests.nonLocal.push(url);
    return route.abort();
  });
  results.push(await runChapter(context, chapter, requests));
  await context.close();
}
await browser.close();
writeFileSync(args.report, JSON.stringify(results, null, 1));
for (const r of results) console.log(`${r.chapter}: ${r.error ?? `${r.cells.length} code cells`} in ${r.seconds} s`);
process.exit(results.some((r) => r.error) ? 1 : 0);
