// DinoSeg web sample: the page. No framework; one module-like closure.
//
// Where the work happens:
//  - opening an image: the server decodes it and extracts features once (cached there);
//  - a click: one POST /similarity-map; the server runs the per-click path and answers with one byte per pixel
//    (gzip-encoded unless on loopback), the pixel's threshold level (see SimilarityMap.cs), which the page also
//    paints as the heatmap;
//  - a slider move: no request at all. The mask is `level > k` for slider index k, exactly the library's
//    `similarity >= threshold` (negative seeds and the box limit are already in the levels: excluded pixels are at
//    level 0), then the region options the library's way (RegionFilter.cs), drawn at full resolution; overlay and
//    cut-out are composited from it on canvases at the size they are displayed (a 1024-px photo shown 400 px wide needs
//    a sixth of the pixels).
'use strict';

(() => {
  const $ = id => document.getElementById(id);
  const ui = {
    sample: $('sample'), file: $('file'), threshold: $('threshold'), thresholdValue: $('threshold-value'), autoThreshold: $('auto-threshold'), clear: $('clear'),
    status: $('status'), area: $('area'), timing: $('timing'), notice: $('notice'), error: $('error'),
    busy: $('busy'), busyText: $('busy-text'), negativeNote: $('negative-note'), dragBox: $('drag-box'),
    negativeMode: $('negative-mode'), keepRegions: $('keep-regions'), minArea: $('min-area'), refine: $('refine'), refineLabel: $('refine-label'),
    image: $('image'), heatmap: $('heatmap'), mask: $('mask'), overlay: $('overlay'), cutout: $('cutout'),
    colorbar: $('colorbar'), downloads: [...document.querySelectorAll('a.download')],
  };

  const STEPS = 201; // slider positions: thresholds -1, -0.99, …, 1 (index k ↔ threshold k/100 - 1)
  const WHITE = 0xffffffff; // ImageData pixels seen as little-endian uint32 (0xAABBGGRR); the mask is white on transparent

  const state = {
    info: null,
    image: null,      // the server's ImageInfo of the open image
    photo: null,      // its decoded pixels, as an <img>
    source: null,     // how to open it again if the server forgot it: { sample } or { file }
    seeds: [],        // [{ x, y }] in image pixels
    negatives: [],    // negative seeds, [{ x, y }]
    box: null,        // the box prompt { x0, y0, x1, y1 } (x1, y1 exclusive) or null
    marks: [],        // the server's seeds with their patch squares
    negativeMarks: [], // the server's negative seeds with theirs
    boxMark: null,    // the server's box, [x0, y0, x1, y1]
    levels: null,     // Uint8Array: slider thresholds reached, per pixel
    viewScale: 1,     // overlay and cut-out canvas size / image size
    imageScale: 1,    // the image view's canvas size / image size
    k: 120,           // slider index
    auto: true,       // Auto mode: the slider follows each click's rule-chosen threshold
    session: newSessionId(),
    openSeq: 0,
    clickSeq: 0,
    selected: 0,
    maskVersion: 0,
  };

  // Buffers sized per image, reused by every click and slider move.
  const buf = { n: 0, palette: null, heat: null, mask: null, mask32: null, on: null, rowFirst: null };
  // The region filter's runs (start, end, parent, area, keep), grown to the most runs seen.
  const runs = { start: new Int32Array(4096), end: new Int32Array(4096), parent: new Int32Array(4096), area: new Int32Array(4096), keep: new Uint8Array(4096) };
  // A box being dragged: where it started (client coordinates) and on which view.
  const drag = { start: null, canvas: null, moved: false, suppressClick: false };
  // View-sized helpers: the photo scaled once per image, the feathered mask, the tint laid over the overlay.
  const offscreen = { photo: document.createElement('canvas'), soft: document.createElement('canvas'), tint: document.createElement('canvas') };

  // Timings for the browser test and the curious: ms from the input event to the mask being drawn ("ready") and to the
  // next animation frame ("frame").
  const stats = { click: [], slider: [], open: [] };
  window.dinoSeg = { state, stats };

  init().catch(e => showError(`Could not reach the server: ${e.message}`));

  async function init() {
    const info = await getJson('/api/info');
    state.info = info;
    buf.palette = new Uint32Array(STEPS + 1); // the heatmap colour of each level
    for (let i = 0; i <= STEPS; i++) {
      const [r, g, b] = info.levelColours.slice(3 * i, 3 * i + 3);
      buf.palette[i] = (0xff << 24 | b << 16 | g << 8 | r) >>> 0;
    }

    const stops = [];
    for (let i = 0; i <= 16; i++) {
      const j = Math.min(255, i * 16), [r, g, b] = info.viridis.slice(3 * j, 3 * j + 3);
      stops.push(`rgb(${r} ${g} ${b}) ${(i / 16 * 100).toFixed(2)}%`);
    }
    ui.colorbar.querySelector('.bar').style.background = `linear-gradient(to top, ${stops.join(', ')})`;

    for (const name of info.samples) ui.sample.add(new Option(name, name));
    ui.sample.disabled = false;
    ui.negativeNote.hidden = !info.negativeSeeds;
    ui.refineLabel.hidden = !info.refinement;
    setSlider(indexOf(info.defaultThreshold));
    setAuto(true);

    ui.sample.addEventListener('change', () => { if (ui.sample.value) openImage({ sample: ui.sample.value }); });
    ui.file.addEventListener('change', () => {
      const file = ui.file.files[0];
      ui.file.value = '';
      if (file) openImage({ file });
    });
    ui.threshold.addEventListener('input', onSlider);
    ui.autoThreshold.addEventListener('click', onAutoThreshold);
    ui.clear.addEventListener('click', () => { clearPrompt(); resetViews(); });
    // Region options re-filter the current map in the page, like a slider move; the next click sends them too.
    const onRegionOptions = () => { if (state.levels) applyThreshold(); };
    ui.keepRegions.addEventListener('change', onRegionOptions);
    ui.minArea.addEventListener('input', onRegionOptions);
    // Refinement changes the map itself, so the server segments again (the slider then needs no request, as usual).
    ui.refine.addEventListener('change', e => { if (state.image && hasPrompt()) segment(e.timeStamp, true); });
    let resizing = 0;
    window.addEventListener('resize', () => {
      clearTimeout(resizing);
      resizing = setTimeout(() => {
        if (!state.image) return;
        prepareViewCanvases();
        drawImageView();
        if (state.levels) applyThreshold();
      }, 150);
    });
    for (const canvas of document.querySelectorAll('canvas.seedable')) {
      canvas.addEventListener('mousedown', e => onMouseDown(e, canvas));
      canvas.addEventListener('click', e => onClick(e, canvas));
    }
    window.addEventListener('mousemove', onDragMove);
    window.addEventListener('mouseup', onDragEnd);

    setStatus(`Backbone ${info.backbone} on ${info.device}. Choose a sample or upload an image.`);
    document.body.dataset.state = 'idle';
  }

  // ---- opening an image -------------------------------------------------------------------------------------------

  async function openImage(source) {
    const name = source.sample ?? source.file.name;
    if (source.file && source.file.size > state.info.maxUploadBytes) {
      showError(`“${name}” is ${mib(source.file.size)}; this server accepts uploads of at most ${mib(state.info.maxUploadBytes)}. Choose a smaller file.`);
      return;
    }

    const seq = ++state.openSeq;
    clearMessages();
    setBusy(`Extracting features of ${name}…`);
    const t0 = performance.now();
    try {
      const info = await requestOpen(source);
      const photo = new Image();
      photo.src = `/api/images/${info.id}/image.png`;
      await photo.decode();
      if (seq !== state.openSeq) return;
      state.image = info;
      state.photo = photo;
      state.source = source;
      clearPrompt();
      // Each image starts afresh: Auto on, the slider at its default (a threshold chosen on one photo means little on the next).
      setAuto(true);
      setSlider(indexOf(state.info.defaultThreshold));
      if (source.sample) ui.sample.value = source.sample; else ui.sample.value = '';
      prepareCanvases(info.width, info.height);
      resetViews();
      const ms = performance.now() - t0;
      stats.open.push({ name, ms, extractMs: info.extractMs, cached: info.cached });
      setStatus(`${info.name} · ${info.width}×${info.height} px · ${info.rows}×${info.cols} patches of ${info.patchSize} px (${info.backbone}) · ` +
        (info.cached ? 'features cached' : `features in ${info.extractMs.toFixed(0)} ms`));
    } catch (e) {
      if (seq === state.openSeq) showError(e.message);
    } finally {
      if (seq === state.openSeq) setBusy(null);
    }
  }

  async function requestOpen(source) {
    const response = source.sample
      ? await fetch(`/api/samples/${encodeURIComponent(source.sample)}`, { method: 'POST' })
      : await fetch('/api/images', {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', 'X-File-Name': encodeURIComponent(source.file.name) },
        body: source.file,
      });
    const body = await response.json().catch(() => ({ error: `The server answered ${response.status} ${response.statusText}.` }));
    if (!response.ok) throw new Error(body.error ?? `The server answered ${response.status}.`);
    return body;
  }

  function prepareCanvases(width, height) {
    // Heatmap and mask keep the image's own pixels (the mask is exact); the heatmap changes only per click, the mask is
    // one putImageData per slider move.
    for (const canvas of [ui.heatmap, ui.mask]) {
      canvas.width = width;
      canvas.height = height;
    }

    buf.n = width * height;
    buf.heat = new ImageData(width, height);
    buf.mask = new ImageData(width, height);
    buf.mask32 = new Uint32Array(buf.mask.data.buffer);
    buf.on = new Uint8Array(buf.n);
    buf.rowFirst = new Int32Array(height + 1);
    state.levels = null;
    prepareViewCanvases();
  }

  /** Image, overlay and cut-out at the size they are displayed (device pixels), never above the image's own size. */
  function prepareViewCanvases() {
    const { width, height } = state.image;
    const fit = (canvases, frame) => {
      const shown = frame.clientWidth * (window.devicePixelRatio || 1);
      const w = Math.max(1, Math.round(width * Math.min(1, Math.max(64 / width, shown / width))));
      const h = Math.max(1, Math.round(height * w / width));
      for (const canvas of canvases) {
        canvas.width = w;
        canvas.height = h;
      }

      return w / width;
    };
    state.imageScale = fit([ui.image], ui.image.parentElement);
    state.viewScale = fit([ui.overlay, ui.cutout, ...Object.values(offscreen)], ui.overlay.parentElement);
    const { width: w, height: h } = offscreen.photo;
    const photo = ctx(offscreen.photo);
    photo.imageSmoothingQuality = 'high';
    photo.drawImage(state.photo, 0, 0, w, h);
  }

  function clearPrompt() {
    state.seeds = [];
    state.negatives = [];
    state.box = null;
  }

  function hasPrompt() { return state.seeds.length > 0 || state.box !== null; }

  function resetViews() {
    state.marks = [];
    state.negativeMarks = [];
    state.boxMark = null;
    state.levels = null;
    drawImageView();
    for (const canvas of [ui.heatmap, ui.mask, ui.overlay, ui.cutout]) ctx(canvas).clearRect(0, 0, canvas.width, canvas.height);
    ui.image.parentElement.removeAttribute('data-empty');
    for (const canvas of [ui.heatmap, ui.mask, ui.overlay, ui.cutout]) canvas.parentElement.setAttribute('data-empty', 'Click the image');
    ui.threshold.disabled = false;
    ui.clear.disabled = true;
    setArea(null);
    updateDownloads();
  }

  // ---- a click: the per-click path on the server ------------------------------------------------------------------

  /** The image pixel under a client position on a view: every view shows the whole image, whatever its resolution. */
  function toImage(canvas, clientX, clientY) {
    const rect = canvas.getBoundingClientRect(), { width, height } = state.image;
    return {
      x: Math.min(width - 1, Math.max(0, Math.floor((clientX - rect.left) / rect.width * width))),
      y: Math.min(height - 1, Math.max(0, Math.floor((clientY - rect.top) / rect.height * height))),
    };
  }

  function onClick(event, canvas) {
    if (drag.suppressClick) {
      drag.suppressClick = false; // the click that ends a box drag
      return;
    }

    if (!state.image || document.body.dataset.state === 'busy') return;
    const p = toImage(canvas, event.clientX, event.clientY);
    const negative = event.altKey || (ui.negativeMode.checked && !event.shiftKey);
    if (negative) {
      if (!hasPrompt()) {
        showNotice('A negative seed needs something to subtract from: click the object or drag a box around it first.');
        return;
      }

      hide(ui.notice);
      state.negatives = [...state.negatives, p];
    } else {
      hide(ui.notice);
      if (event.shiftKey && hasPrompt()) {
        state.seeds = [...state.seeds, p];
      } else {
        clearPrompt();
        state.seeds = [p];
      }
    }

    segment(event.timeStamp, true);
  }

  // ---- a box: drag on any view ------------------------------------------------------------------------------------

  function onMouseDown(event, canvas) {
    // Modified clicks would otherwise select text; a plain drag would start the browser's own.
    event.preventDefault();
    if (event.button !== 0 || !state.image || document.body.dataset.state === 'busy') return;
    drag.start = { x: event.clientX, y: event.clientY, shift: event.shiftKey };
    drag.canvas = canvas;
    drag.moved = false;
  }

  function onDragMove(event) {
    const start = drag.start;
    if (!start) return;
    if (!drag.moved && Math.hypot(event.clientX - start.x, event.clientY - start.y) < 6) return;
    drag.moved = true;
    const r = drag.canvas.getBoundingClientRect();
    const clampX = v => Math.min(r.right, Math.max(r.left, v)), clampY = v => Math.min(r.bottom, Math.max(r.top, v));
    const x0 = clampX(Math.min(start.x, event.clientX)), x1 = clampX(Math.max(start.x, event.clientX));
    const y0 = clampY(Math.min(start.y, event.clientY)), y1 = clampY(Math.max(start.y, event.clientY));
    Object.assign(ui.dragBox.style, { left: `${x0}px`, top: `${y0}px`, width: `${x1 - x0}px`, height: `${y1 - y0}px` });
    ui.dragBox.hidden = false;
  }

  function onDragEnd(event) {
    const start = drag.start;
    if (!start) return;
    drag.start = null;
    ui.dragBox.hidden = true;
    if (!drag.moved) return; // a click: the click handler has it
    drag.suppressClick = true;
    setTimeout(() => { drag.suppressClick = false; }, 0); // in case no click follows (released off the view)
    const a = toImage(drag.canvas, start.x, start.y), b = toImage(drag.canvas, event.clientX, event.clientY);
    const box = { x0: Math.min(a.x, b.x), y0: Math.min(a.y, b.y), x1: Math.max(a.x, b.x) + 1, y1: Math.max(a.y, b.y) + 1 };
    if (box.x1 - box.x0 < 2 || box.y1 - box.y0 < 2) return;
    hide(ui.notice);
    if (!start.shift) clearPrompt();
    state.box = box;
    segment(event.timeStamp, true);
  }

  async function segment(t0, retry) {
    const seq = ++state.clickSeq;
    const image = state.image;
    try {
      const box = state.box;
      const reply = await requestMap(image, {
        session: state.session,
        seeds: state.seeds.map(p => [p.x, p.y]),
        negative: state.negatives.map(p => [p.x, p.y]),
        box: box && [box.x0, box.y0, box.x1, box.y1],
        keepSeedRegions: ui.keepRegions.checked,
        minArea: minArea(),
        // In Auto mode no threshold: the server's rule picks one from this click's map, and the slider follows it.
        ...(state.auto ? {} : { threshold: thresholdAt(state.k) }),
        refine: ui.refine.checked,
      });
      if (reply.status === 404 && retry) {
        // The server's cache dropped the image (or the server restarted): open it again, then repeat the click.
        const { seeds, negatives } = state;
        await openImage(state.source);
        Object.assign(state, { seeds, negatives, box });
        return segment(t0, false);
      }

      if (reply.error) throw new Error(reply.error);
      const tReply = performance.now();
      // A later click has been sent meanwhile: its reply will draw.
      if (seq !== state.clickSeq || image !== state.image || reply.levels.length !== buf.n) return;
      state.levels = reply.levels;
      state.marks = reply.seeds;
      state.negativeMarks = reply.negatives;
      state.boxMark = reply.box;
      state.autoThreshold = reply.autoThreshold;
      if (state.auto && Number.isFinite(reply.autoThreshold)) setSlider(indexOf(reply.autoThreshold));

      drawHeatmap();
      drawImageView();
      const tHeat = performance.now();
      applyThreshold();
      for (const canvas of [ui.heatmap, ui.mask, ui.overlay, ui.cutout]) canvas.parentElement.removeAttribute('data-empty');
      ui.clear.disabled = false;
      record('click', t0, {
        server: reply.server, reply: tReply - t0, heatmap: tHeat - tReply, threshold: performance.now() - tHeat,
      });
    } catch (e) {
      showError(e.message);
    }
  }

  /** One click's similarity map: { levels, seeds, selectedPixels, server } or { status, error }. */
  async function requestMap(image, click) {
    const response = await fetch(`/api/images/${image.id}/similarity-map`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(click),
    });
    if (!response.ok) return { status: response.status, error: (await response.json()).error };
    return {
      levels: new Uint8Array(await response.arrayBuffer()), // if gzip-encoded, inflated natively by the browser
      seeds: JSON.parse(response.headers.get('X-DinoSeg-Seeds')),
      negatives: JSON.parse(response.headers.get('X-DinoSeg-Negatives')),
      box: JSON.parse(response.headers.get('X-DinoSeg-Box')),
      selectedPixels: Number(response.headers.get('X-DinoSeg-Selected-Pixels')),
      autoThreshold: Number(response.headers.get('X-DinoSeg-Auto-Threshold')),
      server: response.headers.get('Server-Timing'),
    };
  }

  function drawImageView() {
    const c = ctx(ui.image);
    c.imageSmoothingQuality = 'high';
    c.drawImage(state.photo, 0, 0, ui.image.width, ui.image.height);
    drawSeeds(c, state.imageScale);
  }

  function drawHeatmap() {
    const heat32 = new Uint32Array(buf.heat.data.buffer), levels = state.levels, palette = buf.palette;
    for (let i = 0; i < buf.n; i++) heat32[i] = palette[levels[i]];
    ctx(ui.heatmap).putImageData(buf.heat, 0, 0);
  }

  // ---- a slider move: all in the page -----------------------------------------------------------------------------

  function onSlider(event) {
    setAuto(false); // a hand on the slider ends Auto mode until it is switched on again or another image opens
    setSlider(Math.round((Number(ui.threshold.value) + 1) * 100));
    if (!state.levels) return;
    applyThreshold();
    record('slider', event.timeStamp);
  }

  /**
   * The Auto toggle: while on, every click's threshold is the one the server's rule chose from that click's map; switching
   * it on moves the slider to the last click's at once.
   */
  function onAutoThreshold(event) {
    setAuto(!state.auto);
    if (!state.auto || !state.levels || !Number.isFinite(state.autoThreshold)) return;
    setSlider(indexOf(state.autoThreshold));
    applyThreshold();
    record('slider', event.timeStamp);
  }

  function setAuto(on) {
    state.auto = on;
    ui.autoThreshold.setAttribute('aria-pressed', String(on));
  }

  function setSlider(k) {
    state.k = Math.min(STEPS - 1, Math.max(0, k));
    const t = thresholdAt(state.k);
    ui.threshold.value = String(t);
    ui.thresholdValue.textContent = t.toFixed(2);
    const line = ui.colorbar.querySelector('.threshold');
    line.style.setProperty('--v', String(t));
    line.querySelector('span').textContent = `t=${t.toFixed(2)}`;
    // Like the library's bar: a tick label too close to the threshold label gives way.
    for (const tick of ui.colorbar.querySelectorAll('.tick')) {
      tick.querySelector('span').style.visibility = Math.abs(Number(tick.style.getPropertyValue('--v')) - t) < 0.12 ? 'hidden' : '';
    }
  }

  /** The mask for the current slider index, then overlay and cut-out from it. */
  function applyThreshold() {
    const t0 = performance.now();
    const levels = state.levels, k = state.k, mask32 = buf.mask32, n = buf.n;
    let selected = 0;
    if (regionOptionsOn()) {
      const on = buf.on;
      for (let i = 0; i < n; i++) on[i] = levels[i] > k ? 1 : 0;
      filterRegions(on, state.image.width, state.image.height);
      for (let i = 0; i < n; i++) {
        mask32[i] = on[i] ? WHITE : 0;
        selected += on[i];
      }
    } else {
      for (let i = 0; i < n; i++) {
        if (levels[i] > k) {
          mask32[i] = WHITE;
          selected++;
        } else {
          mask32[i] = 0;
        }
      }
    }

    ctx(ui.mask).putImageData(buf.mask, 0, 0);
    const t1 = performance.now();

    // The soft mask: the binary mask scaled to the view and feathered with the library's σ, scaled too (canvas
    // blur(Npx) is a Gaussian with σ = N).
    const { width, height } = offscreen.soft, scale = state.viewScale, sigma = state.info.featherSigma * scale;
    const soft = ctx(offscreen.soft);
    soft.clearRect(0, 0, width, height);
    soft.filter = sigma >= 0.05 ? `blur(${sigma.toFixed(2)}px)` : 'none';
    soft.drawImage(ui.mask, 0, 0, width, height);
    soft.filter = 'none';

    // Overlay: the photo, the tint at opacity × soft mask, the seeds.
    const [r, g, b] = state.info.overlayColor;
    const tint = ctx(offscreen.tint);
    tint.globalCompositeOperation = 'copy';
    tint.drawImage(offscreen.soft, 0, 0);
    tint.globalCompositeOperation = 'source-in';
    tint.fillStyle = `rgb(${r} ${g} ${b})`;
    tint.fillRect(0, 0, width, height);
    tint.globalCompositeOperation = 'source-over';
    const overlay = ctx(ui.overlay);
    overlay.drawImage(offscreen.photo, 0, 0);
    overlay.globalAlpha = state.info.overlayOpacity;
    overlay.drawImage(offscreen.tint, 0, 0);
    overlay.globalAlpha = 1;
    drawSeeds(overlay, scale);

    // Cut-out: the photo with alpha = soft mask, over the frame's checkerboard.
    const cutout = ctx(ui.cutout);
    cutout.globalCompositeOperation = 'copy';
    cutout.drawImage(offscreen.photo, 0, 0);
    cutout.globalCompositeOperation = 'destination-in';
    cutout.drawImage(offscreen.soft, 0, 0);
    cutout.globalCompositeOperation = 'source-over';
    const t2 = performance.now();

    setArea(selected);
    state.phases = { mask: t1 - t0, views: t2 - t1 };
    updateDownloads();
    state.maskVersion++;
    document.body.dataset.maskVersion = String(state.maskVersion);
  }

  /**
   * The box outline, then each seed as a circle with a centre dot and its patch as a square, sized like the library's:
   * positives in the seed colour, negatives in the negative colour.
   */
  function drawSeeds(c, scale) {
    const { width, height } = state.image, shorter = Math.min(width, height);
    const radius = Math.max(4, shorter / 40), line = Math.max(2, Math.round(shorter / 300));
    const colour = ([r, g, b]) => `rgb(${r} ${g} ${b})`;
    c.lineWidth = line;
    c.setTransform(scale, 0, 0, scale, 0, 0); // draw in image pixels whatever the canvas size
    if (state.boxMark) {
      const [x0, y0, x1, y1] = state.boxMark;
      c.strokeStyle = colour(state.info.boxColor);
      c.strokeRect(x0 + line / 2, y0 + line / 2, x1 - x0 - line, y1 - y0 - line);
    }

    for (const [marks, rgb] of [[state.negativeMarks, state.info.negativeSeedColor], [state.marks, state.info.seedColor]]) {
      c.strokeStyle = c.fillStyle = colour(rgb);
      for (const { x, y, patch: [x0, y0, x1, y1] } of marks) {
        c.strokeRect(x0 + line / 2, y0 + line / 2, x1 - x0 - line, y1 - y0 - line);
        c.beginPath();
        c.arc(x + 0.5, y + 0.5, radius, 0, 2 * Math.PI);
        c.stroke();
        c.beginPath();
        c.arc(x + 0.5, y + 0.5, line * 0.75, 0, 2 * Math.PI);
        c.fill();
      }
    }

    c.setTransform(1, 0, 0, 1, 0, 0);
  }

  // ---- region options: the library's rule (RegionFilter.cs), on the page's mask ----------------------------------

  function minArea() { return Math.max(0, Math.floor(Number(ui.minArea.value) || 0)); }

  function regionOptionsOn() { return ui.keepRegions.checked || minArea() > 1; }

  /**
   * Clears the regions the options drop from `on` (1 = selected). Regions are 8-connected; each row's runs are joined
   * to the touching runs of the row above by union-find with the lowest run as root. A region holding one of the
   * server's seeds or overlapping its box is always kept.
   */
  function filterRegions(on, width, height) {
    const keepOnly = ui.keepRegions.checked, min = minArea(), rowFirst = buf.rowFirst;
    let n = 0;
    for (let y = 0; y < height; y++) {
      rowFirst[y] = n;
      const base = y * width;
      let x = 0;
      while (x < width) {
        while (x < width && on[base + x] === 0) x++;
        if (x >= width) break;
        const start = x;
        while (x < width && on[base + x] !== 0) x++;
        if (n === runs.start.length) growRuns();
        runs.start[n] = start;
        runs.end[n] = x;
        runs.parent[n] = n;
        n++;
      }

      if (y === 0) continue;
      // Runs [ps, pe) above and [s, e) here touch, diagonals included, when ps ≤ e and pe ≥ s.
      let above = rowFirst[y - 1];
      const aboveEnd = rowFirst[y];
      for (let c = aboveEnd; c < n; c++) {
        while (above < aboveEnd && runs.end[above] < runs.start[c]) above++;
        for (let q = above; q < aboveEnd && runs.start[q] <= runs.end[c]; q++) union(q, c);
      }
    }

    rowFirst[height] = n;
    const { start, end, parent, area, keep } = runs;
    area.fill(0, 0, n);
    keep.fill(0, 0, n);
    for (let i = 0; i < n; i++) {
      const root = parent[parent[i]]; // roots are the lowest index: every earlier parent already points at its root
      parent[i] = root;
      area[root] += end[i] - start[i];
    }

    for (const { x, y } of state.marks) {
      for (let i = rowFirst[y]; i < rowFirst[y + 1]; i++) if (start[i] <= x && x < end[i]) keep[parent[i]] = 1;
    }

    if (state.boxMark) {
      const [x0, y0, x1, y1] = state.boxMark;
      for (let y = y0; y < y1; y++) {
        for (let i = rowFirst[y]; i < rowFirst[y + 1]; i++) if (start[i] < x1 && end[i] > x0) keep[parent[i]] = 1;
      }
    }

    for (let y = 0; y < height; y++) {
      for (let i = rowFirst[y]; i < rowFirst[y + 1]; i++) {
        const root = parent[i];
        if (keep[root] || (!keepOnly && area[root] >= min)) continue;
        on.fill(0, y * width + start[i], y * width + end[i]);
      }
    }
  }

  function union(a, b) {
    a = find(a);
    b = find(b);
    if (a < b) runs.parent[b] = a;
    else if (b < a) runs.parent[a] = b;
  }

  function find(i) {
    const parent = runs.parent;
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]]; // path halving keeps parent ≤ index
      i = parent[i];
    }

    return i;
  }

  function growRuns() {
    for (const key of Object.keys(runs)) {
      const bigger = new runs[key].constructor(runs[key].length * 2);
      bigger.set(runs[key]);
      runs[key] = bigger;
    }
  }

  // ---- small things -----------------------------------------------------------------------------------------------

  function updateDownloads() {
    const image = state.image, { seeds, negatives, box } = state;
    const base = image ? image.name.replace(/\.[^.]*$/, '') : '';
    const points = list => list.map(p => `${p.x},${p.y}`).join(';');
    const parts = [];
    if (seeds.length) parts.push(`seeds=${points(seeds)}`);
    if (negatives.length) parts.push(`negatives=${points(negatives)}`);
    if (box) parts.push(`box=${box.x0},${box.y0},${box.x1},${box.y1}`);
    if (ui.keepRegions.checked) parts.push('keepSeedRegions=true');
    if (minArea() > 1) parts.push(`minArea=${minArea()}`);
    if (ui.refine.checked) parts.push('refine=true');
    parts.push(`threshold=${thresholdAt(state.k)}`);
    for (const a of ui.downloads) {
      if (!image || !hasPrompt() || !state.levels) {
        a.removeAttribute('href');
        a.setAttribute('aria-disabled', 'true');
        continue;
      }

      const view = a.dataset.view, query = parts.join('&');
      a.href = `/api/images/${image.id}/views/${view}.png?${query}`;
      a.download = `${base}-${view}.png`;
      a.setAttribute('aria-disabled', 'false');
    }
  }

  function record(kind, t0, phases) {
    const ready = performance.now() - t0;
    const entry = { ready, frame: null, phases: phases ?? state.phases };
    stats[kind].push(entry);
    requestAnimationFrame(() => {
      entry.frame = performance.now() - t0;
      const last = list => list.length ? `${list[list.length - 1].ready.toFixed(1)} ms` : '–';
      ui.timing.textContent = `click → mask ${last(stats.click)} · slider → mask ${last(stats.slider)}`;
    });
  }

  function setArea(selected) {
    state.selected = selected ?? 0;
    if (selected === null) {
      ui.area.textContent = '';
      ui.area.dataset.selectedPixels = '';
      return;
    }

    const total = buf.n;
    ui.area.textContent = `Selected ${(100 * selected / total).toFixed(1)} % (${selected.toLocaleString('en')} px) at t = ${thresholdAt(state.k).toFixed(2)}`;
    ui.area.dataset.selectedPixels = String(selected);
  }

  function setBusy(text) {
    ui.busy.hidden = text === null;
    if (text !== null) ui.busyText.textContent = text;
    document.body.dataset.state = text === null ? 'ready' : 'busy';
    ui.sample.disabled = text !== null;
  }

  function setStatus(text) { ui.status.textContent = text; }

  function showError(text) {
    ui.error.textContent = text;
    ui.error.hidden = false;
  }

  function showNotice(text) {
    ui.notice.textContent = text;
    ui.notice.hidden = false;
  }

  function clearMessages() { hide(ui.error); hide(ui.notice); }

  function hide(element) { element.hidden = true; element.textContent = ''; }

  function ctx(canvas) { return canvas.getContext('2d', { willReadFrequently: canvas === ui.mask }); }

  function thresholdAt(k) { return Number(((k - 100) / 100).toFixed(2)); }

  function indexOf(threshold) { return Math.round((threshold + 1) * 100); }

  function mib(bytes) { return `${(bytes / 1048576).toFixed(1)} MiB`; }

  async function getJson(url) {
    const response = await fetch(url);
    const body = await response.json();
    if (!response.ok) throw new Error(body.error ?? response.statusText);
    return body;
  }

  function newSessionId() {
    // crypto.getRandomValues works on plain http too (randomUUID needs a secure context).
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    return 'tab-' + [...bytes].map(b => b.toString(16).padStart(2, '0')).join('');
  }
})();
