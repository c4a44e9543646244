"""The service's exception tree; each class carries its HTTP status and a public message.

    OgsError                       500  (never raised for user input)
    ├── BadRequest                 400  malformed query, field or size
    │   └── UnprocessableField     422  a well-formed value the template cannot use
    │       ├── ImageUrlRefused    422  an image URL the fetch policy refuses (scheme, port, address...)
    │       ├── ByteLimitUnreachable 422 no encoding of the card fits in the max_bytes asked for
    │       └── ImageUrlFailed     422  an image URL whose host does not exist or answers a 4xx
    ├── Unauthorized               401  missing, unknown, malformed or revoked API key
    ├── Forbidden                  403  missing or invalid signature
    ├── NotFound                   404  unknown template or asset
    ├── PayloadTooLarge            413  over-long query, text or body
    │   └── ImageTooLarge          413  an image over the byte or pixel cap
    ├── UriTooLong                 414  request line past the server's limit
    ├── UnsupportedMediaType       415
    │   └── NotAnImage             415  bytes that do not decode as a supported image
    ├── TooManyRequests            429  an API key over its rate (Retry-After)
    ├── HeaderFieldsTooLarge       431  too many, or too long, header fields
    ├── BadGateway                 502  an image host failed: refused connection, TLS, 5xx, broken HTTP
    ├── ServiceUnavailable         503  a dependency is down and no local stand-in exists
    └── GatewayTimeout             504  an image host did not answer within the deadline

An image host that fails or is slow gets a 5xx although the user chose the URL: the URL itself is
valid, and a 5xx tells the client that trying again later may work, which a 4xx would deny.
Only `detail` and the extra fields ever reach a client, never a traceback; `headers()` adds the
response headers an error needs (Retry-After, WWW-Authenticate).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class OgsError(Exception):
    """Base of every error the web layer turns into application/problem+json."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def problem(self, instance: str = "") -> dict[str, Any]:
        """RFC 9457 problem document."""
        body: dict[str, Any] = {
            "type": f"https://ogservice.dev/problems/{self.slug()}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body

    def headers(self) -> dict[str, str]:
        """Response headers of this error: Retry-After when the client should come back later."""
        return {"Retry-After": str(self.extra["retry_after"])} if "retry_after" in self.extra else {}

    @classmethod
    def slug(cls) -> str:
        return "".join("-" + c.lower() if c.isupper() else c for c in cls.__name__).lstrip("-")


class BadRequest(OgsError):
    status = 400
    title = "Bad request"


class UnprocessableField(BadRequest):
    status = 422
    title = "Unprocessable field"


class Unauthorized(OgsError):
    """401 with the RFC 6750 challenge: no error code when no credentials came, else `error`
    ("invalid_token" or "invalid_request") and the detail's first clause as its description."""

    status = 401
    title = "Unauthorized"

    def __init__(self, detail: str, error: str | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.error = error

    def headers(self) -> dict[str, str]:
        challenge = 'Bearer realm="ogservice"'
        if self.error:  # the description is the detail's first clause; the rest is advice for people
            description = self.detail.split(":")[0].replace("\\", "").replace('"', "'")
            challenge += f', error="{self.error}", error_description="{description}"'
        return {**super().headers(), "WWW-Authenticate": challenge}


class Forbidden(OgsError):
    status = 403
    title = "Forbidden"


class NotFound(OgsError):
    status = 404
    title = "Not found"


class Conflict(OgsError):
    status = 409
    title = "Conflict"


class PayloadTooLarge(OgsError):
    status = 413
    title = "Payload too large"


class UriTooLong(OgsError):
    status = 414
    title = "URI too long"


class HeaderFieldsTooLarge(OgsError):
    status = 431
    title = "Request header fields too large"


class ImageUrlRefused(UnprocessableField):
    title = "Image URL refused"


class ByteLimitUnreachable(UnprocessableField):
    title = "Byte limit unreachable"


class ImageUrlFailed(UnprocessableField):
    title = "Image URL failed"


class ImageTooLarge(PayloadTooLarge):
    title = "Image too large"


class UnsupportedMediaType(OgsError):
    status = 415
    title = "Unsupported media type"


class NotAnImage(UnsupportedMediaType):
    title = "Not an image"


class BadGateway(OgsError):
    status = 502
    title = "Bad gateway"


class GatewayTimeout(OgsError):
    status = 504
    title = "Gateway timeout"


class TooManyRequests(OgsError):
    status = 429
    title = "Too many requests"


class ServiceUnavailable(OgsError):
    status = 503
    title = "Service unavailable"


def error_for_status(status: int, title: str, detail: str) -> OgsError:
    """The error another layer (werkzeug, the HTTP server) reported, as one of this tree's classes."""
    for cls in _tree(OgsError):
        if cls.status == status and cls.__module__ == __name__:
            return cls(detail)
    generic = OgsError(detail)
    generic.status, generic.title = status, title
    return generic


def _tree(cls: type[OgsError]) -> Iterator[type[OgsError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _tree(sub)
