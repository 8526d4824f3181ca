// Loads the native addon (a prebuilt binary from prebuilds/ or a local build)
// and types its raw surface. The public API wraps this; users never see it.
import * as path from 'path';

/** One step of a native program: the op's name followed by its arguments. */
export type ProgramStep = readonly [string, ...unknown[]];

export interface NativeBackendInfo {
  isa: string;
  detectedIsa: string;
  supportedIsas: string[];
  threads: number;
  defaultThreads: number;
  openmp: boolean;
  arch: string;
  version: string;
}

export interface NativeCompiledProgram {
  run(): Promise<void>;
  runSync(): void;
  readonly busy: boolean;
  readonly length: number;
}

export interface NativeBinding {
  backend(): NativeBackendInfo;
  setNumThreads(n: number): number;
  setMaxIsa(isa: string): string;
  runAsync(program: readonly ProgramStep[]): Promise<void>;
  CompiledProgram: new (program: readonly ProgramStep[]) => NativeCompiledProgram;
  ops: Record<string, (...args: unknown[]) => void>;
}

const packageRoot = path.resolve(__dirname, '..');

function load(): NativeBinding {
  // An explicit addon file (the sanitizer build of scripts/test-asan.mjs) wins.
  const override = process.env.GRADWELL_NATIVE_PATH;
  if (override) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require(path.resolve(override)) as NativeBinding;
  }
  // node-gyp-build looks in build/Release, build/Debug, then prebuilds/<platform>-<arch>.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
  try {
    return nodeGypBuild(packageRoot) as NativeBinding;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const where = `${process.platform}-${process.arch} (Node ${process.version}, N-API ${process.versions.napi})`;
    throw new Error(
      `gradwell: no native binary for ${where}.\n` +
        `  Looked in ${path.join(packageRoot, 'build')} and ${path.join(packageRoot, 'prebuilds')}.\n` +
        `  Possible solutions:\n` +
        `  - check that your platform is one with a prebuilt binary (see the README's Install section);\n` +
        `  - build from source: install a C++17 compiler, python3 and make, then run 'npm rebuild gradwell';\n` +
        `  - for a source checkout, run 'npm run build'.\n` +
        `  Cause: ${reason}`,
    );
  }
}

export const native: NativeBinding = load();
