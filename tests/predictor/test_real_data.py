"""Retrains on the real NHANES files when they are present (../shared/data/nhanes) and checks the ensemble bars."""

from pathlib import Path

import pytest
from django.conf import settings

from predictor.training.dataset import build_dataset
from predictor.training.train import train_and_write

pytestmark = [pytest.mark.slow, pytest.mark.nhanes]


def nhanes_dir() -> Path:
    return Path(settings.NHANES_DIR)


@pytest.mark.skipif(
    not (nhanes_dir() / "2017-2018").is_dir(),
    reason="the NHANES files are not at settings.NHANES_DIR (../shared/data/nhanes)",
)
def test_retraining_on_the_real_files_meets_the_ensemble_bars(tmp_path):
    dataset = build_dataset(nhanes_dir=nhanes_dir())

    manifest = train_and_write(dataset=dataset, artifacts_dir=tmp_path, version="vreal", activate=False)

    assert len(dataset) == 36_259  # adults with a complete PHQ-9, 2005-2018, per the data README
    failed = {name: bar["value"] for name, bar in manifest["bars"].items() if not bar["passed"]}
    assert failed == {}
    assert manifest["metrics"]["ensemble"]["roc_auc"] >= 0.82
