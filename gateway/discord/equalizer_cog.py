"""`/eq`: the equalizer's slash command; each subcommand is a thin adapter from nextcord options to an action."""

from __future__ import annotations

from typing import Final

import nextcord
from nextcord import SlashOption

from gateway.commands.equalizer import EqualizerActions
from gateway.discord.interaction import Interaction, handle
from gateway.discord.slash import choices, slash
from gateway.wording.equalizer import band_label
from shared.models import EQ_BANDS_HZ, EQ_MAX_GAIN_DB, EqualizerPreset

PRESETS: Final = choices(*(preset.value for preset in EqualizerPreset))
BANDS: Final = {band_label(hz): hz for hz in EQ_BANDS_HZ}


class EqualizerCog(nextcord.ClientCog):
    def __init__(self, equalizer: EqualizerActions) -> None:
        self._equalizer = equalizer

    @slash("eq", "Equalizer: presets, or 15 bands from 25 Hz to 16 kHz in dB.")
    async def eq(self, interaction: Interaction) -> None:
        """Parent of the equalizer subcommands (never invoked itself)."""

    @eq.subcommand(name="preset", description="Apply a curve: flat, bass, treble, vocal, rock, pop, classical ...")
    async def eq_preset(
        self,
        interaction: Interaction,
        name: str = SlashOption(description="The preset", choices=PRESETS),
    ) -> None:
        await handle(interaction, "eq preset", lambda invocation, _: self._equalizer.preset(invocation, name))

    @eq.subcommand(name="band", description="Set one band's gain; the other bands keep theirs.")
    async def eq_band(
        self,
        interaction: Interaction,
        band: int = SlashOption(description="The band", choices=BANDS),
        gain: float = SlashOption(
            description="dB: −12 (cut) to +12 (boost), 0 leaves it", min_value=-EQ_MAX_GAIN_DB, max_value=EQ_MAX_GAIN_DB
        ),
    ) -> None:
        await handle(interaction, "eq band", lambda invocation, _: self._equalizer.band(invocation, band, gain))

    @eq.subcommand(name="reset", description="Back to flat (no equalizer).")
    async def eq_reset(self, interaction: Interaction) -> None:
        await handle(interaction, "eq reset", lambda invocation, _: self._equalizer.reset(invocation))

    @eq.subcommand(name="show", description="Show the current curve.")
    async def eq_show(self, interaction: Interaction) -> None:
        await handle(interaction, "eq show", lambda invocation, _: self._equalizer.show(invocation))
