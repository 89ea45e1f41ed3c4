"""The dashboard's static files, kept as Python strings so they ship inside the package: one
stylesheet, one script, one icon. The node serves them itself; the pages load nothing else."""

from __future__ import annotations

CSS = """
:root { --ink:#1d232b; --muted:#5d6b7a; --line:#dfe4ea; --bg:#f5f7fa; --card:#fff;
  --accent:#2f6fde; --ok:#1d8a4e; --bad:#c2352b; --warn:#a86400; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color:var(--ink); background:var(--bg); }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
header.top { display:flex; flex-wrap:wrap; gap:12px 24px; align-items:center; padding:10px 24px;
  background:#17202b; color:#fff; }
header.top a { color:#dbe6f5; } header.top a.brand { color:#fff; font-weight:700; font-size:17px; }
header.top nav { display:flex; gap:16px; }
header.top form { margin-left:auto; display:flex; gap:6px; }
header.top input { width:min(420px, 60vw); padding:6px 8px; border-radius:4px;
  border:1px solid #3a4654; background:#0f161e; color:#fff; }
header.top button { padding:6px 12px; border:0; border-radius:4px; background:var(--accent);
  color:#fff; }
.statusbar { display:flex; flex-wrap:wrap; gap:4px 18px; padding:6px 24px; background:#e9eef5;
  border-bottom:1px solid var(--line); color:var(--muted); font-size:13px; }
.statusbar b { color:var(--ink); font-variant-numeric:tabular-nums; }
.live-dot { display:inline-block; width:8px; height:8px; border-radius:50%; background:var(--muted);
  margin-right:4px; vertical-align:middle; }
.live-dot.on { background:var(--ok); } .live-dot.off { background:var(--bad); }
main { max-width:1200px; margin:0 auto; padding:16px 24px 40px; }
h1 { font-size:22px; margin:8px 0 14px; } h2 { font-size:16px; margin:22px 0 8px; }
section.panel h2 { margin-top:0; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(170px, 1fr)); gap:10px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:6px;
  padding:10px 12px; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
.card .value { font-size:20px; font-weight:600; font-variant-numeric:tabular-nums; }
section.panel { background:var(--card); border:1px solid var(--line); border-radius:6px;
  padding:12px 14px; margin:14px 0; overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line);
  vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase; }
tbody tr:hover { background:#f0f4fa; }
dl { display:grid; grid-template-columns:minmax(190px, max-content) 1fr; gap:4px 16px; margin:0; }
dt { color:var(--muted); } dd { margin:0; min-width:0; }
.hex { font-family:ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size:12.5px; }
code.full { overflow-wrap:anywhere; word-break:break-all; }
.moniker { font-weight:600; }
.ok { color:var(--ok); font-weight:600; } .bad { color:var(--bad); font-weight:600; }
.flag { display:inline-block; padding:0 6px; border-radius:9px; background:#fbe9e7;
  color:var(--bad); font-size:12px; margin-right:4px; }
.muted, .empty { color:var(--muted); }
.pager { display:flex; gap:14px; margin:10px 0 0; }
.verdict { font-size:18px; margin:6px 0 12px; }
.chain { display:flex; flex-wrap:wrap; gap:8px; align-items:center; margin:8px 0; }
.chain .step { border:1px solid var(--line); border-radius:6px; padding:6px 10px;
  background:var(--bg); }
.chain .arrow { color:var(--muted); }
svg.chart { width:100%; height:auto; max-height:260px; display:block; }
svg.chart .line { stroke:var(--accent); stroke-width:2; }
svg.chart .point { fill:var(--accent); stroke:#fff; stroke-width:1; }
svg.chart .grid { stroke:#edf0f4; } svg.chart .axis { stroke:#9aa5b1; }
svg.chart text { fill:var(--muted); font-size:11px; }
svg.chart .tick.y { text-anchor:end; dominant-baseline:middle; }
svg.chart .tick.x { text-anchor:middle; } svg.chart .axis-name { text-anchor:end; }
footer { max-width:1200px; margin:0 auto; padding:0 24px 24px; color:var(--muted); font-size:12px; }
"""

JS = """
"use strict";
(function () {
  var POLL_MS = 1000;
  var lastKey = null;

  function ago(ms) {
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h ago";
    return Math.floor(s / 86400) + " d ago";
  }

  function updateTimes() {
    document.querySelectorAll("time[data-ms]").forEach(function (el) {
      el.textContent = ago(Number(el.getAttribute("data-ms")));
    });
  }

  function setField(name, value) {
    document.querySelectorAll('[data-status="' + name + '"]').forEach(function (el) {
      el.textContent = value;
    });
  }

  function ms(value) {
    if (value === null || value === undefined) return "-";
    return value >= 1000 ? (value / 1000).toFixed(2) + " s" : Math.round(value) + " ms";
  }

  function setLive(on) {
    document.querySelectorAll(".live-dot").forEach(function (el) {
      el.className = "live-dot " + (on ? "on" : "off");
    });
    setField("live", on ? "live" : "node unreachable");
  }

  function refreshMain() {
    var main = document.querySelector("main[data-live]");
    if (!main) return null;
    var url = window.location.pathname + window.location.search +
      (window.location.search ? "&" : "?") + "fragment=main";
    return fetch(url, { cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null && html !== main.innerHTML) { main.innerHTML = html; }
      });
  }

  function show(status) {
    setField("height", status.height.toLocaleString("en-US"));
    setField("round", String(status.round));
    setField("step", status.step);
    setField("peers", String(status.peers));
    setField("mempool", String(status.mempool_txs));
    setField("p50", ms(status.finality_p50_ms));
    setField("p99", ms(status.finality_p99_ms));
    document.querySelectorAll('time[data-status="latest"]').forEach(function (el) {
      el.setAttribute("data-ms", String(status.latest_block_time_ms));
    });
  }

  function poll() {
    fetch("/status", { cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error("status " + r.status); return r.json(); })
      .then(function (status) {
        show(status);
        setLive(true);
        var key = status.height + ":" + JSON.stringify(status.models);
        var changed = lastKey !== null && key !== lastKey;
        lastKey = key;
        return changed ? refreshMain() : null;
      })
      .catch(function () { setLive(false); })
      .then(function () { updateTimes(); window.setTimeout(poll, POLL_MS); });
  }

  updateTimes();
  poll();
})();
"""

ICON = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#17202b"/>
<path d="M16 6 L27 26 H5 Z" fill="none" stroke="#2f6fde" stroke-width="3"/></svg>
"""
