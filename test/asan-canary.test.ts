// The sanitizer canary. Under `npm run test:asan` (GRADWELL_NATIVE_PATH names the
// ASan/UBSan addon, which exports asanCanary) a deliberate heap overflow in a
// child process must be reported by ASan; in the normal build the canary must
// not exist at all.
import { spawnSync } from 'child_process';
import { describe, expect, it } from 'vitest';
import { native } from '../lib/binding';

const sanitized = Boolean(process.env.GRADWELL_NATIVE_PATH && process.env.LD_PRELOAD?.includes('libasan'));

describe('sanitizer canary', () => {
  it(sanitized ? 'ASan reports a deliberate out-of-bounds write in the addon' : 'the normal build carries no canary', () => {
    const canary = (native as unknown as { asanCanary?: (i: number) => number }).asanCanary;
    if (!sanitized) {
      expect(canary).toBeUndefined();
      return;
    }
    expect(typeof canary).toBe('function');
    const run = (i: number) =>
      spawnSync(process.execPath, ['-e', `require(${JSON.stringify(process.env.GRADWELL_NATIVE_PATH)}).asanCanary(${i})`], {
        env: process.env,
        encoding: 'utf8',
      });
    const inBounds = run(15);
    expect(inBounds.status, inBounds.stderr).toBe(0);
    const outOfBounds = run(16);
    expect(outOfBounds.status).not.toBe(0);
    expect(outOfBounds.stderr).toMatch(/AddressSanitizer: heap-buffer-overflow/);
    expect(outOfBounds.stderr).toMatch(/AsanCanary/);
  });
});
