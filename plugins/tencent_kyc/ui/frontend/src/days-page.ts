// The nav page: a DAG's days over a date range, as charts and a table.
import { getJson } from "./api";
import {
  BAD,
  GOOD,
  PHASE_COLORS,
  applyThemeToCharts,
  destroy,
  draw,
  paletteColor,
  statusColor,
} from "./charts";
import { gateClass, orderedKeys, renderDaysTable, renderGateTable, shareOf } from "./days-tables";
import { byId, clear, h } from "./dom";
import { NONE, addDays, gateWord, int, isIsoDate, todayUtc } from "./format";
import { describeProblem } from "./problems";
import { followTheme } from "./theme";
import { type DagEntry, type DaysAnswer, PHASES, type SyncInfo } from "./types";
import { drawVerdicts, fetchVerdicts, showVerdictRange, verdictsLoading } from "./verdicts";

/** Days shown when the URL does not say (the API's default too). */
const DEFAULT_DAYS = 30;
/** How many validation reasons the reasons chart follows. */
const TOP_REASONS = 6;

const NOT_LOADED = "not loaded";

interface State {
  dags: DagEntry[];
  answer: DaysAnswer | null;
  request: number;
}

const state: State = { dags: [], answer: null, request: 0 };

export async function startDaysPage(): Promise<void> {
  followTheme(() => {
    if (state.answer) renderCharts(state.answer);
    drawVerdicts();
  });
  const query = new URLSearchParams(window.location.search);
  const until = isIsoDate(query.get("until")) ? (query.get("until") as string) : todayUtc();
  const since = isIsoDate(query.get("since")) ? (query.get("since") as string) : addDays(until, -DEFAULT_DAYS);
  byId<HTMLInputElement>("since").value = since;
  byId<HTMLInputElement>("until").value = until;

  const form = byId<HTMLFormElement>("controls");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void load();
  });
  byId<HTMLSelectElement>("dag").addEventListener("change", () => void load());

  try {
    state.dags = await getJson<DagEntry[]>("api/dags");
  } catch (error) {
    fail(error);
    return;
  }
  const select = byId<HTMLSelectElement>("dag");
  select.replaceChildren(...state.dags.map((dag) => h("option", { value: dag.dag_id }, dag.dag_id)));
  if (!state.dags.length) {
    setState("empty");
    status("No KYC DAG has recorded a day yet (or your account may read none of them). A day appears here " +
      "once a run of a KYC DAG has ended.");
    return;
  }
  const wanted = query.get("dag_id");
  select.value = state.dags.some((dag) => dag.dag_id === wanted) ? (wanted as string) : state.dags[0].dag_id;
  select.disabled = false;
  await load();
}

function setState(value: "loading" | "ready" | "empty" | "error"): void {
  byId("dashboard").dataset.state = value;
}

function status(text: string): void {
  byId("status").textContent = text;
}

function fail(error: unknown, dagId?: string): void {
  setState("error");
  status("");
  byId("problem").replaceChildren(describeProblem(error, { dagId }));
  byId("content").hidden = true;
}

async function load(): Promise<void> {
  const dagId = byId<HTMLSelectElement>("dag").value;
  const since = byId<HTMLInputElement>("since").value;
  const until = byId<HTMLInputElement>("until").value;
  clear(byId("problem"));
  if (!isIsoDate(since) || !isIsoDate(until) || since > until) {
    setState("error");
    status("Choose a range whose first day is not after its last day.");
    return;
  }
  const request = ++state.request;
  setState("loading");
  status(`Loading ${dagId}, ${since} to ${until}…`);
  verdictsLoading();
  const verdicts = fetchVerdicts(since, until); // of every KYC DAG: asked for beside the chosen DAG's days
  let answer: DaysAnswer;
  try {
    answer = await getJson<DaysAnswer>("api/days", { dag_id: dagId, since, until });
  } catch (error) {
    if (request === state.request) fail(error, dagId);
    return;
  }
  if (request !== state.request) return; // a later choice is on its way
  const url = new URL(window.location.href);
  url.search = new URLSearchParams({ dag_id: dagId, since, until }).toString();
  window.history.replaceState(null, "", url.toString());
  state.answer = answer;
  render(answer);
  status(answer.days.length ? "" : `${dagId} recorded no day from ${since} to ${until}.`);
  const verdictResult = await verdicts;
  if (request !== state.request) return;
  showVerdictRange(verdictResult);
  setState("ready");
}

function syncOf(answer: DaysAnswer): SyncInfo | null {
  return answer.sync ?? state.dags.find((dag) => dag.dag_id === answer.dag_id)?.sync ?? null;
}

function render(answer: DaysAnswer): void {
  const sync = syncOf(answer);
  byId("sync-label").textContent = sync ? `${sync.label} · dates in UTC` : "dates in UTC";
  byId("content").hidden = false;
  renderCards(answer);
  renderCharts(answer);
  renderGateTable(answer);
  renderDaysTable(answer, sync);
}

function renderCards(answer: DaysAnswer): void {
  const tomorrow = addDays(todayUtc(), 1);
  const atRisk = answer.open_orders.filter((open) => open.expires_on === tomorrow);
  const risk = atRisk.reduce((sum, open) => sum + open.orders, 0);
  const sooner = answer.open_orders.filter((open) => open.expires_on < tomorrow).reduce((s, o) => s + o.orders, 0);
  byId("at-risk").textContent = int(risk);
  byId("risk-card").classList.toggle("alert", risk > 0);
  byId("at-risk-note").textContent =
    (risk ? `orders of ${atRisk.map((open) => open.order_date).join(", ")}: the run of ${tomorrow} expires them` :
      `no open order expires on ${tomorrow}`) + (sooner ? `; ${int(sooner)} expire sooner` : "");
  byId("open-total").textContent = int(answer.open_orders.reduce((sum, open) => sum + open.orders, 0));
  byId("day-count").textContent = int(answer.days.length);
  byId("range-note").textContent = `${answer.since} to ${answer.until}`;
  const latest = answer.days[answer.days.length - 1];
  const latestGate = byId("latest-gate");
  latestGate.textContent = latest ? gateWord(latest.gate?.verdict, latest.gate?.passed) : NONE;
  latestGate.className = `card-value ${latest ? gateClass(latest) : ""}`;
  byId("latest-note").textContent = latest
    ? `${latest.run_date}: ${int(latest.orders)} orders, ${int(latest.rows_loaded)} rows loaded`
    : "";
}

function describeSeries(title: string, labels: string[], series: { label: string; data: (number | null)[] }[]) {
  const parts = labels.map(
    (label, index) => `${label}: ${series.map((s) => `${s.label} ${s.data[index] ?? NONE}`).join(", ")}`,
  );
  return `${title}. ${parts.join("; ") || "no data"}`;
}

function renderCharts(answer: DaysAnswer): void {
  applyThemeToCharts();
  const days = answer.days;
  const labels = days.map((day) => day.run_date);
  const sync = syncOf(answer);
  const canvases = ["status", "reasons", "open", "fetch", "durations", "gate"].map((name) =>
    byId<HTMLCanvasElement>(`chart-${name}`),
  );
  if (!days.length && !answer.open_orders.length) {
    canvases.forEach(destroy);
    return;
  }

  // (a) orders per day by final status, stacked in the sync's order; a day that was not loaded has no status
  const statuses = orderedKeys(sync?.statuses ?? [], days.map((day) => day.by_status));
  const statusSeries = statuses.map((status, index) => ({
    label: status,
    data: days.map((day) => day.by_status?.[status] ?? 0),
    backgroundColor: statusColor(status, index),
    stack: "orders",
  }));
  const unloaded = days.map((day) =>
    Object.keys(day.by_status ?? {}).length === 0 && day.orders ? day.orders : 0,
  );
  if (unloaded.some((count) => count > 0)) {
    statusSeries.push({ label: NOT_LOADED, data: unloaded, backgroundColor: "#adb5bd", stack: "orders" });
  }
  draw(
    byId<HTMLCanvasElement>("chart-status"),
    {
      type: "bar",
      data: { labels, datasets: statusSeries },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: axis("orders") } } },
    },
    describeSeries("Orders per day by status", labels, statusSeries),
  );

  // (b) the reasons most frequent over the range, per day
  const totals = new Map<string, number>();
  for (const day of days) {
    for (const [code, count] of Object.entries(day.by_reason ?? {})) totals.set(code, (totals.get(code) ?? 0) + count);
  }
  const top = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, TOP_REASONS);
  const reasonSeries = top.map(([code], index) => ({
    label: code,
    data: days.map((day) => day.by_reason?.[code] ?? 0),
    borderColor: paletteColor(index),
    backgroundColor: paletteColor(index),
    pointRadius: 4,
    tension: 0.2,
  }));
  draw(
    byId<HTMLCanvasElement>("chart-reasons"),
    {
      type: "line",
      data: { labels, datasets: reasonSeries },
      options: { scales: { x: { offset: true }, y: { beginAtZero: true, title: axis("findings") } } },
    },
    describeSeries("Top validation reasons per day", labels, reasonSeries),
  );

  // (c) open orders by the day they expire (tomorrow's bar stands out)
  const tomorrow = addDays(todayUtc(), 1);
  const expiries = [...new Set(answer.open_orders.map((open) => open.expires_on))].sort();
  const openCounts = expiries.map((day) =>
    answer.open_orders.filter((open) => open.expires_on === day).reduce((sum, open) => sum + open.orders, 0),
  );
  const openSeries = [
    {
      label: "open orders",
      data: openCounts,
      // tomorrow's in red, sooner ones in a darker red, later ones in the no_result colour
      backgroundColor: expiries.map((day) => (day === tomorrow ? BAD : day < tomorrow ? "#a61e4d" : "#748ffc")),
    },
  ];
  draw(
    byId<HTMLCanvasElement>("chart-open"),
    {
      type: "bar",
      data: { labels: expiries.map((day) => (day === tomorrow ? `${day} (tomorrow)` : day)), datasets: openSeries },
      options: {
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, title: axis("orders") }, x: { title: axis("expires on") } },
      },
    },
    describeSeries("Open orders by expiry day", expiries, openSeries),
  );

  // (d) fetch rate against the quota per run, with the pacer's goal, and the throttled answers
  const quotaUse = days.map((day) => {
    const use = day.fetch?.quota_use ?? shareOf(day.fetch?.rate, day.fetch?.qps_quota);
    return use === null ? null : Math.round(use * 1000) / 10;
  });
  const throttled = days.map((day) => day.fetch?.throttled ?? null);
  draw(
    byId<HTMLCanvasElement>("chart-fetch"),
    {
      type: "bar",
      data: {
        labels,
        datasets: [
          { type: "bar", label: "quota used (%)", data: quotaUse, backgroundColor: "#1c7ed6", yAxisID: "y", order: 2 },
          {
            type: "line",
            label: "throttled answers",
            data: throttled,
            borderColor: BAD,
            backgroundColor: BAD,
            pointRadius: 4,
            yAxisID: "throttled",
            order: 0,
          },
        ],
      },
      options: {
        plugins: { goalLine: goal(answer.fetch_goal) },
        scales: {
          x: { offset: true },
          y: { beginAtZero: true, suggestedMax: 100, title: axis("% of the QPS quota") },
          throttled: {
            position: "right",
            beginAtZero: true,
            suggestedMax: 5,
            grid: { drawOnChartArea: false },
            title: axis("throttled"),
            ticks: { precision: 0 },
          },
        },
      },
    },
    describeSeries("Fetch rate against the quota", labels, [
      { label: "quota used (%)", data: quotaUse },
      { label: "throttled", data: throttled },
    ]),
  );

  // (e) seconds per phase per run
  const phaseSeries = PHASES.map((phase) => ({
    label: phase,
    data: days.map((day) => day.durations?.[phase] ?? null),
    backgroundColor: PHASE_COLORS[phase],
    stack: "seconds",
  }));
  draw(
    byId<HTMLCanvasElement>("chart-durations"),
    {
      type: "bar",
      data: { labels, datasets: phaseSeries },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: axis("seconds") } } },
    },
    describeSeries("Seconds per phase", labels, phaseSeries),
  );

  // (f) the gate's two shares per day against their thresholds; a failed day's points are red
  const pct = (value: number | null | undefined): number | null =>
    typeof value === "number" ? Math.round(value * 1000) / 10 : null;
  const pointColors = days.map((day) => (day.gate?.passed === false ? BAD : day.gate?.passed ? GOOD : "#adb5bd"));
  const gateSeries = [
    { label: "rejected", data: days.map((day) => pct(day.gate?.rejected_share)), color: "#e8590c", dash: [] },
    { label: "max rejected", data: days.map((day) => pct(day.gate?.max_rejected_share)), color: "#e8590c", dash: [6, 4] },
    { label: "no result", data: days.map((day) => pct(day.gate?.no_result_share)), color: "#748ffc", dash: [] },
    { label: "max no result", data: days.map((day) => pct(day.gate?.max_no_result_share)), color: "#748ffc", dash: [6, 4] },
  ];
  draw(
    byId<HTMLCanvasElement>("chart-gate"),
    {
      type: "line",
      data: {
        labels,
        datasets: gateSeries.map((series) => ({
          label: series.label,
          data: series.data,
          borderColor: series.color,
          backgroundColor: series.color,
          borderDash: series.dash,
          // a threshold's points are short dashes, so that a lone day shows its threshold too
          pointStyle: series.dash.length ? "line" : "circle",
          pointRadius: series.dash.length ? 10 : 5,
          pointBorderWidth: series.dash.length ? 2 : 1,
          pointBackgroundColor: series.dash.length ? series.color : pointColors,
          pointBorderColor: series.dash.length ? series.color : pointColors,
        })),
      },
      options: {
        scales: { x: { offset: true }, y: { beginAtZero: true, suggestedMax: 30, title: axis("% of the day's orders") } },
      },
    },
    describeSeries("Quality gate shares (%)", labels, gateSeries),
  );
}

/** The pacer's goal as a line across the quota chart (none when the API does not say it). */
function goal(share: number | null | undefined) {
  return typeof share === "number"
    ? { value: share * 100, color: GOOD, label: `goal ${Math.round(share * 100)} %` }
    : {};
}

function axis(text: string) {
  return { display: true, text };
}


