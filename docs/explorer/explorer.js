/* artdl collection explorer: hand-written canvas 2D, no libraries, no network beyond this folder.
 *
 * Data: window.EXPLORER_DATA from data.js (written by artdl.explorer.site). Paintings are drawn
 * from atlas sprite sheets (thumbnail i lives at sheet floor(i / per_sheet), row-major inside it);
 * when a thumbnail would be smaller than a few screen pixels, a coloured square is drawn instead
 * (one path per colour), which keeps 50,000 points fast. A uniform grid over the current layout
 * answers "which painting is under the mouse" without scanning every point.
 * window.explorer exposes the page state for tests and the benchmark.
 */
(function () {
  'use strict';
  const D = window.EXPLORER_DATA;
  const $ = (id) => document.getElementById(id);
  if (!D) { document.body.textContent = 'data.js is missing: rebuild with python -m artdl explore'; return; }
  const N = D.n;
  const LOD_PX = 7;           // below this on-screen size points are coloured squares, not thumbnails
  const ANIM_MS = 750;
  const BG = 0xff161312;      // #121316 as little-endian RGBA
  const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7',
    '#9c755f', '#bab0ac', '#1f77b4', '#17becf', '#bcbd22', '#d62728', '#9467bd', '#8c564b', '#e377c2',
    '#2ca02c', '#ff7f0e', '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2',
    '#dbdb8d', '#9edae5', '#7f7f7f', '#393b79'];

  const canvas = $('map');
  const ctx = canvas.getContext('2d', { alpha: false });
  const layoutNames = Object.keys(D.layouts);
  const S = {
    layout: layoutNames[0], column: D.columns.label ? 'label' : Object.keys(D.columns)[0],
    cur: new Float32Array(2 * N), from: new Float32Array(2 * N), to: new Float32Array(2 * N),
    valid: new Uint8Array(N), size: 0.01, sizeFrom: 0.01, sizeTo: 0.01,
    animStart: 0, animating: false, scale: 1, tx: 0, ty: 0, w: 1, h: 1, dpr: 1,
    hidden: new Set(), matches: null, matchSet: null, selected: -1, rerank: false,
    sheets: [], sheetsLoaded: 0, drawnCount: 0, frames: 0, firstDrawMs: null, thumbsDrawMs: null,
    grid: null, raf: 0, hover: -1, scaled: new Map(), img: null, buf: null, tainted: false,
  };

  // ---------------------------------------------------------------- layout positions
  function layoutXY(name) {
    const xy = D.layouts[name].xy;
    const out = new Float32Array(2 * N);
    const ok = new Uint8Array(N);
    for (let i = 0; i < N; i++) {
      const x = xy[2 * i], y = xy[2 * i + 1];
      if (x !== null && y !== null && isFinite(x) && isFinite(y)) { out[2 * i] = x; out[2 * i + 1] = y; ok[i] = 1; }
    }
    return { xy: out, ok: ok };
  }

  function setLayout(name, animate) {
    if (!D.layouts[name]) throw new Error('unknown layout ' + name);
    const target = layoutXY(name);
    S.from.set(S.cur);
    for (let i = 0; i < N; i++) {          // a point new to the map appears at its target
      if (!S.valid[i]) { S.from[2 * i] = target.xy[2 * i]; S.from[2 * i + 1] = target.xy[2 * i + 1]; }
    }
    S.to.set(target.xy);
    S.valid.set(target.ok);
    S.sizeFrom = S.size; S.sizeTo = D.layouts[name].size;
    S.layout = name;
    S.grid = null;
    document.querySelectorAll('#layouts button').forEach((b) => b.classList.toggle('active', b.dataset.layout === name));
    const missing = N - target.ok.reduce((a, b) => a + b, 0);
    showNotice(missing ? missing + ' painting(s) have no position in the ' + name + ' layout and are not drawn.' : '');
    if (animate === false || S.frames === 0) { S.cur.set(S.to); S.size = S.sizeTo; S.animating = false; }
    else { S.animStart = performance.now(); S.animating = true; }
    requestDraw();
  }

  function stepAnimation(now) {
    if (!S.animating) return;
    let t = Math.min(1, (now - S.animStart) / ANIM_MS);
    t = t < 0.5 ? 4 * t * t * t : 1 - Math.pow(-2 * t + 2, 3) / 2;   // ease in-out
    for (let j = 0; j < 2 * N; j++) S.cur[j] = S.from[j] + (S.to[j] - S.from[j]) * t;
    S.size = S.sizeFrom + (S.sizeTo - S.sizeFrom) * t;
    if (now - S.animStart >= ANIM_MS) { S.cur.set(S.to); S.size = S.sizeTo; S.animating = false; S.grid = null; }
  }

  // ---------------------------------------------------------------- view
  function resize() {
    const r = canvas.getBoundingClientRect();
    S.dpr = window.devicePixelRatio || 1;
    S.w = Math.max(1, r.width); S.h = Math.max(1, r.height);
    canvas.width = Math.round(S.w * S.dpr); canvas.height = Math.round(S.h * S.dpr);
    requestDraw();
  }

  // The whole unit square in view, thumbnails included, beside the side panel when it is open.
  function fit() {
    const m = 16, avail = S.w - ($('panel').hidden ? 0 : $('panel').offsetWidth);
    const side = Math.min(avail - 2 * m, S.h - 2 * m);
    const size = S.animating ? S.sizeTo : S.size;
    S.scale = Math.max(side / (1 + size), 10);
    S.tx = (avail - S.scale) / 2; S.ty = (S.h - S.scale) / 2;
    requestDraw();
  }
  const toScreen = (x, y) => [x * S.scale + S.tx, y * S.scale + S.ty];
  const toWorld = (sx, sy) => [(sx - S.tx) / S.scale, (sy - S.ty) / S.scale];

  // ---------------------------------------------------------------- colours, visibility
  const colourOf = (col, code) => {
    const v = D.columns[col].values[code];
    if (v === 'other' || v === '(unknown)') return '#6b6f76';
    return PALETTE[code % PALETTE.length];
  };
  const codeOf = (i) => D.columns[S.column].codes[i];
  const isShown = (i) => S.valid[i] && !S.hidden.has(codeOf(i));

  // ---------------------------------------------------------------- drawing
  function requestDraw() { if (!S.raf) S.raf = requestAnimationFrame(draw); }

  function draw(now) {
    S.raf = 0;
    stepAnimation(now || performance.now());
    const px = S.size * S.scale * 0.94;
    const thumbs = px >= LOD_PX && S.sheetsLoaded === S.sheets.length;
    const dim = S.matchSet !== null;
    const s = quantise(Math.max(1, Math.round(px * S.dpr)));
    let pixels = !thumbs || (!S.tainted && s <= maxBlit());
    let drawn;
    try {
      drawn = pixels ? drawPixels(s, thumbs, dim) : drawImages(px, dim);
    } catch (err) {           // file:// pages may not read atlas pixels back: draw with drawImage instead
      if (err.name !== 'SecurityError') throw err;
      S.tainted = true; pixels = false;
      drawn = drawImages(px, dim);
    }
    ctx.setTransform(S.dpr, 0, 0, S.dpr, 0, 0);
    if (dim && !pixels) {                              // everything else dimmed, matches on top
      ctx.fillStyle = 'rgba(18, 19, 22, 0.8)';
      ctx.fillRect(0, 0, S.w, S.h);
      drawMatches(px, thumbs);
    }
    if (dim) outlineMatches(px);
    drawSelection(px);
    if (S.layout === 'timeline' && !S.animating) drawTimelineAxes();
    S.drawnCount = drawn;
    S.renderer = !thumbs ? 'squares' : pixels ? 'pixels' : 'images';
    S.frames++;
    if (S.firstDrawMs === null) { S.firstDrawMs = performance.now(); performance.mark('explorer-first-draw'); }
    if (S.sheetsLoaded === S.sheets.length && S.thumbsDrawMs === null) {   // first frame with every atlas in
      S.thumbsDrawMs = performance.now(); performance.mark('explorer-thumbs-draw');
    }
    if (S.animating) requestDraw();
  }

  // Few sizes of pre-scaled atlases are kept, so zooming does not rescale the sheets at every step.
  const quantise = (s) => (s <= 12 ? s : s <= 32 ? 2 * Math.round(s / 2) : 4 * Math.round(s / 4));
  // Largest thumbnail side (device px) drawn by copying pixels: pre-scaled sheets stay under ~128 MB.
  const maxBlit = () => Math.min(64, Math.floor(Math.sqrt(32e6 / D.atlas.sheets) / D.atlas.cols));

  function scaledSheets(s) {
    let hit = S.scaled.get(s);
    if (hit) return hit;
    const a = D.atlas;
    hit = S.sheets.map((img) => {
      const w = Math.round(img.naturalWidth / a.size) * s, h = Math.round(img.naturalHeight / a.size) * s;
      const oc = document.createElement('canvas');
      oc.width = w; oc.height = h;
      const g = oc.getContext('2d', { willReadFrequently: true });
      g.imageSmoothingQuality = 'high';
      g.drawImage(img, 0, 0, w, h);
      return { px: new Uint32Array(g.getImageData(0, 0, w, h).data.buffer), w: w };
    });
    if (S.scaled.size >= 4) S.scaled.delete(S.scaled.keys().next().value);
    S.scaled.set(s, hit);
    return hit;
  }

  function colourInts() {
    return D.columns[S.column].values.map((v, code) => {
      const hex = colourOf(S.column, code);
      const r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16), b = parseInt(hex.slice(5, 7), 16);
      return (0xff000000 | (b << 16) | (g << 8) | r) >>> 0;   // RGBA bytes, little-endian
    });
  }

  // The fast path: every point copied row by row into one ImageData (no per-point canvas call), which
  // is what keeps tens of thousands of thumbnails fast even without a GPU. Search results: the
  // others are drawn, the whole buffer darkened, then the matches drawn on top at full strength.
  function drawPixels(s, thumbs, dim) {
    const W = canvas.width, H = canvas.height;
    if (!S.img || S.img.width !== W || S.img.height !== H) { S.img = new ImageData(W, H); S.buf = new Uint32Array(S.img.data.buffer); }
    const buf = S.buf, colours = colourInts(), codes = D.columns[S.column].codes;
    buf.fill(BG);
    const sheets = thumbs ? scaledSheets(s) : null;
    const cols = D.atlas.cols, per = D.atlas.per_sheet, stripe = thumbs ? Math.max(2, Math.round(s * 0.1)) : 0;
    const k = S.dpr * S.scale, ox = S.tx * S.dpr - s / 2, oy = S.ty * S.dpr - s / 2;
    const put = (i) => {
      const x0 = Math.round(S.cur[2 * i] * k + ox), y0 = Math.round(S.cur[2 * i + 1] * k + oy);
      if (x0 >= W || y0 >= H || x0 + s <= 0 || y0 + s <= 0) return 0;
      const xa = Math.max(0, x0), xb = Math.min(W, x0 + s), ya = Math.max(0, y0), yb = Math.min(H, y0 + s);
      const c = colours[codes[i]];
      if (!thumbs) { for (let y = ya; y < yb; y++) buf.fill(c, y * W + xa, y * W + xb); return 1; }
      const j = i % per, sheet = sheets[(i / per) | 0];
      const sx = (j % cols) * s - x0, sy = ((j / cols) | 0) * s - y0, band = y0 + s - stripe;
      for (let y = ya; y < yb; y++) {
        if (y >= band) { buf.fill(c, y * W + xa, y * W + xb); continue; }
        const so = (y + sy) * sheet.w + sx;
        buf.set(sheet.px.subarray(so + xa, so + xb), y * W + xa);
      }
      return 1;
    };
    let drawn = 0;
    for (let i = 0; i < N; i++) {
      if (!S.valid[i] || S.hidden.has(codes[i]) || (dim && S.matchSet.has(i))) continue;
      drawn += put(i);
    }
    if (dim) {
      darken(buf);
      for (const i of S.matches) if (S.valid[i] && !S.hidden.has(codes[i])) drawn += put(i);
    }
    ctx.putImageData(S.img, 0, 0);
    return drawn;
  }

  function darken(buf) {          // 20 % of the pixel + 80 % of the background, per channel
    const br = BG & 0xff, bg = (BG >> 8) & 0xff, bb = (BG >> 16) & 0xff;
    for (let p = 0; p < buf.length; p++) {
      const v = buf[p];
      const r = ((v & 0xff) * 51 + br * 205) >> 8, g = (((v >> 8) & 0xff) * 51 + bg * 205) >> 8;
      const b = (((v >> 16) & 0xff) * 51 + bb * 205) >> 8;
      buf[p] = (0xff000000 | (b << 16) | (g << 8) | r) >>> 0;
    }
  }

  function outlineMatches(px) {
    const s = Math.max(px, 3) + 2, half = s / 2;
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = '#ffcc33';
    ctx.beginPath();
    for (const i of S.matches) {
      if (!isShown(i)) continue;
      const [sx, sy] = toScreen(S.cur[2 * i], S.cur[2 * i + 1]);
      if (sx < -s || sy < -s || sx > S.w + s || sy > S.h + s) continue;
      ctx.rect(sx - half, sy - half, s, s);
    }
    ctx.stroke();
  }

  // Zoomed far in: few paintings are visible, so drawImage from the full-resolution atlas looks best.
  function drawImages(px, dim) {
    ctx.setTransform(S.dpr, 0, 0, S.dpr, 0, 0);
    ctx.fillStyle = '#121316';
    ctx.fillRect(0, 0, S.w, S.h);
    const half = px / 2;
    let drawn = 0;
    for (let i = 0; i < N; i++) {
      if (!isShown(i)) continue;
      const sx = S.cur[2 * i] * S.scale + S.tx, sy = S.cur[2 * i + 1] * S.scale + S.ty;
      if (sx < -px || sy < -px || sx > S.w + px || sy > S.h + px) continue;
      drawn++;
      if (!(dim && S.matchSet.has(i))) drawThumb(i, sx - half, sy - half, px);
    }
    stripes();
    return drawn;
  }

  function pushColour(map, code, x, y, s) {
    let list = map.get(code);
    if (!list) { list = []; map.set(code, list); }
    list.push(x, y, s);
  }

  function drawThumb(i, x, y, s) {
    const a = D.atlas, sheet = Math.floor(i / a.per_sheet), j = i % a.per_sheet;
    const img = S.sheets[sheet];
    ctx.drawImage(img, (j % a.cols) * a.size, Math.floor(j / a.cols) * a.size, a.size, a.size, x, y, s, s);
  }

  // A colour stripe under each thumbnail shows the colour-by label without hiding the painting.
  function stripes() {
    const map = new Map();
    const px = S.size * S.scale * 0.94, half = px / 2;
    for (let i = 0; i < N; i++) {
      if (!isShown(i)) continue;
      const sx = S.cur[2 * i] * S.scale + S.tx, sy = S.cur[2 * i + 1] * S.scale + S.ty;
      if (sx < -px || sy < -px || sx > S.w + px || sy > S.h + px) continue;
      pushColour(map, codeOf(i), sx - half, sy + half - Math.max(2, px * 0.1), px);
    }
    const h = Math.max(2, px * 0.1);
    for (const [code, list] of map) {
      ctx.fillStyle = colourOf(S.column, code);
      ctx.beginPath();
      for (let j = 0; j < list.length; j += 3) ctx.rect(list[j], list[j + 1], list[j + 2], h);
      ctx.fill();
    }
  }

  function drawMatches(px, thumbs) {
    const s = Math.max(px, 5), half = s / 2;
    for (const i of S.matches) {
      if (!isShown(i)) continue;
      const [sx, sy] = toScreen(S.cur[2 * i], S.cur[2 * i + 1]);
      if (thumbs) drawThumb(i, sx - half, sy - half, s);
      else { ctx.fillStyle = colourOf(S.column, codeOf(i)); ctx.fillRect(sx - half, sy - half, s, s); }
    }
  }

  function drawSelection(px) {
    if (S.selected < 0 || !S.valid[S.selected]) return;
    const [sx, sy] = toScreen(S.cur[2 * S.selected], S.cur[2 * S.selected + 1]);
    const s = Math.max(px, 8) + 6;
    ctx.lineWidth = 3; ctx.strokeStyle = '#ffffff';
    ctx.strokeRect(sx - s / 2, sy - s / 2, s, s);
  }

  function drawTimelineAxes() {
    const ax = D.layouts.timeline.axes, size = D.layouts.timeline.size;
    if (!ax) return;
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillStyle = '#9aa0a6';
    ctx.strokeStyle = '#2a2d33';
    ctx.lineWidth = 1;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    ax.bands.forEach((b, k) => {             // the label beside its band's bottom row of paintings
      const [, y] = toScreen(0, (k + 0.95) * ax.band_height - size / 2);
      ctx.fillText(b, S.tx - 8, y);
      const [, line] = toScreen(0, (k + 1) * ax.band_height);
      ctx.beginPath(); ctx.moveTo(S.tx, line); ctx.lineTo(S.tx + S.scale, line); ctx.stroke();
    });
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    const [, yb] = toScreen(0, 1);
    for (const [label, x] of ax.ticks) ctx.fillText(label, toScreen(x, 0)[0], yb + 4);
  }

  // ---------------------------------------------------------------- hit-testing
  function buildGrid() {
    const cell = Math.max(S.size, 1 / 512), G = Math.ceil(1 / cell) + 3;
    const cells = new Map();
    for (let i = 0; i < N; i++) {
      if (!isShown(i)) continue;
      const cx = Math.floor(S.cur[2 * i] / cell) + 1, cy = Math.floor(S.cur[2 * i + 1] / cell) + 1;
      const key = cy * G + cx;
      let list = cells.get(key);
      if (!list) { list = []; cells.set(key, list); }
      list.push(i);
    }
    S.grid = { cell: cell, G: G, cells: cells };
  }

  function pick(sx, sy) {
    if (!S.grid) buildGrid();
    const [wx, wy] = toWorld(sx, sy);
    const g = S.grid, cx = Math.floor(wx / g.cell) + 1, cy = Math.floor(wy / g.cell) + 1;
    const half = S.size * 0.47, tol = Math.max(half, 6 / S.scale);
    let best = -1, bestD = Infinity;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const list = g.cells.get((cy + dy) * g.G + cx + dx);
        if (!list) continue;
        for (const i of list) {
          const ex = Math.abs(S.cur[2 * i] - wx), ey = Math.abs(S.cur[2 * i + 1] - wy);
          if (ex > tol || ey > tol) continue;
          const d = ex * ex + ey * ey - (S.matchSet && S.matchSet.has(i) ? 1 : 0);
          if (d < bestD) { bestD = d; best = i; }
        }
      }
    }
    return best;
  }

  // ---------------------------------------------------------------- legend, colour, search
  function buildLegend() {
    const col = D.columns[S.column], counts = new Array(col.values.length).fill(0);
    col.codes.forEach((c) => counts[c]++);
    $('legend-title').textContent = S.column;
    const list = $('legend-list');
    list.textContent = '';
    col.values.forEach((v, code) => {
      const li = document.createElement('li');
      li.dataset.code = code;
      li.className = S.hidden.has(code) ? 'off' : '';
      li.innerHTML = '<span class="sw"></span><span class="name"></span><span class="count"></span>';
      li.querySelector('.sw').style.background = colourOf(S.column, code);
      li.querySelector('.name').textContent = v;
      li.querySelector('.name').title = v;
      li.querySelector('.count').textContent = counts[code];
      let timer = 0;
      li.addEventListener('click', () => { clearTimeout(timer); timer = setTimeout(() => toggleLabel(code), 220); });
      li.addEventListener('dblclick', () => { clearTimeout(timer); isolateLabel(code); });
      list.appendChild(li);
    });
  }

  function refreshVisibility() {
    S.grid = null;
    document.querySelectorAll('#legend-list li').forEach((li) => li.classList.toggle('off', S.hidden.has(+li.dataset.code)));
    requestDraw();
  }
  function toggleLabel(code) { S.hidden.has(code) ? S.hidden.delete(code) : S.hidden.add(code); refreshVisibility(); }
  function isolateLabel(code) {
    const n = D.columns[S.column].values.length;
    const only = S.hidden.size === n - 1 && !S.hidden.has(code);
    S.hidden = new Set();
    if (!only) for (let c = 0; c < n; c++) if (c !== code) S.hidden.add(c);
    refreshVisibility();
  }
  function setColumn(name) {
    if (!D.columns[name]) throw new Error('unknown column ' + name);
    S.column = name; S.hidden = new Set(); $('colour').value = name;
    buildLegend(); refreshVisibility();
  }

  const haystack = D.items.title.map((t, i) => (t + ' ' + D.items.artist[i]).toLowerCase());
  function search(q) {
    $('search').value = q;
    const terms = q.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length) { S.matches = null; S.matchSet = null; status(''); requestDraw(); return []; }
    const m = [];
    for (let i = 0; i < N; i++) if (terms.every((t) => haystack[i].includes(t))) m.push(i);
    S.matches = m; S.matchSet = new Set(m);
    status(m.length + ' match' + (m.length === 1 ? '' : 'es') + ' for "' + q + '"');
    requestDraw();
    return m;
  }

  // ---------------------------------------------------------------- side panel
  function thumbCanvas(i, side) {
    const c = document.createElement('canvas');
    c.width = c.height = side;
    const a = D.atlas, img = S.sheets[Math.floor(i / a.per_sheet)], j = i % a.per_sheet;
    const draw1 = () => c.getContext('2d').drawImage(img, (j % a.cols) * a.size, Math.floor(j / a.cols) * a.size, a.size, a.size, 0, 0, side, side);
    if (img.complete && img.naturalWidth) draw1(); else img.addEventListener('load', draw1, { once: true });
    return c;
  }

  function neighboursOf(i) {
    const nb = D.neighbours;
    if (!nb) return [];
    const list = S.rerank && nb.reranked ? nb.reranked[i] : nb.cosine[i];
    return list.filter((j) => j >= 0);
  }

  function select(i) {
    S.selected = i;
    requestDraw();
    const panel = $('panel');
    if (i < 0) { panel.hidden = true; return; }
    panel.hidden = false;
    const it = D.items;
    $('p-title').textContent = it.title[i] || '(untitled)';
    $('p-artist').textContent = it.artist[i] || 'unknown artist';
    const meta = $('p-meta');
    meta.textContent = '';
    const rows = [['year', it.year[i] === null ? '—' : it.year[i]]];
    for (const c of Object.keys(D.columns)) if (c !== 'artist') rows.push([c, D.columns[c].values[D.columns[c].codes[i]]]);
    rows.push(['#', i]);
    for (const [k, v] of rows) { const dt = document.createElement('dt'); dt.textContent = k; const dd = document.createElement('dd'); dd.textContent = v; meta.append(dt, dd); }
    showPreview(i, false);
    showPrediction(i);
    showNeighbours(i);
  }

  function showPreview(i, cam) {
    const img = $('preview'), fb = $('preview-fallback');
    const pred = D.predictions && D.predictions.by_index[String(i)];
    const src = cam && pred ? pred.cam : (D.previews ? D.previews.replace('{i}', i) : null);
    if (src && !D.missingThumbs.includes(i)) { img.hidden = false; fb.hidden = true; img.src = src; img.alt = D.items.title[i]; }
    else {
      img.hidden = true; fb.hidden = false;
      const g = fb.getContext('2d'); g.clearRect(0, 0, 256, 256); g.drawImage(thumbCanvas(i, 256), 0, 0);
    }
  }

  function showPrediction(i) {
    const box = $('p-pred'), pred = D.predictions && D.predictions.by_index[String(i)];
    box.hidden = !pred;
    if (!pred) return;
    const bars = $('p-bars'), trained = D.predictions.dataset;
    $('p-pred-title').textContent = 'classifier (02' + (trained ? ', trained on ' + trained : '') + ')';
    bars.textContent = '';
    for (const [c, p] of pred.top) {
      const row = document.createElement('div');
      row.className = 'bar';
      row.innerHTML = '<span class="cls"></span><span class="track"><span class="fill"></span></span><span class="p"></span>';
      row.querySelector('.cls').textContent = D.predictions.classes[c];
      row.querySelector('.fill').style.width = (100 * p).toFixed(1) + '%';
      row.querySelector('.fill').style.display = 'block';
      row.querySelector('.p').textContent = (100 * p).toFixed(1) + '%';
      bars.appendChild(row);
    }
    $('p-cam').checked = false;
  }

  function showNeighbours(i) {
    const list = $('nb-list');
    list.textContent = '';
    const nbs = neighboursOf(i);
    S.panelNeighbours = nbs;
    $('p-nb').hidden = !D.neighbours;
    for (const j of nbs) {
      const li = document.createElement('li');
      li.dataset.index = j;
      li.title = (D.items.title[j] || '') + (D.items.artist[j] ? ' — ' + D.items.artist[j] : '');
      li.appendChild(thumbCanvas(j, 96));
      li.appendChild(document.createTextNode((D.items.artist[j] || D.items.title[j] || '').slice(0, 18)));
      li.addEventListener('click', () => { select(j); centreOn(j); });
      list.appendChild(li);
    }
  }

  function centreOn(i) {
    if (!S.valid[i]) return;
    S.tx = S.w / 2 - S.to[2 * i] * S.scale; S.ty = S.h / 2 - S.to[2 * i + 1] * S.scale;
    requestDraw();
  }

  // ---------------------------------------------------------------- UI wiring
  function status(text) { $('status').textContent = text || D.n.toLocaleString() + ' paintings · ' + (D.info.embedding || ''); }
  function showNotice(text) {
    const all = [text].concat(D.problems || []).filter(Boolean);
    $('notice').hidden = !all.length;
    $('notice').textContent = all.join(' · ');
  }

  function wire() {
    $('title').textContent = D.title;
    document.title = D.title;
    for (const name of layoutNames) {
      const b = document.createElement('button');
      b.textContent = name === 'tsne' ? 't-SNE' : name === 'umap' ? 'UMAP' : name;
      b.dataset.layout = name;
      b.addEventListener('click', () => setLayout(name, true));
      $('layouts').appendChild(b);
    }
    for (const c of Object.keys(D.columns)) { const o = document.createElement('option'); o.value = o.textContent = c; $('colour').appendChild(o); }
    $('colour').addEventListener('change', (e) => setColumn(e.target.value));
    $('search').addEventListener('input', (e) => search(e.target.value));
    $('fit').addEventListener('click', fit);
    $('legend-all').addEventListener('click', () => { S.hidden = new Set(); refreshVisibility(); });
    $('panel-close').addEventListener('click', () => select(-1));
    $('rerank').disabled = !(D.neighbours && D.neighbours.reranked);
    $('rerank-label').title = $('rerank').disabled ? 'no influence graph was available when this explorer was built' : '';
    $('rerank').addEventListener('change', (e) => { S.rerank = e.target.checked; if (S.selected >= 0) showNeighbours(S.selected); });
    $('p-cam').addEventListener('change', (e) => showPreview(S.selected, e.target.checked));
    window.addEventListener('resize', () => { resize(); fit(); });
    window.addEventListener('keydown', (e) => {
      if (e.target.tagName === 'INPUT') return;
      if (e.key === 'Escape') select(-1);
      if (e.key === 'f') fit();
    });
    wirePointer();
  }

  function wirePointer() {
    let drag = null;
    canvas.addEventListener('mousedown', (e) => { drag = { x: e.clientX, y: e.clientY, tx: S.tx, ty: S.ty, moved: false }; canvas.classList.add('dragging'); });
    window.addEventListener('mouseup', (e) => {
      if (!drag) return;
      canvas.classList.remove('dragging');
      if (!drag.moved) { const r = canvas.getBoundingClientRect(); const i = pick(e.clientX - r.left, e.clientY - r.top); select(i); }
      drag = null;
    });
    canvas.addEventListener('mousemove', (e) => {
      const r = canvas.getBoundingClientRect();
      if (drag) {
        const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
        S.tx = drag.tx + dx; S.ty = drag.ty + dy; requestDraw(); return;
      }
      const i = S.animating ? -1 : pick(e.clientX - r.left, e.clientY - r.top);
      const tip = $('tooltip');
      tip.hidden = i < 0;
      if (i >= 0) {
        tip.textContent = (D.items.title[i] || '(untitled)') + (D.items.artist[i] ? ' — ' + D.items.artist[i] : '') + (D.items.year[i] ? ', ' + D.items.year[i] : '');
        tip.style.left = (e.clientX - r.left + 14) + 'px'; tip.style.top = (e.clientY - r.top + 14) + 'px';
      }
    });
    canvas.addEventListener('mouseleave', () => { $('tooltip').hidden = true; });
    canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = canvas.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top;
      const f = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
      const s = Math.min(Math.max(S.scale * f, 50), 2e6);
      S.tx = mx - (mx - S.tx) * (s / S.scale); S.ty = my - (my - S.ty) * (s / S.scale); S.scale = s;
      requestDraw();
    }, { passive: false });
  }

  function loadAtlases() {
    S.sheets = D.atlas.files.map((f) => {
      const img = new Image();
      img.decoding = 'async';
      img.addEventListener('load', () => { S.sheetsLoaded++; requestDraw(); });
      img.addEventListener('error', () => showNotice('atlas ' + f + ' failed to load'));
      img.src = f;
      return img;
    });
  }

  // ---------------------------------------------------------------- state for tests and benchmarks
  window.explorer = {
    get n() { return N; },
    get drawnCount() { return S.drawnCount; },
    get renderer() { return S.renderer; },
    zoom: (factor) => { S.scale *= factor; S.tx = S.w / 2 - (S.w / 2 - S.tx) * factor; S.ty = S.h / 2 - (S.h / 2 - S.ty) * factor; requestDraw(); },
    get frames() { return S.frames; },
    get layout() { return S.layout; },
    get animating() { return S.animating; },
    get thumbsReady() { return S.sheetsLoaded === S.sheets.length && S.thumbsDrawMs !== null; },
    get firstDrawMs() { return S.firstDrawMs; },
    get thumbsDrawMs() { return S.thumbsDrawMs; },
    get matches() { return S.matches ? S.matches.slice() : null; },
    get selected() { return S.selected; },
    get panelOpen() { return !$('panel').hidden; },
    get panelNeighbours() { return S.panelNeighbours ? S.panelNeighbours.slice() : []; },
    get layouts() { return layoutNames.slice(); },
    get columns() { return Object.keys(D.columns); },
    setLayout: (name, animate) => setLayout(name, animate !== false),
    setColumn: setColumn,
    search: search,
    toggleLabel: toggleLabel,
    isolateLabel: isolateLabel,
    select: select,
    setRerank: (on) => { $('rerank').checked = !!on; S.rerank = !!on; if (S.selected >= 0) showNeighbours(S.selected); },
    positions: () => Array.from(S.cur),
    screenPosition: (i) => toScreen(S.cur[2 * i], S.cur[2 * i + 1]),
    pick: pick,
    fit: fit,
    drawNow: () => { if (S.raf) cancelAnimationFrame(S.raf); S.raf = 0; draw(performance.now()); return S.drawnCount; },
  };

  wire();
  loadAtlases();
  resize();
  setLayout(S.layout, false);
  fit();
  buildLegend();
  status('');
})();
