// Tabular data from CSV (RFC 4180: quoted fields, embedded delimiters and newlines), parsed by the
// npm package `csv-parse`, loaded on first use.

import * as fs from 'node:fs';
import { createDataset, type Dataset } from './dataset';
import { pathProblem } from '../errors';
import { requireOptional } from '../optional';

export interface CsvOptions {
  /** Whether the first record names the columns (default true). */
  header?: boolean;
  /** The target column: its name (needs a header) or 0-based index; default the last column. */
  label?: string | number;
  /**
   * How to read the target column: `'class'` (default) gives Int32 class indices: non-negative
   * integers are used as they are, anything else is mapped to the index of its name in `classes`
   * (default: the distinct values, sorted); `'numeric'` gives Float32 regression targets.
   */
  labelType?: 'class' | 'numeric';
  /** Class names in index order, for `labelType: 'class'` with named labels. */
  classes?: readonly string[];
  /** Feature columns (names or indices), in the order wanted; default every column but the label. */
  features?: readonly (string | number)[];
  /** Field delimiter (default ','). */
  delimiter?: string;
}

/** A dataset read from CSV, with the names of its columns. */
export interface CsvDataset extends Dataset {
  readonly x: Float32Array;
  readonly featureNames: readonly string[];
  readonly labelName: string;
}

interface CsvRecordWithInfo {
  record: string[];
  info: { lines: number };
}

type CsvParseSync = (input: string, options: Record<string, unknown>) => CsvRecordWithInfo[];

let csvParse: CsvParseSync | null = null;

function loadCsvParse(what: string): CsvParseSync {
  if (csvParse !== null) return csvParse;
  csvParse = requireOptional<{ parse: CsvParseSync }>(what, 'csv-parse', 'csv-parse/sync').parse;
  return csvParse;
}

// A plain decimal number: no hex, no empty string, no "Infinity" (Number() accepts all of those).
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Reads a CSV file into a dataset of Float32 features (see `CsvOptions`). */
export function readCsv(file: string, options: CsvOptions = {}): CsvDataset {
  if (typeof file !== 'string') throw new TypeError(`readCsv: file must be a path string, received ${typeof file}`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw Object.assign(new Error(`readCsv(${file}): ${pathProblem(err, 'file')}`), { code: (err as NodeJS.ErrnoException).code });
  }
  return parseCsv(text, options, file);
}

/** Parses CSV text into a dataset of Float32 features; `source` names the text in errors. */
export function parseCsv(text: string, options: CsvOptions = {}, source = 'CSV'): CsvDataset {
  if (typeof text !== 'string') throw new TypeError(`parseCsv: text must be a string, received ${typeof text}`);
  const parse = loadCsvParse('parseCsv');
  const header = options.header ?? true;
  const labelType = options.labelType ?? 'class';
  if (labelType !== 'class' && labelType !== 'numeric') {
    throw new RangeError(`${source}: labelType must be 'class' or 'numeric', received ${JSON.stringify(labelType)}`);
  }
  let records: CsvRecordWithInfo[];
  try {
    records = parse(text, { info: true, bom: true, skip_empty_lines: true, delimiter: options.delimiter ?? ',' });
  } catch (err) {
    throw new RangeError(`${source}: malformed CSV: ${(err as Error).message}`);
  }
  if (records.length === 0) throw new RangeError(`${source}: no records`);
  const width = records[0].record.length;
  const names = header ? records[0].record.map((name) => name.trim()) : records[0].record.map((_, c) => `column ${c}`);
  const rows = header ? records.slice(1) : records;

  const columnIndex = (ref: string | number, role: string): number => {
    if (typeof ref === 'number') {
      if (!Number.isInteger(ref) || ref < 0 || ref >= width) {
        throw new RangeError(`${source}: ${role} column index ${ref} is outside [0, ${width})`);
      }
      return ref;
    }
    if (typeof ref !== 'string') throw new TypeError(`${source}: ${role} column must be a name or an index, received ${typeof ref}`);
    if (!header) throw new TypeError(`${source}: ${role} column ${JSON.stringify(ref)} is a name, but the file has no header; give an index`);
    const index = names.indexOf(ref);
    if (index < 0) throw new RangeError(`${source}: no column named ${JSON.stringify(ref)}; the columns are ${names.map((n) => JSON.stringify(n)).join(', ')}`);
    return index;
  };

  const labelColumn = columnIndex(options.label ?? width - 1, 'label');
  const featureColumns = options.features
    ? options.features.map((ref) => columnIndex(ref, 'feature'))
    : names.map((_, c) => c).filter((c) => c !== labelColumn);
  if (featureColumns.length === 0) throw new RangeError(`${source}: no feature columns (the only column is the label)`);
  if (featureColumns.includes(labelColumn)) throw new RangeError(`${source}: the label column ${JSON.stringify(names[labelColumn])} is also listed as a feature`);

  const n = rows.length;
  const cols = featureColumns.length;
  const x = new Float32Array(n * cols);
  const cellError = (r: number, c: number, problem: string): RangeError =>
    new RangeError(`${source}: record ${r + 1} (line ${rows[r].info.lines}), column ${JSON.stringify(names[c])}: ${problem}`);
  const numberAt = (r: number, c: number): number => {
    const cell = rows[r].record[c].trim();
    if (cell === '') throw cellError(r, c, 'empty cell, expected a number');
    const value = Number(cell);
    if (!DECIMAL.test(cell) || !Number.isFinite(value)) throw cellError(r, c, `${JSON.stringify(cell)} is not a finite decimal number`);
    return value;
  };
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < cols; j++) x[r * cols + j] = numberAt(r, featureColumns[j]);
  }

  const featureNames = featureColumns.map((c) => names[c]);
  const labelName = names[labelColumn];
  if (labelType === 'numeric') {
    const y = new Float32Array(n);
    for (let r = 0; r < n; r++) y[r] = numberAt(r, labelColumn);
    return Object.freeze({ ...createDataset({ x, y, shape: [cols], scale: 1, targetSize: 1 }, source), x, featureNames, labelName });
  }

  const labels = rows.map((row) => row.record[labelColumn].trim());
  const y = new Int32Array(n);
  let numClasses: number;
  let classNames: string[] | undefined;
  if (options.classes === undefined && labels.every((label) => /^\d+$/.test(label))) {
    numClasses = 1;
    labels.forEach((label, r) => {
      const index = Number(label);
      if (index > 0x7fffffff) throw cellError(r, labelColumn, `class index ${label} is too large`);
      y[r] = index;
      numClasses = Math.max(numClasses, index + 1);
    });
  } else {
    classNames = options.classes ? [...options.classes] : [...new Set(labels)].sort();
    if (new Set(classNames).size !== classNames.length) throw new RangeError(`${source}: classes lists a name twice`);
    const indexOf = new Map(classNames.map((name, i) => [name, i]));
    labels.forEach((label, r) => {
      const index = indexOf.get(label);
      if (index === undefined) throw cellError(r, labelColumn, `label ${JSON.stringify(label)} is not one of the classes ${JSON.stringify(classNames)}`);
      y[r] = index;
    });
    numClasses = classNames.length;
  }
  return Object.freeze({
    ...createDataset({ x, y, shape: [cols], scale: 1, numClasses, classNames }, source),
    x,
    featureNames,
    labelName,
  });
}
