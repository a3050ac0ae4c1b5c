// Light or dark, as the Airflow UI around the frame shows it. The UI (same origin) marks its <html> with the class
// "dark" or "light"; a page opened on its own follows the browser's setting. Charts are redrawn on a change.

const MEDIA = "(prefers-color-scheme: dark)";

function hostRoot(): HTMLElement | null {
  try {
    if (window.parent === window) return null;
    return window.parent.document.documentElement;
  } catch {
    return null; // another origin: not the Airflow UI
  }
}

export function isDark(): boolean {
  const root = hostRoot();
  if (root?.classList.contains("dark")) return true;
  if (root?.classList.contains("light")) return false;
  return window.matchMedia(MEDIA).matches;
}

function apply(): boolean {
  const dark = isDark();
  const theme = dark ? "dark" : "light";
  const changed = document.documentElement.dataset.theme !== theme;
  document.documentElement.dataset.theme = theme;
  return changed;
}

/** Sets the page's theme now, and calls ``onChange`` whenever it changes. */
export function followTheme(onChange: () => void): void {
  apply();
  const update = (): void => {
    if (apply()) onChange();
  };
  window.matchMedia(MEDIA).addEventListener("change", update);
  const root = hostRoot();
  if (root) new MutationObserver(update).observe(root, { attributes: true, attributeFilter: ["class", "style"] });
}

/** A colour of the page's stylesheet (a CSS custom property), for the charts. */
export function cssColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}
