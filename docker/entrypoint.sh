#!/bin/sh
# Container entrypoint: prepare the metrics directory, optionally migrate, then run the given command.
set -eu

if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  # Samples left by an earlier run of this container would be merged into this run's.
  rm -rf "${PROMETHEUS_MULTIPROC_DIR:?}"
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi

if [ "${DJANGO_MIGRATE_ON_START:-0}" = "1" ]; then
  python manage.py migrate --noinput
fi

exec "$@"
