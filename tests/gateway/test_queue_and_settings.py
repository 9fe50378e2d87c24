"""Queue commands (through the atomic queue store), `/settings`, and the per-member rate limit."""

from __future__ import annotations

import pytest
from arq.connections import ArqRedis

from gateway.commands.queue import QueueActions
from gateway.commands.settings import Resettable, SettingsActions, SettingsChange
from gateway.stores.clients import Stores
from shared.errors import InvalidInputError, PermissionDeniedError, RateLimitedError
from shared.keys import Keys
from shared.models import GuildSettings, PlayerState, SponsorCategory
from shared.queue_store import QueueLimits
from shared.settings import GatewaySettings
from tests.factories import make_item, titles
from tests.gateway.conftest import queue_actions
from tests.gateway.doubles import GUILD, OTHER_VOICE, invocation, store_state

DJ = 31337
LIMITS = QueueLimits(max_length=1000, max_per_user=1000)


async def fill(stores: Stores, count: int, requester_id: int = 7) -> None:
    items = [make_item(n, requester_id=requester_id) for n in range(1, count + 1)]
    await stores.queue.append(GUILD, items, limits=LIMITS)


async def queued_titles(stores: Stores) -> list[str]:
    return titles((await stores.queue.page(GUILD, 0, 100)).items)


async def test_queue_pages(stores: Stores, queue: QueueActions) -> None:
    empty = await queue.show(invocation(voice=None), None)
    assert empty.card is not None and "empty" in empty.card.description
    await fill(stores, 25)
    await store_state(stores, PlayerState(now_playing=make_item(99)))
    second = await queue.show(invocation(voice=None), 2)
    assert second.card is not None
    assert second.card.footer == "Page 2/3 · 25 queued"
    assert "`11.` [track 11]" in second.card.description
    assert (await queue.show(invocation(), 9)).ephemeral
    with pytest.raises(InvalidInputError):
        await queue.show(invocation(), 0)


async def test_now_playing_and_history(stores: Stores, queue: QueueActions) -> None:
    assert (await queue.now_playing(invocation())).ephemeral
    state = PlayerState(now_playing=make_item(5), position_ms=1000)
    await store_state(stores, state)
    reply = await queue.now_playing(invocation(voice=None))
    assert reply.card is not None and "track 5" in reply.card.description and reply.buttons == ()
    history = await queue.history(invocation(), None)
    assert history.card is not None and "Nothing has been played" in history.card.description


async def test_remove_own_and_others(stores: Stores, queue: QueueActions) -> None:
    await fill(stores, 2, requester_id=7)
    await stores.queue.append(GUILD, [make_item(3, requester_id=8)], limits=LIMITS)
    await stores.settings.update(GUILD, dj_role_id=DJ)
    reply = await queue.remove(invocation(), 1)
    assert reply.content.startswith("🗑 Removed [track 1]")
    with pytest.raises(PermissionDeniedError, match="other members' tracks"):
        await queue.remove(invocation(), 2)
    await queue.remove(invocation(roles=(DJ,)), 2)
    with pytest.raises(InvalidInputError, match="no track at position 5"):
        await queue.remove(invocation(), 5)
    with pytest.raises(InvalidInputError):
        await queue.remove(invocation(), 0)
    assert await queued_titles(stores) == ["track 2"]
    assert await stores.queue.user_count(GUILD, 8) == 0


async def test_move_and_clear(stores: Stores, queue: QueueActions) -> None:
    await fill(stores, 4)
    reply = await queue.move(invocation(), 4, 1)
    assert reply.content.startswith("↕️ Moved [track 4]") and reply.content.endswith("to position 1.")
    await queue.move(invocation(), 1, 99)
    assert await queued_titles(stores) == ["track 1", "track 2", "track 3", "track 4"]
    with pytest.raises(InvalidInputError, match="no track at position 9"):
        await queue.move(invocation(), 9, 1)
    await stores.settings.update(GUILD, dj_role_id=DJ)
    with pytest.raises(PermissionDeniedError):
        await queue.clear(invocation())
    with pytest.raises(PermissionDeniedError):
        await queue.move(invocation(), 1, 2)
    assert (await queue.clear(invocation(manage=True))).content == "🧹 Cleared 4 queued tracks."
    assert await stores.queue.length(GUILD) == 0


async def test_shuffle_keeps_the_items(stores: Stores, queue: QueueActions) -> None:
    await fill(stores, 30)
    reply = await queue.shuffle(invocation())
    assert reply.content == "🔀 Shuffled 30 tracks."
    assert sorted(await queued_titles(stores)) == sorted(f"track {n}" for n in range(1, 31))
    with pytest.raises(PermissionDeniedError):
        await queue.shuffle(invocation(voice=OTHER_VOICE))


async def test_settings_show_change_reset(stores: Stores, guild_settings: SettingsActions) -> None:
    shown = await guild_settings.show(invocation())
    assert shown.ephemeral and shown.card is not None
    with pytest.raises(PermissionDeniedError, match="Manage Server"):
        await guild_settings.change(invocation(), SettingsChange(default_volume=50))
    admin = invocation(manage=True)
    change = SettingsChange(
        dj_role_id=DJ,
        announce_channel_id=777,
        default_volume=80,
        max_queue_length=300,
        user_share_percent=10,
        idle_timeout="2m",
        always_on=True,
        search_fallback=False,
        voice_status=False,
    )
    reply = await guild_settings.change(admin, change)
    assert reply.content == "✅ Settings saved."
    stored = await stores.settings.get(GUILD)
    assert stored == GuildSettings(
        dj_role_id=DJ,
        announce_channel_id=777,
        default_volume=80,
        max_queue_length=300,
        user_share_percent=10,
        idle_timeout_s=120,
        always_on=True,
        search_fallback=False,
        voice_status=False,
    )
    await guild_settings.change(invocation(roles=(DJ,)), SettingsChange(default_volume=90))
    await guild_settings.reset(admin, Resettable.DJ_ROLE)
    assert (await stores.settings.get(GUILD)).dj_role_id is None
    await guild_settings.reset(admin, Resettable.ALL)
    assert await stores.settings.get(GUILD) == GuildSettings()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (SettingsChange(), "at least one"),
        (SettingsChange(idle_timeout="1s"), "idle timeout"),
        (SettingsChange(idle_timeout="whenever"), "not a time"),
        (SettingsChange(max_queue_length=200_000), "max queue length"),
        (SettingsChange(user_share_percent=150), "per-user share"),
        (SettingsChange(default_volume=300), "default volume"),
        (SettingsChange(vote_skip_percent=101), r"vote skip must be 0 \(off\) or 1-100 %"),
        (SettingsChange(vote_skip_percent=-1), "vote skip"),
        (SettingsChange(sponsorblock="sponsor, ads"), "`ads` is not a SponsorBlock category. Known: sponsor, intro"),
        (SettingsChange(sponsorblock=" , "), "Name SponsorBlock categories"),
        (SettingsChange(sponsorblock="off, sponsor"), "`off` is not a SponsorBlock category"),
        (SettingsChange(sponsorblock="x\u202e`" * 30), r"^`x+…` is not a SponsorBlock category"),
        (
            SettingsChange(search_providers="bandcamp, youtube"),
            r"^`bandcamp` is not a search provider here. Available: youtube, youtubemusic, soundcloud.$",
        ),
        (SettingsChange(search_providers="soundcloud youtube soundcloud"), "`soundcloud` is listed twice"),
        (SettingsChange(search_providers=" ,> "), "Name search providers in order"),
        (SettingsChange(search_providers="you`tube\u202e" * 20), r"^`[youtbe]+…` is not a search provider"),
    ],
)
async def test_bad_settings_store_nothing(
    stores: Stores, guild_settings: SettingsActions, change: SettingsChange, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        await guild_settings.change(invocation(manage=True), change)
    assert await stores.settings.get(GUILD) == GuildSettings()


async def test_rate_limit_per_member(gateway_settings: GatewaySettings, command_redis: ArqRedis, keys: Keys) -> None:
    strict = gateway_settings.model_copy(update={"rate_limit_commands": 3, "rate_limit_window_s": 30.0})
    limited = queue_actions(Stores.build(command_redis, keys, strict, search_providers=("youtube",)))
    for _ in range(3):
        await limited.show(invocation(), None)
    with pytest.raises(RateLimitedError, match=r"try again in (29|30) s"):
        await limited.show(invocation(), None)
    await limited.show(invocation(user_id=8), None)
    ttl = await command_redis.pttl(keys.rate(GUILD, 7))
    assert 0 < ttl <= 30_000


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("sponsor", (SponsorCategory.SPONSOR,)),
        ("Outro, sponsor  intro,,", (SponsorCategory.SPONSOR, SponsorCategory.INTRO, SponsorCategory.OUTRO)),
        ("music-offtopic, nonmusic", (SponsorCategory.MUSIC_OFFTOPIC,)),
        ("OFF", ()),
        ("none", ()),
        ("all", tuple(SponsorCategory)),
    ],
)
async def test_sponsorblock_categories_as_members_type_them(
    stores: Stores, guild_settings: SettingsActions, typed: str, stored: tuple[SponsorCategory, ...]
) -> None:
    reply = await guild_settings.change(invocation(manage=True), SettingsChange(sponsorblock=typed))
    assert (await stores.settings.get(GUILD)).sponsorblock == stored
    assert reply.card is not None
    shown = {field.name: field.value for field in reply.card.fields}["SponsorBlock"]
    assert shown == (", ".join(c.value for c in stored) or "off")


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("SoundCloud, YouTube", ("soundcloud", "youtube"), "soundcloud → youtube"),
        ("youtube-music > soundcloud", ("youtubemusic", "soundcloud"), "youtubemusic → soundcloud"),
        ("default", (), "the server's default order"),
    ],
)
async def test_search_providers_as_members_type_them(
    stores: Stores, guild_settings: SettingsActions, typed: str, stored: tuple[str, ...], shown: str
) -> None:
    reply = await guild_settings.change(invocation(manage=True), SettingsChange(search_providers=typed))
    assert reply.ephemeral
    assert (await stores.settings.get(GUILD)).search_providers == stored
    assert reply.card is not None
    assert {field.name: field.value for field in reply.card.fields}["Search providers"] == shown
