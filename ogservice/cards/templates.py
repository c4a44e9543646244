"""Card templates: pydantic models of templates/*.toml and a loader whose errors name file and field."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..gateway.intent import Intent
from ..gateway.request import Quality
from ..validation import problems
from .backgrounds import STYLES
from .bundled import bundled_dir
from .color import THEMES, parse_color, parse_fill

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")  # "{field}" in a layer's text or a background value
COLOR_WORDS = ("auto", "accent", "muted", "on-accent")  # text colours worked out per card
BUNDLED_DIR = bundled_dir("templates")


class TemplateError(ValueError):
    """A template file is invalid; the message names the file and the field."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldSpec(_Frozen):
    """One user-settable field of a template."""

    kind: Literal["text", "color", "choice", "image"] = "text"  # image: an uploaded image's id or a URL
    required: bool = False
    max_length: int = Field(200, ge=1, le=2000)
    choices: tuple[str, ...] = ()
    default: str = ""
    description: str = ""


class SizePreset(_Frozen):
    width: int = Field(ge=16, le=4096)
    height: int = Field(ge=16, le=4096)
    layout: str


# Where a layer's pixels come from. A source may also be "{field}" naming a choice field whose
# values are among these words, so a URL can ask for a model (bg=ai, lettering=ai) per card.
BACKGROUND_SOURCES = {"procedural": "local", "model": "model", "ai": "model"}
TEXT_RENDERS = {"local": "local", "model": "model", "ai": "model"}


class Background(_Frozen):
    """The background: procedural (style and palette) or from an image model (prompt, intent, quality).

    Each value may reference a field as "{name}". The procedural settings also make the local
    stand-in shown while a model's background is on its way, or when no model can make it.
    """

    style: str = "auto"
    theme: str = "midnight"
    brand: str = ""
    seed_fields: tuple[str, ...] = ()  # fields the default seed derives from (empty: all fields)
    source: str = "procedural"  # procedural | model | "{field}" (a choice field: procedural | ai)
    # The model's prompt. It must not ask for the card's words: text is a layer of its own, and a
    # background model misspells. Fields drawn by text layers may appear only if listed in
    # prompt_text_fields (the author accepts that the model may draw them as letters).
    prompt: str = ""
    prompt_field: str = ""  # a field whose value, when set, replaces `prompt` (e.g. bg_prompt)
    prompt_text_fields: tuple[str, ...] = ()
    intent: Intent = "background"
    quality: Quality = "standard"

    @model_validator(mode="after")
    def _known_values(self) -> Background:
        """Values given as such (not as "{field}") must be ones a render can use."""
        if not PLACEHOLDER.search(self.style) and self.style not in ("auto", *STYLES):
            raise ValueError(f"style {self.style!r} is not auto or one of: {', '.join(STYLES)}")
        if not PLACEHOLDER.search(self.theme) and self.theme not in THEMES:
            raise ValueError(f"theme {self.theme!r} is not one of: {', '.join(THEMES)}")
        if self.brand and not PLACEHOLDER.fullmatch(self.brand):  # the palette follows a colour field
            raise ValueError(f'brand {self.brand!r} is not "{{field}}" naming a colour field')
        _check_source("source", self.source, BACKGROUND_SOURCES)
        if self.source != "procedural" and not self.prompt.strip():
            raise ValueError("a background that can come from a model needs a prompt")
        return self


class Layer(_Frozen):
    """A drawable layer; geometry is in the layout's reference pixels and scales with the canvas."""

    kind: Literal["text", "pill", "rect", "image"]
    id: str = ""
    # Drawn only when one of these fields (space-separated) is set (`when`), and none of these is
    # (`unless`): a layout can make room for an optional image, or rearrange itself when only the
    # headline is given, and a card with other content stays exactly what it was.
    when: str = ""
    unless: str = ""
    text: str = ""  # text with {field} placeholders; empty placeholders make the layer optional
    box: tuple[float, float, float, float]  # x, y, width, height
    after: str = ""  # flow: start below the rendered bottom of this layer id (plus `gap`)
    beside: str = ""  # flow: start right of this layer id's rendered text (plus `gap`), never left of `box`
    gap: float = 0
    family: str = "sans"
    weight: int = 400
    min_size: float = 16
    max_size: float = 48
    max_lines: int = Field(1, ge=1, le=12)
    line_height: float = 1.15
    align: Literal["start", "center", "end"] = "start"
    valign: Literal["top", "center", "bottom"] = "top"
    uppercase: bool = False
    strike: bool = False
    color: str = "auto"  # auto (legible, measured) | accent | on-accent | muted | #RRGGBB
    fill: str = (
        ""  # pill/rect fill: accent | standout (accent, 3:1 from what is around it) | #RRGGBB | #RRGGBBAA
    )
    radius: float = 0
    padding: tuple[float, float] = (0, 0)  # pill: horizontal, vertical
    render: str = "local"  # text: local | model | "{field}" (a choice field: local | ai)
    # image layers (see image_layer.py): the image field, how it fills its box, the point kept in
    # view when `cover` crops (x, y in 0..1), and a soft drop shadow under it
    image: str = ""
    fit: Literal["cover", "contain"] = "cover"
    focus: tuple[float, float] = (0.5, 0.5)
    shadow: bool = False

    @field_validator("color")
    @classmethod
    def _known_color(cls, value: str) -> str:
        if value not in COLOR_WORDS:
            parse_color(value)
        return value

    @field_validator("fill")
    @classmethod
    def _known_fill(cls, value: str) -> str:
        if value not in ("", "accent", "standout"):
            parse_fill(value)
        return value

    @model_validator(mode="after")
    def _known_render(self) -> Layer:
        _check_source("render", self.render, TEXT_RENDERS)
        if self.render != "local" and self.kind in ("rect", "image"):
            raise ValueError(f"render: {self.kind} layers have no text to letter")
        if self.kind == "image" and not PLACEHOLDER.fullmatch(self.image):
            raise ValueError('an image layer needs image = "{field}" naming an image field')
        if self.kind != "image" and (self.image or self.shadow):
            raise ValueError("image and shadow apply to image layers only")
        if not all(0 <= v <= 1 for v in self.focus):
            raise ValueError("focus: x and y are fractions of the image, 0..1")
        return self


def _check_source(name: str, value: str, words: dict[str, str]) -> None:
    if value not in words and not PLACEHOLDER.fullmatch(value):
        raise ValueError(f'{name} {value!r} is not one of {", ".join(words)} or "{{field}}"')


class Layout(_Frozen):
    ref: tuple[int, int]  # reference width, height for the geometry below
    layers: tuple[Layer, ...]


class Template(_Frozen):
    name: str
    title: str = ""
    description: str = ""
    default_size: str
    sizes: dict[str, SizePreset]
    fields: dict[str, FieldSpec]
    background: Background = Background()
    layouts: dict[str, Layout]
    digest: str = ""  # sha256 of the source file; part of every cache key

    @model_validator(mode="after")
    def _consistent(self) -> Template:
        if self.default_size not in self.sizes:
            raise ValueError(f"default_size {self.default_size!r} is not one of the sizes")
        for name, preset in self.sizes.items():
            if preset.layout not in self.layouts:
                raise ValueError(f"sizes.{name}.layout {preset.layout!r} is not a defined layout")
        for name, spec in self.fields.items():
            if spec.kind == "choice" and spec.default and spec.default not in spec.choices:
                raise ValueError(f"fields.{name}.default is not one of its choices")
        _check_references(self)
        return self


def _check_references(template: Template) -> None:
    """Every "{field}" names a field and every `after` an earlier layer: a typo would otherwise
    leave a layer out, or keep its place, on every card without a word."""
    bg = template.background
    used = {"theme": bg.theme, "style": bg.style, "brand": bg.brand, "source": bg.source, "prompt": bg.prompt}
    for where, names in (("seed_fields", bg.seed_fields), ("prompt_text_fields", bg.prompt_text_fields)):
        used[where] = "".join(f"{{{name}}}" for name in names)
    used["prompt_field"] = f"{{{bg.prompt_field}}}" if bg.prompt_field else ""
    for where, value in used.items():
        _known_fields(template, value, f"background: {where}")
    _check_choice(template, bg.source, BACKGROUND_SOURCES, "background: source")
    for layout_name, layout in template.layouts.items():
        ids: set[str] = set()
        for index, layer in enumerate(layout.layers):
            where = f"layouts.{layout_name}.layers.{index}"
            _known_fields(template, layer.text, f"{where}: text")
            _known_fields(template, layer.render, f"{where}: render")
            _check_choice(template, layer.render, TEXT_RENDERS, f"{where}: render")
            _check_image_fields(template, layer, where)
            for flow in ("after", "beside"):
                if getattr(layer, flow) and getattr(layer, flow) not in ids:
                    raise ValueError(
                        f"{where}: {flow} {getattr(layer, flow)!r} is not the id of an earlier layer"
                    )
            ids.add(layer.id)
    _check_prompt_words(template)


def _check_image_fields(template: Template, layer: Layer, where: str) -> None:
    """An image layer names an image field; when/unless name fields; images never stand in text."""
    for name in (*layer.when.split(), *layer.unless.split()):
        _known_fields(template, f"{{{name}}}", f"{where}: when/unless")
    if layer.kind == "image":
        _known_fields(template, layer.image, f"{where}: image")
        name = layer.image.strip("{}")
        if template.fields[name].kind != "image":
            raise ValueError(f'{where}: image "{{{name}}}" must name a field of kind "image"')
    for name in PLACEHOLDER.findall(layer.text):
        if template.fields[name].kind == "image":
            raise ValueError(f"{where}: text uses {{{name}}}, an image field; draw it with an image layer")


def _check_choice(template: Template, value: str, words: dict[str, str], where: str) -> None:
    """A source given as "{field}" names a choice field whose every choice is a source word."""
    match = PLACEHOLDER.fullmatch(value)
    if match is None:
        return
    spec = template.fields[match.group(1)]
    if spec.kind != "choice" or not set(spec.choices) <= set(words):
        raise ValueError(f"{where}: {{{match.group(1)}}} must be a choice field of {', '.join(words)}")


def _check_prompt_words(template: Template) -> None:
    """A background prompt may not name a field that a text layer draws (unless the author lists it
    in prompt_text_fields): the model would be asked for the card's words, and would misspell them."""
    bg = template.background
    drawn = {
        n
        for layout in template.layouts.values()
        for layer in layout.layers
        for n in PLACEHOLDER.findall(layer.text)
    }
    for name in PLACEHOLDER.findall(bg.prompt):
        if name in drawn and name not in bg.prompt_text_fields:
            raise ValueError(
                f"background: prompt uses {{{name}}}, which a text layer draws; a background model must not "
                f"be asked for the card's words (list it in prompt_text_fields to allow it anyway)"
            )


def _known_fields(template: Template, value: str, where: str) -> None:
    for name in PLACEHOLDER.findall(value):
        if name not in template.fields:
            raise ValueError(
                f"{where} uses {{{name}}}, which is not one of the fields: {', '.join(template.fields)}"
            )


def load_template(path: Path) -> Template:
    """Parse and validate one template file; TemplateError names the file and the field."""
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"{path}: not valid TOML: {exc}") from None
    data.setdefault("name", path.stem)
    if data["name"] != path.stem or not NAME_PATTERN.match(path.stem):
        raise TemplateError(f"{path}: name must equal the file name and match {NAME_PATTERN.pattern}")
    try:
        return Template(**data, digest=hashlib.sha256(raw).hexdigest())
    except ValidationError as exc:
        found = "; ".join(f"{where or 'template'}: {msg}" for where, msg in problems(exc))
        raise TemplateError(f"{path}: {found}") from None


def load_templates(dirs: Sequence[Path]) -> dict[str, Template]:
    """All templates from `dirs` in order; a later folder's template replaces an earlier one's."""
    templates: dict[str, Template] = {}
    for folder in dirs:
        if not folder.is_dir():
            raise TemplateError(f"{folder}: templates folder does not exist")
        for path in sorted(folder.glob("*.toml")):
            template = load_template(path)
            templates[template.name] = template
    return templates


def source_of(value: str, fields: dict[str, str], words: dict[str, str]) -> str:
    """'model' or 'local' for a source word, or for a "{field}" whose value is one (see *_SOURCES)."""
    match = PLACEHOLDER.fullmatch(value)
    word = fields.get(match.group(1), "") if match else value
    return words.get(word, "local")
