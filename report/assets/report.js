/* report.js — n2g report pages (index and neuron pages). No external requests; data
 * arrives as <script> files / inline scripts (file:// pages cannot fetch()). Every string
 * from the run is put into the page with textContent, never as markup. */
"use strict";
var N2G = (function () {
  var ESC0 = "\ue000", ESC1 = "\ue001";
  var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  var B64I = new Int32Array(128).fill(-1);
  for (var i = 0; i < 64; i++) B64I[B64.charCodeAt(i)] = i;
  var PAGE = 100;

  /* ---- errors: shown on the page as well as in the console ---- */
  function showError(msg) {
    var b = document.getElementById("n2g-errors");
    if (!b && document.body) {
      b = el("pre", "errors");
      b.id = "n2g-errors";
      document.body.insertBefore(b, document.body.firstChild);
    }
    if (b) b.textContent += msg + "\n";
  }
  window.addEventListener("error", function (e) {
    showError("error: " + (e.message || "resource failed to load") + (e.filename ? " (" + e.filename + ":" + e.lineno + ")" : ""));
  });

  /* ---- DOM helpers ---- */
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  /* A display string: plain text, with escapes (between U+E000 and U+E001) as styled spans. */
  function putText(parent, s) {
    var i = 0;
    while (i < s.length) {
      var a = s.indexOf(ESC0, i);
      if (a < 0) { parent.appendChild(document.createTextNode(s.slice(i))); break; }
      if (a > i) parent.appendChild(document.createTextNode(s.slice(i, a)));
      var b = s.indexOf(ESC1, a);
      if (b < 0) b = s.length;
      add(parent, el("span", "esc", s.slice(a + 1, b)));
      i = b + 1;
    }
    return parent;
  }
  function plain(s) { return s.split(ESC0).join("").split(ESC1).join(""); }
  function fmt(v, d) {
    if (v === null || v === undefined || typeof v !== "number" || !isFinite(v)) return "–";
    return d < 0 ? String(v) : v.toFixed(d);
  }
  function neuronHref(prefix, layer, neuron) { return prefix + "neurons/" + (layer | 0) + "_" + (neuron | 0) + ".html"; }
  function link(href, text) { var a = el("a", null, text); a.href = href; return a; }
  function loadScript(src) {
    var s = document.createElement("script");
    s.src = src;
    s.onerror = function () { showError("error: cannot load " + src); };
    document.head.appendChild(s);
  }
  function pad(n, w) { var s = String(n); while (s.length < w) s = "0" + s; return s; }
  function section(parent, title, id) {
    var s = add(parent, el("section"));
    if (id) s.id = id;
    add(s, el("h2", null, title));
    return s;
  }
  /* a JSON object arrives as [[key, value], ...] pairs */
  function isPairs(v) { return Array.isArray(v) && v.every(function (p) { return Array.isArray(p) && p.length === 2 && typeof p[0] === "string"; }); }
  function flatten(v, prefix, out) {
    if (isPairs(v) && v.length) v.forEach(function (p) { flatten(p[1], prefix ? prefix + "." + p[0] : p[0], out); });
    else if (Array.isArray(v) && v.some(function (x) { return Array.isArray(x); }))
      v.forEach(function (x, i) { flatten(x, prefix + "[" + i + "]", out); });
    else out.push([prefix, v]);
    return out;
  }
  function putValue(td, v) {
    if (typeof v === "string") putText(td, v);
    else if (Array.isArray(v)) {
      td.appendChild(document.createTextNode("["));
      v.forEach(function (x, i) { if (i) td.appendChild(document.createTextNode(", ")); putValue(td, x); });
      td.appendChild(document.createTextNode("]"));
    }
    else td.appendChild(document.createTextNode(v === null ? "null" : String(v)));
  }

  /* ---- colours ---- */
  function colour(a, max) {
    if (!(max > 0) || !isFinite(a)) return "";
    var t = Math.min(1, Math.abs(a) / max), c = Math.round(255 * (1 - t));
    return a >= 0 ? "rgb(255," + c + "," + c + ")" : "rgb(" + c + "," + c + ",255)";
  }

  /* ---- search key and bucket hash (same as report_esc.c) ---- */
  function searchKey(q) {
    var t = q.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, "");
    if (!t) t = q;
    return t.replace(/[A-Z]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) + 32); });
  }
  function fnv1a(s) {
    var b = new TextEncoder().encode(s), h = 2166136261;
    for (var i = 0; i < b.length; i++) { h ^= b[i]; h = Math.imul(h, 16777619) >>> 0; }
    return h >>> 0;
  }

  /* ================= index page ================= */
  var ix = null;

  function indexPage(d) {
    ix = { d: d, chunks: [], got: 0, rows: null, sortKey: 2, sortDir: -1, page: 0, buckets: {}, pending: null };
    var app = document.getElementById("app");
    app.textContent = "";
    var h = add(app, el("header"));
    add(h, el("h1", null, "n2g report"));
    if (d.title) putText(add(h, el("p", "subtitle")), d.title);

    var m = section(app, "Run", "manifest");
    var rows = flatten(d.manifest || [], "", []);
    if (!rows.length) add(m, el("p", "muted", "no manifest"));
    else {
      var t = add(m, el("table", "kv"));
      rows.forEach(function (r) {
        var tr = add(t, el("tr"));
        putText(add(tr, el("th")), r[0]);
        putValue(add(tr, el("td")), r[1]);
      });
    }

    var L = section(app, "Per-layer scores (firing class, test tokens)", "layers");
    if (!d.layers.length) add(L, el("p", "muted", "no stats.json in this run"));
    else {
      var lt = add(L, el("table", "num"));
      var hr = add(add(lt, el("thead")), el("tr"));
      var hasTok = d.layers.some(function (r) { return "tokF1" in r; }), hasNg = d.layers.some(function (r) { return "ngramF1" in r; });
      var cols = ["layer", "neurons", "with firing tokens", "precision", "recall", "F1"];
      if (hasTok) cols.push("token-lookup F1");
      if (hasNg) cols.push("n-gram F1");
      cols.forEach(function (c) { add(hr, el("th", null, c)); });
      var tb = add(lt, el("tbody"));
      d.layers.forEach(function (r) {
        var tr = add(tb, el("tr"));
        var v = [r.layer, r.neurons, r.eligible, fmt(r.p, 3), fmt(r.r, 3), fmt(r.f1, 3)];
        if (hasTok) v.push(fmt(r.tokF1, 3));
        if (hasNg) v.push(fmt(r.ngramF1, 3));
        v.forEach(function (c) { add(tr, el("td", null, c)); });
      });
    }

    var S = section(app, "Search the neuron store", "search-section");
    var inp = add(S, el("input"));
    inp.id = "search";
    inp.type = "search";
    inp.placeholder = "a token (e.g.  the  or  Paris) or a neuron (3:17)";
    inp.autocomplete = "off";
    add(S, el("p", "muted", "Neurons whose graphs hold the token as an activating token or as important context (case and surrounding spaces ignored)."));
    var res = add(S, el("div"));
    res.id = "search-results";
    var timer = 0;
    inp.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { search(inp.value); }, 80); });

    var N = section(app, "Neurons", "neurons-section");
    var st = add(N, el("p", "muted", "loading " + d.neurons + " neurons…"));
    st.id = "neuron-status";
    var nt = add(N, el("table", "num sortable"));
    nt.id = "neurons";
    var pg = add(N, el("div", "pager"));
    pg.id = "pager";
    if (!d.chunks) finishRows();
    for (var c = 0; c < d.chunks; c++) loadScript("data/neurons-" + pad(c, 3) + ".js");
  }

  function neuronChunk(c, rows) {
    if (!ix || ix.chunks[c]) return;
    ix.chunks[c] = rows;
    ix.got++;
    document.getElementById("neuron-status").textContent = "loaded " + ix.got + " / " + ix.d.chunks + " parts…";
    if (ix.got === ix.d.chunks) finishRows();
  }

  function finishRows() {
    ix.rows = [].concat.apply([], ix.chunks);
    ix.byId = {};
    ix.rows.forEach(function (r) { ix.byId[r[0] + "_" + r[1]] = r; });
    document.getElementById("neuron-status").textContent = ix.rows.length + " neurons. Click a column to sort.";
    sortRows();
    renderTable();
    document.body.dataset.ready = "1";
    document.body.dataset.readyMs = String(Math.round(performance.now()));
    if (ix.lastQuery !== undefined) search(ix.lastQuery);
  }

  var COLS = [["neuron", -1], ["layer", 0], ["F1", 2], ["precision", 3], ["recall", 4], ["max act", 5], ["count", 6]];

  function sortRows() {
    var k = ix.sortKey, dir = ix.sortDir;
    ix.rows.sort(function (a, b) {
      var x = a[k], y = b[k];
      var xn = x === null || x === undefined, yn = y === null || y === undefined;
      if (xn || yn) { if (xn && yn) return a[0] - b[0] || a[1] - b[1]; return xn ? 1 : -1; }
      return (x - y) * dir || a[0] - b[0] || a[1] - b[1];
    });
  }

  function renderTable() {
    var t = document.getElementById("neurons");
    t.textContent = "";
    var hr = add(add(t, el("thead")), el("tr"));
    COLS.forEach(function (c) {
      var th = add(hr, el("th"));
      if (c[1] < 0) { th.textContent = c[0]; return; }
      var b = add(th, el("button", "sort", c[0] + (ix.sortKey === c[1] ? (ix.sortDir < 0 ? " ▼" : " ▲") : "")));
      b.dataset.key = String(c[1]);
      b.addEventListener("click", function () {
        if (ix.sortKey === c[1]) ix.sortDir = -ix.sortDir;
        else { ix.sortKey = c[1]; ix.sortDir = c[1] === 0 ? 1 : -1; }
        ix.page = 0;
        sortRows();
        renderTable();
      });
    });
    var tb = add(t, el("tbody"));
    var start = ix.page * PAGE, end = Math.min(ix.rows.length, start + PAGE);
    for (var i = start; i < end; i++) {
      var r = ix.rows[i], tr = add(tb, el("tr"));
      add(add(tr, el("td")), link(neuronHref("", r[0], r[1]), r[0] + ":" + r[1]));
      [r[0], fmt(r[2], 3), fmt(r[3], 3), fmt(r[4], 3), fmt(r[5], 3), fmt(r[6], -1)].forEach(function (v) { add(tr, el("td", null, v)); });
    }
    var pg = document.getElementById("pager");
    pg.textContent = "";
    var pages = Math.max(1, Math.ceil(ix.rows.length / PAGE));
    var prev = add(pg, el("button", null, "◀ previous"));
    prev.disabled = ix.page === 0;
    prev.addEventListener("click", function () { ix.page--; renderTable(); });
    add(pg, el("span", null, " page " + (ix.page + 1) + " of " + pages + " "));
    var next = add(pg, el("button", null, "next ▶"));
    next.disabled = ix.page + 1 >= pages;
    next.addEventListener("click", function () { ix.page++; renderTable(); });
  }

  function search(q) {
    var res = document.getElementById("search-results");
    ix.lastQuery = q;
    res.textContent = "";
    res.dataset.state = "";
    if (!q) return;
    var m = /^\s*(\d+)\s*[:_]\s*(\d+)\s*$/.exec(q);
    if (m && ix.byId && ix.byId[(+m[1]) + "_" + (+m[2])]) {
      var hd = add(res, el("div", "hit"));
      hd.appendChild(document.createTextNode("neuron "));
      var na = add(hd, link(neuronHref("", m[1], m[2]), (+m[1]) + ":" + (+m[2])));
      na.className = "neuron";
    }
    if (!ix.d.buckets) { add(res, el("p", "muted", "this run has no neuron store")); res.dataset.state = "done"; return; }
    var key = searchKey(q), b = fnv1a(key) % ix.d.buckets;
    res.dataset.state = "loading";
    if (!ix.buckets[b]) {
      ix.pending = { b: b, q: q };
      if (!ix.buckets["loading" + b]) { ix.buckets["loading" + b] = true; loadScript("data/store-" + pad(b, 3) + ".js"); }
      return;
    }
    var hits = ix.buckets[b].filter(function (e) { return e[0] === key; });
    if (!hits.length) add(res, el("p", "muted", "no neuron holds this token"));
    hits.forEach(function (e) {
      var div = add(res, el("div", "hit"));
      putText(add(div, el("span", "tok")), e[1]);
      add(div, el("span", "kind", e[2] === 0 ? " activating in " : " important context in "));
      add(div, el("span", "count", e[3].length + " neuron" + (e[3].length === 1 ? "" : "s") + ": "));
      e[3].forEach(function (id) {
        var p = id.split("_"), r = ix.byId && ix.byId[id];
        if (r) {
          var a = add(div, link(neuronHref("", p[0], p[1]), p[0] + ":" + p[1]));
          a.className = "neuron";
          a.title = "F1 " + fmt(r[2], 3) + ", max act " + fmt(r[5], 3);
        } else add(div, el("span", "neuron muted", p[0] + ":" + p[1]));
        div.appendChild(document.createTextNode(" "));
      });
    });
    res.dataset.state = "done";
  }

  function storeChunk(b, entries) {
    if (!ix) return;
    ix.buckets[b] = entries;
    if (ix.pending && ix.pending.b === b && ix.lastQuery === ix.pending.q) { ix.pending = null; search(ix.lastQuery); }
  }

  /* ================= neuron page ================= */
  var VOCAB = [], rowFiles = {}, rowWaiters = {};
  function vocab(v) { VOCAB = v; }
  function rowChunk(c, rows) {
    rowFiles[c] = rows;
    (rowWaiters[c] || []).forEach(function (f) { f(); });
    delete rowWaiters[c];
  }
  function withRowFile(c, cb) {
    if (rowFiles[c]) return cb();
    if (!rowWaiters[c]) { rowWaiters[c] = []; loadScript("../data/rows/" + pad(c, 5) + ".js"); }
    rowWaiters[c].push(cb);
  }
  function decodeTokens(t, tw, into, at) {
    var unk = Math.pow(64, tw) - 1;
    for (var j = 0; j * tw < t.length; j++) {
      var v = 0;
      for (var k = 0; k < tw; k++) v = v * 64 + B64I[t.charCodeAt(j * tw + k)];
      into[at + j] = v === unk ? -1 : v;
    }
  }
  /* tokens: ids (undefined outside the inline window until the row file is loaded) */
  function decodeSeq(d, s) {
    var toks = new Array(s.n), acts = null;
    decodeTokens(s.t, d.tw, toks, s.o);
    if (typeof s.v === "string") {
      acts = new Float64Array(s.n);
      for (var j2 = 0; j2 < s.n; j2++) {
        var o = j2 * 3;
        var q = (B64I[s.v.charCodeAt(o)] * 64 + B64I[s.v.charCodeAt(o + 1)]) * 64 + B64I[s.v.charCodeAt(o + 2)];
        acts[j2] = (q - d.qmax) / d.qmax * d.scale;
      }
    }
    return { toks: toks, acts: acts, lo: s.o, hi: s.o + s.t.length / d.tw };
  }
  function tokenText(id) { return id >= 0 && id < VOCAB.length ? VOCAB[id] : null; }

  /* Renders tokens [a, b) of a decoded sequence. */
  function renderTokens(box, seq, s, a, b, max) {
    for (var j = a; j < b; j++) {
      var id = seq.toks[j], txt = tokenText(id), span = add(box, el("span", "tok"));
      var val = seq.acts ? seq.acts[j] : (j === s.p ? s.a : null);
      if (txt !== null) putText(span, txt);
      else add(span, el("span", "esc", "<unknown id>"));
      if (val !== null) span.style.backgroundColor = colour(val, max);
      if (j === s.p) span.className = "tok maxtok";
      span.title = "id " + id + "  |  " + JSON.stringify(txt !== null ? plain(txt) : "?") +
        "  |  " + (val === null ? "activation not recorded" : (j === s.p && s.a !== null ? s.a : val).toFixed(4));
      span.dataset.pos = String(j);
    }
  }

  function renderExample(parent, d, s, k, max) {
    var seq = decodeSeq(d, s);
    var box = add(parent, el("div", "example"));
    var head = add(box, el("div", "exhead"));
    head.textContent = "#" + (k + 1) + "  max act " + fmt(s.a, 4) + (s.p >= 0 ? " at token " + s.p : "") +
      (s.r >= 0 ? " (row " + s.r + ")" : "") + ", " + s.n + " tokens";
    var toks = add(box, el("div", "tokens"));
    var cut = seq.lo > 0 || seq.hi < s.n;
    function draw(full) {
      toks.textContent = "";
      var a = full ? 0 : seq.lo, b = full ? s.n : seq.hi;
      if (a > 0) add(toks, el("span", "cut", "… " + a + " tokens "));
      renderTokens(toks, seq, s, a, b, max);
      if (b < s.n) add(toks, el("span", "cut", " … " + (s.n - b) + " tokens"));
    }
    draw(false);
    if (cut) {
      var btn = add(head, el("button", "expand", "show all " + s.n + " tokens"));
      var full = false;
      btn.addEventListener("click", function () {
        full = !full;
        btn.textContent = full ? "cut around the max" : "show all " + s.n + " tokens";
        if (!full) return draw(false);
        withRowFile(s.c, function () {
          var t = rowFiles[s.c][String(s.r)];
          if (typeof t !== "string") { showError("error: row " + s.r + " missing from its row file"); return; }
          decodeTokens(t, d.tw, seq.toks, 0);
          if (full) draw(true);
          box.dataset.expanded = "1";
        });
      });
    }
  }

  var SVG_OK = { svg: 1, g: 1, title: 1, desc: 1, polygon: 1, polyline: 1, path: 1, ellipse: 1, circle: 1, rect: 1, line: 1, text: 1, tspan: 1, defs: 1, marker: 1 };
  /* Parses SVG text and keeps only drawing elements and inert attributes. */
  function safeSvg(text) {
    var doc = new DOMParser().parseFromString(text, "image/svg+xml");
    var root = doc.documentElement;
    if (!root || root.localName !== "svg" || doc.getElementsByTagName("parsererror").length) return null;
    (function clean(node) {
      for (var c = node.firstChild; c;) {
        var next = c.nextSibling;
        if (c.nodeType === 1) {
          if (!SVG_OK[c.localName]) node.removeChild(c);
          else clean(c);
        } else if (c.nodeType !== 3) node.removeChild(c);
        c = next;
      }
      if (node.attributes) {
        for (var i = node.attributes.length - 1; i >= 0; i--) {
          var a = node.attributes[i], n = a.name.toLowerCase();
          if (n.indexOf("on") === 0 || n === "style" || ((n === "href" || n === "xlink:href") && a.value.charAt(0) !== "#") || /url\s*\(/i.test(a.value))
            node.removeAttribute(a.name);
        }
      }
    })(root);
    return document.importNode(root, true);
  }

  function neuronPage(d) {
    var app = document.getElementById("app");
    app.textContent = "";
    var h = add(app, el("header"));
    var nav = add(h, el("nav"));
    add(nav, link("../index.html", "◀ index"));
    if (d.prev) { nav.appendChild(document.createTextNode("  ")); add(nav, link(neuronHref("../", d.prev[0], d.prev[1]), "‹ " + d.prev[0] + ":" + d.prev[1])); }
    if (d.next) { nav.appendChild(document.createTextNode("  ")); add(nav, link(neuronHref("../", d.next[0], d.next[1]), d.next[0] + ":" + d.next[1] + " ›")); }
    add(h, el("h1", null, "Neuron " + d.layer + ":" + d.neuron));
    add(h, el("p", "subtitle", "blocks." + d.layer + ".mlp.hook_post, neuron " + d.neuron));
    var max = typeof d.max === "number" && d.max > 0 ? d.max : d.scale;

    var g = section(app, "Graph", "graph");
    var gbox = add(g, el("div", "graphbox"));
    var svg = d.svg ? safeSvg(d.svg) : null;
    if (svg) gbox.appendChild(svg);
    else add(gbox, el("p", "muted", d.svg ? "the graph picture could not be read" : "no graph for this neuron"));

    var ex = section(app, "Max-activating examples", "examples");
    add(ex, el("p", "muted", "Colour: activation / max activation (red positive, blue negative). Hover a token for its id, string and value; the max token is outlined."));
    if (!d.examples.length) add(ex, el("p", "muted", "no examples"));
    d.examples.forEach(function (s, k) { renderExample(ex, d, s, k, max); });
    var sc = section(app, "Scores", "scores");
    var kv = add(sc, el("table", "kv"));
    [["max activation", fmt(d.max, 4)], ["positions scanned", fmt(d.count, -1)], ["mean activation", fmt(d.mean, 4)]].forEach(function (r) {
      var tr = add(kv, el("tr"));
      add(tr, el("th", null, r[0]));
      add(tr, el("td", null, r[1]));
    });
    if (!d.stats) add(sc, el("p", "muted", "no evaluation (stats.json has no entry for this neuron)"));
    else if (isPairs(d.stats)) {
      var rt = add(sc, el("table", "num"));
      var hr = add(add(rt, el("thead")), el("tr"));
      ["", "precision", "recall", "F1", "support"].forEach(function (c) { add(hr, el("th", null, c)); });
      var tb = add(rt, el("tbody"));
      d.stats.forEach(function (p) {
        var tr = add(tb, el("tr"));
        var label = p[0] === "1" || p[0] === "True" ? "firing" : p[0] === "0" || p[0] === "False" ? "not firing" : p[0];
        putText(add(tr, el("th")), label);
        if (isPairs(p[1])) {
          var o = {};
          p[1].forEach(function (q) { o[q[0]] = q[1]; });
          [fmt(o.precision, 3), fmt(o.recall, 3), fmt(o["f1-score"], 3), fmt(o.support, -1)].forEach(function (c) { add(tr, el("td", null, c)); });
        } else {
          var td = add(tr, el("td"));
          td.colSpan = 4;
          td.textContent = typeof p[1] === "number" ? fmt(p[1], 4) : String(p[1]);
        }
      });
    }


    [["pruned", "Pruned training samples"], ["augmented", "Augmented training samples"]].forEach(function (p) {
      var sec = section(app, p[1], p[0]);
      var list = d[p[0]];
      if (!list.length) { add(sec, el("p", "muted", "none")); return; }
      list.forEach(function (s, k) {
        var seq = decodeSeq(d, s), box = add(sec, el("div", "example sample"));
        var smax = 0;
        if (seq.acts) for (var j = 0; j < seq.acts.length; j++) smax = Math.max(smax, Math.abs(seq.acts[j]));
        add(box, el("span", "exhead", "#" + (k + 1) + " "));
        renderTokens(add(box, el("span", "tokens")), seq, s, 0, s.n, max > 0 ? max : smax);
      });
    });
    document.body.dataset.ready = "1";
    document.body.dataset.readyMs = String(Math.round(performance.now()));
  }

  return { indexPage: indexPage, neuronChunk: neuronChunk, storeChunk: storeChunk, neuronPage: neuronPage, vocab: vocab,
    rowChunk: rowChunk, searchKey: searchKey, fnv1a: fnv1a };
})();
