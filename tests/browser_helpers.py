"""What the browser tests share: Debian's Chromium driven by Playwright (no browser download), and how a chart
of the dashboard is checked to be drawn and a count read as the pages write it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Locator, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NONE = "—"
#: What a canvas holds: its size, the pixels painted, and those in colour (not grey: axes, grid and text are grey,
#: so coloured pixels are the bars, lines, points and legend boxes of the data).
PAINTED = """canvas => {
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0, colored = 0;
    for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3] === 0) continue;
        painted++;
        const [r, g, b] = [pixels[i], pixels[i + 1], pixels[i + 2]];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colored++;
    }
    return {width: canvas.width, height: canvas.height, painted, colored};
}"""


@contextmanager
def chromium() -> Iterator[Browser]:
    """Chromium (tests/services/install_chromium.sh), closed afterwards; fails, never skips, when it is missing."""
    assert Path(CHROMIUM).exists(), "chromium is missing: run tests/services/install_chromium.sh"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def counted(value: int | None) -> str:
    """A count as the pages write it (en-US grouping; none: an em dash)."""
    return NONE if value is None else f"{value:,}"


def assert_drawn(canvas: Locator, min_colored_share: float = 0.0) -> dict[str, int]:
    """The chart is drawn: a sized canvas with painted and coloured pixels (at least ``min_colored_share``)."""
    expect(canvas).to_have_attribute("role", "img")  # set when the chart is created
    found: dict[str, int] = canvas.evaluate(PAINTED)
    area = found["width"] * found["height"]
    assert found["width"] >= 100 and found["height"] >= 100, found
    assert found["painted"] > 0.005 * area, f"blank chart: {found}"
    assert found["colored"] > max(0.0, min_colored_share) * area and found["colored"] > 0, f"no data drawn: {found}"
    return found
