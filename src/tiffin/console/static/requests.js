// Build one prediction request per protocol from the form's fields, and its curl command.
//
// A field holds JSON. One that does not parse is sent as it was typed, so that the server
// answers with its own 400 message; the caller shows it next to that field.

export const PROTOCOLS = {
  "sagemaker-json": { label: "SageMaker, JSON", build: sagemakerJson },
  "sagemaker-csv": { label: "SageMaker, CSV", build: sagemakerCsv, singleInput: true },
  "kserve-v1": { label: "KServe V1", build: kserveV1 },
  "oip-v2": { label: "Open Inference V2", build: oipV2 },
};

// fields: [{name, datatype, shape, text}] -> {method, path, headers, body, unparsed}
export function buildRequest(protocol, model, fields) {
  const parsed = fields.map((field) => ({ ...field, ...parse(field.text) }));
  const request = PROTOCOLS[protocol].build(model, parsed);
  const unparsed = parsed.find((f) => !f.ok)?.name ?? null;
  return { method: "POST", ...request, unparsed };
}

function parse(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, value: undefined };
  }
}

// The field's JSON, compact if it parsed, else exactly as typed.
function raw(field) {
  return field.ok ? JSON.stringify(field.value) : field.text.trim();
}

// One field as is; several as an object by input name.
function payload(fields) {
  if (fields.length === 1) return raw(fields[0]);
  return `{${fields.map((f) => `${JSON.stringify(f.name)}: ${raw(f)}`).join(", ")}}`;
}

const JSON_HEADERS = { "Content-Type": "application/json", Accept: "application/json" };

function sagemakerJson(model, fields) {
  return { path: "invocations", headers: JSON_HEADERS, body: payload(fields) };
}

function sagemakerCsv(model, fields) {
  const field = fields[0];
  const body = field.ok ? toCsv(field.value) : field.text.trim() + "\n";
  return { path: "invocations", headers: { "Content-Type": "text/csv", Accept: "text/csv" }, body };
}

function kserveV1(model, fields) {
  const key = fields.length === 1 ? "instances" : "inputs";
  return { path: `v1/models/${model}:predict`, headers: JSON_HEADERS, body: `{"${key}": ${payload(fields)}}` };
}

function oipV2(model, fields) {
  const tensors = fields.map((f) => {
    const shape = f.ok ? shapeOf(f.value) : (f.shape ?? [1]).map((d) => (d < 0 ? 1 : d));
    const datatype = f.datatype ?? (f.ok ? guessDatatype(f.value) : "FP64");
    const data = f.ok && !Array.isArray(f.value) ? [f.value] : f.value;
    const head = JSON.stringify({ name: f.name, shape, datatype }).slice(0, -1);
    return `${head},"data":${f.ok ? JSON.stringify(data) : f.text.trim()}}`;
  });
  return { path: `v2/models/${model}/infer`, headers: JSON_HEADERS, body: `{"inputs":[${tensors.join(",")}]}` };
}

// The shape of nested lists: [[1, 2, 3]] -> [1, 3]; a scalar -> [1].
export function shapeOf(value) {
  if (!Array.isArray(value)) return [1];
  const shape = [];
  for (let level = value; Array.isArray(level); level = level[0]) shape.push(level.length);
  return shape;
}

function guessDatatype(value) {
  const leaves = [value].flat(Infinity);
  if (leaves.every((v) => typeof v === "boolean")) return "BOOL";
  if (leaves.every((v) => Number.isInteger(v))) return "INT64";
  if (leaves.every((v) => typeof v === "number")) return "FP64";
  return "BYTES";
}

// Rows of values as headerless CSV: [[1, 2], [3, 4]] -> "1,2\n3,4\n".
export function toCsv(value) {
  const rows = Array.isArray(value) ? (Array.isArray(value[0]) ? value : [value]) : [[value]];
  const cell = (v) => {
    const text = typeof v === "string" ? v : JSON.stringify(v);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return rows.map((row) => row.map(cell).join(",")).join("\n") + "\n";
}

// A starting value for an input: zeros in its declared shape (-1 -> 1), else [].
export function placeholderValue(input) {
  const shape = (input?.shape ?? []).map((d) => (d < 0 ? 1 : d));
  const zero = input?.datatype === "BYTES" ? "" : input?.datatype === "BOOL" ? false : 0;
  const fill = (dims) => (dims.length ? Array.from({ length: dims[0] }, () => fill(dims.slice(1))) : zero);
  return shape.length ? fill(shape) : [];
}

// The request as a shell command (POSIX quoting; --data-binary keeps CSV newlines).
export function curlCommand(url, request) {
  const quote = (text) => `'${String(text).replaceAll("'", "'\\''")}'`;
  const headers = Object.entries(request.headers).map(([k, v]) => ` \\\n  -H ${quote(`${k}: ${v}`)}`);
  return `curl -sS -X ${request.method} ${quote(url)}${headers.join("")} \\\n  --data-binary ${quote(request.body)}`;
}
