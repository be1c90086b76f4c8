"""gunicorn settings: `gunicorn -c config/gunicorn.py config.wsgi`. Every value can be set from the environment.

The master loads the whole application before it forks (on_starting -> config.warmup), so a worker, new or
recycled, starts warm: no import of Django, scikit-learn or XGBoost and no model load on a request's time.

Metrics from several worker processes: each process writes its samples to PROMETHEUS_MULTIPROC_DIR and /metrics
merges them (core.metrics). The directory is emptied when the master starts, and a dead worker's live gauges
are dropped, so a restart never double-counts.
"""

import os
import shutil
from pathlib import Path

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# gthread: a request waiting for a result (Prefer: wait, screening.waiting) holds a thread, not a core.
# config.settings lets at most threads - 2 of them wait, so each process keeps threads for other requests.
threads = int(os.environ.get("GUNICORN_THREADS", "12"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle a worker now and then so a slow leak cannot grow for ever: rarely, because it is a guard against memory
# growth, not a cure (a warm fork costs little, but three recycling together stall the site); the wide jitter
# keeps them from restarting within seconds of each other.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 4
# Heartbeat files on tmpfs where there is one (in the container /dev/shm); a slow disk must not look like a hang.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108
# core.middleware logs one structured line per request, with its id; gunicorn's access log would repeat it.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 27's control socket lives in $HOME by default: read-only in the image, and shared by every gunicorn
# of one user on a machine. Off; signals (HUP, TTIN/TTOU) still work.
control_socket_disable = True
# gunicorn's own lines (worker boots, timeouts) in the same format as the app's: JSON where production logs JSON.
_production = os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith("production")
if os.environ.get("LOG_FORMAT", "json" if _production else "readable") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"generic": {"()": "core.logging.JsonFormatter"}},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["error_console"], "propagate": False},
            # Silent unless asked for: core.middleware already logs each request, with its id.
            "gunicorn.access": {
                "level": "INFO" if accesslog else "WARNING",
                "handlers": ["console"],
                "propagate": False,
            },
        },
    }


class _Logger(Logger):
    """gunicorn's logger, writing the access log only when GUNICORN_ACCESS_LOG asks for it.

    With logconfig_dict (JSON in production) gunicorn formats each request's access atoms even though the access
    logger discards them; `access` (the logger's public entry for a finished request) skips that here.
    """

    def access(self, resp, req, environ, request_time) -> None:
        if self.cfg.accesslog:
            super().access(resp, req, environ, request_time)


logger_class = _Logger


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        # Samples of a previous run would be merged into this one's; the master has written none yet.
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)
    # After the metrics directory exists (importing the app creates metric files), before any worker forks:
    # workers then find config.wsgi, every view and the active models already in memory.
    import config.wsgi  # noqa: F401
    from config.warmup import warm_up

    warm_up()


def pre_fork(server, worker):
    from config.warmup import freeze_for_fork

    freeze_for_fork()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
