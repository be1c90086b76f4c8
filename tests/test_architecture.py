"""The import-linter contract (pyproject.toml, run by `make lint`) covers every app of the project."""

import tomllib
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[1]


def test_every_project_app_is_a_root_package_of_the_import_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    project_apps = {
        app.name.split(".")[0]
        for app in apps.get_app_configs()
        # A virtualenv inside the checkout (as `make` creates it) holds installed apps: those are not ours.
        if Path(app.path).resolve().is_relative_to(ROOT) and "site-packages" not in Path(app.path).parts
    }

    # An app missing here would be invisible to the layers contract: add it to root_packages and its layer.
    assert project_apps - set(config["root_packages"]) == set()
    layered = {name.strip().strip("()") for layer in config["contracts"][0]["layers"] for name in layer.split("|")}
    assert project_apps - layered == set()
