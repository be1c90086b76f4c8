"""Real headless Chromium (Debian's package) driven by Playwright for Python.

`playwright install` cannot download browsers here, so the tests launch /usr/bin/chromium (installed by
.ci/browser-deps) through `executable_path`, and skip with the reason when it or Playwright is missing.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Without the networking flags, Chromium keeps dialling Google's services, which this machine's network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The committed screenshots are rewritten only when asked (SCREENSHOTS=1, `make screenshots`); otherwise every
# browser test saves into a scratch folder, so a test run leaves the tree clean.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "mhc-screenshots"
)
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def pytest_collection_modifyitems(config, items):
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "Playwright for Python is not installed (pip install -r requirements/dev.txt)"
    if reason is None and not (CHROMIUM.exists() or shutil.which(str(CHROMIUM))):
        reason = f"no Chromium at {CHROMIUM}: run .ci/browser-deps (apt-get install chromium)"
    if reason:
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shoot():
    """Save a full-page screenshot of the current page at desktop and phone widths, then go back to desktop."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    taken: list[str] = []

    def take(page, name: str) -> None:
        for label, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            path = SCREENSHOTS / f"{len(taken) // 2 + 1:02d}-{name}-{label}.png"
            page.screenshot(path=str(path), full_page=True)
            _shrink(path)
            taken.append(path.name)
        page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})

    take.taken = taken
    return take


def _shrink(path: Path) -> None:
    """A 256-colour palette keeps UI screenshots sharp at about a third of the size in the repository."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(path, optimize=True)
