// What a page says when the API refuses or fails. The Airflow UI handles a 401 for its own requests only; in
// this frame the page must send the user to Airflow's sign-in itself, and back to where they were afterwards.
import { ApiError } from "./api";
import { type Child, h } from "./dom";

/** Airflow's sign-in, relative to either page (<base>/tencent-kyc/ or <base>/tencent-kyc/run). */
const LOGIN = "../api/v2/auth/login";

/** The Airflow UI's address around this frame (or this page's, when it is opened on its own). */
function hostUrl(): string {
  try {
    return window.top?.location.href ?? window.location.href;
  } catch {
    return window.location.href;
  }
}

export function signInUrl(): string {
  const url = new URL(LOGIN, document.baseURI);
  url.searchParams.set("next", hostUrl());
  return url.toString();
}

/**
 * Opens ``url`` in the top window. The UI frames this page in a sandbox without top navigation, so a plain
 * ``target="_top"`` link is blocked there; the frame is same-origin, so a link clicked in the UI's own document
 * navigates it instead.
 */
export function openInTop(url: string): void {
  try {
    const top = window.top;
    if (top && top !== window) {
      const link = top.document.createElement("a");
      link.href = url;
      link.style.display = "none";
      top.document.body.appendChild(link);
      link.click();
      link.remove();
      return;
    }
  } catch {
    // not the Airflow UI around us: navigate this page
  }
  window.location.assign(url);
}

/** A link opening ``href`` in the top window (works framed or not). */
export function topLink(href: string, text: string, attrs: Record<string, string> = {}): HTMLAnchorElement {
  const link = h("a", { href, target: "_top", ...attrs }, text);
  link.addEventListener("click", (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    openInTop(link.href);
  });
  return link;
}

export interface ProblemContext {
  dagId?: string;
  runId?: string;
}

/** The message (an element) for an error of the API, or of the page itself. */
export function describeProblem(error: unknown, context: ProblemContext = {}): HTMLElement {
  if (!(error instanceof ApiError)) {
    return h("div", { class: "problem", role: "alert", "data-testid": "problem", "data-status": "error" },
      h("strong", {}, "The page failed: "), String(error));
  }
  const box = (status: string, ...children: Child[]): HTMLElement =>
    h("div", { class: "problem", role: "alert", "data-testid": "problem", "data-status": status }, ...children);
  switch (error.status) {
    case 401:
      return box("401",
        h("strong", {}, "You are not signed in to Airflow"), " (or your session has expired). ",
        topLink(signInUrl(), "Sign in", { "data-testid": "sign-in", class: "button" }),
        " and you will come back here.");
    case 403:
      return box("403",
        h("strong", {}, "No access. "),
        context.dagId
          ? `Your Airflow account may not read the runs of the DAG ${context.dagId}.`
          : "Airflow refused the request.",
        ` (${error.detail})`);
    case 404:
      return context.runId
        ? box("404",
            h("strong", {}, "This run recorded no KYC day. "),
            "A run records its day when its last task ends: it may still be running, or it stopped before ",
            "listing its orders. Open this tab again when the run has finished.")
        : box("404", h("strong", {}, "Nothing recorded. "), error.detail);
    case 503:
      return box("503", h("strong", {}, "The warehouse cannot be reached. "), error.detail);
    default:
      return box(String(error.status || "network"),
        h("strong", {}, "The dashboard's API failed. "), error.message);
  }
}
