// Figures for experiments and the CLI: Vega-Lite specs rendered to SVG by
// vega (headless, no canvas), and rasterised to PNG by resvg when the file
// name ends in .png. vega and vega-lite are ESM-only; this file compiles to
// CommonJS, so they are loaded with a dynamic import() (kept as import() by
// TypeScript's node16 module mode) on first use and cached.
import * as path from 'path';
import { writeFileAtomic } from './io/atomic';
import { importOptional } from './optional';

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** CSS colour; default: the next of the palette. */
  color?: string;
  /** Dashed line (e.g. for percentiles around a solid median). */
  dashed?: boolean;
}

// Tableau 10, vega's default categorical palette.
const palette = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];

export interface LinePlotSpec {
  title?: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Vertical dashed rules with a label, e.g. the early-stopping epoch. */
  marks?: { x: number; label: string }[];
  /** Logarithmic y axis (every y must be > 0). */
  logY?: boolean;
  /** Logarithmic x axis (every x must be > 0). */
  logX?: boolean;
  /** Draw a dot at every point (default: when no series has more than 40 points). */
  points?: boolean;
}

export interface BoundaryPanel {
  title: string;
  /**
   * The model's probability of class 1 on a regular grid over [x0, x1] x [y0, y1]:
   * `p[j * nx + i]` at x = x0 + (i + 0.5) (x1 - x0) / nx, y = y0 + (j + 0.5) (y1 - y0) / ny.
   */
  grid: { x0: number; x1: number; y0: number; y1: number; nx: number; ny: number; p: ArrayLike<number> };
  /** Samples drawn on top: coordinates and class (0 or 1; any small integers work). */
  points: { x: ArrayLike<number>; y: ArrayLike<number>; label: ArrayLike<number> };
}

export interface BoundaryPlotSpec {
  title?: string;
  panels: BoundaryPanel[];
  /** Panel side in pixels (default 260). */
  size?: number;
}

export interface HistogramSpec {
  title?: string;
  xLabel: string;
  /** Default 'fraction of values'. */
  yLabel?: string;
  /** Overlaid, each normalised to fractions so series of different sizes compare. */
  series: { name: string; values: ArrayLike<number> }[];
  /** Number of equal-width bins over the range of all values (default 40). */
  bins?: number;
}

/** A Vega-Lite specification (a plain JSON object). */
export type VegaLiteSpec = Record<string, unknown>;

type VegaModule = typeof import('vega', { with: { 'resolution-mode': 'import' } });
type VegaLiteModule = typeof import('vega-lite', { with: { 'resolution-mode': 'import' } });
type ResvgModule = typeof import('@resvg/resvg-js');

let modules: Promise<{ vega: VegaModule; vegaLite: VegaLiteModule }> | null = null;

function loadVega(): Promise<{ vega: VegaModule; vegaLite: VegaLiteModule }> {
  if (!modules) {
    modules = Promise.all([
      importOptional('plotting', 'vega', () => import('vega')),
      importOptional('plotting', 'vega-lite', () => import('vega-lite')),
    ]).then(([vega, vegaLite]) => ({ vega, vegaLite }));
    modules.catch(() => (modules = null)); // let a later call retry (and report) instead of caching the failure
  }
  return modules;
}

const width = 560;
const height = 340;
const font = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const config = {
  font,
  background: 'white',
  view: { stroke: '#bbb' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  title: { fontSize: 14, anchor: 'start' },
};

function fail(where: string, message: string): never {
  throw new RangeError(`${where}: ${message}`);
}

/** Which format the file name asks for; anything but .svg/.png is an error. */
function formatOf(where: string, file: unknown): 'svg' | 'png' {
  if (typeof file !== 'string' || file === '') throw new TypeError(`${where}: file must be a non-empty path ending in .svg or .png, received ${String(file)}`);
  const ext = path.extname(file).toLowerCase();
  if (ext === '.svg') return 'svg';
  if (ext === '.png') return 'png';
  return fail(where, `cannot tell the format of '${file}': the name must end in .svg or .png (received '${ext || 'no extension'}')`);
}

function checkArray(where: string, what: string, a: unknown): ArrayLike<number> {
  if (!(Array.isArray(a) || ArrayBuffer.isView(a))) throw new TypeError(`${where}: ${what} must be an array of numbers, received ${a === null ? 'null' : typeof a}`);
  const arr = a as ArrayLike<number>;
  for (let i = 0; i < arr.length; i++) {
    if (typeof arr[i] !== 'number' || !Number.isFinite(arr[i])) fail(where, `${what}[${i}] is ${String(arr[i])}; every value must be a finite number`);
  }
  return arr;
}

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const { vega, vegaLite } = await loadVega();
  const compiled = vegaLite.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG string to PNG bytes at `scale` times its size (default 2, for sharp text). */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const resvg: ResvgModule = await importOptional('plotting (PNG)', '@resvg/resvg-js', () => import('@resvg/resvg-js'));
  const image = await resvg.renderAsync(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    logLevel: 'off',
  });
  return new Uint8Array(image.asPng());
}

/** Renders a Vega-Lite spec into `file` (.svg or .png), replacing it atomically. */
export async function renderChart(spec: VegaLiteSpec, file: string): Promise<void> {
  const format = formatOf('renderChart', file);
  const svg = await renderSvg(spec);
  await writeFileAtomic(file, format === 'svg' ? svg : await svgToPng(svg));
}

/** Line chart of one or more series (training curves, error against a hyper-parameter). */
export async function plotLines(spec: LinePlotSpec, file: string): Promise<void> {
  const where = 'plotLines';
  formatOf(where, file);
  await renderChart(lineChartSpec(spec), file);
}

/** The Vega-Lite spec plotLines renders (validated). */
export function lineChartSpec(spec: LinePlotSpec): VegaLiteSpec {
  const where = 'plotLines';
  if (spec === null || typeof spec !== 'object') throw new TypeError(`${where}: expected { xLabel, yLabel, series }`);
  if (typeof spec.xLabel !== 'string' || typeof spec.yLabel !== 'string') throw new TypeError(`${where}: xLabel and yLabel must be strings`);
  if (!Array.isArray(spec.series) || spec.series.length === 0) fail(where, 'series must be a non-empty array of { name, x, y }');
  const rows: { series: string; x: number; y: number }[] = [];
  const names = new Set<string>();
  let longest = 0;
  for (const [k, s] of spec.series.entries()) {
    if (s === null || typeof s !== 'object' || typeof s.name !== 'string') throw new TypeError(`${where}: series[${k}] must be { name: string, x, y }`);
    if (s.color !== undefined && typeof s.color !== 'string') throw new TypeError(`${where}: series '${s.name}' color must be a CSS colour string`);
    if (names.has(s.name)) fail(where, `two series are named '${s.name}'; names label the legend and must differ`);
    names.add(s.name);
    const x = checkArray(where, `series '${s.name}' x`, s.x);
    const y = checkArray(where, `series '${s.name}' y`, s.y);
    if (x.length !== y.length) fail(where, `series '${s.name}' has ${x.length} x values but ${y.length} y values`);
    if (x.length === 0) fail(where, `series '${s.name}' is empty`);
    for (let i = 0; i < x.length; i++) {
      if (spec.logY && !(y[i] > 0)) fail(where, `series '${s.name}' y[${i}] is ${y[i]}; a logarithmic y axis needs values > 0`);
      if (spec.logX && !(x[i] > 0)) fail(where, `series '${s.name}' x[${i}] is ${x[i]}; a logarithmic x axis needs values > 0`);
      rows.push({ series: s.name, x: x[i], y: y[i] });
    }
    longest = Math.max(longest, x.length);
  }
  const marks = spec.marks ?? [];
  if (!Array.isArray(marks)) throw new TypeError(`${where}: marks must be an array of { x, label }`);
  for (const [k, m] of marks.entries()) {
    if (m === null || typeof m !== 'object' || typeof m.label !== 'string') throw new TypeError(`${where}: marks[${k}] must be { x: number, label: string }`);
    checkArray(where, `marks[${k}].x`, [m.x]);
  }
  const showPoints = spec.points ?? longest <= 40;
  const layers: Record<string, unknown>[] = [
    {
      data: { values: rows },
      mark: { type: 'line', point: showPoints ? { size: 24 } : false, strokeWidth: 1.8, clip: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: spec.xLabel, scale: spec.logX ? { type: 'log' } : { zero: false, nice: false } },
        y: { field: 'y', type: 'quantitative', title: spec.yLabel, scale: spec.logY ? { type: 'log' } : { zero: false } },
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          sort: [...names],
          scale: { domain: [...names], range: spec.series.map((s, k) => s.color ?? palette[k % palette.length]) },
          legend: names.size > 1 ? { orient: 'right' } : null,
        },
        ...(spec.series.some((s) => s.dashed)
          ? { strokeDash: { field: 'series', type: 'nominal', title: null, sort: [...names], scale: { domain: [...names], range: spec.series.map((s) => (s.dashed ? [6, 4] : [1, 0])) }, legend: names.size > 1 ? { orient: 'right' } : null } }
          : {}),
      },
    },
  ];
  if (marks.length) {
    // Labels stacked one line apart so that marks close together stay readable.
    const values = marks.map((m, k) => ({ x: m.x, label: m.label, ypx: 4 + 15 * k }));
    layers.push(
      { data: { values }, mark: { type: 'rule', strokeDash: [5, 4], color: '#444' }, encoding: { x: { field: 'x', type: 'quantitative' } } },
      {
        data: { values },
        mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, color: '#222', fontSize: 11 },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'ypx', type: 'quantitative', scale: null }, text: { field: 'label' } },
      },
    );
  }
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', ...(spec.title ? { title: spec.title } : {}), width, height, config, layer: layers };
}

/** About five round tick values inside [lo, hi]. */
function roundTicks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Decision boundaries of 2-D classifiers: a probability heat map per panel with the samples on top. */
export async function plotScatterBoundary(spec: BoundaryPlotSpec, file: string): Promise<void> {
  formatOf('plotScatterBoundary', file);
  await renderChart(boundaryChartSpec(spec), file);
}

export function boundaryChartSpec(spec: BoundaryPlotSpec): VegaLiteSpec {
  const where = 'plotScatterBoundary';
  if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.panels) || spec.panels.length === 0) {
    fail(where, 'panels must be a non-empty array of { title, grid, points }');
  }
  const size = spec.size ?? 260;
  const panels = spec.panels.map((panel, k) => {
    const g = panel?.grid;
    if (!g || typeof g !== 'object') throw new TypeError(`${where}: panels[${k}].grid must be { x0, x1, y0, y1, nx, ny, p }`);
    checkArray(where, `panels[${k}].grid bounds`, [g.x0, g.x1, g.y0, g.y1]);
    if (!(g.x1 > g.x0 && g.y1 > g.y0)) fail(where, `panels[${k}].grid needs x1 > x0 and y1 > y0`);
    if (!Number.isInteger(g.nx) || !Number.isInteger(g.ny) || g.nx < 1 || g.ny < 1) fail(where, `panels[${k}].grid nx and ny must be positive integers`);
    const p = checkArray(where, `panels[${k}].grid.p`, g.p);
    if (p.length !== g.nx * g.ny) fail(where, `panels[${k}].grid.p has ${p.length} values; expected nx * ny = ${g.nx * g.ny}`);
    const pts = panel.points;
    const px = checkArray(where, `panels[${k}].points.x`, pts?.x);
    const py = checkArray(where, `panels[${k}].points.y`, pts?.y);
    const pl = checkArray(where, `panels[${k}].points.label`, pts?.label);
    if (px.length !== py.length || px.length !== pl.length) {
      fail(where, `panels[${k}].points has ${px.length} x, ${py.length} y and ${pl.length} labels; they must match`);
    }
    const dx = (g.x1 - g.x0) / g.nx;
    const dy = (g.y1 - g.y0) / g.ny;
    const cells: Record<string, number>[] = [];
    for (let j = 0; j < g.ny; j++) {
      for (let i = 0; i < g.nx; i++) {
        const x = g.x0 + i * dx;
        const y = g.y0 + j * dy;
        // Cells overlap their neighbours slightly: abutting anti-aliased edges would show hairline seams.
        cells.push({ x, x2: Math.min(g.x1, x + 1.5 * dx), y, y2: Math.min(g.y1, y + 1.5 * dy), p: p[j * g.nx + i] });
      }
    }
    const samples = Array.from({ length: px.length }, (_, i) => ({ x: px[i], y: py[i], cls: `class ${pl[i]}` }));
    const xs = { type: 'quantitative', title: null, scale: { domain: [g.x0, g.x1], nice: false, zero: false }, axis: { values: roundTicks(g.x0, g.x1) } };
    const ys = { type: 'quantitative', title: null, scale: { domain: [g.y0, g.y1], nice: false, zero: false }, axis: { values: roundTicks(g.y0, g.y1) } };
    return {
      title: typeof panel.title === 'string' ? panel.title : `panel ${k + 1}`,
      width: size,
      height: size,
      layer: [
        {
          data: { values: cells },
          mark: { type: 'rect', strokeWidth: 0 },
          encoding: {
            x: { field: 'x', ...xs },
            x2: { field: 'x2' },
            y: { field: 'y', ...ys },
            y2: { field: 'y2' },
            color: { field: 'p', type: 'quantitative', title: 'P(class 1)', scale: { domain: [0, 1], scheme: 'blueorange' } },
          },
        },
        {
          data: { values: samples },
          mark: { type: 'point', filled: true, size: 16, stroke: 'black', strokeWidth: 0.4, opacity: 0.9 },
          encoding: {
            x: { field: 'x', ...xs },
            y: { field: 'y', ...ys },
            fill: { field: 'cls', type: 'nominal', title: null, scale: { range: ['#1f4e9c', '#d9480f', '#2b8a3e', '#862e9c'] } },
            shape: { field: 'cls', type: 'nominal', title: null },
          },
        },
      ],
    };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(spec.title ? { title: spec.title } : {}),
    config,
    hconcat: panels,
    resolve: { scale: { color: 'shared' } },
  };
}

/** Overlaid histograms (as fractions of each series' values). */
export async function plotHistogram(spec: HistogramSpec, file: string): Promise<void> {
  formatOf('plotHistogram', file);
  await renderChart(histogramChartSpec(spec), file);
}

export function histogramChartSpec(spec: HistogramSpec): VegaLiteSpec {
  const where = 'plotHistogram';
  if (spec === null || typeof spec !== 'object' || typeof spec.xLabel !== 'string') throw new TypeError(`${where}: expected { xLabel, series }`);
  if (!Array.isArray(spec.series) || spec.series.length === 0) fail(where, 'series must be a non-empty array of { name, values }');
  const bins = spec.bins ?? 40;
  if (!Number.isInteger(bins) || bins < 1) fail(where, `bins must be a positive integer, received ${String(bins)}`);
  const all = spec.series.map((s, k) => {
    if (s === null || typeof s !== 'object' || typeof s.name !== 'string') throw new TypeError(`${where}: series[${k}] must be { name: string, values }`);
    const v = checkArray(where, `series '${s.name}' values`, s.values);
    if (v.length === 0) fail(where, `series '${s.name}' is empty`);
    return v;
  });
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of all) for (let i = 0; i < v.length; i++) (lo = Math.min(lo, v[i])), (hi = Math.max(hi, v[i]));
  if (hi === lo) (lo -= 0.5), (hi += 0.5);
  const w = (hi - lo) / bins;
  const rows: Record<string, unknown>[] = [];
  spec.series.forEach((s, k) => {
    const counts = new Float64Array(bins);
    const v = all[k];
    for (let i = 0; i < v.length; i++) counts[Math.min(bins - 1, Math.floor((v[i] - lo) / w))]++;
    counts.forEach((c, b) => rows.push({ series: s.name, x: lo + b * w, x2: lo + (b + 1) * w, f: c / v.length }));
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(spec.title ? { title: spec.title } : {}),
    width,
    height,
    config,
    data: { values: rows },
    mark: { type: 'rect', opacity: 0.5, strokeWidth: 0 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: spec.xLabel, scale: { zero: false, nice: false } },
      x2: { field: 'x2' },
      y: { field: 'f', type: 'quantitative', title: spec.yLabel ?? 'fraction of values', stack: null },
      color: { field: 'series', type: 'nominal', title: null, sort: spec.series.map((s) => s.name) },
    },
  };
}
