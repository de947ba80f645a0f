// Explain this step, robustness over 20 seeds, and the exports: the train command, the model
// file (and loading one), a PNG of the view, the link.

import { $, make, bytesB64, download, fmtAcc, fmtLoss } from "./common.js";
import { drawChart } from "./charts.js";

export function initExplain(app) {
  app.on("explain", (m) => {
    const box = $("explain-text");
    box.textContent = m.text;
    const set = m.set || (app.explained ? app.explained.set : "train");
    $("explain-hint").textContent = `Point ${m.index} of the ${set === "test" ? "test" : "training"} set, ` +
      "at the current weights. Click another point to compare.";
    box.scrollIntoView({ block: "nearest", behavior: "smooth" });
  });
  app.on("reset", () => {
    if ($("explain-text").textContent) {
      $("explain-hint").textContent = "The settings changed: click a point again to explain the new step.";
    }
  });
}

export function initRobustness(app) {
  const start = $("robust-start"), stop = $("robust-stop"), summary = $("robust-summary");
  let last = null;

  function draw() {
    const b = last && last.band;
    drawChart($("band"), {
      band: b ? { x: b.epoch, lo: b.min, hi: b.max, colour: "rgba(0, 114, 178, .2)" } : null,
      series: b ? [{ x: b.epoch, y: b.median, colour: "#0072b2", width: 1.8 }] : [],
      empty: "the loss of 20 seeds will show here: min to max, and the median",
    });
  }

  start.addEventListener("click", () => {
    app.send({ type: "robustness", action: "start" });
    start.disabled = true;
    stop.disabled = false;
    summary.textContent = "Training 20 seeds in the background…";
    $("robust-failed").replaceChildren();
  });
  stop.addEventListener("click", () => {
    app.send({ type: "robustness", action: "stop" });
    stop.disabled = true;
    start.disabled = false;
  });

  app.on("robustness", (m) => {
    last = m;
    $("robust-progress").value = m.done ?? 0;
    const seeds = Array.isArray(m.seeds) ? m.seeds : [];
    const done = `${Math.round((m.done ?? 0) * 100)}%`;
    if (m.solved === null || m.solved === undefined) {
      summary.textContent = `Training ${seeds.length || 20} seeds in the background… ${done}`;
    } else {
      const share = m.solved <= 1 ? m.solved * 100 : m.solved;
      summary.replaceChildren(make("b", { text: `${Math.round(share)}%` }),
        ` of ${seeds.length || 20} seeds reach 100% training accuracy` +
        (m.finished ? ` after ${m.epochs ?? ""} epochs.` : ` so far (${done} done)…`));
    }
    const failed = $("robust-failed");
    failed.replaceChildren();
    if (m.failed && m.failed.length) {
      failed.append("Failed (click to open one):");
      for (const seed of m.failed) {
        const i = seeds.indexOf(seed);
        const acc = m.accuracy && i >= 0 && m.accuracy[i] !== null ? ` · ${fmtAcc(m.accuracy[i])}%` : "";
        const diverged = m.diverged && m.diverged.includes(seed) ? " · diverged" : "";
        failed.append(make("button", { type: "button", text: `seed ${seed}${acc}${diverged}`,
          title: `Train this network from seed ${seed} here`,
          onclick: () => {
            app.change({ seed: String(seed) });
            app.status(`Opened seed ${seed}, one that did not reach 100%: press play to watch it.`, "info");
          } }));
      }
    } else if (m.finished) {
      failed.append("Every seed reached 100%.");
    }
    if (m.finished) { start.disabled = false; stop.disabled = true; }
    draw();
  });
  app.on("reset", () => {
    if (last && last.finished && !last.stale) {
      last.stale = true;
      summary.append(" (for earlier settings: run it again for these)");
    }
  });
  app.on("error", (m) => {
    if (m.about === "robustness") { start.disabled = false; stop.disabled = true; }
  });
  window.addEventListener("resize", draw);
  draw();
}

async function copyText(text, what, app) {
  try {
    await navigator.clipboard.writeText(text);
    app.status(`${what} copied.`, "ok");
  } catch {
    app.status(`Select the ${what.toLowerCase()} and copy it with Ctrl+C.`, "info");
  }
}

// The PNG: the plot, the loss and gradient charts and the network, side by side, with the
// numbers and the command above, drawn from the canvases as they are on the screen.
function composeView(app) {
  const pick = (id) => $(id).getBoundingClientRect();
  const parts = [["boundary", "Decision boundary"], ["curves", "Loss (log scale)"],
    ["gradients", "Gradient norm per layer (log scale)"], ["network", "Network"]];
  const box = Object.fromEntries(parts.map(([id]) => [id, pick(id)]));
  const pad = 16, head = 54, label = 16;
  const leftW = Math.max(box.boundary.width, box.curves.width, box.gradients.width);
  const leftH = box.boundary.height + box.curves.height + box.gradients.height + 3 * label + 2 * pad;
  const width = pad * 3 + leftW + box.network.width;
  const height = head + Math.max(leftH, box.network.height + label) + pad * 2;
  const scale = window.devicePixelRatio || 1;
  const out = make("canvas");
  out.width = Math.round(width * scale);
  out.height = Math.round(height * scale);
  const ctx = out.getContext("2d");
  ctx.scale(scale, scale);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "#1d2329";
  ctx.font = "600 16px system-ui, sans-serif";
  const f = app.frame || {};
  const test = f.test ? `   test loss ${fmtLoss(f.test.loss)}, accuracy ${fmtAcc(f.test.accuracy)}%` : "";
  ctx.fillText(`backproplab playground — epoch ${f.epoch ?? 0}   train loss ${fmtLoss(f.train && f.train.loss)}, ` +
    `accuracy ${fmtAcc(f.train && f.train.accuracy)}%${test}`, pad, pad + 12);
  ctx.font = "12px ui-monospace, monospace";
  ctx.fillStyle = "#5f6b76";
  ctx.fillText($("command").textContent, pad, pad + 32);
  ctx.font = "600 12px system-ui, sans-serif";
  let y = head + pad;
  for (const id of ["boundary", "curves", "gradients"]) {
    ctx.fillStyle = "#5f6b76";
    ctx.fillText(parts.find((p) => p[0] === id)[1], pad, y + 11);
    ctx.drawImage($(id), pad, y + label, box[id].width, box[id].height);
    y += label + box[id].height + pad;
  }
  const nx = pad * 2 + leftW;
  ctx.fillText("Network", nx, head + pad + 11);
  ctx.drawImage($("network"), nx, head + pad + label, box.network.width, box.network.height);
  return out;
}

export function initExport(app) {
  app.on("settings", (m) => { if (m.command) $("command").textContent = m.command; });
  $("copy-command").addEventListener("click", () => copyText($("command").textContent, "Command", app));
  $("copy-link").addEventListener("click", () => copyText(location.href, "Link", app));

  $("export-model").addEventListener("click", () => {
    app.send({ type: "export-model" });
    app.status("Preparing the model file…", "info");
  });
  app.on("model", (m) => {
    const raw = atob(m.data), bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    download(new Blob([bytes], { type: "application/octet-stream" }), m.name || "model.npz");
    app.status(`Saved ${m.name || "model.npz"}: backproplab train --resume ${m.name || "model.npz"} goes on from here.`, "ok");
  });

  $("load-model").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (!file) return;
    const most = Math.floor(app.limit("message_bytes", 4 << 20) * 0.74) - 1024;  // base64 grows 4/3
    if (file.size > most) {
      app.status(`${file.name} is ${(file.size / 2 ** 20).toFixed(1)} MiB: the playground loads model files ` +
        `up to ${(most / 2 ** 20).toFixed(1)} MiB (backproplab train --resume takes larger ones)`, "error");
      return;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    app.send({ type: "load-model", data: bytesB64(bytes), name: file.name });
    app.status(`Loading ${file.name}…`, "info");
  });

  $("export-png").addEventListener("click", () => {
    composeView(app).toBlob((blob) => download(blob, `playground-epoch${(app.frame && app.frame.epoch) || 0}.png`));
  });
}
