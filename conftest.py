"""Root conftest: one BLAS/OpenMP thread per process for every collected item, doctests in
``causalsynth/`` included (on 2 cores, oversubscribed OpenMP slows tests many times over)."""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
