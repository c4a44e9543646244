"""Command line: `ogservice serve | render | sign | route | generate | bench | sandbox`."""

from __future__ import annotations

import click


@click.group()
def main() -> None:
    """ogservice: Open Graph cards and promo banners, fast, cheap and spelled right."""
