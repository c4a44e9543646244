"""The dependency floors in pyproject.toml: met by what is installed, and as high as the code needs.

`make floors` runs the whole suite against the lowest version each floor allows (`python
tests/test_dependencies.py` prints those pins); that run is what found the floors below.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

CHECKOUT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"]
RUNTIME = [Requirement(line) for line in PYPROJECT["dependencies"]]


def floor(requirement: Requirement) -> Version:
    """The lowest version a `>=` requirement allows."""
    (spec,) = (s for s in requirement.specifier if s.operator == ">=")
    return Version(spec.version)


def floor_pins() -> list[str]:
    """Every runtime dependency pinned at its floor: what `make floors` installs."""
    return [f"{r.name}=={floor(r)}" for r in RUNTIME]


def test_every_dependency_has_a_floor_the_installed_version_meets() -> None:
    dev = [Requirement(line) for line in PYPROJECT["optional-dependencies"]["dev"]]
    for requirement in RUNTIME + dev:
        assert floor(requirement) <= Version(version(requirement.name)), requirement


def test_the_pillow_floor_is_the_one_the_pixel_view_checks() -> None:
    from ogservice.cards.pixels import PILLOW_FLOOR

    (pillow,) = (r for r in RUNTIME if r.name == "pillow")
    assert floor(pillow).release[:2] == PILLOW_FLOOR == (13, 0)


def test_an_older_pillow_stops_the_import_with_the_reason() -> None:
    code = "import PIL.Image; PIL.__version__ = '12.3.0'; import ogservice.cards.pixels"
    done = subprocess.run([sys.executable, "-c", code], cwd=CHECKOUT, capture_output=True, text=True)
    assert done.returncode != 0
    assert "ImportError: ogservice needs Pillow >= 13.0, found 12.3.0" in done.stderr


if __name__ == "__main__":
    print(*floor_pins())
