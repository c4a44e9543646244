import pytest

from ogservice.cards.layers import place, resolve_text
from ogservice.cards.templates import BUNDLED_DIR, TemplateError, load_template, load_templates

MINIMAL = """
default_size = "og"
[sizes]
og = { width = 1200, height = 630, layout = "main" }
[fields.title]
required = true
[layouts.main]
ref = [1200, 630]
[[layouts.main.layers]]
kind = "text"
text = "{title}"
box = [80, 80, 1040, 400]
"""


def test_bundled_templates_load_with_their_presets():
    templates = load_templates([BUNDLED_DIR])
    assert set(templates) >= {"blog-post", "promo-banner", "hero"}
    assert (templates["blog-post"].sizes["og"].width, templates["blog-post"].sizes["og"].height) == (
        1200,
        630,
    )
    banner = templates["promo-banner"].sizes
    assert {k: (v.width, v.height) for k, v in banner.items()} == {
        "feed": (1200, 628),
        "square": (1080, 1080),
        "story": (1080, 1920),
        "leaderboard": (728, 90),
        "rectangle": (300, 250),
        "billboard": (970, 250),
        "skyscraper": (160, 600),
    }
    # Each banner aspect has its own layout, not a scaled copy of one design.
    assert len({v.layout for v in banner.values()}) == len(banner)
    assert {(v.width, v.height) for v in templates["hero"].sizes.values()} == {(1920, 1080), (2400, 1260)}


def test_user_folder_adds_templates(tmp_path):
    (tmp_path / "mine.toml").write_text(MINIMAL)
    templates = load_templates([BUNDLED_DIR, tmp_path])
    assert "mine" in templates and templates["mine"].digest


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda s: s.replace('default_size = "og"', 'default_size = "big"'), "default_size"),
        (lambda s: s.replace('kind = "text"', 'kind = "video"'), "layouts.main.layers.0.kind"),
        (lambda s: s.replace("required = true", "required = true\ncolour = 1"), "fields.title.colour"),
        (lambda s: s.replace('layout = "main"', 'layout = "nope"'), "layout 'nope'"),
        (lambda s: s.replace("box = [80, 80, 1040, 400]", "box = [80, 80]"), "box"),
        (lambda s: s + "\n[[[broken", "not valid TOML"),
        # Values a render would trip over, every time, once the template was loaded:
        (lambda s: s + 'fill = "#zzzzzzzz"', "layouts.main.layers.0.fill: colour '#zzzzzzzz'"),
        (lambda s: s + 'color = "bogus"', "layouts.main.layers.0.color: colour 'bogus'"),
        (lambda s: s.replace("{title}", "{titel}"), "layouts.main.layers.0: text uses {titel}"),
        (lambda s: s + 'after = "nothing"', "layouts.main.layers.0: after 'nothing'"),
        (lambda s: s + '[background]\ntheme = "dusk"', "background: theme 'dusk'"),
        (lambda s: s + '[background]\nstyle = "plaid"', "background: style 'plaid'"),
        (lambda s: s + '[background]\nbrand = "#123456"', "background: brand '#123456' is not \"{field}\""),
        (lambda s: s + '[background]\ntheme = "{mood}"', "background: theme uses {mood}"),
        (lambda s: s + '[background]\nseed_fields = ["slug"]', "background: seed_fields uses {slug}"),
        # Where pixels come from: model sources need a prompt, and a prompt never asks for the words.
        (lambda s: s + '[background]\nsource = "model"', "needs a prompt"),
        (lambda s: s + '[background]\nsource = "gpu"', "background: source 'gpu' is not one of"),
        (lambda s: s + '[background]\nsource = "{title}"\nprompt = "x"', "{title} must be a choice field"),
        (
            lambda s: s + '[background]\nsource = "model"\nprompt = "a poster about {title}"',
            "prompt uses {title}, which a text layer draws",
        ),
        (lambda s: s + 'render = "{title}"', "layouts.main.layers.0: render: {title} must be a choice field"),
        (lambda s: s.replace('kind = "text"', 'kind = "rect"') + 'render = "model"', "rect layers have no"),
    ],
)
def test_invalid_template_names_file_and_field(tmp_path, mutation, message):
    path = tmp_path / "broken.toml"
    path.write_text(mutation(MINIMAL))
    with pytest.raises(TemplateError) as info:
        load_template(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_template_name_must_be_safe(tmp_path):
    path = tmp_path / "Bad Name.toml"
    path.write_text(MINIMAL)
    with pytest.raises(TemplateError, match="name"):
        load_template(path)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"author": "Ada", "date": "2026-11-21"}, "Ada · 2026-11-21"),
        ({"author": "Ada"}, "Ada"),
        ({"date": "2026-11-21"}, "2026-11-21"),
        ({}, ""),
    ],
)
def test_resolve_text_drops_empty_parts(fields, expected):
    assert resolve_text("{author} · {date}", fields) == expected


def test_place_start_is_right_edge_for_rtl():
    assert place((0, 0, 100, 50), 40, 10, "start", "top", "ltr")[0] == 0
    assert place((0, 0, 100, 50), 40, 10, "start", "top", "rtl")[0] == 60
    assert place((0, 0, 100, 50), 40, 10, "center", "center")[:2] == (30, 20)


@pytest.mark.parametrize(
    ("fill", "drawn"),
    [
        ("#FF285A8C", (255, 40, 90, 140)),
        (" #ff285a ", (255, 40, 90)),
        ("#f28", (255, 34, 136)),
        ("teal", (0, 128, 128)),
    ],
)
def test_a_loaded_fill_is_drawn_with_its_alpha(tmp_path, fill, drawn):
    from ogservice.cards.backgrounds import theme
    from ogservice.cards.compose import _fill

    path = tmp_path / "shape.toml"
    path.write_text(MINIMAL.replace('kind = "text"', 'kind = "rect"') + f'fill = "{fill}"')
    layer = load_template(path).layouts["main"].layers[0]
    from PIL import Image

    assert _fill(layer.fill, theme("ocean"), Image.new("RGB", (8, 8)), (0, 0, 8, 8)) == drawn


def test_a_prompt_may_name_a_drawn_field_when_the_author_says_so(tmp_path):
    """prompt_text_fields is the author's explicit yes: the model may then draw that field's words."""
    path = tmp_path / "topic.toml"
    extra = '[background]\nsource = "model"\nprompt = "shapes for {title}"\nprompt_text_fields = ["title"]'
    path.write_text(MINIMAL + extra)
    assert load_template(path).background.prompt_text_fields == ("title",)


def test_every_bundled_template_offers_ai_layers_off_by_default():
    for name, template in load_templates([BUNDLED_DIR]).items():
        assert template.fields["bg"].default == "procedural"
        assert template.fields["lettering"].default == "local"
        assert template.fields["bg_prompt"].max_length == 300
        assert template.background.source == "{bg}" and template.background.prompt_field == "bg_prompt", name
