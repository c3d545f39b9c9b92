// A small time-series line chart on <canvas>, with an HTML legend.
//
// chart.draw(series, {now, spanMs}) where series = [{label, points: [[t_ms, value|null]]}].
// The figure's data attributes say what was drawn, for people and tests alike:
// data-points (points drawn), data-latest (JSON: label -> latest value).

const PALETTE = ["#2f6f9f", "#d9822b", "#3a9a5b", "#c23b3b", "#7e57c2", "#8d6e63", "#e91e63", "#5f7c8a"];
const PAD = { left: 52, right: 12, top: 10, bottom: 24 };

export class LineChart {
  constructor(figure, { format = (v) => formatNumber(v), empty = "no data yet" } = {}) {
    this.figure = figure;
    this.format = format;
    this.empty = empty;
    this.canvas = document.createElement("canvas");
    this.legend = document.createElement("ul");
    this.legend.className = "legend";
    this.colors = new Map();
    figure.append(this.canvas, this.legend);
  }

  color(label) {
    if (!this.colors.has(label)) this.colors.set(label, PALETTE[this.colors.size % PALETTE.length]);
    return this.colors.get(label);
  }

  draw(series, { now, spanMs }) {
    const ctx = this.resize();
    const { width, height } = this.size;
    ctx.clearRect(0, 0, width, height);
    const values = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v !== null);
    const top = niceCeiling(Math.max(0, ...values));
    const x = (t) => PAD.left + ((t - (now - spanMs)) / spanMs) * (width - PAD.left - PAD.right);
    const y = (v) => height - PAD.bottom - (v / top) * (height - PAD.top - PAD.bottom);
    this.axes(ctx, { top, now, spanMs, x, y });
    for (const s of series) this.line(ctx, s, x, y, now - spanMs);
    if (!values.length) this.message(ctx, this.empty);
    this.describe(series, values.length);
  }

  resize() {
    const ratio = window.devicePixelRatio || 1;
    const width = this.canvas.clientWidth || 320;
    const height = this.canvas.clientHeight || 160;
    if (this.canvas.width !== Math.round(width * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
    }
    this.size = { width, height };
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx;
  }

  axes(ctx, { top, now, spanMs, x, y }) {
    ctx.font = "11px system-ui, sans-serif";
    ctx.lineWidth = 1;
    ctx.fillStyle = "#667";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const steps = top / 10 ** Math.floor(Math.log10(top)) === 2 ? 4 : 5;
    for (let i = 0; i <= steps; i++) {
      const v = (top * i) / steps;
      ctx.strokeStyle = i === 0 ? "#99a" : "#e3e6ea";
      ctx.beginPath();
      ctx.moveTo(PAD.left, y(v));
      ctx.lineTo(this.size.width - PAD.right, y(v));
      ctx.stroke();
      ctx.fillText(this.format(v), PAD.left - 6, y(v));
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const step = spanMs <= 60000 ? 10000 : spanMs <= 150000 ? 30000 : 60000;
    for (let ago = 0; ago <= spanMs; ago += step) {
      const label = ago === 0 ? "now" : ago % 60000 ? `-${ago / 1000}s` : `-${ago / 60000}m`;
      ctx.fillText(label, x(now - ago), this.size.height - PAD.bottom + 6);
    }
  }

  // The series' line, broken where it has no value; a dot on its latest point and on
  // points with no neighbour, which a line alone would not show.
  line(ctx, s, x, y, start) {
    const points = s.points.filter(([t]) => t >= start);
    ctx.strokeStyle = ctx.fillStyle = this.color(s.label);
    ctx.lineWidth = 1.75;
    ctx.beginPath();
    points.forEach(([t, v], i) => {
      if (v === null) return;
      if (i > 0 && points[i - 1][1] !== null) ctx.lineTo(x(t), y(v));
      else ctx.moveTo(x(t), y(v));
    });
    ctx.stroke();
    points.forEach(([t, v], i) => {
      const alone = points[i - 1]?.[1] == null && points[i + 1]?.[1] == null;
      if (v !== null && (alone || i === points.length - 1)) {
        ctx.beginPath();
        ctx.arc(x(t), y(v), 2.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    });
  }

  message(ctx, text) {
    ctx.fillStyle = "#99a";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.font = "13px system-ui, sans-serif";
    ctx.fillText(text, (PAD.left + this.size.width) / 2, this.size.height / 2);
  }

  describe(series, count) {
    const latest = {};
    this.legend.replaceChildren();
    for (const s of series) {
      const last = s.points.filter((p) => p[1] !== null).at(-1);
      latest[s.label] = last ? last[1] : null;
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = this.color(s.label);
      item.append(swatch, `${s.label}: ${last ? this.format(last[1]) : "–"}`);
      this.legend.append(item);
    }
    this.figure.dataset.points = String(count);
    this.figure.dataset.latest = JSON.stringify(latest);
  }
}

// The smallest 1, 2 or 5 times a power of ten at or above `value` (1 for nothing).
export function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((c) => c >= value * 0.999);
}

export function formatNumber(value) {
  if (value === null || value === undefined) return "–";
  const size = Math.abs(value);
  if (size >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
  if (size >= 1e3) return `${(value / 1e3).toPrecision(3)}k`;
  if (size === 0 || size >= 1) return String(Math.round(value * 100) / 100);
  return value.toPrecision(2);
}
