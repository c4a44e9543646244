"""What `ogservice render` needs for AI layers: a card service that waits for them, and a progress line.

The command waits for the final layers (a user running it wants the finished card, not the
provisional one a crawler gets). Jobs go to the queue when a worker listens, sharing single flight
with the running service; otherwise they run in this process.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import click

from ..config import Settings
from .flight import RETRIES
from .outcomes import Outcome, Pending


@contextmanager
def card_service(settings: Settings) -> Iterator[object]:
    """A CardService with AI layers (queue or in-process), closed afterwards."""
    from ..gateway.service import Gateway
    from ..pipeline import CardService
    from ..store import open_store
    from .service import LayerService

    store = open_store(settings)
    gateway = Gateway.from_settings(settings)
    layers = LayerService.build(settings, store, gateway, inline_without_workers=True)
    try:
        yield CardService(settings, store, layers=layers)
    finally:
        layers.close()
        gateway.close()
        store.close()


def final_wait_ms(settings: Settings) -> int:
    """Long enough for a layer job and its retries: the CLI waits for the final card."""
    return (settings.layer_timeout_s * (RETRIES + 1) + 30) * 1000


class ProgressLine:
    """'waiting for background (flux-schnell)... 3.2 s' on stderr while layers are made."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._last = -1.0
        self._shown = False

    def __call__(self, outcomes: Sequence[Outcome], elapsed: float) -> None:
        pending = ", ".join(f"{o.slot} ({o.model})" for o in outcomes if isinstance(o, Pending))
        if self.tty and time.monotonic() - self._last >= 0.2:
            click.echo(f"\rwaiting for {pending}... {elapsed:.1f} s\033[K", err=True, nl=False)
            self._last = time.monotonic()
        elif not self.tty and not self._shown:
            click.echo(f"waiting for {pending}...", err=True)
        self._shown = True

    def done(self) -> None:
        if self.tty and self._shown:
            click.echo("\r\033[K", err=True, nl=False)
