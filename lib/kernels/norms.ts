// norms kernels: typed wrappers over the native ops (see native/binding/*_ops.cpp).
export {};
