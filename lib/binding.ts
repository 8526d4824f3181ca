// Loads the native addon (a prebuilt binary from prebuilds/ or a local build)
// and types its raw surface. The public API wraps this; users never see it.
import * as fs from 'fs';
import * as path from 'path';
import type { NativeOps, ProgramStep, Step } from './ops';

export type { ProgramStep } from './ops';

export interface NativeBackendInfo {
  isa: string;
  detectedIsa: string;
  supportedIsas: string[];
  threads: number;
  defaultThreads: number;
  openmp: boolean;
  /** Whether programs run on the process's one compute thread (false with GRADWELL_COMPUTE_THREAD=0). */
  computeThread: boolean;
  threading: 'pool' | 'openmp' | 'serial';
  arch: string;
  version: string;
}

export interface NativeCompiledProgram {
  run(): Promise<void>;
  runSync(): void;
  /**
   * Runs the program `count` times in one native call, writing the run's number (0..count-1) to
   * cursor[0] before each (the cursor given when compiling); on an error cursor[0] is the failed run.
   */
  runChunk(count: number): Promise<void>;
  readonly busy: boolean;
  readonly length: number;
}

export interface NativeBinding {
  backend(): NativeBackendInfo;
  setNumThreads(n: number): number;
  setMaxIsa(isa: string): string;
  runAsync(program: readonly ProgramStep[]): Promise<void>;
  /** `cursor`: the Int32Array runChunk counts in (the stage_in/stage_out steps' cursor). */
  CompiledProgram: new (program: readonly ProgramStep[], cursor?: Int32Array) => NativeCompiledProgram;
  /** Every op as a synchronous function, typed from lib/ops.ts. */
  ops: NativeOps;
  /** The kind lists of native/kernels/kinds.inc (see lib/kinds.ts). */
  kinds(): NativeKinds;
  /** Hands the MPI module's collectives table (a tagged External) to the dist ops; null detaches. */
  attachCollectives(collectives: unknown): { rank: number; size: number } | undefined;
  /** Test hook (test/pool.test.ts): how many threads ran a `team`-item parallel_team whose item 0 waits for another thread; item `throwAt` throws. */
  poolProbe(team: number, throwAt: number): number;
}

export interface NativeKinds {
  families: string[];
  activations: string[];
  losses: string[];
  /** The slots of optim_step's hyper-parameter vector, in order. */
  optimHyperSlots: string[];
  /** Per optimizer kind: what hp slots a, b, c hold ('' = unused) and when s1, s2, s3 are needed. */
  optimizers: { name: string; hyper: string[]; states: string[] }[];
}


const packageRoot = path.resolve(__dirname, '..');

export interface LoadBindingOptions {
  /** Receives the warning when the serial fallback is used (default: process.emitWarning). */
  warn?: (message: string) => void;
}

/** The platform tuple prebuilds/ is organised by, e.g. "linux-x64". */
function platformTuple(): string {
  return `${process.platform}-${process.arch}`;
}

/** The prebuilt platforms this package holds (directory names under prebuilds/). */
function prebuiltPlatforms(root: string): string[] {
  try {
    return fs
      .readdirSync(path.join(root, 'prebuilds'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** True when dlopen failed because the OpenMP runtime (libgomp) is not installed. */
function isMissingOpenMpRuntime(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /libgomp[^:\s]*: cannot open shared object file/.test(message);
}

/**
 * Loads the native addon of the package at `root`: a local build (build/Release),
 * else the prebuilt binary for this platform (prebuilds/<platform>-<arch>). When that
 * binary cannot load because the OpenMP runtime is missing, loads the serial build
 * next to it (prebuilds/<platform>-<arch>/serial/gradwell.node) with a warning.
 * Throws an Error naming the platform, the Node version and what to do otherwise.
 */
export function loadBinding(root: string, options: LoadBindingOptions = {}): NativeBinding {
  // node-gyp-build looks in build/Release, build/Debug, then prebuilds/<platform>-<arch>.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
  try {
    return nodeGypBuild(root) as NativeBinding;
  } catch (err) {
    const serial = path.join(root, 'prebuilds', platformTuple(), 'serial', 'gradwell.node');
    if (isMissingOpenMpRuntime(err) && fs.existsSync(serial)) {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const binding = require(serial) as NativeBinding;
      binding.setNumThreads(1);
      const warn = options.warn ?? ((m: string) => process.emitWarning(m, 'GradwellWarning'));
      warn(
        'gradwell: the OpenMP runtime (libgomp.so.1) is not installed, so kernels run on a single thread. ' +
          "Install it for parallel kernels ('apt-get install libgomp1', 'dnf install libgomp', 'apk add libgomp').",
      );
      return binding;
    }
    const reason = err instanceof Error ? err.message.trim() : String(err);
    const libc = process.platform === 'linux' ? `, ${isMusl() ? 'musl' : 'glibc'}` : '';
    const where = `${platformTuple()}${libc} (Node ${process.version}, N-API ${process.versions.napi})`;
    const shipped = prebuiltPlatforms(root);
    throw new Error(
      `gradwell: no native binary for ${where}.\n` +
        `  Looked in ${path.join(root, 'build', 'Release')} and ${path.join(root, 'prebuilds', platformTuple())}.\n` +
        `  This package has prebuilt binaries for: ${shipped.length > 0 ? shipped.join(', ') : 'none'}.\n` +
        `  Possible solutions:\n` +
        `  - use a platform with a prebuilt binary (see the README's Install section);\n` +
        `  - build from source: install a C++17 compiler, python3 and make, then run 'npm rebuild gradwell';\n` +
        `  - for a source checkout, run 'npm run build'.\n` +
        `  Cause: ${reason}`,
    );
  }
}

function isMusl(): boolean {
  // glibc's Node reports its version in the process report header; musl's does not.
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return !report?.header?.glibcVersionRuntime;
}

/** An explicit addon file (GRADWELL_NATIVE_PATH: the sanitizer build of scripts/test-asan.mjs) wins. */
function loadOverride(file: string): NativeBinding {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require(path.resolve(file)) as NativeBinding;
}

/**
 * libgomp reads its wait policy once, when it loads with the addon. Its default spins a helper
 * thread for milliseconds after every parallel region; with every program on the one compute
 * thread (native/binding/compute_thread.h) that spinning helper takes the core the event loop
 * (or another process) needs between steps, which cost 1.5-15x on the 2-core test machine, where
 * OMP_WAIT_POLICY=PASSIVE was the fastest. So it is PASSIVE unless the environment chose
 * (OMP_WAIT_POLICY or GOMP_SPINCOUNT set); the variable is removed again after loading so that
 * child processes do not inherit it. No effect when libgomp was already loaded in this process.
 */
export function withOmpWaitDefault<T>(load: () => T, env: NodeJS.ProcessEnv = process.env): T {
  const chosen = env.OMP_WAIT_POLICY !== undefined || env.GOMP_SPINCOUNT !== undefined;
  if (!chosen) env.OMP_WAIT_POLICY = 'PASSIVE';
  try {
    return load();
  } finally {
    if (!chosen) delete env.OMP_WAIT_POLICY;
  }
}

export const native: NativeBinding = withOmpWaitDefault(() =>
  process.env.GRADWELL_NATIVE_PATH ? loadOverride(process.env.GRADWELL_NATIVE_PATH) : loadBinding(packageRoot),
);

/** The GRADWELL_MAX_ISA names the native core accepts on `arch` (native/core/isa.cpp parse_isa). */
export function acceptedIsaNames(arch: string = process.arch): string[] {
  return arch === 'arm64' ? ['scalar', 'baseline', 'neon'] : ['scalar', 'baseline', 'sse2', 'avx2', 'avx512'];
}

/**
 * Warnings for environment variables the native core would ignore (it falls back to its default
 * silently): each names the variable, the value and the accepted values.
 */
export function envWarnings(env: NodeJS.ProcessEnv = process.env, arch: string = process.arch): string[] {
  const out: string[] = [];
  const isa = env.GRADWELL_MAX_ISA;
  if (isa !== undefined && isa !== '' && !acceptedIsaNames(arch).includes(isa)) {
    out.push(
      `gradwell: GRADWELL_MAX_ISA=${JSON.stringify(isa)} is not an instruction set name and is ignored (no cap); ` +
        `accepted on ${arch}: ${acceptedIsaNames(arch).join(', ')}`,
    );
  }
  const threads = env.GRADWELL_NUM_THREADS;
  if (threads !== undefined) {
    // As native/core/threads.cpp reads it: a decimal integer (strtol), 1 to 1024.
    const ok = /^\s*[+-]?\d+$/.test(threads) && Number(threads) >= 1 && Number(threads) <= 1024;
    if (!ok) {
      out.push(
        `gradwell: GRADWELL_NUM_THREADS=${JSON.stringify(threads)} is ignored (using the machine's cores); ` +
          'accepted: an integer from 1 to 1024',
      );
    }
  }
  // As native/core/pool.cpp reads them.
  const threading = env.GRADWELL_THREADING;
  if (threading !== undefined && threading !== 'pool' && threading !== 'openmp') {
    out.push(`gradwell: GRADWELL_THREADING=${JSON.stringify(threading)} is ignored (using the pool); accepted: pool, openmp`);
  }
  const spin = env.GRADWELL_SPIN_US;
  if (spin !== undefined && !(/^\s*[+-]?\d+$/.test(spin) && Number(spin) >= 0 && Number(spin) <= 100000)) {
    out.push(`gradwell: GRADWELL_SPIN_US=${JSON.stringify(spin)} is ignored (using 10); accepted: an integer from 0 to 100000 (microseconds)`);
  }
  return out;
}

for (const message of envWarnings()) process.emitWarning(message, 'GradwellWarning');

/** Runs one step at once on the calling thread (the public `kernels` wrappers use this). */
export function runStep<K extends Step>(step: K): void {
  const [name, ...args] = step;
  (native.ops[name] as (...a: unknown[]) => void)(...args);
}
