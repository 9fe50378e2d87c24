"""How encore words things: durations, progress bars, the now-playing card, queue pages and notices."""

from __future__ import annotations

import re
from typing import Final

from gateway.wording import autoplay, equalizer, failures
from gateway.wording.custom_ids import PlayerButton
from gateway.wording.language import LANGUAGE_NAMES, mark, number, tr, trn
from gateway.wording.reply import Button, ButtonStyle, Card, CardField, Reply
from shared.events import (
    PlaybackFailure,
    PlaylistProgress,
    SegmentSkipped,
    SubstitutionReason,
    TrackFailed,
    TrackSubstituted,
)
from shared.failures import Problem, ProblemKind
from shared.jobs import ResolveResult, ResolveStatus, SearchResult, SearchStatus
from shared.models import (
    AUTO_LANGUAGE,
    FilterChain,
    FilterPreset,
    GuildSettings,
    InsertPosition,
    LoopMode,
    MatchMethod,
    Page,
    PlayerState,
    QueueItem,
    SkipSegment,
    Track,
)

BAR_WIDTH: Final = 18
PAGE_SIZE: Final = 10
MAX_LINE: Final = 90
_MARKDOWN: Final = re.compile(r"([\\*_~`|>\[\]()])")
_LOOP_LABEL: Final = {
    LoopMode.OFF: mark("Loop: off"),
    LoopMode.TRACK: mark("Loop: track"),
    LoopMode.QUEUE: mark("Loop: queue"),
}
_LOOP_VALUE: Final = {LoopMode.OFF: mark("off"), LoopMode.TRACK: mark("track"), LoopMode.QUEUE: mark("queue")}
NEXT_LOOP: Final = {LoopMode.OFF: LoopMode.TRACK, LoopMode.TRACK: LoopMode.QUEUE, LoopMode.QUEUE: LoopMode.OFF}


def escape(text: str) -> str:
    """Markdown-safe text (titles come from the internet)."""
    return _MARKDOWN.sub(r"\\\1", text)


def clip(text: str, limit: int = MAX_LINE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def duration(ms: int | None) -> str:
    """`3:07`, `1:02:03`, or `live` when unknown."""
    if ms is None:
        return tr("live")
    seconds = max(0, ms) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_bar(position_ms: int, duration_ms: int | None, width: int = BAR_WIDTH) -> str:
    """`▬▬▬🔘▬▬▬ 1:23 / 3:45`; for live streams only the elapsed time."""
    if not duration_ms:
        return tr("🔴 {elapsed} elapsed", elapsed=duration(position_ms))
    position_ms = min(max(0, position_ms), duration_ms)
    knob = min(width - 1, position_ms * width // duration_ms)
    bar = "▬" * knob + "🔘" + "▬" * (width - 1 - knob)
    return f"{bar} {duration(position_ms)} / {duration(duration_ms)}"


def track_link(track: Track) -> str:
    title = escape(clip(track.title))
    if track.url.startswith(("http://", "https://")):
        return f"[{title}](<{track.url}>)"
    return f"**{title}**"


def estimated_position(state: PlayerState, now_ms: int) -> int:
    """The position now, extrapolated from the last checkpoint while playing (at the filter chain's rate)."""
    if state.paused or state.now_playing is None or state.updated_at_ms == 0:
        return state.position_ms
    elapsed = max(0, now_ms - state.updated_at_ms)
    return state.position_ms + int(elapsed * state.filters.rate_factor)


def now_playing(state: PlayerState, now_ms: int, *, queued: int | None = None) -> Reply:
    """The now-playing message: card plus the player buttons (or a short 'idle' card)."""
    item = state.now_playing
    if item is None:
        return Reply(card=Card(title=tr("Nothing playing"), description=tr("Add music with `/play`."), colour=0x99AAB5))
    fields = [
        CardField(tr("Requested by"), tr(autoplay.MARK) if item.autoplay else f"<@{item.requester_id}>"),
        CardField(tr("Volume"), f"{state.volume}%"),
        CardField(tr("Loop"), tr(_LOOP_VALUE[state.loop])),
    ]
    if not state.filters.is_identity:
        fields.append(CardField(tr("Filters"), describe_filters(state.filters)))
    if not state.equalizer.is_flat:
        fields.append(CardField(tr("Equalizer"), equalizer.summary(state.equalizer)))
    if state.skipped:
        fields.append(CardField(tr("Skipped"), clip("; ".join(skipped_segment(s) for s in state.skipped[-3:]))))
    if item.match is not None:
        fields.append(CardField(tr("Playing from"), matched_from(item)))
    if queued is not None:
        fields.append(CardField(tr("Up next"), tr("{count} queued", count=number(queued))))
    description = f"{track_link(item.track)}\n{progress_bar(estimated_position(state, now_ms), item.track.duration_ms)}"
    title = tr("⏸ Paused") if state.paused else tr("▶ Now playing")
    card = Card(title=title, description=description, fields=tuple(fields))
    return Reply(card=card, buttons=player_buttons(state))


def matched_from(item: QueueItem) -> str:
    """What plays for a mirrored item: `matched by ISRC · [title](link)` or `best match 0.82 · …` (how first: a
    long link is what the card's limits cut)."""
    match = item.match
    if match is None:
        return ""
    if match.method is MatchMethod.ISRC:
        how = tr("matched by ISRC")
    else:
        how = tr("best match {score}", score=f"{match.score:.2f}")
    return f"{how} · {track_link(match.track)}"


def skipped_segment(segment: SkipSegment) -> str:
    """`sponsor 0:30–1:10`."""
    return f"{segment.category.value} {duration(segment.start_ms)}–{duration(segment.end_ms)}"


def segment_skipped(event: SegmentSkipped) -> str:
    """The channel's one notice of a track's SponsorBlock skips."""
    return tr(
        "⏩ Skipped {segment} of {title} (SponsorBlock).",
        segment=skipped_segment(event.segment),
        title=f"**{clip(escape(event.item.track.title), 80)}**",
    )


def player_buttons(state: PlayerState) -> tuple[Button, ...]:
    toggle_label, toggle_emoji = (tr("Resume"), "▶") if state.paused else (tr("Pause"), "⏸")
    return (
        Button(PlayerButton.TOGGLE.custom_id, toggle_label, ButtonStyle.PRIMARY, toggle_emoji),
        Button(PlayerButton.SKIP.custom_id, tr("Skip"), ButtonStyle.SECONDARY, "⏭"),
        Button(PlayerButton.LOOP.custom_id, tr(_LOOP_LABEL[state.loop]), ButtonStyle.SECONDARY, "🔁"),
        Button(PlayerButton.SHUFFLE.custom_id, tr("Shuffle"), ButtonStyle.SECONDARY, "🔀"),
        Button(PlayerButton.STOP.custom_id, tr("Stop"), ButtonStyle.DANGER, "⏹"),
    )


def finished_card(text: str) -> Reply:
    """What the now-playing message turns into when the player stops (no buttons)."""
    return Reply(card=Card(title=tr("⏹ Stopped"), description=text, colour=0x99AAB5))


def queue_page(state: PlayerState | None, page: Page, page_index: int) -> Reply:
    pages = max(1, -(-page.total // PAGE_SIZE))
    if page_index >= pages and page.total:
        return Reply.error(trn("There is only {count} page.", "There are only {count} pages.", pages))
    lines: list[str] = []
    if state is not None and state.now_playing is not None:
        track = state.now_playing.track
        lines.append(tr("**Now:** {track} · {length}", track=track_link(track), length=duration(track.duration_ms)))
    if not page.items:
        lines.append(tr("The queue is empty. Add music with `/play`."))
    lines.extend(_item_line(page.offset + place, item) for place, item in enumerate(page.items, start=1))
    footer = tr("Page {page}/{pages} · {count} queued", page=page_index + 1, pages=pages, count=number(page.total))
    return Reply(card=Card(title=tr("Queue"), description="\n".join(lines), footer=footer))


def history_page(page: Page, page_index: int) -> Reply:
    pages = max(1, -(-page.total // PAGE_SIZE))
    if not page.items:
        footer = tr("Page {page}/{pages}", page=1, pages=pages)
        return Reply(card=Card(title=tr("History"), description=tr("Nothing has been played yet."), footer=footer))
    lines = [_item_line(page.offset + place, item) for place, item in enumerate(page.items, start=1)]
    footer = tr("Page {page}/{pages}", page=page_index + 1, pages=pages)
    return Reply(card=Card(title=tr("History"), description="\n".join(lines), footer=footer))


def _item_line(number: int, item: QueueItem) -> str:
    by = tr(autoplay.MARK) if item.autoplay else f"<@{item.requester_id}>"
    return f"`{number}.` {track_link(item.track)} · {duration(item.track.duration_ms)} · {by}"


def resolve_outcome(result: ResolveResult, position: InsertPosition, query: str) -> Reply:
    """The `/play` reply for a finished resolve job (`query` is what was asked for); a refusal is for the member who
    asked only."""
    if result.status is not ResolveStatus.QUEUED or result.first is None:
        left_out = _left_out(result)
        message = _not_queued(result, query)
        message = message.rstrip(".。") + left_out if left_out else message
        return Reply(content=f"{_STATUS_ICON[result.status]} {message}", ephemeral=True)
    first = result.first
    if result.playlist_title is not None or (result.total or 0) > 1 or result.skipped:
        text = _playlist_outcome(result)
    else:
        text = tr(_QUEUED[position], track=track_link(first.track), length=duration(first.track.duration_ms))
    if result.substituted_for:
        text += "\n" + tr("↪️ Substituted for the broken link {url}.", url=f"<{result.substituted_for}>")
    return Reply(content=text)


_QUEUED: Final = {
    InsertPosition.END: mark("🎶 Queued {track} ({length})"),
    InsertPosition.NEXT: mark("🎶 Up next: {track} ({length})"),
    InsertPosition.NOW: mark("🎶 Playing now: {track} ({length})"),
}


def _playlist_outcome(result: ResolveResult) -> str:
    """`📜 Queued 6 of 11 tracks from **Links**; 5 could not be played: …` (the total counts the left-out ones)."""
    name = f"**{escape(clip(result.playlist_title or tr('the playlist')))}**"
    left_out = _left_out(result)
    offered = None if result.total is None else result.total + sum(skip.count for skip in result.skipped)
    queued = number(result.queued)
    if offered is not None:
        text = tr("📜 Queued {queued} of {total} tracks from {name}", queued=queued, total=number(offered), name=name)
    else:
        text = tr("📜 Queued {queued} tracks from {name}", queued=queued, name=name)
    rest = tr(" — adding the rest in the background.") if result.pending else "."
    text += left_out or rest
    if left_out and result.pending:
        text += "\n" + tr("The rest is being added in the background.")
    return text


_UNWORDED: Final[dict[ResolveStatus, ProblemKind]] = {
    ResolveStatus.QUEUED: ProblemKind.JOB_FAILED,
    ResolveStatus.NOTHING_FOUND: ProblemKind.NO_RESULTS,
    ResolveStatus.QUEUE_FULL: ProblemKind.JOB_FAILED,
    ResolveStatus.REFUSED: ProblemKind.REFUSED,
    ResolveStatus.FAILED: ProblemKind.JOB_FAILED,
}
"""The words of a result that says no more than its status (an older worker's, whose text was dropped)."""


def _not_queued(result: ResolveResult, query: str) -> str:
    if result.status is ResolveStatus.QUEUE_FULL:
        return tr("Nothing was added: {why}.", why=failures.stop(result.stopped))
    problem = result.problem or Problem(kind=_UNWORDED[result.status])
    return failures.sentence(problem, query=escape(" ".join(query.split())))


def search_failed(query: str, result: SearchResult) -> Reply:
    """The `/search` reply when there is nothing to pick from."""
    unworded = ProblemKind.JOB_FAILED if result.status is SearchStatus.FAILED else ProblemKind.NO_RESULTS
    problem = result.problem or Problem(kind=unworded)
    return Reply(content=f"🔍 {failures.sentence(problem, query=escape(' '.join(query.split())))}")


def _left_out(result: ResolveResult) -> str:
    """`; 5 could not be played: 3 blocked (...), 2 without a playable link.`, or nothing."""
    count = sum(skip.count for skip in result.skipped)
    if not count:
        return ""
    why = tr(", ").join(tr(failures.SKIP_WORDS[skip.kind], count=number(skip.count)) for skip in result.skipped)
    return tr("; {count} could not be played: {why}.", count=number(count), why=why)


_STATUS_ICON: Final = {
    ResolveStatus.QUEUED: "🎶",
    ResolveStatus.NOTHING_FOUND: "🔍",
    ResolveStatus.QUEUE_FULL: "🚫",
    ResolveStatus.REFUSED: "🚫",
    ResolveStatus.FAILED: "❌",
}

STILL_WORKING: Final = mark("⏳ Still working on that — I'll post here when it's queued.")


def search_results(query: str, result: SearchResult) -> list[str]:
    """One line per result for the `/search` picker."""
    return [
        f"`{number}.` {track_link(track)} · {duration(track.duration_ms)}"
        for number, track in enumerate(result.tracks, start=1)
    ] or [tr("🔍 Nothing found for {query}.", query=f"**{escape(clip(query))}**")]


_SUBSTITUTION_TEXT: Final = {
    SubstitutionReason.GONE: mark("it is gone"),
    SubstitutionReason.UNSUPPORTED: mark("its site can't be streamed from"),
    SubstitutionReason.NOT_A_URL: mark("it is not a link that can be read"),
    SubstitutionReason.BLOCKED: mark("its source refused to play it here"),
}


def substituted(event: TrackSubstituted) -> str:
    return tr(
        "↪️ Substituted {track} for broken link {url} ({why}).",
        track=track_link(event.item.track),
        url=f"<{event.broken_url}>",
        why=tr(_SUBSTITUTION_TEXT[event.reason]),
    )


def failed(event: TrackFailed) -> str:
    """Why a track was skipped: why it gave no stream (UNAVAILABLE), else the failure kind in words."""
    link = track_link(event.item.track)
    if event.failure is PlaybackFailure.UNAVAILABLE:
        why = failures.sentence(event.problem, subject=failures.IT) if event.problem is not None else None
        return tr(
            "❌ Couldn't play {track}: {why}", track=link, why=why or tr(failures.PLAYBACK_WORDS[event.failure]) + "."
        )
    return tr("❌ Skipped {track}: {why}.", track=link, why=tr(failures.PLAYBACK_WORDS[event.failure]))


def playlist_progress(event: PlaylistProgress) -> str:
    name = f"**{escape(clip(event.title or tr('the playlist')))}**"
    queued = number(event.queued)
    counted = queued if event.total is None else tr("{queued} of {total}", queued=queued, total=number(event.total))
    if event.stopped is not None:
        why = failures.stop(event.stopped)
        return tr("⚠️ Stopped queueing {name} after {counted}: {why}", name=name, counted=counted, why=why)
    if event.done:
        return tr("📜 Finished queueing {counted} tracks from {name}.", counted=counted, name=name)
    return tr("📜 Queued {counted} from {name}…", counted=counted, name=name)


def settings_card(settings: GuildSettings) -> Reply:
    dj = f"<@&{settings.dj_role_id}>" if settings.dj_role_id else tr("not set (everyone)")
    announce = f"<#{settings.announce_channel_id}>" if settings.announce_channel_id else tr("where commands are used")
    share = trn(
        "{percent}% ({count} track)",
        "{percent}% ({count} tracks)",
        settings.max_items_per_user,
        percent=settings.user_share_percent,
    )
    vote_skip = (
        tr("{percent}% of listeners", percent=settings.vote_skip_percent) if settings.vote_skip_percent else tr("off")
    )
    fields = (
        CardField(tr("DJ role"), dj),
        CardField(tr("Announce channel"), announce),
        CardField(tr("Default volume"), f"{settings.default_volume}%"),
        CardField(tr("Max queue length"), number(settings.max_queue_length)),
        CardField(tr("Per-user share"), share),
        CardField(tr("Idle timeout"), duration(settings.idle_timeout_s * 1000)),
        CardField("24/7", _on_off(settings.always_on)),
        CardField(tr("Search fallback"), _on_off(settings.search_fallback)),
        CardField(tr("Voice channel status"), _on_off(settings.voice_status)),
        CardField(tr("Vote skip"), vote_skip),
        CardField(
            "SponsorBlock", ", ".join(c.value for c in settings.sponsorblock) if settings.sponsorblock else tr("off")
        ),
        CardField(
            tr("Search providers"),
            " → ".join(settings.search_providers) if settings.search_providers else tr("the server's default order"),
        ),
        CardField(tr("Autoplay"), _on_off(settings.autoplay) + " (`/autoplay`)"),
        CardField(tr("Language of messages"), language_name(settings.language)),
    )
    return Reply(card=Card(title=tr("Settings"), fields=fields))


AUTO_CHOICE: Final = mark("auto (the server's language)")
"""The `language` setting's "auto", as `/settings set` offers it and the settings card shows it."""


def language_name(code: str) -> str:
    return tr(AUTO_CHOICE) if code == AUTO_LANGUAGE else LANGUAGE_NAMES.get(code, code)


def _on_off(on: bool) -> str:
    return tr("on") if on else tr("off")


def describe_filters(chain: FilterChain) -> str:
    """The active chain as `/filter set` takes it (the inverse of `gateway.commands.parsing.parse_filters`)."""
    parts: list[str] = []
    for preset in chain.presets:
        if preset is FilterPreset.BASSBOOST:
            parts.append(f"bassboost={chain.bass_gain_db:g}")
        elif preset is FilterPreset.EIGHT_D:
            parts.append(f"8d={chain.rotation_hz:g}")
        else:
            parts.append(preset.value)
    if chain.speed != 1.0:
        parts.append(f"speed={chain.speed:g}")
    if chain.pitch != 1.0:
        parts.append(f"pitch={chain.pitch:g}")
    return ", ".join(parts) if parts else tr("none")
