"""Meta-tests: every setting and every template field is documented in the README."""

from pathlib import Path

from ogservice.cards.templates import BUNDLED_DIR, load_templates
from ogservice.config import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_documented():
    missing = [f"OGS_{name.upper()}" for name in Settings.model_fields if f"OGS_{name.upper()}" not in README]
    assert not missing, f"undocumented settings: {missing}"


def test_every_bundled_template_is_documented():
    for name, template in load_templates([BUNDLED_DIR]).items():
        assert f"`{name}`" in README, name
        for size in template.sizes:
            assert f"`{size}`" in README, f"{name}: size {size}"


def test_quick_start_is_the_two_make_commands():
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = [line.strip() for line in quick.splitlines() if line.strip().startswith("make ")]
    assert commands == ["make run", "make test"]
