// Small helpers shared by the playground's modules: numbers as text, colours, canvases, files.

// Okabe–Ito: told apart with the common colour-vision deficiencies. Class 0 orange, 1 blue.
export const CLASS_COLOURS = ["#e69f00", "#0072b2", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
  "#f0e442", "#000000"];
export const POSITIVE = "#0072b2";
export const NEGATIVE = "#e69f00";
export const LAYER_COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#56b4e9", "#e69f00",
  "#000000"];

export const $ = (id) => document.getElementById(id);

export function make(tag, props = {}, children = []) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "text") el.textContent = v;
    else if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v);
  }
  for (const c of children) el.append(c);
  return el;
}

// A loss as text: four significant digits, small ones in exponent form ("1.234e-5").
export function fmtLoss(v) {
  if (v === null || v === undefined) return "–";
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(3);
  return v.toPrecision(4);
}

// An accuracy in percent as text: "100.0", "95.2".
export function fmtAcc(v) {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(1);
}

// A setting's value as short text: 0.03 stays "0.03", 0.000123 "0.000123".
export function fmtNum(v) {
  return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v);
}

export function b64bytes(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

export function bytesB64(bytes) {
  let raw = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    raw += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(raw);
}

export function hexRGB(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

// 256 colours from orange (0) through near-white (128) to blue (255), for a value scaled to
// 0..255: P(class 1) on the boundary, a unit's activation in the network view.
function divergingTable(strength) {
  const lo = hexRGB(NEGATIVE), hi = hexRGB(POSITIVE), mid = [247, 247, 247];
  const table = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i - 127.5) / 127.5;
    const end = t < 0 ? lo : hi, w = Math.min(1, Math.abs(t)) * strength;
    for (let c = 0; c < 3; c++) table[3 * i + c] = mid[c] + (end[c] - mid[c]) * w;
  }
  return table;
}
const STRONG = divergingTable(0.85), PALE = divergingTable(0.55);

// An image of size×size bytes drawn through a colour table into a small canvas, ready to be
// scaled onto a view with drawImage.
export function imageCanvas(bytes, size, colour, cache) {
  const c = cache || document.createElement("canvas");
  if (c.width !== size) { c.width = size; c.height = size; }
  const ctx = c.getContext("2d");
  const img = ctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const [r, g, b] = colour(bytes, i);
    img.data[4 * i] = r; img.data[4 * i + 1] = g; img.data[4 * i + 2] = b; img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

// a unit's picture: strong colours; the boundary behind the points: paler, so the points show
export const diverging = (bytes, i) => {
  const v = bytes[i] * 3;
  return [STRONG[v], STRONG[v + 1], STRONG[v + 2]];
};
export const divergingPale = (bytes, i) => {
  const v = bytes[i] * 3;
  return [PALE[v], PALE[v + 1], PALE[v + 2]];
};

// A canvas sized to its CSS box at the screen's pixel density; returns the context, scaled so
// that drawing is in CSS pixels, and the box.
export function fitCanvas(canvas) {
  const r = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(r.width)), h = Math.max(1, Math.round(r.height));
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, w, h };
}

export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = make("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}
