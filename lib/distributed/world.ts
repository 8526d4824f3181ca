// distributed.init(): the MPI world of a data-parallel run. Under an MPI
// launcher (mpirun, srun, mpiexec) it loads the MPI module (native/mpi, built
// from source against the system's MPI by `npm run build:mpi`, so the prebuilt
// binaries never link libmpi), initializes MPI on the module's communication
// thread and hands its collectives table to the main addon: the gradient
// allreduce then runs inside the training program on the native worker, no
// gradient bytes through JavaScript. Outside a launcher it returns a world of
// size 1 and loads nothing, so `fit({ distributed: world })` runs as without it.
import * as fs from 'fs';
import * as path from 'path';
import { native } from '../binding';
import { op } from '../ops';

export interface World {
  /** This process's rank, 0 .. size-1. */
  readonly rank: number;
  /** Number of processes training together. */
  readonly size: number;
  /** True when MPI is initialized (under a launcher); false for the size-1 world outside one. */
  readonly mpi: boolean;
  /** Sum over every rank, in place (f64; off the event loop). */
  allreduce(values: Float64Array): Promise<void>;
  /** Every buffer takes rank `root`'s values (default 0). */
  broadcast(buffers: Float32Array[], root?: number): Promise<void>;
  /** Ends MPI (also done at process exit). After a failed collective it aborts the job instead. */
  finalize(): void;
  /**
   * Collectives run, bytes summed or sent, seconds the communication thread spent
   * inside MPI and seconds training programs spent blocked waiting for it, since
   * init or the last `stats(true)` (which resets them). Zeros for the size-1 world.
   */
  stats(reset?: boolean): CommStats;
}

export interface CommStats {
  collectives: number;
  bytes: number;
  mpiSeconds: number;
  waitSeconds: number;
}

interface MpiModule {
  init(): { rank: number; size: number; threadLevel: string; timeout: number; collectives: unknown };
  finalize(): void;
  abort(code?: number): never;
  broken(): string | null;
  stats(reset?: boolean): CommStats;
  libraryVersion(): string;
}

/** The launcher's rank and size when this process runs under one (Open MPI, MPICH/Hydra, PMIx, Slurm). */
export function launcherEnv(env: NodeJS.ProcessEnv = process.env): { rank: number; size: number; launcher: string } | null {
  const pairs: [string, string, string][] = [
    ['OMPI_COMM_WORLD_RANK', 'OMPI_COMM_WORLD_SIZE', 'Open MPI'],
    ['PMIX_RANK', 'PMIX_SIZE', 'PMIx'],
    ['PMI_RANK', 'PMI_SIZE', 'MPICH/Hydra'],
    ['MPI_LOCALRANKID', 'MPI_LOCALNRANKS', 'MPICH'],
  ];
  for (const [r, s, launcher] of pairs) {
    if (env[r] !== undefined) return { rank: Number(env[r]), size: Number(env[s] ?? NaN), launcher };
  }
  return null;
}

const packageRoot = path.resolve(__dirname, '..', '..');

/** Where `npm run build:mpi` puts the MPI module (GRADWELL_MPI_MODULE overrides). */
export function mpiModulePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.GRADWELL_MPI_MODULE ? path.resolve(env.GRADWELL_MPI_MODULE) : path.join(packageRoot, 'native', 'mpi', 'build', 'Release', 'gradwell_mpi.node');
}

function loadMpiModule(file: string, launcher: string): MpiModule {
  const fix =
    'install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev; Fedora/RHEL: dnf install openmpi-devel) ' +
    `and run 'npm run build:mpi' in ${packageRoot} (it builds the MPI module from source against the system's MPI)`;
  if (!fs.existsSync(file)) {
    throw new Error(`gradwell: distributed.init() runs under an MPI launcher (${launcher}) but the MPI module is not built (no ${file}): ${fix}`);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require(file) as MpiModule;
  } catch (e) {
    throw new Error(`gradwell: the MPI module ${file} does not load (${(e as Error).message.trim()}): ${fix}`);
  }
}

class SoloWorld implements World {
  readonly rank = 0;
  readonly size = 1;
  readonly mpi = false;
  async allreduce(_values: Float64Array): Promise<void> {}
  async broadcast(_buffers: Float32Array[], _root?: number): Promise<void> {}
  finalize(): void {}
  stats(): CommStats {
    return { collectives: 0, bytes: 0, mpiSeconds: 0, waitSeconds: 0 };
  }
}

class MpiWorld implements World {
  readonly mpi = true;
  private done = false;
  constructor(
    private readonly mod: MpiModule,
    readonly rank: number,
    readonly size: number,
  ) {}

  async allreduce(values: Float64Array): Promise<void> {
    if (this.size > 1) await native.runAsync([op.allreduce_f64(values, values.length)]);
  }

  async broadcast(buffers: Float32Array[], root = 0): Promise<void> {
    if (this.size > 1 && buffers.length > 0) await native.runAsync([op.broadcast_f32(buffers, root)]);
  }

  stats(reset = false): CommStats {
    return this.mod.stats(reset);
  }

  /** The first error of a failed or timed-out collective, or null. */
  broken(): string | null {
    return this.mod.broken();
  }

  finalize(): void {
    if (this.done) return;
    this.done = true;
    native.attachCollectives(null);
    this.mod.finalize(); // aborts the job (MPI_Abort) when a collective failed: peers may be stuck
  }
}

let current: World | null = null;

/**
 * The world of this process: under an MPI launcher, MPI initialized (rank, size
 * from MPI_COMM_WORLD); outside one, rank 0 of 1. Called again, returns the same world.
 */
export function init(): World {
  if (current) return current;
  const env = launcherEnv();
  if (!env) {
    current = new SoloWorld();
    return current;
  }
  const mod = loadMpiModule(mpiModulePath(), env.launcher);
  const info = mod.init();
  native.attachCollectives(info.collectives);
  const world = new MpiWorld(mod, info.rank, info.size);
  process.on('exit', () => world.finalize());
  current = world;
  return world;
}
