"""`/eq`'s actions: each change lands on the guild's stream as an EqualizerCommand; bad input and denials store
nothing; `/eq show` draws the stored curve."""

from __future__ import annotations

import math
import re

import pytest

from gateway.commands.admission import Gate
from gateway.commands.equalizer import EqualizerActions
from gateway.commands.issuing import Issuer
from gateway.stores.clients import Stores
from gateway.wording.equalizer import band_label, chart, gain_text, summary
from shared.commands import BandGainSetting, Command, EqualizerCommand
from shared.errors import InvalidInputError, PermissionDeniedError
from shared.models import EQ_BANDS_HZ, Equalizer, EqualizerPreset, PlayerState
from tests.gateway.doubles import GUILD, invocation, store_state

DJ = 4242


@pytest.fixture
def equalizer(gate: Gate, issuer: Issuer) -> EqualizerActions:
    return EqualizerActions(gate, issuer)


async def sent(stores: Stores) -> list[Command | None]:
    return [entry.command for entry in await stores.commands.read_after(GUILD, "0-0")]


async def test_preset_band_and_reset_send_what_the_owner_applies(stores: Stores, equalizer: EqualizerActions) -> None:
    assert (await equalizer.preset(invocation(), "Bass")).content == "🎚 Equalizer: bass."
    assert (await equalizer.band(invocation(), 1600, -3.04)).content == "🎚 Equalizer: 1.6 kHz set to −3.0 dB."
    assert (await equalizer.reset(invocation())).content == "🎚 Equalizer reset to flat."
    preset, band, reset = await sent(stores)
    assert isinstance(preset, EqualizerCommand) and isinstance(band, EqualizerCommand)
    assert isinstance(reset, EqualizerCommand)
    bass = Equalizer.of_preset(EqualizerPreset.BASS)
    assert preset.replace and preset.applied_to(Equalizer().with_gains({16000: 5.0})) == bass
    assert not band.replace and band.bands == (BandGainSetting(hz=1600, gain_db=-3.0),)
    assert band.applied_to(bass) == bass.with_gains({1600: -3.0}), "one band, the others kept"
    assert reset.replace and reset.applied_to(bass).is_flat


@pytest.mark.parametrize(
    ("hz", "gain", "message"),
    [
        (50, 3.0, "50 Hz is not a band"),
        (0, 3.0, "0 Hz is not a band"),
        (63, 12.01, "from −12 to +12 dB"),
        (63, -40.0, "from −12 to +12 dB"),
        (63, math.nan, "from −12 to +12 dB"),
        (63, math.inf, "from −12 to +12 dB"),
    ],
)
async def test_bad_bands_and_gains_store_nothing(
    stores: Stores, equalizer: EqualizerActions, hz: int, gain: float, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        await equalizer.band(invocation(), hz, gain)
    assert await sent(stores) == []


async def test_an_unknown_preset_stores_nothing(stores: Stores, equalizer: EqualizerActions) -> None:
    with pytest.raises(
        InvalidInputError, match=re.escape("`metal` is not an equalizer preset. Known: flat, bass, treble")
    ):
        await equalizer.preset(invocation(), "metal")
    assert await sent(stores) == []


async def test_changes_need_the_dj_role_and_show_does_not(stores: Stores, equalizer: EqualizerActions) -> None:
    await stores.settings.update(GUILD, dj_role_id=DJ)
    for attempt in (
        equalizer.preset(invocation(), "rock"),
        equalizer.band(invocation(), 63, 3.0),
        equalizer.reset(invocation()),
    ):
        with pytest.raises(PermissionDeniedError, match=f"<@&{DJ}>"):
            await attempt
    assert await sent(stores) == []
    assert (await equalizer.show(invocation())).ephemeral
    await equalizer.band(invocation(roles=(DJ,)), 63, 3.0)
    assert len(await sent(stores)) == 1


async def test_show_draws_the_stored_curve(stores: Stores, equalizer: EqualizerActions) -> None:
    curve = Equalizer.of_preset(EqualizerPreset.VOCAL)
    await store_state(stores, PlayerState(equalizer=curve))
    reply = await equalizer.show(invocation())
    assert reply.ephemeral and reply.content is not None
    assert reply.content.startswith("🎚 Equalizer: vocal\n```")
    lines = reply.content.split("\n")[2:-1]
    assert len(lines) == 1 + len(EQ_BANDS_HZ)
    assert lines[1].split() == ["25", "Hz", "███│", "−3.0", "dB"]
    assert lines[9].split() == ["1", "kHz", "│████", "+4.0", "dB"]
    assert len({line.index("│") for line in lines[1:]}) == 1, "the axis is one column"
    assert summary(curve.with_gains({25: 0.0})) == "custom (12 bands)"
    assert summary(Equalizer().with_gains({25: 1.0})) == "custom (1 band)"


def test_band_and_gain_words() -> None:
    assert [band_label(hz) for hz in (25, 630, 1000, 1600, 16000)] == ["25 Hz", "630 Hz", "1 kHz", "1.6 kHz", "16 kHz"]
    assert [gain_text(g) for g in (6.0, -3.5, 0.0)] == ["+6.0 dB", "−3.5 dB", "0.0 dB"]
    assert chart(Equalizer().with_gains({25: 12.0})).count("█") == 12
