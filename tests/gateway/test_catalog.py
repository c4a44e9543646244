"""The model catalog: shipped fragments, OGS_MODELS_FILE, and errors that name the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ogservice.config import ConfigError
from ogservice.gateway.catalog import MODELS_DIR, CatalogError, load_catalog

REQUIRED_IDS = (
    "imagen-4-fast",
    "imagen-4",
    "imagen-4-ultra",
    "nano-banana",
    "nano-banana-pro",
    "ideogram-v1-turbo",
    "ideogram-v2",
    "ideogram-v2-turbo",
    "ideogram-v2a",
    "ideogram-v2a-turbo",
    "ideogram-v3",
    "dall-e-3",
    "gpt-image-1",
    "gpt-image-1.5",
    "gpt-image-2",
    "sd3.5-large",
    "sd3.5-large-turbo",
    "sd3.5-medium",
    "flux-schnell",
    "flux-dev",
    "flux-schnell-replicate",
    "flux-dev-replicate",
    "sdxl-a1111",
    "comfyui",
    "local-procedural",
    "local-type",
)

GOOD = """
[[model]]
id = "alpha"
provider = "openai"
sizes = ["1024x1024", "1536x1024"]
price = { draft = 0.01, standard = 0.04, high = 0.16, ultra = 0.16, "standard@1536x1024" = 0.06 }
latency_p50_s = 6.0
latency_p95_s = 20.0

[[model]]
id = "beta"
provider = "fal"
price_per_mp = 0.025
tiers = ["pro"]
retired = "2026-05-12: gone"
[model.capabilities]
text_rendering = 3
transparency = true
"""


def write(tmp_path: Path, text: str, name: str = "models.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_catalog_has_every_required_model():
    missing = sorted(set(REQUIRED_IDS) - set(load_catalog().ids()))
    assert not missing, f"missing from ogservice/gateway/models/*.toml: {missing}"


def test_shipped_catalog_is_the_union_of_the_fragments():
    per_fragment = [load_catalog(path).ids() for path in sorted(MODELS_DIR.glob("*.toml"))]
    # A single file keeps the local models as the last resort, so strip them before comparing.
    own = [tuple(m for m in ids if not m.startswith("local-")) for ids in per_fragment]
    assert sorted(load_catalog().ids()) == sorted(
        [*(m for ids in own for m in ids), "local-procedural", "local-type"]
    )
    assert all({"local-procedural", "local-type"} <= set(ids) for ids in per_fragment)


def test_user_catalog_keeps_local_models_as_last_resort(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        '[[model]]\nid = "mine"\nprovider = "openai"\nvendor_model = "gpt-image-1"\n'
        "price = { default = 0.04 }\n"
    )
    assert load_catalog(path).ids() == ("mine", "local-procedural", "local-type")


def test_local_models_are_free_fast_and_on_every_tier():
    for mid in ("local-procedural", "local-type"):
        spec = load_catalog().get(mid)
        assert (spec.provider, spec.price_for("ultra", 4096, 4096)) == ("local", 0.0)
        assert spec.tiers == ("free", "pro", "enterprise") and spec.latency_p95_s < 1


def test_models_file_replaces_the_shipped_catalog(tmp_path: Path):
    catalog = load_catalog(write(tmp_path, GOOD))
    assert catalog.ids() == ("alpha", "beta", "local-procedural", "local-type")  # local: the last resort
    beta = catalog.get("beta")
    assert beta.capabilities.transparency and beta.capabilities.text_rendering == 3
    assert beta.retired == "2026-05-12: gone" and beta.tiers == ("pro",)


def test_prices_by_quality_size_and_megapixel(tmp_path: Path):
    catalog = load_catalog(write(tmp_path, GOOD))
    alpha, beta = catalog.get("alpha"), catalog.get("beta")
    assert alpha.price_for("standard", 1200, 630) == 0.06  # nearest vendor size 1536x1024
    assert alpha.price_for("high", 1200, 630) == 0.16  # no size-specific high price
    assert beta.price_for("standard", 1024, 1024) == 0.025
    assert beta.price_for("standard", 2048, 1100) == 0.075  # 2.15 MP (of 1024x1024) is billed as 3


def test_get_unknown_id_suggests_close_matches(tmp_path: Path):
    catalog = load_catalog(write(tmp_path, GOOD))
    with pytest.raises(KeyError, match="unknown model 'alpah'.*did you mean alpha"):
        catalog.get("alpah")
    assert "alpha" in catalog and "gamma" not in catalog and catalog.find("gamma") is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("standard = 0.04", 'standard = "cheap"'),
            "model[1].price.standard: Input should be a valid number",
        ),
        (("standard = 0.04", "standrad = 0.04"), "model[1].price: unknown price key 'standrad'"),
        (('provider = "fal"', 'provider = "fall"'), "model[2].provider: unknown provider 'fall'"),
        (("price_per_mp = 0.025", "price_per_mb = 0.025"), "model[2].price_per_mb: Extra inputs are not"),
        (
            ("text_rendering = 3", "text_rendering = 9"),
            "model[2].capabilities.text_rendering: Input should be",
        ),
        (('tiers = ["pro"]', 'tiers = ["gold"]'), "model[2].tiers.0: Input should be 'free', 'pro' or"),
        (('"1536x1024"]', '"1536*1024"]'), "model[1].sizes: size '1536*1024' is not WxH"),
        (("latency_p95_s = 20.0", "latency_p95_s = 2.0"), "model[1]: latency_p95_s is below"),
        (("price_per_mp = 0.025", ""), "model[2]: price has no 'default' and misses draft"),
    ],
)
def test_errors_name_the_file_the_table_and_the_field(tmp_path: Path, edit: tuple[str, str], message: str):
    path = write(tmp_path, GOOD.replace(*edit), "vendor.toml")
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_duplicate_ids_name_both_places(tmp_path: Path):
    path = write(tmp_path, GOOD + GOOD.split("[[model]]")[1].join(["[[model]]", ""]))
    where = r"model\[3\]\.id: duplicate id 'alpha' \(already defined in .*model\[1\]\)"
    with pytest.raises(CatalogError, match=where):
        load_catalog(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[model]\n", "invalid TOML"),
        ("", "no [[model]] tables"),
        ('[[models]]\nid = "x"\n', "unknown top-level key 'models'"),
    ],
)
def test_malformed_files_are_named(tmp_path: Path, text: str, message: str):
    path = write(tmp_path, text)
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)


def test_missing_models_file_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_catalog(tmp_path / "nope.toml")


def test_shipped_catalog_is_loaded_once_per_process():
    assert load_catalog() is load_catalog()
