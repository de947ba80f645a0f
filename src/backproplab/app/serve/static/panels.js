// The data panel and the training strip: every element with data-setting="KEY" shows the
// server's value of that setting and sends a change of it. The learning rate has a log slider.

import { $, download, fmtNum } from "./common.js";

const FIXED = new Set(["xor", "xor_easy", "points"]);  // no n, noise or data seed to choose
const NOISELESS = new Set(["linear"]);
const OPTIONAL = new Set(["momentum", "batch-size", "stop-at-loss", "step-size", "gamma", "t-max",
  "eta-min", "l1", "weight-decay", "epochs"]);
const WHOLE = new Set(["batch-size", "step-size", "t-max", "epochs", "seed", "data-seed", "n"]);

// The slider's notches: 1, 2, 3, 5 per decade from 10⁻⁵ to 10 (0.03 and 0.001 are on it).
const LR_STEPS = [];
for (let d = -5; d <= 1; d++) {
  for (const m of [1, 2, 3, 5]) if (!(d === 1 && m > 1)) LR_STEPS.push(Number((m * 10 ** d).toPrecision(2)));
}

function nearestStep(lr) {
  let best = 0;
  LR_STEPS.forEach((v, i) => {
    if (Math.abs(Math.log(v / lr)) < Math.abs(Math.log(LR_STEPS[best] / lr))) best = i;
  });
  return best;
}

export function initPanels(app) {
  const fields = [...document.querySelectorAll("[data-setting]")];
  const slider = $("lr-slider");
  slider.max = String(LR_STEPS.length - 1);

  function fillChoices() {
    for (const el of document.querySelectorAll("select[data-choices]")) {
      // "points" (edited data) is offered only while the session has some
      const names = (app.choices[el.dataset.choices] || []).filter((n) =>
        el.dataset.setting !== "data" || n !== "points" || app.settings.data === "points");
      if (el.options.length === names.length && [...el.options].every((o, i) => o.value === names[i])) continue;
      el.replaceChildren(...names.map((n) => {
        const o = document.createElement("option");
        o.value = n;
        o.textContent = n === "points" ? "points (edited)" : n;
        return o;
      }));
    }
  }

  function showValue(el) {
    const out = $(`${el.dataset.setting}-out`);
    if (!out) return;
    // n of the lab's XOR or of edited points is their count, shown as it is (not the slider's)
    const v = el.disabled && el.dataset.setting === "n" && app.settings.n ? Number(app.settings.n) : Number(el.value);
    out.textContent = el.dataset.setting === "test-fraction" ? `${Math.round(v * 100)}%` : fmtNum(v);
  }

  function show() {
    fillChoices();
    const s = app.settings;
    for (const el of fields) {
      const key = el.dataset.setting;
      if (!(key in s) || el === document.activeElement && el.type === "text") continue;
      let v = s[key] ?? "";
      if (el.type === "range" && v === "") v = key === "n" ? String(app.pointCount || 100) : "0";
      if (el.tagName === "SELECT") v = optionFor(el, v);
      el.value = v;
      el.classList.remove("invalid");
      showValue(el);
    }
    if (s.lr) slider.value = String(nearestStep(Number(s.lr)));
    const data = s.data;
    setEnabled("n", !FIXED.has(data));
    showValue(document.querySelector('[data-setting="n"]'));
    setEnabled("noise", !FIXED.has(data) && !NOISELESS.has(data));
    setEnabled("data-seed", !FIXED.has(data) || data === "points");
    $("new-sample").disabled = FIXED.has(data) || app.isLocked("new-sample");
    for (const el of document.querySelectorAll("[data-for-optimizer]")) {
      el.classList.toggle("is-hidden", !el.dataset.forOptimizer.split(" ").includes(s.optimizer));
    }
    for (const el of document.querySelectorAll("[data-for-schedule]")) {
      el.classList.toggle("is-hidden", !el.dataset.forSchedule.split(" ").includes(s.schedule));
    }
  }

  // The option that stands for value v: the server writes numbers canonically ("300.0" for the
  // speed menu's "300"); a value the menu lacks gets an option of its own.
  function optionFor(select, v) {
    const options = [...select.options];
    const same = options.find((o) => o.value === v) ||
      options.find((o) => v !== "" && Number(o.value) === Number(v));
    if (same) return same.value;
    const o = document.createElement("option");
    o.value = v;
    o.textContent = select.dataset.setting === "speed" ? `${fmtNum(Number(v))} /s` : v;
    select.append(o);
    return v;
  }

  function setEnabled(key, on) {
    const el = document.querySelector(`[data-setting="${key}"]`);
    if (el) el.disabled = !on || app.isLocked(key);
  }

  // A text field's value, checked before it goes to the server: a number, or empty where the
  // setting is optional. null: refused (the field is marked, the status says why).
  function parse(el) {
    const key = el.dataset.setting, text = el.value.trim();
    if (el.tagName === "SELECT") return text;
    if (text === "") return OPTIONAL.has(key) ? "" : null;
    const v = Number(text);
    if (!Number.isFinite(v) || (WHOLE.has(key) && !Number.isInteger(v))) return null;
    return text;
  }

  for (const el of fields) {
    const key = el.dataset.setting;
    if (el.type === "range") el.addEventListener("input", () => showValue(el));
    el.addEventListener("change", () => {
      const v = parse(el);
      if (v === null) {
        el.classList.add("invalid");
        app.status(`${key}: ${WHOLE.has(key) ? "a whole number" : "a number"}` +
          `${OPTIONAL.has(key) ? " or empty" : ""}, not "${el.value}"`, "error");
        return;
      }
      el.classList.remove("invalid");
      app.change({ [key]: v });  // (a new optimizer brings its own lr: the server's rule)
    });
  }

  // The log slider sends while it is dragged (the learning rate changes live), at most ~8/s.
  let lrTimer = null;
  slider.addEventListener("input", () => {
    const lr = String(LR_STEPS[Number(slider.value)]);
    document.querySelector('[data-setting="lr"]').value = lr;
    if (!lrTimer) {
      lrTimer = setTimeout(() => {
        lrTimer = null;
        app.change({ lr: String(LR_STEPS[Number(slider.value)]) });
      }, 120);
    }
  });

  $("new-sample").addEventListener("click", () => app.send({ type: "new-sample" }));

  $("upload").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (!file) return;
    const limit = app.limit("upload_bytes", 1 << 20);
    if (file.size > limit) {
      app.dataError(`${file.name}: ${(file.size / 2 ** 20).toFixed(1)} MiB, more than the ` +
        `${(limit / 2 ** 20).toFixed(1)} MiB an upload may have`);
      return;
    }
    const text = await file.text();
    // labels 0…K−1 with K > 2 need softmax with cross-entropy: chosen first, as a click does
    const labels = text.split(/\r?\n/).slice(1).map((line) => Number(line.split(",").pop()));
    const most = labels.reduce((m, v) => (Number.isInteger(v) && v > m ? v : m), 0);
    if (most > 1 && app.settings.output !== "softmax") app.change({ output: "softmax", loss: "ce" });
    app.send({ type: "upload", name: file.name, text });
    app.status(`Reading ${file.name}…`, "info");
  });

  $("export-csv").addEventListener("click", () => app.send({ type: "export-csv" }));
  app.on("csv", (m) => download(new Blob([m.text], { type: "text/csv" }), m.name || "points.csv"));

  app.on("hello", show);
  app.on("settings", show);
  app.on("frame", (f) => {
    if (!f.points) return;
    const tr = f.points.train ? f.points.train.x.length : 0, te = f.points.test ? f.points.test.x.length : 0;
    app.pointCount = tr + te;
    $("n-points").textContent = `${tr + te} points: ${tr} to train on, ${te} held out for testing`;
  });
}
