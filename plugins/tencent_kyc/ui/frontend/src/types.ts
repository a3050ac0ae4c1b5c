// The dashboard API's answers (plugins/tencent_kyc/ui/app.py and data.py). Days recorded by older versions or
// by failed runs may hold null in any value, so every value is typed as possibly missing.

export type Counts = Record<string, number>;

export interface SyncInfo {
  name: string;
  label: string;
  statuses: string[];
  outcomes: string[];
}

export interface DagEntry {
  dag_id: string;
  sync: SyncInfo | null;
}

export interface Gate {
  verdict?: string | null;
  passed?: boolean | null;
  mode?: string | null;
  rejected_share?: number | null;
  max_rejected_share?: number | null;
  no_result_share?: number | null;
  max_no_result_share?: number | null;
  top_reasons?: [string, number][] | null;
}

export interface Review {
  decision: string | null;
  reviewer: string | null;
  comment: string | null;
  reviewed_at: string | null;
}

export interface Fetch {
  calls?: number | null;
  throttled?: number | null;
  retries?: number | null;
  seconds?: number | null;
  rate?: number | null;
  qps_quota?: number | null;
  quota_use?: number | null;
}

export const PHASES = ["list", "fetch", "validate", "load"] as const;
export type Phase = (typeof PHASES)[number];

export interface Day {
  run_date: string;
  dag_id: string;
  sync?: SyncInfo | null;
  dag_run_id?: string | null;
  orders?: number | null;
  carried_over?: number | null;
  expired?: number | null;
  rows_loaded?: number | null;
  by_outcome?: Counts | null;
  by_status?: Counts | null;
  by_reason?: Counts | null;
  gate?: Gate | null;
  review?: Review | null;
  fetch?: Fetch | null;
  durations?: Partial<Record<Phase, number | null>> | null;
  retention_days?: number | null;
  started_at?: string | null;
  finished_at?: string | null;
}

export interface OpenOrders {
  expires_on: string;
  order_date: string;
  orders: number;
}

export interface DaysAnswer {
  dag_id: string;
  sync: SyncInfo | null;
  since: string;
  until: string;
  days: Day[];
  open_orders: OpenOrders[];
  /** The share of the QPS quota the fetch paces at (the pacer's HEADROOM). */
  fetch_goal?: number | null;
}

export interface Quarantined {
  order_no: string;
  reasons: string[];
}

export interface DayDetail extends Day {
  staging?: { path: string | null; quarantine: string | null; refused_values: string | null } | null;
  /** The first quarantined orders (by order number), and how many there are in all. */
  quarantined?: Quarantined[] | null;
  quarantined_total?: number | null;
  fetch_goal?: number | null;
}

export interface VerdictReason {
  reason: string;
  verdict: string;
  orders: number;
}

export interface VerdictDay {
  order_date: string;
  orders: number;
  by_verdict: Counts;
  top_reasons: VerdictReason[];
}

export interface VerdictsAnswer {
  since: string;
  until: string;
  /** The DAGs whose data the verdicts join (the user may read them all). */
  dags: string[];
  verdicts: string[];
  days: VerdictDay[];
  top_reasons: VerdictReason[];
}
