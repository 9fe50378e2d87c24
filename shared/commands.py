"""Commands from the gateway to the worker that owns a guild, carried in order by the guild's command stream."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import Field, TypeAdapter, field_validator

from shared.models import EQ_BANDS_HZ, BandGain, Equalizer, FilterChain, ItemId, LoopMode, Snowflake, WireModel

MAX_SKIP: Final = 1000
MAX_SEEK_MS: Final = 24 * 3600 * 1000


class _CommandBase(WireModel):
    issued_by: Snowflake | None = None
    """The member who issued it; None for commands from buttons of the system."""
    text_channel_id: Snowflake | None = None
    issued_at_ms: int = Field(default=0, ge=0)


class JoinCommand(_CommandBase):
    """Connect to a voice channel (or move there) and start playing what is queued."""

    kind: Literal["join"] = "join"
    voice_channel_id: Snowflake


class QueueChangedCommand(_CommandBase):
    """Items were added: start playing if idle."""

    kind: Literal["queue_changed"] = "queue_changed"


class PlayNowCommand(_CommandBase):
    """Play the queued item `uid` at once, replacing the current track."""

    kind: Literal["play_now"] = "play_now"
    uid: ItemId


class SkipCommand(_CommandBase):
    """Skip `count` tracks from the one playing. With `uid`, only while that item is still playing: a skip asked
    for a track that ended in the meantime must not skip the one after it."""

    kind: Literal["skip"] = "skip"
    count: int = Field(default=1, ge=1, le=MAX_SKIP)
    uid: ItemId | None = None


class PreviousCommand(_CommandBase):
    kind: Literal["previous"] = "previous"


class PauseCommand(_CommandBase):
    kind: Literal["pause"] = "pause"


class ResumeCommand(_CommandBase):
    kind: Literal["resume"] = "resume"


class StopCommand(_CommandBase):
    """Stop playback and clear the queue; stay connected."""

    kind: Literal["stop"] = "stop"


class LeaveCommand(_CommandBase):
    """Stop and disconnect; the queue is kept."""

    kind: Literal["leave"] = "leave"


class SeekCommand(_CommandBase):
    kind: Literal["seek"] = "seek"
    position_ms: int = Field(ge=-MAX_SEEK_MS, le=MAX_SEEK_MS)
    relative: bool = False

    def target_ms(self, current_ms: int) -> int:
        """The absolute position this command asks for, never below zero."""
        return max(0, current_ms + self.position_ms if self.relative else self.position_ms)


class VolumeCommand(_CommandBase):
    kind: Literal["volume"] = "volume"
    volume: int = Field(ge=0, le=200)


class FiltersCommand(_CommandBase):
    kind: Literal["filters"] = "filters"
    filters: FilterChain


class BandGainSetting(WireModel):
    """One equalizer band's new gain."""

    hz: int
    gain_db: BandGain

    @field_validator("hz")
    @classmethod
    def _known_band(cls, hz: int) -> int:
        if hz not in EQ_BANDS_HZ:
            raise ValueError(f"{hz} Hz is not an equalizer band")
        return hz


class EqualizerCommand(_CommandBase):
    """Change the equalizer: start from flat when `replace` (a preset, a reset), then set `bands`; the bands not
    named keep their gain. Applied by the owner in stream order, so two members setting two bands both count."""

    kind: Literal["equalizer"] = "equalizer"
    replace: bool = False
    bands: tuple[BandGainSetting, ...] = Field(default=(), max_length=len(EQ_BANDS_HZ))

    def applied_to(self, current: Equalizer) -> Equalizer:
        start = Equalizer() if self.replace else current
        return start.with_gains({band.hz: band.gain_db for band in self.bands})


class LoopCommand(_CommandBase):
    kind: Literal["loop"] = "loop"
    mode: LoopMode


class VoiceUpdateCommand(_CommandBase):
    """The gateway stored new voice credentials for the guild."""

    kind: Literal["voice_update"] = "voice_update"


class ListenersCommand(_CommandBase):
    """How many members (bots excluded) are in the bot's voice channel; 0 starts the alone-idle timer."""

    kind: Literal["listeners"] = "listeners"
    count: int = Field(ge=0, le=100_000)


Command = Annotated[
    JoinCommand
    | QueueChangedCommand
    | PlayNowCommand
    | SkipCommand
    | PreviousCommand
    | PauseCommand
    | ResumeCommand
    | StopCommand
    | LeaveCommand
    | SeekCommand
    | VolumeCommand
    | FiltersCommand
    | EqualizerCommand
    | LoopCommand
    | VoiceUpdateCommand
    | ListenersCommand,
    Field(discriminator="kind"),
]

COMMAND_ADAPTER: Final[TypeAdapter[Command]] = TypeAdapter(Command)
