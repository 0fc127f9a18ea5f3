import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * The console's static files, served by the app itself (no CDN): its stylesheet and script,
 * and uPlot's, read once. The bundled CLI carries uPlot's files in dist/assets (copied at
 * build); from source they come from the package.
 */
export interface Asset {
  body: string;
  type: string;
}

function uplotFile(name: string): string {
  const bundled = fileURLToPath(new URL(`./assets/${name}`, import.meta.url));
  if (existsSync(bundled)) return readFileSync(bundled, "utf8");
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve(`uplot/dist/${name}`), "utf8");
}

let cached: Map<string, Asset> | null = null;

export function consoleAssets(): Map<string, Asset> {
  cached ??= new Map([
    ["console.css", { body: CSS, type: "text/css; charset=utf-8" }],
    ["console.js", { body: SCRIPT, type: "text/javascript; charset=utf-8" }],
    ["uPlot.min.css", { body: uplotFile("uPlot.min.css"), type: "text/css; charset=utf-8" }],
    [
      "uPlot.iife.min.js",
      { body: uplotFile("uPlot.iife.min.js"), type: "text/javascript; charset=utf-8" },
    ],
  ]);
  return cached;
}

/** Dark text on light ground, AA contrast or better throughout; focus always visible. */
const CSS = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #4a5360; --line: #c9d1d9; --accent: #0b57d0; --bg: #ffffff; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #f9a825; outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; }
header { display: flex; gap: 16px; align-items: center; padding: 10px 20px; background: #102a43; color: #fff; }
header a { color: #fff; font-weight: 600; text-decoration: none; } header a[aria-current="page"] { text-decoration: underline; }
header nav { display: flex; gap: 14px; flex: 1; }
header .who { font-size: 13px; }
header button { background: transparent; color: #fff; border: 1px solid #fff; border-radius: 4px; padding: 3px 10px; cursor: pointer; }
main { padding: 20px; max-width: 1200px; margin: 0 auto; }
h1 { font-size: 24px; margin: 0 0 12px; } h2 { font-size: 18px; margin: 24px 0 8px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin-bottom: 16px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef2f6; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; background: #4a5360; }
.badge.succeeded { background: #1a7f37; } .badge.failed, .badge.abandoned { background: #b42318; }
.badge.partial, .badge.halted, .badge.interrupted { background: #9a6700; } .badge.running { background: #0b57d0; }
form.inline { display: inline; }
label { font-weight: 600; margin-right: 6px; }
input, select { font: inherit; padding: 4px 6px; border: 1px solid #6e7781; border-radius: 4px; }
button.primary { background: var(--accent); color: #fff; border: 0; border-radius: 4px; padding: 6px 14px; font: inherit; cursor: pointer; }
button.danger { background: #b42318; color: #fff; border: 0; border-radius: 4px; padding: 6px 14px; font: inherit; cursor: pointer; }
.muted { color: var(--muted); }
.notice { border-left: 4px solid var(--accent); padding: 8px 12px; background: #eef4ff; margin-bottom: 16px; }
.notice.error { border-color: #b42318; background: #fdecea; }
.chart { min-height: 240px; }
figure { margin: 0; } figcaption { font-size: 13px; color: var(--muted); }
details summary { cursor: pointer; }
code { background: #eef2f6; padding: 0 4px; border-radius: 3px; }
td.note { max-width: 32rem; overflow-wrap: anywhere; }
`;

/**
 * Draws each chart from the JSON beside it with uPlot. The tables under the charts carry the
 * same numbers, so every page reads without JavaScript.
 */
const SCRIPT = `
(function () {
  var palette = ["#0b57d0", "#1a7f37", "#9a6700", "#b42318", "#6f42c1", "#0a7ea4", "#4a5360"];
  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source || typeof uPlot === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var width = Math.max(280, el.clientWidth || 600);
    var data = [spec.x];
    var series = [{}];
    var lines = spec.series;
    if (spec.stacked) {
      var sum = spec.x.map(function () { return 0; });
      var stacked = lines.map(function (line) {
        sum = sum.map(function (s, i) { return s + (line.values[i] || 0); });
        return { label: line.label, values: sum.slice() };
      });
      lines = stacked.reverse();
    }
    lines.forEach(function (line, i) {
      var color = palette[(spec.stacked ? lines.length - 1 - i : i) % palette.length];
      data.push(line.values);
      series.push({ label: line.label, stroke: color, width: 2, fill: spec.stacked ? color + "55" : undefined, scale: line.scale || "y" });
    });
    var axes = [{}, { scale: "y" }];
    var scales = { x: { time: spec.time !== false } };
    if (lines.some(function (l) { return l.scale === "s"; })) { axes.push({ scale: "s", side: 1, grid: { show: false } }); }
    new uPlot({ width: width, height: 240, series: series, axes: axes, scales: scales }, data, el);
    el.setAttribute("data-rendered", "true");
  }
  function start() {
    document.querySelectorAll("[data-chart]").forEach(draw);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
`;
