"""Message formatting: durations, progress bars, the now-playing card and its buttons, queue pages, notices."""

from __future__ import annotations

from gateway.wording import formatting
from gateway.wording.custom_ids import PlayerButton, SearchPick, parse
from shared.events import PlaylistProgress, SubstitutionReason, TrackFailed, TrackSubstituted
from shared.failures import Problem, ProblemKind, Stop, StopKind
from shared.jobs import ResolveResult, ResolveStatus, SkipKind, Skipped
from shared.models import (
    Equalizer,
    EqualizerPreset,
    FilterChain,
    FilterPreset,
    InsertPosition,
    LoopMode,
    Page,
    PlayerState,
    QueueItem,
    Track,
)
from tests.factories import make_item

GUILD = 42


def test_durations() -> None:
    assert formatting.duration(0) == "0:00"
    assert formatting.duration(83_999) == "1:23"
    assert formatting.duration(3_723_000) == "1:02:03"
    assert formatting.duration(None) == "live"


def test_progress_bar() -> None:
    assert formatting.progress_bar(0, 100_000, width=5) == "🔘▬▬▬▬ 0:00 / 1:40"
    assert formatting.progress_bar(50_000, 100_000, width=5) == "▬▬🔘▬▬ 0:50 / 1:40"
    assert formatting.progress_bar(250_000, 100_000, width=5) == "▬▬▬▬🔘 1:40 / 1:40"
    assert formatting.progress_bar(61_000, None) == "🔴 1:01 elapsed"


def test_titles_are_escaped() -> None:
    track = Track(url="https://example.test/x", title="*bold* [link](evil) `code`")
    assert formatting.track_link(track) == r"[\*bold\* \[link\]\(evil\) \`code\`](<https://example.test/x>)"


def test_now_playing_card_and_buttons() -> None:
    item = make_item(1, requester_id=7)
    state = PlayerState(now_playing=item, position_ms=2000, updated_at_ms=1_000, loop=LoopMode.QUEUE, volume=80)
    reply = formatting.now_playing(state, now_ms=2_000, queued=3)
    assert reply.card is not None
    assert reply.card.title == "▶ Now playing"
    assert "track 1" in reply.card.description
    assert "0:03 / 0:05" in reply.card.description
    fields = {field.name: field.value for field in reply.card.fields}
    assert fields == {"Requested by": "<@7>", "Volume": "80%", "Loop": "queue", "Up next": "3 queued"}
    assert [button.custom_id for button in reply.buttons] == [button.custom_id for button in PlayerButton]
    assert reply.buttons[0].label == "Pause"
    assert reply.buttons[2].label == "Loop: queue"


def test_paused_card_shows_resume_and_filters() -> None:
    chain = FilterChain(presets=(FilterPreset.NIGHTCORE,))
    state = PlayerState(now_playing=make_item(1), paused=True, position_ms=1000, updated_at_ms=1, filters=chain)
    reply = formatting.now_playing(state, now_ms=10_000)
    assert reply.card is not None and reply.card.title == "⏸ Paused"
    assert "0:01 / 0:05" in reply.card.description
    assert reply.buttons[0].label == "Resume"
    assert ("Filters", "nightcore") in [(field.name, field.value) for field in reply.card.fields]


def test_a_card_names_the_equalizer_only_when_it_is_not_flat() -> None:
    rock = Equalizer.of_preset(EqualizerPreset.ROCK)
    for curve, shown in ((Equalizer(), None), (rock, "rock"), (rock.with_gains({63: 0.0}), "custom (12 bands)")):
        reply = formatting.now_playing(PlayerState(now_playing=make_item(1), equalizer=curve), now_ms=0)
        assert reply.card is not None
        assert {field.name: field.value for field in reply.card.fields}.get("Equalizer") == shown


def test_queue_page() -> None:
    items = tuple(make_item(n) for n in range(10))
    state = PlayerState(now_playing=make_item(99))
    reply = formatting.queue_page(state, Page(items=items, offset=10, total=25), page_index=1)
    assert reply.card is not None
    lines = reply.card.description.splitlines()
    assert lines[0].startswith("**Now:** [track 99]")
    assert lines[1].startswith("`11.` [track 0]")
    assert reply.card.footer == "Page 2/3 · 25 queued"
    empty = formatting.queue_page(None, Page(items=(), offset=0, total=0), 0)
    assert empty.card is not None and "empty" in empty.card.description
    beyond = formatting.queue_page(None, Page(items=(), offset=30, total=25), 3)
    assert beyond.ephemeral and "only 3 page" in beyond.content


def test_resolve_outcomes() -> None:
    first = make_item(1)
    single = ResolveResult(status=ResolveStatus.QUEUED, first=first, queued=1, total=1)
    assert formatting.resolve_outcome(single, InsertPosition.END, "q").content.startswith("🎶 Queued [track 1]")
    assert formatting.resolve_outcome(single, InsertPosition.NOW, "q").content.startswith("🎶 Playing now: [track 1]")
    playlist = ResolveResult(
        status=ResolveStatus.QUEUED,
        first=first,
        queued=20,
        total=5000,
        playlist_title="Mix",
        pending=True,
    )
    text = formatting.resolve_outcome(playlist, InsertPosition.END, "q").content
    assert text == "📜 Queued 20 of 5,000 tracks from **Mix** — adding the rest in the background."
    nothing = ResolveResult(status=ResolveStatus.NOTHING_FOUND, problem=Problem(kind=ProblemKind.NO_RESULTS))
    assert formatting.resolve_outcome(nothing, InsertPosition.END, " zzz  *top*").content == (
        "🔍 No results for “zzz \\*top\\*”."
    )


def test_notices() -> None:
    item = QueueItem(
        uid="a" * 32, track=Track(url="https://example.test/new", title="New Song"), requester_id=1, request_id=None
    )
    substituted = TrackSubstituted(
        guild_id=GUILD,
        at_ms=1,
        item=item,
        broken_url="https://example.test/gone",
        reason=SubstitutionReason.GONE,
        detail="HTTP 404",
    )
    assert formatting.substituted(substituted) == (
        "↪️ Substituted [New Song](<https://example.test/new>) for broken link <https://example.test/gone> (it is gone)."
    )
    assert "Couldn't play" in formatting.failed(TrackFailed(guild_id=GUILD, at_ms=1, item=item))
    progress = PlaylistProgress(guild_id=GUILD, at_ms=1, request_id="r", title="Mix", queued=2480, total=5000)
    assert formatting.playlist_progress(progress) == "📜 Queued 2,480 of 5,000 from **Mix**…"
    done = progress.model_copy(update={"queued": 5000, "done": True})
    assert formatting.playlist_progress(done) == "📜 Finished queueing 5,000 of 5,000 tracks from **Mix**."
    stopped = progress.model_copy(update={"stopped": Stop(kind=StopKind.USER_SHARE, limit=600)})
    assert formatting.playlist_progress(stopped) == (
        "⚠️ Stopped queueing **Mix** after 2,480 of 5,000: your share of the queue is used up (600 items)"
    )


def test_custom_ids_round_trip() -> None:
    for button in PlayerButton:
        assert parse(button.custom_id) is button
    pick = SearchPick("f" * 32, 3)
    assert parse(pick.custom_id) == pick
    assert parse("encore:np:explode") is None
    assert parse("someone-else:np:skip") is None
    assert parse("encore:pick:nothex:1") is None


def test_partial_results_say_what_was_left_out() -> None:
    skipped = (Skipped(kind=SkipKind.NO_LINK, count=2), Skipped(kind=SkipKind.REFUSED, count=3))
    result = ResolveResult(status=ResolveStatus.QUEUED, first=make_item(1), queued=6, total=6, skipped=skipped)
    assert formatting.resolve_outcome(result, InsertPosition.END, "q").content == (
        "📜 Queued 6 of 11 tracks from **the playlist**; 5 could not be played: "
        "2 without a playable link, 3 blocked (private or local address)."
    )
    paged = result.model_copy(update={"total": 20, "pending": True, "skipped": skipped[:1]})
    assert formatting.resolve_outcome(paged, InsertPosition.END, "q").content == (
        "📜 Queued 6 of 22 tracks from **the playlist**; 2 could not be played: 2 without a playable link."
        "\nThe rest is being added in the background."
    )
    too_long = (Skipped(kind=SkipKind.TOO_LONG, count=1),)
    none = ResolveResult(status=ResolveStatus.NOTHING_FOUND, problem=Problem(kind=ProblemKind.EMPTY_PLAYLIST))
    assert formatting.resolve_outcome(
        none.model_copy(update={"skipped": too_long}), InsertPosition.END, "q"
    ).content == ("🔍 That playlist has no playable entries; 1 could not be played: 1 longer than 24 hours.")
    assert (
        formatting.resolve_outcome(none, InsertPosition.END, "q").content == "🔍 That playlist has no playable entries."
    )
