import os

# One compute thread per process: web and worker run several processes on few cores, and OpenMP (XGBoost,
# scikit-learn) and the BLAS libraries would otherwise each start one thread per core in every one of them.
# Set before NumPy or XGBoost is imported; an operator's own value wins (docs/operations.md).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(_variable, os.environ.get("SCORING_THREADS", "1"))

# Load the Celery app whenever Django starts so that @shared_task binds to it.
from .celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
