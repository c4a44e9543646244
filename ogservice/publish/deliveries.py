"""Publish-hook payloads as one PublishPayload (generic, or Ghost's `post.published`), the card
fields they fill, and idempotency on post id + version.

A Ghost webhook cannot choose its body, so the template, sizes and extra fields of a Ghost
delivery come from the hook URL's query (`?tenant=acme&template=blog-post&sizes=og,square`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import redis

from ..cards.templates import Template
from .models import GhostWebhook, PublishPayload

IDEMPOTENCY_TTL_S = 90 * 86400  # a CMS retrying a delivery later than this renders it again
_EXCERPT_CHARS = 280


def ghost_payload(webhook: GhostWebhook, query: Mapping[str, str]) -> dict[str, Any]:
    """Ghost's post.published body ({"post": {"current": {...}}}, validated) in the generic form."""
    current = webhook.post.current
    excerpt = current.custom_excerpt or current.excerpt or ""
    if len(excerpt) > _EXCERPT_CHARS:
        excerpt = excerpt[: _EXCERPT_CHARS - 1].rstrip() + "…"
    url = current.url or ""
    payload = {
        "post_id": current.id,
        "version": current.updated_at,
        "title": current.title,
        "subtitle": excerpt,
        "author": current.primary_author.name if current.primary_author else "",
        "site": urlsplit(url).hostname or "",
        "url": url,
        "tags": [t.name for t in current.tags if t.name][:32],
        "image_url": current.feature_image or "",
    }
    return {**payload, **query_options(query)}


def query_options(query: Mapping[str, str]) -> dict[str, Any]:
    """template, sizes (comma-separated), format and other fields (`field.NAME=value`) from the query."""
    options: dict[str, Any] = {}
    if "template" in query:
        options["template"] = query["template"]
    if "sizes" in query:
        options["sizes"] = [s for s in query["sizes"].split(",") if s]
    if "format" in query:
        options["format"] = query["format"]
    fields = {k.removeprefix("field."): v for k, v in query.items() if k.startswith("field.")}
    if fields:
        options["fields"] = fields
    return options


def card_fields(payload: PublishPayload, template: Template) -> dict[str, str]:
    """The post's values for the fields the template has (tag: the first tag), then `fields`."""
    values = {
        "title": payload.title,
        "subtitle": payload.subtitle,
        "author": payload.author,
        "site": payload.site,
        "tag": payload.tags[0] if payload.tags else "",
        "image": payload.image_url,
    }
    mapped = {k: v for k, v in values.items() if v and k in template.fields}
    return {**mapped, **payload.fields}


class Idempotency:
    """One job per tenant, post id and version, in every process (SET NX)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    def claim(self, tenant: str, post_id: str, version: str, job_id: str) -> str | None:
        """None when `job_id` now owns this post version; else the job that already did."""
        key = self._key(tenant, post_id, version)
        if self.client.set(key, job_id, nx=True, ex=IDEMPOTENCY_TTL_S):
            return None
        owner = self.client.get(key)
        return owner.decode() if owner else None

    def release(self, tenant: str, post_id: str, version: str, job_id: str) -> None:
        """Give the post version up if `job_id` still holds it (its job could not be started)."""
        try:
            key = self._key(tenant, post_id, version)
            if self.client.get(key) == job_id.encode():
                self.client.delete(key)
        except redis.RedisError:
            pass  # Redis is what failed; the claim expires with IDEMPOTENCY_TTL_S

    def _key(self, tenant: str, post_id: str, version: str) -> str:
        digest = hashlib.sha256(f"{post_id}\0{version}".encode()).hexdigest()
        return f"{self.prefix}hook:post:{tenant}:{digest}"
