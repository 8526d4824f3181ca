// Data-parallel training over MPI: `const world = distributed.init()`, then
// `model.fit(data, { batchSize, distributed: world })` (docs/distributed.md).
export { init, launcherEnv, mpiModulePath, type World, type CommStats } from './world';
export { shareOf } from './fit';
