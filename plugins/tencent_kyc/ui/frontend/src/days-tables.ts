// The nav page's tables: the days of the chosen DAG, and their gate verdicts and reviews.
import { byId, h } from "./dom";
import { NONE, fixed, gateWord, int, percent } from "./format";
import { topLink } from "./problems";
import type { Counts, Day, DaysAnswer, SyncInfo } from "./types";

/** The run tab's url_route in the Airflow UI (plugin.py): a day links to its run's tab. */
const RUN_TAB = "tencent-kyc-day";

/** ``preferred`` first (in its order), then any other key found in ``counts``, sorted. */
export function orderedKeys(preferred: readonly string[], counts: (Counts | null | undefined)[]): string[] {
  const seen = new Set<string>();
  for (const count of counts) for (const key of Object.keys(count ?? {})) seen.add(key);
  const extra = [...seen].filter((key) => !preferred.includes(key)).sort();
  return [...preferred, ...extra];
}

export function gateClass(day: Day): string {
  const word = gateWord(day.gate?.verdict, day.gate?.passed);
  return word === "passed" ? "good" : word === NONE ? "" : "bad";
}

/** ``value`` as a share of ``of`` (null when either is missing). */
export function shareOf(value: number | null | undefined, of: number | null | undefined): number | null {
  return typeof value === "number" && typeof of === "number" && of > 0 ? value / of : null;
}

function runTabHref(day: Day): string | null {
  if (!day.dag_run_id) return null;
  // relative to <base>/tencent-kyc/: the Airflow UI's page of the run, on this dashboard's tab
  return `../dags/${encodeURIComponent(day.dag_id)}/runs/${encodeURIComponent(day.dag_run_id)}/plugin/${RUN_TAB}`;
}

function cell(testId: string, content: Node | string, attrs: Record<string, string> = {}): HTMLTableCellElement {
  return h("td", { "data-testid": testId, ...attrs }, content);
}

export function renderGateTable(answer: DaysAnswer): void {
  const table = byId<HTMLTableElement>("gate-table");
  const numeric = new Set(["Rejected", "Max rejected", "No result", "Max no result"]);
  const head = h("thead", {}, h("tr", {},
    ...["Run date", "Verdict", "Mode", "Rejected", "Max rejected", "No result", "Max no result", "Top reasons",
      "Review", "Reviewer", "Comment"].map((title) =>
      h("th", { scope: "col", class: numeric.has(title) ? "num" : null }, title))));
  const rows = [...answer.days].reverse().map((day) => {
    const id = `gate-${day.run_date}`;
    const gate = day.gate ?? {};
    const word = gateWord(gate.verdict, gate.passed);
    return h("tr", { "data-testid": id },
      cell(`${id}-run_date`, day.run_date),
      cell(`${id}-verdict`, h("span", { class: `badge ${gateClass(day)}`, title: gate.verdict ?? "" }, word)),
      cell(`${id}-mode`, gate.mode ?? NONE),
      cell(`${id}-rejected_share`, percent(gate.rejected_share), { class: "num" }),
      cell(`${id}-max_rejected_share`, percent(gate.max_rejected_share), { class: "num" }),
      cell(`${id}-no_result_share`, percent(gate.no_result_share), { class: "num" }),
      cell(`${id}-max_no_result_share`, percent(gate.max_no_result_share), { class: "num" }),
      cell(`${id}-top_reasons`,
        (gate.top_reasons ?? []).map(([code, count]) => `${code} (${int(count)})`).join(", ") || NONE,
        { class: "wrap" }),
      cell(`${id}-review`, day.review?.decision ?? NONE),
      cell(`${id}-reviewer`, day.review?.reviewer ?? NONE),
      cell(`${id}-comment`, day.review?.comment ?? (day.review ? "" : NONE)),
    );
  });
  table.replaceChildren(head, h("tbody", {}, ...rows));
}

/** A day's count of a status; none at all when the day was not loaded (its run found no status). */
function statusCount(day: Day, status: string): string {
  return Object.keys(day.by_status ?? {}).length ? int(day.by_status?.[status] ?? 0) : NONE;
}

export function renderDaysTable(answer: DaysAnswer, sync: SyncInfo | null): void {
  const statuses = orderedKeys(sync?.statuses ?? [], answer.days.map((day) => day.by_status));
  const table = byId<HTMLTableElement>("days-table");
  const titles = ["Run date", "Orders", ...statuses, "Rows loaded", "Gate", "Review", "Fetch rate (req/s)",
    "Quota used", "Throttled"];
  const textual = new Set(["Gate", "Review"]);
  const head = h("thead", {}, h("tr", {},
    ...titles.map((title, index) => h("th", { scope: "col", class: textual.has(title) || !index ? null : "num" }, title))));
  const rows = [...answer.days].reverse().map((day) => {
    const id = `day-${day.run_date}`;
    const href = runTabHref(day);
    const use = day.fetch?.quota_use ?? shareOf(day.fetch?.rate, day.fetch?.qps_quota);
    return h("tr", { "data-testid": id },
      cell(`${id}-run_date`, href ? topLink(href, day.run_date, { title: "Open the run's KYC day tab" }) : day.run_date),
      cell(`${id}-orders`, int(day.orders), { class: "num" }),
      ...statuses.map((status) => cell(`${id}-status-${status}`, statusCount(day, status), { class: "num" })),
      cell(`${id}-rows_loaded`, int(day.rows_loaded), { class: "num" }),
      cell(`${id}-gate`, h("span", { class: `badge ${gateClass(day)}`, title: day.gate?.verdict ?? "" },
        gateWord(day.gate?.verdict, day.gate?.passed))),
      cell(`${id}-review`, day.review ? `${day.review.decision ?? NONE} (${day.review.reviewer ?? "?"})` : NONE),
      cell(`${id}-fetch_rate`, fixed(day.fetch?.rate), { class: "num" }),
      cell(`${id}-quota_use`, percent(use, 0), { class: "num" }),
      cell(`${id}-throttled`, int(day.fetch?.throttled), { class: "num" }),
    );
  });
  table.replaceChildren(head, h("tbody", {}, ...rows));
}
