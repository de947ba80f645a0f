// backproplab playground: the page's state, its WebSocket to the server, the address bar kept in
// step with the settings, the header's controls and numbers, and the classroom flags.
//
// The server trains (the same engine as `backproplab train`) and streams frames; this page only
// draws them and sends what the user changes. Protocol: docs/playground.md.

import { $, fmtAcc, fmtLoss } from "./common.js";
import { initBoundary } from "./boundary.js";
import { initCharts } from "./charts.js";
import { initExplain, initExport, initRobustness } from "./extras.js";
import { initNetwork } from "./network.js";
import { initPanels } from "./panels.js";

// URL keys that belong to the page, not to the run's settings
const PAGE_KEYS = new Set(["play", "hide", "lock", "question", "pts"]);
// settings kept in the URL even at their default, whose default depends on other settings
const ALWAYS = new Set(["data", "hidden", "activation", "output", "loss", "optimizer", "lr", "seed",
  "n", "noise", "test-fraction"]);
const MAX_LINK_POINTS = 400;
const FIXED = new Set(["xor", "xor_easy"]);  // the lab's 21 points: no n to choose  // edited points travel in the link up to this many

function readURL() {
  const params = {};
  for (const part of location.search.slice(1).split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    params[key] = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, " "));
  }
  return params;
}

let url = readURL();
const list = (v) => new Set((v || "").split(",").map((s) => s.trim()).filter(Boolean));

const app = {
  settings: {}, defaults: {}, choices: {}, limits: {}, frame: null, points: null,
  playing: false, explained: null, pointCount: 0,
  hide: list(url.hide), lock: list(url.lock), handlers: {},
  on(type, fn) { (this.handlers[type] ||= []).push(fn); },
  emit(type, m) { for (const fn of this.handlers[type] || []) fn(m); },
  limit(name, fallback) {
    const v = this.limits[name];
    return typeof v === "number" ? v : fallback;
  },
  isLocked(name) {
    return this.lock.has("1") || this.lock.has("all") || this.lock.has(name) || this.hide.has(name);
  },
};

// ---- status line ----
app.status = (text, kind = "info") => {
  const el = $("status");
  el.textContent = text;
  el.className = `status ${kind}`;
};
app.dataError = (text) => {
  $("data-error").textContent = text;
  $("data-error").hidden = !text;
  if (text) app.status(text, "error");
};

// ---- the socket ----
let socket = null, firstSettings = true, pendingPoints = null, wantPlay = false;
let dormant = false, queued = null, lastError = "";
const TOO_MANY = 1013, FLOODING = 1008, IDLE = 4000;  // the server's close codes

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.addEventListener("open", () => {
    // the settings are the address bar's, on load and after a lost connection alike
    url = readURL();
    firstSettings = true;
    pendingPoints = url.pts || null;
    wantPlay = url.play === "1";
    const start = {};
    for (const [k, v] of Object.entries(url)) if (!PAGE_KEYS.has(k)) start[k] = v;
    if (start.data === "points") { delete start.data; delete start.n; }  // they follow as an upload
    socket.send(JSON.stringify({ type: "settings", settings: start }));
    app.status("Connected.", "ok");
  });
  socket.addEventListener("message", (e) => {
    let m;
    try { m = JSON.parse(e.data); } catch { return; }
    receive(m);
  });
  socket.addEventListener("close", (e) => {
    app.playing = false;
    showPlaying();
    if (e.code === IDLE) {
      // the server freed this idle tab: wake it on the next button pressed, not by itself
      dormant = true;
      app.status(`${lastError || "Closed after a long idle time."} Press any button to go on.`, "error");
      return;
    }
    const said = e.code === TOO_MANY || e.code === FLOODING ? lastError : "";
    app.status(`${said || "Disconnected from the server: is backproplab serve still running?"} Trying again…`, "error");
    setTimeout(connect, e.code === TOO_MANY ? 5000 : 2000);
  });
}

app.send = (msg) => {
  if (dormant) {
    dormant = false;
    queued = msg;
    connect();
    return true;
  }
  if (!socket || socket.readyState !== WebSocket.OPEN) {
    app.status("Not connected to the server.", "error");
    return false;
  }
  socket.send(JSON.stringify(msg));
  return true;
};

app.change = (settings) => {
  for (const key of Object.keys(settings)) {
    if (app.isLocked(key)) { app.status(`${key} is fixed in this classroom link.`, "info"); return; }
  }
  app.dataError("");
  app.send({ type: "settings", settings });
};

app.addPoint = (x, y, label) => {
  const change = label > 1 && app.settings.output !== "softmax";
  if (change) {
    // more than two classes: softmax with cross-entropy is the output that can say so
    app.change({ output: "softmax", loss: "ce" });
    app.status(`Class ${label}: the output is now softmax with the cross-entropy loss (ce).`, "info");
  }
  app.send({ type: "point", action: "add", x, y, label });
};

function receive(m) {
  switch (m.type) {
    case "hello":
      app.choices = m.choices || {};
      app.limits = m.limits || {};
      app.defaults = m.defaults || {};
      app.emit("hello", m);
      break;
    case "settings":
      app.settings = m.settings || {};
      if (m.reset) app.emit("reset", m);
      app.emit("settings", m);
      afterSettings();
      writeURL();
      break;
    case "frame":
      onFrame(m);
      break;
    case "error":
      lastError = m.message;
      if (m.about === "upload" || m.about === "point" || m.about === "new-sample") app.dataError(m.message);
      else app.status(m.message, "error");
      if (m.about === "settings") refuse();
      if (firstSettings && m.about === "settings") {
        // the link's settings were refused: start from the defaults, the message stays shown
        firstSettings = false;
        app.send({ type: "settings", settings: {} });
      }
      app.emit("error", m);
      break;
    default:
      app.emit(m.type, m);
  }
}

// A refused change: the field being typed in keeps its text, marked, to be put right; every
// other control shows the server's values again.
function refuse() {
  const el = document.activeElement;
  if (el && el.dataset && el.dataset.setting && el.type === "text") el.classList.add("invalid");
  app.emit("settings", { settings: app.settings, command: $("command").textContent });
}

function afterSettings() {
  if (!firstSettings) return;
  firstSettings = false;
  if (pendingPoints) {
    const rows = pendingPoints.split(";").map((p) => p.split(",")).filter((r) => r.length === 3);
    pendingPoints = null;
    if (rows.length) {
      app.send({ type: "upload", name: "link.csv", text: "x1,x2,label\n" + rows.map((r) => r.join(",")).join("\n") });
    }
  }
  if (wantPlay) { wantPlay = false; app.send({ type: "play" }); }
  if (queued) { const msg = queued; queued = null; app.send(msg); }
}

// ---- frames: the numbers in the header, the playing state ----
let lastEpoch = 0, rate = { epoch: 0, time: 0, value: 0 };

const ENDED = {
  finished: (f) => [`Finished: the run's ${f.epochs ?? f.epoch} epochs are done.`, "ok"],
  stopped: (f) => [`Stopped at epoch ${f.epoch}: the loss reached the stop rule's value.`, "ok"],
  diverged: (f) => [`Diverged at epoch ${f.epoch}${f.message ? `: ${f.message}` : ""}. ` +
    "Try a smaller learning rate, then reset.", "error"],
};

function onFrame(f) {
  if (f.epoch < lastEpoch || (f.curve && f.curve.reset)) app.emit("reset", f);
  lastEpoch = f.epoch;
  app.frame = f;
  if (f.points) app.points = f.points;
  $("m-epoch").textContent = String(f.epoch);
  $("m-train-loss").textContent = fmtLoss(f.train && f.train.loss);
  $("m-train-accuracy").textContent = fmtAcc(f.train && f.train.accuracy);
  $("m-test-loss").textContent = fmtLoss(f.test && f.test.loss);
  $("m-test-accuracy").textContent = fmtAcc(f.test && f.test.accuracy);
  document.querySelector(".metrics").classList.toggle("no-test", !f.test);
  const wasPlaying = app.playing, wasStatus = app.runStatus;
  app.playing = !!f.playing;
  app.runStatus = f.status || (f.finished ? "finished" : "training");
  const now = performance.now();
  if (now - rate.time > 1000) {
    rate.value = rate.time ? ((f.epoch - rate.epoch) * 1000) / (now - rate.time) : 0;
    rate.epoch = f.epoch; rate.time = now;
  }
  if (ENDED[app.runStatus]) {
    if (wasStatus !== app.runStatus) app.status(...ENDED[app.runStatus](f));
  } else if (app.playing) {
    const el = $("status");
    if (!el.classList.contains("error") || !wasPlaying) {
      app.status(`Training… ${rate.value > 0 ? `${Math.round(rate.value)} epochs/s` : ""}`, "info");
    }
  } else if (wasPlaying) {
    app.status(`Paused at epoch ${f.epoch}.`, "info");
  }
  if (wasPlaying !== app.playing) { showPlaying(); writeURL(); }
  app.emit("frame", f);
}

function showPlaying() {
  $("play").classList.toggle("on", app.playing);
  $("play").classList.toggle("primary", !app.playing);
  $("pause").classList.toggle("primary", app.playing);
}

// ---- the address bar: train's option names, so that a link reproduces the run ----
function writeURL() {
  const keep = [];
  const s = app.settings;
  for (const [k, v] of Object.entries(s)) {
    if (v === "" || v === null || v === undefined || k === "play") continue;
    if (k === "n" && (FIXED.has(s.data) || s.data === "points")) continue;  // shown, not set
    if (!ALWAYS.has(k) && String(app.defaults[k]) === String(v)) continue;
    keep.push([k, String(v)]);
  }
  if (s.data === "points" && app.points) {
    const all = ["train", "test"].flatMap((set) => (app.points[set] ? app.points[set].x.map((p, i) =>
      `${+p[0].toPrecision(5)},${+p[1].toPrecision(5)},${app.points[set].y[i]}`) : []));
    if (all.length <= MAX_LINK_POINTS) keep.push(["pts", all.join(";")]);
  }
  if (app.playing) keep.push(["play", "1"]);
  for (const k of ["hide", "lock", "question"]) if (url[k]) keep.push([k, url[k]]);
  const enc = (t) => encodeURIComponent(t).replace(/%2C/g, ",").replace(/%3B/g, ";");
  const query = keep.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&");
  history.replaceState(null, "", `${location.pathname}?${query}`);
}
app.on("frame", (f) => { if (f.points && app.settings.data === "points") writeURL(); });

// ---- classroom mode: hide=names hides those controls, lock=1 (or names) fixes them ----
// what lock never disables: watching, explaining and exporting stay open to students (and a
// panel's name hides it, while its own controls lock one by one)
const UNLOCKED = new Set(["play", "pause", "step", "reset", "explain", "robustness", "export", "command", "export-csv",
  "curves", "gradients", "data-panel", "network-panel", "training-panel"]);
app.applyClassroom = (root = document) => {
  for (const el of root.querySelectorAll("[data-control]")) {
    const name = el.dataset.control;
    if (app.hide.has(name)) el.classList.add("is-hidden");
    if (app.isLocked(name) && !UNLOCKED.has(name)) {
      for (const input of el.matches("input, select, button") ? [el] : el.querySelectorAll("input, select, button")) {
        input.disabled = true;
      }
    }
  }
};

// ---- the header's buttons and keys ----
$("play").addEventListener("click", () => app.send({ type: "play" }));
$("pause").addEventListener("click", () => app.send({ type: "pause" }));
$("step").addEventListener("click", () => app.send({ type: "step", epochs: 1 }));
$("reset").addEventListener("click", () => app.send({ type: "reset" }));
document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, select, textarea, button, summary") || e.ctrlKey || e.metaKey || e.altKey) return;
  const act = { " ": app.playing ? "pause" : "play", ArrowRight: "step", r: "reset" }[e.key];
  if (!act || app.hide.has(act)) return;
  e.preventDefault();
  $(act).click();
});
// one "?" open at a time; a click elsewhere closes it
document.addEventListener("click", (e) => {
  for (const d of document.querySelectorAll("details.help[open]")) if (!d.contains(e.target)) d.open = false;
});

if (url.question) {
  $("question").textContent = url.question;
  $("question").hidden = false;
}

initPanels(app);
initBoundary(app);  // before the network: its output unit shows the boundary just drawn
initNetwork(app);
initCharts(app);
initExplain(app);
initRobustness(app);
initExport(app);
app.applyClassroom();
connect();
window.playground = app;  // for the console and the browser tests
