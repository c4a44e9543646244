"""Fixtures for the card tests that render through the CardService with image layers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ogservice.config import load_settings
from ogservice.gallery import sample_photo
from ogservice.pipeline import CardService
from ogservice.sources.assets import ImageSources
from ogservice.store import open_store

from .test_compose import NoCache


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[CardService]:
    """The server's CardService with its image sources; cards are not cached (each is measured).
    A test module with its own `service` fixture uses that one instead."""
    settings = load_settings(dev=True, data_dir=tmp_path_factory.mktemp("cards"))
    store = open_store(settings)  # keeps the uploaded photo
    service = CardService(settings, NoCache(), images=ImageSources.from_settings(settings, store))
    yield service
    service.images.close()
    store.close()


@pytest.fixture(scope="module")
def photo(service: CardService) -> str:
    """The gallery's product photo, uploaded: its id is what an image field takes."""
    return service.images.add(sample_photo()).id
