import { describe, expect, it } from 'vitest';
import { backend, getNumThreads, setMaxIsa, setNumThreads } from '../lib';

describe('backend', () => {
  it('reports the ISA, threads, OpenMP and version', () => {
    const b = backend();
    expect(b.supportedIsas[0]).toBe('scalar');
    expect(b.supportedIsas).toContain(b.isa);
    expect(b.threads).toBeGreaterThanOrEqual(1);
    expect(typeof b.openmp).toBe('boolean');
    expect(b.version).toBe(require('../package.json').version);
  });

  it('caps the ISA and restores it', () => {
    const b = backend();
    expect(setMaxIsa('scalar')).toBe('scalar');
    expect(backend().isa).toBe('scalar');
    expect(setMaxIsa(b.detectedIsa)).toBe(b.detectedIsa);
    expect(() => setMaxIsa('mmx')).toThrow(RangeError);
    expect(() => setMaxIsa('mmx')).toThrow(/unknown ISA 'mmx'/);
  });

  it('sets the thread count and rejects bad counts', () => {
    const before = getNumThreads();
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    setNumThreads(before);
    expect(getNumThreads()).toBe(before);
    expect(() => setNumThreads(0)).toThrow(RangeError);
    expect(() => setNumThreads(1.5)).toThrow(/positive integer/);
  });
});
