"""manage.py train_models --nhanes-dir ../shared/data/nhanes [--model-version v2026.11.26] [--no-activate]"""

import dataclasses
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from predictor.management.commands.build_dataset import format_summary
from predictor.training.dataset import build_dataset
from predictor.training.train import TrainingConfig, train_and_write, validation_table


def training_config(*, holdout_cycle: str) -> TrainingConfig:
    return TrainingConfig(holdout_cycle=holdout_cycle)


class Command(BaseCommand):
    help = "Train the four models, validate on the held-out cycle and write ml_artifacts/<version>/."

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--nhanes-dir", type=Path, default=None, help="defaults to settings.NHANES_DIR")
        source.add_argument("--dataset", type=Path, default=None, help="a table written by build_dataset")
        parser.add_argument("--artifacts-dir", type=Path, default=None, help="defaults to settings.ML_ARTIFACTS_DIR")
        parser.add_argument(
            "--model-version", dest="model_version", default=None, help="default: v<YYYY.MM.DD>, suffixed if taken"
        )
        parser.add_argument("--holdout-cycle", default=TrainingConfig.holdout_cycle)
        parser.add_argument("--no-activate", action="store_true", help="write the version without activating it")
        parser.add_argument(
            "--n-jobs", dest="n_jobs", type=int, default=1, help="threads for the forest and XGBoost (default 1)"
        )

    def handle(
        self, *args, nhanes_dir, dataset, artifacts_dir, model_version, holdout_cycle, no_activate, n_jobs, **options
    ):
        if dataset is not None:
            table = pd.read_csv(dataset)
        else:
            nhanes_dir = Path(nhanes_dir or settings.NHANES_DIR)
            if not nhanes_dir.is_dir():
                raise CommandError(f"No NHANES directory at {nhanes_dir}; pass --nhanes-dir.")
            table = build_dataset(nhanes_dir=nhanes_dir)
        self.stdout.write(format_summary(table))
        try:
            manifest = train_and_write(
                dataset=table,
                artifacts_dir=Path(artifacts_dir or settings.ML_ARTIFACTS_DIR),
                version=model_version,
                config=dataclasses.replace(training_config(holdout_cycle=holdout_cycle), n_jobs=n_jobs),
                activate=not no_activate,
                log=self.stdout.write,
            )
        except (ValueError, FileExistsError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(validation_table(manifest))
        state = "written" if no_activate else "written and activated"
        self.stdout.write(self.style.SUCCESS(f"Model version {manifest['version']} {state}."))
