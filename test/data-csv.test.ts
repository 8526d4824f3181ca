import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv, readCsv } from '../lib/data';

// Needs the npm package csv-parse (a dependency of gradwell): parseCsv fails with a message naming it otherwise.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-csv-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const iris = [
  'sepal length,sepal width,species',
  '5.1,3.5,setosa',
  '7.0,3.2,versicolor',
  '6.3,3.3,virginica',
  '4.9,3.0,setosa',
  '',
].join('\n');

describe('CSV', () => {
  it('reads a file with a header and named class labels (last column by default)', () => {
    const file = path.join(tmp, 'iris.csv');
    fs.writeFileSync(file, iris);
    const ds = readCsv(file);
    expect(ds.n).toBe(4);
    expect(ds.shape).toEqual([2]);
    expect(ds.featureNames).toEqual(['sepal length', 'sepal width']);
    expect(ds.labelName).toBe('species');
    expect(Array.from(ds.x)).toEqual(Array.from(Float32Array.from([5.1, 3.5, 7.0, 3.2, 6.3, 3.3, 4.9, 3.0])));
    expect(ds.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(Array.from(ds.y)).toEqual([0, 1, 2, 0]);
    expect(ds.numClasses).toBe(3);
    expect(ds.scale).toBe(1);
  });

  it('handles quoted fields, embedded delimiters and newlines, a BOM and CRLF', () => {
    const text = '\ufeff"name, full",x,"label"\r\n"a ""quoted""\nname",1.5,1\r\nplain,-2e-3,0\r\n';
    const ds = parseCsv(text, { label: 'label', features: ['x'] });
    expect(Array.from(ds.x)).toEqual([1.5, Math.fround(-2e-3)]);
    expect(Array.from(ds.y)).toEqual([1, 0]); // integer labels are used as class indices
    expect(ds.numClasses).toBe(2);
    expect(ds.featureNames).toEqual(['x']);
  });

  it('selects the label by index, without a header, and reads numeric targets', () => {
    const ds = parseCsv('1,2,0.5\n3,4,-1.25\n', { header: false, label: 2, labelType: 'numeric' });
    expect(ds.y).toBeInstanceOf(Float32Array);
    expect(Array.from(ds.y)).toEqual([0.5, -1.25]);
    expect(ds.targetSize).toBe(1);
    expect(ds.featureNames).toEqual(['column 0', 'column 1']);
    const first = parseCsv('9,1,2\n8,3,4\n', { header: false, label: 0, delimiter: ',' });
    expect(Array.from(first.y)).toEqual([9, 8]);
    expect(first.numClasses).toBe(10);
    expect(Array.from(first.x)).toEqual([1, 2, 3, 4]);
    const semicolons = parseCsv('a;b\n1;x\n2;y\n', { delimiter: ';', classes: ['y', 'x'] });
    expect(Array.from(semicolons.y)).toEqual([1, 0]);
  });

  it('names the record, line and column of a non-numeric or empty cell', () => {
    expect(() => parseCsv('a,b,c\n1,2,0\n3,abc,1\n', {}, 'data.csv')).toThrow('data.csv: record 2 (line 3), column "b": "abc" is not a finite decimal number');
    expect(() => parseCsv('a,b,c\n1,,0\n', {}, 'data.csv')).toThrow('data.csv: record 1 (line 2), column "b": empty cell, expected a number');
    expect(() => parseCsv('a,b,c\n0x10,1,0\n')).toThrow(/column "a": "0x10" is not a finite decimal number/);
    expect(() => parseCsv('a,b,c\nInfinity,1,0\n')).toThrow(/column "a": "Infinity" is not a finite decimal number/);
    expect(() => parseCsv('a,b\n1,2\n1,oops\n', { labelType: 'numeric' })).toThrow(/record 2 \(line 3\), column "b"/);
  });

  it('rejects malformed CSV, unknown columns and unknown classes clearly', () => {
    expect(() => parseCsv('a,b\n1,2,3\n', {}, 'x.csv')).toThrow(/^x\.csv: malformed CSV: .*expect 2, got 3 on line 2/);
    expect(() => parseCsv('a,b\n"1,2\n', {}, 'x.csv')).toThrow(/^x\.csv: malformed CSV: Quote Not Closed/);
    expect(() => parseCsv('a,b\n1,2\n', { label: 'c' }, 'x.csv')).toThrow('x.csv: no column named "c"; the columns are "a", "b"');
    expect(() => parseCsv('1,2\n', { header: false, label: 'b' }, 'x.csv')).toThrow(/is a name, but the file has no header/);
    expect(() => parseCsv('a,b\n1,cat\n', { classes: ['dog'] }, 'x.csv')).toThrow('x.csv: record 1 (line 2), column "b": label "cat" is not one of the classes ["dog"]');
    expect(() => parseCsv('', {}, 'x.csv')).toThrow('x.csv: no records');
    expect(() => readCsv(path.join(tmp, 'absent.csv'))).toThrow(`readCsv(${path.join(tmp, 'absent.csv')}): the file does not exist`);
    expect(() => readCsv(tmp)).toThrow(`readCsv(${tmp}): is a directory, not a file`);
  });
});
