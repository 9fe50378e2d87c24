"""Test doubles for the gateway: a stand-in for the worker's resolve/search/lyrics jobs, a recording Responder and sink.

`stand_in_resolve` and `stand_in_search` are fakes of the *worker* (its resolver), run by a real arq Worker so the
gateway's enqueue-and-wait path is exercised for real. Queries steer them:

- `nothing ...`      -> NOTHING_FOUND
- `refused ...`      -> REFUSED
- `older ...`        -> REFUSED as a worker of the previous release wrote it (English `message`, no problem)
- `slow:<s> ...`     -> sleeps <s> seconds, then queues one track
- `playlist:<n> ...` -> queues min(n, 20) tracks now and reports the rest as pending
- anything else      -> queues one track titled after the query (limits from the guild's settings)

`stand_in_lyrics`: `nothing ...` finds none, `instrumental ...` is instrumental, `busy ...` is rate-limited
(Retry-After 30 s), `unsynced ...` has plain lyrics only; anything else (and a track) has LYRICS_LINES numbered
lines (several pages), line n synced at n seconds.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

from redis.asyncio import Redis

from gateway.commands.invocation import Invocation
from gateway.commands.permissions import Actor
from gateway.stores.clients import Stores
from gateway.wording.reply import Reply
from shared.command_store import CommandStore
from shared.commands import QueueChangedCommand
from shared.failures import Problem, ProblemKind, Refusal, Stop, StopKind
from shared.jobs import ResolveRequest, ResolveResult, ResolveStatus, SearchRequest, SearchResult, SearchStatus
from shared.keys import Keys
from shared.lyrics import LyricLine, Lyrics, LyricsProblem, LyricsRequest, LyricsResult, LyricsStatus
from shared.models import PlayerState, QueueItem, Track
from shared.queue_store import QueueLimits, QueueStore
from shared.settings_store import SettingsStore

FIRST_CHUNK: Final = 20
GUILD: Final = 1 << 40
TEXT: Final = 500
VOICE: Final = 600
OTHER_VOICE: Final = 601
LYRICS_LINES: Final = 150


def track(title: str, n: int = 0) -> Track:
    return Track(
        url=f"http://127.0.0.1:9/media/{uuid.uuid5(uuid.NAMESPACE_URL, title).hex}/{n}",
        title=title,
        duration_ms=180_000,
    )


async def stand_in_resolve(ctx: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    request = ResolveRequest.model_validate(raw)
    redis: Redis = ctx["redis"]
    keys: Keys = ctx["keys"]
    words = request.query.split()
    head = words[0] if words else ""
    if head == "nothing":
        return _result(ResolveStatus.NOTHING_FOUND, Problem(kind=ProblemKind.NO_RESULTS))
    if head == "older":  # a worker of the previous release: English text in `message`, no problem
        return {"status": ResolveStatus.REFUSED.value, "message": "That link can't be played: it is internal."}
    if head == "refused":
        return _result(ResolveStatus.REFUSED, Problem(kind=ProblemKind.REFUSED, refusal=Refusal.PRIVATE))
    if head.startswith("slow:"):
        await asyncio.sleep(float(head.removeprefix("slow:")))
    count, total = 1, None
    if head.startswith("playlist:"):
        total = int(head.removeprefix("playlist:"))
        count = min(total, FIRST_CHUNK)
    settings = await SettingsStore(redis, keys).get(request.guild_id)
    limits = QueueLimits(settings.max_queue_length, settings.max_items_per_user)
    items = [
        QueueItem(
            uid=uuid.uuid4().hex,
            track=track(request.query, n),
            requester_id=request.requester_id,
            request_id=request.request_id,
        )
        for n in range(count)
    ]
    appended = await QueueStore(redis, keys).append(request.guild_id, items, limits=limits, position=request.position)
    if appended.appended == 0:
        stopped = Stop(kind=StopKind.QUEUE_FULL, limit=settings.max_queue_length)
        return ResolveResult(status=ResolveStatus.QUEUE_FULL, stopped=stopped).model_dump(mode="json")
    # as the worker's resolve job does: the job that queued the items tells the owner
    changed = QueueChangedCommand(issued_by=request.requester_id, text_channel_id=request.text_channel_id)
    await CommandStore(redis, keys).append(request.guild_id, changed)
    result = ResolveResult(
        status=ResolveStatus.QUEUED,
        first=items[0],
        queued=appended.appended,
        total=total,
        playlist_title="Test mix" if total is not None else None,
        pending=total is not None and total > count,
    )
    return result.model_dump(mode="json")


async def stand_in_search(ctx: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    request = SearchRequest.model_validate(raw)
    if request.query.startswith("nothing"):
        return SearchResult(status=SearchStatus.NOTHING_FOUND).model_dump(mode="json")
    tracks = tuple(track(f"{request.query} result {n}", n) for n in range(1, request.limit + 1))
    return SearchResult(status=SearchStatus.FOUND, tracks=tracks).model_dump(mode="json")


async def stand_in_lyrics(ctx: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    request = LyricsRequest.model_validate(raw)
    asked = request.query or request.title or ""
    if asked.startswith("nothing"):
        return LyricsResult(status=LyricsStatus.NOT_FOUND).model_dump(mode="json")
    if asked.startswith("busy"):
        result = LyricsResult(status=LyricsStatus.FAILED, problem=LyricsProblem.RATE_LIMITED, retry_after_s=30)
        return result.model_dump(mode="json")
    lines = tuple(LyricLine(at_ms=n * 1000, text=f"line {n} of {asked}"[:200]) for n in range(1, LYRICS_LINES + 1))
    synced = () if asked.startswith("unsynced") else lines
    words = "\n".join(line.text for line in lines)
    lyrics = Lyrics(lrclib_id=1, title=asked[:200], artist="Stand-in", duration_ms=180_000, plain=words, synced=synced)
    status = LyricsStatus.INSTRUMENTAL if asked.startswith("instrumental") else LyricsStatus.FOUND
    return LyricsResult(status=status, lyrics=lyrics).model_dump(mode="json")


def _result(status: ResolveStatus, problem: Problem) -> dict[str, Any]:
    return ResolveResult(status=status, problem=problem).model_dump(mode="json")


@dataclass
class RecordingResponder:
    """A Responder that remembers what the handler did with the interaction."""

    defers: list[bool] = field(default_factory=list)
    edits: list[Reply] = field(default_factory=list)
    edited: asyncio.Event = field(default_factory=asyncio.Event)

    async def defer(self, *, ephemeral: bool = False) -> None:
        self.defers.append(ephemeral)

    async def edit(self, reply: Reply) -> None:
        self.edits.append(reply)
        self.edited.set()


@dataclass
class RecordingSink:
    """A MessageSink that keeps messages in memory; `gone` ids behave like deleted messages."""

    messages: dict[int, tuple[int, Reply]] = field(default_factory=dict)
    history: list[tuple[str, int, Reply]] = field(default_factory=list)
    gone: set[int] = field(default_factory=set)
    next_id: int = 10_000

    async def send(self, channel_id: int, reply: Reply) -> int | None:
        self.next_id += 1
        self.messages[self.next_id] = (channel_id, reply)
        self.history.append(("send", channel_id, reply))
        return self.next_id

    async def edit(self, channel_id: int, message_id: int, reply: Reply) -> bool:
        if message_id in self.gone or message_id not in self.messages:
            return False
        self.messages[message_id] = (channel_id, reply)
        self.history.append(("edit", channel_id, reply))
        return True


def invocation(
    user_id: int = 7,
    *,
    voice: int | None = VOICE,
    bot: int | None = VOICE,
    roles: tuple[int, ...] = (),
    manage: bool = False,
    guild_id: int = GUILD,
    listeners: frozenset[int] | None = None,
) -> Invocation:
    """`listeners` default: the member alone with the bot when both are in the same channel, else nobody."""
    actor = Actor(user_id=user_id, role_ids=frozenset(roles), manage_guild=manage, voice_channel_id=voice)
    if listeners is None:
        listeners = frozenset({user_id}) if bot is not None and voice == bot else frozenset()
    return Invocation(guild_id=guild_id, actor=actor, text_channel_id=TEXT, bot_channel_id=bot, listeners=listeners)


async def store_state(stores: Stores, state: PlayerState, guild_id: int = GUILD) -> None:
    """Write a player state the way the owner does: under a lease's fence."""
    holder = await stores.leases.holder(guild_id)
    lease = holder or await stores.leases.acquire(guild_id, "test-owner", 600_000)
    assert lease is not None
    assert await stores.players.save(guild_id, lease.fence, state)
