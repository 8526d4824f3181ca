#!/bin/sh
# Builds and runs bench/gemm-compare.cpp (gradwell's gemm from source vs OpenBLAS).
# usage: bench/gemm-compare.sh [THREADS] [CALLS] [M,N,K,TA,TB ...]
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
out=${TMPDIR:-/tmp}/gradwell-gemm-compare
mkdir -p "$out"
ob=/usr/lib/x86_64-linux-gnu/openblas-openmp
inc=/usr/include/x86_64-linux-gnu/openblas-openmp
flags="-O3 -std=c++17 -fopenmp -DGW_HAVE_OPENMP=1 -DGW_ARCH_X86=1 -I$root/native"
for f in core/isa core/threads kernels/gemm kernels/gemm_scalar; do
  c++ $flags -c "$root/native/$f.cpp" -o "$out/$(basename $f).o" &
done
c++ $flags -c "$root/native/kernels/gemm_sse2.cpp" -o "$out/gemm_sse2.o" &
c++ $flags -mavx2 -mfma -c "$root/native/kernels/gemm_avx2.cpp" -o "$out/gemm_avx2.o" &
c++ $flags -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx2 -mfma -c "$root/native/kernels/gemm_avx512.cpp" -o "$out/gemm_avx512.o" &
c++ $flags -I$inc -c "$root/bench/gemm-compare.cpp" -o "$out/compare.o" &
wait
c++ -fopenmp "$out"/*.o -L$ob -lopenblas -Wl,-rpath,$ob -o "$out/gemm-compare"
threads=${1:-1}; calls=${2:-20}
shift 2 2>/dev/null || shift $#
[ $# -gt 0 ] || set -- 128,2048,784,0,0 128,2048,2048,0,0 128,10,2048,0,0 784,2048,128,1,0 128,784,2048,0,1 1024,1024,1024,0,0
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$out/gemm-compare" "$threads" "$calls" "$@"
