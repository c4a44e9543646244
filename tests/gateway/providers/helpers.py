"""Helpers the adapter tests share: shipped catalog entries, emulator-wired adapters, expected failures."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

import ogservice
from ogservice.config import ProviderConfig
from ogservice.gateway.catalog import ModelSpec
from ogservice.gateway.errors import GatewayError
from ogservice.gateway.providers.base import HttpProvider
from ogservice.gateway.request import ImageRequest
from tests.emulators.base import Emulator

MODELS_DIR = Path(ogservice.__file__).parent / "gateway" / "models"
P = TypeVar("P", bound=HttpProvider)
E = TypeVar("E", bound=GatewayError)


def fragment_specs(fragment: str) -> dict[str, ModelSpec]:
    """Every model of the shipped catalog fragment `models/<fragment>.toml`, by id."""
    entries = tomllib.loads((MODELS_DIR / f"{fragment}.toml").read_text())["model"]
    return {entry["id"]: ModelSpec.model_validate(entry) for entry in entries}


def emulated(
    provider_cls: type[P],
    emulator: Emulator,
    api_key: str | None = "test-key",
    *,
    client: httpx.Client | None = None,
    **config: Any,
) -> P:
    """An adapter whose base-URL override is `emulator`, talking to it in-process (or via `client`)."""
    settings = ProviderConfig(name=provider_cls.name, api_key=api_key, base_url=emulator.base_url, **config)
    return provider_cls(settings, client=client or emulator.client())


def real_request(
    provider_cls: type[HttpProvider], config: ProviderConfig, spec: ModelSpec, **req_kw: Any
) -> httpx.Request:
    """The request an adapter builds for the vendor's real endpoint (its own client closed after)."""
    provider = provider_cls(config)
    try:
        return provider.build_request(ImageRequest(prompt="x", **req_kw), spec)
    finally:
        provider.close()


def raised(provider: HttpProvider, spec: ModelSpec, expected: type[E], prompt: str = "x", **req_kw: Any) -> E:
    """Run one generation that must fail with `expected`; returns the error for further checks."""
    with pytest.raises(expected) as info:
        provider.generate(ImageRequest(prompt=prompt, **req_kw), spec)
    return info.value
