"""`/play`, `/search` and picks against real Redis and a real arq queue (the resolver is a stand-in worker job)."""

from __future__ import annotations

import asyncio

import pytest
from arq.worker import Worker

from gateway.commands.admission import Gate
from gateway.commands.issuing import Issuer
from gateway.commands.play import PlayActions, Suggestions
from gateway.stores.clients import Stores
from gateway.stores.jobs import Jobs
from gateway.wording import formatting
from gateway.wording.custom_ids import SearchPick, parse
from shared.commands import JoinCommand, PlayNowCommand, QueueChangedCommand
from shared.errors import InvalidInputError, PermissionDeniedError
from shared.models import InsertPosition, PlayerState
from shared.settings import GatewaySettings
from shared.tasks import TaskOwner
from tests.gateway.doubles import GUILD, OTHER_VOICE, TEXT, VOICE, RecordingResponder, invocation, store_state

pytestmark = pytest.mark.usefixtures("resolver")


async def commands(stores: Stores) -> list[object]:
    return [entry.command for entry in await stores.commands.read_after(GUILD, "0-0")]


async def test_play_summons_the_bot_and_queues(stores: Stores, play: PlayActions) -> None:
    out = RecordingResponder()
    reply = await play.play(invocation(bot=None), "never gonna give you up", None, out)
    assert out.defers == [False]
    assert reply.content.startswith("🎶 Queued [never gonna give you up]")
    sent = await commands(stores)
    assert [type(command) for command in sent] == [JoinCommand, QueueChangedCommand]
    join = sent[0]
    assert isinstance(join, JoinCommand)
    assert join.voice_channel_id == VOICE and join.issued_by == 7 and join.text_channel_id == TEXT
    assert await stores.active.is_active(GUILD)
    assert await stores.queue.length(GUILD) == 1


async def test_play_in_the_bots_channel_joins_that_channel_again(stores: Stores, play: PlayActions) -> None:
    """Discord's cache may still show the bot in a channel its player just left: the Join makes sure it is there."""
    await play.play(invocation(), "song", "next", RecordingResponder())
    join, changed = await commands(stores)
    assert isinstance(join, JoinCommand)
    assert join.voice_channel_id == invocation().actor.voice_channel_id
    assert isinstance(changed, QueueChangedCommand)


async def test_play_now_plays_the_first_new_item(stores: Stores, play: PlayActions) -> None:
    reply = await play.play(invocation(), "urgent song", "now", RecordingResponder())
    assert reply.content.startswith("🎶 Playing now:")
    join, changed, command = await commands(stores)
    assert isinstance(join, JoinCommand)
    assert isinstance(changed, QueueChangedCommand), "the job that queued the item tells the owner"
    assert isinstance(command, PlayNowCommand)
    page = await stores.queue.page(GUILD)
    assert command.uid == page.items[0].uid


async def test_playlists_report_background_ingestion(play: PlayActions) -> None:
    reply = await play.play(invocation(), "playlist:5000 big mix", None, RecordingResponder())
    assert reply.content == "📜 Queued 20 of 5,000 tracks from **Test mix** — adding the rest in the background."


async def test_nothing_found_queues_nothing(stores: Stores, play: PlayActions) -> None:
    reply = await play.play(invocation(), "nothing at all", None, RecordingResponder())
    assert reply.content == "🔍 No results for “nothing at all”."
    assert [type(command) for command in await commands(stores)] == [JoinCommand], "the summon comes before resolving"
    assert await stores.queue.length(GUILD) == 0


async def test_an_older_workers_result_gets_the_gateways_generic_words(stores: Stores, play: PlayActions) -> None:
    """A result arq kept from a worker of the previous release (its `message` was English text) through the real
    enqueue-and-wait path: the gateway words its status, the worker's text is not shown."""
    reply = await play.play(invocation(), "older link", None, RecordingResponder())
    assert reply.content == "🚫 That link can't be played: it is not allowed."
    assert reply.ephemeral
    assert await stores.queue.length(GUILD) == 0


async def test_queue_full_is_reported(stores: Stores, play: PlayActions) -> None:
    await stores.settings.update(GUILD, max_queue_length=1)
    await play.play(invocation(), "first", None, RecordingResponder())
    reply = await play.play(invocation(), "second", None, RecordingResponder())
    assert reply.content == "🚫 Nothing was added: the queue is full (1 items)."


async def test_slow_resolves_answer_then_follow_up(
    gateway_settings: GatewaySettings, stores: Stores, gate: Gate, issuer: Issuer, jobs: Jobs, background: TaskOwner
) -> None:
    fast = gateway_settings.model_copy(update={"resolve_wait_s": 0.3})
    patient = PlayActions(fast, gate, issuer, jobs, stores.recent, stores.active, background)
    out = RecordingResponder()
    reply = await patient.play(invocation(), "slow:1.5 song", None, out)
    assert reply.content == formatting.STILL_WORKING
    assert [type(command) for command in await commands(stores)] == [JoinCommand]
    await asyncio.wait_for(out.edited.wait(), 10)
    assert out.edits[0].content.startswith("🎶 Queued [slow:1.5 song]")
    assert [type(command) for command in await commands(stores)] == [JoinCommand, QueueChangedCommand]


async def test_member_outside_voice_is_refused_before_anything_is_stored(
    stores: Stores, play: PlayActions, resolver: Worker
) -> None:
    out = RecordingResponder()
    with pytest.raises(PermissionDeniedError, match="Join a voice channel first"):
        await play.play(invocation(voice=None, bot=None), "song", None, out)
    assert out.defers == []
    assert await commands(stores) == []
    assert not await stores.active.is_active(GUILD)
    assert resolver.jobs_complete == 0


async def test_busy_bot_elsewhere_is_not_taken_away(stores: Stores, play: PlayActions) -> None:
    await play.play(invocation(), "song", None, RecordingResponder())
    state = PlayerState(now_playing=(await stores.queue.page(GUILD)).items[0])
    await store_state(stores, state)
    with pytest.raises(PermissionDeniedError, match="already playing"):
        await play.play(invocation(voice=OTHER_VOICE), "another", None, RecordingResponder())


async def test_idle_bot_moves_to_the_member(stores: Stores, play: PlayActions) -> None:
    await play.play(invocation(voice=OTHER_VOICE), "song", None, RecordingResponder())
    join = (await commands(stores))[0]
    assert isinstance(join, JoinCommand) and join.voice_channel_id == OTHER_VOICE


@pytest.mark.parametrize(("query", "when"), [("   ", None), ("x" * 501, None), ("song", "later")])
async def test_bad_options_store_nothing(stores: Stores, play: PlayActions, query: str, when: str | None) -> None:
    out = RecordingResponder()
    with pytest.raises(InvalidInputError):
        await play.play(invocation(), query, when, out)
    assert out.defers == []
    assert await commands(stores) == []


async def test_search_then_pick(stores: Stores, play: PlayActions) -> None:
    out = RecordingResponder()
    reply = await play.search(invocation(), "lofi", "next", out)
    assert out.defers == [True]
    assert len(reply.buttons) == 5
    assert reply.content.splitlines()[1].startswith("`1.` [lofi result 1]")
    pick = parse(reply.buttons[1].custom_id)
    assert isinstance(pick, SearchPick) and pick.index == 1
    with pytest.raises(PermissionDeniedError, match="Only the member who searched"):
        await play.pick(invocation(user_id=8), pick, RecordingResponder())
    picked = await play.pick(invocation(), pick, RecordingResponder())
    assert picked.content.startswith("🎶 Up next:")
    page = await stores.queue.page(GUILD)
    assert page.total == 1
    assert page.items[0].track.title.startswith("http://127.0.0.1:9/media/")
    # A second click resolves the same request again (arq drops the duplicate job) and queues nothing new.
    await play.pick(invocation(), pick, RecordingResponder())
    assert await stores.queue.length(GUILD) == 1


async def test_search_without_results_and_expired_picks(play: PlayActions) -> None:
    reply = await play.search(invocation(), "nothing here", None, RecordingResponder())
    assert reply.content == "🔍 No results for “nothing here”." and reply.buttons == ()
    with pytest.raises(InvalidInputError, match="expired"):
        await play.pick(invocation(), SearchPick("0" * 32, 0), RecordingResponder())


async def test_autocomplete_offers_recent_queries_and_results(suggestions: Suggestions, play: PlayActions) -> None:
    assert await suggestions.entries(GUILD, 7, "") == []
    await play.play(invocation(), "daft punk", None, RecordingResponder())
    await play.search(invocation(), "lofi", None, RecordingResponder())
    everything = await suggestions.entries(GUILD, 7, "")
    labels = [choice.label for choice in everything]
    assert labels[:5] == [f"lofi result {n}" for n in range(1, 6)]
    assert "daft punk" in labels
    typed = await suggestions.entries(GUILD, 7, "daft")
    assert [choice.label for choice in typed][:2] == ["daft", "daft punk"]
    assert await suggestions.entries(GUILD, 8, "") == []


async def test_insert_position_reaches_the_resolver(stores: Stores, play: PlayActions) -> None:
    await play.play(invocation(), "a", None, RecordingResponder())
    await play.play(invocation(), "b", None, RecordingResponder())
    await play.play(invocation(), "c", InsertPosition.NEXT.value, RecordingResponder())
    titles = [item.track.title for item in (await stores.queue.page(GUILD)).items]
    assert titles == ["c", "a", "b"]
