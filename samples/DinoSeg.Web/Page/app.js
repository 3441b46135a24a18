// DinoSeg web sample: the page. No framework; one module-like closure.
//
// Where the work happens:
//  - opening an image: the server decodes it and extracts features once (cached there);
//  - a click: one POST /similarity-map; the server runs the per-click path and answers with one byte per pixel
//    (gzip-encoded unless on loopback), the pixel's threshold level (see SimilarityMap.cs), which the page also
//    paints as the heatmap;
//  - a slider move: no request at all. The mask is `level > k` for slider index k, exactly the library's
//    `similarity >= threshold` (negative seeds and the box limit are already in the levels: excluded pixels are at
//    level 0), then the region options the library's way (RegionFilter.cs), drawn at full resolution; the main view's
//    tint and outline and the cut-out are composited from it on canvases at the size they are displayed (a 1024-px
//    photo shown 600 px wide needs a third of the pixels);
//  - except when "Refine edges" refines the mask (the server's CRF or GrabCut): no threshold of the map gives that mask,
//    so the click's reply carries it behind the levels and a slider move asks POST /mask for the new threshold's (at
//    most one request in flight; each answer is drawn, then the latest threshold is asked);
//  - exports: links to the server, which segments the same prompt with the library and writes PNGs, polygons, RLE.
//
// The main view is one canvas inside a clipping stage; zoom and pan only move and resize that canvas (CSS), so a
// pointer's image pixel is always its position within the canvas's bounding box, zoomed or not.
'use strict';

(() => {
  const $ = id => document.getElementById(id);
  const ui = {
    sample: $('sample'), file: $('file'), threshold: $('threshold'), thresholdValue: $('threshold-value'), autoThreshold: $('auto-threshold'),
    clear: $('clear'), undo: $('undo'), redo: $('redo'),
    status: $('status'), area: $('area'), timing: $('timing'), notice: $('notice'), error: $('error'),
    busy: $('busy'), busyText: $('busy-text'), negativeNote: $('negative-note'), dragBox: $('drag-box'),
    negativeMode: $('negative-mode'), boxMode: $('box-mode'), keepRegions: $('keep-regions'), minArea: $('min-area'), refine: $('refine'), refineLabel: $('refine-label'),
    opacity: $('opacity'), outline: $('outline'), zoomIn: $('zoom-in'), zoomOut: $('zoom-out'), zoomFit: $('zoom-fit'), zoomValue: $('zoom-value'),
    mainView: $('main-view'), stage: $('stage'), image: $('image'), heatmap: $('heatmap'), mask: $('mask'), cutout: $('cutout'),
    colorbar: $('colorbar'), downloads: [...document.querySelectorAll('a.download')],
  };

  const STEPS = 201; // slider positions: thresholds -1, -0.99, …, 1 (index k ↔ threshold k/100 - 1)
  const WHITE = 0xffffffff; // ImageData pixels seen as little-endian uint32 (0xAABBGGRR); the mask is white on transparent
  const DRAG_PX = 6; // a pointer moved less than this (CSS px) between down and up is a click, not a box
  const MAX_ZOOM_PX = 8; // zoom stops at this many screen pixels per image pixel
  // The server's refinement methods (/api/info's refineMethod), as the page names them.
  const REFINE_NAMES = { crf: 'dense CRF', grabcut: 'GrabCut', guided: 'guided filter' };
  const REFINE_TITLES = {
    crf: "Snap the mask to the image's edges (a dense CRF on the mask, on the server: each slider move asks it again, ~20 ms a megapixel)",
    grabcut: "Snap the mask to the image's edges (GrabCut on the mask, on the server: each slider move asks it again, ~0.3 s a megapixel)",
    guided: "Snap the mask to the image's edges (guided filter on the similarity map; a little slower per click, the slider stays in the page)",
  };

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
    imageScale: 1,    // the main canvas's size / image size
    cutoutScale: 1,   // the cut-out canvas's size / image size
    zoom: 1,          // the main view's zoom over "fit the stage"
    panX: 0,          // the main canvas's offset from centred, CSS px
    panY: 0,
    cursor: null,     // the keyboard cursor { x, y } in image pixels, or null
    corner: null,     // box mode: the first corner placed { x, y }, or null
    k: 120,           // slider index
    auto: true,       // Auto mode: the slider follows each click's rule-chosen threshold
    session: newSessionId(),
    openSeq: 0,
    clickSeq: 0,
    selected: 0,
    maskVersion: 0,
    serverMask: null, // a mask-refined click's mask from the server: { mask: Uint8Array (0/255), k, threshold } or null
  };

  // Undo and redo: snapshots of what the person chose (prompt, options, threshold unless Auto picks it).
  const history = { undo: [], redo: [], current: null };

  // Buffers sized per image, reused by every click and slider move.
  const buf = { n: 0, palette: null, heat: null, mask: null, mask32: null, tint: null, tint32: null, on: null, rowFirst: null };
  // The region filter's runs (start, end, parent, area, keep), grown to the most runs seen.
  const runs = { start: new Int32Array(4096), end: new Int32Array(4096), parent: new Int32Array(4096), area: new Int32Array(4096), keep: new Uint8Array(4096) };
  // Pointers down on a view (id → { x, y }), and what they are doing: a click or box ('press'), a pan, or a pinch.
  const pointers = new Map();
  const gesture = { kind: null, canvas: null, id: null, start: null, moved: false };
  // The selection as the main view draws it, at the image's own size: the tint inside, the outline on its edge pixels.
  // Then view-sized layers: the main view's photo; the cut-out's photo and feathered mask.
  const canvas = () => document.createElement('canvas');
  const tint = canvas();
  const main = { photo: canvas() };
  const cut = { photo: canvas(), soft: canvas() };

  // Timings for the browser test and the curious: ms from the input event to the mask being drawn ("ready") and to the
  // next animation frame ("frame").
  const stats = { click: [], slider: [], open: [] };
  // Slider moves on a mask-refined click: whether a /mask request is out, and the input time of the latest move.
  const maskFetch = { inFlight: false, t0: 0, requests: 0 };
  window.dinoSeg = { state, stats, history, maskFetch };

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
    // One default everywhere: the page's click refines like the library's (the CRF, unless the server says otherwise).
    ui.refine.checked = info.refinement;
    ui.refineLabel.title = REFINE_TITLES[info.refineMethod] ?? ui.refineLabel.title;
    ui.opacity.value = String(info.overlayOpacity);
    setSlider(indexOf(info.defaultThreshold));
    setAuto(true);

    ui.sample.addEventListener('change', () => { if (ui.sample.value) openImage({ sample: ui.sample.value }); });
    ui.file.addEventListener('change', () => {
      const file = ui.file.files[0];
      ui.file.value = '';
      if (file) openImage({ file });
    });
    ui.threshold.addEventListener('input', onSlider);
    ui.threshold.addEventListener('change', commit); // the end of a drag, or one key step: one undo step
    ui.autoThreshold.addEventListener('click', onAutoThreshold);
    ui.clear.addEventListener('click', clearAll);
    ui.undo.addEventListener('click', undo);
    ui.redo.addEventListener('click', redo);
    // Region options re-filter the current map in the page, like a slider move; the next click sends them too. A
    // server-refined mask holds the click's region options: then the server segments again.
    const onRegionOptions = () => {
      if (!state.levels) return;
      if (maskRefined()) segment(performance.now(), true); else applyThreshold();
    };
    ui.keepRegions.addEventListener('change', () => { onRegionOptions(); commit(); });
    ui.minArea.addEventListener('input', onRegionOptions);
    ui.minArea.addEventListener('change', commit);
    // Refinement changes the map (guided filter) or the mask (CRF, GrabCut), so the server segments again.
    ui.refine.addEventListener('change', e => {
      commit();
      if (state.image && hasPrompt()) segment(e.timeStamp, true);
    });
    ui.boxMode.addEventListener('change', () => { state.corner = null; if (state.image) drawMain(); });
    const onLook = () => {
      if (!state.image) return;
      if (state.levels) renderTint();
      drawMain();
    };
    ui.opacity.addEventListener('input', onLook);
    ui.outline.addEventListener('change', onLook);
    ui.zoomIn.addEventListener('click', () => zoomBy(1.5));
    ui.zoomOut.addEventListener('click', () => zoomBy(1 / 1.5));
    ui.zoomFit.addEventListener('click', () => setZoom(1, 0, 0));
    let resizing = 0;
    window.addEventListener('resize', () => {
      clearTimeout(resizing);
      resizing = setTimeout(() => {
        if (!state.image) return;
        layoutMain(true);
        prepareCutout();
        if (state.levels) applyThreshold(); else drawMain();
      }, 150);
    });

    for (const view of document.querySelectorAll('canvas.seedable')) {
      view.addEventListener('pointerdown', e => onPointerDown(e, view));
      view.addEventListener('pointermove', onPointerMove);
      view.addEventListener('pointerup', onPointerUp);
      view.addEventListener('pointercancel', onPointerCancel);
      view.addEventListener('contextmenu', e => e.preventDefault()); // the right button pans
    }

    ui.stage.addEventListener('wheel', onWheel, { passive: false });
    ui.image.addEventListener('keydown', onImageKey);
    ui.image.addEventListener('blur', () => { if (state.cursor && state.image) drawMain(); });
    ui.image.addEventListener('focus', () => { if (state.cursor && state.image) drawMain(); });
    document.addEventListener('keydown', onShortcut);

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
      // Each image starts afresh: Auto on, the slider at its default (a threshold chosen on one photo means little on
      // the next), the whole image in view, no history.
      setAuto(true);
      setSlider(indexOf(state.info.defaultThreshold));
      if (source.sample) ui.sample.value = source.sample; else ui.sample.value = '';
      Object.assign(state, { zoom: 1, panX: 0, panY: 0, cursor: null, corner: null });
      prepareCanvases(info.width, info.height);
      resetViews();
      history.undo = [];
      history.redo = [];
      history.current = snapshot();
      updateHistoryButtons();
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
    for (const c of [ui.heatmap, ui.mask, tint]) {
      c.width = width;
      c.height = height;
    }

    buf.n = width * height;
    buf.heat = new ImageData(width, height);
    buf.mask = new ImageData(width, height);
    buf.mask32 = new Uint32Array(buf.mask.data.buffer);
    buf.tint = new ImageData(width, height);
    buf.tint32 = new Uint32Array(buf.tint.data.buffer);
    buf.on = new Uint8Array(buf.n);
    buf.rowFirst = new Int32Array(height + 1);
    state.levels = null;
    state.serverMask = null;
    ui.stage.removeAttribute('data-empty');
    layoutMain(true);
    prepareCutout();
  }

  /**
   * Places the main canvas in the stage: fitted (contain) times the zoom, centred plus the pan, the pan kept so that the
   * image never leaves a gap it could fill. Its pixels are the displayed size in device pixels, never above the image's
   * own; when that changes the view-sized layers are made again.
   */
  function layoutMain(force) {
    const { width, height } = state.image;
    const frameW = ui.stage.clientWidth, frameH = ui.stage.clientHeight;
    const fit = Math.min(frameW / width, frameH / height);
    const w = width * fit * state.zoom, h = height * fit * state.zoom;
    const clampPan = (pan, size, frame) => size <= frame ? 0 : Math.min((size - frame) / 2, Math.max(-(size - frame) / 2, pan));
    state.panX = clampPan(state.panX, w, frameW);
    state.panY = clampPan(state.panY, h, frameH);
    const left = (frameW - w) / 2 + state.panX, top = (frameH - h) / 2 + state.panY;
    Object.assign(ui.image.style, { width: `${w}px`, height: `${h}px`, transform: `translate(${left}px, ${top}px)` });
    ui.zoomValue.textContent = `${Math.round(state.zoom * 100)} %`;
    ui.stage.toggleAttribute('data-zoomed', state.zoom > 1);
    // Past one image pixel per screen pixel, show the pixels as squares rather than blurred.
    ui.image.style.imageRendering = w * (window.devicePixelRatio || 1) > width * 1.5 ? 'pixelated' : 'auto';

    const deviceW = Math.max(1, Math.round(Math.min(width, w * (window.devicePixelRatio || 1))));
    const deviceH = Math.max(1, Math.round(height * deviceW / width));
    if (!force && ui.image.width === deviceW && ui.image.height === deviceH) return false;
    for (const c of [ui.image, ...Object.values(main)]) {
      c.width = deviceW;
      c.height = deviceH;
    }

    state.imageScale = deviceW / width;
    const photo = ctx(main.photo);
    photo.imageSmoothingQuality = 'high';
    photo.drawImage(state.photo, 0, 0, deviceW, deviceH);
    return true;
  }

  /** The cut-out at the size it is displayed (device pixels), never above the image's own size. */
  function prepareCutout() {
    const { width, height } = state.image;
    const shown = ui.cutout.parentElement.clientWidth * (window.devicePixelRatio || 1);
    const w = Math.max(1, Math.round(Math.min(width, Math.max(32, shown))));
    const h = Math.max(1, Math.round(height * w / width));
    for (const c of [ui.cutout, ...Object.values(cut)]) {
      c.width = w;
      c.height = h;
    }

    state.cutoutScale = w / width;
    const photo = ctx(cut.photo);
    photo.imageSmoothingQuality = 'high';
    photo.drawImage(state.photo, 0, 0, w, h);
  }

  function clearPrompt() {
    state.seeds = [];
    state.negatives = [];
    state.box = null;
    state.corner = null;
  }

  function hasPrompt() { return state.seeds.length > 0 || state.box !== null; }

  function resetViews() {
    state.marks = [];
    state.negativeMarks = [];
    state.boxMark = null;
    state.levels = null;
    state.serverMask = null;
    setMaskPending(false);
    drawMain();
    for (const c of [ui.heatmap, ui.mask, ui.cutout]) ctx(c).clearRect(0, 0, c.width, c.height);
    for (const c of [ui.heatmap, ui.mask, ui.cutout]) c.parentElement.setAttribute('data-empty', 'Click the image');
    ui.threshold.disabled = false;
    ui.clear.disabled = true;
    setArea(null);
    updateDownloads();
  }

  function clearAll() {
    if (!state.image) return;
    clearPrompt();
    resetViews();
    commit();
  }

  // ---- pointers: click, box, pan and pinch, for mouse, pen and touch alike ------------------------------------------

  /** The image pixel under a client position on a view: every view shows the whole image, whatever its zoom. */
  function toImage(view, clientX, clientY) {
    const rect = view.getBoundingClientRect(), { width, height } = state.image;
    return {
      x: Math.min(width - 1, Math.max(0, Math.floor((clientX - rect.left) / rect.width * width))),
      y: Math.min(height - 1, Math.max(0, Math.floor((clientY - rect.top) / rect.height * height))),
    };
  }

  function opening() { return !state.image || document.body.dataset.state === 'busy'; }

  function onPointerDown(event, view) {
    // Modified clicks would otherwise select text; a plain drag would start the browser's own.
    event.preventDefault();
    if (opening()) return;
    // The main view pans with the middle or right button; elsewhere only the primary button acts.
    if (event.pointerType === 'mouse' && (view === ui.image ? ![0, 1, 2].includes(event.button) : event.button !== 0)) return;
    try { view.setPointerCapture(event.pointerId); } catch { /* a synthetic pointer: no capture needed */ }
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (view === ui.image) ui.image.focus({ preventScroll: true, focusVisible: false }); // keys act here next, no ring
    if (pointers.size === 2 && view === ui.image) {
      // A second finger: the pair pinches and pans; whatever the first one started is dropped.
      const [a, b] = [...pointers.values()];
      Object.assign(gesture, {
        kind: 'pinch', canvas: view, id: null, moved: true,
        start: { distance: Math.hypot(a.x - b.x, a.y - b.y), zoom: state.zoom, mid: midpoint(a, b), panX: state.panX, panY: state.panY },
      });
      ui.dragBox.hidden = true;
      return;
    }

    if (pointers.size !== 1) return;
    const pan = view === ui.image && event.pointerType === 'mouse' && event.button !== 0;
    Object.assign(gesture, {
      kind: pan ? 'pan' : 'press', canvas: view, id: event.pointerId, moved: false,
      start: { x: event.clientX, y: event.clientY, panX: state.panX, panY: state.panY, shift: event.shiftKey, alt: event.altKey },
    });
    if (pan) ui.stage.setAttribute('data-panning', '');
  }

  function onPointerMove(event) {
    if (!pointers.has(event.pointerId)) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    const start = gesture.start;
    if (gesture.kind === 'pinch') {
      const [a, b] = [...pointers.values()], mid = midpoint(a, b);
      const factor = Math.hypot(a.x - b.x, a.y - b.y) / Math.max(1, start.distance);
      state.panX = start.panX + (mid.x - start.mid.x);
      state.panY = start.panY + (mid.y - start.mid.y);
      zoomAt(start.zoom * factor / state.zoom, mid.x, mid.y);
      return;
    }

    if (event.pointerId !== gesture.id) return;
    const dx = event.clientX - start.x, dy = event.clientY - start.y;
    if (!gesture.moved && Math.hypot(dx, dy) < DRAG_PX) return;
    gesture.moved = true;
    if (gesture.kind === 'pan') {
      state.panX = start.panX + dx;
      state.panY = start.panY + dy;
      relayout();
      return;
    }

    // A box being dragged, shown over the view within its visible part.
    const r = visibleRect(gesture.canvas);
    const clampX = v => Math.min(r.right, Math.max(r.left, v)), clampY = v => Math.min(r.bottom, Math.max(r.top, v));
    const x0 = clampX(Math.min(start.x, event.clientX)), x1 = clampX(Math.max(start.x, event.clientX));
    const y0 = clampY(Math.min(start.y, event.clientY)), y1 = clampY(Math.max(start.y, event.clientY));
    Object.assign(ui.dragBox.style, { left: `${x0}px`, top: `${y0}px`, width: `${x1 - x0}px`, height: `${y1 - y0}px` });
    ui.dragBox.hidden = false;
  }

  function onPointerUp(event) {
    if (!pointers.delete(event.pointerId)) return;
    const { kind, canvas: view, start, moved } = gesture;
    if (kind === 'pinch') {
      if (pointers.size === 0) endGesture();
      return; // the finger left behind does nothing until all are up
    }

    if (event.pointerId !== gesture.id) return;
    endGesture();
    if (kind !== 'press' || opening()) return;
    if (!moved) {
      onTap(view, toImage(view, start.x, start.y), start);
      return;
    }

    const r = visibleRect(view);
    const endX = Math.min(r.right - 0.5, Math.max(r.left, event.clientX)), endY = Math.min(r.bottom - 0.5, Math.max(r.top, event.clientY));
    const a = toImage(view, start.x, start.y), b = toImage(view, endX, endY);
    setBox(a, b, start.shift, event.timeStamp);
  }

  function onPointerCancel(event) {
    pointers.delete(event.pointerId);
    if (pointers.size === 0) endGesture();
  }

  function endGesture() {
    Object.assign(gesture, { kind: null, canvas: null, id: null, start: null, moved: false });
    ui.dragBox.hidden = true;
    ui.stage.removeAttribute('data-panning');
  }

  function midpoint(a, b) { return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }; }

  /** A view's box on screen as far as it is visible (the main canvas is clipped by its stage when zoomed). */
  function visibleRect(view) {
    const r = view.getBoundingClientRect();
    if (view !== ui.image) return r;
    const s = ui.stage.getBoundingClientRect();
    return { left: Math.max(r.left, s.left), top: Math.max(r.top, s.top), right: Math.min(r.right, s.right), bottom: Math.min(r.bottom, s.bottom) };
  }

  /**
   * A click or tap at image pixel p (or Enter at the keyboard cursor): in box mode a corner; on a seed, that seed goes;
   * otherwise a seed (Shift: another one) or, with Alt or in negative mode, a negative seed.
   */
  function onTap(view, p, keys) {
    if (ui.boxMode.checked) {
      if (!state.corner) {
        state.corner = p;
        showNotice('Box mode: now the opposite corner.');
        drawMain();
      } else {
        const first = state.corner;
        state.corner = null;
        setBox(first, p, keys.shift, performance.now());
      }
      return;
    }

    if (!keys.shift && !keys.alt && removeSeedAt(view, p)) return;
    const negative = keys.alt || (ui.negativeMode.checked && !keys.shift);
    if (negative) {
      if (!hasPrompt()) {
        showNotice('A negative seed needs something to subtract from: click the object or drag a box around it first.');
        return;
      }

      hide(ui.notice);
      state.negatives = [...state.negatives, p];
    } else {
      hide(ui.notice);
      if (keys.shift && hasPrompt()) {
        state.seeds = [...state.seeds, p];
      } else {
        clearPrompt();
        state.seeds = [p];
      }
    }

    commit();
    segment(performance.now(), true);
  }

  function setBox(a, b, keepSeeds, t0) {
    const box = { x0: Math.min(a.x, b.x), y0: Math.min(a.y, b.y), x1: Math.max(a.x, b.x) + 1, y1: Math.max(a.y, b.y) + 1 };
    if (box.x1 - box.x0 < 2 || box.y1 - box.y0 < 2) {
      if (state.image) drawMain();
      return;
    }

    hide(ui.notice);
    if (!keepSeeds) clearPrompt();
    state.box = box;
    commit();
    segment(t0, true);
  }

  /**
   * Removes the seed or negative seed drawn under p (within its circle, measured on screen so that it is as easy to hit
   * zoomed or not); answers whether there was one.
   */
  function removeSeedAt(view, p) {
    const radius = seedRadius() * (view === ui.image ? 1 : 1.5);
    const near = list => {
      let best = -1, bestDistance = radius;
      list.forEach((s, i) => {
        const d = Math.hypot(s.x - p.x, s.y - p.y);
        if (d <= bestDistance) { best = i; bestDistance = d; }
      });
      return best;
    };
    const seed = near(state.seeds), negative = near(state.negatives);
    if (seed < 0 && negative < 0) return false;
    hide(ui.notice);
    if (negative >= 0 && (seed < 0 || Math.hypot(state.negatives[negative].x - p.x, state.negatives[negative].y - p.y) < Math.hypot(state.seeds[seed].x - p.x, state.seeds[seed].y - p.y))) {
      state.negatives = state.negatives.filter((_, i) => i !== negative);
    } else {
      state.seeds = state.seeds.filter((_, i) => i !== seed);
    }

    if (!hasPrompt()) {
      clearPrompt();
      resetViews();
    } else {
      segment(performance.now(), true);
    }

    commit();
    return true;
  }

  // ---- zoom and pan -----------------------------------------------------------------------------------------------

  function maxZoom() {
    const { width, height } = state.image;
    const fit = Math.min(ui.stage.clientWidth / width, ui.stage.clientHeight / height);
    return Math.max(1, MAX_ZOOM_PX / fit);
  }

  /** Zooms by a factor keeping the image point under (clientX, clientY) where it is. */
  function zoomAt(factor, clientX, clientY) {
    if (!state.image) return;
    const zoom = Math.min(maxZoom(), Math.max(1, state.zoom * factor));
    const s = ui.stage.getBoundingClientRect(), r = ui.image.getBoundingClientRect();
    const fx = (clientX - r.left) / r.width, fy = (clientY - r.top) / r.height;
    const w = r.width * zoom / state.zoom, h = r.height * zoom / state.zoom;
    // Where the canvas's left edge must go for that point to stay put, as a pan from centred.
    state.panX = (clientX - s.left - fx * w) - (s.width - w) / 2;
    state.panY = (clientY - s.top - fy * h) - (s.height - h) / 2;
    state.zoom = zoom;
    relayout();
  }

  function zoomBy(factor) {
    const s = ui.stage.getBoundingClientRect();
    zoomAt(factor, s.left + s.width / 2, s.top + s.height / 2);
  }

  function setZoom(zoom, panX, panY) {
    if (!state.image) return;
    Object.assign(state, { zoom, panX, panY });
    relayout();
  }

  function relayout() {
    layoutMain(false);
    if (state.levels) renderTint(); // the outline's width follows the zoom
    drawMain();
  }

  function onWheel(event) {
    if (!state.image) return;
    event.preventDefault();
    zoomAt(Math.exp(-event.deltaY * 0.002), event.clientX, event.clientY);
  }

  /** Keeps the keyboard cursor in view: pans so that it sits inside the stage. */
  function panToCursor() {
    const r = ui.image.getBoundingClientRect(), s = ui.stage.getBoundingClientRect(), { width, height } = state.image;
    const cx = r.left + (state.cursor.x + 0.5) * r.width / width, cy = r.top + (state.cursor.y + 0.5) * r.height / height;
    const margin = 24;
    if (cx < s.left + margin) state.panX += s.left + margin - cx;
    if (cx > s.right - margin) state.panX -= cx - (s.right - margin);
    if (cy < s.top + margin) state.panY += s.top + margin - cy;
    if (cy > s.bottom - margin) state.panY -= cy - (s.bottom - margin);
    layoutMain(false);
  }

  // ---- the keyboard -----------------------------------------------------------------------------------------------

  /** On the focused image: arrows move a cursor (Shift: one pixel), Enter or Space acts there as a click would. */
  function onImageKey(event) {
    if (!state.image) return;
    const { width, height } = state.image;
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (event.key in moves) {
      event.preventDefault();
      const step = event.shiftKey ? 1 : Math.max(1, Math.round(Math.min(width, height) / 60));
      const [dx, dy] = moves[event.key];
      const c = state.cursor ?? { x: width >> 1, y: height >> 1 };
      state.cursor = {
        x: Math.min(width - 1, Math.max(0, c.x + dx * (state.cursor ? step : 0))),
        y: Math.min(height - 1, Math.max(0, c.y + dy * (state.cursor ? step : 0))),
      };
      panToCursor();
      drawMain();
    } else if ((event.key === 'Enter' || event.key === ' ') && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      if (opening()) return;
      state.cursor ??= { x: width >> 1, y: height >> 1 };
      onTap(ui.image, { ...state.cursor }, { shift: event.shiftKey, alt: event.altKey });
    }
  }

  /** Shortcuts anywhere on the page, except while typing in a field or choosing in a list. */
  function onShortcut(event) {
    const target = event.target;
    if (target instanceof HTMLSelectElement || (target instanceof HTMLInputElement && ['text', 'number', 'file'].includes(target.type))) return;
    const key = event.key, ctrl = event.ctrlKey || event.metaKey;
    if (ctrl && (key === 'z' || key === 'Z')) {
      event.preventDefault();
      if (event.shiftKey) redo(); else undo();
      return;
    }

    if (ctrl && (key === 'y' || key === 'Y')) {
      event.preventDefault();
      redo();
      return;
    }

    if (ctrl || event.altKey) return;
    const toggle = box => {
      box.checked = !box.checked;
      box.dispatchEvent(new Event('change', { bubbles: true }));
    };
    switch (key) {
      case 'n': case 'N': toggle(ui.negativeMode); break;
      case 'b': case 'B': toggle(ui.boxMode); break;
      case 'a': case 'A': onAutoThreshold(event); break;
      case 'Escape': clearAll(); break;
      case '[': nudgeThreshold(-1, event); break;
      case ']': nudgeThreshold(1, event); break;
      case '+': case '=': zoomBy(1.5); break;
      case '-': zoomBy(1 / 1.5); break;
      case '0': setZoom(1, 0, 0); break;
      default: return;
    }

    event.preventDefault();
  }

  function nudgeThreshold(step, event) {
    if (!state.image) return;
    setAuto(false);
    setSlider(state.k + step);
    if (state.levels) applyThreshold(event.timeStamp);

    commit();
  }

  // ---- undo and redo ----------------------------------------------------------------------------------------------

  /** What the person has chosen; the threshold only when it is theirs (in Auto mode each click's rule picks it). */
  function snapshot() {
    return {
      seeds: state.seeds, negatives: state.negatives, box: state.box, keepRegions: ui.keepRegions.checked, minArea: minArea(),
      refine: ui.refine.checked, auto: state.auto, k: state.auto ? null : state.k,
    };
  }

  /** Records the current choice as one undo step, if anything changed since the last. */
  function commit() {
    if (!state.image) return;
    const now = snapshot();
    if (JSON.stringify(now) === JSON.stringify(history.current)) return;
    history.undo.push(history.current);
    history.current = now;
    history.redo = [];
    updateHistoryButtons();
  }

  function undo() {
    if (history.undo.length === 0 || opening()) return;
    history.redo.push(history.current);
    restore(history.undo.pop());
  }

  function redo() {
    if (history.redo.length === 0 || opening()) return;
    history.undo.push(history.current);
    restore(history.redo.pop());
  }

  /** Puts a snapshot back: the server segments again only when the prompt or refinement differ. */
  function restore(snap) {
    history.current = snap;
    updateHistoryButtons();
    const promptChanged = JSON.stringify([snap.seeds, snap.negatives, snap.box, snap.refine]) !==
      JSON.stringify([state.seeds, state.negatives, state.box, ui.refine.checked]);
    // A server-refined mask holds the click's region options: other options need a new click.
    const regionsChanged = snap.keepRegions !== ui.keepRegions.checked || snap.minArea !== minArea();
    Object.assign(state, { seeds: snap.seeds, negatives: snap.negatives, box: snap.box, corner: null });
    ui.keepRegions.checked = snap.keepRegions;
    ui.minArea.value = String(snap.minArea);
    ui.refine.checked = snap.refine;
    setAuto(snap.auto);
    if (!snap.auto) setSlider(snap.k);
    else if (state.levels && Number.isFinite(state.autoThreshold) && !promptChanged) setSlider(indexOf(state.autoThreshold));
    if (!hasPrompt()) {
      clearPrompt();
      resetViews();
    } else if (promptChanged || !state.levels || (regionsChanged && maskRefined()) || (snap.auto && !Number.isFinite(state.autoThreshold))) {
      segment(performance.now(), true);
    } else {
      applyThreshold();
    }
  }

  function updateHistoryButtons() {
    ui.undo.disabled = history.undo.length === 0;
    ui.redo.disabled = history.redo.length === 0;
  }

  // ---- a click: the per-click path on the server ------------------------------------------------------------------

  async function segment(t0, retry) {
    const seq = ++state.clickSeq;
    const image = state.image;
    // A click is usually back in a few ms; the first on an image (or the first refined one) prepares buffers and may
    // take a while: then the main view says so.
    const slow = setTimeout(() => { if (seq === state.clickSeq) setWorking(true); }, 200);
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
        const { seeds, negatives } = state, kept = history.current;
        await openImage(state.source);
        Object.assign(state, { seeds, negatives, box });
        history.current = kept;
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
      // The mask at the click's own threshold (Auto: the rule's, off the slider's grid, shown at its nearest index); if the
      // slider has moved since the click was sent, the slider's index is asked next.
      state.serverMask = reply.mask && { mask: reply.mask, k: indexOf(reply.threshold), threshold: reply.threshold };

      drawHeatmap();
      const tHeat = performance.now();
      if (maskRefined() && state.serverMask.k !== state.k) drawServerMask(); // this click's mask, until the slider's comes
      applyThreshold();
      for (const c of [ui.heatmap, ui.mask, ui.cutout]) c.parentElement.removeAttribute('data-empty');
      ui.clear.disabled = false;
      record('click', t0, {
        server: reply.server, reply: tReply - t0, heatmap: tHeat - tReply, threshold: performance.now() - tHeat,
      });
    } catch (e) {
      showError(e.message);
    } finally {
      clearTimeout(slow);
      if (seq === state.clickSeq) setWorking(false);
    }
  }

  /** One click's similarity map: { levels, seeds, selectedPixels, server } or { status, error }. */
  async function requestMap(image, click) {
    const response = await fetch(`/api/images/${image.id}/similarity-map`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(click),
    });
    if (!response.ok) return { status: response.status, error: (await response.json()).error };
    // If gzip-encoded, inflated natively by the browser. A mask-refined click's mask follows the levels.
    const bytes = new Uint8Array(await response.arrayBuffer());
    const refined = response.headers.get('X-DinoSeg-Refined-Mask') === 'true', n = refined ? bytes.length / 2 : bytes.length;
    const autoHeader = response.headers.get('X-DinoSeg-Auto-Threshold');
    return {
      levels: refined ? bytes.subarray(0, n) : bytes,
      mask: refined ? bytes.subarray(n) : null,
      threshold: Number(response.headers.get('X-DinoSeg-Threshold')),
      seeds: JSON.parse(response.headers.get('X-DinoSeg-Seeds')),
      negatives: JSON.parse(response.headers.get('X-DinoSeg-Negatives')),
      box: JSON.parse(response.headers.get('X-DinoSeg-Box')),
      selectedPixels: Number(response.headers.get('X-DinoSeg-Selected-Pixels')),
      // Absent after a hand-set threshold whose rule would take the stable ladder: NaN, and Auto asks for a new click.
      autoThreshold: autoHeader === null ? NaN : Number(autoHeader),
      server: response.headers.get('Server-Timing'),
    };
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
    if (state.levels) applyThreshold(event.timeStamp);
  }

  /**
   * The Auto toggle: while on, every click's threshold is the one the server's rule chose from that click's map; switching
   * it on moves the slider to the last click's at once.
   */
  function onAutoThreshold(event) {
    setAuto(!state.auto);
    if (state.auto && state.levels && Number.isFinite(state.autoThreshold)) {
      setSlider(indexOf(state.autoThreshold));
      applyThreshold(event.timeStamp);
    } else if (state.auto && state.levels && hasPrompt()) {
      // The last click's threshold was set by hand and its rule's value not sent (the ladder's cost): click again in Auto.
      segment(event.timeStamp, true);
    }

    commit();
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

  /**
   * The mask for the current slider index, then the main view's layers and the cut-out from it. `t0`, for a slider
   * move: its input time, recorded once the mask is drawn. A mask-refined click's mask comes from the server: the one it
   * sent for this index, or else a request for it (drawn when it comes back).
   */
  function applyThreshold(t0) {
    if (maskRefined()) {
      if (state.serverMask.k === state.k) drawServerMask(t0);
      else requestServerMask(t0 ?? performance.now());
      return;
    }

    const tStart = performance.now();
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

    drawMask(tStart, selected);
    if (t0 !== undefined) record('slider', t0);
  }

  /** Whether the shown click's mask was refined on the server (CRF, GrabCut), so that slider moves ask the server. */
  function maskRefined() { return state.serverMask !== null; }

  /** The server's mask as it came (its region options applied there), then the views from it. */
  function drawServerMask(t0) {
    const tStart = performance.now();
    const mask = state.serverMask.mask, mask32 = buf.mask32, n = buf.n;
    let selected = 0;
    for (let i = 0; i < n; i++) {
      const on = mask[i] !== 0;
      mask32[i] = on ? WHITE : 0;
      selected += on;
    }

    drawMask(tStart, selected);
    if (t0 !== undefined) record('slider', t0);
  }

  /** Draws `buf.mask` (made since `tStart`) and everything made from it. */
  function drawMask(tStart, selected) {
    ctx(ui.mask).putImageData(buf.mask, 0, 0);
    const t1 = performance.now();
    renderTint();
    const tLayers = performance.now();
    drawMain();
    const tMain = performance.now();
    renderCutout();
    const t2 = performance.now();

    setArea(selected);
    state.phases = { mask: t1 - tStart, views: t2 - t1, tint: tLayers - t1, main: tMain - tLayers, cutout: t2 - tMain };
    updateDownloads();
    state.maskVersion++;
    document.body.dataset.maskVersion = String(state.maskVersion);
  }

  /**
   * A slider move on a mask-refined click: the server re-thresholds the session's click and refines again. At most one
   * request is out; a move meanwhile only notes its time, and when the answer comes it is drawn and the latest index
   * is asked next.
   */
  function requestServerMask(t0) {
    maskFetch.t0 = t0;
    setMaskPending(true);
    if (!maskFetch.inFlight) fetchServerMask();
  }

  async function fetchServerMask() {
    const k = state.k, t0 = maskFetch.t0, seq = state.clickSeq, image = state.image;
    maskFetch.inFlight = true;
    maskFetch.requests++;
    let failed = false;
    try {
      const reply = await requestMask(image, { session: state.session, threshold: thresholdAt(k) });
      // A click since (its reply draws), another image, or the click no longer mask-refined: this answer is not wanted.
      if (seq !== state.clickSeq || image !== state.image || !maskRefined()) return;
      if (reply.status === 404 || reply.status === 409) {
        // The server forgot the image or this tab's session: the click again, at this threshold (Auto is off).
        failed = true;
        segment(t0, true);
        return;
      }

      if (reply.error) throw new Error(reply.error);
      if (reply.mask.length !== buf.n) return;
      // Drawn even when the slider moved on meanwhile, so a drag keeps showing masks (the hint stays on while the
      // latest index is asked next) instead of freezing until the drag slows down.
      state.serverMask = { mask: reply.mask, k, threshold: reply.threshold };
      drawServerMask(t0);
    } catch (e) {
      failed = true;
      showError(e.message);
    } finally {
      maskFetch.inFlight = false;
      if (!failed && state.levels && maskRefined() && state.serverMask.k !== state.k) fetchServerMask();
      else setMaskPending(false);
    }
  }

  /** One slider move's server-refined mask: { mask, threshold, selectedPixels, server } or { status, error }. */
  async function requestMask(image, move) {
    const response = await fetch(`/api/images/${image.id}/mask`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(move),
    });
    if (!response.ok) return { status: response.status, error: (await response.json()).error };
    return {
      mask: new Uint8Array(await response.arrayBuffer()),
      threshold: Number(response.headers.get('X-DinoSeg-Threshold')),
      selectedPixels: Number(response.headers.get('X-DinoSeg-Selected-Pixels')),
      server: response.headers.get('Server-Timing'),
    };
  }

  /** The subtle hint while the server refines a slider move's mask: the threshold's value and the mask view dim a little. */
  function setMaskPending(on) {
    if (on) document.body.dataset.maskPending = 'true'; else delete document.body.dataset.maskPending;
    ui.thresholdValue.title = on ? 'Refining the mask on the server…' : '';
  }

  /**
   * The binary mask scaled to a view and feathered with the library's σ, scaled too (canvas blur(Npx) is a Gaussian with
   * σ = N): the soft mask the library's overlay and cut-out use.
   */
  function feather(target, scale) {
    const sigma = state.info.featherSigma * scale, soft = ctx(target);
    soft.clearRect(0, 0, target.width, target.height);
    soft.filter = sigma >= 0.05 ? `blur(${sigma.toFixed(2)}px)` : 'none';
    soft.drawImage(ui.mask, 0, 0, target.width, target.height);
    soft.filter = 'none';
  }

  /**
   * The selection as the main view shows it, at the image's size: the overlay colour at the chosen opacity inside the
   * mask, the outline colour on its edge (a selected pixel with an unselected one `d` pixels left, right, above or below;
   * `d` keeps the outline about 1.5 CSS pixels wide at the current zoom). One pass over the mask, so that a slider move costs the main view
   * one scaled draw. Unlike the library's overlay (the Overlay PNG) the tint is not feathered: the outline covers its edge.
   */
  function renderTint() {
    const { width, height } = state.image, mask32 = buf.mask32, tint32 = buf.tint32;
    const [r, g, b] = state.info.overlayColor, alpha = Math.round(255 * Number(ui.opacity.value));
    const inside = (alpha << 24 | b << 16 | g << 8 | r) >>> 0, edge = ui.outline.checked ? 0xff00e6ff : inside; // #ffe600
    const cssPerPixel = ui.image.getBoundingClientRect().width / width;
    const d = Math.max(1, Math.round(1.5 / cssPerPixel));
    const rowStep = d * width;
    for (let y = 0; y < height; y++) {
      const row = y * width, up = y >= d, down = y + d < height;
      for (let x = 0, i = row; x < width; x++, i++) {
        if (mask32[i] === 0) {
          tint32[i] = 0;
          continue;
        }

        // Off the image counts as selected: the outline marks where the selection ends, not the image's border.
        const onEdge = (x >= d && mask32[i - d] === 0) || (x + d < width && mask32[i + d] === 0) ||
          (up && mask32[i - rowStep] === 0) || (down && mask32[i + rowStep] === 0);
        tint32[i] = onEdge ? edge : inside;
      }
    }

    ctx(tint).putImageData(buf.tint, 0, 0);
  }

  /** The cut-out: the photo with alpha = soft mask, over the frame's checkerboard. */
  function renderCutout() {
    feather(cut.soft, state.cutoutScale);
    const cutout = ctx(ui.cutout);
    cutout.globalCompositeOperation = 'copy';
    cutout.drawImage(cut.photo, 0, 0);
    cutout.globalCompositeOperation = 'destination-in';
    cutout.drawImage(cut.soft, 0, 0);
    cutout.globalCompositeOperation = 'source-over';
  }

  /** The main view: the photo, the selection's tint at the chosen opacity and its outline, then prompt and cursor. */
  function drawMain() {
    if (!state.image) return;
    const c = ctx(ui.image);
    c.globalCompositeOperation = 'copy';
    c.drawImage(main.photo, 0, 0);
    c.globalCompositeOperation = 'source-over';
    if (state.levels) {
      c.imageSmoothingQuality = 'high';
      c.drawImage(tint, 0, 0, ui.image.width, ui.image.height);
    }

    drawSeeds(c, state.imageScale);
    drawCursor(c, state.imageScale);
  }

  /** The seed circle's radius in image pixels, as the library draws it, shrunk while zoomed so it stays the same on screen. */
  function seedRadius() {
    const { width, height } = state.image;
    return Math.max(4, Math.min(width, height) / 40) / state.zoom;
  }

  /**
   * The box outline, then each seed as a circle with a centre dot and its patch as a square, sized like the library's:
   * positives in the seed colour, negatives in the negative colour. Before the server's reply, the page's own prompt.
   */
  function drawSeeds(c, scale) {
    const { width, height } = state.image, shorter = Math.min(width, height);
    const radius = seedRadius(), line = Math.max(2, Math.round(shorter / 300)) / state.zoom;
    const colour = ([r, g, b]) => `rgb(${r} ${g} ${b})`;
    c.lineWidth = line;
    c.setTransform(scale, 0, 0, scale, 0, 0); // draw in image pixels whatever the canvas size
    const box = state.boxMark ?? (state.box && [state.box.x0, state.box.y0, state.box.x1, state.box.y1]);
    if (box) {
      const [x0, y0, x1, y1] = box;
      c.strokeStyle = colour(state.info.boxColor);
      c.strokeRect(x0 + line / 2, y0 + line / 2, x1 - x0 - line, y1 - y0 - line);
    }

    const fresh = state.levels !== null;
    const shown = list => fresh ? list : [];
    const pending = list => list.map(p => ({ x: p.x, y: p.y, patch: null }));
    const seeds = fresh && state.marks.length === state.seeds.length ? shown(state.marks) : pending(state.seeds);
    const negatives = fresh && state.negativeMarks.length === state.negatives.length ? shown(state.negativeMarks) : pending(state.negatives);
    for (const [marks, rgb] of [[negatives, state.info.negativeSeedColor], [seeds, state.info.seedColor]]) {
      c.strokeStyle = c.fillStyle = colour(rgb);
      for (const { x, y, patch } of marks) {
        if (patch) {
          const [x0, y0, x1, y1] = patch;
          c.strokeRect(x0 + line / 2, y0 + line / 2, x1 - x0 - line, y1 - y0 - line);
        }

        c.beginPath();
        c.arc(x + 0.5, y + 0.5, radius, 0, 2 * Math.PI);
        c.stroke();
        c.beginPath();
        c.arc(x + 0.5, y + 0.5, line * 0.75, 0, 2 * Math.PI);
        c.fill();
      }
    }

    if (state.corner) {
      c.fillStyle = colour(state.info.boxColor);
      const s = 3 * line;
      c.fillRect(state.corner.x + 0.5 - s, state.corner.y + 0.5 - s, 2 * s, 2 * s);
    }

    c.setTransform(1, 0, 0, 1, 0, 0);
  }

  /** The keyboard cursor: a cross with a dark halo, while the image has the focus. */
  function drawCursor(c, scale) {
    if (!state.cursor || document.activeElement !== ui.image) return;
    const x = (state.cursor.x + 0.5) * scale, y = (state.cursor.y + 0.5) * scale, r = 12 * (window.devicePixelRatio || 1);
    c.lineCap = 'round';
    for (const [width, style] of [[5, 'rgb(0 0 0 / .7)'], [2, '#fff']]) {
      c.lineWidth = width;
      c.strokeStyle = style;
      c.beginPath();
      c.moveTo(x - r, y); c.lineTo(x - 3, y); c.moveTo(x + 3, y); c.lineTo(x + r, y);
      c.moveTo(x, y - r); c.lineTo(x, y - 3); c.moveTo(x, y + 3); c.lineTo(x, y + r);
      c.stroke();
    }

    c.lineCap = 'butt';
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

  /** The query a view or export link sends: the page's prompt, options and threshold, for a stateless render. */
  function promptQuery() {
    const { seeds, negatives, box } = state;
    const points = list => list.map(p => `${p.x},${p.y}`).join(';');
    const parts = [];
    if (seeds.length) parts.push(`seeds=${points(seeds)}`);
    if (negatives.length) parts.push(`negatives=${points(negatives)}`);
    if (box) parts.push(`box=${box.x0},${box.y0},${box.x1},${box.y1}`);
    if (ui.keepRegions.checked) parts.push('keepSeedRegions=true');
    if (minArea() > 1) parts.push(`minArea=${minArea()}`);
    if (ui.refine.checked) parts.push('refine=true');
    // A server-refined mask is at the threshold it was made at (an Auto click's is off the slider's grid): the same here.
    parts.push(`threshold=${maskRefined() ? state.serverMask.threshold : thresholdAt(state.k)}`);
    return parts.join('&');
  }

  const EXPORT_FILES = { geojson: 'mask.geojson', svg: 'mask.svg', rle: 'mask.rle.json', coco: 'coco.json', yolo: 'mask.yolo.txt', zip: 'exports.zip' };

  function updateDownloads() {
    const image = state.image, ready = image && hasPrompt() && state.levels;
    const base = image ? image.name.replace(/\.[^.]*$/, '') : '', query = ready ? promptQuery() : '';
    for (const a of ui.downloads) {
      if (!ready) {
        a.removeAttribute('href');
        a.setAttribute('aria-disabled', 'true');
        continue;
      }

      if (a.dataset.view) {
        a.href = `/api/images/${image.id}/views/${a.dataset.view}.png?${query}`;
        a.download = `${base}-${a.dataset.view}.png`;
      } else {
        a.href = `/api/images/${image.id}/exports/${a.dataset.export}?${query}`;
        a.download = `${base}-${EXPORT_FILES[a.dataset.export]}`;
      }

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

  /** Opening an image: the page waits (no clicks), the indicator says why. */
  function setBusy(text) {
    ui.busy.hidden = text === null;
    if (text !== null) ui.busyText.textContent = text;
    document.body.dataset.state = text === null ? 'ready' : 'busy';
    ui.sample.disabled = text !== null;
  }

  /** A slow click: the main view is marked busy and the indicator says so; clicks still go through (the last one wins). */
  function setWorking(on) {
    if (on) ui.mainView.setAttribute('aria-busy', 'true'); else ui.mainView.removeAttribute('aria-busy');
    if (document.body.dataset.state === 'busy') return; // opening an image: its own message stays
    ui.busy.hidden = !on;
    if (on) ui.busyText.textContent = ui.refine.checked ? `Segmenting with refined edges (${REFINE_NAMES[state.info.refineMethod] ?? state.info.refineMethod})…` : 'Segmenting…';
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

  function ctx(c) { return c.getContext('2d', { willReadFrequently: c === ui.mask }); }

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
