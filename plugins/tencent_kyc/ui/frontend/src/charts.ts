// Chart.js, registered with only what the pages draw (bars and lines on category and linear scales), and the
// colours every chart uses. Animations are off: a chart is complete as soon as it is created.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  type ChartType,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  type Plugin,
  PointElement,
  Tooltip,
} from "chart.js";
import { cssColor } from "./theme";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement);

/** A horizontal reference line across the plot at ``value`` of ``scaleID`` (e.g. the goal of a rate). */
interface GoalLineOptions {
  value?: number;
  scaleID?: string;
  color?: string;
  label?: string;
}

declare module "chart.js" {
  interface PluginOptionsByType<TType extends ChartType> {
    goalLine?: GoalLineOptions;
  }
}

const goalLine: Plugin = {
  id: "goalLine",
  afterDatasetsDraw(chart, _args, options: GoalLineOptions) {
    const { value, scaleID = "y", color = "#2f9e44", label } = options;
    const scale = chart.scales[scaleID];
    if (typeof value !== "number" || !scale) return;
    const y = scale.getPixelForValue(value);
    const { left, right, top, bottom } = chart.chartArea;
    if (y < top || y > bottom) return;
    const context = chart.ctx;
    context.save();
    context.strokeStyle = color;
    context.lineWidth = 2;
    context.setLineDash([6, 4]);
    context.beginPath();
    context.moveTo(left, y);
    context.lineTo(right, y);
    context.stroke();
    if (label) {
      context.setLineDash([]);
      context.fillStyle = color;
      context.font = `600 12px ${Chart.defaults.font.family}`;
      context.textAlign = "right";
      context.textBaseline = "bottom";
      context.fillText(label, right - 4, y - 3);
    }
    context.restore();
  },
};

Chart.register(Legend, Tooltip, goalLine);

/** The syncs' statuses have fixed colours; any other series takes the next colour of PALETTE. */
const STATUS_COLORS: Record<string, string> = {
  loaded: "#2f9e44",
  quarantined: "#e8590c",
  no_result: "#748ffc",
  failed: "#e03131",
  expired: "#862e9c",
  accepted: "#2f9e44",
  accepted_with_warnings: "#f59f00",
  rejected: "#e03131",
};
export const PALETTE = ["#1c7ed6", "#f59f00", "#0ca678", "#d6336c", "#7048e8", "#66a80f", "#e8590c", "#1098ad"];
export const PHASE_COLORS: Record<string, string> = {
  list: "#868e96",
  fetch: "#1c7ed6",
  validate: "#f59f00",
  load: "#2f9e44",
};
export const GOOD = "#2f9e44";
export const BAD = "#e03131";

export function statusColor(status: string, index: number): string {
  return STATUS_COLORS[status] ?? PALETTE[index % PALETTE.length];
}

export function paletteColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** Chart.js defaults from the page's current theme (called before the charts are (re)drawn). */
export function applyThemeToCharts(): void {
  Chart.defaults.color = cssColor("--muted");
  Chart.defaults.borderColor = cssColor("--grid");
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  Chart.defaults.plugins.tooltip.mode = "index";
  Chart.defaults.plugins.tooltip.intersect = false;
}

/** Draws ``config`` on ``canvas``, replacing the chart it held; ``label`` is the chart's text for screen readers. */
export function draw<T extends ChartType>(
  canvas: HTMLCanvasElement,
  config: ChartConfiguration<T>,
  label: string,
): Chart<T> {
  Chart.getChart(canvas)?.destroy();
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  return new Chart(canvas, config);
}

export function destroy(canvas: HTMLCanvasElement): void {
  Chart.getChart(canvas)?.destroy();
}
