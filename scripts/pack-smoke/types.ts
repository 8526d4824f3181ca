// Type-checked (tsc --noEmit) against the installed package's .d.ts.
import { backend, setNumThreads, kernels, type BackendInfo } from 'gradwell';

const info: BackendInfo = backend();
const isa: string = info.isa;
const openmp: boolean = info.openmp;
setNumThreads(2);
void kernels;
// The declarations are real (not `any`): these misuses must be errors.
// @ts-expect-error isa is a string
const wrong: number = info.isa;
// @ts-expect-error setNumThreads takes a number
setNumThreads('2');
export { isa, openmp, wrong };
