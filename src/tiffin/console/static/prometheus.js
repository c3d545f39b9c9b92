// Read the Prometheus text exposition format (what GET /metrics answers).
//
// parseMetrics(text) -> Map(family name -> {name, type, help, samples}), where each
// sample is {name, labels, value}: `tiffin_requests_total{protocol="sagemaker"} 3`
// belongs to the family its `# TYPE` line declares. A counter's family is named without
// `_total` (`tiffin_requests`), whichever way the exposition spells it, and the
// `X_created` gauges prometheus_client adds beside a family X are left out.

const SUFFIXES = ["_total", "_bucket", "_count", "_sum", "_created", "_gsum", "_gcount", "_info"];
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

export function parseMetrics(text) {
  const families = new Map();
  const family = (name) => {
    if (!families.has(name)) families.set(name, { name, type: "untyped", help: "", samples: [] });
    return families.get(name);
  };
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) {
      const meta = /^#\s*(TYPE|HELP)\s+(\S+)\s?(.*)$/.exec(line);
      if (meta && meta[1] === "TYPE") family(meta[2]).type = meta[3].trim();
      if (meta && meta[1] === "HELP") family(meta[2]).help = unescape(meta[3]);
      continue;
    }
    const sample = parseSample(line);
    if (sample) family(familyName(sample.name, families)).samples.push(sample);
  }
  return normalized(families);
}

function normalized(families) {
  const out = new Map();
  for (const f of families.values()) {
    if (f.type === "counter" && f.name.endsWith("_total")) f.name = f.name.slice(0, -"_total".length);
    out.set(f.name, f);
  }
  for (const name of [...out.keys()]) {
    if (name.endsWith("_created") && out.has(name.slice(0, -"_created".length))) out.delete(name);
  }
  return out;
}

function familyName(sampleName, families) {
  if (families.has(sampleName)) return sampleName;
  const suffix = SUFFIXES.find((s) => sampleName.endsWith(s));
  const stem = suffix ? sampleName.slice(0, -suffix.length) : sampleName;
  return families.has(stem) ? stem : sampleName;
}

function parseSample(line) {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line.trim());
  if (!name) return null;
  let rest = line.trim().slice(name[0].length);
  const labels = {};
  if (rest.startsWith("{")) {
    const close = closingBrace(rest);
    if (close < 0) return null;
    const body = rest.slice(1, close);
    LABEL.lastIndex = 0;
    let match;
    while (LABEL.lastIndex < body.length && (match = LABEL.exec(body))) {
      labels[match[1]] = unescape(match[2]);
    }
    rest = rest.slice(close + 1);
  }
  const value = parseValue(rest.trim().split(/\s+/)[0]);
  return Number.isNaN(value) && !/NaN/.test(rest) ? null : { name: name[0], labels, value };
}

function closingBrace(text) {
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') quoted = !quoted;
    else if (text[i] === "}" && !quoted) return i;
  }
  return -1;
}

export function parseValue(text) {
  if (text === "+Inf" || text === "Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

function unescape(text) {
  return text.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
}

// -- history: samples over time, and what the charts draw from them ------------------------

// A ring of scrapes ({t: ms, families}) kept for `keepMs`.
export class History {
  constructor(keepMs) {
    this.keepMs = keepMs;
    this.scrapes = [];
  }

  add(t, families) {
    this.scrapes.push({ t, families });
    while (this.scrapes.length > 2 && this.scrapes[0].t < t - this.keepMs) this.scrapes.shift();
  }

  has(name) {
    const last = this.scrapes.at(-1);
    return Boolean(last && last.families.has(name));
  }

  // Every family in the latest scrape.
  latest() {
    const last = this.scrapes.at(-1);
    return last ? [...last.families.values()] : [];
  }

  // For each scrape after the first: [t, fn(now, base)] with `base` the newest scrape at
  // least `windowMs` older (or the oldest one), like Prometheus' rate(x[window]).
  over(windowMs, fn) {
    const points = [];
    for (let i = 1; i < this.scrapes.length; i++) {
      const now = this.scrapes[i];
      let j = i - 1;
      while (j > 0 && this.scrapes[j].t > now.t - windowMs) j--;
      points.push([now.t, fn(now, this.scrapes[j])]);
    }
    return points;
  }
}

// Sum of the samples named `sampleName` that pass `keep`, grouped by `key(labels)`.
export function sums(scrape, family, sampleName, keep, key) {
  const found = new Map();
  for (const sample of scrape.families.get(family)?.samples ?? []) {
    if (sample.name !== sampleName || !keep(sample.labels)) continue;
    const k = key(sample.labels);
    found.set(k, (found.get(k) ?? 0) + sample.value);
  }
  return found;
}

// Per-second increase of a counter between two scrapes, by key (a reset counts from 0).
export function rates(now, base, family, sampleName, keep, key) {
  const seconds = (now.t - base.t) / 1000;
  const after = sums(now, family, sampleName, keep, key);
  const before = sums(base, family, sampleName, keep, key);
  const out = new Map();
  for (const [k, value] of after) {
    const previous = before.get(k) ?? 0;
    out.set(k, (value >= previous ? value - previous : value) / seconds);
  }
  return out;
}

// The q-quantiles of what a histogram observed between two scrapes, interpolated within
// buckets as Prometheus' histogram_quantile does; null when it observed nothing.
export function quantiles(now, base, family, keep, qs) {
  const le = (labels) => labels.le;
  const after = sums(now, family, `${family}_bucket`, keep, le);
  const before = sums(base, family, `${family}_bucket`, keep, le);
  const buckets = [...after]
    .map(([bound, count]) => [parseValue(bound), Math.max(0, count - (before.get(bound) ?? 0))])
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.length ? buckets.at(-1)[1] : 0;
  if (total <= 0) return qs.map(() => null);
  return qs.map((q) => bucketQuantile(buckets, q * total));
}

function bucketQuantile(buckets, rank) {
  let lower = 0;
  let below = 0;
  for (const [bound, cumulative] of buckets) {
    if (cumulative >= rank) {
      if (bound === Infinity) return lower;
      const inBucket = cumulative - below;
      return inBucket > 0 ? lower + ((bound - lower) * (rank - below)) / inBucket : bound;
    }
    lower = bound;
    below = cumulative;
  }
  return lower;
}

// Mean of what a histogram or summary observed between two scrapes, by key; null if none.
export function means(now, base, family, keep, key) {
  const sum = rates(now, base, family, `${family}_sum`, keep, key);
  const count = rates(now, base, family, `${family}_count`, keep, key);
  const out = new Map();
  for (const [k, n] of count) out.set(k, n > 0 ? (sum.get(k) ?? 0) / n : null);
  return out;
}

// A label set as a legend entry: `protocol="sagemaker",status="200"` -> "sagemaker 200".
export function labelText(labels, skip = []) {
  const parts = Object.entries(labels)
    .filter(([name]) => !skip.includes(name))
    .map(([name, value]) => (name === "protocol" || name === "status" ? value : `${name}=${value}`));
  return parts.join(" ");
}
