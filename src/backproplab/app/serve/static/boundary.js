// The decision-boundary plot: the network's answer over the plane as colour, the train points
// filled and the test points as rings; clicks add or remove points, or pick one to explain.

import { $, make, CLASS_COLOURS, b64bytes, hexRGB, imageCanvas, diverging, divergingPale, fitCanvas } from "./common.js";

const HIT = 7;  // pixels: a click this close to a point is on it

export function initBoundary(app) {
  const canvas = $("boundary");
  // image: behind the points (pale); strong: the output unit's picture in the network view
  const view = { image: document.createElement("canvas"), strong: document.createElement("canvas"),
    extent: null, classes: 2,
    tool: "add", cls: 0, extra: 0 };
  app.boundary = view;

  function toData(cx, cy, w, h) {
    const [x0, x1, y0, y1] = view.extent;
    return [x0 + (cx / w) * (x1 - x0), y1 - (cy / h) * (y1 - y0)];
  }
  function toCanvas(x, y, w, h) {
    const [x0, x1, y0, y1] = view.extent;
    return [((x - x0) / (x1 - x0)) * w, ((y1 - y) / (y1 - y0)) * h];
  }

  function classColour(k) {
    return CLASS_COLOURS[k % CLASS_COLOURS.length];
  }

  function updateImage(b) {
    view.extent = b.extent;
    view.classes = b.classes || 2;
    view.size = b.size;
    if (b.p) {
      const p = b64bytes(b.p);
      view.p = p;
      imageCanvas(p, b.size, divergingPale, view.image);
      imageCanvas(p, b.size, diverging, view.strong);
    } else {
      // K classes: the colour of the most likely class, paler where the network is unsure
      const rgb = CLASS_COLOURS.map(hexRGB), sure = b64bytes(b.confidence), label = b64bytes(b.label);
      view.p = null; view.label = label; view.sure = sure;
      imageCanvas(label, b.size, (lab, i) => {
        const c = rgb[lab[i] % rgb.length], w = 0.2 + 0.6 * (sure[i] / 255);
        return c.map((v) => 247 + (v - 247) * w);
      }, view.image);
    }
    const fmt = (v) => (Math.abs(v) < 10 ? v.toFixed(2) : v.toPrecision(3));
    $("ax-x0").textContent = fmt(b.extent[0]); $("ax-x1").textContent = `x₁ ${fmt(b.extent[1])}`;
    $("ax-y0").textContent = fmt(b.extent[2]); $("ax-y1").textContent = `x₂ ${fmt(b.extent[3])}`;
  }

  function drawPoints(ctx, w, h, set, ring) {
    const pts = app.points && app.points[set];
    if (!pts) return;
    const r = pts.x.length > 600 ? 2.8 : 4.5;
    for (let i = 0; i < pts.x.length; i++) {
      const [cx, cy] = toCanvas(pts.x[i][0], pts.x[i][1], w, h);
      const colour = classColour(Number(pts.y[i]));
      ctx.beginPath();
      ctx.arc(cx, cy, r, 0, 2 * Math.PI);
      if (ring) {
        ctx.fillStyle = "#fff"; ctx.fill();
        ctx.lineWidth = 2.4; ctx.strokeStyle = colour; ctx.stroke();
        ctx.beginPath(); ctx.arc(cx, cy, r + 1.4, 0, 2 * Math.PI);
        ctx.lineWidth = 0.8; ctx.strokeStyle = "rgba(29, 35, 41, .6)"; ctx.stroke();
      } else {
        ctx.fillStyle = colour; ctx.fill();
        ctx.lineWidth = 1; ctx.strokeStyle = "rgba(29, 35, 41, .7)"; ctx.stroke();
      }
    }
  }

  function render() {
    const { ctx, w, h } = fitCanvas(canvas);
    ctx.fillStyle = "#f7f7f7";
    ctx.fillRect(0, 0, w, h);
    if (!view.extent) return;
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(view.image, 0, 0, w, h);
    drawPoints(ctx, w, h, "train", false);
    drawPoints(ctx, w, h, "test", true);
    const chosen = app.explained && app.points && app.points[app.explained.set];
    if (chosen && chosen.x[app.explained.index]) {
      const [cx, cy] = toCanvas(...chosen.x[app.explained.index], w, h);
      ctx.beginPath(); ctx.arc(cx, cy, 9, 0, 2 * Math.PI);
      ctx.lineWidth = 2; ctx.strokeStyle = "#1d2329"; ctx.stroke();
    }
  }
  view.render = render;

  function nearest(cx, cy, w, h) {
    let best = null, bestD = HIT * HIT;
    for (const set of ["train", "test"]) {
      const pts = app.points && app.points[set];
      if (!pts) continue;
      pts.x.forEach(([x, y], i) => {
        const [px, py] = toCanvas(x, y, w, h);
        const d = (px - cx) ** 2 + (py - cy) ** 2;
        if (d <= bestD) { bestD = d; best = { set, index: i, x, y }; }
      });
    }
    return best;
  }

  function onPress(event) {
    if (event.button !== 0 && event.button !== 2) return;
    event.preventDefault();
    if (!view.extent) return;
    const r = canvas.getBoundingClientRect();
    const cx = event.clientX - r.left, cy = event.clientY - r.top;
    const hit = nearest(cx, cy, r.width, r.height);
    if (view.tool === "explain") {
      if (!hit) { app.status("Click on a point to explain its step.", "info"); return; }
      app.explained = { set: hit.set, index: hit.index };
      app.send({ type: "explain", index: hit.index, set: hit.set });
      render();
      return;
    }
    if (app.isLocked("edit")) { app.status("Editing points is off in this classroom link.", "info"); return; }
    if (hit) {
      app.send({ type: "point", action: "remove", x: hit.x, y: hit.y });
      return;
    }
    const other = event.button === 2 || event.shiftKey;
    const k = Math.max(2, view.classes, view.cls + 1);
    const label = other ? (k === 2 ? 1 - view.cls : (view.cls + 1) % k) : view.cls;
    const [x, y] = toData(cx, cy, r.width, r.height);
    app.addPoint(x, y, label);
  }
  canvas.addEventListener("mousedown", onPress);

  // Hovering reads the network's answer at that place: P(class 1), or the likeliest class.
  function readout(event) {
    const out = $("readout");
    if (!view.extent || !event) { out.textContent = ""; return; }
    const r = canvas.getBoundingClientRect();
    const cx = event.clientX - r.left, cy = event.clientY - r.top;
    const [x, y] = toData(cx, cy, r.width, r.height);
    const col = Math.min(view.size - 1, Math.max(0, Math.floor((cx / r.width) * view.size)));
    const row = Math.min(view.size - 1, Math.max(0, Math.floor((cy / r.height) * view.size)));
    const i = row * view.size + col, k = view.classes;
    const answer = view.p ? `P(class 1) = ${(view.p[i] / 255).toFixed(2)}`
      : `class ${view.label[i]}, p = ${(1 / k + (view.sure[i] / 255) * (1 - 1 / k)).toFixed(2)}`;
    out.textContent = `x₁ = ${x.toFixed(2)}, x₂ = ${y.toFixed(2)}: ${answer}`;
  }
  canvas.addEventListener("mousemove", readout);
  canvas.addEventListener("mouseleave", () => readout(null));
  canvas.addEventListener("contextmenu", (e) => e.preventDefault());

  function buildTool() {
    const box = $("tool");
    box.replaceChildren();
    const k = Math.max(2, view.classes, view.extra, view.cls + 1);
    for (let c = 0; c < k; c++) {
      const on = view.tool === "add" && view.cls === c;
      box.append(make("button", { type: "button", role: "radio", "aria-checked": String(on),
        class: on ? "on" : "", title: `A click adds a point of class ${c}`, "data-control": "edit",
        onclick: () => { view.tool = "add"; view.cls = c; buildTool(); } },
      [swatch(c), `class ${c}`]));
    }
    if (k < CLASS_COLOURS.length) {
      box.append(make("button", { type: "button", title: "Add points of one more class (needs softmax + ce)",
        "data-control": "edit",
        onclick: () => { view.extra = k + 1; view.tool = "add"; view.cls = k; buildTool(); } }, ["+ class"]));
    }
    const ex = view.tool === "explain";
    box.append(make("button", { type: "button", role: "radio", "aria-checked": String(ex),
      class: ex ? "on" : "", "data-control": "explain", id: "tool-explain",
      title: "A click on a point shows its forward and backward pass",
      onclick: () => { view.tool = "explain"; buildTool(); } }, ["Explain"]));
    box.append(make("span", { class: "hint", text: ex
      ? "Click on a point to see the current step's numbers for it (below)."
      : "Click: add a point · right-click or shift-click: the other class · click a point: remove it" }));
    if (app.isLocked("edit") && !ex && !app.hide.has("explain")) { view.tool = "explain"; buildTool(); return; }
    canvas.classList.toggle("explain-mode", ex);
    app.applyClassroom(box);
  }
  view.buildTool = buildTool;

  function swatch(c) {
    const dot = make("i", { class: "dot" });
    dot.style.background = classColour(c);
    return dot;
  }

  function buildLegend() {
    const box = $("legend");
    box.replaceChildren();
    for (let c = 0; c < Math.max(2, view.classes); c++) {
      const dot = make("i");
      dot.style.background = classColour(c);
      box.append(make("span", {}, [dot, `class ${c}`]));
    }
    box.append(make("span", {}, [make("i", { class: "ring" }), "test point (ring)"]));
  }

  app.on("frame", (f) => {
    const classesBefore = view.classes;
    if (f.boundary) updateImage(f.boundary);
    if (f.boundary && view.classes !== classesBefore) { buildTool(); buildLegend(); }
    render();
  });
  app.on("reset", () => { app.explained = null; });
  window.addEventListener("resize", render);
  buildTool();
  buildLegend();
}
