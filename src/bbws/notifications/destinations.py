"""Where webhooks may go and what they may subscribe to: the URL's shape, the addresses its host resolves to
(never the platform's own network unless allowed), and event-type filters. Used when an endpoint is saved and
again at each delivery (DNS can change)."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from bbws.core.errors import UnprocessableEntity

EVENT_TYPE = re.compile(r"^bbws\.[a-z_]+\.([a-z_]+|\*)$")
Resolver = Callable[[str, int], list[str]]
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known prefix (RFC 6052): IPv4 in the last 32 bits
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


# -- rules (no I/O)


def check_url_shape(url: str) -> str:
    """An absolute http(s) URL with a host and no credentials (ValueError says what is wrong)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise ValueError("must be an absolute http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("must name a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not hold credentials; put a token in the path or query instead")
    if port == 0:
        raise ValueError("port 0 is not a valid port")
    return url


def check_event_types(types: list[str]) -> list[str]:
    """`*`, exact types or `bbws.{area}.*`; duplicates dropped, order kept."""
    bad = [t for t in types if t != "*" and not EVENT_TYPE.fullmatch(t)]
    if bad:
        raise ValueError(f"not event types: {', '.join(bad[:5])} (use *, bbws.tenant.parked or bbws.tenant.*)")
    return list(dict.fromkeys(types))


def address_refused(address: str, *, allow_private: bool) -> str | None:
    """Why a destination address is refused (SSRF), or None. `allow_private` admits loopback and private ranges."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is None:
            return _ipv6_refused(ip, allow_private=allow_private)
        ip = ip.ipv4_mapped
    return _range_refused(ip, allow_private=allow_private)


def _ipv6_refused(ip: ipaddress.IPv6Address, *, allow_private: bool) -> str | None:
    """IPv6 forms that carry an IPv4 address reach that address through a relay or translator, so it is judged
    too: a 6to4 of 127.0.0.1 is loopback whatever the IPv6 range tables of this Python say."""
    if ip in NAT64_LOCAL_USE:
        return "reserved"  # a network-specific translator: where it keeps the IPv4 address is not knowable here
    for form, carried in _carried_ipv4(ip):
        if why := _range_refused(carried, allow_private=allow_private):
            return f"{why} ({form} of {carried})"
    if ip.sixtofour is not None or ip in NAT64:
        return None  # a translation of an allowed IPv4 address
    if ip in IPV4_COMPATIBLE and not (ip.is_loopback or ip.is_unspecified):
        return "reserved"  # deprecated and never routed
    return _range_refused(ip, allow_private=allow_private)


def _carried_ipv4(ip: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    if ip.sixtofour is not None:
        return [("6to4", ip.sixtofour)]
    if ip.teredo is not None:
        return [("Teredo", address) for address in ip.teredo]  # the server, then the client
    last_32_bits = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in NAT64:
        return [("NAT64", last_32_bits)]
    if ip in IPV4_COMPATIBLE and not (ip.is_loopback or ip.is_unspecified):  # :: and ::1 are IPv6's own
        return [("IPv4-compatible", last_32_bits)]
    return []


def _range_refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_private: bool) -> str | None:
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:  # before `reserved`: ::1 lies in the reserved ::/8
        return None if allow_private else "loopback"
    for label, hit in (("link-local", ip.is_link_local), ("multicast", ip.is_multicast), ("reserved", ip.is_reserved)):
        if hit:  # never a webhook receiver, whatever the setting (169.254.169.254 is the cloud metadata service)
            return label
    if ip.is_private or not ip.is_global:
        return None if allow_private else "private"
    return None


# -- destination check (resolves the host)


def resolve_host(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def destination_addresses(url: str, *, allow_private: bool, resolve: Resolver = resolve_host) -> list[str]:
    """Every address the URL's host resolves to, when all are allowed; else 422 WEBHOOK_URL_NOT_ALLOWED."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise _refused(url, f"its host {host} does not resolve ({exc})") from exc
    reasons = {a: r for a in addresses if (r := address_refused(a, allow_private=allow_private))}
    if not addresses or reasons:
        why = ", ".join(f"{a} is {r}" for a, r in reasons.items()) or "no address"
        raise _refused(url, f"its host {host} resolves to an address webhooks may not reach ({why})")
    return addresses


def _refused(url: str, why: str) -> UnprocessableEntity:
    return UnprocessableEntity(
        f"The webhook URL {url} is not allowed: {why}.",
        code="WEBHOOK_URL_NOT_ALLOWED",
        errors=[{"field": "url", "message": why}],
    )
