// The network view: a column per layer, each unit drawn as its own activation over the plane,
// each weight as a line (blue positive, orange negative, thickness by size); hovering reads a
// value. Above the columns: units per layer, the activation per layer, the output and loss.

import { $, make, CLASS_COLOURS, NEGATIVE, POSITIVE, b64bytes, diverging, fitCanvas, fmtNum,
  imageCanvas } from "./common.js";

const SUB = ["₁", "₂"];

export function initNetwork(app) {
  const canvas = $("network"), tip = $("net-tip");
  const state = { weights: null, maps: [], unitSize: 0, ranges: null, hover: null, layout: null };
  const inputMaps = [0, 1].map((axis) => {
    const size = 32, bytes = new Uint8Array(size * size);
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) bytes[r * size + c] = Math.round(255 * (axis ? 1 - r / 31 : c / 31));
    }
    return imageCanvas(bytes, size, diverging);
  });

  const hiddenList = () => (app.settings.hidden || "").split(",").filter(Boolean).map(Number);
  function activationList(n) {
    const names = (app.settings.activation || "sigmoid").split(",");
    return Array.from({ length: n }, (_, i) => names[names.length === 1 ? 0 : Math.min(i, names.length - 1)]);
  }
  function sendNetwork(hidden, acts) {
    const same = acts.every((a) => a === acts[0]);
    app.change({ hidden: hidden.join(","), activation: same && acts.length ? acts[0] : acts.join(",") });
  }

  function select(options, value, onchange, title) {
    const s = make("select", { title, onchange: () => onchange(s.value) });
    for (const o of options) s.append(make("option", { value: o, text: o }));
    if (!options.includes(value) && value) s.append(make("option", { value, text: value }));
    s.value = value;
    return s;
  }

  // The headings above the columns, rebuilt whenever the settings change.
  function buildHeads() {
    const hidden = hiddenList(), acts = activationList(hidden.length);
    const maxUnits = app.limit("units", 8), maxLayers = app.limit("layers", 6);
    const heads = $("layer-heads");
    heads.replaceChildren();
    heads.style.gridTemplateColumns = `repeat(${hidden.length + 2}, minmax(0, 1fr))`;
    heads.classList.toggle("compact", hidden.length >= 5);
    heads.append(make("div", { class: "layer-head" }, [make("b", { text: "Input" }), "x₁, x₂"]));
    hidden.forEach((units, l) => {
      const set = (k) => { const h = [...hidden]; h[l] = k; sendNetwork(h, acts); };
      const unitsRow = make("div", { class: "units", "data-control": "hidden" }, [
        make("button", { type: "button", text: "−", title: "One unit fewer", "aria-label": `fewer units in layer ${l + 1}`,
          onclick: () => units > 1 && set(units - 1) }),
        make("span", { text: `${units}` }),
        make("button", { type: "button", text: "+", title: `One unit more (up to ${maxUnits})`,
          "aria-label": `more units in layer ${l + 1}`, onclick: () => units < maxUnits && set(units + 1) }),
      ]);
      const act = select(app.choices.activations || [acts[l]], acts[l], (v) => {
        const a = [...acts]; a[l] = v; sendNetwork(hidden, a);
      }, `The activation of hidden layer ${l + 1}`);
      act.dataset.control = "activation";
      heads.append(make("div", { class: "layer-head" }, [make("b", { text: `Layer ${l + 1}` }), unitsRow, act]));
    });
    const out = select(app.choices.outputs || [], app.settings.output, (v) => {
      const loss = v === "softmax" ? "ce" : v === "none" ? "mse" : app.settings.loss === "ce" ? "bce" : app.settings.loss;
      app.change({ output: v, loss });
    }, "The output unit: sigmoid gives P(class 1); softmax gives one probability per class");
    out.dataset.control = "output";
    const loss = select(app.choices.losses || [], app.settings.loss, (v) => app.change({ loss: v }),
      "The loss: mse (the lab's), bce (cross-entropy) or ce (softmax cross-entropy, K classes)");
    loss.dataset.control = "loss";
    heads.append(make("div", { class: "layer-head" }, [make("b", { text: "Output" }), out, loss]));
    $("layer-count").textContent = `${hidden.length} hidden layer${hidden.length === 1 ? "" : "s"}`;
    $("add-layer").disabled = hidden.length >= maxLayers || app.isLocked("hidden");
    $("remove-layer").disabled = hidden.length <= 1 || app.isLocked("hidden");
    app.applyClassroom(heads);
  }

  $("add-layer").addEventListener("click", () => {
    const hidden = hiddenList(), acts = activationList(hidden.length);
    if (hidden.length >= app.limit("layers", 6)) return;
    sendNetwork([...hidden, hidden.length ? hidden[hidden.length - 1] : 4],
      [...acts, acts.length ? acts[acts.length - 1] : "tanh"]);
  });
  $("remove-layer").addEventListener("click", () => {
    const hidden = hiddenList();
    if (hidden.length > 1) sendNetwork(hidden.slice(0, -1), activationList(hidden.length).slice(0, -1));
  });

  // Where every unit sits: columns evenly spaced (the headings' grid has the same columns).
  function layoutFor(sizes, w, h) {
    const cols = sizes.length, most = Math.max(...sizes);
    const s = Math.max(10, Math.min(44, ((h - 16) / most) * 0.8, (w / cols) * 0.42));
    const gap = Math.min(s * 0.3, (h - 16 - most * s) / Math.max(1, most - 1));
    return sizes.map((n, l) => {
      const x = ((l + 0.5) * w) / cols, total = n * s + (n - 1) * gap, top = (h - total) / 2;
      return Array.from({ length: n }, (_, u) => ({ x: x - s / 2, y: top + u * (s + gap), s }));
    });
  }

  function sizesNow() {
    if (state.weights && state.weights.length) {
      return [state.weights[0].W.length, ...state.weights.map((d) => d.b.length)];
    }
    const k = app.boundary && app.boundary.classes > 2 ? app.boundary.classes : 1;
    return [2, ...hiddenList(), k];
  }

  function draw() {
    const { ctx, w, h } = fitCanvas(canvas);
    ctx.clearRect(0, 0, w, h);
    const sizes = sizesNow();
    const layout = layoutFor(sizes, w, h);
    state.layout = layout;
    const W = state.weights;
    // weights first, under the units
    if (W) {
      let most = 1e-12;
      for (const d of W) for (const row of d.W) for (const v of row) if (v !== null) most = Math.max(most, Math.abs(v));
      // wide layers draw thinner lines, so that 16 × 16 weights stay readable
      const thick = Math.min(1, 6 / Math.max(...sizes));
      W.forEach((d, l) => d.W.forEach((row, i) => row.forEach((v, j) => {
        const a = layout[l][i], b = layout[l + 1][j];
        if (!a || !b || v === null) return;
        const rel = Math.abs(v) / most, on = state.hover && state.hover.kind === "w" &&
          state.hover.l === l && state.hover.i === i && state.hover.j === j;
        ctx.strokeStyle = v >= 0 ? POSITIVE : NEGATIVE;
        ctx.globalAlpha = on ? 1 : (0.2 + 0.7 * rel) * (0.5 + 0.5 * thick);
        ctx.lineWidth = on ? 3 + 5 * rel : 0.4 + 5 * rel * thick;
        ctx.beginPath(); ctx.moveTo(a.x + a.s, a.y + a.s / 2); ctx.lineTo(b.x, b.y + b.s / 2); ctx.stroke();
      })));
      ctx.globalAlpha = 1;
    }
    ctx.imageSmoothingEnabled = true;
    layout.forEach((col, l) => col.forEach((u, i) => {
      let img = null;
      if (l === 0) img = inputMaps[i];
      else if (l < layout.length - 1) img = state.maps[l - 1] && state.maps[l - 1][i];
      else if (col.length === 1 && app.boundary && app.boundary.extent) img = app.boundary.strong;
      if (img) ctx.drawImage(img, u.x, u.y, u.s, u.s);
      else {
        ctx.fillStyle = l === layout.length - 1 && col.length > 1 ? CLASS_COLOURS[i % CLASS_COLOURS.length] : "#eef0f3";
        ctx.fillRect(u.x, u.y, u.s, u.s);
      }
      const on = state.hover && state.hover.kind === "u" && state.hover.l === l && state.hover.i === i;
      ctx.lineWidth = on ? 2.5 : 1;
      ctx.strokeStyle = on ? "#1d2329" : "#9aa5b1";
      ctx.strokeRect(u.x + 0.5, u.y + 0.5, u.s - 1, u.s - 1);
      if (l === 0) {
        ctx.fillStyle = "#1d2329"; ctx.font = "12px system-ui, sans-serif"; ctx.textAlign = "right";
        ctx.textBaseline = "middle"; ctx.fillText(`x${SUB[i]}`, u.x - 4, u.y + u.s / 2);
      }
    }));
  }
  state.draw = draw;

  function unitName(l, i, last) {
    if (l === 0) return `x${SUB[i] || i + 1}`;
    if (l === last) return last && state.weights && state.weights[l - 1].b.length > 1 ? `output ${i} (class ${i})` : "the output";
    return `layer ${l} unit ${i + 1}`;
  }

  function describe(hit) {
    const last = state.layout.length - 1, W = state.weights;
    if (hit.kind === "w") {
      return `weight ${fmtNum(W[hit.l].W[hit.i][hit.j])}\nfrom ${unitName(hit.l, hit.i, last)} to ` +
        `${unitName(hit.l + 1, hit.j, last)}\n${W[hit.l].W[hit.i][hit.j] >= 0 ? "positive: blue" : "negative: orange"}`;
    }
    if (hit.l === 0) {
      return `input ${unitName(0, hit.i, last)}\nits picture is x${SUB[hit.i]} itself over the plane ` +
        `(orange low, blue high)`;
    }
    const bias = W && W[hit.l - 1] ? `\nbias b = ${fmtNum(W[hit.l - 1].b[hit.i])}` : "";
    if (hit.l === last) {
      return `${unitName(hit.l, hit.i, last)} (${app.settings.output})${bias}` +
        (state.layout[last].length === 1 ? "\nits picture: P(class 1) over the plane" : "");
    }
    const act = activationList(hit.l)[hit.l - 1];
    const range = state.ranges && state.ranges[hit.l - 1];
    const scale = Array.isArray(range) ? `\ncolour: ${range[0]} orange … ${range[1]} blue` : "";
    let wIn = "";
    if (W && W[hit.l - 1]) {
      const col = W[hit.l - 1].W.map((row) => row[hit.i]);
      wIn = `\nweights in: ${col.map((v) => (v === null ? "–" : Number(v.toPrecision(3)))).join(", ")}`;
    }
    return `${unitName(hit.l, hit.i, last)} (${act})${bias}${wIn}${scale}`;
  }

  function hitTest(mx, my) {
    const layout = state.layout;
    if (!layout) return null;
    for (let l = 0; l < layout.length; l++) {
      for (let i = 0; i < layout[l].length; i++) {
        const u = layout[l][i];
        if (mx >= u.x && mx <= u.x + u.s && my >= u.y && my <= u.y + u.s) return { kind: "u", l, i };
      }
    }
    if (!state.weights) return null;
    let best = null, bestD = 5;
    state.weights.forEach((d, l) => d.W.forEach((row, i) => row.forEach((_, j) => {
      const a = layout[l][i], b = layout[l + 1] && layout[l + 1][j];
      if (!a || !b) return;
      const x1 = a.x + a.s, y1 = a.y + a.s / 2, x2 = b.x, y2 = b.y + b.s / 2;
      if (mx < x1 || mx > x2) return;
      const t = (mx - x1) / (x2 - x1), dist = Math.abs(y1 + t * (y2 - y1) - my);
      if (dist < bestD) { bestD = dist; best = { kind: "w", l, i, j }; }
    })));
    return best;
  }

  canvas.addEventListener("mousemove", (e) => {
    const r = canvas.getBoundingClientRect();
    const mx = e.clientX - r.left, my = e.clientY - r.top;
    const hit = hitTest(mx, my);
    state.hover = hit;
    if (!hit) { tip.hidden = true; draw(); return; }
    tip.textContent = describe(hit);
    tip.hidden = false;
    const left = Math.min(mx + 14, r.width - tip.offsetWidth - 4);
    tip.style.left = `${Math.max(0, left)}px`;
    tip.style.top = `${my + 14}px`;
    draw();
  });
  canvas.addEventListener("mouseleave", () => { state.hover = null; tip.hidden = true; draw(); });

  app.on("settings", buildHeads);
  app.on("hello", buildHeads);
  app.on("frame", (f) => {
    if (f.weights) state.weights = f.weights;
    if (f.unit_range) state.ranges = f.unit_range;
    if (f.units) {
      const size = f.unit_size;
      state.maps = f.units.map((layer, l) => layer.map((u, i) => {
        const old = state.maps[l] && state.maps[l][i];
        return imageCanvas(b64bytes(u.p), size, diverging, old);
      }));
    }
    draw();
    if (state.hover) {
      try { tip.textContent = describe(state.hover); } catch { tip.hidden = true; }
    }
  });
  window.addEventListener("resize", draw);
}
