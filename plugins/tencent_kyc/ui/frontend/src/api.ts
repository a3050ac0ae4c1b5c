// GET requests to the dashboard's JSON API, relative to the page (both pages live directly under the app's
// prefix, so "api/..." resolves to <prefix>/api/... from either). The browser sends Airflow's login cookie.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(status ? `HTTP ${status}: ${detail}` : detail);
  }
}

export async function getJson<T>(path: string, params: Record<string, string> = {}): Promise<T> {
  const url = new URL(path, document.baseURI);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  let response: Response;
  try {
    response = await fetch(url.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, `the dashboard's API could not be reached (${String(error)})`);
  }
  if (!response.ok) throw new ApiError(response.status, await detailOf(response));
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError(response.status, "the answer was not JSON (is the dashboard plugin mounted?)");
  }
}

async function detailOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const detail = (JSON.parse(text) as { detail?: unknown }).detail;
    if (typeof detail === "string") return detail;
    if (detail !== undefined) return JSON.stringify(detail);
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 200) || response.statusText;
}
