/**
 * The one palette of every chart (research results, clustering runs): the i-th group or
 * cluster has the same colour in each chart that shows it.
 */
export const CHART_COLORS = [
  "#0f766e",
  "#b45309",
  "#6d28d9",
  "#be123c",
  "#0369a1",
  "#4d7c0f",
  "#a16207",
  "#0e7490",
  "#9d174d",
  "#3f6212",
  "#1d4ed8",
  "#7c2d12",
] as const;

export const chartColor = (i: number) => CHART_COLORS[i % CHART_COLORS.length];
