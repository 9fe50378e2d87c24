"""Literal JSON for every wire model: what one version writes, the next must read (and unknown fields fail)."""

from __future__ import annotations

import orjson
import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from shared import codec
from shared.commands import (
    COMMAND_ADAPTER,
    BandGainSetting,
    EqualizerCommand,
    FiltersCommand,
    JoinCommand,
    SeekCommand,
    SkipCommand,
)
from shared.events import (
    EVENT_ADAPTER,
    PlaybackFailure,
    PlaylistProgress,
    TrackEnded,
    TrackEndReason,
    TrackFailed,
    VoiceStateRequest,
)
from shared.failures import Problem, ProblemKind, Refusal, Stop, StopKind
from shared.jobs import IngestChunkRequest, ResolveRequest, ResolveResult, ResolveStatus, SearchResult, SearchStatus
from shared.models import (
    EQ_BANDS_HZ,
    EQUALIZER_PRESETS,
    Equalizer,
    EqualizerPreset,
    FilterChain,
    FilterPreset,
    GuildSettings,
    ItemTrouble,
    LoopMode,
    PlayerState,
    QueueItem,
    Track,
    VoiceCredentials,
)
from shared.playlists import (
    AttachmentRef,
    ImportRequest,
    ImportResult,
    ImportStatus,
    PlaylistDocument,
    PlaylistMeta,
)

BIG = 1_234_567_890_123_456_789  # above 2**53: must survive every round trip
UID = "0123456789abcdef0123456789abcdef"
TRACK = Track(url="https://example.org/watch?v=x", title="Song", duration_ms=1000, source_id="x", extractor="youtube")
ITEM = QueueItem(uid=UID, track=TRACK, requester_id=BIG)
ITEM_JSON = (
    b'{"uid":"0123456789abcdef0123456789abcdef","track":{"url":"https://example.org/watch?v=x","title":"Song",'
    b'"duration_ms":1000,"artist":null,"source_id":"x","extractor":"youtube","provider":null,"album":null,'
    b'"isrc":null,"artwork_url":null,"artists":[],"mirror":null},"requester_id":1234567890123456789,'
    b'"request_id":null,"substituted_for":null,"autoplay":false,"match":null}'
)
TRACK_JSON = (
    b'{"url":"https://example.org/watch?v=x","title":"Song","duration_ms":1000,"artist":null,"source_id":"x",'
    b'"extractor":"youtube","provider":null,"album":null,"isrc":null,"artwork_url":null,"artists":[],"mirror":null}'
)
OLDER_ITEM_JSON = (
    b'{"uid":"0123456789abcdef0123456789abcdef","track":{"url":"https://example.org/watch?v=x","title":"Song",'
    b'"duration_ms":1000,"artist":null,"source_id":"x","extractor":"youtube"},"requester_id":1234567890123456789,'
    b'"request_id":null,"substituted_for":null,"autoplay":false}'
)
"""What workers wrote before link mirroring: still read, as the same item."""

FLAT_JSON = b'{"gains_db":[' + b",".join([b"0.0"] * 15) + b"]}"

CASES: list[tuple[BaseModel, bytes]] = [
    (ITEM, ITEM_JSON),
    (
        FilterChain(presets=(FilterPreset.NIGHTCORE, FilterPreset.EIGHT_D), speed=1.5),
        b'{"presets":["nightcore","8d"],"speed":1.5,"pitch":1.0,"bass_gain_db":10.0,"rotation_hz":0.125}',
    ),
    (
        GuildSettings(dj_role_id=BIG, always_on=True),
        b'{"dj_role_id":1234567890123456789,"announce_channel_id":null,"default_volume":100,"max_queue_length":5000,'
        b'"user_share_percent":50,"idle_timeout_s":300,"always_on":true,"search_fallback":true,"voice_status":true,'
        b'"vote_skip_percent":50,"sponsorblock":["music_offtopic"],"search_providers":[],"autoplay":false,'
        b'"language":"auto"}',
    ),
    (
        PlayerState(now_playing=ITEM, position_ms=61_000, loop=LoopMode.QUEUE, cursor="17-2", fence=9),
        b'{"now_playing":' + ITEM_JSON + b',"position_ms":61000,"paused":false,"loop":"queue","filters":'
        b'{"presets":[],"speed":1.0,"pitch":1.0,"bass_gain_db":10.0,"rotation_hz":0.125},"equalizer":'
        + FLAT_JSON
        + b',"volume":100,'
        b'"voice_channel_id":null,"text_channel_id":null,"cursor":"17-2","fence":9,"updated_at_ms":0,'
        b'"trouble":null,"skipped":[]}',
    ),
    (
        PlayerState(trouble=ItemTrouble(uid=UID, crashes=2, opening=True)),
        b'{"now_playing":null,"position_ms":0,"paused":false,"loop":"off","filters":'
        b'{"presets":[],"speed":1.0,"pitch":1.0,"bass_gain_db":10.0,"rotation_hz":0.125},"equalizer":'
        + FLAT_JSON
        + b',"volume":100,'
        b'"voice_channel_id":null,"text_channel_id":null,"cursor":"0-0","fence":0,"updated_at_ms":0,'
        b'"trouble":{"uid":"0123456789abcdef0123456789abcdef","crashes":2,"opening":true},"skipped":[]}',
    ),
    (
        VoiceCredentials(
            guild_id=BIG, user_id=2, channel_id=3, session_id="s", token="t", endpoint="h:1", request_id="r1"
        ),
        b'{"guild_id":1234567890123456789,"user_id":2,"channel_id":3,"session_id":"s","token":"t","endpoint":"h:1",'
        b'"updated_at_ms":0,"request_id":"r1"}',
    ),
    (
        ResolveRequest(guild_id=BIG, request_id=UID, query="never gonna", requester_id=5),
        b'{"guild_id":1234567890123456789,"request_id":"0123456789abcdef0123456789abcdef","query":"never gonna",'
        b'"requester_id":5,"position":"end","text_channel_id":null}',
    ),
    (
        ResolveResult(status=ResolveStatus.REFUSED, problem=Problem(kind=ProblemKind.REFUSED, refusal=Refusal.PRIVATE)),
        b'{"status":"refused","problem":{"kind":"refused","refusal":"private","redirect":false,"http_status":null,'
        b'"fallback":null,"service":null,"item":null,"retry_after_s":null,"score":null},"stopped":null,"first":null,"queued":0,"total":null,'
        b'"playlist_title":null,"pending":false,"substituted_for":null,"skipped":[]}',
    ),
    (
        SearchResult(status=SearchStatus.FAILED, problem=Problem(kind=ProblemKind.SEARCH_UNAVAILABLE)),
        b'{"status":"failed","problem":{"kind":"search_unavailable","refusal":null,"redirect":false,'
        b'"http_status":null,"fallback":null,"service":null,"item":null,"retry_after_s":null,"score":null},'
        b'"tracks":[]}',
    ),
    (
        IngestChunkRequest(guild_id=1, request_id=UID, chunk_index=3),
        b'{"guild_id":1,"request_id":"0123456789abcdef0123456789abcdef","chunk_index":3}',
    ),
    (
        VoiceStateRequest(guild_id=1, channel_id=None, fence=4, request_id="r1"),
        b'{"guild_id":1,"channel_id":null,"fence":4,"self_deaf":true,"at_ms":0,"request_id":"r1"}',
    ),
    (
        ResolveRequest(guild_id=1, request_id=UID, query="Evening", requester_id=5, saved=(TRACK,)),
        b'{"guild_id":1,"request_id":"0123456789abcdef0123456789abcdef","query":"Evening","requester_id":5,'
        b'"position":"end","text_channel_id":null,"saved":[' + TRACK_JSON + b"]}",
    ),
    (
        PlaylistDocument(name="Evening", tracks=(TRACK,)),
        b'{"format":"encore.playlist","version":1,"name":"Evening","tracks":[' + TRACK_JSON + b"]}",
    ),
    (
        PlaylistMeta(id=UID, name="Evening", created_by=BIG, created_at_ms=7),
        b'{"id":"0123456789abcdef0123456789abcdef","name":"Evening","created_by":1234567890123456789,'
        b'"created_at_ms":7}',
    ),
    (
        ImportRequest(
            attachment=AttachmentRef(url="https://cdn.discordapp.com/a", filename="a.json", size=9),
            max_entries=500,
            max_bytes=1024,
        ),
        b'{"attachment":{"url":"https://cdn.discordapp.com/a","filename":"a.json","size":9},"link":null,'
        b'"max_entries":500,"max_bytes":1024}',
    ),
    (
        ImportResult(status=ImportStatus.MALFORMED, line=3),
        b'{"status":"malformed","tracks":[],"title":null,"problem":null,"count":null,"line":3}',
    ),
]


@pytest.mark.parametrize(("model", "literal"), CASES, ids=lambda v: type(v).__name__)
def test_model_writes_and_reads_its_literal_json(model: BaseModel, literal: bytes) -> None:
    assert model.model_dump_json().encode() == literal
    assert type(model).model_validate_json(literal) == model
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        type(model).model_validate_json(orjson.dumps({**orjson.loads(literal), "surprise": 1}))


def test_player_state_written_before_item_trouble_still_reads() -> None:
    model, literal = next((m, lit) for m, lit in CASES if isinstance(m, PlayerState))
    assert PlayerState.model_validate_json(literal.replace(b',"trouble":null', b"")) == model


def test_state_and_settings_written_before_sponsorblock_still_read() -> None:
    state, literal = next((m, lit) for m, lit in CASES if isinstance(m, PlayerState))
    assert PlayerState.model_validate_json(literal.replace(b',"skipped":[]', b"")) == state
    settings, literal = next((m, lit) for m, lit in CASES if isinstance(m, GuildSettings))
    older = literal.replace(b',"sponsorblock":["music_offtopic"]', b"")
    assert older != literal and GuildSettings.model_validate_json(older) == settings


def test_tracks_and_settings_written_before_the_provider_chain_still_read() -> None:
    older = ITEM_JSON.replace(b',"provider":null', b"")
    assert older != ITEM_JSON and QueueItem.model_validate_json(older) == ITEM
    settings, literal = next((m, lit) for m, lit in CASES if isinstance(m, GuildSettings))
    older = literal.replace(b',"search_providers":[]', b"")
    assert older != literal and GuildSettings.model_validate_json(older) == settings


def test_settings_written_before_the_language_setting_still_read() -> None:
    settings, literal = next((m, lit) for m, lit in CASES if isinstance(m, GuildSettings))
    older = literal.replace(b',"language":"auto"', b"")
    assert older != literal and GuildSettings.model_validate_json(older) == settings


@pytest.mark.parametrize("language", ["", "AUTO", "de_DE", "deutsch", "de-de", "x" * 7, "de\n"])
def test_a_language_setting_that_is_not_a_locale_code_is_refused(language: str) -> None:
    with pytest.raises(ValidationError):
        GuildSettings(language=language)


def test_player_state_written_before_the_equalizer_reads_as_flat() -> None:
    model, literal = next((m, lit) for m, lit in CASES if isinstance(m, PlayerState))
    older = literal.replace(b',"equalizer":' + FLAT_JSON, b"")
    assert older != literal
    assert PlayerState.model_validate_json(older) == model
    assert model.equalizer.is_flat


UNION_CASES = [
    (
        COMMAND_ADAPTER,
        SkipCommand(count=3, uid="0f" * 16),
        b'{"issued_by":null,"text_channel_id":null,"issued_at_ms":0,"kind":"skip","count":3,'
        b'"uid":"0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"}',
    ),
    (
        COMMAND_ADAPTER,
        SeekCommand(position_ms=-15_000, relative=True),
        b'{"issued_by":null,"text_channel_id":null,'
        b'"issued_at_ms":0,"kind":"seek","position_ms":-15000,"relative":true}',
    ),
    (
        COMMAND_ADAPTER,
        JoinCommand(voice_channel_id=BIG),
        b'{"issued_by":null,"text_channel_id":null,'
        b'"issued_at_ms":0,"kind":"join","voice_channel_id":1234567890123456789}',
    ),
    (
        COMMAND_ADAPTER,
        EqualizerCommand(bands=(BandGainSetting(hz=1000, gain_db=-3.5),)),
        b'{"issued_by":null,"text_channel_id":null,'
        b'"issued_at_ms":0,"kind":"equalizer","replace":false,"bands":[{"hz":1000,"gain_db":-3.5}]}',
    ),
    (
        EVENT_ADAPTER,
        TrackFailed(guild_id=1, at_ms=5, item=ITEM, failure=PlaybackFailure.TIMED_OUT),
        b'{"guild_id":1,"at_ms":5,"text_channel_id":null,"kind":"track_failed","item":'
        + ITEM_JSON
        + b',"failure":"timed_out","problem":null}',
    ),
    (
        EVENT_ADAPTER,
        TrackEnded(guild_id=1, at_ms=5, item=ITEM, reason=TrackEndReason.SKIPPED),
        b'{"guild_id":1,"at_ms":5,"text_channel_id":null,"kind":"track_ended","item":'
        + ITEM_JSON
        + b',"reason":"skipped"}',
    ),
    (
        EVENT_ADAPTER,
        PlaylistProgress(
            guild_id=1,
            at_ms=5,
            request_id="r",
            queued=600,
            total=5000,
            stopped=Stop(kind=StopKind.USER_SHARE, limit=600),
        ),
        b'{"guild_id":1,"at_ms":5,"text_channel_id":null,"kind":"playlist_progress","request_id":"r","title":null,'
        b'"queued":600,"total":5000,"done":false,"stopped":{"kind":"user_share","limit":600,"of":null,"problem":null,'
        b'"service":null}}',
    ),
]


@pytest.mark.parametrize(("adapter", "value", "literal"), UNION_CASES, ids=lambda v: type(v).__name__)
def test_tagged_unions_round_trip(adapter: TypeAdapter[object], value: object, literal: bytes) -> None:
    assert adapter.dump_json(value) == literal
    assert adapter.validate_json(literal) == value


def test_a_skip_from_an_older_gateway_names_no_item() -> None:
    old = COMMAND_ADAPTER.validate_json(b'{"issued_by":null,"text_channel_id":null,"issued_at_ms":0,"kind":"skip"}')
    assert old == SkipCommand(count=1, uid=None)


@pytest.mark.parametrize(
    "bad",
    [
        b'{"kind":"skip","count":0}',
        b'{"kind":"skip","count":1001}',
        b'{"kind":"volume","volume":201}',
        b'{"kind":"rm -rf"}',
        b'{"kind":"filters","filters":{"presets":["nightcore","nightcore"]}}',
        b'{"kind":"filters","filters":{"speed":9}}',
        b'{"kind":"equalizer","bands":[{"hz":1001,"gain_db":1}]}',
        b'{"kind":"equalizer","bands":[{"hz":1000,"gain_db":12.5}]}',
        b'{"kind":"equalizer","bands":[{"hz":1000,"gain_db":-13}]}',
        b'{"kind":"equalizer","bands":[{"hz":1000,"gain_db":"NaN"}]}',
        b'{"kind":"equalizer","bands":[{"hz":1000}]}',
        b"[]",
        b"not json",
    ],
)
def test_bad_commands_are_rejected(bad: bytes) -> None:
    with pytest.raises(ValidationError):
        COMMAND_ADAPTER.validate_json(bad)


def test_models_are_frozen_and_filters_know_their_rate() -> None:
    with pytest.raises(ValidationError):
        ITEM.uid = "x"  # type: ignore[misc]
    chain = FiltersCommand(filters=FilterChain(presets=(FilterPreset.NIGHTCORE,), speed=2.0)).filters
    assert chain.rate_factor == 2.5 and not chain.is_identity
    assert FilterChain().is_identity


def test_codec_keeps_64_bit_ids() -> None:
    assert codec.loads(codec.dumps({"guild_id": BIG})) == {"guild_id": BIG}


def test_equalizer_curves_and_commands() -> None:
    bass = Equalizer.of_preset(EqualizerPreset.BASS)
    assert bass.preset is EqualizerPreset.BASS and not bass.is_flat
    assert Equalizer().preset is EqualizerPreset.FLAT and Equalizer().is_flat
    assert all(len(curve) == len(EQ_BANDS_HZ) for curve in EQUALIZER_PRESETS.values())
    assert set(EQUALIZER_PRESETS) == set(EqualizerPreset)
    one_band = EqualizerCommand(bands=(BandGainSetting(hz=16000, gain_db=-2.04),)).applied_to(bass)
    assert one_band.gains_db == (*bass.gains_db[:-1], -2.0), "one band changes, the others keep their gain"
    assert one_band.preset is None
    preset = EqualizerCommand(replace=True, bands=tuple(BandGainSetting(hz=hz, gain_db=g) for hz, g in bass.bands))
    assert preset.applied_to(one_band) == bass
    assert EqualizerCommand(replace=True).applied_to(bass).is_flat
    with pytest.raises(ValidationError):
        Equalizer(gains_db=(1.0,) * 14)
    with pytest.raises(ValidationError):
        Equalizer(gains_db=(float("inf"),) * 15)
    with pytest.raises(ValueError, match="not equalizer bands"):
        bass.with_gains({50: 1.0})


def test_an_item_written_before_mirroring_reads() -> None:
    assert QueueItem.model_validate_json(OLDER_ITEM_JSON) == ITEM
