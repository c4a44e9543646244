"""The package as users install it: a wheel carries its templates, fonts, licences and gateway data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from ogservice.pipeline import CardService
from ogservice.store import open_store

CHECKOUT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["tool"]["setuptools"]
# The checkout's folder of each packaged folder, by its place in the installed package.
DATA_DIRS = {"templates": CHECKOUT / "templates", "fonts": CHECKOUT / "fonts"}
CARD = ["blog-post", "-f", "title=Wheel 安装 ✓ 👋", "-f", "site=example.com", "--seed", "7"]


def _source_files(folder: Path) -> set[str]:
    return {
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }


def test_every_python_package_of_the_checkout_is_packaged() -> None:
    found = {
        ".".join(init.parent.relative_to(CHECKOUT).parts)
        for init in (CHECKOUT / "ogservice").rglob("__init__.py")
    }
    assert found <= set(PYPROJECT["packages"]), "add the new package to [tool.setuptools] packages"


def test_the_packaged_folders_are_the_checkouts_top_level_ones() -> None:
    mapped = {
        name.removeprefix("ogservice."): CHECKOUT / path for name, path in PYPROJECT["package-dir"].items()
    }
    assert mapped == DATA_DIRS


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel built from this checkout; the shared venv supplies the deps."""
    tmp = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    build = [*pip, "wheel", str(_copy_of_checkout(tmp / "src")), "--no-deps", "--no-build-isolation"]
    built = _run([*build, "--no-index", "-w", str(tmp / "dist")], cwd=tmp, output="stderr")
    (tmp / "build-warnings.txt").write_text(built)  # what the build backend said, for the test below
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    python = venv / "bin" / "python"
    wheel = next((tmp / "dist").glob("ogservice-*.whl"))
    _run([*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)], cwd=tmp)
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=tmp)
    # The test venv's dependencies, after the venv's own site-packages (their ogservice is editable).
    (Path(site.strip()) / "shared-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv


def _copy_of_checkout(source: Path) -> Path:
    """What a wheel is built from; building a copy leaves no build/ or egg-info in the checkout."""
    for name in ("ogservice", "templates", "fonts"):
        shutil.copytree(CHECKOUT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(CHECKOUT / name, source / name)
    return source


def _run(argv: list[str], cwd: Path, output: str = "stdout") -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OGS_", "PYTHON"))}
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{argv[:4]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout if output == "stdout" else done.stderr


@pytest.mark.wheel
def test_building_the_wheel_raises_no_packaging_warning(installed: Path) -> None:
    """Data folders named like packages (fonts/inter, gateway/models) made setuptools warn on every
    install, `make run`'s first included, that each 'is absent from the `packages` configuration'."""
    said = (installed.parent / "build-warnings.txt").read_text()
    assert "absent from the `packages` configuration" not in said, said
    assert "Warning" not in said, said


@pytest.mark.wheel
def test_installed_wheel_carries_templates_fonts_licences_and_gateway_data(installed: Path) -> None:
    code = "import ogservice; print(ogservice.__file__)"
    package = Path(_run([str(installed / "bin" / "python"), "-c", code], cwd=installed).strip()).parent
    assert installed in package.parents, f"ogservice imported from {package}, not the wheel"
    for name, folder in DATA_DIRS.items():
        assert _source_files(folder) <= _source_files(package / name), f"{name}/ is incomplete in the wheel"
    licences = {p.parent.name for p in (package / "fonts").glob("*/OFL.txt")}
    assert licences == {p.name for p in (package / "fonts").iterdir() if p.is_dir()}
    data = {f for f in _source_files(CHECKOUT / "ogservice") if not f.endswith(".py")}
    assert data and data <= _source_files(package)


@pytest.mark.wheel
def test_installed_wheel_renders_the_same_card_as_the_checkout(installed: Path, settings, tmp_path) -> None:
    """Run from elsewhere, the installed command finds the bundled templates and fonts: same bytes."""
    output = tmp_path / "card.png"
    stdout = _run([str(installed / "bin" / "ogservice"), "render", *CARD, "-o", str(output)], cwd=tmp_path)
    assert "rendered" in stdout
    params = [("title", CARD[2].removeprefix("title=")), ("site", "example.com"), ("seed", "7")]
    service = CardService(settings, open_store(settings))
    try:
        expected = service.run("blog-post", params).png
    finally:
        service.store.close()
    assert output.read_bytes() == expected
