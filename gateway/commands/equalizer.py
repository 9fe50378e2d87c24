"""The equalizer: presets, one band at a time, reset, show — as ordered commands the owner applies to its curve."""

from __future__ import annotations

from gateway.commands.admission import Gate
from gateway.commands.invocation import Invocation
from gateway.commands.issuing import Issuer
from gateway.commands.parsing import parse_equalizer_band, parse_equalizer_preset
from gateway.commands.permissions import Access
from gateway.wording.equalizer import band_label, chart, gain_text, summary
from gateway.wording.language import mark, tr
from gateway.wording.reply import Reply
from shared.commands import BandGainSetting, EqualizerCommand
from shared.models import Equalizer

_CHANGING = mark("Changing the equalizer")


class EqualizerActions:
    """Changes go to the owner as `EqualizerCommand`s (never a curve read here and written back), so two members
    setting two bands at once both count; the gateway reads the curve only to show it."""

    def __init__(self, gate: Gate, issuer: Issuer) -> None:
        self._gate = gate
        self._issuer = issuer

    async def preset(self, invocation: Invocation, raw_name: str) -> Reply:
        preset = parse_equalizer_preset(raw_name)
        await self._gate.admit(invocation, Access.DESTRUCTIVE, _CHANGING)
        curve = Equalizer.of_preset(preset)
        bands = tuple(BandGainSetting(hz=hz, gain_db=gain) for hz, gain in curve.bands)
        await self._issuer.send(invocation, EqualizerCommand(replace=True, bands=bands))
        return Reply(content=tr("🎚 Equalizer: {preset}.", preset=preset.value))

    async def band(self, invocation: Invocation, raw_hz: int, raw_gain_db: float) -> Reply:
        hz, gain_db = parse_equalizer_band(raw_hz, raw_gain_db)
        await self._gate.admit(invocation, Access.DESTRUCTIVE, _CHANGING)
        await self._issuer.send(invocation, EqualizerCommand(bands=(BandGainSetting(hz=hz, gain_db=gain_db),)))
        return Reply(content=tr("🎚 Equalizer: {band} set to {gain}.", band=band_label(hz), gain=gain_text(gain_db)))

    async def reset(self, invocation: Invocation) -> Reply:
        await self._gate.admit(invocation, Access.DESTRUCTIVE, _CHANGING)
        await self._issuer.send(invocation, EqualizerCommand(replace=True))
        return Reply(content=tr("🎚 Equalizer reset to flat."))

    async def show(self, invocation: Invocation) -> Reply:
        admission = await self._gate.admit(invocation, Access.READ, mark("Showing the equalizer"))
        curve = admission.state.equalizer
        return Reply(content=tr("🎚 Equalizer: {summary}", summary=summary(curve)) + "\n" + chart(curve), ephemeral=True)
