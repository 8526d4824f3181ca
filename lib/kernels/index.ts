// Low-level kernels: each works in place on Float32Arrays and validates its
// arguments before the native call. The training API is built on these.
export * from './gemm';
export * from './activations';
export * from './dropout';
export * from './dropconnect';
export * from './norms';
export * from './losses';
export * from './optim';
export * from './conv';
