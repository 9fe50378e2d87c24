"""Peer links: a worker learns at once that another worker's process is gone, long before its leases expire.

Each worker listens on a TCP port (its beacon), advertised in Redis as "<host> <port> <incarnation>", and keeps a
connection open to the beacon of every other live worker. A beacon sends one hello line ("encore-peer <worker id>
<incarnation>") and then nothing, ever. When a worker's process ends (kill -9, a crash, the OOM killer) its kernel
closes its sockets and every watcher reads EOF at once. A closed link alone proves nothing: the watcher connects
again, and only a refused connection (nobody listens on that port any more) or the hello of another process proves
that the process is gone. Then, and only then, its leases may be freed before they expire.

What proves nothing, and is left to the lease: a paused process (SIGSTOP, a frozen VM) keeps its sockets open, and
a new connection gets no hello from it; a lost machine or a partition sends no FIN, the link just goes quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass
from typing import Final, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared import clock
from shared.keys import Keys
from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)

_HELLO: Final = b"encore-peer"
CONNECT_TIMEOUT_S: Final = 1.0
"""How long a connection and its hello may take; a peer slower than that (paused, stalled) is not proven dead."""
_PROBE_TIMEOUTS_S: Final = (0.05, 0.1, 0.2, 0.4, 0.8)
_RESET_RETRY_S: Final = 0.02
"""The attempts (connect and hello) that may prove a peer gone after its link closed: 1.55 s in all."""
_REGISTRATION_TTL_S: Final = 10
_REFRESH_S: Final = 3.0
_DISCOVER_S: Final = 0.5
_FRESH_MS: Final = 2000
"""Peers are the workers whose supervisor sent a heartbeat this recently."""


@dataclass(frozen=True, slots=True)
class PeerAddress:
    """Where one process of a worker listens; `incarnation` tells a restarted process from the one before."""

    worker_id: str
    host: str
    port: int
    incarnation: str

    def registration(self) -> str:
        return f"{self.host} {self.port} {self.incarnation}"

    @classmethod
    def parse(cls, worker_id: str, raw: bytes | None) -> PeerAddress | None:
        """None for a missing or malformed registration (old or foreign data is ignored, never trusted)."""
        parts = raw.decode(errors="replace").split(" ") if raw else []
        if len(parts) != 3 or not parts[1].isdigit() or not 0 < int(parts[1]) < 65536:
            return None
        return cls(worker_id, parts[0], int(parts[1]), parts[2])

    def hello(self) -> bytes:
        return b"%s %s %s\n" % (_HELLO, self.worker_id.encode(), self.incarnation.encode())


class PeerEvents(Protocol):
    """What the watch tells the supervisor."""

    def peer_alive(self, worker_id: str) -> None: ...

    async def peer_died(self, worker_id: str) -> None:
        """The process registered as `worker_id` is gone, and no newer one has registered."""


class PeerBeacon:
    """This worker's end: listen, greet every watcher, keep the registration fresh, and never close a link early."""

    def __init__(self, redis: Redis, keys: Keys, worker_id: str, *, host: str, port: int, advertise: str) -> None:
        self._redis = redis
        self._keys = keys
        self._worker_id = worker_id
        self._bind = (host, port)
        self._advertise = advertise
        self._server: asyncio.Server | None = None
        self._refresh: asyncio.Task[None] | None = None
        self._watchers: set[asyncio.StreamWriter] = set()
        self.address: PeerAddress | None = None

    async def start(self) -> PeerAddress:
        self._server = await asyncio.start_server(self._greet, *self._bind)
        port = int(self._server.sockets[0].getsockname()[1])
        self.address = PeerAddress(self._worker_id, self._advertise, port, secrets.token_hex(6))
        await self._register()
        self._refresh = asyncio.create_task(self._keep_registered(), name="peer-beacon")
        return self.address

    async def _register(self) -> None:
        assert self.address is not None
        key = self._keys.worker_peer(self._worker_id)
        await aw(self._redis.set(key, self.address.registration(), ex=_REGISTRATION_TTL_S))

    async def _keep_registered(self) -> None:
        while True:
            await asyncio.sleep(_REFRESH_S)
            try:
                await self._register()
            except (RedisError, OSError) as exc:
                _log.warning("peer registration failed: %s", exc)

    async def _greet(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self.address is not None
        self._watchers.add(writer)
        try:
            writer.write(self.address.hello())
            await writer.drain()
            while await reader.read(1024):
                pass  # watchers send nothing: this waits for the watcher to go away
        except OSError:
            pass
        finally:
            self._watchers.discard(writer)
            writer.close()

    async def close(self) -> None:
        """On a graceful stop, after the leases were handed off: the registration goes, then the port closes."""
        if self._refresh is not None:
            self._refresh.cancel()
        with contextlib.suppress(RedisError, OSError):
            await aw(self._redis.delete(self._keys.worker_peer(self._worker_id)))
        if self._server is not None:
            self._server.close()
            for writer in list(self._watchers):
                writer.close()
            await self._server.wait_closed()


class PeerWatch:
    """The watcher's end: link to every other live worker's beacon and report the processes that are gone."""

    def __init__(self, redis: Redis, keys: Keys, worker_id: str, events: PeerEvents) -> None:
        self._redis = redis
        self._keys = keys
        self._worker_id = worker_id
        self._events = events
        self._links: dict[PeerAddress, asyncio.Task[None]] = {}
        self._gone: set[PeerAddress] = set()

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self.discover()
                except (RedisError, OSError) as exc:
                    _log.warning("peer discovery failed: %s", exc)
                await asyncio.sleep(_DISCOVER_S)
        finally:
            links = list(self._links.values())
            for task in links:
                task.cancel()
            await asyncio.gather(*links, return_exceptions=True)

    async def discover(self) -> None:
        """Link to every registered process of a fresh worker that is not linked yet."""
        fresh = await aw(self._redis.zrangebyscore(self._keys.workers(), clock.now_ms() - _FRESH_MS, "+inf"))
        others = [raw.decode() for raw in fresh if raw.decode() != self._worker_id]
        if not others:
            return
        registered = await aw(self._redis.mget([self._keys.worker_peer(worker_id) for worker_id in others]))
        addresses = [PeerAddress.parse(worker_id, raw) for worker_id, raw in zip(others, registered, strict=True)]
        self._gone.intersection_update(addresses)
        for address in addresses:
            if address is not None and address not in self._links and address not in self._gone:
                self._links[address] = asyncio.create_task(self._link(address), name=f"peer-{address.worker_id}")

    async def _link(self, address: PeerAddress) -> None:
        try:
            if not await self._hold(address):
                return
            if not await self._proven_gone(address):
                _log.warning("link to peer %s closed, but it is not proven gone (its leases decide)", address.worker_id)
                return
            self._gone.add(address)
            await self._report(address)
        finally:
            self._links.pop(address, None)

    async def _hold(self, address: PeerAddress) -> bool:
        """Hold a link until it closes; False if it was never established (discovery tries again later)."""
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(address.host, address.port), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError):
            return False
        try:
            if await _hello(reader) != address.hello():
                return False
            _log.info("linked to peer %s", address.worker_id)
            self._events.peer_alive(address.worker_id)
            with contextlib.suppress(OSError):
                while await reader.read(1024):
                    pass
            return True
        except (OSError, TimeoutError):
            return False
        finally:
            writer.close()

    async def _proven_gone(self, address: PeerAddress) -> bool:
        """After its link closed: is the process gone? Refused, or answered by another process: yes. A live process
        greets as itself: no. An attempt that hangs or is reset is made again (a hang with a longer timeout): a paused
        process (whose kernel still accepts connections) hangs every time and is not proven gone, while a dying one's
        listener may take a connection in the moment before its kernel closes it, or reset it (then the next attempt
        is refused)."""
        for timeout_s in _PROBE_TIMEOUTS_S:
            try:
                return await asyncio.wait_for(self._answered_by_another(address), timeout_s)
            except ConnectionRefusedError:
                return True
            except TimeoutError:
                continue
            except ConnectionResetError:
                # Connected, then reset before the loop saw it: the listener closed with this connection in its
                # queue. A paused process never does that (its kernel keeps the listener); ask again, a moment later.
                await asyncio.sleep(_RESET_RETRY_S)
                continue
            except OSError as exc:
                _log.info("probing peer %s: %s", address.worker_id, exc)
                return False
        return False

    async def _answered_by_another(self, address: PeerAddress) -> bool:
        reader, writer = await asyncio.open_connection(address.host, address.port)
        try:
            return await reader.readline() != address.hello()
        except OSError:
            return True  # reset while greeting: the listener closed under us
        except ValueError:
            return True  # a line over the reader's limit: no beacon sends that
        finally:
            writer.close()

    async def _report(self, address: PeerAddress) -> None:
        try:
            raw = await aw(self._redis.get(self._keys.worker_peer(address.worker_id)))
        except (RedisError, OSError) as exc:
            _log.warning(
                "peer %s is gone, but Redis is unavailable (its leases will expire): %s", address.worker_id, exc
            )
            return
        current = PeerAddress.parse(address.worker_id, raw)
        if current is not None and current.incarnation != address.incarnation:
            _log.info("peer %s is gone, but it was restarted already", address.worker_id)
            return  # the leases under its id may be the new process's: they are left to expire or be renewed
        _log.warning("peer %s is gone (its link closed and its port no longer answers as it)", address.worker_id)
        await self._events.peer_died(address.worker_id)


async def _hello(reader: asyncio.StreamReader) -> bytes:
    """The first line a beacon sent (b"" if it closed first), read within the connect timeout."""
    try:
        return await asyncio.wait_for(reader.readline(), CONNECT_TIMEOUT_S)
    except ValueError:
        return b"?"  # a line over the reader's limit: no beacon sent that
