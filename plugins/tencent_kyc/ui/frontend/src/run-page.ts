// The DAG-run tab: the day one Airflow run recorded (its dag_id and run_id come in this page's URL).
import { getJson } from "./api";
import { applyThemeToCharts, draw, paletteColor, statusColor } from "./charts";
import { append, byId, clear, h } from "./dom";
import { NONE, fixed, gateWord, int, percent, seconds } from "./format";
import { describeProblem } from "./problems";
import { followTheme } from "./theme";
import { type Counts, type DayDetail, PHASES, type SyncInfo } from "./types";
import { fetchVerdicts, showVerdictDay, verdictsLoading } from "./verdicts";

/** How many reasons the reasons chart shows (the table lists them all). */
const CHART_REASONS = 10;

let shown: { day: DayDetail; sync: SyncInfo | null } | null = null;

export async function startRunPage(): Promise<void> {
  followTheme(() => {
    if (shown) renderCharts(shown.day, shown.sync);
  });
  const query = new URLSearchParams(window.location.search);
  const dagId = query.get("dag_id") ?? "";
  const runId = query.get("run_id") ?? "";
  byId("run-subtitle").textContent = `${dagId} · run ${runId}`;
  if (!dagId || !runId) {
    fail(new Error("this page needs dag_id and run_id in its address (the Airflow UI's run tab gives them)"));
    return;
  }
  let day: DayDetail;
  try {
    day = await getJson<DayDetail>(`api/runs/${encodeURIComponent(runId)}`, { dag_id: dagId });
  } catch (error) {
    fail(error, dagId, runId);
    return;
  }
  const sync = day.sync ?? null; // the answer carries its sync's labels and order of statuses
  shown = { day, sync };
  render(day, sync);
  byId("status").textContent = "";
  verdictsLoading();
  showVerdictDay(await fetchVerdicts(day.run_date, day.run_date), day.run_date);
  byId("dashboard").dataset.state = "ready";
}

function fail(error: unknown, dagId?: string, runId?: string): void {
  byId("dashboard").dataset.state = "error";
  byId("status").textContent = "";
  byId("problem").replaceChildren(describeProblem(error, { dagId, runId }));
}

function orderedKeys(preferred: readonly string[], counts: Counts): string[] {
  const extra = Object.keys(counts).filter((key) => !preferred.includes(key)).sort();
  return [...preferred, ...extra];
}

function countTable(
  table: HTMLTableElement,
  title: string,
  keys: string[],
  counts: Counts,
  testId: string,
  total: number | null,
): void {
  const head = h("thead", {}, h("tr", {}, h("th", { scope: "col" }, title),
    h("th", { scope: "col", class: "num" }, "Orders"), h("th", { scope: "col", class: "num" }, "Share")));
  const rows = keys.map((key) =>
    h("tr", { "data-testid": `${testId}-${key}` },
      h("th", { scope: "row" }, key),
      h("td", { class: "num", "data-testid": `${testId}-${key}-count` }, int(counts[key] ?? 0)),
      h("td", { class: "num muted" }, total ? percent((counts[key] ?? 0) / total) : NONE)),
  );
  if (!keys.length) rows.push(h("tr", {}, h("td", { colspan: "3", class: "muted" }, "none recorded")));
  table.replaceChildren(head, h("tbody", {}, ...rows));
}

function render(day: DayDetail, sync: SyncInfo | null): void {
  byId("content").hidden = false;
  byId("run-title").textContent = `KYC day ${day.run_date}`;
  byId("run-subtitle").textContent = [day.dag_id, `run ${day.dag_run_id ?? NONE}`, sync?.label]
    .filter(Boolean).join(" · ");
  byId("run-orders").textContent = int(day.orders);
  byId("run-orders-note").textContent = `${int(day.carried_over)} carried over from earlier days`;
  byId("run-rows").textContent = int(day.rows_loaded);
  byId("run-expired").textContent = int(day.expired);
  const gate = day.gate ?? {};
  const word = gateWord(gate.verdict, gate.passed);
  const gateValue = byId("run-gate");
  gateValue.textContent = word;
  gateValue.className = `card-value ${word === "passed" ? "good" : word === NONE ? "" : "bad"}`;
  byId("run-gate-note").textContent = gate.mode ? `mode ${gate.mode}` : "";

  const byStatus = day.by_status ?? {};
  const statuses = orderedKeys(sync?.statuses ?? [], byStatus);
  const statusTotal = Object.values(byStatus).reduce((sum, count) => sum + count, 0);
  countTable(byId("status-table"), "Status", statuses, byStatus, "run-status", statusTotal || null);
  const byOutcome = day.by_outcome ?? {};
  countTable(byId("outcome-table"), "Outcome", orderedKeys(sync?.outcomes ?? [], byOutcome).filter(
    (key) => key in byOutcome), byOutcome, "run-outcome", day.orders ?? null);
  const byReason = day.by_reason ?? {};
  const reasons = Object.keys(byReason).sort((a, b) => byReason[b] - byReason[a] || a.localeCompare(b));
  countTable(byId("reason-table"), "Reason", reasons, byReason, "run-reason", day.orders ?? null);
  byId("reason-table").querySelector("thead th:nth-child(2)")!.textContent = "Findings";

  renderGate(day);
  renderWhere(day);
  renderQuarantined(day);
  renderCharts(day, sync);
}

function renderGate(day: DayDetail): void {
  const gate = day.gate ?? {};
  const row = (label: string, key: string, value: number | null | undefined, limit: number | null | undefined) => {
    const over = typeof value === "number" && typeof limit === "number" && value > limit;
    return h("tr", { "data-testid": `run-gate-${key}` },
      h("th", { scope: "row" }, label),
      h("td", { class: `num ${over ? "bad" : ""}`, "data-testid": `run-gate-${key}-share` }, percent(value)),
      h("td", { class: "num", "data-testid": `run-gate-${key}-max` }, percent(limit)),
      h("td", {}, typeof value === "number" && typeof limit === "number" ? (over ? "over" : "within") : NONE));
  };
  byId("gate-detail").replaceChildren(
    h("thead", {}, h("tr", {}, ...["Share", "Day", "Threshold", ""].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {},
      row("rejected", "rejected", gate.rejected_share, gate.max_rejected_share),
      row("no result", "no_result", gate.no_result_share, gate.max_no_result_share)),
  );
  const top = (gate.top_reasons ?? []).map(([code, count]) => `${code} (${int(count)})`).join(", ");
  const word = gateWord(gate.verdict, gate.passed);
  const verdict = byId("gate-verdict");
  clear(verdict);
  append(verdict,
    h("span", { class: `badge ${word === "passed" ? "good" : "bad"}`, "data-testid": "run-gate-verdict" }, word),
    " ", gate.verdict ? why(gate.verdict, word) : "no verdict recorded",
    gate.mode ? h("span", { class: "muted" }, ` · mode ${gate.mode}`) : null,
    top ? h("div", { class: "muted" }, `Top reasons: ${top}`) : null,
  );
  const review = day.review;
  byId("review").replaceChildren(
    review
      ? h("dl", { class: "where" },
          h("dt", {}, "Decision"), h("dd", { "data-testid": "review-decision" }, review.decision ?? NONE),
          h("dt", {}, "Reviewer"), h("dd", { "data-testid": "review-reviewer" }, review.reviewer ?? NONE),
          h("dt", {}, "Comment"), h("dd", { "data-testid": "review-comment" }, review.comment || NONE),
          h("dt", {}, "When"), h("dd", {}, review.reviewed_at ?? NONE))
      : h("p", { class: "muted", "data-testid": "review-none" },
          gate.passed === false ? "No review: the gate's mode did not ask for one." : "No review: none was needed."),
  );
}

/** The verdict's text after its first word, without the top reasons (listed on their own line). */
function why(verdict: string, word: string): string {
  return verdict.slice(word.length).replace(/^:\s*/, "").replace(/;?\s*top reasons:.*$/s, "");
}

function renderWhere(day: DayDetail): void {
  const staging = day.staging ?? { path: null, quarantine: null, refused_values: null };
  const entry = (label: string, key: string, value: string | null | undefined) => [
    h("dt", {}, label),
    h("dd", {}, value ? h("code", { "data-testid": `where-${key}` }, value) : NONE),
  ];
  const durations = PHASES.map((phase) => `${phase} ${seconds(day.durations?.[phase])}`).join(" · ");
  const fetch = day.fetch ?? {};
  byId("where").replaceChildren(
    ...entry("Quarantined records", "quarantine", staging.quarantine),
    ...entry("Refused values", "refused_values", staging.refused_values),
    ...entry("Staged day", "staging", staging.path),
    h("dt", {}, "Run"), h("dd", {}, `${day.started_at ?? NONE} → ${day.finished_at ?? NONE}`),
    h("dt", {}, "Time per phase"), h("dd", {}, durations),
    h("dt", {}, "Fetch"),
    h("dd", { "data-testid": "run-fetch" },
      `${int(fetch.calls)} requests at ${fixed(fetch.rate)}/s of a ${fixed(fetch.qps_quota, 0)} QPS quota ` +
      `(${percent(fetch.quota_use, 0)}` +
      (typeof day.fetch_goal === "number" ? `; the pacer aims at ${percent(day.fetch_goal, 0)}` : "") +
      `), ${int(fetch.throttled)} throttled, ${int(fetch.retries)} retried`),
  );
}

function renderQuarantined(day: DayDetail): void {
  const sample = day.quarantined ?? [];
  const total = day.quarantined_total ?? day.by_status?.quarantined;
  const some = typeof total === "number" && total > sample.length ? `The first ${int(sample.length)} of ${int(total)}`
    : `All ${int(sample.length)}`;
  byId("quarantined-note").textContent = sample.length
    ? `${some} quarantined orders, by order number, with their validation codes (no personal data).`
    : "No order of this day was quarantined.";
  const head = h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Order"), h("th", { scope: "col" }, "Codes")));
  const rows = sample.map((order) =>
    h("tr", { "data-testid": `quarantined-${order.order_no}` },
      h("td", {}, h("code", {}, order.order_no)),
      h("td", {}, ...order.reasons.flatMap((code, index) => [index ? " " : "", h("span", { class: "code" }, code)]))),
  );
  byId("quarantined-table").replaceChildren(head, h("tbody", {}, ...rows));
}

/** A horizontal bar chart's canvas, its box tall enough for every bar's label. */
function sizedFor(canvas: HTMLCanvasElement, bars: number): HTMLCanvasElement {
  const box = canvas.parentElement;
  if (box) box.style.height = `${Math.max(120, 60 + 24 * bars)}px`;
  return canvas;
}

function renderCharts(day: DayDetail, sync: SyncInfo | null): void {
  applyThemeToCharts();
  const byStatus = day.by_status ?? {};
  const statuses = orderedKeys(sync?.statuses ?? [], byStatus);
  draw(
    sizedFor(byId<HTMLCanvasElement>("chart-run-status"), statuses.length),
    {
      type: "bar",
      data: {
        labels: statuses,
        datasets: [{
          label: "orders",
          data: statuses.map((status) => byStatus[status] ?? 0),
          backgroundColor: statuses.map((status, index) => statusColor(status, index)),
        }],
      },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: {
          x: { beginAtZero: true, title: { display: true, text: "orders" } },
          y: { ticks: { autoSkip: false } },
        },
      },
    },
    `Orders by status: ${statuses.map((status) => `${status} ${byStatus[status] ?? 0}`).join(", ")}`,
  );
  const byReason = day.by_reason ?? {};
  const reasons = Object.keys(byReason)
    .sort((a, b) => byReason[b] - byReason[a] || a.localeCompare(b))
    .slice(0, CHART_REASONS);
  draw(
    sizedFor(byId<HTMLCanvasElement>("chart-run-reasons"), reasons.length),
    {
      type: "bar",
      data: {
        labels: reasons,
        datasets: [{
          label: "findings",
          data: reasons.map((code) => byReason[code]),
          backgroundColor: reasons.map((_, index) => paletteColor(index)),
        }],
      },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: {
          x: { beginAtZero: true, title: { display: true, text: "findings" } },
          y: { ticks: { autoSkip: false } },
        },
      },
    },
    `Findings by reason: ${reasons.map((code) => `${code} ${byReason[code]}`).join(", ") || "none"}`,
  );
}
