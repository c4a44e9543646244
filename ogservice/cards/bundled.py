"""Where the bundled templates and fonts are: inside an installed package, or beside it in a checkout.

A wheel carries the checkout's top-level `templates/` and `fonts/` folders inside the package, as
`ogservice/templates` and `ogservice/fonts` (pyproject.toml maps them); a source checkout, editable
installs included, keeps them at the top, next to the `ogservice/` folder.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def bundled_dir(name: str) -> Path:
    """The bundled folder `name` ("templates" or "fonts") of the ogservice package being run."""
    package = Path(str(files("ogservice")))
    installed = package / name
    return installed if installed.is_dir() else package.parent / name
