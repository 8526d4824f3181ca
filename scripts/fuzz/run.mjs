// Runs fuzz calls [0, calls) of a seed in child processes of `chunk` calls
// each, `jobs` at a time. A child that dies by a signal or a non-zero exit is
// a crash at its last announced call; one silent for `hangMs` is a hang (killed).
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.mjs');

function runChunk(seed, start, count, hangMs, env) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [child, String(seed), String(start), String(count)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let last = start - 1;
    let done = false;
    const failures = [];
    let stderr = '';
    let buf = '';
    let timer;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        failures.push({ seed, call: last, problem: `hang: no progress for ${hangMs} ms at call ${last}` });
        p.kill('SIGKILL');
      }, hangMs);
    };
    arm();
    p.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('call ')) {
          last = Number(line.slice(5));
          arm();
        } else if (line.startsWith('fail ')) {
          const sp = line.indexOf(' ', 5);
          failures.push({ seed, call: Number(line.slice(5, sp)), ...JSON.parse(line.slice(sp + 1)) });
        } else if (line.startsWith('done ')) done = true;
      }
    });
    p.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      if (!done && !failures.some((f) => f.problem.startsWith('hang'))) {
        failures.push({ seed, call: last, problem: `crash: child exited with ${signal ?? code} during call ${last}`, stderr });
      }
      // Calls after a crash in this chunk did not run: count only those that did.
      resolve({ ran: done ? count : Math.max(0, last - start + 1), failures });
    });
  });
}

/**
 * Fuzzes `calls` calls of `seed`; resolves to { ran, failures }. `only` runs one call.
 */
export async function runFuzz({ seed = 1, calls = 2000, chunk = 500, jobs = 2, hangMs = 30000, only, env = process.env, onChunk } = {}) {
  const chunks = [];
  if (only !== undefined) chunks.push([only, 1]);
  else for (let s = 0; s < calls; s += chunk) chunks.push([s, Math.min(chunk, calls - s)]);
  let ran = 0;
  const failures = [];
  let next = 0;
  async function worker() {
    while (next < chunks.length) {
      const [start, count] = chunks[next++];
      const r = await runChunk(seed, start, count, hangMs, env);
      ran += r.ran;
      failures.push(...r.failures);
      onChunk?.({ start, count, ran, failures: failures.length });
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, chunks.length) }, worker));
  return { ran, failures };
}
