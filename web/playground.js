// Kiln playground: submit a job (POST /v1/{model}), follow its server-sent
// events (GET /v1/tasks/{id}/events, read with fetch because EventSource cannot
// send the x-key header), show progress and the image. No dependencies.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY_STORE = "kiln.apiKey";
const HISTORY_STORE = "kiln.history";
const HISTORY_MAX = 8;

let current = null;  // {id, key, abort: AbortController, finished: bool}

// ---- setup -----------------------------------------------------------------

function fillSizes(select, min, max, step, value) {
  select.textContent = "";
  for (let v = min; v <= max; v += step) select.add(new Option(String(v), String(v), false, v === value));
}

async function loadModels() {
  fillSizes($("width"), 64, 256, 16, 128);
  fillSizes($("height"), 64, 256, 16, 128);
  try {
    const r = await fetch("/v1/models");
    if (!r.ok) return;
    const models = (await r.json()).data || [];
    if (!models.length) return;
    const select = $("model");
    select.textContent = "";
    for (const m of models) select.add(new Option(m.id, m.id));
    // keep: leave what is already chosen when the new model allows it (first load).
    const apply = (keep) => {
      const m = models.find((x) => x.id === select.value) || models[0];
      const step = m.size_multiple || 16;
      const pick = (id, def) => {
        const v = Number($(id).value);
        return keep && v >= m.min_size && v <= m.max_size && v % step === 0 ? v : def;
      };
      fillSizes($("width"), m.min_size, m.max_size, step, pick("width", m.default_width));
      fillSizes($("height"), m.min_size, m.max_size, step, pick("height", m.default_height));
      $("steps").max = m.max_steps;
      if (!keep || Number($("steps").value) > m.max_steps) $("steps").value = m.default_steps;
    };
    select.onchange = () => apply(false);
    apply(true);
  } catch (_) {
    /* keep the built-in defaults */
  } finally {
    document.body.dataset.ready = "1";  // tests wait for this
  }
}

// ---- display ---------------------------------------------------------------

function setStatus(text) { $("status").textContent = text; }
function setProgress(fraction) { $("bar").style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`; }
function setOutcome(text, kind = "bad") {
  const el = $("outcome");
  el.textContent = text;
  el.className = text ? kind : "";
}
function setBusy(busy) {
  $("generate").disabled = busy;
  $("cancel").disabled = !busy;
}

// A readable line from a non-2xx answer: 422 lists every bad field.
async function describeHttpError(response) {
  let body = null;
  try { body = await response.json(); } catch (_) { /* not JSON */ }
  const detail = body && body.detail;
  let text;
  if (Array.isArray(detail)) {
    text = detail.map((d) => {
      const loc = (d.loc || []).filter((p) => p !== "body").join(".");
      return loc ? `${loc}: ${d.msg}` : d.msg;
    }).join("\n");
  } else if (typeof detail === "string") {
    text = detail;
  } else {
    text = response.statusText || "request failed";
  }
  const hints = {
    401: "No API key: paste one above.",
    403: "This API key was not accepted.",
    422: "The request was not valid:",
    429: "Too many requests.",
  };
  let head = `${response.status}` + (hints[response.status] ? ` — ${hints[response.status]}` : "");
  const retry = response.headers.get("Retry-After");
  if (response.status === 429 && retry) head += ` Retry in ${retry} s.`;
  return `${head}\n${text}`;
}

// ---- submit and follow -----------------------------------------------------

function readForm() {
  const body = {
    prompt: $("prompt").value,
    width: Number($("width").value),
    height: Number($("height").value),
    output_format: $("format").value,
  };
  const steps = $("steps").value.trim();
  if (steps !== "") body.steps = Number(steps);
  const seed = $("seed").value.trim();
  if (seed !== "") body.seed = Number(seed);
  return body;
}

async function generate(event) {
  if (event) event.preventDefault();
  if (current && !current.finished) return;
  const key = $("key").value.trim();
  localStorage.setItem(KEY_STORE, key);
  const body = readForm();
  const model = $("model").value || "kiln-shapes";

  setOutcome("");
  $("meta").textContent = "";
  setProgress(0);
  setStatus("Submitting…");
  setBusy(true);
  let response;
  try {
    response = await fetch(`/v1/${encodeURIComponent(model)}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-key": key },
      body: JSON.stringify(body),
    });
  } catch (e) {
    setBusy(false);
    setStatus("Failed.");
    setOutcome(`Could not reach the server: ${e.message}`);
    return;
  }
  if (!response.ok) {
    setBusy(false);
    setStatus("Rejected.");
    setOutcome(await describeHttpError(response));
    return;
  }
  const task = await response.json();
  current = { id: task.id, key, body, abort: new AbortController(), finished: false, lastEvent: Date.now() };
  $("meta").textContent = `task ${task.id}`;
  setStatus("Queued.");
  follow(current);
}

// Reads "event: X\ndata: {...}\n\n" blocks from the stream.
async function follow(task) {
  const watchdog = setInterval(() => checkStalled(task), 5000);
  try {
    const r = await fetch(`/v1/tasks/${task.id}/events`, {
      headers: { "x-key": task.key, accept: "text/event-stream" },
      signal: task.abort.signal,
    });
    if (!r.ok) throw new Error(await describeHttpError(r));
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let type = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;  // comment / keep-alive
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          let val = colon < 0 ? "" : line.slice(colon + 1);
          if (val.startsWith(" ")) val = val.slice(1);
          if (field === "event") type = val;
          else if (field === "data") data.push(val);
        }
        if (data.length) onEvent(task, type, JSON.parse(data.join("\n")));
      }
    }
  } catch (e) {
    if (task.finished) return;
    if (e.name !== "AbortError") setStatus(`Event stream lost (${e.message}); polling…`);
  } finally {
    clearInterval(watchdog);
  }
  // The stream ended without a final event: poll until the task ends.
  for (let i = 0; i < 2000 && !task.finished; i++) {  // ~10 minutes
    if (await poll(task)) break;
    await new Promise((ok) => setTimeout(ok, 300));
  }
}

// No event for a while: ask directly (covers an event lost in between).
async function checkStalled(task) {
  if (task.finished || Date.now() - task.lastEvent < 5000) return;
  if (await poll(task)) task.abort.abort();
}

// GET /v1/tasks/{id}; true once the task has ended (and was shown).
async function poll(task) {
  try {
    const r = await fetch(`/v1/tasks/${task.id}`, { headers: { "x-key": task.key } });
    if (!r.ok) return false;
    const j = await r.json();
    if (j.status === "Pending") {
      onEvent(task, "status", { ...j, ...(j.details || {}) }, true);
      return false;
    }
    onEvent(task, j.status === "Ready" ? "done" : "error", j);
    return true;
  } catch (_) {
    return false;
  }
}

const MODERATED = ["Request Moderated", "Content Moderated"];

function onEvent(task, type, data, fromPoll = false) {
  if (task !== current || task.finished) return;
  if (!fromPoll) task.lastEvent = Date.now();
  // A moderation outcome ends the task whatever the event is called.
  if (type !== "done" && MODERATED.includes(data.status)) type = "error";
  switch (type) {
    case "status":
    case "queued":
      if (data.state === "running") {
        // A snapshot (or a poll) has only the fraction: show the step it means.
        const n = task.body.steps || 0;
        const p = typeof data.progress === "number" ? data.progress : 0;
        setStatus(n && p > 0 ? `step ${Math.round(p * n)} of ${n}` : "Running…");
        setProgress(p);
        break;
      }
      if (data.state === "queued" || type === "queued") {
        const pos = data.queue_position;  // jobs ahead: 0 = next; -1 = not waiting
        setStatus(pos == null || pos < 0 ? "Queued."
          : `Queued — position ${pos + 1}` + (pos === 0 ? " (next)" : ` (${pos} ahead)`));
      }
      if (typeof data.progress === "number") setProgress(data.progress);
      break;
    case "running":
      setStatus(data.batch_size > 1 ? `Running (in a batch of ${data.batch_size})…` : "Running…");
      break;
    case "progress":
      setStatus(`step ${data.step} of ${data.steps}`);
      setProgress(data.progress != null ? data.progress : data.step / data.steps);
      break;
    case "done": {
      const sample = data.sample || (data.result && data.result.sample);
      finish(task);
      setProgress(1);
      setStatus("Done.");
      showImage(task, sample);
      break;
    }
    case "error": {
      finish(task);
      const status = data.status || "Error";
      const message = data.error || (data.details && data.details.error) || "";
      const state = data.state || (data.details && data.details.state) || "";
      setStatus(state === "cancelled" ? "Cancelled." : status + ".");
      if (state === "cancelled") setOutcome("Cancelled.", "ok");
      else setOutcome(message ? `${status}: ${message}` : status, "bad");
      break;
    }
  }
}

function finish(task) {
  task.finished = true;
  setBusy(false);
  setTimeout(() => task.abort.abort(), 0);
}

function showImage(task, sample) {
  const img = $("result");
  img.onload = () => {
    $("placeholder").hidden = true;
    img.hidden = false;
    addHistory(task, img);
  };
  img.onerror = () => setOutcome("The image could not be loaded (its signed URL may have expired).");
  img.alt = task.body.prompt;
  img.src = sample;
  const link = document.createElement("a");
  link.href = sample;
  link.target = "_blank";
  link.textContent = "open image";
  $("meta").textContent = `task ${task.id} · ${task.body.width}×${task.body.height} · `;
  $("meta").append(link);
}

async function cancel() {
  const task = current;
  if (!task || task.finished) return;
  $("cancel").disabled = true;
  setStatus("Cancelling…");
  try {
    const r = await fetch(`/v1/tasks/${task.id}`, { method: "DELETE", headers: { "x-key": task.key } });
    if (!r.ok) {
      setOutcome(await describeHttpError(r));
      if (!task.finished) $("cancel").disabled = false;
    }
    // A cancelled task still ends with an `error` event ("cancelled by the client").
  } catch (e) {
    setOutcome(`Could not cancel: ${e.message}`);
  }
}

// ---- history (thumbnails as data URLs: signed sample URLs expire) ----------

function loadHistory() {
  try { return JSON.parse(localStorage.getItem(HISTORY_STORE)) || []; } catch (_) { return []; }
}

function addHistory(task, img) {
  let thumb = img.src;
  try {
    const c = document.createElement("canvas");
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    c.getContext("2d").drawImage(img, 0, 0);
    thumb = c.toDataURL("image/png");
  } catch (_) { /* another origin: keep the URL */ }
  const items = loadHistory();
  items.unshift({ thumb, prompt: task.body.prompt, width: task.body.width, height: task.body.height,
                  seed: task.body.seed, id: task.id, at: Date.now() });
  try {
    localStorage.setItem(HISTORY_STORE, JSON.stringify(items.slice(0, HISTORY_MAX)));
  } catch (_) { /* storage full: keep the page working */ }
  renderHistory();
}

function renderHistory() {
  const items = loadHistory();
  const box = $("history");
  box.textContent = "";
  $("history-section").hidden = items.length === 0;
  for (const item of items) {
    const fig = document.createElement("figure");
    const im = document.createElement("img");
    im.src = item.thumb;
    im.alt = item.prompt;
    const cap = document.createElement("figcaption");
    cap.textContent = `${item.width}×${item.height} · ${item.prompt}`;
    fig.title = `${item.prompt}\n${item.width}×${item.height}\ntask ${item.id}\n(click to reuse the prompt)`;
    fig.append(im, cap);
    fig.onclick = () => {
      $("prompt").value = item.prompt;
      $("width").value = String(item.width);
      $("height").value = String(item.height);
    };
    box.append(fig);
  }
}

// ---- wiring ----------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("key").value = localStorage.getItem(KEY_STORE) || "";
  $("key").addEventListener("input", () => localStorage.setItem(KEY_STORE, $("key").value.trim()));
  $("show-key").onclick = () => {
    const k = $("key");
    k.type = k.type === "password" ? "text" : "password";
    $("show-key").textContent = k.type === "password" ? "show" : "hide";
  };
  $("form").addEventListener("submit", generate);
  $("cancel").onclick = cancel;
  $("clear-history").onclick = () => { localStorage.removeItem(HISTORY_STORE); renderHistory(); };
  renderHistory();
  loadModels();
});
