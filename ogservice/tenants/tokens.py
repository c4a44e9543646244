"""API key tokens: `ogs_live_<32 random base62><6 base62 CRC32>`, shown once, stored only as sha256.

The format follows GitHub's and Stripe's: a fixed prefix says whose secret it is (secret scanners
and people recognise it; a key pasted into the wrong place stands out), the random part carries
~190 bits of entropy, and the trailing checksum lets the server refuse a mistyped or truncated
key without a Redis round trip (and lets a scanner check a match offline).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib

PREFIX = "ogs_live_"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
RANDOM_CHARS = 32  # 62**32 ~ 2**190
CHECKSUM_CHARS = 6  # 62**6 > 2**32
_SHAPE = re.compile(rf"{PREFIX}[0-9A-Za-z]{{{RANDOM_CHARS + CHECKSUM_CHARS}}}")


def new_token() -> str:
    """A fresh API key (print it once; store only `token_hash`)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    return PREFIX + body + _checksum(body)


def well_formed(token: str) -> bool:
    """True when `token` has the shape and checksum of a key this service issues."""
    if not _SHAPE.fullmatch(token):
        return False
    body = token[len(PREFIX) :]
    return secrets.compare_digest(body[RANDOM_CHARS:], _checksum(body[:RANDOM_CHARS]))


def token_hash(token: str) -> str:
    """The stored form of a key: hex sha256.

    A fast hash is the right tool here, not bcrypt/argon2: those are slow on purpose to protect
    low-entropy passwords from guessing, but a 190-bit random key cannot be guessed at any hash
    speed. bcrypt would add ~100 ms of CPU to every API request and, being salted, could not be
    looked up by its hash, so the key would need an embedded id.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def hint(token: str) -> str:
    """What `keys list` shows of a key: its prefix and last four characters (Stripe's convention)."""
    return f"{PREFIX}...{token[-4:]}"


def _checksum(body: str) -> str:
    value = zlib.crc32(body.encode())
    chars = []
    for _ in range(CHECKSUM_CHARS):
        value, digit = divmod(value, 62)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))
