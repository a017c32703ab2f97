// The replay viewer: plays the data embedded in this page (no network, no
// server). Plain canvas drawing; window.replay exposes the state and the
// controls so that scripts (and tests) can drive it without waiting on time.
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("replay-data").textContent);
  const $ = (id) => document.getElementById(id);
  const app = $("app"), map = $("map"), tl = $("timeline");
  const TQ = D.tq, Q = D.q, T1 = D.t1 * TQ;
  const TRAIL = Math.min(15, Math.max(2, T1 / 30));  // seconds a hop's trail fades over
  const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4",
    "#f032e6", "#9a6324", "#469990", "#800000", "#808000", "#000075"];
  const ROLE_COLORS = ["#d4a017", "#1f77b4", "#2ca02c", "#9467bd", "#17becf", "#8c564b", "#e377c2"];
  const KIND_COLORS = { start: "#2a9d8f", end: "#264653", error: "#d62828", hop_failed: "#f77f00",
    tag: "#8d99ae", wake: "#7209b7", log: "#adb5bd", refused: "#000000" };
  const smColor = (i) => i < PALETTE.length ? PALETTE[i]
    : "hsl(" + Math.round((i * 137.508) % 360) + ",70%,45%)";

  // ---- decode -------------------------------------------------------------------
  const nodes = D.nodes.map((n, i) => {
    const p = n.p, k = p.length / 3;
    const ts = new Float64Array(k), xs = new Float64Array(k), ys = new Float64Array(k);
    const vis = new Uint8Array(k);
    let t = 0, x = 0, y = 0;
    for (let j = 0; j < k; j++) {
      t += p[3 * j];
      ts[j] = t * TQ;
      if (p[3 * j + 1] !== null) { x += p[3 * j + 1]; y += p[3 * j + 2]; vis[j] = 1; }
      xs[j] = x * Q; ys[j] = y * Q;
    }
    return { id: n.id, index: i, tags: n.tags || {}, role: n.role, ts, xs, ys, vis,
      nbrs: n.n.map((e) => [e[0] * TQ, e[1]]) };
  });
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const roles = [...new Set(nodes.map((n) => n.role).filter((r) => r))].sort();
  const roleColor = new Map(roles.map((r, i) => [r, ROLE_COLORS[i % ROLE_COLORS.length]]));

  function posAt(n, t) {
    const ts = n.ts, k = ts.length;
    if (!k || t < ts[0]) return null;
    let lo = 0, hi = k - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (ts[mid] <= t) lo = mid; else hi = mid - 1; }
    if (!n.vis[lo]) return null;
    if (lo === k - 1 || !n.vis[lo + 1]) return [n.xs[lo], n.ys[lo]];
    const f = (t - ts[lo]) / (ts[lo + 1] - ts[lo]);
    return [n.xs[lo] + (n.xs[lo + 1] - n.xs[lo]) * f, n.ys[lo] + (n.ys[lo + 1] - n.ys[lo]) * f];
  }

  const sms = D.sms.map((s, i) => {
    const sm = { id: s.id, index: i, color: smColor(i), brick: s.brick, parent: s.parent,
      origin: s.origin, node: s.node, result: s.result, error: s.error, bytes: s.bytes,
      start: s.start === null ? null : s.start * TQ, end: s.end === null ? null : s.end * TQ };
    sm.hops = s.hops.map((h) => {
      const hop = { t0: h[0] * TQ, t1: h[1] * TQ, from: h[2], to: h[3], bytes: h[4], sm };
      hop.a = posAt(nodes[hop.from], hop.t0) || posAt(nodes[hop.from], hop.t1);
      hop.b = posAt(nodes[hop.to], hop.t1) || posAt(nodes[hop.to], hop.t0);
      return hop;
    });
    return sm;
  });
  const smById = new Map(sms.map((s) => [s.id, s]));
  const events = D.events.map((e) => ({ t: e[0] * TQ, kind: D.kinds[e[1]], node: e[2], sm: e[3], text: e[4] }));
  const tagChanges = D.tags.map((e) => ({ t: e[0] * TQ, node: e[1], op: e[2], name: e[3],
    known: e.length > 4, value: e[4] }));
  const eventTimes = (() => {
    const all = events.map((e) => e.t);
    for (const sm of sms) for (const h of sm.hops) all.push(h.t0, h.t1);
    all.sort((a, b) => a - b);
    return all.filter((t, i) => i === 0 || t > all[i - 1] + 1e-9);
  })();

  // ---- state --------------------------------------------------------------------
  const state = { time: 0, playing: false, speed: 1, selectedNode: null, selectedSM: null,
    hidden: new Set(), frame: 0, view: null };
  let positions = [];   // of every node at state.time (null: not on the map)

  // ---- geometry -----------------------------------------------------------------
  const b = D.bounds;
  function fitView() {
    const w = map.clientWidth || 800, h = map.clientHeight || 600, pad = 24;
    const bw = Math.max(1, b[2] - b[0]), bh = Math.max(1, b[3] - b[1]);
    const scale = Math.min((w - 2 * pad) / bw, (h - 2 * pad) / bh);
    state.view = { scale, ox: (w - bw * scale) / 2 - b[0] * scale, oy: (h + bh * scale) / 2 + b[1] * scale };
  }
  const sx = (x) => state.view.ox + x * state.view.scale;
  const sy = (y) => state.view.oy - y * state.view.scale;

  function sizeCanvas(c) {
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth, h = c.clientHeight;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
    }
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return ctx;
  }

  // ---- links --------------------------------------------------------------------
  function links() {
    const out = [];
    if (D.range) {
      const r = D.range, r2 = r * r, grid = new Map();
      positions.forEach((p, i) => {
        if (!p) return;
        const key = Math.floor(p[0] / r) + "," + Math.floor(p[1] / r);
        if (!grid.has(key)) grid.set(key, []);
        grid.get(key).push(i);
      });
      positions.forEach((p, i) => {
        if (!p) return;
        const gx = Math.floor(p[0] / r), gy = Math.floor(p[1] / r);
        for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) {
          for (const j of grid.get((gx + dx) + "," + (gy + dy)) || []) {
            if (j <= i) continue;
            const q = positions[j], ex = p[0] - q[0], ey = p[1] - q[1];
            if (ex * ex + ey * ey <= r2) out.push([i, j]);
          }
        }
      });
      return out;
    }
    nodes.forEach((n, i) => {
      for (const j of heard(n, state.time)) if (positions[i] && positions[j]) out.push([i, j]);
    });
    return out;
  }

  function heard(n, t) {  // a daemon's neighbours at t, from its last report
    let found = [];
    for (const [when, ids] of n.nbrs) { if (when <= t) found = ids; else break; }
    return found;
  }

  function neighboursOf(i) {
    if (!positions[i]) return [];
    if (!D.range) return heard(nodes[i], state.time).map((j) => nodes[j].id);
    const p = positions[i], r2 = D.range * D.range, out = [];
    positions.forEach((q, j) => {
      if (q && j !== i && (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 <= r2) out.push(nodes[j].id);
    });
    return out;
  }

  function tagsOf(i, t) {
    const tags = Object.assign({}, nodes[i].tags);
    for (const c of tagChanges) {
      if (c.t > t) break;
      if (c.node !== i) continue;
      if (c.op === "delete" || c.op === "expire") delete tags[c.name];
      else tags[c.name] = c.known ? c.value : "(not readable by everyone)";
    }
    return tags;
  }

  // where an SM is at t: {node, flying: hop|null, ended}
  function whereIs(sm, t) {
    if (sm.start === null || t < sm.start) return null;
    let at = sm.origin, flying = null;
    for (const h of sm.hops) {
      if (h.t0 > t) break;
      if (h.t1 <= t) at = h.to; else flying = h;
    }
    const ended = sm.end !== null && t >= sm.end;
    if (ended && sm.node !== null && sm.node !== undefined) at = sm.node;
    return { node: at, flying, ended };
  }

  const visible = (sm) => !state.hidden.has(sm.id);

  // ---- drawing ------------------------------------------------------------------
  function arrow(ctx, x0, y0, x1, y1, size) {
    const a = Math.atan2(y1 - y0, x1 - x0);
    ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
    ctx.beginPath(); ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - size * Math.cos(a - 0.45), y1 - size * Math.sin(a - 0.45));
    ctx.lineTo(x1 - size * Math.cos(a + 0.45), y1 - size * Math.sin(a + 0.45));
    ctx.closePath(); ctx.fill();
  }

  let drawnHops = [];  // [x0, y0, x1, y1, sm] of the hops on screen, for clicks

  function draw() {
    const ctx = sizeCanvas(map), t = state.time;
    if (!state.view) fitView();
    const w = map.clientWidth, h = map.clientHeight;
    ctx.clearRect(0, 0, w, h);
    positions = nodes.map((n) => posAt(n, t));
    // area, roads, spaces
    ctx.strokeStyle = "#ddd"; ctx.lineWidth = 1;
    ctx.strokeRect(sx(b[0]), sy(b[3]), (b[2] - b[0]) * state.view.scale, (b[3] - b[1]) * state.view.scale);
    if (D.roads.length) {
      ctx.strokeStyle = "#d9d4c7"; ctx.lineWidth = Math.max(1.5, 4 * state.view.scale); ctx.lineCap = "round";
      ctx.beginPath();
      for (const line of D.roads) {
        ctx.moveTo(sx(line[0] * Q), sy(line[1] * Q));
        for (let k = 2; k < line.length; k += 2) ctx.lineTo(sx(line[k] * Q), sy(line[k + 1] * Q));
      }
      ctx.stroke();
    }
    drawSpaces(ctx);
    // radio links at this instant
    const pairs = links();
    ctx.strokeStyle = "rgba(120,140,160,0.25)"; ctx.lineWidth = 1;
    ctx.beginPath();
    for (const [i, j] of pairs) {
      ctx.moveTo(sx(positions[i][0]), sy(positions[i][1]));
      ctx.lineTo(sx(positions[j][0]), sy(positions[j][1]));
    }
    ctx.stroke();
    // hops: in flight (animated), trails (fading), the selected SM's whole path
    drawnHops = [];
    let highlighted = 0;
    const sel = state.selectedSM !== null ? smById.get(state.selectedSM) : null;
    for (const sm of sms) {
      if (!visible(sm) || sm === sel) continue;
      for (const hop of sm.hops) {
        if (hop.t0 > t) break;
        if (!hop.a || !hop.b || t > hop.t1 + TRAIL) continue;
        const x0 = sx(hop.a[0]), y0 = sy(hop.a[1]), x1 = sx(hop.b[0]), y1 = sy(hop.b[1]);
        ctx.strokeStyle = ctx.fillStyle = sm.color;
        if (t < hop.t1) {
          const f = (t - hop.t0) / Math.max(1e-9, hop.t1 - hop.t0);
          ctx.globalAlpha = sel ? 0.35 : 1; ctx.lineWidth = 3;
          arrow(ctx, x0, y0, x0 + (x1 - x0) * f, y0 + (y1 - y0) * f, 9);
        } else {
          ctx.globalAlpha = (sel ? 0.3 : 0.85) * (1 - (t - hop.t1) / TRAIL); ctx.lineWidth = 2;
          arrow(ctx, x0, y0, x1, y1, 7);
        }
        drawnHops.push([x0, y0, x1, y1, sm]);
      }
    }
    ctx.globalAlpha = 1;
    if (sel && visible(sel)) {
      for (const hop of sel.hops) {
        if (!hop.a || !hop.b) continue;
        const x0 = sx(hop.a[0]), y0 = sy(hop.a[1]), x1 = sx(hop.b[0]), y1 = sy(hop.b[1]);
        ctx.strokeStyle = ctx.fillStyle = sel.color;
        if (hop.t0 > t) { ctx.setLineDash([5, 5]); ctx.lineWidth = 1.5; ctx.globalAlpha = 0.6; }
        else { ctx.setLineDash([]); ctx.lineWidth = 4; ctx.globalAlpha = 1; }
        const f = t < hop.t1 && t >= hop.t0 ? (t - hop.t0) / Math.max(1e-9, hop.t1 - hop.t0) : 1;
        arrow(ctx, x0, y0, x0 + (x1 - x0) * f, y0 + (y1 - y0) * f, 10);
        drawnHops.push([x0, y0, x1, y1, sel]);
        highlighted++;
      }
      ctx.setLineDash([]); ctx.globalAlpha = 1;
    }
    // nodes
    const r = nodes.length > 300 ? 2.5 : nodes.length > 80 ? 3.5 : 5;
    const holders = new Map();
    for (const sm of sms) {
      if (!visible(sm)) continue;
      const where = whereIs(sm, t);
      if (!where || where.flying || (where.ended && t > sm.end + TRAIL)) continue;
      if (!holders.has(where.node)) holders.set(where.node, []);
      holders.get(where.node).push(sm);
    }
    nodes.forEach((n, i) => {
      const p = positions[i];
      if (!p) return;
      const x = sx(p[0]), y = sy(p[1]);
      ctx.beginPath(); ctx.arc(x, y, n.role ? r + 1.5 : r, 0, 2 * Math.PI);
      ctx.fillStyle = n.role ? roleColor.get(n.role) : "#7a7a7a"; ctx.fill();
      if (n.role) { ctx.strokeStyle = "#333"; ctx.lineWidth = 1; ctx.stroke(); }
      const here = holders.get(i);
      if (here) {
        here.forEach((sm, k) => {
          ctx.fillStyle = sm.color;
          ctx.fillRect(x + r + 2 + k * 7, y - r - 7, 6, 6);
        });
      }
      if (state.selectedNode === n.id) {
        ctx.beginPath(); ctx.arc(x, y, r + 5, 0, 2 * Math.PI);
        ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.stroke();
      }
      if (nodes.length <= 60) {
        ctx.fillStyle = "#555"; ctx.font = "10px sans-serif"; ctx.fillText(n.id, x + r + 2, y + r + 9);
      }
    });
    drawTimeline();
    state.frame++;
    $("clock").textContent = t.toFixed(3) + " s / " + T1.toFixed(1) + " s";
    const slider = $("slider");
    if (document.activeElement !== slider) slider.value = String(t);
    const last = lastEvent(t);
    $("eventline").textContent = last ? describe(last) : "";
    Object.assign(app.dataset, { time: t.toFixed(6), playing: String(state.playing),
      selectedNode: state.selectedNode || "", selectedSm: state.selectedSM || "",
      highlightedHops: String(highlighted), frame: String(state.frame),
      links: String(pairs.length) });
    if (state.infoFor) showInfo();
  }

  function drawSpaces(ctx) {
    ctx.lineWidth = 1.5;
    D.spaces.forEach((space, k) => {
      const color = ["#2a9d8f", "#e76f51", "#457b9d", "#8338ec"][k % 4];
      ctx.strokeStyle = color; ctx.fillStyle = color; ctx.setLineDash([6, 4]);
      let lx = null, ly = null;
      for (const s of space.shapes) {
        ctx.beginPath();
        if (s[0] === "circle") ctx.arc(sx(s[1]), sy(s[2]), s[3] * state.view.scale, 0, 2 * Math.PI);
        else if (s[0] === "rect") ctx.rect(sx(s[1]), sy(s[4]), (s[3] - s[1]) * state.view.scale, (s[4] - s[2]) * state.view.scale);
        else if (s[0] === "polygon") {
          for (let k2 = 0; k2 < s[1]; k2++) {
            const x = sx(s[2 + 2 * k2]), y = sy(s[3 + 2 * k2]);
            if (k2 === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
          }
          ctx.closePath();
        }
        ctx.globalAlpha = 0.06; ctx.fill(); ctx.globalAlpha = 1; ctx.stroke();
        if (lx === null) {
          lx = s[0] === "circle" ? sx(s[1] - s[3]) : sx(s[s[0] === "rect" ? 1 : 2]);
          ly = s[0] === "circle" ? sy(s[2] + s[3]) : sy(s[s[0] === "rect" ? 4 : 3]);
        }
      }
      ctx.setLineDash([]);
      if (lx !== null) { ctx.font = "bold 12px sans-serif"; ctx.fillText(space.name, lx + 4, ly + 14); }
    });
  }

  // the event ticks are drawn once (again when the size or the SM filter
  // changes) and copied each frame: a long run has many thousands
  let ticks = null, ticksKey = "";
  function drawTimeline() {
    const ctx = sizeCanvas(tl), w = tl.clientWidth, h = tl.clientHeight;
    const X = (t) => 4 + (w - 8) * (T1 ? t / T1 : 0);
    const key = tl.width + "x" + tl.height + ":" + [...state.hidden].sort().join(",");
    if (key !== ticksKey) {
      ticks = document.createElement("canvas");
      ticks.width = tl.width; ticks.height = tl.height;
      const g = ticks.getContext("2d"), dpr = tl.width / Math.max(1, w);
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      const rows = D.kinds.length, rh = (h - 6) / rows;
      D.kinds.forEach((kind, k) => {
        g.fillStyle = KIND_COLORS[kind] || "#444";
        g.globalAlpha = 0.12; g.fillRect(0, 3 + k * rh, w, rh - 1); g.globalAlpha = 1;
      });
      for (const e of events) {
        const sm = e.sm >= 0 ? sms[e.sm] : null;
        if (sm && !visible(sm)) continue;
        const k = D.kinds.indexOf(e.kind);
        g.fillStyle = sm && (e.kind === "start" || e.kind === "end") ? sm.color : KIND_COLORS[e.kind];
        g.fillRect(X(e.t) - 0.5, 3 + k * rh, 1.5, rh - 1);
      }
      ticksKey = key;
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, tl.width, tl.height);
    ctx.drawImage(ticks, 0, 0);
    const dpr = tl.width / Math.max(1, w);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#000"; ctx.fillRect(X(state.time) - 1, 0, 2, h);
  }

  function lastEvent(t) {
    let lo = 0, hi = events.length - 1, found = -1;
    while (lo <= hi) { const mid = (lo + hi) >> 1; if (events[mid].t <= t) { found = mid; lo = mid + 1; } else hi = mid - 1; }
    return found >= 0 ? events[found] : null;
  }

  function describe(e) {
    const who = e.node >= 0 ? " node " + nodes[e.node].id : "";
    const sm = e.sm >= 0 ? " SM " + sms[e.sm].id : "";
    return "t=" + e.t.toFixed(3) + " s " + e.kind + who + sm + ": " + e.text;
  }

  // ---- side panel ---------------------------------------------------------------
  function esc(v) {
    const text = typeof v === "string" ? v : JSON.stringify(v);
    return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  }

  function buildSide() {
    $("title").textContent = D.title;
    $("summary").textContent = nodes.length + " nodes, " + sms.length + " SMs, " +
      T1.toFixed(1) + " s" + (D.sources.length ? " (" + D.sources.join(", ") + ")" : "");
    const rolesDiv = $("roles");
    rolesDiv.innerHTML = '<div class="role"><span class="swatch dot" style="background:#7a7a7a"></span>node</div>' +
      roles.map((r) => '<div class="role"><span class="swatch dot" style="background:' +
        roleColor.get(r) + '"></span>' + esc(r) + "</div>").join("") +
      (D.range ? '<div class="role hint">links: radio range ' + D.range + " m</div>" : "");
    const list = $("sms");
    list.innerHTML = "";
    for (const sm of sms) {
      const row = document.createElement("div");
      row.className = "sm" + (sm.error ? " failed" : sm.end !== null ? " ended" : "");
      row.dataset.sm = sm.id;
      row.innerHTML = '<input type="checkbox" checked title="show this SM">' +
        '<span class="swatch" style="background:' + sm.color + '"></span>' +
        '<span class="name">' + esc(sm.id) + " " + esc(sm.brick) + " (" + sm.hops.length + " hops)</span>";
      row.querySelector("input").addEventListener("change", (ev) => {
        if (ev.target.checked) state.hidden.delete(sm.id); else state.hidden.add(sm.id);
        draw();
      });
      row.querySelector(".name").addEventListener("click", () => api.selectSM(sm.id));
      list.appendChild(row);
    }
    $("all").addEventListener("click", () => api.filter(null));
  }

  function showInfo() {
    const info = $("info"), what = state.infoFor;
    document.querySelectorAll(".sm").forEach((row) =>
      row.classList.toggle("selected", row.dataset.sm === state.selectedSM));
    if (!what) { info.innerHTML = '<p class="hint">Click a node or an SM\'s hop on the map, or an SM in the list.</p>'; return; }
    const rows = [];
    const row = (k, v) => rows.push("<tr><td>" + esc(k) + "</td><td>" + v + "</td></tr>");
    if (what.kind === "node") {
      const i = byId.get(what.id).index, p = positions[i];
      row("node", esc(what.id));
      if (nodes[i].role) row("role", esc(nodes[i].role));
      row("at t", state.time.toFixed(3) + " s");
      row("position", p ? p[0].toFixed(1) + ", " + p[1].toFixed(1) + " m" : "not on the map");
      const nb = neighboursOf(i);
      row("neighbours", nb.length ? esc(nb.join(", ")) : "none");
      const tags = tagsOf(i, state.time);
      for (const name of Object.keys(tags).sort()) row("tag " + name, esc(tags[name]));
      const here = sms.filter((sm) => { const w = whereIs(sm, state.time); return w && !w.ended && !w.flying && w.node === i; });
      row("SMs here", here.length ? esc(here.map((s) => s.id).join(", ")) : "none");
    } else {
      const sm = smById.get(what.id);
      row("SM", '<span class="swatch" style="display:inline-block;background:' + sm.color + '"></span> ' + esc(sm.id));
      row("brick", esc(sm.brick || "?"));
      if (sm.parent) row("parent", esc(sm.parent));
      row("started", sm.origin === null || sm.origin === undefined ? "?" :
        "node " + esc(nodes[sm.origin].id) + " at " + (sm.start === null ? "?" : sm.start.toFixed(3) + " s"));
      row("ended", sm.end === null ? "not during the run" :
        "node " + esc(sm.node === null ? "?" : nodes[sm.node].id) + " at " + sm.end.toFixed(3) + " s");
      if (sm.error) row("error", esc(sm.error));
      else if (sm.end !== null) row("result", esc(sm.result));
      row("hops", String(sm.hops.length));
      row("bytes", sm.bytes.toLocaleString("en") + " B");
      const hops = sm.hops.map((h, k) => '<tr class="hop" data-t="' + h.t0 + '"><td>' + (k + 1) + ". " +
        h.t0.toFixed(3) + " s</td><td>" + esc(nodes[h.from].id) + " &rarr; " + esc(nodes[h.to].id) +
        " (" + h.bytes + " B)</td></tr>").join("");
      rows.push(hops);
    }
    info.innerHTML = "<table>" + rows.join("") + "</table>";
    info.querySelectorAll("tr.hop").forEach((tr) =>
      tr.addEventListener("click", () => api.seek(parseFloat(tr.dataset.t))));
  }

  // ---- controls -----------------------------------------------------------------
  let lastFrame = null;
  function loop(now) {
    if (!state.playing) { lastFrame = null; return; }
    if (lastFrame !== null) api.advance((now - lastFrame) / 1000 * state.speed);
    lastFrame = now;
    if (state.playing) requestAnimationFrame(loop);
  }

  const api = {
    data: D,
    get time() { return state.time; },
    get playing() { return state.playing; },
    get speed() { return state.speed; },
    get duration() { return T1; },
    play() {
      if (state.time >= T1) state.time = 0;
      state.playing = true; $("play").innerHTML = "&#10074;&#10074; pause";
      lastFrame = null; requestAnimationFrame(loop); draw();
    },
    pause() { state.playing = false; $("play").innerHTML = "&#9654; play"; draw(); },
    toggle() { if (state.playing) api.pause(); else api.play(); },
    seek(t) { state.time = Math.max(0, Math.min(T1, Number(t) || 0)); draw(); return state.time; },
    advance(dt) {   // what playing does each frame: time moves on by dt seconds
      api.seek(state.time + dt);
      if (state.time >= T1 && state.playing) api.pause();
      return state.time;
    },
    setSpeed(s) { state.speed = Number(s); $("speed").value = String(s); },
    nextEvent() {
      const t = eventTimes.find((e) => e > state.time + 1e-6);
      return api.seek(t === undefined ? T1 : t);
    },
    selectNode(id) {
      state.selectedNode = id === null ? null : String(id); state.selectedSM = null;
      state.infoFor = id === null ? null : { kind: "node", id: String(id) }; draw(); showInfo();
    },
    selectSM(id) {
      state.selectedSM = id === null ? null : String(id); state.selectedNode = null;
      state.infoFor = id === null ? null : { kind: "sm", id: String(id) }; draw(); showInfo();
    },
    filter(ids) {   // show only these SMs (null: all)
      state.hidden = new Set(ids === null ? [] : sms.map((s) => s.id).filter((s) => !ids.includes(s)));
      document.querySelectorAll(".sm").forEach((row) => {
        row.querySelector("input").checked = !state.hidden.has(row.dataset.sm);
      });
      draw();
    },
    visibleSMs() { return sms.filter(visible).map((s) => s.id); },
    positionOf(id, t) {
      const p = posAt(byId.get(String(id)), t === undefined ? state.time : t);
      return p ? [p[0], p[1]] : null;
    },
    positions(t) {
      const out = {};
      for (const n of nodes) out[n.id] = api.positionOf(n.id, t);
      return out;
    },
    neighboursOf(id) { return neighboursOf(byId.get(String(id)).index); },
    tagsOf(id, t) { return tagsOf(byId.get(String(id)).index, t === undefined ? state.time : t); },
    whereIs(smId, t) {
      const w = whereIs(smById.get(smId), t === undefined ? state.time : t);
      return w && { node: nodes[w.node] ? nodes[w.node].id : null, flying: !!w.flying, ended: w.ended };
    },
    screenOf(id) {   // canvas pixel of a node now, to click it
      const p = positions[byId.get(String(id)).index];
      return p ? [sx(p[0]), sy(p[1])] : null;
    },
    hopScreen(smId, k) {  // midpoint of an SM's k-th hop on the canvas
      const h = smById.get(smId).hops[k];
      return h && h.a && h.b ? [(sx(h.a[0]) + sx(h.b[0])) / 2, (sy(h.a[1]) + sy(h.b[1])) / 2] : null;
    },
    eventTimes() { return eventTimes.slice(); },
    state() {
      return { time: state.time, playing: state.playing, speed: state.speed,
        selectedNode: state.selectedNode, selectedSM: state.selectedSM, frame: state.frame,
        visibleSMs: api.visibleSMs() };
    },
  };
  window.replay = api;

  $("play").addEventListener("click", () => api.toggle());
  $("speed").addEventListener("change", (ev) => { state.speed = Number(ev.target.value); });
  const slider = $("slider");
  slider.max = String(T1); slider.step = String(Math.max(0.001, T1 / 10000));
  slider.addEventListener("input", () => api.seek(parseFloat(slider.value)));
  $("next").addEventListener("click", () => api.nextEvent());
  tl.addEventListener("click", (ev) => {
    const rect = tl.getBoundingClientRect();
    api.seek((ev.clientX - rect.left - 4) / Math.max(1, rect.width - 8) * T1);
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.target.tagName === "INPUT" || ev.target.tagName === "SELECT") return;
    if (ev.key === " ") { ev.preventDefault(); api.toggle(); }
    else if (ev.key === "n") api.nextEvent();
    else if (ev.key === "ArrowRight") api.seek(state.time + 1);
    else if (ev.key === "ArrowLeft") api.seek(state.time - 1);
  });

  // map: click selects, drag pans, wheel zooms, double click fits
  let drag = null;
  map.addEventListener("mousedown", (ev) => { drag = { x: ev.clientX, y: ev.clientY, moved: false }; });
  map.addEventListener("mousemove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (drag.moved) { state.view.ox += dx; state.view.oy += dy; drag.x = ev.clientX; drag.y = ev.clientY; draw(); }
  });
  window.addEventListener("mouseup", () => { setTimeout(() => { drag = null; }, 0); });
  map.addEventListener("click", (ev) => {
    if (drag && drag.moved) return;
    const rect = map.getBoundingClientRect();
    api.pick(ev.clientX - rect.left, ev.clientY - rect.top);
  });
  map.addEventListener("dblclick", () => { fitView(); draw(); });
  map.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const rect = map.getBoundingClientRect(), mx = ev.clientX - rect.left, my = ev.clientY - rect.top;
    const k = ev.deltaY < 0 ? 1.2 : 1 / 1.2, v = state.view;
    v.ox = mx - (mx - v.ox) * k; v.oy = my - (my - v.oy) * k; v.scale *= k;
    draw();
  }, { passive: false });

  api.pick = function (x, y) {  // what a click at canvas pixel (x, y) selects
    let best = null, bestD = 9 * 9;
    positions.forEach((p, i) => {
      if (!p) return;
      const d = (sx(p[0]) - x) ** 2 + (sy(p[1]) - y) ** 2;
      if (d < bestD) { bestD = d; best = nodes[i].id; }
    });
    if (best !== null) { api.selectNode(best); return { node: best }; }
    let hop = null, hopD = 7;
    for (const [x0, y0, x1, y1, sm] of drawnHops) {
      const vx = x1 - x0, vy = y1 - y0, len2 = vx * vx + vy * vy || 1;
      const f = Math.max(0, Math.min(1, ((x - x0) * vx + (y - y0) * vy) / len2));
      const d = Math.hypot(x - (x0 + f * vx), y - (y0 + f * vy));
      if (d < hopD) { hopD = d; hop = sm; }
    }
    if (hop) { api.selectSM(hop.id); return { sm: hop.id }; }
    api.selectNode(null);
    return {};
  };

  buildSide();
  window.addEventListener("resize", () => { fitView(); draw(); });
  fitView();
  draw();
})();
