"""Predictor benchmark: latency, throughput, artifact size, memory and training time of the active version.

    .venv/bin/python benchmarks/predictor.py [--single 500] [--batch 20000]

Pinned to one CPU core (and one thread per library) so the figures mean "one core". Prints figures; asserts
nothing. Bars from issue 3: ensemble single-answer p50 <= 5 ms with explanation, ensemble batch >= 20,000 rows/s,
all files of one version <= 25 MB.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

# One core, one thread: set before NumPy / XGBoost start their thread pools.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def random_answers(rng: random.Random) -> dict:
    from predictor.schema import NONE_OF_THESE, QUESTIONS

    raw: dict = {}
    for question in QUESTIONS:
        if question.optional and rng.random() < 0.15:
            continue  # "prefer not to say"
        if question.kind in ("integer", "number"):
            low, high = question.min_value or 0, min(question.max_value or 100, 120)
            value = rng.uniform(low, high)
            raw[question.key] = round(value) if question.kind == "integer" else round(value, 1)
        elif question.kind == "choice":
            raw[question.key] = rng.choice(question.choices)[0]
        else:
            options = [value for value, _ in question.choices if value != NONE_OF_THESE]
            raw[question.key] = rng.sample(options, rng.randint(0, 3))
    raw["sleep_hours"] = round(rng.uniform(3, 11), 1) if "sleep_hours" in raw else None
    raw["annual_household_income"] = rng.choice([None, 12_000, 35_000, 80_000, 250_000])
    return raw


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=500, help="single-answer calls per model")
    parser.add_argument("--batch", type=int, default=20_000, help="rows in the batch test")
    args = parser.parse_args()

    rss_start = rss_mib()
    import django

    django.setup()
    from predictor import registry, services
    from predictor.schema import validate_answers

    rss_django = rss_mib()
    started = time.perf_counter()
    version = registry.loaded_version()
    load_seconds = time.perf_counter() - started
    rss_loaded = rss_mib()

    rng = random.Random(20261126)
    answers = [validate_answers(random_answers(rng)) for _ in range(max(args.single, 200))]
    batch = [answers[i % len(answers)] for i in range(args.batch)]
    files = version.manifest["files"]
    total_bytes = sum(entry["bytes"] for entry in files.values())
    model_files = {"logistic": ["logistic.joblib"], "forest": ["forest.joblib"], "xgboost": ["xgboost.ubj"]}
    model_files["ensemble"] = [name for names in model_files.values() for name in names]
    seconds = version.manifest["training_seconds"]

    print(f"Model version {version.version}; 1 CPU core; {args.single} single calls, batch of {args.batch} rows")
    print(f"Load (verify SHA-256 + unpickle + flatten forest): {1000 * load_seconds:.0f} ms")
    print(
        f"RSS: {rss_start:.0f} MiB at start, {rss_django:.0f} MiB after django.setup(), "
        f"{rss_loaded:.0f} MiB after loading all four models (+{rss_loaded - rss_django:.0f} MiB)"
    )
    print(f"All files of the version: {total_bytes / 1e6:.2f} MB (bar <= 25 MB)")
    print()
    header = (
        f"{'model':<10} {'p50 ms':>7} {'p99 ms':>7} {'batch rows/s':>13} {'rows/s no expl.':>16} "
        f"{'files MB':>9} {'train s':>8}"
    )
    print(header)
    for key in services.model_keys():
        for item in answers[:20]:  # warm-up
            services.predict(key, item)
        timings = []
        for item in answers[: args.single]:
            start = time.perf_counter()
            services.predict(key, item)
            timings.append(1000 * (time.perf_counter() - start))
        start = time.perf_counter()
        services.predict_many(key, batch)
        explained = len(batch) / (time.perf_counter() - start)
        start = time.perf_counter()
        services.predict_many(key, batch, explain=False)
        plain = len(batch) / (time.perf_counter() - start)
        size = sum(files[name]["bytes"] for name in model_files[key]) / 1e6
        print(
            f"{key:<10} {percentile(timings, 0.5):7.2f} {percentile(timings, 0.99):7.2f} {explained:13,.0f} "
            f"{plain:16,.0f} {size:9.2f} {seconds.get(key, float('nan')):8.1f}"
        )
    print()
    print(f"Training wall time of the whole run (manifest): {seconds.get('total', float('nan')):.1f} s on 2 cores")
    print(f"RSS at the end: {rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
