#!/usr/bin/env python3
"""test_report_browser.py — the report site in a real browser (headless Chromium, file://).

Used by tests/test_report_browser.sh (ctest) and bench/bench_report.sh. Stdlib only.

  check SITE --neuron L_N --token TOK [--hostile]     in-page checks; exit 1 on any failure
  screenshot SITE/neurons/L_N.html OUT.png           screenshot + PNG decode + colour count
  selftest DIR                                       the checker must catch a JS error and a failed check
  opentime SITE [--runs N]                           index open time (ms, in-page) as JSON

Console errors: Chromium runs with --enable-logging=stderr --v=0, which logs every console
message (console.error, uncaught exceptions, CSP violations, failed loads) of every frame as a
"CONSOLE" line; the report's pages log nothing, so any such line fails the check."""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HARNESS = r"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>n2g report test harness</title></head>
<body><pre id="result">RUNNING</pre>
<script>
"use strict";
var CFG = __CFG__;
var out = [], fails = 0;
function ok(cond, msg) { out.push((cond ? "ok   " : "FAIL ") + msg); if (!cond) fails++; }
window.onerror = function (m) { ok(false, "harness error: " + m); finish(); };
function finish() { document.getElementById("result").textContent = (fails ? "FAILED " + fails : "PASSED") + "\n" + out.join("\n"); document.body.dataset.done = "1"; }
function frame(src, ready, cb) {
  var f = document.createElement("iframe");
  f.style.width = "1200px"; f.style.height = "800px";
  f.src = src;
  document.body.appendChild(f);
  var t0 = Date.now();
  (function poll() {
    var d = null;
    try { d = f.contentDocument; } catch (e) { ok(false, "cannot access frame " + src + ": " + e); return finish(); }
    if (d && d.body && ready(d)) return cb(f.contentWindow, d);
    if (Date.now() - t0 > 20000) { ok(false, "timeout waiting for " + src); return finish(); }
    setTimeout(poll, 25);
  })();
}
function until(cond, cb, what) {
  var t0 = Date.now();
  (function poll() {
    if (cond()) return cb();
    if (Date.now() - t0 > 20000) { ok(false, "timeout: " + what); return finish(); }
    setTimeout(poll, 25);
  })();
}
function noErrors(d, what) {
  var e = d.getElementById("n2g-errors");
  ok(!e, what + ": no error banner" + (e ? " (" + e.textContent + ")" : ""));
}
function pwned(w, d, what) {
  ok(w.PWNED === undefined && window.PWNED === undefined, what + ": no injected script ran (PWNED " + w.PWNED + ")");
  ok(d.title.indexOf("PWNED") < 0, what + ": title untouched");
  ok(d.querySelectorAll("#app script, #app img, #app iframe, #app foreignObject").length === 0, what + ": no script/img/iframe elements from data");
  var bad = 0;
  d.querySelectorAll("#app *").forEach(function (n) { for (var i = 0; i < n.attributes.length; i++) if (/^on/i.test(n.attributes[i].name)) bad++; });
  ok(bad === 0, what + ": no event-handler attributes");
}

function checkIndex(next) {
  frame("index.html", function (d) { return d.body.dataset.ready === "1"; }, function (w, d) {
    noErrors(d, "index");
    ok(d.querySelectorAll("#manifest tr").length > 3, "index: manifest table shown");
    (CFG.indexVisible || []).forEach(function (t) { ok(d.getElementById("manifest").textContent.indexOf(t) >= 0, "index: manifest shows " + JSON.stringify(t) + " visibly"); });
    if (CFG.layerCols) ok(d.querySelectorAll("#layers thead th").length === CFG.layerCols, "index: per-layer table has " + CFG.layerCols + " columns (baselines included)");
    ok(d.querySelectorAll("#layers tbody tr").length === CFG.layers, "index: one per-layer row per layer (" + d.querySelectorAll("#layers tbody tr").length + ")");
    var rows = d.querySelectorAll("#neurons tbody tr");
    ok(rows.length === Math.min(100, CFG.neurons), "index: neuron table page shows " + rows.length + " rows");
    // sort by max act descending, then check order
    var btn = d.querySelector("#neurons button[data-key='5']");
    ok(!!btn, "index: max-act sort button");
    btn.click();
    var vals = Array.prototype.map.call(d.querySelectorAll("#neurons tbody tr td:nth-child(6)"), function (td) { return parseFloat(td.textContent); });
    var sorted = vals.every(function (v, i) { return i === 0 || vals[i - 1] >= v; });
    ok(vals.length > 1 && sorted, "index: sorted by max act, descending (" + vals.slice(0, 4).join(", ") + " …)");
    d.querySelector("#neurons button[data-key='0']").click();
    var lay = Array.prototype.map.call(d.querySelectorAll("#neurons tbody tr td:nth-child(2)"), function (td) { return +td.textContent; });
    ok(lay.every(function (v, i) { return i === 0 || lay[i - 1] <= v; }), "index: sorted by layer, ascending");
    d.querySelector("#neurons button[data-key='2']").click();
    var f1 = Array.prototype.map.call(d.querySelectorAll("#neurons tbody tr td:nth-child(3)"), function (td) { return parseFloat(td.textContent); }).filter(function (v) { return !isNaN(v); });
    ok(f1.length > 1 && f1.every(function (v, i) { return i === 0 || f1[i - 1] >= v; }), "index: sorted by F1, descending");
    var inp = d.getElementById("search");
    var res = d.getElementById("search-results");
    var queries = CFG.searches.slice();
    (function nextQuery() {
      if (!queries.length) { if (CFG.hostile) pwned(w, d, "index"); noErrors(d, "index after search"); return next(); }
      var q = queries.shift();
      inp.value = q[0];
      res.dataset.state = "stale";
      inp.dispatchEvent(new Event("input"));
      until(function () { return res.dataset.state === "done"; }, function () {
        var links = Array.prototype.map.call(res.querySelectorAll("a.neuron"), function (a) { return a.getAttribute("href"); });
        var want = "neurons/" + q[1] + ".html";
        ok(links.indexOf(want) >= 0, "search " + JSON.stringify(q[0]) + " finds " + q[1] + " (links: " + links.slice(0, 6).join(" ") + ")");
        if (q[2]) ok(res.textContent.indexOf(q[2]) >= 0, "search " + JSON.stringify(q[0]) + " shows the token visibly as " + JSON.stringify(q[2]));
        nextQuery();
      }, "search results for " + q[0]);
    })();
  });
}

function checkNeuron(id, next) {
  frame("neurons/" + id + ".html", function (d) { return d.body.dataset.ready === "1"; }, function (w, d) {
    noErrors(d, "neuron " + id);
    var toks = d.querySelectorAll("#examples .tok");
    ok(toks.length > 0, "neuron " + id + ": " + toks.length + " example tokens");
    var maxs = d.querySelectorAll("#examples .maxtok");
    ok(maxs.length === CFG.examples, "neuron " + id + ": one max token per example (" + maxs.length + ")");
    if (CFG.maxText !== null)
      ok(Array.prototype.every.call(maxs, function (m) { return m.textContent === CFG.maxText; }), "neuron " + id + ": max tokens read " + JSON.stringify(CFG.maxText));
    var coloured = Array.prototype.filter.call(toks, function (t) { return t.style.backgroundColor && t.style.backgroundColor !== "rgb(255, 255, 255)"; });
    ok(coloured.length >= maxs.length, "neuron " + id + ": coloured tokens " + coloured.length);
    var m0 = maxs[0];
    ok(m0 && /^id \d+  \|  ".*"  \|  -?\d+\.\d{4}$/.test(m0.title), "neuron " + id + ": hover shows id, string, value (" + (m0 && m0.title) + ")");
    var svg = d.querySelector("#graph svg");
    ok(!!svg && svg.querySelectorAll("text").length > 0, "neuron " + id + ": inline SVG graph with text");
    ok(!!d.querySelector("#scores table"), "neuron " + id + ": scores table");
    if (CFG.samples && CFG.samples[id]) {
      var np = d.querySelectorAll("#pruned .sample").length, na = d.querySelectorAll("#augmented .sample").length;
      ok(np === CFG.samples[id][0] && na === CFG.samples[id][1], "neuron " + id + ": " + np + " pruned and " + na + " augmented samples");
      var last = d.querySelectorAll("#pruned .sample")[0].querySelectorAll(".tok");
      var lt = last[last.length - 1];
      ok(lt && lt.textContent === CFG.maxText && /  \|  8\.0000$/.test(lt.title), "neuron " + id + ": pruned sample ends at the planted token, value x base_max (" + (lt && lt.title) + ")");
    }
    var ex0 = d.querySelector("#examples .example");
    var btn = ex0 && ex0.querySelector("button.expand");
    function hostileChecks() {
      if (CFG.hostile) {
        pwned(w, d, "neuron " + id + " expanded");
        var text = d.getElementById("app").textContent;
        CFG.visible.forEach(function (s) { ok(text.indexOf(s) >= 0, "neuron " + id + ": shows " + JSON.stringify(s) + " visibly"); });
        var escs = Array.prototype.map.call(d.querySelectorAll("#examples .esc"), function (e) { return e.textContent; });
        CFG.escapes.forEach(function (s) { ok(escs.indexOf(s) >= 0, "neuron " + id + ": escape " + JSON.stringify(s) + " shown as a marked span"); });
        ok(svg && svg.querySelectorAll("script, foreignObject").length === 0, "neuron " + id + ": SVG sanitised");
      }
      if (CFG.fireTokens && CFG.fireTokens[id]) {
        // planted ground truth: a token fires (activation >= 0.5 x max) iff its string is in the set
        var want = CFG.fireTokens[id], toks = d.querySelectorAll("#examples .tok"), wrong = [], firing = 0;
        var mx = parseFloat(d.querySelector("#examples .maxtok").title.split("  |  ")[2]);
        toks.forEach(function (t) {
          var parts = t.title.split("  |  "), v = parseFloat(parts[2]), txt = JSON.parse(parts[1]);
          var fires = v >= 0.5 * mx, should = want.indexOf(txt) >= 0;
          if (fires) firing++;
          if (fires !== should && wrong.length < 5) wrong.push(JSON.stringify(txt) + "=" + v);
        });
        ok(toks.length === CFG.examples * CFG.ctx && wrong.length === 0 && firing >= CFG.examples,
           "neuron " + id + ": per-token activations match the planted rule on all " + toks.length + " tokens (" + firing + " firing; wrong: " + wrong.join(", ") + ")");
      }
      noErrors(d, "neuron " + id + " at the end");
      next();
    }
    if (CFG.hostile) pwned(w, d, "neuron " + id);
    if (!CFG.expand) return hostileChecks();
    ok(!!btn, "neuron " + id + ": long example has an expand control");
    if (!btn) return hostileChecks();
    var before = ex0.querySelectorAll(".tok").length;
    btn.click();
    until(function () { return ex0.dataset.expanded === "1"; }, function () {
      var after = ex0.querySelectorAll(".tok").length;
      ok(after > before && after === CFG.ctx, "neuron " + id + ": expand shows all tokens (" + before + " -> " + after + ")");
      ok(ex0.querySelectorAll(".maxtok").length === 1, "neuron " + id + ": max token still marked after expand");
      btn.click();
      ok(ex0.querySelectorAll(".tok").length === before, "neuron " + id + ": collapse again");
      // expand every example (hostile strings anywhere in the rows become visible)
      var all = Array.prototype.slice.call(d.querySelectorAll("#examples .example"));
      all.forEach(function (e) { var b = e.querySelector("button.expand"); if (b) b.click(); });
      until(function () { return all.every(function (e) { return !e.querySelector("button.expand") || e.dataset.expanded === "1"; }); },
        hostileChecks, "all examples expanded on " + id);
    }, "expand of " + id);
  });
}

var steps = [];
if (CFG.index) steps.push(checkIndex);
CFG.pages.forEach(function (id) { steps.push(function (next) { checkNeuron(id, next); }); });
if (CFG.forceFail) steps.push(function (next) { ok(false, "forced failure (self-test)"); next(); });
(function run() { var s = steps.shift(); if (!s) return finish(); s(run); })();
</script></body></html>
"""

CHROME_FLAGS = ["--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
                "--no-first-run", "--disable-extensions", "--hide-scrollbars", "--mute-audio"]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    sys.exit("test_report_browser: no chromium found (apt-get install -y chromium)")


def run_chrome(args, timeout=120):
    with tempfile.TemporaryDirectory(prefix="n2g-chrome-") as prof:
        cmd = [chromium()] + CHROME_FLAGS + ["--user-data-dir=" + prof] + args
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def console_lines(stderr):
    return [l for l in stderr.splitlines() if ":CONSOLE" in l]


def check(site, cfg, budget=30000):
    """Runs the harness in SITE; returns (passed, report text, console lines)."""
    path = os.path.join(site, "__n2g_test_harness.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(HARNESS.replace("__CFG__", json.dumps(cfg).replace("<", "\\u003c")))
    try:
        dom, err = run_chrome(["--allow-file-access-from-files", "--virtual-time-budget=%d" % budget,
                               "--run-all-compositor-stages-before-draw", "--dump-dom", "file://" + os.path.abspath(path)])
    finally:
        os.unlink(path)
    m = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
    text = m.group(1) if m else "no result in the DOM:\n" + dom[:2000]
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    cons = console_lines(err)
    return text.startswith("PASSED") and not cons, text, cons


# ---- PNG decode (stdlib) ----
def png_pixels(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError("unsupported PNG (depth %d, colour type %d)" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        ft = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ft == 1: line[x] = (line[x] + a) & 255
            elif ft == 2: line[x] = (line[x] + b) & 255
            elif ft == 3: line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif ft == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def png_stats(path):
    w, h, bpp, rows = png_pixels(path)
    colours, nonwhite, reddish = set(), 0, 0
    for r in rows:
        for x in range(0, w * bpp, bpp):
            px = r[x:x + 3]
            colours.add(px)
            if px != b"\xff\xff\xff":
                nonwhite += 1
            if px[0] > 200 and px[1] < 200 and px[2] < 200:
                reddish += 1
    return {"width": w, "height": h, "colours": len(colours), "nonwhite_frac": nonwhite / float(w * h), "reddish": reddish}


def screenshot(page, out_png, size="1200,900"):
    _, err = run_chrome(["--window-size=" + size, "--virtual-time-budget=5000", "--run-all-compositor-stages-before-draw", "--screenshot=" + os.path.abspath(out_png),
                         "file://" + os.path.abspath(page)])
    if not os.path.exists(out_png):
        raise RuntimeError("no screenshot written:\n" + err[-2000:])
    return png_stats(out_png), console_lines(err)


def opentime(site, runs=3, page="index.html"):
    """In-page time from navigation start to the page being ready (ms; for the index: the neuron
    table loaded, sorted and drawn), and the whole Chromium process's wall time."""
    res = []
    for _ in range(runs):
        t0 = time.time()
        dom, err = run_chrome(["--virtual-time-budget=60000", "--dump-dom", "file://" + os.path.abspath(os.path.join(site, page))])
        wall = time.time() - t0
        m = re.search(r'data-ready-ms="(\d+)"', dom)
        res.append({"ready_ms": int(m.group(1)) if m else None, "wall_s": round(wall, 3), "console": console_lines(err)})
    return res


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    if a[0] == "check":
        cfg = json.loads(a[2])
        passed, text, cons = check(a[1], cfg)
        print(text)
        for c in cons:
            print("console:", c)
        sys.exit(0 if passed else 1)
    if a[0] == "screenshot":
        st, cons = screenshot(a[1], a[2])
        print(json.dumps(st))
        for c in cons:
            print("console:", c)
        sys.exit(1 if cons else 0)
    if a[0] == "opentime":
        print(json.dumps(opentime(a[1], int(a[2]) if len(a) > 2 else 3, a[3] if len(a) > 3 else "index.html")))
        return
    sys.exit("unknown mode " + a[0])


if __name__ == "__main__":
    main()
