// Line charts over epochs with a log-scale y axis: the loss curves, the gradient norms and the
// robustness band. One function draws all three from plain arrays.

import { $, LAYER_COLOURS, fitCanvas } from "./common.js";

const LEFT = 40, RIGHT = 8, TOP = 6, BOTTOM = 16;

// A growing series that stays small: past `max` points every second one is dropped, so a long
// run costs the same to draw as a short one (the curve's shape survives).
export class Series {
  constructor(max = 3000) { this.max = max; this.clear(); }
  clear() { this.x = []; this.y = []; this.stride = 1; this.seen = 0; }
  push(x, y) {
    if (this.seen++ % this.stride) return;
    this.x.push(x); this.y.push(y);
    if (this.x.length > this.max) {
      this.x = this.x.filter((_, i) => i % 2 === 0);
      this.y = this.y.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
  }
  get last() { return this.x.length ? this.x[this.x.length - 1] : 0; }
}

function superscript(n) {
  const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹";
  return (n < 0 ? "⁻" : "") + String(Math.abs(n)).split("").map((d) => digits[+d]).join("");
}

// The y range in log10 units, a little wider than the data, and its grid lines: one per decade
// (10ⁿ) when the data spans decades, else at 1, 2 and 5 times a power of ten.
function yScale(arrays) {
  let lo = Infinity, hi = -Infinity;
  for (const a of arrays) {
    for (const v of a) {
      if (v > 0 && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
  }
  if (!Number.isFinite(lo)) return null;
  let a = Math.log10(lo), b = Math.log10(hi);
  const padding = Math.max(0.05, (b - a) * 0.05);
  a -= padding; b += padding;
  const ticks = [];
  if (b - a >= 1.5) {
    const every = Math.max(1, Math.ceil((b - a) / 5));
    for (let d = Math.ceil(a); d <= b; d++) if (d % every === 0) ticks.push([d, "10" + superscript(d)]);
  } else {
    for (let d = Math.floor(a); d <= Math.ceil(b); d++) {
      for (const m of [1, 2, 5]) {
        const t = Math.log10(m) + d;
        if (t >= a && t <= b) ticks.push([t, String(Number((m * 10 ** d).toPrecision(1)))]);
      }
    }
  }
  return { a, b, ticks };
}

// series: [{x, y, colour, dash, width}], band: {x, lo, hi, colour}; returns the mapping so that
// callers can place markers. `empty` is the text shown before there is anything to draw.
export function drawChart(canvas, { series = [], band = null, empty = "", xMin = 0 } = {}) {
  const { ctx, w, h } = fitCanvas(canvas);
  ctx.clearRect(0, 0, w, h);
  series = series.filter((s) => s.x.length >= 2);  // a line needs two points
  const ys = series.map((s) => s.y);
  if (band) ys.push(band.lo, band.hi);
  const range = yScale(ys);
  let xMax = xMin + 1;
  for (const s of series) if (s.x.length) xMax = Math.max(xMax, s.x[s.x.length - 1]);
  if (band && band.x.length) xMax = Math.max(xMax, band.x[band.x.length - 1]);
  ctx.font = "10px system-ui, sans-serif";
  ctx.fillStyle = "#5f6b76";
  if (!range) {
    ctx.textAlign = "center";
    ctx.fillText(empty, w / 2, h / 2);
    return null;
  }
  const { a, b, ticks } = range;
  const px = (x) => LEFT + ((x - xMin) / (xMax - xMin)) * (w - LEFT - RIGHT);
  const py = (y) => TOP + ((b - Math.log10(y)) / (b - a)) * (h - TOP - BOTTOM);
  ctx.strokeStyle = "#e8ebef";
  ctx.lineWidth = 1;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const [t, text] of ticks) {
    const y = Math.round(py(10 ** t)) + 0.5;
    ctx.beginPath(); ctx.moveTo(LEFT, y); ctx.lineTo(w - RIGHT, y); ctx.stroke();
    ctx.fillText(text, LEFT - 4, y);
  }
  ctx.textAlign = "left";
  ctx.textBaseline = "bottom";
  ctx.fillText(String(xMin), LEFT, h);
  ctx.textAlign = "right";
  ctx.fillText(`epoch ${Math.round(xMax)}`, w - RIGHT, h);
  const clampY = (v) => py(Math.min(10 ** b, Math.max(10 ** a, v)));
  if (band && band.x.length) {
    ctx.fillStyle = band.colour || "rgba(0, 114, 178, .18)";
    ctx.beginPath();
    band.x.forEach((x, i) => ctx.lineTo(px(x), clampY(band.hi[i])));
    for (let i = band.x.length - 1; i >= 0; i--) ctx.lineTo(px(band.x[i]), clampY(band.lo[i]));
    ctx.closePath();
    ctx.fill();
  }
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = s.width || 1.6;
    ctx.setLineDash(s.dash || []);
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < s.x.length; i++) {
      const v = s.y[i];
      if (!(v > 0 && Number.isFinite(v))) { pen = false; continue; }
      if (pen) ctx.lineTo(px(s.x[i]), clampY(v)); else ctx.moveTo(px(s.x[i]), clampY(v));
      pen = true;
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);
  return { px, py };
}

// The two live charts: the loss per epoch (train solid, test dashed) and ‖dW‖ per layer.
export function initCharts(app) {
  const train = new Series(), test = new Series();
  let grads = [];
  const colour = (l) => LAYER_COLOURS[l % LAYER_COLOURS.length];

  function clear() { train.clear(); test.clear(); grads = []; }

  function key(n) {
    const box = $("grad-key");
    if (box.childElementCount === n) return;
    box.replaceChildren();
    for (let l = 0; l < n; l++) {
      const label = document.createElement("b");  // each layer's name in its line's colour
      label.style.color = colour(l);
      label.textContent = `W${"₁₂₃₄₅₆₇₈"[l] || l + 1}`;
      box.append(label);
    }
  }

  function draw() {
    drawChart($("curves"), {
      series: [{ x: train.x, y: train.y, colour: "#0072b2" },
        { x: test.x, y: test.y, colour: "#d55e00", dash: [5, 3] }],
      empty: "the loss per epoch will show here",
    });
    drawChart($("gradients"), {
      series: grads.map((s, l) => ({ x: s.x, y: s.y, colour: colour(l), width: 1.4 })),
      empty: "‖dW‖ of each layer will show here",
    });
  }

  app.on("reset", clear);
  app.on("frame", (f) => {
    const c = f.curve;
    if (c && c.epoch) {
      c.epoch.forEach((e, i) => {
        if (e <= train.last && train.x.length) return;
        train.push(e, c.train[i]);
        if (c.test && c.test[i] !== null && c.test[i] !== undefined) test.push(e, c.test[i]);
      });
    }
    if (f.grad_norms && f.grad_norms.length && f.epoch > 0) {
      if (grads.length !== f.grad_norms.length) grads = f.grad_norms.map(() => new Series());
      if (!grads[0].x.length || f.epoch > grads[0].last) f.grad_norms.forEach((g, l) => grads[l].push(f.epoch, g));
      key(f.grad_norms.length);
    }
    draw();
  });
  window.addEventListener("resize", draw);
  draw();
}
