import pytest

from ogservice.config import ConfigError, load_settings


def test_production_requires_signing_keys(monkeypatch):
    monkeypatch.delenv("OGS_SIGNING_KEYS", raising=False)
    with pytest.raises(ConfigError, match="OGS_SIGNING_KEYS"):
        load_settings(dev=False)


def test_dev_mode_has_a_key_and_allows_unsigned():
    s = load_settings(dev=True, signing_keys="")
    assert s.keys() and s.unsigned_allowed()


def test_keys_first_signs_all_verify():
    s = load_settings(dev=False, signing_keys="new, old")
    assert s.keys() == ["new", "old"]


def test_unsigned_refused_outside_dev():
    with pytest.raises(ConfigError, match="OGS_ALLOW_UNSIGNED"):
        load_settings(dev=False, signing_keys="k", allow_unsigned=True)


def test_invalid_value_names_the_setting():
    with pytest.raises(ConfigError, match="OGS_PORT"):
        load_settings(dev=True, port=0)
