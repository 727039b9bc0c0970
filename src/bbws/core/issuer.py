"""The built-in token issuer: an RSA key in the data dir, its JWKS, and tokens minted from it."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bbws.core.files import write_private

KEY_FILE = "signing-key.pem"


class LocalIssuer:
    def __init__(self, private_key: rsa.RSAPrivateKey, *, issuer: str, audience: str) -> None:
        self._key = private_key
        self.issuer = issuer
        self.audience = audience
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        self.kid = _thumbprint(jwk)
        self._jwk = {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}

    @classmethod
    def load_or_create(cls, data_dir: Path, *, issuer: str, audience: str) -> LocalIssuer:
        path = data_dir / KEY_FILE
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            write_private(path, pem)
        return cls(key, issuer=issuer, audience=audience)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._jwk]}

    def mint(
        self,
        sub: str,
        *,
        groups: list[str] | None = None,
        scope: str | None = None,
        email: str | None = None,
        ttl_seconds: int = 3600,
        extra: dict[str, Any] | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
            "token_use": "id",
        }
        if groups:
            claims["cognito:groups"] = groups
        if scope:
            claims["scope"] = scope
        if email:
            claims["email"] = email
        claims.update(extra or {})
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: a stable `kid` derived from the public key."""
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
