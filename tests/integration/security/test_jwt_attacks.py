"""Forged, stale and malformed bearer tokens: every one is a 401 problem with `WWW-Authenticate`."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bbws.core.issuer import KEY_FILE
from tests.support.api import ApiHarness, rid

PROTECTED = "/v1.0/tenants"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(obj: dict[str, Any]) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


@functools.cache
def server_key(api: ApiHarness) -> rsa.RSAPrivateKey:
    """The issuer's private key, read from the data dir where the server keeps it."""
    key = serialization.load_pem_private_key((api.settings.data_dir / KEY_FILE).read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@functools.cache
def kid(api: ApiHarness) -> str:
    return str(api.client.get("/.well-known/jwks.json").json()["keys"][0]["kid"])


def claims(api: ApiHarness, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": api.settings.issuer,
        "aud": api.settings.audience,
        "sub": rid("attacker"),
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "cognito:groups": ["platform-admin"],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def signed(api: ApiHarness, payload: dict[str, Any], *, key: Any = None, header_kid: str | None = "") -> str:
    headers = {"kid": kid(api) if header_kid == "" else header_kid} if header_kid is not None else {}
    return jwt.encode(payload, key or server_key(api), algorithm="RS256", headers=headers)


def assert_401(r: Any, what: str) -> None:
    assert r.status_code == 401, f"{what}: {r.status_code} {r.text[:300]}"
    assert r.headers["content-type"].startswith("application/problem+json"), what
    assert r.headers["www-authenticate"].startswith("Bearer"), what
    body = r.json()
    assert body["code"] == "UNAUTHORIZED" and body["status"] == 401 and body["requestId"], what
    assert "Traceback" not in r.text


def attacks(api: ApiHarness) -> dict[str, dict[str, str]]:
    """name -> request headers carrying the attack."""
    good = signed(api, claims(api))
    head, payload, signature = good.split(".")
    public_pem = (
        server_key(api)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    hs_head = segment({"alg": "HS256", "typ": "JWT", "kid": kid(api)})
    hs_signing_input = f"{hs_head}.{segment(claims(api))}"
    hs_signature = b64(hmac.new(public_pem, hs_signing_input.encode(), hashlib.sha256).digest())
    none_token = f"{segment({'alg': 'none', 'typ': 'JWT', 'kid': kid(api)})}.{segment(claims(api))}."
    weak = api.token(rid("user"))
    w_head, _, w_signature = weak.split(".")
    w_claims = json.loads(base64.urlsafe_b64decode(weak.split(".")[1] + "=="))
    escalated = segment({**w_claims, "cognito:groups": ["platform-admin"]})
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bearer = {
        "alg none": none_token,
        "alg none without signature part": none_token.rstrip("."),
        "alg none, upper case": f"{segment({'alg': 'NONE', 'kid': kid(api)})}.{segment(claims(api))}.",
        "HS256 signed with the public key": f"{hs_signing_input}.{hs_signature}",
        "expired": signed(api, claims(api, iat=int(time.time()) - 7200, nbf=None, exp=int(time.time()) - 120)),
        "expired, minted by the issuer": api.token(rid("user"), groups=["platform-admin"], ttl=-120),
        "not yet valid": signed(api, claims(api, nbf=int(time.time()) + 3600)),
        "wrong issuer": signed(api, claims(api, iss="https://evil.example")),
        "no issuer": signed(api, claims(api, iss=None)),
        "wrong audience": signed(api, claims(api, aud="another-api")),
        "no audience": signed(api, claims(api, aud=None)),
        "tampered payload": f"{w_head}.{escalated}.{w_signature}",
        "signature of another token": f"{head}.{segment(claims(api, sub='someone-else'))}.{signature}",
        "unknown kid": signed(api, claims(api), header_kid="not-a-known-key"),
        "no kid": signed(api, claims(api), header_kid=None),
        "another RSA key with the same kid": signed(api, claims(api), key=other_key),
        "RS512 with the right key": jwt.encode(
            claims(api), server_key(api), algorithm="RS512", headers={"kid": kid(api)}
        ),
        "no sub": signed(api, claims(api, sub=None)),
        "no exp": signed(api, claims(api, exp=None)),
        "garbage": "garbage",
        "three garbage parts": "a.b.c",
        "empty parts": "..",
        "base64 junk": f"{b64(b'not json')}.{b64(b'nor this')}.{b64(b'sig')}",
        "truncated": good[: len(good) // 2],
        "signature stripped": f"{head}.{payload}.",
    }
    headers = {name: {"Authorization": f"Bearer {token}"} for name, token in bearer.items()}
    headers["no header"] = {}
    headers["wrong scheme"] = {"Authorization": f"Basic {good}"}
    headers["token scheme"] = {"Authorization": f"Token {good}"}
    headers["bearer without token"] = {"Authorization": "Bearer "}
    headers["bearer alone"] = {"Authorization": "Bearer"}
    headers["empty header"] = {"Authorization": ""}
    return headers


def test_every_attack_is_a_401(api: ApiHarness) -> None:
    tenant = api.create_tenant()
    cases = attacks(api)
    assert len(cases) >= 25
    for name, headers in cases.items():
        assert_401(api.client.get(PROTECTED, headers=headers), f"GET {PROTECTED}: {name}")
        assert_401(api.client.get(f"/v1.0/tenants/{tenant['tenantId']}", headers=headers), f"GET tenant: {name}")
        body = {"organizationName": rid("Evil"), "contactEmail": "evil@example.com"}
        assert_401(api.client.post(PROTECTED, json=body, headers=headers), f"POST {PROTECTED}: {name}")
    listed = api.client.get(PROTECTED, headers=api.admin()).json()["items"]
    assert [t["tenantId"] for t in listed] == [tenant["tenantId"]], "an attack created a tenant"


def test_a_valid_token_passes(api: ApiHarness) -> None:
    r = api.client.get(PROTECTED, headers={"Authorization": f"Bearer {signed(api, claims(api))}"})
    assert r.status_code == 200, r.text
    lower_case_scheme = {"Authorization": f"bearer {signed(api, claims(api))}"}
    assert api.client.get(PROTECTED, headers=lower_case_scheme).status_code == 200


def test_expiry_leeway_is_small(api: ApiHarness) -> None:
    just_expired = signed(api, claims(api, exp=int(time.time()) - 5))
    assert api.client.get(PROTECTED, headers={"Authorization": f"Bearer {just_expired}"}).status_code == 200
    long_expired = signed(api, claims(api, exp=int(time.time()) - 300))
    assert_401(api.client.get(PROTECTED, headers={"Authorization": f"Bearer {long_expired}"}), "5 minutes past")


def test_an_audience_list_containing_ours_is_accepted(api: ApiHarness) -> None:
    token = signed(api, claims(api, aud=["other", api.settings.audience]))
    assert api.client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize(
    "groups",
    [
        ["platform-superuser"],
        ["admin", "ADMIN"],
        ["Platform-Admin"],
        ["platform-admin "],
        "platform-admin",  # a string, not a list
        {"platform-admin": True},
        [["platform-admin"]],
        [],
    ],
)
def test_unknown_groups_do_not_make_a_platform_admin(api: ApiHarness, groups: Any) -> None:
    token = signed(api, claims(api, **{"cognito:groups": groups}))
    body = {"organizationName": rid("Org"), "contactEmail": "ops@example.com"}
    r = api.client.post(PROTECTED, json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "FORBIDDEN"


def test_the_401_does_not_echo_the_token(api: ApiHarness) -> None:
    forged = signed(api, claims(api, iss="https://evil.example"))
    r = api.client.get(PROTECTED, headers={"Authorization": f"Bearer {forged}"})
    assert_401(r, "wrong issuer")
    assert forged not in r.text
