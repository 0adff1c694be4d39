// Charts as inline SVG, drawn from the API's numbers: no library, no network.

const SVG = "http://www.w3.org/2000/svg";

function node(name, attributes = {}, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

function frame(width, height, label) {
  return node("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": label,
    class: "chart",
  });
}

/** Horizontal bars, one per stage, widths relative to the largest. */
export function funnelChart(stages) {
  const width = 520;
  const row = 34;
  const svg = frame(width, stages.length * row + 8, "Pipeline funnel");
  const largest = Math.max(1, ...stages.map((stage) => stage.count));
  stages.forEach((stage, index) => {
    const y = 4 + index * row;
    const barWidth = Math.max(2, ((width - 230) * stage.count) / largest);
    svg.append(node("text", { x: 0, y: y + 20, class: "label" }, stage.label));
    svg.append(node("rect", { x: 120, y, width: barWidth, height: row - 8, rx: 3, class: `bar s${index}` }));
    svg.append(node("text", { x: 126 + barWidth, y: y + 20, class: "value" }, stage.count.toLocaleString()));
  });
  return svg;
}

/** Grouped columns per day for each series, with a legend. */
export function dailyChart(days, series) {
  const width = 640;
  const height = 220;
  const bottom = height - 28;
  const svg = frame(width, height, "Daily throughput");
  const largest = Math.max(1, ...days.flatMap((day) => series.map((s) => day[s.key] || 0)));
  const slot = (width - 40) / Math.max(1, days.length);
  const bar = Math.max(2, (slot - 4) / series.length);
  svg.append(node("line", { x1: 36, y1: bottom, x2: width, y2: bottom, class: "axis" }));
  svg.append(node("text", { x: 0, y: 14, class: "value" }, largest.toLocaleString()));
  days.forEach((day, index) => {
    const x = 40 + index * slot;
    series.forEach((s, position) => {
      const h = ((bottom - 20) * (day[s.key] || 0)) / largest;
      const rect = node("rect", { x: x + position * bar, y: bottom - h, width: bar - 1, height: h, class: `bar s${position}` });
      rect.append(node("title", {}, `${day.date} ${s.label}: ${day[s.key] || 0}`));
      svg.append(rect);
    });
    if (index % Math.ceil(days.length / 7) === 0) {
      svg.append(node("text", { x, y: height - 8, class: "label small" }, day.date.slice(5)));
    }
  });
  series.forEach((s, position) => {
    const x = width - 110 * (series.length - position);
    svg.append(node("rect", { x, y: 2, width: 10, height: 10, class: `bar s${position}` }));
    svg.append(node("text", { x: x + 14, y: 11, class: "label small" }, s.label));
  });
  return svg;
}

/** A value band: low … high with the estimate marked, and the asking price if given. */
export function bandChart(low, estimate, high, price) {
  const width = 520;
  const svg = frame(width, 64, "Estimated value band");
  const values = [low, estimate, high, price].filter((v) => v != null);
  const min = Math.min(...values) * 0.97;
  const max = Math.max(...values) * 1.03;
  const at = (value) => 10 + ((width - 20) * (value - min)) / (max - min || 1);
  svg.append(node("rect", { x: at(low), y: 22, width: Math.max(2, at(high) - at(low)), height: 14, rx: 7, class: "band" }));
  svg.append(node("line", { x1: at(estimate), y1: 14, x2: at(estimate), y2: 44, class: "estimate" }));
  svg.append(node("text", { x: at(estimate), y: 10, class: "label small", "text-anchor": "middle" }, "estimate"));
  if (price != null) {
    svg.append(node("line", { x1: at(price), y1: 18, x2: at(price), y2: 40, class: "price" }));
    svg.append(node("text", { x: at(price), y: 58, class: "label small", "text-anchor": "middle" }, "price"));
  }
  return svg;
}

/** One bar per component: its contribution to a score out of 100. */
export function componentsChart(components) {
  const width = 520;
  const row = 24;
  const svg = frame(width, components.length * row + 4, "Score components");
  components.forEach((component, index) => {
    const y = 2 + index * row;
    const contribution = component.contribution || 0;
    svg.append(node("text", { x: 0, y: y + 15, class: "label small" }, component.name.replaceAll("_", " ")));
    svg.append(node("rect", { x: 170, y, width: Math.max(1, (280 * contribution) / 100), height: row - 8, class: "bar s0" }));
    svg.append(node("text", { x: 176 + (280 * contribution) / 100, y: y + 14, class: "value small" }, contribution.toFixed(1)));
  });
  return svg;
}
