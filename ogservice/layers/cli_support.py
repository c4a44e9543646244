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
from typing import TextIO

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
    """'waiting for background (flux-schnell), title (ideogram-v3)... 3.2 s' on stderr while layers are made.

    On a terminal the line is redrawn in place (about 5 times a second) and erased when done. Piped
    or logged, it prints a plain line when what it waits for changes, and again every `every_s`
    seconds, so a log shows that the command is alive without filling up with carriage returns.
    """

    def __init__(self, stream: TextIO | None = None, tty: bool | None = None, every_s: float = 5.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.every_s = every_s
        self._last = -1e9
        self._last_pending = ""
        self._shown = False

    def __call__(self, outcomes: Sequence[Outcome], elapsed: float) -> None:
        pending = ", ".join(f"{o.slot} ({o.model})" for o in outcomes if isinstance(o, Pending))
        if not pending:
            return
        now = time.monotonic()
        if self.tty and now - self._last >= 0.2:
            self._write(f"\rwaiting for {pending}... {elapsed:.1f} s\033[K")
        elif not self.tty and (pending != self._last_pending or now - self._last >= self.every_s):
            self._write(f"waiting for {pending}... {elapsed:.1f} s\n")
        else:
            return
        self._last, self._last_pending, self._shown = now, pending, True

    def done(self) -> None:
        if self.tty and self._shown:
            self._write("\r\033[K")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
