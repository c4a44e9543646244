"""The shared contract suite: every adapter against its emulator, happy path and each failure class."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests.emulators as emulators_pkg
from ogservice.config import ProviderConfig
from ogservice.gateway import errors
from ogservice.gateway.catalog import load_catalog
from ogservice.gateway.policy import billed
from ogservice.gateway.request import ImageRequest
from tests.emulators.base import ContractCase


def _cases() -> list[ContractCase]:
    cases: list[ContractCase] = []
    for info in pkgutil.iter_modules(emulators_pkg.__path__):
        module = importlib.import_module(f"tests.emulators.{info.name}")
        cases.extend(getattr(module, "CASES", []))
    return cases


CASES = _cases()
FAILURE_CASES = [(c, kind, cls) for c in CASES for kind, cls in c.failures.items()]


def _config(case: ContractCase, base_url: str) -> ProviderConfig:
    """The case's adapter settings pointed at `base_url`."""
    return ProviderConfig(
        name=case.provider_cls.name, api_key=case.api_key, base_url=base_url, **case.extra_config
    )


def _provider(case: ContractCase, emulator, **client_kw):
    provider = case.provider_cls(_config(case, emulator.base_url), client=emulator.client(**client_kw))
    provider.sleep = lambda seconds: None
    return provider


def test_every_remote_catalog_model_has_a_contract_case():
    covered = {c.model_id for c in CASES}
    remote = {m.id for m in load_catalog().models if m.provider != "local"}
    assert remote <= covered, f"models without a contract case: {sorted(remote - covered)}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.model_id)
@pytest.mark.parametrize("size", [(1200, 630), (1024, 1024), (1080, 1920)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_happy_path_returns_a_valid_image_and_reports_size(case: ContractCase, size):
    emulator = case.emulator_cls()
    spec = load_catalog().get(case.model_id)
    req = ImageRequest(prompt="a lighthouse at dusk, watercolor", width=size[0], height=size[1], seed=7)
    image = _provider(case, emulator).generate(req, spec)
    assert image.model == spec.id
    assert image.media_type in ("image/png", "image/jpeg", "image/webp")
    assert image.width > 0 and image.height > 0
    assert image.requested and image.produced
    # The produced shape is the nearest the vendor offers: orientation is never flipped or squared off.
    if size[0] != size[1] and image.width != image.height:
        assert (image.width > image.height) == (size[0] > size[1])
    assert emulator.requests, "the emulator saw no request"


@pytest.mark.parametrize(
    ("case", "kind", "error_name"), FAILURE_CASES, ids=lambda v: getattr(v, "model_id", v)
)
def test_failure_maps_to_gateway_error(case: ContractCase, kind: str, error_name: str):
    emulator = case.emulator_cls()
    spec = load_catalog().get(case.model_id)
    emulator.inject(kind)
    with pytest.raises(getattr(errors, error_name)) as info:
        _provider(case, emulator).generate(ImageRequest(prompt="a red fox"), spec)
    assert info.value.provider == case.provider_cls.name


# Answered at the door, before the vendor takes the job: no vendor bills them.
AT_THE_DOOR = ("rate_limit", "unauthorized", "server_error")
# Answered after the vendor did the work (a 2xx with a broken body or image, an expired file URL).
AFTER_THE_WORK = ("not_image", "malformed", "expired_url")


@pytest.mark.parametrize(
    ("case", "kind", "error_name"),
    [c for c in FAILURE_CASES if c[1] in AT_THE_DOOR + AFTER_THE_WORK],
    ids=lambda v: getattr(v, "model_id", v),
)
def test_only_failures_after_the_vendor_took_the_job_are_billed(
    case: ContractCase, kind: str, error_name: str
):
    """429, 401/403 and a 5xx answer cost nothing; a broken image the vendor made is billed."""
    emulator = case.emulator_cls()
    emulator.inject(kind)
    with pytest.raises(getattr(errors, error_name)) as info:
        _provider(case, emulator).generate(
            ImageRequest(prompt="a red fox"), load_catalog().get(case.model_id)
        )
    expected = kind in AFTER_THE_WORK
    assert (info.value.phase, billed(info.value)) == ("accepted" if expected else "refused", expected)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.model_id)
def test_slow_vendor_times_out_as_provider_timeout(case: ContractCase):
    emulator = case.emulator_cls()
    emulator.slow_seconds = 1.0
    spec = load_catalog().get(case.model_id)
    with emulator.serve():
        emulator.inject("slow")
        provider = case.provider_cls(_config(case, emulator.base_url), timeout=0.3)
        try:
            with pytest.raises(errors.ProviderTimeout):
                provider.generate(ImageRequest(prompt="a red fox"), spec)
        finally:
            provider.close()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.model_id)
def test_connection_refused_is_provider_unavailable(case: ContractCase):
    spec = load_catalog().get(case.model_id)
    provider = case.provider_cls(_config(case, "http://127.0.0.1:9"), timeout=2)
    try:
        with pytest.raises(errors.ProviderUnavailable):
            provider.generate(ImageRequest(prompt="a red fox"), spec)
    finally:
        provider.close()
