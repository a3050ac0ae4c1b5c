// The verdicts per order date (api/verdicts): one verdict per order from both syncs, on either page. They need
// read access to every KYC DAG, so a refusal is shown in the verdicts' own box and the rest of the page stays.
import { ApiError, getJson } from "./api";
import { BAD, GOOD, destroy, draw } from "./charts";
import { type Child, byId, h } from "./dom";
import { NONE, int, percent } from "./format";
import { describeProblem } from "./problems";
import type { Counts, VerdictDay, VerdictReason, VerdictsAnswer } from "./types";

const COLORS: Record<string, string> = { verified: GOOD, rejected: BAD, incomplete: "#748ffc" };
const VERDICTS = ["verified", "rejected", "incomplete"];

export type VerdictsResult = { answer: VerdictsAnswer } | { error: unknown };

/** The verdicts of the order dates from ``since`` to ``until``; never throws (the error is the result). */
export async function fetchVerdicts(since: string, until: string): Promise<VerdictsResult> {
  try {
    return { answer: await getJson<VerdictsAnswer>("api/verdicts", { since, until }) };
  } catch (error) {
    return { error };
  }
}

function section(): HTMLElement {
  return byId("verdicts");
}

/** Marks the verdicts' box loading (before a request). */
export function verdictsLoading(): void {
  section().dataset.state = "loading";
}

/** Shows why there are no verdicts; false when ``result`` holds an answer to show. */
function refused(result: VerdictsResult): result is { error: unknown } {
  const box = byId("verdicts-problem");
  byId("verdicts-body").hidden = !("answer" in result);
  if ("answer" in result) {
    box.replaceChildren();
    return false;
  }
  const { error } = result;
  section().dataset.state = error instanceof ApiError && error.status === 403 ? "denied" : "error";
  box.replaceChildren(
    error instanceof ApiError && error.status === 403
      ? h("div", { class: "problem", role: "alert", "data-testid": "verdicts-problem", "data-status": "403" },
          h("strong", {}, "No access to the verdicts. "),
          "A verdict shows both sides of an order, so it needs read access to every KYC DAG, and your Airflow " +
            "account may not read all of them. The rest of this page is unaffected.")
      : describeProblem(error),
  );
  return true;
}

function colorOf(verdict: string): string {
  return COLORS[verdict] ?? "#adb5bd";
}

function verdictsOf(answer: VerdictsAnswer): string[] {
  const extra = answer.days.flatMap((day) => Object.keys(day.by_verdict)).filter((v) => !answer.verdicts.includes(v));
  return [...(answer.verdicts.length ? answer.verdicts : VERDICTS), ...new Set(extra)];
}

function reasonText(reasons: VerdictReason[]): string {
  return reasons.map((entry) => `${entry.reason} (${int(entry.orders)})`).join(", ") || NONE;
}

function reasonTable(table: HTMLTableElement, reasons: VerdictReason[], testId: string): void {
  const head = h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Reason"), h("th", { scope: "col" }, "Verdict"),
    h("th", { scope: "col", class: "num" }, "Orders")));
  const rows = reasons.map((entry, index) =>
    h("tr", { "data-testid": `${testId}-${index}` },
      h("td", { class: "wrap", "data-testid": `${testId}-${index}-reason` }, entry.reason),
      h("td", {}, h("span", { class: `badge ${entry.verdict === "rejected" ? "bad" : ""}` }, entry.verdict)),
      h("td", { class: "num", "data-testid": `${testId}-${index}-orders` }, int(entry.orders))));
  if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: "3", class: "muted" }, "none")));
  table.replaceChildren(head, h("tbody", {}, ...rows));
}

let shown: VerdictsAnswer | null = null;

/** The nav page: a stacked bar per order date, a table of the days, and the top reasons over the range. */
export function showVerdictRange(result: VerdictsResult): void {
  const canvas = byId<HTMLCanvasElement>("chart-verdicts");
  if (refused(result)) {
    shown = null;
    destroy(canvas);
    byId("verdicts-table").replaceChildren();
    byId("verdict-reasons").replaceChildren();
    return;
  }
  shown = result.answer;
  drawVerdicts();
  const verdicts = verdictsOf(result.answer);
  const head = h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Order date"),
    h("th", { scope: "col", class: "num" }, "Orders"),
    ...verdicts.map((verdict) => h("th", { scope: "col", class: "num" }, verdict)),
    h("th", { scope: "col", class: "num" }, "Verified share"), h("th", { scope: "col" }, "Top reasons")));
  const rows = [...result.answer.days].reverse().map((day) => {
    const id = `verdict-${day.order_date}`;
    return h("tr", { "data-testid": id },
      h("td", { "data-testid": `${id}-order_date` }, day.order_date),
      h("td", { class: "num", "data-testid": `${id}-orders` }, int(day.orders)),
      ...verdicts.map((verdict) =>
        h("td", { class: "num", "data-testid": `${id}-${verdict}` }, int(day.by_verdict[verdict] ?? 0))),
      h("td", { class: "num" }, day.orders ? percent((day.by_verdict.verified ?? 0) / day.orders) : NONE),
      h("td", { class: "wrap", "data-testid": `${id}-top_reasons` }, reasonText(day.top_reasons)));
  });
  if (!rows.length) {
    rows.push(h("tr", {}, h("td", { colspan: String(verdicts.length + 4), class: "muted" },
      `No order dated ${result.answer.since} to ${result.answer.until} has a verdict.`)));
  }
  byId("verdicts-table").replaceChildren(head, h("tbody", {}, ...rows));
  reasonTable(byId<HTMLTableElement>("verdict-reasons"), result.answer.top_reasons, "verdict-reason");
  section().dataset.state = "ready";
}

/** (Re)draws the verdict chart of the nav page (also when the theme changes). */
export function drawVerdicts(): void {
  if (!shown) return;
  const canvas = byId<HTMLCanvasElement>("chart-verdicts");
  const days = shown.days;
  if (!days.length) {
    destroy(canvas);
    return;
  }
  const labels = days.map((day) => day.order_date);
  const series = verdictsOf(shown).map((verdict) => ({
    label: verdict,
    data: days.map((day) => day.by_verdict[verdict] ?? 0),
    backgroundColor: colorOf(verdict),
    stack: "orders",
  }));
  const text = labels.map((label, i) => `${label}: ${series.map((s) => `${s.label} ${s.data[i]}`).join(", ")}`);
  draw(
    canvas,
    {
      type: "bar",
      data: { labels, datasets: series },
      options: {
        scales: {
          x: { stacked: true, title: { display: true, text: "order date" } },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: "orders" } },
        },
      },
    },
    `Verdicts per order date. ${text.join("; ")}`,
  );
}

/** The run tab: the verdicts of the orders dated the run's day (the day's own orders, carried-over ones not). */
export function showVerdictDay(result: VerdictsResult, orderDate: string): void {
  if (refused(result)) {
    byId("verdict-counts").replaceChildren();
    byId("verdict-reasons").replaceChildren();
    return;
  }
  const day: VerdictDay | undefined = result.answer.days.find((entry) => entry.order_date === orderDate);
  const counts: Counts = day?.by_verdict ?? {};
  const total = day?.orders ?? 0;
  const head = h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Verdict"),
    h("th", { scope: "col", class: "num" }, "Orders"), h("th", { scope: "col", class: "num" }, "Share")));
  const rows: Child[] = verdictsOf(result.answer).map((verdict) =>
    h("tr", { "data-testid": `run-verdict-${verdict}` },
      h("th", { scope: "row" }, h("span", { class: "swatch", style: `background:${colorOf(verdict)}` }), verdict),
      h("td", { class: "num", "data-testid": `run-verdict-${verdict}-count` }, int(counts[verdict] ?? 0)),
      h("td", { class: "num muted" }, total ? percent((counts[verdict] ?? 0) / total) : NONE)));
  byId("verdict-counts").replaceChildren(head, h("tbody", {}, ...rows));
  byId("verdicts-note").textContent = day
    ? `${int(total)} orders dated ${orderDate}, as both syncs left them so far (orders carried over from earlier ` +
      "days count on their own date)."
    : `No order dated ${orderDate} has a verdict yet.`;
  reasonTable(byId<HTMLTableElement>("verdict-reasons"), day?.top_reasons ?? [], "run-verdict-reason");
  section().dataset.state = "ready";
}
