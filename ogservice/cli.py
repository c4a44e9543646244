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
_format_option = click.option(
    "--format", "format_name", default=None, help="png, jpg, webp or avif (render: -o's extension)."
)
_max_bytes_option = click.option(
    "--max-bytes", type=click.IntRange(min=1), default=None, help="Largest encoded size in bytes."
)


def _output_format(format_name: str | None, output: Path | None = None) -> str:
    """The format asked for, else the one the output file's extension names, else png."""
    from .cards.formats import parse_format

    name = format_name or (output.suffix.lstrip(".") if output and output.suffix else "png")
    try:
        return parse_format(name).name
    except OgsError as exc:
        hint = "--format" if format_name else "-o (or give --format)"
        raise click.BadParameter(exc.detail, param_hint=hint) from None


@main.command()
@click.argument("template")
@_field_option
@_size_option
@click.option("--seed", default=None, help="Background seed, up to 18 digits (default: from the content).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_format_option
@_max_bytes_option
def render(
    template: str,
    fields: tuple[str, ...],
    size: str | None,
    seed: str | None,
    output: Path,
    format_name: str | None,
    max_bytes: int | None,
) -> None:
    """Render one card to a file (PNG, JPEG, WebP or AVIF) and print the time of each step.

    With AI layers (bg=ai, lettering=ai) it waits for the final layers, showing what it waits for,
    then prints which model made each layer, its cost and time (or why it was set locally).
    """
    from .layers.cli_support import ProgressLine, card_service, final_wait_ms
    from .layers.report import describe, is_final

    settings = _settings(dev=True)
    fmt = _output_format(format_name, output)
    params = (
        _fields(fields)
        + ([("size", size)] if size else [])
        + ([("seed", seed)] if seed is not None else [])  # validated like the URL's seed
    )
    progress = ProgressLine()
    with card_service(settings) as service:
        wait = final_wait_ms(settings)
        try:
            job = service.run(
                template,
                params,
                wait + 60_000,
                layer_wait_ms=wait,
                progress=progress,
                format=fmt,
                max_bytes=max_bytes,
                crawler=False,
            )
        except OgsError as exc:
            raise click.ClickException(exc.detail) from None
        finally:
            progress.done()
    assert job.data is not None
    output.write_bytes(job.data)
    if job.layers and service.layers is not None:
        click.echo(service.layers.status(), err=True)
    width = max(map(len, job.timings), default=0)
    for name, ms in job.timings.items():
        click.echo(f"{name:>{width}}: {ms:7.2f} ms")
    for outcome in job.layers:
        click.echo(f"   layer {describe(outcome)}")
    state = "cache hit" if job.cache_hit else "rendered"
    state += "" if is_final(job.layers) else ", not final: a layer may still change (see above)"
    quality = f", quality {job.quality}" if job.quality is not None else ""
    click.echo(f"wrote {output} ({job.format.name}, {len(job.data):,} bytes{quality}, {state})")
    if job.missing:
        click.echo("missing glyphs: " + " ".join(f"U+{ord(c):04X}" for c in job.missing), err=True)


@main.command()
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--template", "-t", "only", multiple=True, help="Only this template (repeatable).")
def gallery(output: Path, only: tuple[str, ...]) -> None:
    """Render every template x preset x sample content (short and long text, six scripts, with and
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
@_format_option
@_max_bytes_option
@click.option(
    "--base-url", default=None, help="Prefix for the printed URL (default OGS_PUBLIC_URL; none: a path)."
)
def sign(
    template: str,
    fields: tuple[str, ...],
    size: str | None,
    format_name: str | None,
    max_bytes: int | None,
    base_url: str | None,
) -> None:
    """Print the signed URL of a card (signed with the first of OGS_SIGNING_KEYS): absolute when
    OGS_PUBLIC_URL or --base-url is set, else path+query."""
    from .signing import sign_url

    settings = _settings()
    params = (
        _fields(fields)
        + ([("size", size)] if size else [])
        + ([("max_bytes", str(max_bytes))] if max_bytes else [])
    )
    path = f"/og/{template}.{_output_format(format_name)}"
    base = settings.public_url if base_url is None else base_url.rstrip("/")
    click.echo(base + sign_url(settings.keys()[0], path, params))


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
@click.option("--exit-with-parent", type=int, default=None, hidden=True, help="serve --with-worker: its pid.")
def worker(burst: bool, name: str | None, exit_with_parent: int | None) -> None:
    """Run a worker that makes AI layers (model calls, OCR check) from the Redis queue."""
    import redis

    from .layers.parent_watch import exit_with_parent as watch_parent
    from .layers.worker import run_worker

    if exit_with_parent is not None:
        watch_parent(exit_with_parent)
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
