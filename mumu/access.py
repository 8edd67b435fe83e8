"""Who may read a recording's pages: a bearer token, or a link signed to expire.

A recording's transcript and notes are among the most confidential data a team keeps, so
nothing is served without a credential, also when nothing is configured. Tokens are
several at once, so a new one can be handed out before the old one is withdrawn, and
each is compared in constant time. A link (what notices, run artifacts and
``mumu link`` hand out) carries its expiry and an HMAC-SHA256 over its path and that
expiry: it opens that page only, until then, for whoever holds it, as object stores'
pre-signed URLs do. Credentials are judged before the database is asked, so neither the
answer nor its timing tells which recordings exist.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import urlencode

from pydantic import SecretStr

EXPIRY = re.compile(r"[1-9][0-9]{0,11}")


@dataclass(frozen=True)
class AccessConfig:
    """The credentials the sidecar takes and the links mumu issues."""

    tokens: tuple[SecretStr, ...] = ()
    link_key: SecretStr | None = None
    link_ttl_s: float = 7 * 24 * 3600.0
    public_url: str | None = field(default=None)


class Verdict(Enum):
    ALLOWED = "allowed"
    NO_CREDENTIAL = "a token or a signed link is needed"
    BAD_SIGNATURE = "the link's signature does not hold or it has expired"


def signature(key: SecretStr, path: str, expires: int) -> str:
    message = f"{path}\n{expires}".encode()
    return hmac.new(key.get_secret_value().encode(), message, hashlib.sha256).hexdigest()


def signed_path(access: AccessConfig, path: str, now: float | None = None) -> str | None:
    """``path?expires=…&signature=…``, valid for ``link_ttl_s``; None without a key."""
    if access.link_key is None:
        return None
    return signed_until(
        access, path, int((time.time() if now is None else now) + access.link_ttl_s)
    )


def signed_until(access: AccessConfig, path: str, expires: int) -> str:
    """``path`` signed to open until ``expires`` (a link's own, for the pages it leads
    to); the bare path without a key."""
    if access.link_key is None:
        return path
    query = urlencode({"expires": expires, "signature": signature(access.link_key, path, expires)})
    return f"{path}?{query}"


def link(access: AccessConfig, path: str, now: float | None = None) -> str | None:
    """The page at ``public_url``, signed when there is a key (else it opens with a
    token only); None when the sidecar has no public address."""
    if not access.public_url:
        return None
    return access.public_url.rstrip("/") + (signed_path(access, path, now) or path)


def judge(
    access: AccessConfig,
    path: str,
    authorization: str | None,
    expires: str | None,
    given_signature: str | None,
    now: float | None = None,
) -> Verdict:
    """Whether a request for ``path`` may be answered: a bearer token that is one of the
    tokens, or a signature over this path whose expiry has not passed."""
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and _known_token(access, token.strip()):
            return Verdict.ALLOWED
        return Verdict.NO_CREDENTIAL
    if expires is None and given_signature is None:
        return Verdict.NO_CREDENTIAL
    if access.link_key is None or expires is None or given_signature is None:
        return Verdict.BAD_SIGNATURE
    if not EXPIRY.fullmatch(expires):  # one spelling per moment: "+1", "1_0", " 1" are not
        return Verdict.BAD_SIGNATURE
    deadline = int(expires)
    expected = signature(access.link_key, path, deadline)
    fresh = deadline >= (time.time() if now is None else now)
    if hmac.compare_digest(expected.encode(), given_signature.encode("utf-8", "replace")) and fresh:
        return Verdict.ALLOWED
    return Verdict.BAD_SIGNATURE


def _known_token(access: AccessConfig, token: str) -> bool:
    """Every token is compared, in constant time, whichever matches."""
    given = token.encode("utf-8", "replace")
    found = False
    for known in access.tokens:
        found |= hmac.compare_digest(known.get_secret_value().encode(), given)
    return found and bool(token)
