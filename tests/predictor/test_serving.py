"""Serving loads no training code: a web or worker process scores through `predictor.services` alone."""

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.production import ROOT

SCORE_ONCE = """
import json, sys
import django

django.setup()
from predictor import services

prediction = services.predict("ensemble", services.validate_answers({"age": 40, "sex": "female"}))
print(json.dumps({"probability": prediction.probability, "modules": sorted(sys.modules)}))
"""
PROJECT = ("predictor", "screening", "billing", "accounts", "core", "config", "privacy", "symptoms")


def imported_names(module: str) -> set[str]:
    """Every module a project module's source imports, wherever the import statement is."""
    spec = importlib.util.find_spec(module)
    tree = ast.parse(Path(spec.origin).read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return names


@pytest.mark.subprocess
def test_scoring_in_a_fresh_process_imports_no_training_code():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SCORE_ONCE],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    loaded = report["modules"]

    assert 0 < report["probability"] < 1
    assert "predictor.services" in loaded
    assert [m for m in loaded if m == "predictor.training" or m.startswith("predictor.training.")] == []
    assert "matplotlib" not in loaded
    # scikit-learn's linear_model and ensemble and xgboost's compat module import sklearn.model_selection
    # themselves (unpickling a fitted model needs them), so it is in sys.modules; none of our loaded modules asks
    # for it.
    ours = [m for m in loaded if m.split(".")[0] in PROJECT and importlib.util.find_spec(m).origin.endswith(".py")]
    assert "predictor.registry" in ours
    assert [m for m in ours if any(n.startswith("sklearn.model_selection") for n in imported_names(m))] == []


def test_the_training_code_does_import_what_the_serving_test_looks_for():
    # Guards the test above: the names it searches for are the ones training really uses.
    assert "sklearn.model_selection" in imported_names("predictor.training.train")
