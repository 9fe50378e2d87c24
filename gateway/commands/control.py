"""Playback control: skip, previous, pause, resume, stop, leave, seek, volume, filters, loop — as ordered commands."""

from __future__ import annotations

from gateway.commands.admission import Gate, require_playing
from gateway.commands.invocation import Invocation
from gateway.commands.issuing import Issuer
from gateway.commands.parsing import (
    parse_filters,
    parse_loop,
    parse_seek,
    parse_skip_count,
    parse_volume,
)
from gateway.commands.permissions import Access
from gateway.commands.voting import Ballot, votes_needed
from gateway.stores.votes import SkipVoteStore, VoteOutcome
from gateway.wording import formatting
from gateway.wording import votes as vote_words
from gateway.wording.formatting import NEXT_LOOP, describe_filters
from gateway.wording.language import mark, tr, trn
from gateway.wording.reply import Reply
from shared.commands import (
    FiltersCommand,
    LeaveCommand,
    LoopCommand,
    PauseCommand,
    PreviousCommand,
    ResumeCommand,
    SeekCommand,
    SkipCommand,
    StopCommand,
    VolumeCommand,
)
from shared.errors import InvalidInputError
from shared.models import FilterChain, LoopMode, QueueItem
from shared.player_store import PlayerStore

_FILTER_HELP = mark(
    "nightcore, vaporwave, bassboost[=dB 0-20], 8d[=Hz 0.01-5], karaoke, tremolo, vibrato, "
    "speed=0.5-2, pitch=0.5-2 — e.g. `/filter set nightcore, bassboost=12`"
)


class ControlActions:
    def __init__(self, gate: Gate, issuer: Issuer, players: PlayerStore, votes: SkipVoteStore) -> None:
        self._gate = gate
        self._issuer = issuer
        self._players = players
        self._votes = votes

    async def skip(self, invocation: Invocation, raw_count: int | None) -> Reply:
        """Skip at once, or count the member's vote when vote skip asks for one (`gateway.commands.voting`)."""
        count = parse_skip_count(raw_count)
        admission = await self._gate.admit(invocation, Access.CONTROL, mark("Skipping"))
        require_playing(admission.state)
        item = admission.state.now_playing
        assert item is not None
        ballot = Ballot(invocation.actor, item.requester_id, count, invocation.listeners, invocation.bot_channel_id)
        needed = votes_needed(ballot, admission.settings)
        if needed is not None:
            return await self._vote(invocation, item, needed)
        await self._issuer.send(invocation, SkipCommand(count=count, uid=item.uid))
        if count == 1:
            return Reply(content=tr("⏭ Skipped {track}.", track=formatting.track_link(item.track)))
        return Reply(content=trn("⏭ Skipping {count} track.", "⏭ Skipping {count} tracks.", count))

    async def _vote(self, invocation: Invocation, item: QueueItem, needed: int) -> Reply:
        voter = invocation.actor.user_id
        count = await self._votes.vote(invocation.guild_id, item.uid, voter, invocation.listeners, needed)
        if count.outcome is VoteOutcome.PASSED:
            await self._issuer.send(invocation, SkipCommand(count=1, uid=item.uid))
            return Reply(content=vote_words.passed(item.track, count.votes, needed))
        if count.outcome is VoteOutcome.PASSED_BEFORE:
            return Reply(content=vote_words.passed_before(item.track), ephemeral=True)
        if count.outcome is VoteOutcome.ALREADY_VOTED:
            raise InvalidInputError(vote_words.already_voted(count.votes, needed))
        return Reply(content=vote_words.counted(item.track, count.votes, needed))

    async def previous(self, invocation: Invocation) -> Reply:
        await self._gate.admit(invocation, Access.CONTROL, mark("Going back"))
        history = await self._players.history(invocation.guild_id, 0, 1)
        if not history.items:
            raise InvalidInputError(tr("Nothing has been played yet, so there is nothing to go back to."))
        await self._issuer.send(invocation, PreviousCommand())
        return Reply(content=tr("⏮ Back to {track}.", track=formatting.track_link(history.items[0].track)))

    async def pause(self, invocation: Invocation) -> Reply:
        admission = await self._gate.admit(invocation, Access.CONTROL, mark("Pausing"))
        require_playing(admission.state)
        if admission.state.paused:
            raise InvalidInputError(tr("Already paused — use `/resume`."))
        await self._issuer.send(invocation, PauseCommand())
        return Reply(content=tr("⏸ Paused."))

    async def resume(self, invocation: Invocation) -> Reply:
        admission = await self._gate.admit(invocation, Access.CONTROL, mark("Resuming"))
        require_playing(admission.state)
        if not admission.state.paused:
            raise InvalidInputError(tr("Not paused."))
        await self._issuer.send(invocation, ResumeCommand())
        return Reply(content=tr("▶ Resumed."))

    async def stop(self, invocation: Invocation) -> Reply:
        await self._gate.admit(invocation, Access.DESTRUCTIVE, mark("Stopping"))
        await self._issuer.send(invocation, StopCommand())
        return Reply(content=tr("⏹ Stopped and cleared the queue."))

    async def leave(self, invocation: Invocation) -> Reply:
        admission = await self._gate.admit(invocation, Access.CONTROL, mark("Disconnecting me"))
        if invocation.bot_channel_id is None and admission.state.voice_channel_id is None:
            raise InvalidInputError(tr("I'm not in a voice channel."))
        await self._issuer.send(invocation, LeaveCommand())
        return Reply(content=tr("👋 Leaving the voice channel (the queue is kept)."))

    async def seek(self, invocation: Invocation, raw_position: str) -> Reply:
        target = parse_seek(raw_position)
        admission = await self._gate.admit(invocation, Access.CONTROL, mark("Seeking"))
        require_playing(admission.state)
        assert admission.state.now_playing is not None
        length = admission.state.now_playing.track.duration_ms
        if length is None:
            raise InvalidInputError(tr("This is a live stream; it cannot be seeked."))
        if not target.relative and target.position_ms >= length:
            raise InvalidInputError(
                tr("That is past the end of the track ({length}).", length=formatting.duration(length))
            )
        await self._issuer.send(invocation, SeekCommand(position_ms=target.position_ms, relative=target.relative))
        if target.relative:
            step = formatting.duration(abs(target.position_ms))
            if target.position_ms >= 0:
                return Reply(content=tr("⏩ Seeking forward {step}.", step=step))
            return Reply(content=tr("⏩ Seeking back {step}.", step=step))
        return Reply(content=tr("⏩ Seeking to {position}.", position=formatting.duration(target.position_ms)))

    async def volume(self, invocation: Invocation, raw_volume: int) -> Reply:
        volume = parse_volume(raw_volume)
        await self._gate.admit(invocation, Access.DESTRUCTIVE, mark("Changing the volume"))
        await self._issuer.send(invocation, VolumeCommand(volume=volume))
        return Reply(content=tr("🔊 Volume set to {volume}%.", volume=volume))

    async def set_filters(self, invocation: Invocation, spec: str) -> Reply:
        chain = parse_filters(spec)
        await self._gate.admit(invocation, Access.DESTRUCTIVE, mark("Changing filters"))
        await self._issuer.send(invocation, FiltersCommand(filters=chain))
        return Reply(content=tr("🎛 Filters: {filters}.", filters=describe_filters(chain)))

    async def clear_filters(self, invocation: Invocation) -> Reply:
        await self._gate.admit(invocation, Access.DESTRUCTIVE, mark("Changing filters"))
        await self._issuer.send(invocation, FiltersCommand(filters=FilterChain()))
        return Reply(content=tr("🎛 Filters cleared."))

    async def list_filters(self, invocation: Invocation) -> Reply:
        admission = await self._gate.admit(invocation, Access.READ, mark("Listing filters"))
        current = describe_filters(admission.state.filters)
        return Reply(
            content=tr("🎛 Active: {current}\nAvailable: {available}", current=current, available=tr(_FILTER_HELP)),
            ephemeral=True,
        )

    async def loop(self, invocation: Invocation, raw_mode: str | None) -> Reply:
        mode = parse_loop(raw_mode) if raw_mode else None
        admission = await self._gate.admit(invocation, Access.CONTROL, mark("Changing the loop mode"))
        mode = mode or NEXT_LOOP[admission.state.loop]
        await self._issuer.send(invocation, LoopCommand(mode=mode))
        return Reply(content=tr(_LOOP_TEXT[mode]))


_LOOP_TEXT = {
    LoopMode.OFF: mark("🔁 Loop off."),
    LoopMode.TRACK: mark("🔂 Looping the current track."),
    LoopMode.QUEUE: mark("🔁 Looping the queue."),
}
