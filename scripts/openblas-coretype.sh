#!/usr/bin/env bash
# Prints the OpenBLAS kernel set for this CPU (empty when OpenBLAS's own detection is
# fine). Debian's OpenBLAS 0.3.21 misdetects recent CPUs and falls back to slow kernels;
# it reads OPENBLAS_CORETYPE only at load time, so it must be in the environment before
# a process starts. The `annotator` binary does the same detection itself.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { [[ " $flags " == *" $1 "* ]]; }
if has avx512f && has avx512bw && has avx512vl && has avx512dq && has avx512cd; then
    echo SkylakeX
elif has avx2 && has fma; then
    echo Haswell
fi
