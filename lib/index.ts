// gradwell: the public API.
export { backend, setNumThreads, getNumThreads, setMaxIsa } from './backend';
export type { BackendInfo } from './backend';
export { Tensor, shapeSize, formatShape } from './tensor';
export type { Shape } from './tensor';
export * as kernels from './kernels';
