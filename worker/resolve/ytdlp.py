"""The yt-dlp boundary: warm YoutubeDL instances in a bounded thread pool, with every HTTP request guarded.

yt-dlp is untyped and blocking. Everything here runs its calls in a thread pool of `threads` workers, each call
borrowing one of `threads` YoutubeDL instances (an instance is never used by two threads at once), and returns
plain dicts and lists, so lazy pages or generators never escape into async code.

Every request yt-dlp makes goes through `GuardedUrllibRH` (the only request handler an instance has): the URL and
each redirect target pass the guard's static check before they are requested, and every address a host name resolves
to passes `check_peer` before a socket is connected to it, so neither a redirect nor a host that (re-)resolves to a
private address (DNS rebinding) can reach an internal service, not even with a TCP handshake. File URLs are disabled.
`final_url` is how the resolver follows a stream's redirects for FFmpeg and ffprobe, which follow none themselves
(see worker/audio/ffmpeg_args.py); `request_headers` is what this stack sends, so they can present the same identity.
"""

from __future__ import annotations

import asyncio
import functools
import http.client
import inspect
import itertools
import logging
import queue
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

from yt_dlp import YoutubeDL
from yt_dlp.extractor import gen_extractor_classes
from yt_dlp.networking._helper import _socket_connect, create_connection
from yt_dlp.networking._urllib import (
    HTTPHandler,
    RedirectHandler,
    UrllibRH,
    _create_http_connection,
)
from yt_dlp.networking.common import Request
from yt_dlp.networking.exceptions import HTTPError, RequestError
from yt_dlp.utils import PagedList
from yt_dlp.utils.networking import HTTPHeaderDict, std_headers

from worker.resolve.failures import GuardRefusedError
from worker.resolve.guard import UrlGuard

_log: Final = logging.getLogger(__name__)

type InfoDict = dict[str, Any]

BASE_PARAMS: Final[Mapping[str, Any]] = {
    "quiet": True,
    "no_warnings": True,
    "noprogress": True,
    "socket_timeout": 10,
    "format": "bestaudio/best",
    "extract_flat": "in_playlist",
    "enable_file_urls": False,
    "default_search": "error",
    "cachedir": False,
    "check_formats": False,
    "noplaylist": False,
}
MAX_DOCUMENT_BYTES: Final = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """A response of `YtDlp.get`, error statuses included (the caller decides what a 404 or a 429 means)."""

    status: int
    text: str
    retry_after: str | None = None
    """The `Retry-After` header as sent."""


@dataclass(frozen=True, slots=True)
class Extraction:
    """A `process=False` extraction: the info dict without entries, and the entries already in hand."""

    info: InfoDict
    entries: list[InfoDict] | None
    """None for a single item; for a playlist the first entries (lazy sources) or all of them (documents)."""
    lazy: bool = False
    """The playlist is paged or generated: more entries need another extraction (`YtDlp.slice`)."""
    count: int | None = None
    """The playlist's length when known (documents always; paged sources when the extractor says)."""


class _YdlLogger:
    """Sends yt-dlp's output to logging instead of stderr."""

    def debug(self, msg: str) -> None:
        _log.debug("yt-dlp: %s", msg)

    def info(self, msg: str) -> None:
        _log.debug("yt-dlp: %s", msg)

    def warning(self, msg: str) -> None:
        _log.debug("yt-dlp warning: %s", msg)

    def error(self, msg: str) -> None:
        _log.debug("yt-dlp error: %s", msg)


def _guarded_connection(guard: UrlGuard, http_class: type, source_address: Any, *args: Any, **kwargs: Any) -> Any:
    conn = _create_http_connection(http_class, source_address, *args, **kwargs)
    conn._create_connection = functools.partial(_checked_connection, guard)
    return conn


def _checked_connection(guard: UrlGuard, address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
    """yt-dlp's `create_connection`, each resolved address checked by the guard before a socket is opened to it.

    The check sits between name resolution and connect, on the very address connected to: a host that resolves
    (or re-resolves, DNS rebinding) to a private address is refused before any packet leaves for it.
    """
    host = address[0]

    def connect(ip_addr: Any, timeout: Any, source_address: Any) -> socket.socket:
        verdict = guard.check_peer(host, str(ip_addr[4][0]))
        if not verdict.allowed:
            raise GuardRefusedError(verdict)
        sock: socket.socket = _socket_connect(ip_addr, timeout, source_address)
        return sock

    sock: socket.socket = create_connection(address, *args, _create_socket_func=connect, **kwargs)
    return sock


class _GuardedHTTPHandler(HTTPHandler):  # type: ignore[misc]  # yt_dlp is untyped
    def __init__(self, guard: UrlGuard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._guard = guard

    def http_open(self, req: urllib.request.Request) -> Any:
        conn_class = self._make_conn_class(http.client.HTTPConnection, req)
        factory = functools.partial(_guarded_connection, self._guard, conn_class, self._source_address)
        return self.do_open(factory, req)

    def https_open(self, req: urllib.request.Request) -> Any:
        conn_class = self._make_conn_class(http.client.HTTPSConnection, req)
        factory = functools.partial(_guarded_connection, self._guard, conn_class, self._source_address)
        return self.do_open(factory, req, context=self._context)


class _GuardedRedirectHandler(RedirectHandler):  # type: ignore[misc]  # yt_dlp is untyped
    def __init__(self, guard: UrlGuard) -> None:
        super().__init__()
        self._guard = guard

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        verdict = self._guard.check_static(newurl)
        if not verdict.allowed:
            fp.close()  # urllib closes the redirect's response only after following it
            raise urllib.error.URLError(GuardRefusedError(verdict, redirect=True))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class GuardedUrllibRH(UrllibRH):  # type: ignore[misc]  # yt_dlp is untyped
    """yt-dlp's urllib handler restricted to http(s), with the guard on URLs, redirects and connected peers."""

    _SUPPORTED_URL_SCHEMES = ("http", "https")
    guard: UrlGuard

    def __init__(self, **kwargs: Any) -> None:
        kwargs["enable_file_urls"] = False
        super().__init__(**kwargs)

    def _create_instance(self, proxies: Any, cookiejar: Any, legacy_ssl_support: Any = None) -> Any:
        opener = urllib.request.OpenerDirector()
        context = self._make_sslcontext(legacy_ssl_support=legacy_ssl_support)
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.ProxyHandler(proxies),
            _GuardedHTTPHandler(self.guard, context=context, source_address=self.source_address),
            urllib.request.HTTPCookieProcessor(cookiejar),
            urllib.request.UnknownHandler(),
            urllib.request.HTTPDefaultErrorHandler(),
            urllib.request.HTTPErrorProcessor(),
            _GuardedRedirectHandler(self.guard),
        ]
        for handler in handlers:
            opener.add_handler(handler)
        opener.addheaders = []
        return opener

    def _send(self, request: Any) -> Any:
        verdict = self.guard.check_static(request.url)
        if not verdict.allowed:
            raise RequestError(str(verdict), cause=GuardRefusedError(verdict))
        return super()._send(request)


def _handler_for(guard: UrlGuard) -> type[GuardedUrllibRH]:
    return type("GuardedUrllibRH", (GuardedUrllibRH,), {"guard": guard})


class _GuardedYoutubeDL(YoutubeDL):  # type: ignore[misc]  # yt_dlp is untyped
    handler_class: type[GuardedUrllibRH]

    def build_request_director(self, handlers: Iterable[Any], preferences: Any = None) -> Any:
        return super().build_request_director([self.handler_class], preferences)


class YtDlp:
    """Runs yt-dlp calls in a bounded thread pool on warm, guarded YoutubeDL instances."""

    def __init__(
        self,
        guard: UrlGuard,
        *,
        threads: int,
        params: Mapping[str, Any] | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self._threads = threads
        self._params = {**BASE_PARAMS, **(params or {}), "logger": _YdlLogger()}
        self._timeout_s = timeout_s
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ytdlp")
        self._instances: queue.SimpleQueue[YoutubeDL] = queue.SimpleQueue()
        self._ydl_class = type("GuardedYoutubeDL", (_GuardedYoutubeDL,), {"handler_class": _handler_for(guard)})
        headers = HTTPHeaderDict(std_headers, self._params.get("http_headers"))
        self.request_headers: Final[Mapping[str, str]] = dict(headers)
        """The headers every request of this stack carries (yt-dlp's User-Agent among them)."""
        self.calls = 0
        """yt-dlp extractions started (tests use it to prove that cache hits skip yt-dlp)."""

    async def start(self, *, warm: bool = True) -> None:
        """Build every instance now (the first one pays yt-dlp's ~0.3 s import and plugin cost), off the loop; with
        `warm`, also compile every extractor's URL pattern and import the common extractors' modules, which the
        first extraction of a process would otherwise do while a member waits (a link only the generic extractor
        takes is tried against all of them)."""
        loop = asyncio.get_running_loop()
        for _ in range(self._threads):
            ydl = await loop.run_in_executor(self._executor, self._ydl_class, self._params)
            self._instances.put(ydl)
        if warm:
            await loop.run_in_executor(self._executor, _compile_url_patterns)
            await loop.run_in_executor(self._executor, self._with_instance, _import_common_extractors)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        while not self._instances.empty():
            self._instances.get_nowait().close()

    async def extract(self, url: str, *, first: int, cap: int) -> Extraction:
        """`extract_info(process=False)`: a single item, or a playlist's first `first` (lazy) or `cap` entries."""
        return await self._run(functools.partial(_extract, url, first, cap))

    async def slice(self, url: str, start: int, end: int) -> list[InfoDict]:
        """Entries [start, end) of a lazy playlist (a paged source fetches only the pages it needs)."""
        return await self._run(functools.partial(_slice, url, start, end))

    async def search_keys(self) -> frozenset[str]:
        """The search keys (`ytsearch`, ...) of the extractors yt-dlp loaded, plugins included."""
        return await self._run(_search_keys)

    async def stream(self, url: str) -> InfoDict:
        """Full resolution of one item: the selected format's URL, headers and codec."""
        return await self._run(functools.partial(_stream, url))

    async def select(self, info: InfoDict) -> InfoDict:
        """Format selection over what `extract` returned for a single item: the same answer as `stream` for its URL,
        without extracting it again (an extractor that only redirected extracts its target here)."""
        return await self._run(functools.partial(_select, info))

    async def fetch_text(self, url: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> tuple[str, str]:
        """A small document through yt-dlp's guarded HTTP stack: (final URL, text)."""
        return await self._run(functools.partial(_fetch_text, url, max_bytes))

    async def get(self, url: str, headers: Mapping[str, str], max_bytes: int = MAX_DOCUMENT_BYTES) -> HttpAnswer:
        """A GET through the guarded stack that answers error statuses instead of raising (an API's 404 or 429 is
        an answer); refusals and network errors raise as for `fetch_text`."""
        return await self._run(functools.partial(_get, url, dict(headers), max_bytes))

    async def post(
        self, url: str, headers: Mapping[str, str], body: bytes, max_bytes: int = MAX_DOCUMENT_BYTES
    ) -> HttpAnswer:
        """A POST through the guarded stack (a token endpoint's form), answered like `get`."""
        return await self._run(functools.partial(_get, url, dict(headers), max_bytes, data=body))

    async def final_url(self, url: str, headers: Mapping[str, str]) -> str:
        """Where `url` ends up after redirects, each hop checked by the guard (FFmpeg then follows none)."""
        return await self._run(functools.partial(_final_url, url, dict(headers)))

    async def _run[T](self, call: Callable[[YoutubeDL], T]) -> T:
        self.calls += 1
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self._timeout_s):
            return await loop.run_in_executor(self._executor, self._with_instance, call)

    def _with_instance[T](self, call: Callable[[YoutubeDL], T]) -> T:
        try:
            ydl = self._instances.get_nowait()
        except queue.Empty:
            ydl = self._ydl_class(self._params)
        try:
            return call(ydl)
        finally:
            self._instances.put(ydl)


def _compile_url_patterns() -> None:
    for extractor in gen_extractor_classes():
        extractor.suitable(_NO_SUCH_URL)


_NO_SUCH_URL: Final = "https://encore.invalid/warm-up"
COMMON_EXTRACTORS: Final = ("Generic", "Youtube", "YoutubeTab", "YoutubeSearch")
"""Extractors whose modules the first extraction would import: imported at start instead. Importing YouTube's is
~0.2 s of Python in a resolve thread, and while it runs the frame clock's thread waits for the GIL among the others
(a restarted worker's first takeover skipped ticks on it, seen in the soak)."""


def _import_common_extractors(ydl: YoutubeDL) -> None:
    for key in COMMON_EXTRACTORS:
        ydl.get_info_extractor(key)


def _extract(url: str, first: int, cap: int, ydl: YoutubeDL) -> Extraction:
    info: InfoDict = ydl.extract_info(url, download=False, process=False)
    entries = info.pop("entries", None)
    if entries is None:
        return Extraction(info=info, entries=None)
    if isinstance(entries, list):
        return Extraction(info=info, entries=[dict(e) for e in entries[:cap] if e], count=len(entries))
    head = entries.getslice(0, first) if isinstance(entries, PagedList) else itertools.islice(entries, first)
    count = info.get("playlist_count")
    return Extraction(info=info, entries=[dict(e) for e in head if e], lazy=True, count=_int_or_none(count))


def _slice(url: str, start: int, end: int, ydl: YoutubeDL) -> list[InfoDict]:
    info: InfoDict = ydl.extract_info(url, download=False, process=False)
    entries = info.get("entries")
    if entries is None:
        return []
    if isinstance(entries, PagedList):
        return [dict(e) for e in entries.getslice(start, end) if e]
    if isinstance(entries, list):
        return [dict(e) for e in entries[start:end] if e]
    return [dict(e) for e in itertools.islice(entries, start, end) if e]


def _search_keys(ydl: YoutubeDL) -> frozenset[str]:
    return frozenset(key for ie in ydl._ies.values() if (key := _search_key(ie)))


def _search_key(extractor: object) -> str | None:
    # Read statically: a plain getattr on a lazy extractor without the attribute loads the real class and
    # prints a "please report this issue" warning at every worker start. Lazy classes spell it SEARCH_KEY.
    for name in ("SEARCH_KEY", "_SEARCH_KEY"):
        key = inspect.getattr_static(extractor, name, None)
        if isinstance(key, str):
            return key
    return None


def _stream(url: str, ydl: YoutubeDL) -> InfoDict:
    return _first_entry(ydl.extract_info(url, download=False))


def _select(info: InfoDict, ydl: YoutubeDL) -> InfoDict:
    return _first_entry(ydl.process_ie_result(dict(info), download=False))


def _first_entry(info: InfoDict) -> InfoDict:
    if info.get("_type") in ("playlist", "multi_video") and info.get("entries"):
        info = next(iter(info["entries"]))
    return dict(info)


def _fetch_text(url: str, max_bytes: int, ydl: YoutubeDL) -> tuple[str, str]:
    with ydl.urlopen(url) as response:
        data: bytes = response.read(max_bytes)
        final_url = str(response.url)
        charset = response.headers.get_content_charset() if hasattr(response.headers, "get_content_charset") else None
    return final_url, data.decode(charset or "utf-8", errors="replace")


def _get(url: str, headers: dict[str, str], max_bytes: int, ydl: YoutubeDL, data: bytes | None = None) -> HttpAnswer:
    try:
        with ydl.urlopen(Request(url, data=data, headers=headers)) as response:
            return HttpAnswer(int(response.status), _decoded(response, max_bytes))
    except HTTPError as err:
        try:
            retry_after = err.response.headers.get("Retry-After")
            return HttpAnswer(int(err.status), _decoded(err.response, max_bytes), retry_after)
        finally:
            err.response.close()


def _decoded(response: Any, max_bytes: int) -> str:
    data: bytes = response.read(max_bytes)
    return data.decode("utf-8", errors="replace")


def _final_url(url: str, headers: dict[str, str], ydl: YoutubeDL) -> str:
    # A one-byte ranged GET rather than HEAD: some media servers answer HEAD with 405 or a different redirect.
    request = Request(url, headers={**headers, "Range": "bytes=0-0"})
    with ydl.urlopen(request) as response:
        return str(response.url)


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and value >= 0 else None
