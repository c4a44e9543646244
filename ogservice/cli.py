"""Command line: `ogservice serve | render | gallery | sign | route | generate | bench | sandbox | keys`."""

from __future__ import annotations

from pathlib import Path

import click

from .config import ConfigError, Settings, load_settings
from .errors import OgsError


@click.group()
def main() -> None:
    """ogservice: Open Graph cards and promo banners, fast, cheap and spelled right."""


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _fields(pairs: tuple[str, ...]) -> list[tuple[str, str]]:
    fields = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--field")
        fields.append((key, value))
    return fields


_field_option = click.option(
    "--field", "-f", "fields", multiple=True, metavar="KEY=VALUE", help="A template field."
)
_size_option = click.option("--size", default=None, help="Size preset name or WIDTHxHEIGHT.")


@main.command()
@click.argument("template")
@_field_option
@_size_option
@click.option("--seed", default=None, help="Background seed, up to 18 digits (default: from the content).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def render(template: str, fields: tuple[str, ...], size: str | None, seed: str | None, output: Path) -> None:
    """Render one card to a PNG file and print the time of each step.

    With AI layers (bg=ai, lettering=ai) it waits for the final layers, showing what it waits for,
    then prints which model made each layer, its cost and time (or why it was set locally).
    """
    from .layers.cli_support import ProgressLine, card_service, final_wait_ms
    from .layers.report import describe, is_final

    settings = _settings(dev=True)
    params = (
        _fields(fields)
        + ([("size", size)] if size else [])
        + ([("seed", seed)] if seed is not None else [])  # validated like the URL's seed
    )
    progress = ProgressLine()
    with card_service(settings) as service:
        wait = final_wait_ms(settings)
        try:
            job = service.run(template, params, wait + 60_000, layer_wait_ms=wait, progress=progress)
        except OgsError as exc:
            raise click.ClickException(exc.detail) from None
        finally:
            progress.done()
    assert job.png is not None
    output.write_bytes(job.png)
    if job.layers and service.layers is not None:
        click.echo(service.layers.status(), err=True)
    width = max(map(len, job.timings), default=0)
    for name, ms in job.timings.items():
        click.echo(f"{name:>{width}}: {ms:7.2f} ms")
    for outcome in job.layers:
        click.echo(f"   layer {describe(outcome)}")
    state = "cache hit" if job.cache_hit else "rendered"
    state += "" if is_final(job.layers) else ", not final: a layer may still change (see above)"
    click.echo(f"wrote {output} ({len(job.png):,} bytes, {state})")
    if job.missing:
        click.echo("missing glyphs: " + " ".join(f"U+{ord(c):04X}" for c in job.missing), err=True)


@main.command()
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--template", "-t", "only", multiple=True, help="Only this template (repeatable).")
def gallery(output: Path, only: tuple[str, ...]) -> None:
    """Render every template x preset x sample content (short and long text, four scripts, with and
    without brand colour) into PNGs and one contact sheet, OUTPUT/index.html."""
    from . import gallery as contact

    try:
        cards = contact.build(output, only, progress=lambda card: click.echo(card.file, err=True))
    except OgsError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"wrote {len(cards)} cards and {output / 'index.html'}")


@main.command()
@click.argument("template")
@_field_option
@_size_option
@click.option("--base-url", default="", help="Prefix for the printed URL, e.g. https://og.example.com")
def sign(template: str, fields: tuple[str, ...], size: str | None, base_url: str) -> None:
    """Print the signed path+query for a card (signed with the first of OGS_SIGNING_KEYS)."""
    from .signing import sign_url

    settings = _settings()
    params = _fields(fields) + ([("size", size)] if size else [])
    click.echo(base_url.rstrip("/") + sign_url(settings.keys()[0], f"/og/{template}.png", params))


@main.command()
@click.option("--host", default=None, help="Interface to bind (OGS_HOST).")
@click.option("--port", type=int, default=None, help="Port (OGS_PORT).")
@click.option("--workers", type=int, default=None, help="gunicorn workers (OGS_WORKERS).")
@click.option("--dev", is_flag=True, default=None, help="Dev mode: unsigned URLs, built-in key.")
@click.option("--with-worker", is_flag=True, help="Also run one AI layer worker, stopped with the server.")
def serve(
    host: str | None, port: int | None, workers: int | None, dev: bool | None, with_worker: bool
) -> None:
    """Run the production server (gunicorn) and print a ready-to-open example URL."""
    from .layers.companion import companion_worker
    from .server import run_server

    settings = _settings(host=host, port=port, workers=workers, dev=dev)
    if not with_worker:
        run_server(settings)
        return
    with companion_worker(settings) as worker:
        run_server(settings, worker_starting=worker is not None)


@main.command()
@click.option("--burst", is_flag=True, help="Quit once the queue is empty (for scripts and tests).")
@click.option("--name", default=None, help="Worker name (default: RQ's host.pid).")
def worker(burst: bool, name: str | None) -> None:
    """Run a worker that makes AI layers (model calls, OCR check) from the Redis queue."""
    import redis

    from .layers.worker import run_worker

    settings = _settings()
    try:
        run_worker(settings, burst=burst, name=name)
    except redis.ConnectionError as exc:
        raise click.ClickException(f"no Redis at {settings.redis_url}: {exc}") from None


def _register_commands() -> None:
    """Commands that live next to the code they drive (gateway, benchmarks)."""
    from .bench import bench
    from .gateway import cli_route, cli_run
    from .tenants import cli as cli_keys

    bench.add_command(cli_run.models)
    main.add_command(bench)
    for command in (*cli_route.COMMANDS, *cli_run.COMMANDS, *cli_keys.COMMANDS):
        main.add_command(command)


_register_commands()


if __name__ == "__main__":
    main()
