"""The service's exception tree; each class carries its HTTP status and a public message.

    OgsError                       500  (never raised for user input)
    ├── BadRequest                 400  malformed query, field or size
    │   └── UnprocessableField     422  a well-formed value the template cannot use
    ├── Unauthorized               401  missing, unknown, malformed or revoked API key
    ├── Forbidden                  403  missing or invalid signature
    ├── NotFound                   404  unknown template or asset
    ├── PayloadTooLarge            413  over-long query or text
    ├── TooManyRequests            429  an API key over its rate (Retry-After)
    └── ServiceUnavailable         503  a dependency is down and no local stand-in exists

Only `detail` and the extra fields ever reach a client, never a traceback; `headers()` adds the
response headers an error needs (Retry-After, WWW-Authenticate).
"""

from __future__ import annotations

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


class PayloadTooLarge(OgsError):
    status = 413
    title = "Payload too large"


class TooManyRequests(OgsError):
    status = 429
    title = "Too many requests"


class ServiceUnavailable(OgsError):
    status = 503
    title = "Service unavailable"
