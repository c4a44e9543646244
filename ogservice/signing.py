"""URL signing: HMAC-SHA256 over a canonical path + sorted query, with key rotation.

Canonical form (documented in the README so a CMS in any language can sign):
  message   = PATH + "?" + QUERY        (just PATH when there are no parameters)
  QUERY     = "&".join(enc(k) + "=" + enc(v) for k, v in sorted(params) if k != "s")
  enc       = RFC 3986 percent-encoding of the UTF-8 bytes; only A-Z a-z 0-9 - . _ ~ stay literal
  signature = base64url(HMAC-SHA256(key, message)) without "=" padding
Security decisions: the signature is removed from the *parsed* parameters by name, never by string
replacement (a peer's bypass, CVE-2026-53501); a repeated `s` is refused; every configured key is
tried with hmac.compare_digest so comparison time does not leak how much of a guess was right.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from urllib.parse import quote, urlencode

from .errors import Forbidden

SIGNATURE_PARAM = "s"


def _enc(text: str) -> str:
    return quote(text, safe="-._~")


def canonical(path: str, params: Iterable[tuple[str, str]]) -> str:
    """The exact string that is signed for this path and these (decoded) parameters."""
    pairs = sorted((k, v) for k, v in params if k != SIGNATURE_PARAM)
    query = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in pairs)
    return f"{path}?{query}" if query else path


def signature(key: str, path: str, params: Iterable[tuple[str, str]]) -> str:
    """base64url HMAC-SHA256 of the canonical form, unpadded."""
    digest = hmac.new(key.encode(), canonical(path, params).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_url(key: str, path: str, params: Sequence[tuple[str, str]]) -> str:
    """PATH?QUERY&s=SIGNATURE, ready to paste into <meta property="og:image">."""
    params = [(k, v) for k, v in params if k != SIGNATURE_PARAM]
    sig = signature(key, path, params)
    return f"{path}?{urlencode([*params, (SIGNATURE_PARAM, sig)], quote_via=quote)}"


def verify(keys: Sequence[str], path: str, params: Sequence[tuple[str, str]]) -> None:
    """Raise Forbidden unless exactly one `s` parameter matches a signature by one of `keys`."""
    given = [v for k, v in params if k == SIGNATURE_PARAM]
    if not given:
        raise Forbidden("missing signature: add the `s` parameter (see `ogservice sign`)")
    if len(given) > 1:
        raise Forbidden("more than one signature parameter")
    candidate = given[0].encode()
    matches = [hmac.compare_digest(candidate, signature(k, path, params).encode()) for k in keys]
    if not any(matches):
        raise Forbidden("invalid signature")
