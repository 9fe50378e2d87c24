"""Worker events become one now-playing message per guild (edited in place) and notices, in the right channel."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from arq.connections import ArqRedis

from gateway.events.announcer import Announcer
from gateway.events.shards import ShardFilter
from gateway.stores.clients import Stores, Streams
from gateway.wording.reply import Reply
from shared.clock import now_ms
from shared.event_store import EventStore
from shared.events import (
    LeaveReason,
    PlayerLeft,
    PlayerUpdated,
    PlaylistProgress,
    QueueFinished,
    SegmentSkipped,
    SubstitutionReason,
    TrackFailed,
    TrackStarted,
    TrackSubstituted,
)
from shared.failures import Problem, ProblemKind, Refusal
from shared.keys import Keys
from shared.models import PlayerState, SkipSegment, SponsorCategory
from tests.factories import make_item
from tests.gateway.doubles import GUILD, TEXT, RecordingSink, store_state

ANNOUNCE = 777
EVERY_SHARD = ShardFilter(None, None)


def build_announcer(
    stores: Stores,
    streams: Streams,
    sink: RecordingSink,
    *,
    shards: ShardFilter = EVERY_SHARD,
    clock: Callable[[], int] = now_ms,
) -> Announcer:
    return Announcer(stores, streams.events, shards, clock, sink)


def card_title(reply: Reply) -> str:
    assert reply.card is not None
    return reply.card.title


async def test_now_playing_is_one_message_edited_in_place(
    stores: Stores, streams: Streams, command_redis: ArqRedis
) -> None:
    sink = RecordingSink()
    announcer = build_announcer(stores, streams, sink)
    first, second = make_item(1), make_item(2)
    await announcer.handle(TrackStarted(guild_id=GUILD, at_ms=1, text_channel_id=TEXT, item=first))
    await store_state(stores, PlayerState(now_playing=second, paused=True, text_channel_id=TEXT))
    await announcer.handle(TrackStarted(guild_id=GUILD, at_ms=2, text_channel_id=TEXT, item=second, paused=True))
    await announcer.handle(PlayerUpdated(guild_id=GUILD, at_ms=3))
    assert [kind for kind, _, _ in sink.history] == ["send", "edit", "edit"]
    [(message_id, (channel, reply))] = sink.messages.items()
    assert channel == TEXT
    assert card_title(reply) == "⏸ Paused"
    assert reply.card is not None and "track 2" in reply.card.description
    assert [button.label for button in reply.buttons][:2] == ["Resume", "Skip"]
    ref = await stores.messages.now_playing(GUILD)
    assert ref is not None and ref.message_id == message_id
    assert Keys().now_playing_message(GUILD) == f"encore:{{{GUILD}}}:npmsg"
    assert await command_redis.get(f"encore:{{{GUILD}}}:npmsg") is not None


async def test_a_deleted_message_is_replaced(stores: Stores, streams: Streams) -> None:
    sink = RecordingSink()
    announcer = build_announcer(stores, streams, sink)
    await announcer.handle(TrackStarted(guild_id=GUILD, at_ms=1, text_channel_id=TEXT, item=make_item(1)))
    sink.gone.update(sink.messages)
    await announcer.handle(TrackStarted(guild_id=GUILD, at_ms=2, text_channel_id=TEXT, item=make_item(2)))
    assert [kind for kind, _, _ in sink.history] == ["send", "send"]
    ref = await stores.messages.now_playing(GUILD)
    assert ref is not None and ref.message_id == max(sink.messages)


async def test_announce_channel_wins(stores: Stores, streams: Streams) -> None:
    await stores.settings.update(GUILD, announce_channel_id=ANNOUNCE)
    sink = RecordingSink()
    await build_announcer(stores, streams, sink).handle(
        TrackStarted(guild_id=GUILD, at_ms=1, text_channel_id=TEXT, item=make_item(1))
    )
    assert [channel for _, channel, _ in sink.history] == [ANNOUNCE]


async def test_notices(stores: Stores, streams: Streams) -> None:
    sink = RecordingSink()
    announcer = build_announcer(stores, streams, sink)
    item = make_item(1)
    await announcer.handle(
        TrackSubstituted(
            guild_id=GUILD,
            at_ms=1,
            text_channel_id=TEXT,
            item=item,
            broken_url="https://x.test/y",
            reason=SubstitutionReason.GONE,
        )
    )
    refused = Problem(kind=ProblemKind.REFUSED, refusal=Refusal.METADATA, redirect=True)
    await announcer.handle(TrackFailed(guild_id=GUILD, at_ms=2, text_channel_id=TEXT, item=item, problem=refused))
    await announcer.handle(TrackFailed(guild_id=GUILD, at_ms=3, text_channel_id=TEXT, item=item))
    texts = [reply.content for _, _, reply in sink.history]
    assert texts[0].startswith("↪️ Substituted [track 1]") and "broken link <https://x.test/y>" in texts[0]
    assert texts[1].startswith("❌ Couldn't play [track 1]")
    assert texts[1].endswith(
        ": it can't be played: a redirect was refused: that host points to a cloud metadata address."
    )
    assert texts[2].endswith(": it could not be loaded.")


async def test_playlist_progress_is_one_notice(stores: Stores, streams: Streams) -> None:
    sink = RecordingSink()
    announcer = build_announcer(stores, streams, sink)
    for queued in (500, 2480, 5000):
        event = PlaylistProgress(
            guild_id=GUILD,
            at_ms=1,
            text_channel_id=TEXT,
            request_id="r1",
            title="Mix",
            queued=queued,
            total=5000,
            done=queued == 5000,
        )
        await announcer.handle(event)
    assert [kind for kind, _, _ in sink.history] == ["send", "edit", "edit"]
    assert [reply.content for _, _, reply in sink.history][1] == "📜 Queued 2,480 of 5,000 from **Mix**…"
    [(_, reply)] = sink.messages.values()
    assert reply.content == "📜 Finished queueing 5,000 of 5,000 tracks from **Mix**."


async def test_queue_finished_and_player_left_close_the_message(stores: Stores, streams: Streams) -> None:
    sink = RecordingSink()
    announcer = build_announcer(stores, streams, sink)
    await announcer.handle(QueueFinished(guild_id=GUILD, at_ms=1, text_channel_id=TEXT))
    assert sink.history[-1][2].content == "Queue finished — add more with `/play`."
    await announcer.handle(TrackStarted(guild_id=GUILD, at_ms=2, text_channel_id=TEXT, item=make_item(1)))
    await announcer.handle(QueueFinished(guild_id=GUILD, at_ms=3, text_channel_id=TEXT))
    await announcer.handle(PlayerLeft(guild_id=GUILD, at_ms=4, text_channel_id=TEXT, reason=LeaveReason.ASKED))
    kinds = [kind for kind, _, _ in sink.history]
    assert kinds == ["send", "send", "edit", "edit"]
    final = sink.history[-1][2]
    assert card_title(final) == "⏹ Stopped" and final.buttons == ()
    assert final.card is not None and final.card.description == "Left the voice channel (asked to leave)."


async def test_other_shards_guilds_are_ignored(stores: Stores, streams: Streams) -> None:
    sink = RecordingSink()
    other = ShardFilter(2, frozenset({1 - (GUILD >> 22) % 2}))
    await build_announcer(stores, streams, sink, shards=other).handle(
        TrackStarted(guild_id=GUILD, at_ms=1, text_channel_id=TEXT, item=make_item(1))
    )
    assert sink.history == []


async def test_the_consumer_reads_new_events_in_order(
    stores: Stores, streams: Streams, command_redis: ArqRedis, keys: Keys
) -> None:
    """Run the real stream consumer: it starts at the newest event and coalesces refreshes within a batch."""
    events = EventStore(command_redis, keys)
    await events.publish(TrackStarted(guild_id=GUILD, at_ms=1, text_channel_id=TEXT, item=make_item(0)))
    sink = RecordingSink()
    ready = asyncio.Event()
    task = asyncio.create_task(build_announcer(stores, streams, sink).run(ready))
    try:
        await asyncio.wait_for(ready.wait(), 5)
        await events.publish(TrackStarted(guild_id=GUILD, at_ms=2, text_channel_id=TEXT, item=make_item(1)))
        for at in range(3, 8):
            await events.publish(PlayerUpdated(guild_id=GUILD, at_ms=at))
        await events.publish(TrackFailed(guild_id=GUILD, at_ms=9, text_channel_id=TEXT, item=make_item(2)))
        for _ in range(200):
            if any(reply.content.startswith("❌") for _, _, reply in sink.history):
                break
            await asyncio.sleep(0.02)
        contents = [(kind, reply.card.title if reply.card else reply.content[:1]) for kind, _, reply in sink.history]
        assert contents[0] == ("send", "▶ Now playing")
        assert contents[-1] == ("send", "❌")
        assert len(contents) <= 7
        assert all("track 0" not in (reply.card.description if reply.card else "") for _, _, reply in sink.history)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_progress_bars_keep_moving_between_events(stores: Stores, streams: Streams) -> None:
    sink = RecordingSink()
    now = [100_000]
    announcer = build_announcer(stores, streams, sink, clock=lambda: now[0])
    item = make_item(1).model_copy(update={"track": make_item(1).track.model_copy(update={"duration_ms": 60_000})})
    await store_state(stores, PlayerState(now_playing=item, position_ms=0, updated_at_ms=100_000))
    await announcer.handle(TrackStarted(guild_id=GUILD, at_ms=100_000, text_channel_id=TEXT, item=item))
    now[0] += 30_000
    await announcer.tick()
    [(_, reply)] = sink.messages.values()
    assert reply.card is not None and "0:30 / 1:00" in reply.card.description
    await store_state(stores, PlayerState(now_playing=item, paused=True, position_ms=31_000, updated_at_ms=1))
    await announcer.tick()
    await announcer.tick()
    assert [kind for kind, _, _ in sink.history] == ["send", "edit"]


async def test_a_tracks_first_sponsorblock_skip_is_posted_and_every_skip_is_on_the_card(
    stores: Stores, streams: Streams
) -> None:
    sink = RecordingSink()
    announcer = build_announcer(stores, streams, sink)
    item = make_item(1, duration_ms=300_000)
    first = SkipSegment(category=SponsorCategory.SPONSOR, start_ms=30_000, end_ms=70_500)
    second = SkipSegment(category=SponsorCategory.OUTRO, start_ms=250_000, end_ms=260_000)
    await store_state(stores, PlayerState(now_playing=item, position_ms=70_500, skipped=(first,)))
    await announcer.handle(SegmentSkipped(guild_id=GUILD, at_ms=1, text_channel_id=TEXT, item=item, segment=first))
    await store_state(stores, PlayerState(now_playing=item, position_ms=260_000, skipped=(first, second)))
    event = SegmentSkipped(guild_id=GUILD, at_ms=2, text_channel_id=TEXT, item=item, segment=second, first=False)
    await announcer.handle(event)
    notices = [reply.content for _, _, reply in sink.history if reply.content]
    assert notices == ["⏩ Skipped sponsor 0:30–1:10 of **track 1** (SponsorBlock)."], "one notice per track"
    card = sink.history[-1][2].card
    assert card is not None
    skipped = {field.name: field.value for field in card.fields}["Skipped"]
    assert skipped == "sponsor 0:30–1:10; outro 4:10–4:20"
