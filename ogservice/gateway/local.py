"""In-process providers: `FunctionProvider` (the stand-in, like httpx.MockTransport) and the local models.

    local-procedural  a seeded procedural background of the exact requested size
    local-type        the prompt's quoted text (or the whole prompt) typeset with real fonts
                      onto a procedural or transparent canvas

Both cost nothing, need no key and answer in milliseconds, so the gateway always has a last resort.
The card engine is imported lazily: the gateway must not pay for fonts until typography is asked for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from ..cards.encode import encode_png
from .errors import ProviderTimeout, RequestRejected
from .images import inspect_image
from .intent_words import quoted_spans
from .request import GeneratedImage, ImageRequest
from .sizes import requested_label

if TYPE_CHECKING:
    from .catalog import ModelSpec

ImageFn = Callable[[ImageRequest, "ModelSpec"], "GeneratedImage | bytes | Image.Image"]
INK_DARK, INK_LIGHT = (17, 17, 17), (255, 255, 255)


def png(image: Image.Image) -> bytes:
    """PNG bytes from the card engine's fast encoder."""
    return encode_png(image)


def quoted_text(prompt: str) -> str:
    """The quoted parts of a prompt (quote marks of every script), one per line, else the whole prompt."""
    return "\n".join(quoted_spans(prompt)) or prompt.strip()


class FunctionProvider:
    """A provider around a function (request, spec) -> GeneratedImage | image bytes | PIL image."""

    def __init__(self, name: str, fn: ImageFn) -> None:
        self.name = name
        self.fn = fn

    def generate(self, req: ImageRequest, spec: ModelSpec, deadline: float | None = None) -> GeneratedImage:
        """Call the function and wrap its answer; bytes are validated like any vendor's."""
        if deadline is not None and time.monotonic() >= deadline:
            raise ProviderTimeout("deadline passed before the call", provider=self.name)
        return self._wrap(self.fn(req, spec), req, spec)

    def close(self) -> None:
        """Nothing to release; present so every provider can be closed alike."""

    def _wrap(
        self, out: GeneratedImage | bytes | Image.Image, req: ImageRequest, spec: ModelSpec
    ) -> GeneratedImage:
        if isinstance(out, GeneratedImage):
            return out.model_copy(
                update={"model": out.model or spec.id, "provider": out.provider or self.name}
            )
        data = png(out) if isinstance(out, Image.Image) else out
        media_type, width, height = inspect_image(data, provider=self.name)
        return GeneratedImage(
            data=data,
            media_type=media_type,
            width=width,
            height=height,
            model=spec.id,
            provider=self.name,
            requested=requested_label(req),
            produced=f"{width}x{height}",
            seed=req.seed,
            cost_usd=0.0,
        )


class LocalProvider(FunctionProvider):
    """The `local` provider: procedural backgrounds and local typesetting, chosen by the catalog entry."""

    def __init__(self, fonts_dir: Any = None) -> None:
        super().__init__("local", self._dispatch)
        self.fonts_dir = fonts_dir
        self._fonts: Any = None
        self._lock = threading.Lock()

    def _dispatch(self, req: ImageRequest, spec: ModelSpec) -> Image.Image:
        kind = spec.vendor_model or spec.id.removeprefix("local-")
        if kind in ("procedural", "background"):
            return self.procedural(req)
        if kind in ("typesetting", "type"):
            return self.typeset(req)
        raise RequestRejected(f"unknown local model {spec.id!r} ({kind})", provider=self.name)

    def procedural(self, req: ImageRequest) -> Image.Image:
        """A seeded background of the exact requested size (seed: the request's, else from the prompt)."""
        from ..cards.backgrounds import procedural, seed_from

        width, height = req.pixels()
        seed = req.seed if req.seed is not None else seed_from(req.prompt)
        return procedural(width, height, seed=seed, style=req.style or "auto")

    def typeset(self, req: ImageRequest) -> Image.Image:
        """The prompt's quoted text, auto-fitted into the canvas with a margin, in a legible ink."""
        from ..cards.text import TextStyle, draw_text, layout_text

        width, height = req.pixels()
        canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0)) if req.transparent else self.procedural(req)
        margin_x, margin_y = round(width * 0.08), round(height * 0.12)
        style = TextStyle(
            min_size=max(6, height // 40), max_size=max(8, height // 5), max_lines=6, align="center"
        )
        block = layout_text(
            self.fonts(), quoted_text(req.prompt), width - 2 * margin_x, height - 2 * margin_y, style
        )
        origin = ((width - round(block.width)) // 2, (height - round(block.height)) // 2)
        draw_text(canvas, block, origin, INK_DARK if req.transparent else ink_for(canvas))
        return canvas

    def fonts(self) -> Any:
        """The font registry, parsed once per provider (parsing fonts per request halves throughput)."""
        with self._lock:
            if self._fonts is None:
                from ..cards.fonts import BUNDLED_FONTS_DIR, FontRegistry

                extra = (Path(self.fonts_dir),) if self.fonts_dir else ()
                self._fonts = FontRegistry.load((BUNDLED_FONTS_DIR, *extra))
            return self._fonts


def ink_for(canvas: Image.Image) -> tuple[int, int, int]:
    """Dark or light ink, whichever contrasts more with the canvas's mean luminance."""
    luminance = sum(canvas.convert("L").resize((16, 16)).getdata()) / 256
    return INK_DARK if luminance > 140 else INK_LIGHT


def local_providers(fonts_dir: Any = None) -> dict[str, FunctionProvider]:
    """The always-available providers, keyed by provider name as the catalog names them."""
    return {"local": LocalProvider(fonts_dir)}
