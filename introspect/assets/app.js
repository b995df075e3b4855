// The live page of a kamaelia program. A worker (worker.js) reads the
// feed, lays the graph out and writes its markup; this script puts it
// in, and handles zoom, pan, clicks and the controls. The zoom, the
// selection and the groups opened survive every update.
'use strict';
(function () {
  const PAGE = 50;
  const params = new URLSearchParams(location.search);
  const token = params.get('token');
  const withToken = (p) => token ? p + (p.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : p;

  const svg = document.getElementById('graph');
  const viewport = document.getElementById('viewport');
  const details = document.getElementById('details');
  const statusEl = document.getElementById('status');
  const summaryEl = document.getElementById('summary');
  const collapseEl = document.getElementById('collapse');

  const view = { x: 20, y: 20, k: 1 };
  let fitted = false, size = { w: 1, h: 1 };
  let selected = null;
  const expanded = new Map();

  for (const a of document.querySelectorAll('a[data-href]')) a.href = withToken(a.dataset.href);
  const collapseFromURL = parseInt(params.get('collapse'), 10) > 0 ? parseInt(params.get('collapse'), 10) : 0;
  if (collapseFromURL) collapseEl.value = collapseFromURL;

  const worker = new Worker('worker.js');
  const send = (extra) => worker.postMessage(Object.assign({ type: 'ui', expanded: Array.from(expanded) }, extra));
  worker.onmessage = (ev) => {
    const m = ev.data;
    if (m.type === 'status') {
      statusEl.className = 'status ' + (m.on ? 'on' : 'off');
      if (!m.on) statusEl.textContent = 'reconnecting…';
      return;
    }
    if (m.type !== 'frame') return;
    const t0 = performance.now();
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.select : null;
    viewport.innerHTML = m.svg;
    if (focused) {
      const again = viewport.querySelector(`[data-select="${focused}"]`);
      if (again) again.focus({ preventScroll: true });
    }
    size = { w: m.w, h: m.h };
    if (!fitted) { fitted = true; fit(); }
    applyView();
    if (m.details !== null) details.innerHTML = m.details;
    if (document.activeElement !== collapseEl) collapseEl.value = m.collapseAbove;
    statusEl.className = 'status on';
    statusEl.textContent = 'live · ' + new Date(m.taken).toLocaleTimeString();
    const n = (x) => Number(x).toLocaleString('en-US');
    summaryEl.textContent = `${n(m.components)} components · ${n(m.connections)} connections` +
      (m.dropped ? ` · ${n(m.dropped)} updates skipped (this page read too slowly)` : '');
    const d = document.body.dataset;
    d.updates = m.updates;
    d.renderMs = Math.round(performance.now() - t0);
    d.phases = Object.entries(m.ms).map(([k, v]) => k + ' ' + v).join(' ') + ' page ' + d.renderMs;
    if (m.reason === 'graph') d.updateMs = (m.ms.parse || 0) + m.ms.model + m.ms.layout + +d.renderMs;
  };
  worker.postMessage({ type: 'start', events: new URL(withToken('debug/events'), location.href).href, collapseAbove: collapseFromURL });

  // ---- zoom and pan ----
  function applyView() {
    viewport.setAttribute('transform', `translate(${view.x},${view.y}) scale(${view.k})`);
    document.body.dataset.zoom = view.k.toFixed(4);
  }
  function fit() {
    const r = svg.getBoundingClientRect();
    const k = Math.min(1.5, (r.width - 40) / Math.max(size.w, 1), (r.height - 40) / Math.max(size.h, 1));
    view.x = 20; view.y = 20; view.k = Math.max(0.02, k);
    applyView();
  }
  svg.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const r = svg.getBoundingClientRect();
    const px = ev.clientX - r.left, py = ev.clientY - r.top;
    const k = Math.min(8, Math.max(0.02, view.k * Math.exp(-ev.deltaY * 0.0015)));
    view.x = px - (px - view.x) * k / view.k;
    view.y = py - (py - view.y) * k / view.k;
    view.k = k;
    applyView();
  }, { passive: false });
  let drag = null;
  svg.addEventListener('pointerdown', (ev) => {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, moved: false };
  });
  window.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    svg.classList.add('panning');
    view.x = drag.vx + dx;
    view.y = drag.vy + dy;
    applyView();
  });
  window.addEventListener('pointerup', () => {
    svg.classList.remove('panning');
    setTimeout(() => { drag = null; }, 0);
  });

  // ---- clicks and controls ----
  function onClick(ev) {
    if (drag && drag.moved) return;
    const el = ev.target.closest('[data-select],[data-toggle],[data-more]');
    if (!el) return;
    if (el.dataset.toggle) {
      const key = el.dataset.toggle;
      if (expanded.has(key)) expanded.delete(key); else expanded.set(key, PAGE);
      selected = { kind: 'bundle', id: key };
    } else if (el.dataset.more) {
      const key = el.dataset.more;
      expanded.set(key, (expanded.get(key) || 0) + PAGE);
    } else {
      const [kind, id] = el.dataset.select.split(':');
      selected = { kind, id: Number(id) };
    }
    send({ selected });
  }
  svg.addEventListener('click', onClick);
  details.addEventListener('click', onClick);
  svg.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); onClick(ev); }
  });
  collapseEl.addEventListener('change', () => {
    const n = parseInt(collapseEl.value, 10);
    if (n > 0) send({ collapseAbove: n });
  });
  document.getElementById('fit').addEventListener('click', fit);
  window.addEventListener('resize', applyView);
})();
