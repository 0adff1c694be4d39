// The dashboard's pages. Each renders into the main element from the API's answers.

import { get, post, query } from "./api.js";
import { bandChart, componentsChart, dailyChart, funnelChart } from "./charts.js";

const escape = (value) =>
  String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const money = (value) => (value == null ? "—" : "$" + Math.round(value).toLocaleString("en-US"));
const number = (value, digits = 1) => (value == null ? "—" : Number(value).toFixed(digits));
const when = (value) => (value ? new Date(value).toLocaleString() : "—");
const badge = (status) => `<span class="badge ${escape(status)}">${escape(status)}</span>`;

function section(title, body = "") {
  return `<section><h2>${escape(title)}</h2>${body}</section>`;
}

function table(columns, rows, empty = "Nothing yet.") {
  if (!rows.length) return `<p class="muted">${escape(empty)}</p>`;
  const head = columns.map((c) => `<th>${escape(c.label)}</th>`).join("");
  const body = rows.map((row) => `<tr>${columns.map((c) => `<td>${c.cell(row)}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function notice(element, text, kind = "info") {
  element.innerHTML = `<p class="notice ${kind}">${escape(text)}</p>`;
}

// The outcome of the last trigger, shown again when the overview re-renders.
let triggered = null;

export async function overview(view) {
  const [pipelines, recent, funnel, throughput] = await Promise.all([
    get("/api/pipelines/overview"),
    get("/api/pipelines/runs/recent?limit=10"),
    get("/api/metrics/funnel"),
    get("/api/metrics/throughput?days=14"),
  ]);
  view.innerHTML =
    section(
      "Pipelines",
      table(
        [
          { label: "Pipeline", cell: (d) => `<strong>${escape(d.dag_id)}</strong><br><span class="muted">${escape(d.description)}</span>` },
          { label: "Last run", cell: (d) => when(d.last_run_at) },
          { label: "Succeeded", cell: (d) => d.success_count },
          { label: "Failed", cell: (d) => d.failed_count },
          { label: "Running", cell: (d) => d.running_count },
          { label: "", cell: (d) => `<button class="trigger" data-dag="${escape(d.dag_id)}">Trigger</button>` },
        ],
        pipelines.dags,
      ) +
        `<label class="conf">Parameters (conf, JSON) for a trigger
           <textarea id="trigger-conf" rows="2" spellcheck="false">{}</textarea></label>
         <div id="trigger-result"></div>`,
    ) +
    `<div class="grid">` +
    section("Funnel", `<div id="funnel"></div>`) +
    section("Daily throughput (14 days)", `<div id="throughput"></div>`) +
    `</div>` +
    section(
      "Recent runs",
      table(
        [
          { label: "Run", cell: (r) => `<code>${escape(r.dag_run_id)}</code>` },
          { label: "Pipeline", cell: (r) => escape(r.dag_id) },
          { label: "Status", cell: (r) => badge(r.status) },
          { label: "Started", cell: (r) => when(r.started_at || r.execution_date) },
          { label: "Duration (s)", cell: (r) => number(r.duration_seconds, 0) },
          { label: "Tasks ok/failed", cell: (r) => `${r.tasks_success}/${r.tasks_failed}` },
        ],
        recent.data,
        "No runs yet.",
      ),
    );
  const stages = funnel.stages;
  view.querySelector("#funnel").append(
    funnelChart(
      Object.entries(stages).map(([name, count]) => ({ label: name.replace(/^\d_/, ""), count: Number(count) || 0 })),
    ),
  );
  view.querySelector("#throughput").append(
    dailyChart(throughput.data, [
      { key: "scraped", label: "scraped" },
      { key: "enriched", label: "enriched" },
      { key: "scored", label: "scored" },
    ]),
  );
  if (triggered) notice(view.querySelector("#trigger-result"), triggered.text, triggered.kind);
  for (const button of view.querySelectorAll("button.trigger")) {
    button.addEventListener("click", async () => {
      try {
        const conf = JSON.parse(view.querySelector("#trigger-conf").value || "{}");
        const answer = await post(`/api/pipelines/dags/${encodeURIComponent(button.dataset.dag)}/trigger`, { conf });
        triggered = { text: `${answer.message}: run ${answer.dag_run.dag_run_id}`, kind: "info" };
        setTimeout(() => overview(view), 800);
      } catch (error) {
        triggered = { text: `Could not trigger ${button.dataset.dag}: ${error.message}`, kind: "error" };
      }
      // Looked up now: the page may have been rendered again while the request ran.
      notice(view.querySelector("#trigger-result"), triggered.text, triggered.kind);
    });
  }
}

const FILTERS = [
  ["city", "City", "text"],
  ["state", "State", "text"],
  ["zip_code", "ZIP", "text"],
  ["min_price", "Min price", "number"],
  ["max_price", "Max price", "number"],
  ["min_beds", "Min beds", "number"],
  ["min_score", "Min score", "number"],
  ["min_cap_rate", "Min cap rate %", "number"],
  ["source", "Source", "text"],
];

export async function properties(view, params) {
  const filters = Object.fromEntries(FILTERS.map(([name]) => [name, params.get(name) || ""]));
  const sort = params.get("sort") || "-score";
  const page = await get("/api/properties" + query({ ...filters, sort, limit: 50 }));
  const inputs = FILTERS.map(
    ([name, label, type]) =>
      `<label>${escape(label)}<input name="${name}" type="${type}" value="${escape(filters[name])}" step="any"></label>`,
  ).join("");
  const sorts = [["-score", "Best score"], ["-cap_rate", "Cap rate"], ["price", "Price ↑"], ["-price", "Price ↓"], ["newest", "Newest"]]
    .map(([value, label]) => `<option value="${value}" ${value === sort ? "selected" : ""}>${label}</option>`)
    .join("");
  const csv = "/api/properties" + query({ ...filters, sort, limit: 10000, format: "csv" });
  view.innerHTML = section(
    `Properties (${page.total.toLocaleString()})`,
    `<form id="filters" class="filters">${inputs}<label>Sort<select name="sort">${sorts}</select></label>
      <button type="submit">Filter</button> <a class="button" href="${escape(csv)}" download>CSV</a></form>` +
      table(
        [
          { label: "Address", cell: (p) => `<a href="#/property/${p.id}">${escape(p.address)}</a>` },
          { label: "City", cell: (p) => `${escape(p.city)}, ${escape(p.state)}` },
          { label: "Type", cell: (p) => escape((p.property_type || "").replace("_", " ")) },
          { label: "Beds/Baths", cell: (p) => `${p.bedrooms ?? "—"} / ${p.bathrooms ?? "—"}` },
          { label: "Price", cell: (p) => money(p.price) },
          { label: "Est. value", cell: (p) => money(p.estimated_value) },
          { label: "Cap rate", cell: (p) => (p.cap_rate == null ? "—" : number(p.cap_rate, 2) + "%") },
          { label: "Score", cell: (p) => `<strong>${number(p.overall_score)}</strong>` },
          { label: "Distress", cell: (p) => p.distress_signals.map(escape).join(", ") },
        ],
        page.data,
        "No property matches.",
      ),
  );
  view.querySelector("#filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    location.hash = "#/properties" + query(Object.fromEntries(data.entries()));
  });
}

function facts(home) {
  const rows = [
    ["Type", (home.property_type || "—").replace("_", " ")],
    ["Status", home.status || "—"],
    ["Bedrooms", home.bedrooms ?? "—"],
    ["Bathrooms", home.bathrooms ?? "—"],
    ["Living area", home.sqft ? `${home.sqft.toLocaleString()} sqft` : "—"],
    ["Lot", home.lot_size ? `${Math.round(home.lot_size).toLocaleString()} sqft` : "—"],
    ["Year built", home.year_built ?? "—"],
    ["Asking price", money(home.price)],
    ["Sources", home.sources.join(", ") || "—"],
    ["Distress signals", home.distress_signals.join(", ") || "none"],
  ];
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v)}</dd>`).join("")}</dl>`;
}

export async function property(view, id) {
  const home = await get(`/api/properties/${encodeURIComponent(id)}`);
  const score = home.score;
  const valuation = home.valuation;
  const returns = score?.returns || {};
  view.innerHTML =
    `<p><a href="#/properties">← Properties</a></p>` +
    `<h2 class="address">${escape(home.address)}</h2>` +
    `<div class="grid">` +
    section("Facts", facts(home)) +
    section(
      "Estimated value",
      valuation
        ? `<p class="big" id="estimated-value">${money(valuation.estimated_value)}</p>
           <p class="muted" id="value-band">band ${money(valuation.value_low)} – ${money(valuation.value_high)} · model ${escape(valuation.model_version)}</p>
           <div id="band"></div>`
        : `<p class="muted">Not valued yet.</p>`,
    ) +
    `</div><div class="grid">` +
    section(
      "Score",
      score
        ? `<p class="big" id="overall-score">${number(score.overall_score)}</p>
           <p>investment <strong>${number(score.investment_score)}</strong> · risk <strong>${number(score.risk_score)}</strong></p>
           <div id="components"></div>`
        : `<p class="muted">Not scored yet.</p>`,
    ) +
    section(
      "Returns (ROI)",
      score
        ? `<dl class="facts" id="roi">
             <dt>Cap rate</dt><dd>${number(score.cap_rate, 2)}%</dd>
             <dt>Monthly rent</dt><dd>${money(score.monthly_rent_estimate)}</dd>
             <dt>Monthly cash flow</dt><dd>${money(returns.monthly_cash_flow)}</dd>
             <dt>Cash on cash</dt><dd>${number(returns.cash_on_cash_percent, 2)}%</dd>
             <dt>IRR</dt><dd>${number(returns.irr_percent, 2)}%</dd>
           </dl>`
        : "",
    ) +
    `</div>` +
    section(
      "Comparable sales",
      table(
        [
          { label: "Sold", cell: (c) => escape(c.sale_date) },
          { label: "Price", cell: (c) => money(c.price) },
          { label: "Sqft", cell: (c) => escape(c.sqft) },
          { label: "$/sqft", cell: (c) => money(c.price_per_sqft) },
          { label: "Beds/Baths", cell: (c) => `${c.bedrooms ?? "—"} / ${c.bathrooms ?? "—"}` },
          { label: "Distance", cell: (c) => `${number(c.distance_km, 2)} km` },
        ],
        valuation?.comparables || [],
        "No comparables.",
      ),
    ) +
    section(
      "Packet",
      home.packet_url
        ? `<a class="button" id="packet-link" href="${escape(home.packet_url)}" target="_blank">Open packet PDF</a>
           <span class="muted">${home.documents.length} version(s)</span>`
        : `<p class="muted" id="packet-link">No packet yet.</p>`,
    ) +
    section(
      "Score history",
      table(
        [
          { label: "Scored", cell: (s) => when(s.created_at) },
          { label: "Overall", cell: (s) => number(s.overall_score) },
          { label: "Value", cell: (s) => money(s.estimated_value) },
          { label: "Model", cell: (s) => escape(s.model_version) },
        ],
        home.score_history,
      ),
    );
  if (valuation?.estimated_value != null) {
    view.querySelector("#band").append(bandChart(valuation.value_low, valuation.estimated_value, valuation.value_high, home.price));
  }
  if (score?.components?.overall) {
    const parts = [...(score.components.investment?.components || []), ...(score.components.risk?.components || [])];
    view.querySelector("#components").append(componentsChart(parts));
  }
}

export async function scraping(view) {
  const jobs = await get("/api/scraping/jobs?limit=50");
  view.innerHTML = section(
    `Scraping jobs (${jobs.total.toLocaleString()})`,
    `<div id="cancel-result"></div>` +
      table(
        [
          { label: "Job", cell: (j) => j.id },
          { label: "Source", cell: (j) => escape(j.source) },
          { label: "Status", cell: (j) => badge(j.status) },
          { label: "Scraped", cell: (j) => j.items_scraped },
          { label: "Failed", cell: (j) => j.items_failed },
          { label: "Started", cell: (j) => when(j.started_at) },
          { label: "Completed", cell: (j) => when(j.completed_at) },
          {
            label: "",
            cell: (j) => (["queued", "running"].includes(j.status) ? `<button class="cancel" data-job="${j.id}">Cancel</button>` : ""),
          },
        ],
        jobs.data,
      ),
  );
  for (const button of view.querySelectorAll("button.cancel")) {
    button.addEventListener("click", async () => {
      try {
        const answer = await post(`/api/scraping/jobs/${button.dataset.job}/cancel`, {});
        notice(view.querySelector("#cancel-result"), answer.message);
      } catch (error) {
        notice(view.querySelector("#cancel-result"), error.message, "error");
      }
    });
  }
}

export async function deadLetters(view, params) {
  const topics = await get("/api/deadletters");
  const chosen = params.get("topic") || (topics.data.find((t) => t.messages > 0) || topics.data[0]).topic;
  const letters = await get(`/api/deadletters/${encodeURIComponent(chosen)}?limit=50`);
  const tabs = topics.data
    .map((t) => `<a class="tab ${t.topic === chosen ? "active" : ""}" href="#/deadletters?topic=${encodeURIComponent(t.topic)}">${escape(t.original_topic)} <span class="count">${t.messages}</span></a>`)
    .join("");
  view.innerHTML = section(
    "Dead letters",
    `<nav class="tabs">${tabs}</nav><div id="replay-result"></div>
     <p><button id="replay-all">Replay all of ${escape(chosen)}</button></p>` +
      table(
        [
          { label: "Where", cell: (d) => `${d.partition}:${d.offset}` },
          { label: "Failed", cell: (d) => when(d.timestamp) },
          { label: "Service", cell: (d) => escape(d.service) },
          { label: "Error", cell: (d) => `<strong>${escape(d.error_type)}</strong> ${escape(d.error_message)}` },
          { label: "Attempts", cell: (d) => escape(d.attempts) },
          { label: "Event", cell: (d) => `<code>${escape(d.event_type || "")}</code>` },
          {
            label: "",
            cell: (d) =>
              d.replayed_at
                ? `<span class="muted">replayed ${when(d.replayed_at)}</span>`
                : `<button class="replay" data-partition="${d.partition}" data-offset="${d.offset}">Replay</button>`,
          },
        ],
        letters.data,
        "No dead letters on this topic.",
      ),
  );
  const result = view.querySelector("#replay-result");
  const base = `/api/deadletters/${encodeURIComponent(chosen)}`;
  for (const button of view.querySelectorAll("button.replay")) {
    button.addEventListener("click", async () => {
      try {
        const answer = await post(`${base}/${button.dataset.partition}/${button.dataset.offset}/replay`);
        notice(result, `${answer.status.replace("_", " ")} to ${answer.original_topic}`);
        setTimeout(() => deadLetters(view, params), 500);
      } catch (error) {
        notice(result, error.message, "error");
      }
    });
  }
  view.querySelector("#replay-all").addEventListener("click", async () => {
    try {
      const answer = await post(`${base}/replay`);
      notice(result, `${answer.replayed} replayed, ${answer.already_replayed} replayed before`);
    } catch (error) {
      notice(result, error.message, "error");
    }
  });
}
