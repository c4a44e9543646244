"""Provider instances for the configured vendors, plus the local ones; unconfigured vendors are absent.

Adapters are imported lazily (only for configured vendors) from `ogservice.gateway.providers.<module>`;
the class is the `HttpProvider` subclass whose `name` is the provider name, so adding a vendor needs
no edit here unless its module is named differently (see MODULES).
"""

from __future__ import annotations

import importlib
import inspect
import logging
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from ..config import PROVIDERS, Settings
from .local import local_providers
from .providers.base import HttpProvider
from .request import GeneratedImage, ImageRequest

if TYPE_CHECKING:
    from .catalog import Catalog, ModelSpec

log = logging.getLogger(__name__)

# provider name -> adapter module, where they differ (default: the module is named after the provider)
MODULES: dict[str, str] = {}


class Provider(Protocol):
    """What the gateway needs from any provider, remote or in-process."""

    name: str

    def generate(
        self, req: ImageRequest, spec: ModelSpec, *, deadline: float | None = None
    ) -> GeneratedImage: ...

    def close(self) -> None: ...


def configured_providers(settings: Settings) -> frozenset[str]:
    """Provider names that can be called: vendors with credentials, plus `local` (always)."""
    return frozenset({name for name in PROVIDERS if settings.provider(name).configured} | {"local"})


def provider_class(name: str) -> type[HttpProvider]:
    """The adapter class for a provider name; ImportError when no adapter module defines it."""
    module = importlib.import_module(f"{__package__}.providers.{MODULES.get(name, name)}")
    for cls in _classes(module):
        if cls.name == name:
            return cls
    raise ImportError(f"{module.__name__} defines no HttpProvider with name {name!r}")


def _classes(module: ModuleType) -> list[type[HttpProvider]]:
    return [
        c
        for _, c in inspect.getmembers(module, inspect.isclass)
        if issubclass(c, HttpProvider) and c is not HttpProvider
    ]


def build_providers(
    settings: Settings, catalog: Catalog | None = None, client: httpx.Client | None = None
) -> dict[str, Any]:
    """One provider per configured name the catalog uses (all configured when no catalog), plus local."""
    used = {m.provider for m in catalog.models} if catalog is not None else set(PROVIDERS)
    providers: dict[str, Any] = dict(local_providers(settings.fonts_dir))
    for name in sorted(configured_providers(settings) & used - {"local"}):
        try:
            providers[name] = provider_class(name)(settings.provider(name), client=client)
        except ImportError as exc:  # a configured vendor without an adapter yet: say so, serve the rest
            log.warning("provider %s is configured but has no adapter: %s", name, exc)
    return providers
