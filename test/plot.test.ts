import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { lineChartSpec, plotHistogram, plotLines, plotScatterBoundary } from '../lib/plot';
import { parsePng, parseSvg } from './helpers/images';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradwell-plot-'));
const x = [0, 1, 2, 3, 4, 5];
const spec = {
  title: 'Loss & error <curves>',
  xLabel: 'epoch',
  yLabel: 'loss',
  series: [
    { name: 'training loss', x, y: x.map((v) => 1 / (v + 1)) },
    { name: 'validation "loss"', x, y: Float32Array.from(x, (v) => 1.2 / (v + 1) + 0.05 * v) },
  ],
  marks: [{ x: 3, label: 'early stop' }],
};

describe('plotLines', () => {
  it('writes well-formed SVG naming the series, axes and marks', async () => {
    const file = path.join(tmp, 'lines.svg');
    await plotLines(spec, file);
    const svg = parseSvg(fs.readFileSync(file, 'utf8'));
    expect(svg.root).toBe('svg');
    expect(svg.width).toBeGreaterThan(400);
    expect(svg.height).toBeGreaterThan(200);
    for (const t of ['training loss', 'validation "loss"', 'epoch', 'loss', 'early stop', 'Loss & error <curves>']) expect(svg.texts).toContain(t);
  });

  it('draws series in the colours and dashes asked for', async () => {
    const file = path.join(tmp, 'styled.svg');
    await plotLines({ ...spec, series: [{ ...spec.series[0], color: '#123456', dashed: true }, { ...spec.series[1], color: '#abcdef' }] }, file);
    const text = fs.readFileSync(file, 'utf8');
    parseSvg(text);
    expect(text).toMatch(/<path[^>]*stroke="#123456"[^>]*stroke-dasharray="6,4"/);
    expect(text).toMatch(/<path[^>]*stroke="#abcdef"/);
    await expect(plotLines({ ...spec, series: [{ ...spec.series[0], color: 5 as never }] }, file)).rejects.toThrow(/color must be a CSS colour string/);
  });

  it('writes a PNG with a sane header and drawn pixels', async () => {
    const file = path.join(tmp, 'lines.png');
    await plotLines({ ...spec, logY: true }, file);
    const png = parsePng(fs.readFileSync(file));
    expect(png.width).toBeGreaterThan(600); // twice the SVG size
    expect(png.width).toBeLessThan(4000);
    expect(png.height).toBeGreaterThan(300);
    expect(png.height).toBeLessThan(png.width);
    expect(png.inkFraction).toBeGreaterThan(0.01); // not a blank canvas
    expect(png.inkFraction).toBeLessThan(0.5);
  });

  it('rejects bad input with errors that say what is wrong', async () => {
    const f = path.join(tmp, 'bad.svg');
    await expect(plotLines({ ...spec, series: [{ name: 'a', x: [1, 2, 3], y: [1, 2] }] }, f)).rejects.toThrow(/series 'a' has 3 x values but 2 y values/);
    await expect(plotLines({ ...spec, series: [] }, f)).rejects.toThrow(/series must be a non-empty array/);
    await expect(plotLines({ ...spec, series: [{ name: 'a', x: [], y: [] }] }, f)).rejects.toThrow(/series 'a' is empty/);
    await expect(plotLines({ ...spec, series: [{ name: 'a', x: [1], y: [NaN] }] }, f)).rejects.toThrow(/y\[0\] is NaN/);
    await expect(plotLines({ ...spec, logY: true, series: [{ name: 'a', x: [1, 2], y: [1, 0] }] }, f)).rejects.toThrow(/logarithmic y axis needs values > 0/);
    await expect(plotLines({ ...spec, series: [spec.series[0], spec.series[0]] }, f)).rejects.toThrow(/two series are named 'training loss'/);
    await expect(plotLines(spec, path.join(tmp, 'chart.pdf'))).rejects.toThrow(/must end in \.svg or \.png \(received '\.pdf'\)/);
    await expect(plotLines(spec, path.join(tmp, 'chart'))).rejects.toThrow(/no extension/);
    expect(fs.existsSync(f)).toBe(false);
    expect(() => lineChartSpec({ ...spec, marks: [{ x: Infinity, label: 'm' }] })).toThrow(/marks\[0\]\.x\[0\] is Infinity/);
  });
});

describe('plotScatterBoundary and plotHistogram', () => {
  it('draws decision-boundary panels', async () => {
    const nx = 8;
    const ny = 6;
    const p = Array.from({ length: nx * ny }, (_, k) => (k % nx) / (nx - 1));
    const panel = (title: string) => ({ title, grid: { x0: -1, x1: 1, y0: -2, y1: 2, nx, ny, p }, points: { x: [0, 0.5], y: [0, 1], label: [0, 1] } });
    const file = path.join(tmp, 'boundary.svg');
    await plotScatterBoundary({ title: 'boundaries', panels: [panel('L2 0.01'), panel('L2 0.1')] }, file);
    const svg = parseSvg(fs.readFileSync(file, 'utf8'));
    for (const t of ['boundaries', 'L2 0.01', 'L2 0.1', 'class 0', 'class 1']) expect(svg.texts).toContain(t);
    // One rect path per grid cell and panel, plus axes: well over 2 * nx * ny elements.
    expect(svg.elements).toBeGreaterThan(2 * nx * ny);
    await expect(plotScatterBoundary({ panels: [{ ...panel('x'), grid: { ...panel('x').grid, p: [1, 2] } }] }, file)).rejects.toThrow(/grid\.p has 2 values; expected nx \* ny = 48/);
    await expect(plotScatterBoundary({ panels: [{ ...panel('x'), points: { x: [0], y: [0, 1], label: [0] } }] }, file)).rejects.toThrow(/points has 1 x, 2 y and 1 labels/);
    await expect(plotScatterBoundary({ panels: [] }, file)).rejects.toThrow(/panels must be a non-empty array/);
  });

  it('draws overlaid histograms to PNG', async () => {
    const file = path.join(tmp, 'hist.png');
    const a = Array.from({ length: 500 }, (_, i) => Math.sin(i) * 2);
    await plotHistogram({ title: 'h', xLabel: 'value', series: [{ name: 'a', values: a }, { name: 'b', values: a.map((v) => v + 1) }], bins: 20 }, file);
    const png = parsePng(fs.readFileSync(file));
    expect(png.width).toBeGreaterThan(600);
    expect(png.inkFraction).toBeGreaterThan(0.05);
    await expect(plotHistogram({ xLabel: 'v', series: [{ name: 'a', values: [] }] }, file)).rejects.toThrow(/series 'a' is empty/);
    await expect(plotHistogram({ xLabel: 'v', series: [{ name: 'a', values: [1] }], bins: 0 }, file)).rejects.toThrow(/bins must be a positive integer/);
  });
});

describe('the test helpers catch broken files', () => {
  it('parseSvg and parsePng reject malformed input', () => {
    expect(() => parseSvg('<svg width="1" height="1"><g></svg>')).toThrow(/closes <g>/);
    expect(() => parseSvg('<svg><text>a & b</text></svg>')).toThrow();
    expect(() => parseSvg('<html></html>')).toThrow(/must start with <svg/);
    const png = fs.readFileSync(path.join(tmp, 'lines.png'));
    const broken = Uint8Array.from(png);
    broken[20] ^= 1; // inside IHDR: the CRC no longer matches
    expect(() => parsePng(broken)).toThrow(/bad CRC in chunk IHDR/);
    expect(() => parsePng(Uint8Array.from([1, 2, 3]))).toThrow(/signature/);
  });
});
