"""The active model version, as an info metric computed when Prometheus scrapes.

A scrape-time collector rather than a stored gauge: the version is whatever the registry says now (a rollout
changes ml_artifacts/ACTIVE without restarting anything), and info metrics cannot be shared between processes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric

from predictor.artifacts import active_version

logger = logging.getLogger(__name__)

UNAVAILABLE = "unavailable"


def active_model_version() -> str:
    try:
        return str(active_version()) or UNAVAILABLE
    except Exception as error:  # a scrape must not fail because the artifacts are missing; /readyz says why
        logger.debug("active model version unavailable", extra={"error_type": type(error).__name__})
        return UNAVAILABLE


def active_base_rate() -> float | None:
    """The prevalence the active version's estimates are calibrated to, or None if it cannot be loaded."""
    try:
        from predictor.registry import loaded_version

        return float(loaded_version().scoring["base_rate"])
    except Exception as error:  # as above: a scrape never fails for the artifacts' sake
        logger.debug("active base rate unavailable", extra={"error_type": type(error).__name__})
        return None


class ActiveModelCollector:
    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        yield InfoMetricFamily(
            "mhc_model", "The model version scoring new screenings", value={"version": active_model_version()}
        )
        base_rate = active_base_rate()
        if base_rate is not None:
            yield GaugeMetricFamily(
                "mhc_model_base_rate", "Prevalence the active model version is calibrated to", value=base_rate
            )
