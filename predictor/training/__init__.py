"""Offline code: the NHANES dataset builder, training, validation and the model-card report.

Nothing a web or worker process imports may import this package (a test checks it in a fresh process); it is
used by the `build_dataset` and `train_models` commands, the tests and the benchmarks.
"""
