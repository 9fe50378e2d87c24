"""The wire contract: every value that crosses a process boundary or is stored in Redis.

All models are frozen and reject unknown fields, so data written by a newer or foreign writer fails validation
loudly instead of being half-read. Snowflakes are Python ints; in JSON they are numbers (orjson and pydantic keep
all 64 bits).
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Annotated, Final, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

_log: Final = logging.getLogger(__name__)

MAX_TITLE_LENGTH: Final = 256
MAX_URL_LENGTH: Final = 2048
MAX_DURATION_MS: Final = 24 * 3600 * 1000
MAX_QUEUE_LIMIT: Final = 100_000

Snowflake = Annotated[int, Field(ge=1, lt=2**64)]
"""A Discord id."""

ItemId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
"""A queue item's unique id: 32 lowercase hex digits (uuid4().hex)."""

PROVIDER_NAME: Final = r"^[a-z][a-z0-9_]{0,31}$"
MAX_PROVIDERS: Final = 8
ProviderName = Annotated[str, Field(pattern=PROVIDER_NAME)]
"""A search provider's name: a known one (youtube, youtubemusic, soundcloud) or a yt-dlp search key."""


class WireModel(BaseModel):
    """Base of every wire model: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def stored(cls, raw: bytes | str | None, where: str) -> Self | None:
        """The value read back from `where` (a Redis key); None when there is none, or when it does not validate
        (data of an older or newer version, or foreign data: logged and treated as absent, never a crash)."""
        if raw is None:
            return None
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            _log.warning("ignoring %s at %s: it does not validate (%d errors)", cls.__name__, where, exc.error_count())
            return None


class LoopMode(StrEnum):
    """What happens when a track ends."""

    OFF = "off"
    TRACK = "track"
    QUEUE = "queue"


class InsertPosition(StrEnum):
    """Where `/play` puts new items."""

    END = "end"
    NEXT = "next"
    NOW = "now"


class FilterPreset(StrEnum):
    """Named audio effects; several can be chained."""

    NIGHTCORE = "nightcore"
    VAPORWAVE = "vaporwave"
    BASSBOOST = "bassboost"
    EIGHT_D = "8d"
    KARAOKE = "karaoke"
    TREMOLO = "tremolo"
    VIBRATO = "vibrato"


EQ_BANDS_HZ: Final = (25, 40, 63, 100, 160, 250, 400, 630, 1000, 1600, 2500, 4000, 6300, 10000, 16000)
"""The equalizer's 15 band centres, about 2/3 octave apart (Lavalink's bands)."""
EQ_MAX_GAIN_DB: Final = 12.0

BandGain = Annotated[float, Field(ge=-EQ_MAX_GAIN_DB, le=EQ_MAX_GAIN_DB, allow_inf_nan=False)]
"""One band's gain in dB: −12 (cut) … 0 (unchanged) … +12 (boost)."""


class EqualizerPreset(StrEnum):
    """Named equalizer curves (`EQUALIZER_PRESETS`)."""

    FLAT = "flat"
    BASS = "bass"
    TREBLE = "treble"
    VOCAL = "vocal"
    ROCK = "rock"
    POP = "pop"
    CLASSICAL = "classical"
    ELECTRONIC = "electronic"


class MirrorService(StrEnum):
    """A service whose links encore mirrors: it reads their metadata and plays the same recording from elsewhere."""

    SPOTIFY = "spotify"
    APPLE = "apple"
    DEEZER = "deezer"


ISRC_PATTERN: Final = r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$"


class Track(WireModel):
    """Stable metadata of something playable. Never holds an expiring stream URL."""

    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    """The page or media URL that yt-dlp resolves to a stream just before play."""
    title: str = Field(min_length=1, max_length=MAX_TITLE_LENGTH)
    duration_ms: int | None = Field(default=None, ge=0, le=MAX_DURATION_MS)
    """None for live streams and direct links whose length is unknown."""
    artist: str | None = Field(default=None, max_length=MAX_TITLE_LENGTH)
    source_id: str | None = Field(default=None, max_length=256)
    """The extractor's id of the media (e.g. a video id), used by the search fallback."""
    extractor: str | None = Field(default=None, max_length=64)
    provider: ProviderName | None = None
    """The search provider (`Settings.search_providers`) that found it; None for a pasted link."""
    album: str | None = Field(default=None, max_length=MAX_TITLE_LENGTH)
    isrc: str | None = Field(default=None, pattern=ISRC_PATTERN)
    """The recording's ISRC, where the source says (mirrored services; some search results)."""
    artwork_url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    artists: tuple[Annotated[str, Field(max_length=MAX_TITLE_LENGTH)], ...] = Field(default=(), max_length=16)
    """Every credited artist, main first, when the source lists them (`artist` is their names joined)."""
    mirror: MirrorService | None = None
    """Set on metadata read from a service that cannot be streamed (`url` is its link): matched to a playable
    recording just before it plays (`QueueItem.match`)."""


class CachedTracks(WireModel):
    """A resolve cache entry: what a URL resolved to (`Keys.resolved`) or a search's results (`Keys.search_results`,
    written by the worker, read by the gateway's autocomplete too)."""

    tracks: tuple[Track, ...] = ()


class MatchMethod(StrEnum):
    """How a mirrored item's playable recording was chosen."""

    ISRC = "isrc"
    """A search result carrying the same ISRC."""
    SCORE = "score"
    """The best-ranked search result above the confidence threshold (`Matched.score`)."""


class Matched(WireModel):
    """The playable recording a mirrored item was matched to."""

    track: Track
    method: MatchMethod
    score: float = Field(ge=0.0, le=1.0)


class QueueItem(WireModel):
    """One entry of a guild's queue or history."""

    uid: ItemId
    track: Track
    requester_id: Snowflake
    request_id: str | None = Field(default=None, max_length=64)
    """The `/play` request that added it (playlists add many items under one request)."""
    substituted_for: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    """Set when smart fallback replaced a broken link: the URL that failed."""
    autoplay: bool = False
    """Queued by autoplay (the radio), not by a member: members' items go before it, and it counts against no
    member's share (the queue scripts find it by the compact JSON `"autoplay":true`)."""
    match: Matched | None = None
    """For a mirrored track (`Track.mirror`): what plays for it, set when it was matched just before play."""

    @property
    def heard(self) -> Track:
        """The recording that sounds: the match of a mirrored track once it is known, else the track itself."""
        return self.match.track if self.match is not None else self.track


class FilterChain(WireModel):
    """The active effects of a player, applied as one FFmpeg filter graph."""

    presets: tuple[FilterPreset, ...] = ()
    """Order is kept; each preset at most once."""
    speed: float = Field(default=1.0, ge=0.5, le=2.0)
    """Tempo factor without pitch change."""
    pitch: float = Field(default=1.0, ge=0.5, le=2.0)
    """Pitch factor without tempo change."""
    bass_gain_db: float = Field(default=10.0, ge=0.0, le=20.0)
    """Gain of the bassboost preset."""
    rotation_hz: float = Field(default=0.125, ge=0.01, le=5.0)
    """Rotation speed of the 8d preset."""

    @field_validator("presets")
    @classmethod
    def _unique_presets(cls, presets: tuple[FilterPreset, ...]) -> tuple[FilterPreset, ...]:
        if len(set(presets)) != len(presets):
            raise ValueError("each filter preset may appear once")
        return presets

    @property
    def is_identity(self) -> bool:
        """True when the chain changes nothing (passthrough stays possible)."""
        return not self.presets and self.speed == 1.0 and self.pitch == 1.0

    @property
    def rate_factor(self) -> float:
        """How much faster than the source the output advances (for position bookkeeping)."""
        factor = self.speed
        if FilterPreset.NIGHTCORE in self.presets:
            factor *= 1.25
        if FilterPreset.VAPORWAVE in self.presets:
            factor *= 0.8
        return factor


class Equalizer(WireModel):
    """A 15-band graphic equalizer: one gain in dB per band of `EQ_BANDS_HZ`, in that order, kept to 0.1 dB; all 0
    is flat."""

    gains_db: tuple[BandGain, ...] = (0.0,) * len(EQ_BANDS_HZ)

    @field_validator("gains_db")
    @classmethod
    def _one_gain_per_band(cls, gains: tuple[float, ...]) -> tuple[float, ...]:
        if len(gains) != len(EQ_BANDS_HZ):
            raise ValueError(f"the equalizer has {len(EQ_BANDS_HZ)} bands")
        return tuple(round(gain, 1) + 0.0 for gain in gains)  # 0.1 dB steps; + 0.0 turns −0.0 into 0.0

    @classmethod
    def of_preset(cls, preset: EqualizerPreset) -> Equalizer:
        return cls(gains_db=EQUALIZER_PRESETS[preset])

    @property
    def is_flat(self) -> bool:
        """True when no band changes anything (no filter stage, passthrough stays possible)."""
        return not any(self.gains_db)

    @property
    def bands(self) -> tuple[tuple[int, float], ...]:
        """(band in Hz, gain in dB) for every band."""
        return tuple(zip(EQ_BANDS_HZ, self.gains_db, strict=True))

    def with_gains(self, gains: dict[int, float]) -> Equalizer:
        """This curve with the bands named in `gains` (Hz → dB) set; the other bands keep their gain."""
        unknown = set(gains) - set(EQ_BANDS_HZ)
        if unknown:
            raise ValueError(f"not equalizer bands: {sorted(unknown)}")
        return Equalizer(gains_db=tuple(gains.get(hz, gain) for hz, gain in self.bands))

    @property
    def preset(self) -> EqualizerPreset | None:
        """The preset this curve is exactly, if any."""
        return next((name for name, curve in EQUALIZER_PRESETS.items() if curve == self.gains_db), None)


#                                   25   40   63  100  160  250  400  630   1k 1.6k 2.5k   4k 6.3k  10k  16k
EQUALIZER_PRESETS: Final[dict[EqualizerPreset, tuple[float, ...]]] = {
    EqualizerPreset.FLAT:       (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    EqualizerPreset.BASS:       (6.0, 6.0, 5.0, 4.0, 2.5, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    EqualizerPreset.TREBLE:     (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 1.5, 3.0, 4.5, 5.5, 6.0, 6.0),
    EqualizerPreset.VOCAL:      (-3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.5, 3.5, 4.0, 3.5, 2.5, 1.0, 0.0, -1.0, -1.5),
    EqualizerPreset.ROCK:       (4.5, 4.0, 3.0, 1.5, 0.0, -1.0, -1.5, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 4.5, 4.5),
    EqualizerPreset.POP:        (-1.0, -0.5, 0.0, 1.0, 2.5, 3.5, 3.5, 2.5, 1.0, 0.0, -0.5, -0.5, 0.0, 1.0, 1.0),
    EqualizerPreset.CLASSICAL:  (3.0, 2.5, 2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0),
    EqualizerPreset.ELECTRONIC: (5.0, 5.0, 4.0, 2.0, 0.0, -1.0, -1.0, 0.0, 0.0, 1.0, 2.0, 2.0, 3.0, 4.0, 4.5),
}  # fmt: skip
"""Each preset's gain per band in dB. Neighbouring bands overlap, so a run of equal gains sounds 1.5–3 dB louder
than one band alone (docs/design.md, "Equalizer")."""


class SponsorCategory(StrEnum):
    """SponsorBlock's segment categories a guild may skip (https://wiki.sponsor.ajay.app/w/Segment_Categories)."""

    SPONSOR = "sponsor"
    INTRO = "intro"
    OUTRO = "outro"
    SELFPROMO = "selfpromo"
    INTERACTION = "interaction"
    PREVIEW = "preview"
    FILLER = "filler"
    MUSIC_OFFTOPIC = "music_offtopic"


class SkipSegment(WireModel):
    """A stretch of a video to skip: [start_ms, end_ms) of one SponsorBlock category."""

    category: SponsorCategory
    start_ms: int = Field(ge=0, le=MAX_DURATION_MS)
    end_ms: int = Field(ge=0, le=MAX_DURATION_MS)


AUTO_LANGUAGE: Final = "auto"


class GuildSettings(WireModel):
    """Per-guild configuration set with `/settings`."""

    dj_role_id: Snowflake | None = None
    announce_channel_id: Snowflake | None = None
    default_volume: int = Field(default=100, ge=0, le=200)
    max_queue_length: int = Field(default=5000, ge=1, le=MAX_QUEUE_LIMIT)
    user_share_percent: int = Field(default=50, ge=1, le=100)
    """The largest part of `max_queue_length` one member's items may take."""
    idle_timeout_s: int = Field(default=300, ge=10, le=24 * 3600)
    always_on: bool = False
    """24/7 mode: never leave for idleness."""
    search_fallback: bool = True
    voice_status: bool = True
    """Show the current track as the voice channel's status (when the bot has the permission)."""
    vote_skip_percent: int = Field(default=50, ge=0, le=100)
    """Vote skip: the share of the listeners in the bot's voice channel whose votes skip a track; 0 = off (every
    `/skip` skips at once, as for the track's requester and DJs)."""
    sponsorblock: tuple[SponsorCategory, ...] = Field(default=(SponsorCategory.MUSIC_OFFTOPIC,), max_length=8)
    """SponsorBlock categories skipped in YouTube videos; empty = off."""
    search_providers: tuple[ProviderName, ...] = Field(default=(), max_length=MAX_PROVIDERS)
    """The guild's order of search providers, a subset of the operator's `Settings.search_providers`; empty: the
    operator's order. Names the operator no longer offers are ignored when searching."""
    autoplay: bool = False
    """Radio: when the queue runs out, the owner queues tracks related to the last ones (set with `/autoplay`)."""
    language: str = Field(default=AUTO_LANGUAGE, max_length=6, pattern=r"^(auto|[a-z]{2}(-[A-Z0-9]{2,3})?)$")
    """The language of what encore posts into the channel (the now-playing card, notices): "auto" is the server's
    own (its preferred locale in Discord), else a Discord locale code; replies follow each member's locale."""

    @property
    def max_items_per_user(self) -> int:
        return max(1, self.max_queue_length * self.user_share_percent // 100)


class ItemTrouble(WireModel):
    """What went wrong so far with the now-playing item, so that no owner retries a poison item forever."""

    uid: ItemId
    crashes: int = Field(default=0, ge=0)
    """Players that crashed while it was playing (each is restarted by its owner)."""
    opening: bool = False
    """An owner began opening it and has not seen it play: if that owner is gone, it may have died of it."""


class PlayerState(WireModel):
    """What a guild's player is doing; written only by the lease owner under its fence."""

    now_playing: QueueItem | None = None
    position_ms: int = Field(default=0, ge=0)
    """Position in the source (not in the filtered output) at the last checkpoint."""
    paused: bool = False
    loop: LoopMode = LoopMode.OFF
    filters: FilterChain = FilterChain()
    equalizer: Equalizer = Equalizer()
    volume: int = Field(default=100, ge=0, le=200)
    voice_channel_id: Snowflake | None = None
    text_channel_id: Snowflake | None = None
    """Where the last command came from; used for notices when no announce channel is set."""
    cursor: str = "0-0"
    """The id of the last command of the guild's command stream applied to this state."""
    fence: int = Field(default=0, ge=0)
    """The fence token of the owner that wrote this state."""
    updated_at_ms: int = Field(default=0, ge=0)
    trouble: ItemTrouble | None = None
    skipped: tuple[SkipSegment, ...] = Field(default=(), max_length=32)
    """SponsorBlock segments skipped so far in the now-playing item (cleared when another item plays)."""


class VoiceCredentials(WireModel):
    """What a worker needs to open the guild's voice connection; forwarded by the gateway."""

    guild_id: Snowflake
    user_id: Snowflake
    channel_id: Snowflake | None
    session_id: str = Field(min_length=1, max_length=128)
    token: str | None = Field(default=None, max_length=256, repr=False)
    endpoint: str | None = Field(default=None, max_length=256)
    """host:port without a scheme; None while Discord allocates a new voice server."""
    updated_at_ms: int = Field(default=0, ge=0)
    request_id: str | None = Field(default=None, max_length=64)
    """The worker's voice-state request (``VoiceStateRequest.request_id``) the gateway had carried out last for the
    guild when Discord sent these; a voice session acts only on credentials that follow its own latest request.
    None: no request known (written before request ids existed)."""


class Page(WireModel):
    """One page of a queue or history listing."""

    items: tuple[QueueItem, ...]
    offset: int = Field(ge=0)
    total: int = Field(ge=0)
