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
from typing import Final, override
from urllib.parse import SplitResult, urlsplit

from shared.failures import Problem, ProblemKind, Refusal
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
_EXTRA_BLOCKED: Final[tuple[tuple[IPNetwork, Refusal], ...]] = (
    (ipaddress.ip_network("100.64.0.0/10"), Refusal.CARRIER_NAT),
    (ipaddress.ip_network("0.0.0.0/8"), Refusal.UNSPECIFIED),
    (ipaddress.ip_network("192.0.0.0/24"), Refusal.RESERVED),
    (ipaddress.ip_network("198.18.0.0/15"), Refusal.RESERVED),
)


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    refusal: Refusal | None = None
    """Why the URL was refused (the gateway words it)."""
    host: str | None = None
    """The host (or connected address) the refusal is about, for logs."""

    def problem(self, *, redirect: bool = False) -> Problem:
        """A refusal as it travels to the gateway."""
        return Problem(kind=ProblemKind.REFUSED, refusal=self.refusal, redirect=redirect)

    @override
    def __str__(self) -> str:
        """For logs: `private (10.0.0.1)`."""
        if self.allowed:
            return "allowed"
        refusal = self.refusal.value if self.refusal is not None else "refused"
        return f"{refusal} ({self.host})" if self.host else refusal


ALLOWED: Final = Verdict(allowed=True)


def refused(refusal: Refusal, host: str | None = None) -> Verdict:
    return Verdict(allowed=False, refusal=refusal, host=host)


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


def blocked_reason(ip: IPAddress) -> Refusal | None:
    """Why an address must not be fetched from, or None for a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return blocked_reason(embedded)
    checks = (
        (ip in _METADATA, Refusal.METADATA),
        (ip.is_loopback, Refusal.LOOPBACK),
        (ip.is_link_local, Refusal.LINK_LOCAL),
        (ip.is_unspecified, Refusal.UNSPECIFIED),
        (ip.is_multicast, Refusal.MULTICAST),
        (ip.is_private, Refusal.PRIVATE),
    )
    for hit, reason in checks:
        if hit:
            return reason
    for network, reason in _EXTRA_BLOCKED:
        if ip.version == network.version and ip in network:
            return reason
    if ip.is_reserved or not ip.is_global:
        return Refusal.NON_PUBLIC
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
            return refused(Refusal.NUMERIC_HOST, host)
        if ip is not None:
            return self._ip_verdict(ip)
        if host == "localhost" or host.endswith(_INTERNAL_SUFFIXES):
            return refused(Refusal.INTERNAL_HOST, host)
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
            return refused(Refusal.UNRESOLVABLE, host), ()
        verdict = self.check_addresses(host, addresses)
        return verdict, tuple(dict.fromkeys(addresses)) if verdict.allowed else ()

    def check_addresses(self, host: str, addresses: Sequence[str]) -> Verdict:
        if not addresses:
            return refused(Refusal.UNRESOLVABLE, host)
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
            return refused(Refusal.NOT_AN_ADDRESS, address[:64])
        return self._ip_verdict(ip)

    def _ip_verdict(self, ip: IPAddress) -> Verdict:
        if any(ip.version == net.version and ip in net for net in self._networks):
            return ALLOWED
        refusal = blocked_reason(ip)
        return ALLOWED if refusal is None else refused(refusal, str(ip))

    def _name_allowed(self, host: str) -> bool:
        return host in self._names

    def _parse(self, url: str) -> tuple[SplitResult | None, Verdict]:
        if len(url) > MAX_URL_LENGTH:
            return None, refused(Refusal.URL_TOO_LONG)
        if _BAD_CHARS.search(url):
            return None, refused(Refusal.BAD_CHARACTERS)
        return _split(url)


def _split(url: str) -> tuple[SplitResult | None, Verdict]:
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return None, refused(Refusal.UNPARSABLE)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        return None, refused(Refusal.LOCAL_FILE if scheme == "file" else Refusal.BAD_SCHEME)
    if "@" in parts.netloc:
        return None, refused(Refusal.CREDENTIALS)
    host = _host(parts)
    if not host or not (_HOST_CHARS.match(host) or _is_bracketed_ipv6(parts)):
        return None, refused(Refusal.NO_HOST, host[:253] or None)
    return parts, ALLOWED


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
