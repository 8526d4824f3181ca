#!/bin/sh
# Cross-compiles the gemm driver + NEON kernels for arm64 and runs
# bench/gemm-arm64-check.cpp under qemu-aarch64.
# Needs: apt-get install g++-aarch64-linux-gnu qemu-user
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
out=${TMPDIR:-/tmp}/gradwell-gemm-arm64
mkdir -p "$out"
cxx=aarch64-linux-gnu-g++
flags="-std=c++17 -O3 -Wall -Wextra -Wno-unused-parameter -fopenmp -DGW_HAVE_OPENMP=1 -DGW_ARCH_ARM64=1 -I$root/native"
for f in kernels/gemm_neon kernels/gemm kernels/gemm_scalar core/isa core/threads; do
  $cxx $flags -c "$root/native/$f.cpp" -o "$out/$(basename $f).o"
done
$cxx $flags "$root/bench/gemm-arm64-check.cpp" "$out"/*.o -o "$out/gemm-arm64-check"
qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/gemm-arm64-check"
