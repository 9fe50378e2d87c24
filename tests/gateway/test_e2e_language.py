"""End to end: replies in the member's language (the fake Discord sends each member's `locale`), announcements in
the guild's (its preferred locale, changed by GUILD_UPDATE), English when there is no catalogue for either; the
registered commands carry their localisations.

The real gateway process against the fake Discord and a real Redis, with the stand-in resolver of
`tests/gateway/conftest.py` (see `test_e2e_commands.py`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from gateway.stores.clients import Stores
from localdiscord.fake_discord import FakeDiscord
from localdiscord.world.models import Member, Message
from shared.event_store import EventStore
from shared.events import LeaveReason, PlayerLeft, TrackStarted
from shared.keys import Keys
from shared.models import PlayerState
from tests.factories import make_item
from tests.gateway.doubles import store_state
from tests.gateway.e2e import (
    GatewayProcess,
    World,
    answer,
    bot_joins,
    build_world,
    component_labels,
    invoke,
    private_refusal,
    registered,
    text_of,
    wait_registered,
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("resolver")]


@pytest.fixture
async def world(fake_discord: FakeDiscord) -> World:
    return await build_world(fake_discord)


@pytest.fixture
async def gateway(world: World, redis_url: str, redis: Redis, tmp_path: Path) -> AsyncIterator[GatewayProcess]:
    env = {"ENCORE_GATEWAY__RATE_LIMIT_COMMANDS": "1000", "ENCORE_LOG_LEVEL": "INFO"}
    process = GatewayProcess(world.fake, redis_url, tmp_path / "gateway.log", env)
    try:
        yield await process.start()
        await wait_registered(world)
    finally:
        await process.close()


async def listener(world: World, name: str, locale: str) -> Member:
    """A member in the bot's voice channel whose Discord client speaks `locale`."""
    member = await world.fake.create_member(world.guild, name, locale=locale)
    await world.fake.join_voice(member, world.voice)
    return member


async def reply_text(world: World, name: str, member: Member, options: dict[str, object] | None = None) -> str:
    _, reply = await answer(world, name, member, options)
    return text_of(reply)


async def playing(world: World, stores: Stores) -> PlayerState:
    await bot_joins(world, stores, world.voice.id)
    state = PlayerState(now_playing=make_item(1), voice_channel_id=world.voice.id, text_channel_id=world.text.id)
    await store_state(stores, state, world.guild.id)
    return state


async def test_a_german_member_gets_german_replies_and_others_english(
    world: World, gateway: GatewayProcess, stores: Stores
) -> None:
    hans = await listener(world, "hans", "de")
    minsu = await listener(world, "minsu", "ko")  # a Discord locale encore has no catalogue for
    odd = await listener(world, "odd", "xx-YY")  # not a locale at all
    assert await reply_text(world, "pause", hans) == "⚠️ Gerade läuft nichts."
    assert await reply_text(world, "pause", world.alice) == "⚠️ Nothing is playing right now."
    for member in (minsu, odd):
        assert await reply_text(world, "pause", member) == "⚠️ Nothing is playing right now."
    # Refused at the edge, before any command runs (the declared range of /volume's `level`, named as the German
    # command picker shows it).
    assert await reply_text(world, "volume", hans, {"level": 500}) == (
        "⚠️ `stufe` muss eine ganze Zahl von 0 bis 200 sein."
    )
    await playing(world, stores)
    assert await reply_text(world, "pause", hans) == "⏸ Pausiert."
    assert await reply_text(world, "pause", world.alice) == "⏸ Paused."
    assert await reply_text(world, "loop", hans, {"mode": "queue"}) == "🔁 Die Warteschlange wird wiederholt."
    queued = await reply_text(world, "play", hans, {"query": "ein lied"})
    assert queued.startswith("🎶 In der Warteschlange: [ein lied](<http://127.0.0.1:9/media/"), queued
    assert queued.endswith(">) (3:00)"), queued
    handle = await invoke(world, "play", hans, {"query": "nothing here"})
    assert text_of(await private_refusal(world, handle)) == "🔍 Keine Ergebnisse für “nothing here”."
    queue = await reply_text(world, "queue", hans)
    assert "**Jetzt:**" in queue and "Seite 1/1 · 1 in der Warteschlange" in queue
    assert "Page 1/1 · 1 queued" in await reply_text(world, "queue", world.alice)


async def test_saved_playlists_answer_in_the_members_language(world: World, gateway: GatewayProcess) -> None:
    hans = await listener(world, "hans", "de")
    _, listed = await answer(world, "playlist", hans, subcommand="list")
    assert text_of(listed).startswith("🎼 Deine Playlists\nNoch keine: `/playlist save` speichert"), text_of(listed)
    _, unknown = await answer(world, "playlist", hans, {"name": "Nope"}, subcommand="show")
    assert text_of(unknown) == "⚠️ Du hast keine Playlist **Nope**; `/playlist list` zeigt, welche es gibt."
    _, english = await answer(world, "playlist", world.alice, {"name": "Nope"}, subcommand="show")
    assert text_of(english) == "⚠️ You have no playlist **Nope**; `/playlist list` shows them."


async def test_announcements_follow_the_guilds_locale(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    state = await playing(world, stores)
    events = EventStore(redis, keys)
    assert state.now_playing is not None
    await world.fake.world.set_preferred_locale(world.guild, "de")
    await events.publish(
        TrackStarted(guild_id=world.guild.id, at_ms=1, text_channel_id=world.text.id, item=state.now_playing)
    )
    card = await world.fake.wait_for_message(
        world.text, lambda m: bool(m.embeds) and "Läuft gerade" in text_of(m), timeout=10
    )
    assert "Gewünscht von" in text_of(card) and "Als Nächstes" in text_of(card)
    assert component_labels(card)["encore:np:skip"] == "Überspringen"
    # A click is answered in the clicking member's language, whatever the guild's.
    click = await (await world.fake.click(card, "encore:np:toggle", member=world.alice)).response()
    assert click.data["content"] == "⏸ Paused."
    await world.fake.world.set_preferred_locale(world.guild, "ja")
    await events.publish(PlayerLeft(guild_id=world.guild.id, at_ms=2, reason=LeaveReason.IDLE))

    def left(message: Message) -> bool:
        return message.id == card.id and "ボイスチャンネルから退出しました（再生する曲がなくなりました）。" in text_of(
            message
        )

    await world.fake.wait_for_message(world.text, left, timeout=10)


async def test_the_language_setting_overrides_the_guilds_for_announcements(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    hans = await listener(world, "hans", "de")
    state = await playing(world, stores)
    assert state.now_playing is not None
    assert "Sprache der Nachrichten: auto (die Sprache des Servers)" in await reply_text_sub(world, hans)
    bad = await answer(world, "settings", world.admin, {"language": "klingon"}, subcommand="set")
    assert bad[1].ephemeral and "`language`" in text_of(bad[1])
    assert (await stores.settings.get(world.guild.id)).language == "auto"
    _, saved = await answer(world, "settings", world.admin, {"language": "ja"}, subcommand="set")
    assert "メッセージの言語: 日本語" not in text_of(saved) and "Language of messages: 日本語" in text_of(saved)
    assert "Sprache der Nachrichten: 日本語" in await reply_text_sub(world, hans)
    events = EventStore(redis, keys)
    await events.publish(
        TrackStarted(guild_id=world.guild.id, at_ms=1, text_channel_id=world.text.id, item=state.now_playing)
    )
    card = await world.fake.wait_for_message(world.text, lambda m: "▶ 再生中" in text_of(m), timeout=10)
    assert component_labels(card)["encore:np:skip"] == "スキップ"
    await answer(world, "settings", world.admin, {"language": "auto"}, subcommand="set")
    await events.publish(PlayerLeft(guild_id=world.guild.id, at_ms=2, reason=LeaveReason.ASKED))
    await world.fake.wait_for_message(
        world.text, lambda m: m.id == card.id and "Left the voice channel (asked to leave)." in text_of(m), timeout=10
    )


async def reply_text_sub(world: World, member: Member) -> str:
    """`/settings show` as `member` reads it (the setting is stored: another member reads it in their language)."""
    _, reply = await answer(world, "settings", member, subcommand="show")
    return text_of(reply)


async def test_registered_commands_carry_their_localisations(world: World, gateway: GatewayProcess) -> None:
    commands = {command["name"]: command for command in registered(world)}
    play = commands["play"]
    assert play["name_localizations"] == {
        "de": "abspielen",
        "fr": "jouer",
        "es-ES": "reproducir",
        "es-419": "reproducir",
        "pt-BR": "tocar",
        "ja": "再生",
    }
    assert play["description_localizations"]["de"].startswith("Einen Link oder Suchbegriffe abspielen")
    when = next(option for option in play["options"] if option["name"] == "when")
    assert when["name_localizations"]["fr"] == "quand"
    assert {choice["name"]: choice["name_localizations"]["ja"] for choice in when["choices"]} == {
        "end": "最後",
        "next": "次",
        "now": "今すぐ",
    }
    subcommands = {option["name"]: option for option in commands["settings"]["options"]}
    assert subcommands["reset"]["name_localizations"]["pt-BR"] == "redefinir"
