import dataclasses
import json

import pandas as pd
import pytest
from django.core.management import call_command

from predictor.training.dataset import Cycle
from tests.predictor.conftest import SMALL_CONFIG, synthetic_dataset


def test_build_dataset_writes_the_table_and_prints_per_cycle_prevalence(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(
        "predictor.training.dataset.CYCLES_BY_KEY",
        {"2013-2014": Cycle("2013-2014", "H", 8, {"DEMO": "DEMO_H.csv", "DPQ": "DPQ_H.csv"})},
    )
    folder = tmp_path / "nhanes" / "2013-2014"
    folder.mkdir(parents=True)
    pd.DataFrame({"SEQN": [1, 2], "RIDAGEYR": [30, 60], "RIAGENDR": [1, 2]}).to_csv(folder / "DEMO_H.csv", index=False)
    items = {f"DPQ0{n}0": [0.0, 2.0] for n in range(1, 10)}
    pd.DataFrame({"SEQN": [1, 2], **items}).to_csv(folder / "DPQ_H.csv", index=False)
    out = tmp_path / "table.csv.gz"

    call_command("build_dataset", "--nhanes-dir", str(tmp_path / "nhanes"), "--out", str(out))

    printed = capsys.readouterr().out.splitlines()
    row = next(line for line in printed if line.startswith("2013-2014"))
    assert row.split()[:5] == ["2013-2014", "2", "1", "50.00", "%"]
    assert pd.read_csv(out)["depressed"].tolist() == [0, 1]


@pytest.mark.slow  # fits models
def test_train_models_writes_and_activates_a_version_from_a_table(tmp_path, capsys, monkeypatch):
    # The command's own settings with the small models of the test session, to keep the test quick.
    monkeypatch.setattr(
        "predictor.management.commands.train_models.training_config",
        lambda *, holdout_cycle: dataclasses.replace(SMALL_CONFIG, holdout_cycle=holdout_cycle),
    )
    table = tmp_path / "table.csv"
    synthetic_dataset(rows_per_cycle=300).to_csv(table, index=False)
    artifacts = tmp_path / "artifacts"

    call_command(
        "train_models",
        "--dataset",
        str(table),
        "--artifacts-dir",
        str(artifacts),
        "--model-version",
        "v1",
        "--holdout-cycle",
        "2015-2016",
    )

    printed = capsys.readouterr().out
    assert "ensemble bar roc_auc_at_least_0.82" in printed
    assert "Model version v1 written and activated." in printed
    assert (artifacts / "ACTIVE").read_text().strip() == "v1"
    assert json.loads((artifacts / "v1" / "manifest.json").read_text())["version"] == "v1"
