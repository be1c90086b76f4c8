"""The artifact layout on disk, shared by training (which writes it) and the registry (which reads it).

    ml_artifacts/
        ACTIVE                  the version new screenings use (unless PREDICTOR_ACTIVE_VERSION names one)
        <version>/
            manifest.json       every other file with its SHA-256 and size, the training config and metrics
            scoring.json        calibration, ensemble weights, band cut-offs, base rate, schema version
            <model files>       one per single model of the catalogue (`CatalogueModel.file`)
            MODEL_CARD.md, roc.png, calibration.png

A version is trusted only through its manifest: `verified_manifest` hashes every listed file before anything is
unpickled, and refuses a version where a file the scorers need is not listed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from django.conf import settings

from predictor import catalogue
from predictor.exceptions import ArtifactError

ACTIVE_FILE = "ACTIVE"
MANIFEST_FILE = "manifest.json"
SCORING_FILE = "scoring.json"
# The answer model that marginalises skipped questions (NumPy arrays, loaded without pickle).
ANSWER_MODEL_FILE = "answer_model.npz"


def artifacts_dir() -> Path:
    return Path(settings.ML_ARTIFACTS_DIR)


def model_files() -> dict[str, str]:
    """Model key -> file name, for every single model of the catalogue."""
    return {entry.key: entry.file for entry in catalogue.single_models()}


def active_version() -> str:
    configured = getattr(settings, "PREDICTOR_ACTIVE_VERSION", "")
    if configured:
        return configured
    pointer = artifacts_dir() / ACTIVE_FILE
    try:
        version = pointer.read_text().strip()
    except FileNotFoundError:
        raise ArtifactError(
            f"No active model version: set PREDICTOR_ACTIVE_VERSION or write a version name into "
            f"{ACTIVE_FILE} in the artifacts directory."
        ) from None
    if not version:
        raise ArtifactError(f"{ACTIVE_FILE} in the artifacts directory is empty.")
    return version


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entries(directory: Path) -> dict[str, dict[str, Any]]:
    """The manifest's `files` section for a version directory: every file but the manifest itself."""
    return {
        path.name: {"sha256": sha256_of(path), "bytes": path.stat().st_size}
        for path in sorted(directory.iterdir())
        if path.name != MANIFEST_FILE
    }


def matches_manifest(directory: Path, manifest: dict[str, Any], name: str) -> bool:
    """Whether one file of a loaded version is present and still the one its manifest lists."""
    entry = manifest.get("files", {}).get(name)
    path = directory / name
    return entry is not None and path.is_file() and sha256_of(path) == entry.get("sha256")


def verified_manifest(directory: Path) -> dict[str, Any]:
    manifest_path = directory / MANIFEST_FILE
    if not manifest_path.is_file():
        raise ArtifactError(f"Model version {directory.name!r} has no {MANIFEST_FILE}.")
    try:
        manifest = json.loads(manifest_path.read_text())
        listed: dict[str, dict[str, Any]] = manifest["files"]
    except (ValueError, KeyError, TypeError) as error:
        raise ArtifactError(f"The {MANIFEST_FILE} of model version {directory.name!r} is unreadable.") from error
    required = {*model_files().values(), SCORING_FILE}
    unlisted = sorted(required - set(listed))
    if unlisted:
        raise ArtifactError(f"Model version {directory.name!r}: {', '.join(unlisted)} not listed in the manifest.")
    for name, entry in sorted(listed.items()):
        path = directory / name
        if Path(name).name != name:
            raise ArtifactError(f"Model version {directory.name!r}: manifest lists a path outside the version.")
        if not path.is_file():
            raise ArtifactError(f"Model version {directory.name!r}: file {name} is missing.")
        if sha256_of(path) != entry.get("sha256"):
            raise ArtifactError(
                f"Model version {directory.name!r}: file {name} does not match the SHA-256 in its manifest; "
                "refusing to load it (was it edited or replaced?)."
            )
    return manifest
