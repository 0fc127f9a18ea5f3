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
td.note { max-width: 28rem; overflow-wrap: anywhere; }
td { overflow-wrap: anywhere; } th { white-space: nowrap; }
td.when, th.when { white-space: nowrap; overflow-wrap: normal; }
tr.planned td { color: var(--muted); font-style: italic; }
.badge.dry { background: #6f42c1; }
.swatch { vertical-align: -1px; margin-right: 4px; }
.lead { font-size: 17px; }
ul.attention { margin: 0; padding-left: 20px; } ul.attention li { margin: 4px 0; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
tfoot th, tfoot td { font-weight: 600; }
.uplot .u-legend { font-size: 13px; }
`;

/**
 * Draws each chart from the JSON beside it with uPlot: titled axes, whole-number counts, ISO
 * dates, each series in its fixed colour, and a legend that reads the hovered values (a
 * stacked chart's too, not its running sums). The tables under the charts carry the same
 * numbers, so every page reads without JavaScript.
 */
const SCRIPT = `
(function () {
  var WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000];
  // ISO 8601 at the precision the chart's span needs: the day, or the time within a day.
  function iso(seconds, withTime, span) {
    if (seconds == null) return "—";
    var text = new Date(seconds * 1000).toISOString();
    if (!withTime) return text.slice(0, 10);
    if (span !== undefined && span < 3600) return text.slice(11, 19);
    if (span !== undefined && span < 172800) return text.slice(5, 16).replace("T", " ");
    return text.slice(0, 16).replace("T", " ");
  }
  function number(value) { return value == null ? "—" : String(Math.round(value * 10) / 10); }
  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source || typeof uPlot === "undefined") return;
    var spec = JSON.parse(source.textContent);
    if (!spec.x || spec.x.length === 0) { el.textContent = "No data yet."; return; }
    var withTime = spec.xFormat === "datetime";
    var first = spec.x[0], last = spec.x[spec.x.length - 1];
    var span = last - first;
    // One day, or runs a minute apart: a range around them, not years of axis.
    var pad = withTime ? Math.max(30, span * 0.05) : span < 86400 * 2 ? 86400 : 0;
    var width = Math.max(280, el.clientWidth || 600);
    var lines = spec.series.slice();
    var raw = lines.map(function (line) { return line.values; });
    var data = [spec.x];
    if (spec.stacked) {
      // Each series drawn at the running sum, the last on top; the legend reads the raw values.
      var sum = spec.x.map(function () { return 0; });
      var sums = lines.map(function (line) {
        sum = sum.map(function (s, i) { return s + (line.values[i] || 0); });
        return sum.slice();
      });
      lines = lines.map(function (line, i) { return { label: line.label, color: line.color, values: sums[i], raw: raw[i] }; }).reverse();
    }
    var series = [{ label: spec.xLabel, value: function (u, v) { return iso(v, withTime); } }];
    lines.forEach(function (line) {
      data.push(line.values);
      var own = line.raw || line.values;
      series.push({
        label: line.label,
        stroke: line.color,
        width: 2,
        dash: line.dash ? [6, 4] : undefined,
        fill: spec.stacked ? line.color + "66" : undefined,
        points: { show: spec.x.length < 40 },
        scale: line.scale || "y",
        value: function (u, v, s, i) { return i == null ? "—" : number(own[i]); },
      });
    });
    var axes = [
      {
        label: spec.xLabel,
        values: function (u, splits) { return splits.map(function (v) { return iso(v, withTime, span); }); },
        space: withTime ? 110 : 90,
        // A day chart ticks at whole days (a week, a month), never at hours labelled with dates.
        incrs: withTime ? undefined : [86400, 172800, 604800, 1209600, 2592000, 7776000],
      },
      { label: spec.yLabel, scale: "y", incrs: WHOLE, values: function (u, splits) { return splits.map(function (v) { return String(v); }); } },
    ];
    if (spec.scales && spec.scales.s) axes.push({ label: spec.scales.s, scale: "s", side: 1, grid: { show: false } });
    new uPlot({
      width: width,
      height: 260,
      series: series,
      axes: axes,
      scales: {
        x: { time: true, range: function () { return [first - pad, last + pad]; } },
        y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } },
      },
      cursor: { points: { show: true } },
    }, data, el);
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
