"""`/autoplay on|off` (gateway/commands/autoplay.py) on real stores, and how autoplayed items are shown."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from gateway.commands.admission import Gate
from gateway.commands.autoplay import AutoplayActions
from gateway.stores.clients import Stores
from gateway.wording import formatting
from shared.errors import InvalidInputError, PermissionDeniedError
from shared.keys import Keys
from shared.models import GuildSettings, Page, PlayerState
from shared.queue_store import QueueLimits
from tests.factories import make_item, titles
from tests.gateway.doubles import GUILD, OTHER_VOICE, invocation

LIMITS = QueueLimits(max_length=1000, max_per_user=1000)


@pytest.fixture
def autoplay(stores: Stores, gate: Gate) -> AutoplayActions:
    return AutoplayActions(gate, stores.settings, stores.queue)


async def test_on_and_off_switch_the_setting_and_off_takes_the_radio_out(
    stores: Stores, autoplay: AutoplayActions, redis: Redis, keys: Keys
) -> None:
    on = await autoplay.switch(invocation(), " ON ")
    assert "Autoplay on" in on.content and not on.ephemeral
    assert (await stores.settings.get(GUILD)).autoplay
    fence = int(await redis.incr(keys.fence(GUILD)))
    await stores.queue.append(GUILD, [make_item(1)], limits=LIMITS)
    radio = [make_item(n).model_copy(update={"autoplay": True}) for n in (50, 51)]
    await stores.queue.append_radio(GUILD, fence, radio, max_length=100)
    off = await autoplay.switch(invocation(), "off")
    assert "2 autoplayed" in off.content
    assert not (await stores.settings.get(GUILD)).autoplay
    assert titles((await stores.queue.page(GUILD, 0, 10)).items) == ["track 1"]


async def test_a_wrong_value_or_a_member_elsewhere_changes_nothing(stores: Stores, autoplay: AutoplayActions) -> None:
    with pytest.raises(InvalidInputError, match="on` or `off"):
        await autoplay.switch(invocation(), "sometimes")
    with pytest.raises(PermissionDeniedError):
        await autoplay.switch(invocation(voice=OTHER_VOICE), "on")
    assert await stores.settings.get(GUILD) == GuildSettings()


def test_autoplayed_items_are_marked_in_the_queue_the_card_and_the_settings() -> None:
    mine, radio = make_item(1, requester_id=7), make_item(2).model_copy(update={"autoplay": True})
    page = formatting.queue_page(None, Page(items=(mine, radio), offset=0, total=2), 0)
    assert page.card is not None
    assert page.card.description.splitlines()[0].endswith("· <@7>")
    assert page.card.description.splitlines()[1].endswith("· 📻 autoplay")
    card = formatting.now_playing(PlayerState(now_playing=radio), now_ms=0).card
    assert card is not None and ("Requested by", "📻 autoplay") in [(f.name, f.value) for f in card.fields]
    shown = formatting.settings_card(GuildSettings(autoplay=True)).card
    assert shown is not None and ("Autoplay", "on (`/autoplay`)") in [(f.name, f.value) for f in shown.fields]
