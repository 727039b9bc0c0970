"""Bearer-token verification: RS256 JWTs checked against a JWKS (the local issuer's or a Cognito pool's)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt

from bbws.core.errors import Unauthorized

LEEWAY_SECONDS = 30
PLATFORM_GROUPS = {"platform-admin": "ADMIN", "platform-operator": "OPERATOR", "platform-viewer": "VIEWER"}
_RANK = {"ADMIN": 3, "OPERATOR": 2, "VIEWER": 1}


@dataclass(frozen=True)
class Principal:
    """Who is calling: `sub`, the highest platform role from `cognito:groups`, and the token's scopes."""

    sub: str
    email: str | None = None
    platform_role: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    token_id: str = ""
    expires_at: float | None = None  # the token's `exp` (Unix time): long-lived answers (streams) end there

    def scoped(self, kind: str) -> set[str] | None:
        """Values of `kind:` scopes (`tenant`, `env`), or None when the token is not narrowed that way."""
        values = {s.split(":", 1)[1] for s in self.scopes if s.startswith(kind + ":")}
        return values or None


def platform_role(groups: Any) -> str | None:
    if not isinstance(groups, list):
        return None
    roles = [PLATFORM_GROUPS[g] for g in groups if isinstance(g, str) and g in PLATFORM_GROUPS]
    return max(roles, key=_RANK.__getitem__) if roles else None


class TokenVerifier:
    """Verifies signature (RS256 only), expiry, issuer and audience; any failure is a 401."""

    def __init__(self, *, issuer: str, audience: str, key_for: Callable[[str], Any], cache_size: int = 4096) -> None:
        self.issuer = issuer
        self.audience = audience
        self._key_for = key_for
        # A token is immutable: once its signature and claims have checked out, only its expiry can change
        # the answer. Remembering good tokens (expiry still checked on every use) halves the cost of auth.
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        with self._lock:
            hit = self._verified.get(token)
        if hit is not None and time.time() < hit[1] + LEEWAY_SECONDS:
            return hit[0]
        principal, expires = self._verify(token)
        with self._lock:
            self._verified[token] = (principal, expires)
            if len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("The bearer token is not a well-formed JWT.") from exc
        if header.get("alg") != "RS256":
            raise Unauthorized("The bearer token must be signed with RS256.")
        key = self._key_for(str(header.get("kid", "")))
        if key is None:
            raise Unauthorized("The bearer token was signed by an unknown key.")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss"], "verify_aud": False},
                leeway=LEEWAY_SECONDS,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The bearer token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"The bearer token is not valid: {exc}.") from exc
        # Cognito ID tokens carry `aud`; Cognito access tokens carry `client_id` instead.
        audiences = claims.get("aud", claims.get("client_id"))
        audiences = audiences if isinstance(audiences, list) else [audiences]
        if self.audience not in audiences:
            raise Unauthorized("The bearer token was issued for another audience.")
        scope = claims.get("scope", "")
        principal = Principal(
            sub=str(claims["sub"]),
            email=claims.get("email") if isinstance(claims.get("email"), str) else None,
            platform_role=platform_role(claims.get("cognito:groups")),
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            token_id=str(claims.get("jti") or hashlib.sha256(token.encode()).hexdigest()[:24]),
            expires_at=float(claims["exp"]),
        )
        return principal, float(claims["exp"])


def jwks_key_lookup(jwks: dict[str, Any]) -> Callable[[str], Any]:
    """A `key_for(kid)` over a static JWKS document."""
    keys = {k["kid"]: jwt.PyJWK(k).key for k in jwks.get("keys", []) if k.get("kty") == "RSA" and "kid" in k}
    return keys.get


def remote_jwks_lookup(url: str) -> Callable[[str], Any]:
    """A `key_for(kid)` over a remote JWKS (a Cognito user pool), cached by PyJWKClient."""
    client = jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)

    def key_for(kid: str) -> Any:
        try:
            return client.get_signing_key(kid).key
        except jwt.PyJWKClientError:
            return None

    return key_for
