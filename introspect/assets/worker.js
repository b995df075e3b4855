// The worker behind the live page: it reads the feed of Graph documents
// (server-sent events, about one a second), groups the connections
// (identical ones beyond a threshold collapse into one group with a
// count), lays the graph out in layers (each component above its
// children, connections as clusters) and writes the SVG markup and the
// details of the selection. All of that runs here, so that parsing and
// laying out ten thousand connections never holds up the page: the page
// only puts the markup in, and handles zoom, pan and clicks.
'use strict';
(function () {
  const NODE_W = 250, HEAD_H = 36, PORT_H = 15, GAP = 28, PAD = 10, CLUSTER_HEAD = 20, LOOP_ROOM = 18;
  const ROW_MAX = 1700, PAGE = 50, BUNDLE_W = 300, BUNDLE_H = 64, BUNDLE_HEAD = 56;

  // What the page has asked for: see the 'ui' message.
  const state = {
    collapseAbove: 20,
    collapseFromPage: false,
    expanded: new Map(), // bundle key → how many of its connections are shown
    selected: null,      // {kind: 'component'|'connection'|'bundle', id}
  };
  let graph = null, model = null, dropped = 0, updates = 0;

  // ---- formatting ----
  const esc = (s) => String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]));
  const num = (n) => Number(n || 0).toLocaleString('en-US');
  function bytes(n) {
    n = n || 0;
    if (n < 1000) return n + ' B';
    const units = ['kB', 'MB', 'GB', 'TB'];
    let i = -1;
    do { n /= 1000; i++; } while (n >= 1000 && i < units.length - 1);
    return n.toFixed(n < 10 ? 1 : 0) + ' ' + units[i];
  }
  const limitText = (l) => !l || l.messages < 0 ? '∞' : String(l.messages);
  function isFull(b, l) {
    if (!l || l.messages < 0) return false;
    return (b.depth || 0) >= l.messages || (l.bytes > 0 && (b.bytes || 0) >= l.bytes);
  }
  const endpointText = (e, comps) => {
    const c = comps.get(e.component);
    return (c ? c.name : (e.label || '?')) + '.' + e.box;
  };
  function hash(s) {
    let h = 5381;
    for (let i = 0; i < s.length; i++) h = ((h << 5) + h + s.charCodeAt(i)) | 0;
    return (h >>> 0).toString(36);
  }

  // ---- model: who is where ----
  function buildModel(g) {
    const types = new Map();
    for (const t of g.types) types.set(t.id, t);
    const comps = new Map();
    for (const c of g.components) comps.set(c.id, c);
    const connOf = new Map();
    const conns = new Map();
    for (const conn of g.connections) {
      conns.set(conn.id, conn);
      for (const id of conn.components) connOf.set(id, conn);
    }
    const linksFrom = new Map();
    for (const l of g.links) {
      let list = linksFrom.get(l.from.component);
      if (!list) linksFrom.set(l.from.component, list = []);
      list.push(l);
    }
    const blockedOn = new Set();  // "id.box" of inboxes someone waits on
    for (const c of g.components) if (c.blocked) blockedOn.add(c.blocked.component + '.' + c.blocked.box);

    // A connection's signature: its members' types, how they nest, and
    // where their links go (inside by position, outside by component).
    const bySig = new Map();
    for (const conn of g.connections) {
      const members = [];
      for (const id of conn.components) {
        const c = comps.get(id);
        if (c) members.push(c);
      }
      if (members.length > 1) members.sort((a, b) => a.type - b.type || a.id - b.id);
      const ids = members.map((m) => m.id);
      let sig = String(conn.server || 0);
      let blocked = false;
      for (let i = 0; i < members.length; i++) {
        const m = members[i];
        const p = ids.indexOf(m.parent);
        sig += ';' + m.type + (p >= 0 ? '^' + p : '');
        if (m.state === 'blocked') blocked = true;
        for (const b of m.inboxes) if (b.waiting > 0) blocked = true;
        const out = linksFrom.get(m.id);
        if (!out) continue;
        for (const l of out) {
          const j = ids.indexOf(l.to.component);
          sig += ';' + i + '.' + l.from.box + '>' + (j >= 0 ? j : '#' + (l.to.component || l.to.label)) + '.' + l.to.box + ':' + l.kind;
        }
      }
      conn.members = members;
      conn.blocked = blocked;
      let list = bySig.get(sig);
      if (!list) bySig.set(sig, list = []);
      list.push(conn);
    }
    const bundleOf = new Map();
    const bundles = [];
    for (const [sig, list] of bySig) {
      if (list.length <= state.collapseAbove) continue;
      const key = 'b' + hash(sig);
      const kinds = list[0].members.map((m) => m.kind);
      const b = { key, server: list[0].server || 0, conns: list, kinds, blocked: 0, bytesIn: 0, bytesOut: 0 };
      for (const conn of list) {
        bundleOf.set(conn.id, b);
        if (conn.blocked) b.blocked++;
        b.bytesIn += conn.bytes_in || 0;
        b.bytesOut += conn.bytes_out || 0;
      }
      bundles.push(b);
    }
    return { g, types, comps, conns, connOf, linksFrom, blockedOn, bundles, bundleOf };
  }

  // ---- layout: items placed in layers, children below their parent ----
  // An item is a component node, a connection cluster, a group of
  // identical connections (a bundle, open or closed) or a "more" button.
  function layout(m) {
    const childrenOf = new Map();   // component id (0: top) → items below it
    const add = (parent, item) => {
      let list = childrenOf.get(parent);
      if (!list) childrenOf.set(parent, list = []);
      list.push(item);
    };
    const bundleItems = new Map();
    for (const c of m.g.components) {
      if (m.connOf.has(c.id)) continue;
      add(m.comps.has(c.parent) ? c.parent : 0, { type: 'comp', c });
    }
    for (const conn of m.g.connections) {
      const b = m.bundleOf.get(conn.id);
      if (b) {
        if (!bundleItems.has(b.key)) {
          const item = { type: 'bundle', b, open: state.expanded.has(b.key) };
          bundleItems.set(b.key, item);
          add(m.comps.has(b.server) ? b.server : 0, item);
        }
        continue;
      }
      add(m.comps.has(conn.server) ? conn.server : 0, { type: 'conn', conn });
    }
    for (const item of bundleItems.values()) {
      if (!item.open) continue;
      const shown = Math.min(state.expanded.get(item.b.key), item.b.conns.length);
      item.children = item.b.conns.slice(0, shown).map((conn) => ({ type: 'conn', conn }));
      if (shown < item.b.conns.length) item.children.push({ type: 'more', b: item.b, left: item.b.conns.length - shown });
    }
    const measure = (item) => {
      if (item.type === 'comp') {
        const c = item.c;
        item.nodeH = HEAD_H + Math.max(c.inboxes.length, c.outboxes.length, 1) * PORT_H + 6;
        item.kids = (childrenOf.get(c.id) || []);
        flow(item, item.kids, NODE_W, item.nodeH);
      } else if (item.type === 'conn') {
        const inside = item.conn.members.filter((mm) => !item.conn.components.includes(mm.parent))
          .map((c) => ({ type: 'comp', c }));
        // Members nest under members; their children inside the
        // connection are found through childrenOf of the member.
        for (const mm of item.conn.members) {
          if (!item.conn.components.includes(mm.parent)) continue;
          add(mm.parent, { type: 'comp', c: mm });
        }
        item.kids = inside;
        flowRow(item, inside);
        item.w += 2 * PAD;
        item.h += 2 * PAD + CLUSTER_HEAD + LOOP_ROOM;
      } else if (item.type === 'bundle') {
        if (!item.open) { item.w = BUNDLE_W; item.h = BUNDLE_H; return; }
        item.kids = item.children;
        for (const k of item.kids) measure(k);
        wrap(item, item.kids);
        item.w = Math.max(item.w + 2 * PAD, BUNDLE_W);
        item.h += BUNDLE_HEAD + PAD;
      } else if (item.type === 'more') {
        item.w = 200; item.h = 40;
      }
    };
    // flow lays children out in wrapping rows below a node of size w×h.
    const flow = (item, kids, w, h) => {
      for (const k of kids) measure(k);
      wrap(item, kids);
      item.w = Math.max(w, item.w);
      item.h = kids.length ? h + GAP + item.h : h;
    };
    const flowRow = (item, kids) => {
      for (const k of kids) measure(k);
      wrap(item, kids);
    };
    const wrap = (item, kids) => {
      item.rows = [];
      let row = null;
      for (const k of kids) {
        if (!row || (row.w + GAP + k.w > ROW_MAX && row.items.length)) {
          row = { items: [], w: -GAP, h: 0 };
          item.rows.push(row);
        }
        row.items.push(k);
        row.w += GAP + k.w;
        row.h = Math.max(row.h, k.h);
      }
      item.w = Math.max(0, ...item.rows.map((r) => r.w));
      item.h = item.rows.reduce((s, r) => s + r.h, 0) + Math.max(0, item.rows.length - 1) * GAP;
    };
    const placeRows = (item, x, y) => {
      for (const row of item.rows) {
        let cx = x;
        for (const k of row.items) { place(k, cx, y); cx += k.w + GAP; }
        y += row.h + GAP;
      }
    };
    const place = (item, x, y) => {
      item.x = x; item.y = y;
      if (item.type === 'comp') {
        item.nx = x + Math.max(0, (item.w - NODE_W) / 2);
        item.ny = y;
        if (item.kids.length) placeRows(item, x + (item.w - rowsWidth(item)) / 2, y + item.nodeH + GAP);
      } else if (item.type === 'conn') {
        placeRows(item, x + PAD, y + PAD + CLUSTER_HEAD);
      } else if (item.type === 'bundle' && item.open) {
        placeRows(item, x + PAD, y + BUNDLE_HEAD);
      }
    };
    const rowsWidth = (item) => Math.max(0, ...item.rows.map((r) => r.w));
    const top = { type: 'top', kids: childrenOf.get(0) || [] };
    for (const k of top.kids) measure(k);
    wrap(top, top.kids);
    placeRows(top, 0, 0);
    return top;
  }

  // ---- drawing ----
  // render returns the SVG markup of the graph and the size of the
  // drawing. It runs in this worker: the page only puts the markup in.
  function render(m) {
    const top = layout(m);
    const pos = new Map();      // component id → its drawn node {x, y, c}
    const rep = new Map();      // component id → the bundle drawn for it (closed or partly shown)
    const out = [];
    const walk = (item, fn) => { fn(item); for (const k of item.kids || []) walk(k, fn); };
    walk(top, (item) => {
      if (item.type === 'comp') pos.set(item.c.id, { x: item.nx, y: item.ny, h: item.nodeH, c: item.c });
      if (item.type === 'bundle') for (const conn of item.b.conns) for (const id of conn.components) rep.set(id, item);
    });
    // Edges: between drawn ports, or from a bundle as one edge with a
    // count. An edge inside one connection is drawn with it.
    const inside = new Map();   // connection id → its edges' markup
    const counted = new Map();  // bundle edges, by ends
    const global = [];
    const portY = (p, i) => p.y + HEAD_H + i * PORT_H + PORT_H / 2;
    const boxIndex = (c, name, inbox) => (inbox ? c.inboxes : c.outboxes).findIndex((b) => b.name === name);
    for (const l of m.g.links) {
      const a = pos.get(l.from.component), b = pos.get(l.to.component);
      if (a && b) {
        const fromIn = l.kind === 'inward', toIn = l.kind !== 'outward';
        const ia = boxIndex(a.c, l.from.box, fromIn), ib = boxIndex(b.c, l.to.box, toIn);
        const x1 = fromIn ? a.x : a.x + NODE_W, y1 = portY(a, Math.max(ia, 0));
        const x2 = toIn ? b.x : b.x + NODE_W, y2 = portY(b, Math.max(ib, 0));
        let d;
        if (!fromIn && toIn && x2 < x1 + 20) {
          // Back to the left: a loop under both nodes, not through them.
          const yb = Math.max(a.y + a.h, b.y + b.h) + 14;
          d = `M${x1},${y1} C${x1 + 40},${y1} ${x1 + 40},${yb} ${(x1 + x2) / 2},${yb} S${x2 - 40},${y2} ${x2},${y2}`;
        } else {
          const dx = Math.max(40, Math.abs(x2 - x1) / 2);
          const c1 = fromIn ? x1 - dx : x1 + dx, c2 = toIn ? x2 - dx : x2 + dx;
          d = `M${x1},${y1} C${c1},${y1} ${c2},${y2} ${x2},${y2}`;
        }
        const hot = m.blockedOn.has(l.to.component + '.' + l.to.box) ? ' hot' : '';
        const path = `<path class="edge ${l.kind}${hot}" data-from="${l.from.component}" data-to="${l.to.component}" data-kind="${l.kind}" d="${d}"><title>${esc(endpointText(l.from, m.comps) + ' → ' + endpointText(l.to, m.comps) + ' (' + l.kind + ')')}</title></path>`;
        const ca = m.connOf.get(l.from.component), cb = m.connOf.get(l.to.component);
        if (ca && ca === cb) {
          let list = inside.get(ca.id);
          if (!list) inside.set(ca.id, list = []);
          list.push(path);
        } else global.push(path);
        continue;
      }
      const ra = a ? null : rep.get(l.from.component), rb = b ? null : rep.get(l.to.component);
      if ((!a && !ra) || (!b && !rb) || (ra && ra === rb)) continue;
      const key = (a ? 'c' + l.from.component + '.' + l.from.box : ra.b.key) + '>' + (b ? 'c' + l.to.component + '.' + l.to.box : rb.b.key);
      let e = counted.get(key);
      if (!e) {
        const ia = a ? boxIndex(a.c, l.from.box, l.kind === 'inward') : 0;
        const ib = b ? boxIndex(b.c, l.to.box, l.kind !== 'outward') : 0;
        e = {
          n: 0, kind: l.kind,
          x1: a ? a.x + NODE_W : ra.x + ra.w, y1: a ? portY(a, Math.max(ia, 0)) : ra.y + BUNDLE_H / 2,
          x2: b ? b.x : rb.x, y2: b ? portY(b, Math.max(ib, 0)) : rb.y + BUNDLE_H / 2,
        };
        counted.set(key, e);
      }
      e.n++;
    }
    for (const e of counted.values()) {
      const dx = Math.max(40, Math.abs(e.x2 - e.x1) / 2);
      global.push(`<path class="edge ${e.kind} bundled" data-count="${e.n}" d="M${e.x1},${e.y1} C${e.x1 + dx},${e.y1} ${e.x2 - dx},${e.y2} ${e.x2},${e.y2}"></path>`);
      global.push(`<text class="edge-count" x="${(e.x1 + e.x2) / 2}" y="${(e.y1 + e.y2) / 2 - 4}">×${num(e.n)}</text>`);
    }
    out.push('<g class="edges">', global.join(''), '</g>');
    const draw = (item) => {
      if (item.type === 'comp') {
        out.push(nodeMarkup(item, m));
        for (const k of item.kids) draw(k);
      } else if (item.type === 'conn') {
        const conn = item.conn;
        const sel = state.selected && state.selected.kind === 'connection' && state.selected.id === conn.id ? ' selected' : '';
        out.push(`<g class="conn${conn.blocked ? ' blocked' : ''}${sel}" data-conn="${conn.id}" data-blocked="${conn.blocked}">`);
        out.push(`<rect class="cb" x="${item.x}" y="${item.y}" width="${item.w}" height="${item.h}" rx="8"></rect>`);
        const title = `connection ${conn.id}${conn.remote ? ' · ' + conn.remote : ''} · in ${bytes(conn.bytes_in)} · out ${bytes(conn.bytes_out)}${conn.blocked ? ' · BLOCKED' : ''}`;
        out.push(`<text class="ch" data-select="connection:${conn.id}" x="${item.x + PAD}" y="${item.y + PAD + 12}">${esc(title)}</text>`);
        out.push('<g class="edges">', (inside.get(conn.id) || []).join(''), '</g>');
        for (const k of item.kids) draw(k);
        out.push('</g>');
      } else if (item.type === 'bundle') {
        const b = item.b;
        const sel = state.selected && state.selected.kind === 'bundle' && state.selected.id === b.key ? ' selected' : '';
        out.push(`<g class="bundle${item.open ? ' expanded' : ''}${b.blocked ? ' blocked' : ''}${sel}" data-bundle="${b.key}" data-count="${b.conns.length}" data-blocked="${b.blocked}">`);
        out.push(`<rect class="bb" data-toggle="${b.key}" x="${item.x}" y="${item.y}" width="${item.w}" height="${item.h}" rx="10"></rect>`);
        const head = `${num(b.conns.length)} connections · ${b.kinds.join(' + ')}`;
        const sub = `${b.blocked ? num(b.blocked) + ' blocked · ' : ''}in ${bytes(b.bytesIn)} · out ${bytes(b.bytesOut)} · ${item.open ? 'click to close' : 'click to open'}`;
        out.push(`<text class="bt" data-toggle="${b.key}" x="${item.x + 12}" y="${item.y + 24}">${esc(head)}</text>`);
        out.push(`<text class="bs" data-toggle="${b.key}" x="${item.x + 12}" y="${item.y + 44}">${esc(sub)}</text>`);
        if (item.open) for (const k of item.kids) draw(k);
        out.push('</g>');
      } else if (item.type === 'more') {
        out.push(`<g class="more" data-more="${item.b.key}"><rect data-more="${item.b.key}" x="${item.x}" y="${item.y}" width="${item.w}" height="${item.h}" rx="6"></rect>`);
        out.push(`<text data-more="${item.b.key}" x="${item.x + 12}" y="${item.y + 25}">show ${Math.min(PAGE, item.left)} more (${num(item.left)} hidden)</text></g>`);
      }
    };
    for (const k of top.kids) draw(k);
    return { svg: out.join(''), w: top.w || 0, h: top.h || 0 };
  }

  function nodeMarkup(item, m) {
    const c = item.c, t = m.types.get(c.type) || { inboxes: [], outboxes: [] };
    const x = item.nx, y = item.ny, h = item.nodeH;
    const sel = state.selected && state.selected.kind === 'component' && state.selected.id === c.id ? ' selected' : '';
    const blockedLabel = c.blocked ? endpointText(c.blocked, m.comps) : '';
    const parts = [`<g class="node ${esc(c.state)}${sel}" tabindex="0" data-select="component:${c.id}" data-id="${c.id}" data-kind="${esc(c.kind)}" data-state="${esc(c.state)}"${c.blocked ? ` data-blocked="${esc(blockedLabel)}"` : ''}${c.connection ? ` data-conn="${c.connection}"` : ''}>`];
    parts.push(`<rect class="nb" x="${x}" y="${y}" width="${NODE_W}" height="${h}" rx="5"></rect>`);
    parts.push(`<text class="nt" x="${x + 8}" y="${y + 15}">${esc(c.name)}</text>`);
    let sub = c.state;
    if (c.blocked) sub = 'blocked on ' + blockedLabel;
    else if (c.stats && !c.stats.counters) sub += ` · in ${bytes(c.stats.bytes_in)} · out ${bytes(c.stats.bytes_out)}`;
    parts.push(`<text class="ns" x="${x + 8}" y="${y + 29}">${esc(sub)}</text>`);
    c.inboxes.forEach((b, i) => {
      const bt = t.inboxes[i] || {};
      const py = y + HEAD_H + i * PORT_H;
      const full = isFull(b, bt.limit), waiting = (b.waiting || 0) > 0;
      const cls = 'port in' + (full ? ' full' : '') + (waiting ? ' waiting' : '') + ((b.depth || 0) > 0 ? ' busy' : '');
      const tip = `${b.name} (inbox): ${bt.doc || ''}\nqueued ${num(b.depth)} of ${limitText(bt.limit)} (${bytes(b.bytes)}${bt.limit && bt.limit.bytes ? ' of ' + bytes(bt.limit.bytes) : ''})\nreceived ${num(b.received)} · taken ${num(b.taken)}${waiting ? '\n' + b.waiting + ' sender(s) waiting for room' : ''}${b.dropped ? '\ndropped ' + num(b.dropped) : ''}`;
      parts.push(`<g class="${cls}" data-box="${esc(b.name)}" data-depth="${b.depth || 0}" data-limit="${bt.limit ? bt.limit.messages : -1}" data-waiting="${b.waiting || 0}"><title>${esc(tip)}</title>`);
      parts.push(`<rect x="${x - 4}" y="${py + 2}" width="8" height="${PORT_H - 4}"></rect>`);
      const byBytes = bt.limit && bt.limit.bytes > 0 && (b.bytes || 0) >= bt.limit.bytes ? ' ' + bytes(b.bytes) : '';
      parts.push(`<text x="${x + 8}" y="${py + 11}">${esc(b.name)} ${num(b.depth)}/${limitText(bt.limit)}${byBytes} · ${num(b.received)}</text></g>`);
    });
    c.outboxes.forEach((b, i) => {
      const bt = t.outboxes[i] || {};
      const py = y + HEAD_H + i * PORT_H;
      const tip = `${b.name} (outbox): ${bt.doc || ''}\nsent ${num(b.sent)}${b.dropped ? ' · dropped ' + num(b.dropped) : ''}`;
      parts.push(`<g class="port out" data-box="${esc(b.name)}"><title>${esc(tip)}</title>`);
      parts.push(`<rect x="${x + NODE_W - 4}" y="${py + 2}" width="8" height="${PORT_H - 4}"></rect>`);
      parts.push(`<text x="${x + NODE_W - 8}" y="${py + 11}" text-anchor="end">${esc(b.name)} ${num(b.sent)}</text></g>`);
    });
    parts.push('</g>');
    return parts.join('');
  }

  // ---- details of the selection ----
  // detailsHTML returns the details of the selection, or null for none.
  function detailsHTML(m, s) {
    if (!s) return null;
    let html = '';
    if (s.kind === 'component') {
      const c = m.comps.get(s.id);
      if (!c) return `<h2>component ${s.id}</h2><p class="hint">It has ended.</p>`;
      const t = m.types.get(c.type) || { inboxes: [], outboxes: [] };
      const parent = m.comps.get(c.parent);
      html += `<h2 data-detail="component" data-id="${c.id}">${esc(c.name)}</h2><dl>`;
      html += `<dt>kind</dt><dd>${esc(c.kind)} (${t.reactive ? 'reactive' : 'goroutine'})</dd>`;
      html += `<dt>state</dt><dd>${esc(c.state)}${c.blocked ? ' on <b>' + esc(endpointText(c.blocked, m.comps)) + '</b>' : ''}</dd>`;
      if (parent) html += `<dt>parent</dt><dd><button class="link" data-select="component:${parent.id}">${esc(parent.name)}</button></dd>`;
      if (c.connection) html += `<dt>connection</dt><dd><button class="link" data-select="connection:${c.connection}">${c.connection}</button></dd>`;
      if (c.stats) {
        if (!c.stats.counters || c.stats.bytes_in || c.stats.bytes_out) html += `<dt>bytes in</dt><dd>${num(c.stats.bytes_in)} (${bytes(c.stats.bytes_in)})</dd><dt>bytes out</dt><dd>${num(c.stats.bytes_out)} (${bytes(c.stats.bytes_out)})</dd>`;
        if (c.stats.remote) html += `<dt>peer</dt><dd>${esc(c.stats.remote)}</dd>`;
        for (const k of c.stats.counters || []) html += `<dt>${esc(k.name)}</dt><dd data-counter="${esc(k.name)}">${num(k.value)}</dd>`;
      }
      html += '</dl><h3>inboxes</h3><table><tr><th>box</th><th title="messages queued / the limit">queue</th><th title="bytes queued / the limit">bytes</th><th title="messages ever received">in</th><th title="messages ever taken out">out</th><th title="senders waiting for room">wait</th></tr>';
      c.inboxes.forEach((b, i) => {
        const bt = t.inboxes[i] || {};
        const full = isFull(b, bt.limit) ? ' class="full"' : '';
        const byteLimit = bt.limit && bt.limit.bytes ? ' / ' + bytes(bt.limit.bytes) : '';
        const extra = (b.dropped ? ` · dropped ${num(b.dropped)}` : '') + (b.overflow ? ` · let in past the limit ${num(b.overflow)}` : '');
        html += `<tr><td>${esc(b.name)}<div class="doc">${esc(bt.doc || '')}${extra}</div></td><td${full}>${num(b.depth)}/${limitText(bt.limit)}</td><td${full}>${bytes(b.bytes)}${byteLimit}</td><td>${num(b.received)}</td><td>${num(b.taken)}</td><td${b.waiting ? ' class="full"' : ''}>${num(b.waiting)}</td></tr>`;
      });
      html += '</table><h3>outboxes</h3><table><tr><th>box</th><th>sent</th><th>dropped</th><th>to</th></tr>';
      c.outboxes.forEach((b, i) => {
        const bt = t.outboxes[i] || {};
        const l = (m.linksFrom.get(c.id) || []).find((x) => x.from.box === b.name);
        html += `<tr><td title="${esc(bt.doc || '')}">${esc(b.name)}<div class="doc">${esc(bt.doc || '')}</div></td><td>${num(b.sent)}</td><td>${num(b.dropped)}</td><td>${l ? esc(endpointText(l.to, m.comps)) : '—'}</td></tr>`;
      });
      html += '</table>';
    } else if (s.kind === 'connection') {
      const conn = m.conns.get(s.id);
      if (!conn) return `<h2>connection ${s.id}</h2><p class="hint">It has closed.</p>`;
      html += `<h2 data-detail="connection" data-id="${conn.id}">connection ${conn.id}</h2><dl>`;
      if (conn.remote) html += `<dt>peer</dt><dd>${esc(conn.remote)}</dd>`;
      html += `<dt>bytes in</dt><dd>${num(conn.bytes_in)} (${bytes(conn.bytes_in)})</dd><dt>bytes out</dt><dd>${num(conn.bytes_out)} (${bytes(conn.bytes_out)})</dd>`;
      const server = m.comps.get(conn.server);
      if (server) html += `<dt>server</dt><dd><button class="link" data-select="component:${server.id}">${esc(server.name)}</button></dd>`;
      html += `<dt>blocked</dt><dd>${conn.blocked ? 'yes' : 'no'}</dd></dl><h3>components</h3><ul>`;
      for (const c of conn.members) html += `<li><button class="link" data-select="component:${c.id}">${esc(c.name)}</button> ${esc(c.state)}${c.blocked ? ' on ' + esc(endpointText(c.blocked, m.comps)) : ''}</li>`;
      html += '</ul>';
    } else if (s.kind === 'bundle') {
      const b = m.bundles.find((x) => x.key === s.id);
      if (!b) return '<h2>group</h2><p class="hint">No such group any more: fewer connections, or they changed.</p>';
      html += `<h2 data-detail="bundle">${num(b.conns.length)} connections</h2><dl><dt>each</dt><dd>${esc(b.kinds.join(' + '))}</dd>`;
      html += `<dt>blocked</dt><dd>${num(b.blocked)}</dd><dt>bytes in</dt><dd>${bytes(b.bytesIn)}</dd><dt>bytes out</dt><dd>${bytes(b.bytesOut)}</dd></dl>`;
      const blocked = b.conns.filter((c) => c.blocked).slice(0, 20);
      if (blocked.length) {
        html += '<h3>blocked connections</h3><ul>';
        for (const c of blocked) html += `<li><button class="link" data-select="connection:${c.id}">${c.id}</button> ${esc(c.remote || '')}</li>`;
        html += '</ul>';
      }
    }
    return html;
  }


  // frame sends the page what to show.
  function frame(reason, ms) {
    if (!graph) return;
    const t0 = performance.now();
    if (!model) model = buildModel(graph);
    const t1 = performance.now();
    const r = render(model);
    const t2 = performance.now();
    postMessage({
      type: 'frame', reason, svg: r.svg, w: r.w, h: r.h,
      details: detailsHTML(model, state.selected),
      taken: graph.taken, components: graph.components.length, connections: graph.connections.length,
      dropped, updates, collapseAbove: state.collapseAbove,
      ms: Object.assign({}, ms || {}, { model: Math.round(t1 - t0), layout: Math.round(t2 - t1) }),
    });
  }

  self.onmessage = (ev) => {
    const m = ev.data;
    if (m.type === 'start') {
      if (m.collapseAbove > 0) { state.collapseAbove = m.collapseAbove; state.collapseFromPage = true; }
      connect(m.events);
      return;
    }
    if (m.type === 'ui') {
      if (m.collapseAbove > 0 && m.collapseAbove !== state.collapseAbove) {
        state.collapseAbove = m.collapseAbove;
        state.collapseFromPage = true;
        model = null;
      }
      if (m.expanded) state.expanded = new Map(m.expanded);
      if ('selected' in m) state.selected = m.selected;
      frame('ui');
    }
  };

  function connect(url) {
    const es = new EventSource(url);
    es.addEventListener('hello', (ev) => {
      const h = JSON.parse(ev.data);
      if (!state.collapseFromPage && h.collapse_above > 0) state.collapseAbove = h.collapse_above;
    });
    // A picture that comes while one is being worked on waits; of those
    // that wait, only the newest is worked on, so a slow machine skips
    // pictures instead of falling behind.
    let waiting = null;
    const work = () => {
      const data = waiting;
      waiting = null;
      const t0 = performance.now();
      graph = JSON.parse(data);
      for (const k of ['types', 'components', 'connections', 'links']) graph[k] = graph[k] || []; // null when empty
      model = null;
      updates++;
      frame('graph', { parse: Math.round(performance.now() - t0) });
    };
    es.addEventListener('graph', (ev) => {
      if (waiting === null) setTimeout(work, 0);
      waiting = ev.data;
    });
    es.addEventListener('dropped', (ev) => { dropped += parseInt(ev.data, 10) || 0; });
    es.onopen = () => postMessage({ type: 'status', on: true });
    es.onerror = () => postMessage({ type: 'status', on: false });
  }
})();
