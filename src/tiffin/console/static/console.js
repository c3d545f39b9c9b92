// The console page: the served models, a form to try one, and live charts of /metrics.
// Everything it fetches comes from the server that served it, by relative URL.

import { LineChart, formatNumber } from "./charts.js";
import { History, labelText, means, parseMetrics, quantiles, rates } from "./prometheus.js";
import { PROTOCOLS, buildRequest, curlCommand, placeholderValue } from "./requests.js";

const POLL_MS = 2000;
const SPAN_MS = 5 * 60 * 1000;
const WINDOW_MS = 10 * 1000;
const OWN_PROTOCOLS = ["console", "operations"];
const BATCH_FAMILY = "tiffin_batch_size";
const SERVER_PREFIXES = ["tiffin_", "process_", "python_"];

const $ = (id) => document.getElementById(id);
const state = { models: [], fieldsFor: null, history: new History(SPAN_MS + WINDOW_MS), charts: {} };

// -- models -------------------------------------------------------------------------------

async function refreshModels() {
  try {
    const response = await fetch("console/api/models", { cache: "no-store" });
    const summary = await response.json();
    state.models = summary.models;
    $("server").textContent = `tiffin ${summary.server.version} · ${summary.server.workers} worker(s)`;
    setConnection("connected");
    renderModels();
    renderForm();
  } catch {
    setConnection("unreachable");
  }
}

function setConnection(text) {
  $("connection").textContent = text === "connected" ? "live" : "server unreachable";
  $("connection").dataset.state = text;
}

function renderModels() {
  const rows = state.models.map((model) => {
    const row = document.createElement("tr");
    row.dataset.model = model.name;
    row.dataset.state = model.state;
    const stateCell = cell(model.state, "state");
    stateCell.append(badge(model.state));
    if (model.state === "ready" && model.load_seconds !== null) {
      stateCell.append(` in ${model.load_seconds.toFixed(2)} s`);
    }
    if (model.error) {
      const reason = document.createElement("div");
      reason.className = "reason";
      reason.textContent = model.error.message + (model.error.hint ? ` (hint: ${model.error.hint})` : "");
      stateCell.append(reason);
    }
    row.append(
      cell(model.name, "name"),
      cell(model.version, "version"),
      stateCell,
      cell(model.framework ?? "custom code", "framework"),
      cell(tensors(model.inputs), "inputs"),
      cell(tensors(model.outputs), "outputs"),
      cell(model.description, "description"),
    );
    return row;
  });
  $("models").tBodies[0].replaceChildren(...rows);
}

function cell(text, name) {
  const td = document.createElement("td");
  td.dataset.field = name;
  if (name !== "state") td.textContent = text ?? "";
  return td;
}

function badge(text) {
  const span = document.createElement("span");
  span.className = "badge";
  span.dataset.state = text;
  span.textContent = text;
  return span;
}

function tensors(list) {
  return list.length ? list.map((t) => `${t.name} ${t.datatype ?? ""} [${(t.shape ?? []).join(", ")}]`).join("; ") : "–";
}

// -- try it -------------------------------------------------------------------------------

function selectedModel() {
  return state.models.find((m) => m.name === $("model").value) ?? state.models[0];
}

// The form's fields follow the model's declared inputs; rebuilt only when those change,
// so that what the user typed survives the next poll.
function renderForm() {
  const select = $("model");
  const names = state.models.map((m) => m.name);
  if ([...select.options].map((o) => o.value).join() !== names.join()) {
    select.replaceChildren(...names.map((n) => new Option(n, n)));
  }
  const model = selectedModel();
  if (!model) return;
  const inputs = model.inputs.length ? model.inputs : [{ name: "input" }];
  const signature = JSON.stringify([model.name, inputs]);
  if (state.fieldsFor === signature) return;
  state.fieldsFor = signature;
  $("fields").replaceChildren(...inputs.map((input) => field(input, exampleFor(model, input, inputs.length))));
  updateProtocolNote();
}

function exampleFor(model, input, count) {
  const example = model.example_input;
  if (example !== null && count === 1) return example;
  if (example && typeof example === "object" && input.name in example) return example[input.name];
  return placeholderValue(input);
}

function field(input, value) {
  const wrapper = document.createElement("div");
  wrapper.className = "field";
  wrapper.dataset.input = input.name;
  const label = document.createElement("label");
  const area = document.createElement("textarea");
  area.name = input.name;
  area.rows = 3;
  area.spellcheck = false;
  area.value = JSON.stringify(value);
  area.dataset.datatype = input.datatype ?? "";
  area.dataset.shape = JSON.stringify(input.shape ?? null);
  const details = input.datatype ? ` ${input.datatype} [${(input.shape ?? []).join(", ")}]` : "";
  label.append(`${input.name}${details} (JSON)`, area);
  const error = document.createElement("p");
  error.className = "field-error";
  error.setAttribute("role", "alert");
  error.hidden = true;
  wrapper.append(label, error);
  return wrapper;
}

function updateProtocolNote() {
  const protocol = PROTOCOLS[$("protocol").value];
  const note = $("protocol-note");
  const several = $("fields").children.length > 1;
  note.hidden = !(protocol.singleInput && several);
  note.textContent = "CSV carries one input: the first field is sent.";
}

function formFields() {
  return [...$("fields").querySelectorAll("textarea")].map((area) => ({
    name: area.name,
    datatype: area.dataset.datatype || null,
    shape: JSON.parse(area.dataset.shape),
    text: area.value,
  }));
}

async function send(event) {
  event.preventDefault();
  const model = selectedModel();
  if (!model) return;
  const request = buildRequest($("protocol").value, model.name, formFields());
  const url = new URL(request.path, document.baseURI).href;
  clearFieldErrors();
  $("send").disabled = true;
  const started = performance.now();
  try {
    const response = await fetch(url, { method: request.method, headers: request.headers, body: request.body });
    const text = await response.text();
    showResult(request, url, response, text, performance.now() - started);
  } catch (error) {
    showResult(request, url, null, String(error), performance.now() - started);
  } finally {
    $("send").disabled = false;
  }
}

function showResult(request, url, response, text, millis) {
  $("result").hidden = false;
  const status = $("result-status");
  status.textContent = response ? `HTTP ${response.status} ${response.statusText}` : "no response";
  status.dataset.state = response?.ok ? "ready" : "failed";
  $("result").dataset.status = response ? String(response.status) : "";
  $("result-latency").textContent = `${millis.toFixed(1)} ms`;
  const type = response?.headers.get("content-type") ?? "";
  $("result-type").textContent = type;
  $("result-body").textContent = pretty(text, type);
  $("curl").textContent = curlCommand(url, request);
  if (response?.status === 400) showFieldError(request, text);
}

function pretty(text, type) {
  if (!type.includes("json")) return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

// The server's 400 message goes next to the field that did not parse, else the field the
// message names, else the first one.
function showFieldError(request, text) {
  let message = text;
  try {
    const body = JSON.parse(text);
    message = body.error + (body.hint ? ` (hint: ${body.hint})` : "");
  } catch {
    // not JSON: show the text as it came
  }
  const wrappers = [...$("fields").children];
  const target =
    wrappers.find((w) => w.dataset.input === request.unparsed) ??
    wrappers.find((w) => message.includes(w.dataset.input)) ??
    wrappers[0];
  const error = target.querySelector(".field-error");
  error.textContent = message;
  error.hidden = false;
  target.querySelector("textarea").setAttribute("aria-invalid", "true");
}

function clearFieldErrors() {
  for (const error of $("fields").querySelectorAll(".field-error")) error.hidden = true;
  for (const area of $("fields").querySelectorAll("textarea")) area.removeAttribute("aria-invalid");
}

async function copyCurl() {
  const text = $("curl").textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const range = document.createRange();
    range.selectNodeContents($("curl"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    document.execCommand("copy");
  }
  $("copied").hidden = false;
  setTimeout(() => ($("copied").hidden = true), 1500);
}

// -- watch it -----------------------------------------------------------------------------

async function scrape() {
  try {
    const response = await fetch("metrics", { cache: "no-store" });
    state.history.add(Date.now(), parseMetrics(await response.text()));
    drawCharts();
  } catch {
    setConnection("unreachable");
  }
}

function keepProtocol(labels) {
  return $("own-traffic").checked || !OWN_PROTOCOLS.includes(labels.protocol);
}

// Series from a function of (now, base) scrapes returning Map(label -> value).
function seriesOf(fn) {
  const points = state.history.over(WINDOW_MS, fn);
  const labels = [...new Set(points.flatMap(([, values]) => [...values.keys()]))].sort();
  return labels.map((label) => ({ label, points: points.map(([t, values]) => [t, values.get(label) ?? null]) }));
}

function counterSeries(family) {
  const key = (labels) => labelText({ protocol: labels.protocol, status: labels.status });
  return seriesOf((now, base) => rates(now, base, family, `${family}_total`, keepProtocol, key));
}

function quantileSeries(family, keep, scale) {
  const qs = [0.5, 0.9, 0.99];
  const names = ["p50", "p90", "p99"];
  return seriesOf((now, base) => {
    const values = quantiles(now, base, family, keep, qs);
    return new Map(names.map((n, i) => [n, values[i] === null ? null : values[i] * scale]));
  });
}

// The time axis grows from a minute to SPAN_MS as the page keeps watching.
function drawCharts() {
  const now = Date.now();
  const watched = now - (state.history.scrapes[0]?.t ?? now);
  const span = { now, spanMs: Math.min(SPAN_MS, Math.max(60000, watched)) };
  state.charts.rps.draw(counterSeries("tiffin_requests"), span);
  state.charts.latency.draw(quantileSeries("tiffin_request_duration_seconds", keepProtocol, 1000), span);
  state.charts.errors.draw(counterSeries("tiffin_request_errors"), span);
  const batching = state.history.has(BATCH_FAMILY);
  $("chart-batch").hidden = !batching;
  if (batching) state.charts.batch.draw(batchSeries(), span);
  drawModelMetrics(span);
}

function batchSeries() {
  const all = () => true;
  const mean = seriesOf((now, base) => new Map([["mean", means(now, base, BATCH_FAMILY, all, () => "mean").get("mean") ?? null]]));
  const p90 = seriesOf((now, base) => new Map([["p90", quantiles(now, base, BATCH_FAMILY, all, [0.9])[0]]]));
  return [...mean, ...p90];
}

// Every family the model reports (not tiffin's own, not the process's): gauges as they
// are, counters as a rate, histograms and summaries as the mean of what they observed.
function drawModelMetrics(span) {
  const families = state.history.latest().filter((f) => !SERVER_PREFIXES.some((p) => f.name.startsWith(p)));
  $("model-metrics-title").hidden = families.length === 0;
  for (const family of families) {
    const chart = modelChart(family);
    chart.draw(modelSeries(family), span);
  }
}

function modelChart(family) {
  const id = `metric-${family.name}`;
  if (!state.charts[id]) {
    const figure = document.createElement("figure");
    figure.className = "chart";
    figure.id = id;
    figure.dataset.metric = family.name;
    const caption = document.createElement("figcaption");
    const unit = { counter: " per second", histogram: " (mean)", summary: " (mean)" }[family.type] ?? "";
    caption.textContent = `${family.name}${unit}`;
    caption.title = family.help;
    figure.append(caption);
    $("model-metrics").append(figure);
    state.charts[id] = new LineChart(figure);
  }
  return state.charts[id];
}

function modelSeries(family) {
  const all = () => true;
  const name = family.name;
  const key = (labels) => labelText(labels, ["le", "quantile"]) || name;
  if (family.type === "counter") return seriesOf((now, base) => rates(now, base, name, `${name}_total`, all, key));
  if (family.type === "histogram" || family.type === "summary") return seriesOf((now, base) => means(now, base, name, all, key));
  return seriesOf((now) => {
    const values = new Map();
    for (const s of now.families.get(name)?.samples ?? []) values.set(key(s.labels), s.value);
    return values;
  });
}

// -- start --------------------------------------------------------------------------------

function start() {
  $("interval").textContent = String(POLL_MS / 1000);
  const ms = (v) => formatNumber(v);
  state.charts.rps = new LineChart($("chart-rps"), { empty: "no requests yet" });
  state.charts.latency = new LineChart($("chart-latency"), { format: ms, empty: "no requests yet" });
  state.charts.errors = new LineChart($("chart-errors"), { empty: "no errors" });
  state.charts.batch = new LineChart($("chart-batch"));
  $("try-form").addEventListener("submit", send);
  $("try-form").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("try-form").requestSubmit();
  });
  $("protocol").addEventListener("change", updateProtocolNote);
  $("model").addEventListener("change", renderForm);
  $("copy-curl").addEventListener("click", copyCurl);
  $("own-traffic").addEventListener("change", drawCharts);
  window.addEventListener("resize", drawCharts);
  refreshModels();
  scrape();
  setInterval(refreshModels, POLL_MS);
  setInterval(scrape, POLL_MS);
}

start();
