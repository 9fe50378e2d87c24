"""The URL guard: which URLs the resolver may fetch (http/https to public addresses, or allow-listed hosts).

Three layers use it: `check()` before any yt-dlp call (parses the URL and resolves its host off the event loop with a
timeout), `check_static()` for every request and redirect yt-dlp makes (no DNS), and `check_peer()` on the address a
socket actually connected to, which also defeats DNS rebinding (see worker/resolve/ytdlp.py).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import SplitResult, urlsplit

from shared.models import MAX_URL_LENGTH

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
type IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
type HostResolver = Callable[[str, int], list[str]]
"""Blocking name resolution: host and port to IP address strings (runs in a thread)."""

SCHEMES: Final = frozenset({"http", "https"})
_HOST_CHARS: Final = re.compile(r"^[a-z0-9._-]+$")
_NUMERIC_HOST: Final = re.compile(r"^[0-9a-fx.]+$")
_BAD_CHARS: Final = re.compile(r"[\s\\\x00-\x1f\x7f]")
_INTERNAL_SUFFIXES: Final = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain")
_METADATA: Final = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE: Final = ipaddress.ip_network("::/96")
_EXTRA_BLOCKED: Final[tuple[tuple[IPNetwork, str], ...]] = (
    (ipaddress.ip_network("100.64.0.0/10"), "a carrier-grade NAT address"),
    (ipaddress.ip_network("0.0.0.0/8"), "an unspecified address"),
    (ipaddress.ip_network("192.0.0.0/24"), "a reserved address"),
    (ipaddress.ip_network("198.18.0.0/15"), "a reserved address"),
)


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    reason: str = ""
    """Why the URL was refused, safe to show the user."""


ALLOWED: Final = Verdict(allowed=True)


def system_resolver(host: str, port: int) -> list[str]:
    """getaddrinfo, as the HTTP client will do it."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def parse_ip(host: str) -> IPAddress | None:
    """An IP literal in any spelling getaddrinfo accepts: dotted, decimal, octal, hex, short forms, IPv6."""
    host = host.strip("[]").lower()
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def blocked_reason(ip: IPAddress) -> str | None:
    """Why an address must not be fetched from, or None for a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return blocked_reason(embedded)
    checks = (
        (ip in _METADATA, "a cloud metadata address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
    )
    for hit, reason in checks:
        if hit:
            return reason
    for network, reason in _EXTRA_BLOCKED:
        if ip.version == network.version and ip in network:
            return reason
    if ip.is_reserved or not ip.is_global:
        return "a non-public address"
    return None


class UrlGuard:
    """Decides whether a URL may be fetched; `allowed_hosts` holds host names or IP networks (CIDR or single IPs)."""

    def __init__(
        self,
        allowed_hosts: Iterable[str] = (),
        *,
        resolver: HostResolver = system_resolver,
        timeout_s: float = 3.0,
    ) -> None:
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in allowed_hosts:
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                names.add(entry.lower().rstrip("."))
        self._names: Final = frozenset(names)
        self._networks: Final = tuple(networks)
        self._resolver = resolver
        self._timeout_s = timeout_s

    def check_static(self, url: str) -> Verdict:
        """Everything that needs no DNS: length, characters, scheme, userinfo, host syntax, literal IPs."""
        parts, verdict = self._parse(url)
        if parts is None:
            return verdict
        host = _host(parts)
        if self._name_allowed(host):
            return ALLOWED
        ip = parse_ip(host)
        if ip is not None and not _canonical(host, ip):
            return Verdict(allowed=False, reason="numeric hosts must be written as plain IP addresses")
        if ip is not None:
            return self._ip_verdict(ip)
        if host == "localhost" or host.endswith(_INTERNAL_SUFFIXES):
            return Verdict(allowed=False, reason="that host is internal")
        return ALLOWED

    async def check(self, url: str) -> Verdict:
        """`check_static` plus name resolution (off the loop, with a timeout): every address must be public."""
        verdict = self.check_static(url)
        if not verdict.allowed:
            return verdict
        host = _host(urlsplit(url))
        if self._name_allowed(host) or parse_ip(host) is not None:
            return verdict
        verdict, _ = await self.resolve_checked(url)
        return verdict

    async def resolve_checked(self, url: str) -> tuple[Verdict, tuple[str, ...]]:
        """The addresses to connect to for `url`, each one checked; allow-listed names are resolved too.

        For clients that connect to the addresses themselves (worker/resolve/proxy.py): nothing is looked up
        again between this check and the connect, so a name that changes its answer cannot slip through.
        """
        verdict = self.check_static(url)
        if not verdict.allowed:
            return verdict, ()
        parts = urlsplit(url)
        host = _host(parts)
        literal = parse_ip(host)
        if literal is not None:
            return verdict, (str(literal),)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._timeout_s):
                addresses = await loop.run_in_executor(None, self._resolver, host, port)
        except (OSError, TimeoutError):
            return Verdict(allowed=False, reason="that host name could not be resolved"), ()
        verdict = self.check_addresses(host, addresses)
        return verdict, tuple(dict.fromkeys(addresses)) if verdict.allowed else ()

    def check_addresses(self, host: str, addresses: Sequence[str]) -> Verdict:
        if not addresses:
            return Verdict(allowed=False, reason="that host name could not be resolved")
        for address in addresses:
            verdict = self.check_peer(host, address)
            if not verdict.allowed:
                return verdict
        return ALLOWED

    def check_peer(self, host: str, address: str) -> Verdict:
        """The address a connection to `host` actually reached."""
        if self._name_allowed(host.lower().rstrip(".")):
            return ALLOWED
        ip = parse_ip(address)
        if ip is None:
            return Verdict(allowed=False, reason="the address is not an IP address")
        return self._ip_verdict(ip)

    def _ip_verdict(self, ip: IPAddress) -> Verdict:
        if any(ip.version == net.version and ip in net for net in self._networks):
            return ALLOWED
        reason = blocked_reason(ip)
        if reason is None:
            return ALLOWED
        return Verdict(allowed=False, reason=f"that host points to {reason}")

    def _name_allowed(self, host: str) -> bool:
        return host in self._names

    def _parse(self, url: str) -> tuple[SplitResult | None, Verdict]:
        parts: SplitResult | None = None
        if len(url) > MAX_URL_LENGTH:
            reason = "that URL is too long"
        elif _BAD_CHARS.search(url):
            reason = "that URL contains characters that are not allowed"
        else:
            parts, reason = _split(url)
        if parts is None:
            return None, Verdict(allowed=False, reason=reason)
        return parts, ALLOWED


def _split(url: str) -> tuple[SplitResult | None, str]:
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return None, "that URL does not parse"
    if parts.scheme.lower() not in SCHEMES:
        return None, "only http and https links can be played"
    if "@" in parts.netloc:
        return None, "links with a user name or password are not allowed"
    host = _host(parts)
    if not host or not (_HOST_CHARS.match(host) or _is_bracketed_ipv6(parts)):
        return None, "that URL has no valid host"
    return parts, ""


def _canonical(host: str, ip: IPAddress) -> bool:
    """Decimal, octal, hex and short IPv4 spellings are refused: no real link uses them, SSRF payloads do."""
    return isinstance(ip, ipaddress.IPv6Address) or host == str(ip)


def _host(parts: SplitResult) -> str:
    """The lower-case host without a trailing dot; international names in their IDNA (punycode) form."""
    host = (parts.hostname or "").lower().rstrip(".")
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def _is_bracketed_ipv6(parts: SplitResult) -> bool:
    return parts.netloc.startswith("[") and parse_ip(_host(parts)) is not None
