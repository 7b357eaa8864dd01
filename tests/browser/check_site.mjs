// Reads every page of the built book in headless Debian Chromium and reports what a reader would hit.
//
//   node check_site.mjs --base http://127.0.0.1:PORT/ --pages pages.txt --screenshots DIR --report report.json
//
// pages.txt lists the site's HTML pages (paths relative to --base), one a line; pages under
// book/ are chapters and get a screenshot of their first screen.  For every page the script checks:
// math typeset by the site's own MathJax (no raw \( \[ left), every image loaded with alt
// text, no console error, no failed or non-local request, every solution dropdown opening
// on click, and no serious or critical axe-core violation.  Then, with the dropdowns open,
// at a desktop (1280 px) and a phone (390 px) viewport: the page is not wider than the
// viewport, and no code block (`pre`) is wider than its container (a long line scrolls
// inside its own box); at 1280 px, a code block of lines of at most 79 characters does not
// scroll at all.  Math at both widths: no inline formula is clipped (wider than it shows
// without scrolling); a display equation wider than its box fails at 1280 px, and at 390 px
// must scroll with its cue (math_scroll.js's shadow).  At the end every internal link (and its #anchor) must resolve.  The report lists problems per page; the exit code is 1
// if there is any, 2 if the browser cannot be started.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve("axe-core/axe.min.js");
const BLOCKING_IMPACTS = new Set(["serious", "critical"]);
const VIEWPORTS = [{ width: 1280, height: 900 }, { width: 390, height: 844 }];
// From this width up, a code block whose lines keep to 79 columns must not scroll.
const DESKTOP_WIDTH = 1280;
const CHROMIUM_FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

const { values: args } = parseArgs({
  options: {
    base: { type: "string" },
    pages: { type: "string" },
    screenshots: { type: "string" },
    report: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
  },
});
const base = new URL(args.base);
const pages = readFileSync(args.pages, "utf8").split("\n").filter(Boolean);
mkdirSync(args.screenshots, { recursive: true });

/** True for a URL served by the local test server. */
function isLocal(url) {
  return url.startsWith("data:") || url.startsWith("blob:") || new URL(url).host === base.host;
}

/** Attach listeners that record console errors, page errors, failed and non-local requests. */
function watch(page, problems) {
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    if (isLocal(request.url())) problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  return page.route("**/*", (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    problems.push(`request to a non-local host: ${url}`);
    return route.abort();
  });
}

/** Wait for MathJax (if the page loads it) and return what is left untypeset. */
async function checkMath(page) {
  return page.evaluate(async () => {
    if (window.MathJax?.startup?.promise) await window.MathJax.startup.promise;
    const maths = [...document.querySelectorAll(".math, span.math, div.math")];
    const untypeset = maths.filter((el) => !el.querySelector("mjx-container")).length;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const raw = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest("pre, code, script, style, mjx-assistive-mml")) continue;
      if (/\\\[|\\\(|\$\$/.test(node.textContent)) raw.push(node.textContent.trim().slice(0, 60));
    }
    return { count: maths.length, typeset: document.querySelectorAll("mjx-container").length, untypeset, raw };
  });
}

/** Load every image (also lazy ones) and return those that failed or lack alt text. */
async function checkImages(page) {
  return page.evaluate(async () => {
    const images = [...document.images];
    for (const img of images) img.loading = "eager";
    await Promise.all(images.map((img) => img.decode().catch(() => null)));
    return {
      count: images.length,
      broken: images.filter((img) => img.naturalWidth === 0).map((img) => img.getAttribute("src")),
      noAlt: images.filter((img) => !(img.getAttribute("alt") || "").trim()).map((img) => img.getAttribute("src")),
    };
  });
}

/** Click every solution dropdown; return how many there were and which did not open. */
async function checkDropdowns(page) {
  const buttons = page.locator(".solution.dropdown .toggle-button, details.solution > summary");
  const count = await buttons.count();
  const failed = [];
  for (let i = 0; i < count; i += 1) {
    const admonition = buttons.nth(i).locator("xpath=ancestor::*[contains(@class,'solution')][1]");
    const body = admonition.locator(":scope > :not(.admonition-title):not(summary):not(button)").first();
    const hiddenBefore = !(await body.isVisible());
    await buttons.nth(i).click();
    await page.waitForTimeout(150);
    const shownAfter = await body.isVisible();
    if (!(hiddenBefore && shownAfter)) failed.push(`dropdown ${i + 1}: hidden before ${hiddenBefore}, shown after ${shownAfter}`);
  }
  return { count, failed };
}

/** At the current viewport: the page's and the viewport's widths and every visible `pre`
 * (code block or output) wider than its container. */
async function measureWidths(page) {
  return page.evaluate(() => {
    const root = document.documentElement;
    const overflowing = [...document.querySelectorAll("pre")]
      .filter((pre) => pre.getClientRects().length)
      .map((pre) => ({
        pre: Math.round(pre.getBoundingClientRect().width),
        container: Math.round(pre.parentElement.getBoundingClientRect().width),
        text: pre.textContent.trim().slice(0, 50),
      }))
      .filter((box) => box.pre > box.container);
    // Code blocks whose lines keep to PEP 8's 79 columns, scrolling anyway.
    const scrolling = [...document.querySelectorAll("div.highlight pre")]
      .filter((pre) => pre.getClientRects().length)
      .filter((pre) => Math.max(...pre.textContent.split("\n").map((line) => line.length)) <= 79)
      .filter((pre) => pre.scrollWidth > pre.clientWidth)
      .map((pre) => ({
        lines: pre.scrollWidth,
        box: pre.clientWidth,
        text: pre.textContent.trim().slice(0, 50),
      }));
    // Math: an inline formula is clipped when it, or a box up to its span.math, is wider
    // than it shows and cannot scroll; a display equation is measured against its box.
    const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
    const wider = (el) => el.scrollWidth > el.clientWidth + 1;
    const shown = (el) => el.getClientRects().length && el.getBoundingClientRect().width > 0;
    const clippedInline = [...document.querySelectorAll("span.math")]
      .filter((span) => shown(span) && !span.closest("mjx-container[display='true']"))
      .filter((span) => [span, ...span.querySelectorAll("mjx-container, mjx-math")]
        .some((el) => wider(el) && !scrolls(el)))
      .map((span) => ({
        formula: Math.round(span.querySelector("mjx-math")?.getBoundingClientRect().width ?? 0),
        box: Math.round(span.getBoundingClientRect().width),
        text: span.querySelector("mjx-assistive-mml")?.textContent.trim().slice(0, 50) ?? "",
      }));
    const displayWide = [...document.querySelectorAll('mjx-container[jax="CHTML"][display="true"]')]
      .filter((box) => shown(box) && wider(box))
      .map((box) => ({
        formula: box.scrollWidth,
        box: box.clientWidth,
        scrolls: scrolls(box),
        cue: box.classList.contains("math-more-right") || box.classList.contains("math-more-left"),
        text: box.querySelector("mjx-assistive-mml")?.textContent.trim().slice(0, 50) ?? "",
      }));
    return { viewport: root.clientWidth, page: root.scrollWidth, overflowing, scrolling, clippedInline, displayWide };
  });
}

/** Measure the widths at each of VIEWPORTS (the page ends at the last one); report overflows. */
async function checkWidths(page, problems) {
  const widths = {};
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(200);
    const measured = await measureWidths(page);
    widths[viewport.width] = measured;
    const at = `at ${viewport.width} px`;
    if (measured.page > measured.viewport) {
      problems.push(`${at} the page is ${measured.page} px wide, wider than the ${measured.viewport} px viewport`);
    }
    for (const box of measured.overflowing) {
      problems.push(`${at} a code block is ${box.pre} px wide in a ${box.container} px container: ${JSON.stringify(box.text)}`);
    }
    for (const math of measured.clippedInline) {
      problems.push(`${at} an inline formula is clipped (${math.formula} px in a ${math.box} px box): ${JSON.stringify(math.text)}`);
    }
    for (const math of measured.displayWide) {
      if (viewport.width >= DESKTOP_WIDTH) {
        problems.push(`${at} a display equation is ${math.formula} px wide in a ${math.box} px box: ${JSON.stringify(math.text)}`);
      } else if (!math.scrolls || !math.cue) {
        problems.push(`${at} a display equation is ${math.formula} px wide in a ${math.box} px box and ${math.scrolls ? "shows no cue that it scrolls" : "cannot scroll"}: ${JSON.stringify(math.text)}`);
      }
    }
    if (viewport.width >= DESKTOP_WIDTH) {
      for (const box of measured.scrolling) {
        problems.push(`${at} a code block of 79 columns scrolls (${box.lines} px of lines in a ${box.box} px box): ${JSON.stringify(box.text)}`);
      }
    }
  }
  return widths;
}

/** Links and element ids of the page, for the cross-page link check. */
async function collectLinks(page) {
  return page.evaluate(() => ({
    links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
    ids: [...document.querySelectorAll("[id], a[name]")].map((el) => el.id || el.getAttribute("name")),
    downloads: [...document.querySelectorAll(".dropdown-download-buttons a[href]")].map((a) => a.href),
    launches: [...document.querySelectorAll(".dropdown-launch-buttons a[href]")].map((a) => a.href),
  }));
}

/** Run axe-core and keep the serious and critical violations. */
async function checkAccessibility(page) {
  await page.addScriptTag({ path: AXE_PATH });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations
    .filter((v) => BLOCKING_IMPACTS.has(v.impact))
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}x, e.g. ${v.nodes[0].target.join(" ")})`);
}

/** Check one page; return its report entry. */
async function checkPage(context, path) {
  const problems = [];
  const page = await context.newPage();
  await watch(page, problems);
  const url = new URL(path, base).href;
  await page.goto(url, { waitUntil: "load" });
  const math = await checkMath(page);
  if (math.untypeset) problems.push(`${math.untypeset} of ${math.count} math elements not typeset`);
  if (math.raw.length) problems.push(`raw TeX left in the text: ${JSON.stringify(math.raw.slice(0, 3))}`);
  const images = await checkImages(page);
  for (const src of images.broken) problems.push(`image not loaded: ${src}`);
  for (const src of images.noAlt) problems.push(`image without alt text: ${src}`);
  const links = await collectLinks(page);
  const axe = await checkAccessibility(page);
  problems.push(...axe.map((v) => `axe ${v}`));
  if (path.startsWith("book/")) {
    const name = path.replace(/^book\//, "").replace(/\.html$/, "");
    // the first screen: a full-page PNG of a long chapter costs as much as its axe check
    await page.screenshot({ path: join(args.screenshots, `${name}.png`) });
  }
  const dropdowns = await checkDropdowns(page);
  problems.push(...dropdowns.failed);
  const widths = await checkWidths(page, problems);
  await page.close();
  return {
    path, url, problems, math: { count: math.count, typeset: math.typeset },
    images: images.count, dropdowns: dropdowns.count, widths, ...links,
  };
}

/** Every internal link must point at a page that exists and, with a #fragment, at an id on it. */
async function checkInternalLinks(results) {
  const idsByUrl = new Map(results.map((r) => [r.url, new Set(r.ids)]));
  const fetched = new Map();
  const broken = [];
  for (const r of results) {
    for (const href of r.links.filter(isLocal)) {
      const target = new URL(href);
      const fragment = decodeURIComponent(target.hash.slice(1));
      target.hash = "";
      let key = target.href;
      if (key.endsWith("/")) key += "index.html";
      if (!idsByUrl.has(key)) {
        if (!fetched.has(key)) fetched.set(key, (await fetch(key)).status);
        if (fetched.get(key) !== 200) broken.push(`${r.path}: ${href} (HTTP ${fetched.get(key)})`);
        continue;
      }
      if (fragment && !idsByUrl.get(key).has(fragment)) broken.push(`${r.path}: ${href} (no element with id "${fragment}")`);
    }
  }
  return broken;
}

let browser;
try {
  browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: CHROMIUM_FLAGS });
} catch (error) {
  console.error(`cannot start ${args.chromium}: ${error.message}\non Debian: apt-get install chromium`);
  process.exit(2);
}
const context = await browser.newContext({ viewport: VIEWPORTS[0] });
const results = [];
for (const path of pages) {
  try {
    results.push(await checkPage(context, path));
  } catch (error) {
    results.push({ path, url: new URL(path, base).href, problems: [`check crashed: ${error.message}`], links: [], ids: [] });
  }
  const last = results[results.length - 1];
  console.log(`${last.problems.length ? "FAIL" : "ok  "} ${path}${last.problems.map((p) => `\n     ${p}`).join("")}`);
}
await browser.close();
const brokenLinks = await checkInternalLinks(results);
for (const line of brokenLinks) console.log(`broken link: ${line}`);
const external = [...new Set(results.flatMap((r) => r.links.filter((href) => !isLocal(href) && href.startsWith("http"))))].sort();
writeFileSync(args.report, JSON.stringify({ pages: results, brokenLinks, external }, null, 1));
process.exit(brokenLinks.length || results.some((r) => r.problems.length) ? 1 : 0);
