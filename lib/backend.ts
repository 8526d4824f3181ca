// Backend information and process-wide settings (threads, ISA cap).
import { native } from './binding';

export interface BackendInfo {
  /** The instruction set the kernels use now: 'avx512', 'avx2', 'sse2', 'neon' or 'scalar'. */
  isa: string;
  /** The best instruction set this CPU supports. */
  detectedIsa: string;
  /** Every ISA that can be selected with setMaxIsa on this machine, lowest first. */
  supportedIsas: string[];
  /** Threads used by parallel kernels. */
  threads: number;
  /** Whether the native core was built with OpenMP. */
  openmp: boolean;
  /** Whether programs (fit, evaluate, predict) run on the process's one compute thread; false with GRADWELL_COMPUTE_THREAD=0. */
  computeThread: boolean;
  /**
   * Who runs the parallel kernels' threads: 'pool' (gradwell's own fork-join pool, the default),
   * 'openmp' (GRADWELL_THREADING=openmp) or 'serial' (a build without OpenMP with the pool switched off).
   */
  threading: 'pool' | 'openmp' | 'serial';
  arch: string;
  version: string;
}

export function backend(): BackendInfo {
  const b = native.backend();
  return {
    isa: b.isa,
    detectedIsa: b.detectedIsa,
    supportedIsas: b.supportedIsas,
    threads: b.threads,
    openmp: b.openmp,
    computeThread: b.computeThread,
    threading: b.threading,
    arch: b.arch,
    version: b.version,
  };
}

/** Sets the number of threads of parallel kernels (also GRADWELL_NUM_THREADS). */
export function setNumThreads(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`setNumThreads: n must be a positive integer, received ${String(n)}`);
  }
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.backend().threads;
}

/**
 * Caps the instruction set (also GRADWELL_MAX_ISA): 'scalar', 'sse2', 'avx2', 'avx512'
 * on x86-64, 'scalar' or 'neon' on arm64. Never raises it above what the CPU supports.
 * Returns the ISA now in use.
 */
export function setMaxIsa(isa: string): string {
  return native.setMaxIsa(isa);
}
