"""The URL guard against a table of hostile URLs; name resolution is faked, so no test here does DNS."""

from __future__ import annotations

import socket

import pytest

from shared.failures import Refusal
from worker.resolve.guard import UrlGuard, parse_ip

FAKE_DNS: dict[str, list[str]] = {
    "music.example": ["93.184.216.34"],
    "v6.example": ["2606:2800:220:1:248:1893:25c8:1946"],
    "metadata.google.internal": ["169.254.169.254"],
    "rebind.example": ["93.184.216.34", "127.0.0.1"],
    "private.example": ["10.1.2.3"],
    "cgnat.example": ["100.64.0.1"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "127.0.0.1.nip.io": ["127.0.0.1"],
    "xn--bcher-kva.example": ["93.184.216.34"],
    "xn--lcalhost-n4a.example": ["127.0.0.1"],
}


def fake_resolver(host: str, port: int) -> list[str]:
    try:
        return FAKE_DNS[host]
    except KeyError:
        raise socket.gaierror(socket.EAI_NONAME, host) from None


@pytest.fixture
def guard() -> UrlGuard:
    return UrlGuard((), resolver=fake_resolver)


HOSTILE = [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "ftp://music.example/a.mp3",
    "data:audio/mp3;base64,AAAA",
    "javascript:alert(1)",
    "gopher://127.0.0.1:6379/_INFO",
    "http://127.0.0.1/",
    "http://127.0.0.1:6379/",
    "http://127.1/",
    "http://0/",
    "http://0.0.0.0/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.0.0.1/",
    "http://0177.0.0.1/",
    "http://017700000001/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://foo.localhost/",
    "http://router.local/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://198.18.0.1/",
    "http://a@127.0.0.1/",
    "http://user:pass@music.example/",
    "http://music.example@127.0.0.1/",
    "http://music.example\\@127.0.0.1/",
    "http://127.0.0.1%2f@music.example/",
    "http://music.example /a.mp3",
    "http://music.example/\x00",
    "http://%31%32%37.0.0.1/",
    "http://rebind.example/",
    "http://private.example/",
    "http://cgnat.example/",
    "http://mapped.example/",
    "http://127.0.0.1.nip.io/",
    "http://löcalhost.example/",
    "http://does-not-resolve.example/",
    "http://music.example:99999/",
    "http:///nohost",
    "https://music.example/" + "a" * 2100,
]


@pytest.mark.parametrize("url", HOSTILE)
async def test_hostile_urls_are_refused(guard: UrlGuard, url: str) -> None:
    verdict = await guard.check(url)
    assert not verdict.allowed, url
    assert verdict.refusal is not None


@pytest.mark.parametrize(
    ("url", "refusal", "host"),
    [
        ("file:///etc/passwd", Refusal.LOCAL_FILE, None),
        ("gopher://127.0.0.1:6379/_INFO", Refusal.BAD_SCHEME, None),
        ("https://music.example/" + "a" * 2100, Refusal.URL_TOO_LONG, None),
        ("http://music.example /a.mp3", Refusal.BAD_CHARACTERS, None),
        ("http://music.example:99999/", Refusal.UNPARSABLE, None),
        ("http://a@127.0.0.1/", Refusal.CREDENTIALS, None),
        ("http:///nohost", Refusal.NO_HOST, None),
        ("http://0x7f000001/", Refusal.NUMERIC_HOST, "0x7f000001"),
        ("http://router.local/", Refusal.INTERNAL_HOST, "router.local"),
        ("http://does-not-resolve.example/", Refusal.UNRESOLVABLE, "does-not-resolve.example"),
        ("http://metadata.google.internal/computeMetadata/v1/", Refusal.INTERNAL_HOST, "metadata.google.internal"),
        ("http://169.254.169.254/latest/meta-data/", Refusal.METADATA, "169.254.169.254"),
        ("http://[::ffff:127.0.0.1]/", Refusal.LOOPBACK, "::ffff:7f00:1"),
        ("http://rebind.example/", Refusal.LOOPBACK, "127.0.0.1"),
        ("http://[fe80::1]/", Refusal.LINK_LOCAL, "fe80::1"),
        ("http://0.0.0.0/", Refusal.UNSPECIFIED, "0.0.0.0"),
        ("http://224.0.0.1/", Refusal.MULTICAST, "224.0.0.1"),
        ("http://private.example/", Refusal.PRIVATE, "10.1.2.3"),
        ("http://cgnat.example/", Refusal.CARRIER_NAT, "100.64.0.1"),
    ],
)
async def test_a_refusal_says_its_kind_and_host(guard: UrlGuard, url: str, refusal: Refusal, host: str | None) -> None:
    verdict = await guard.check(url)
    assert (verdict.allowed, verdict.refusal, verdict.host) == (False, refusal, host)


@pytest.mark.parametrize(
    "url",
    [
        "http://music.example/a.mp3",
        "https://music.example:8443/x?y=1",
        "https://v6.example/",
        "http://93.184.216.34/",
        "http://bücher.example/",
    ],
)
async def test_public_urls_are_allowed(guard: UrlGuard, url: str) -> None:
    assert (await guard.check(url)).allowed


async def test_allow_list_takes_hosts_and_networks() -> None:
    guard = UrlGuard(("127.0.0.1", "10.0.0.0/8", "LocalHost"), resolver=fake_resolver)
    assert (await guard.check("http://127.0.0.1:8765/media/a.mp3")).allowed
    assert (await guard.check("http://10.9.8.7/")).allowed
    assert (await guard.check("http://localhost/")).allowed
    assert (await guard.check("http://private.example/")).allowed
    assert not (await guard.check("http://127.0.0.2/")).allowed
    assert not (await guard.check("http://2130706433/")).allowed
    assert not (await guard.check("http://0x7f.0.0.1/")).allowed
    assert not (await guard.check("http://192.168.0.1/")).allowed
    assert not (await guard.check("file:///etc/passwd")).allowed


async def test_slow_resolution_times_out() -> None:
    def slow(host: str, port: int) -> list[str]:
        import time

        time.sleep(0.5)
        return ["93.184.216.34"]

    guard = UrlGuard((), resolver=slow, timeout_s=0.05)
    verdict = await guard.check("http://slow.example/")
    assert not verdict.allowed
    assert verdict.refusal is Refusal.UNRESOLVABLE


def test_peer_check_sees_the_connected_address(guard: UrlGuard) -> None:
    assert guard.check_peer("music.example", "93.184.216.34").allowed
    assert not guard.check_peer("music.example", "127.0.0.1").allowed
    assert not guard.check_peer("music.example", "::ffff:10.0.0.1").allowed


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("0177.0.0.01", "127.0.0.1"), ("[::1]", "::1")],
)
def test_ip_spellings_parse_like_getaddrinfo(spelling: str, expected: str) -> None:
    assert str(parse_ip(spelling)) == expected


def test_names_are_not_ips() -> None:
    assert parse_ip("music.example") is None
    assert parse_ip("deadbeef") is None
