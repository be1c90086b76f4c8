"""gunicorn settings: `gunicorn -c config/gunicorn.py config.wsgi`. Every value can be set from the environment.

Metrics from several worker processes: each process writes its samples to PROMETHEUS_MULTIPROC_DIR and /metrics
merges them (core.metrics). The directory is emptied when the master starts, and a dead worker's live gauges
are dropped, so a restart never double-counts.
"""

import os
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow for ever; jitter keeps them from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
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


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        # Samples of a previous run would be merged into this one's; the master has written none yet.
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
