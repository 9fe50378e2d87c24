"""`/lyrics live`: one message that follows playback through the synced lyrics of the track playing.

The gateway computes the position from the player's state like `/nowplaying` does (the last checkpoint, plus the
time since it at the filters' rate while not paused: `formatting.estimated_position`) and edits its reply at most
once per EDIT_INTERVAL_S, only when what it shows changed. It stops when the track changes or nothing plays, when
the state cannot be read or the reply not edited, and after MAX_FOLLOW_S (Discord accepts edits of an interaction's
reply for 15 minutes). A follower lives in the gateway process that answered; a restarted gateway drops it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final

from redis.exceptions import RedisError

from gateway.commands.invocation import Responder
from gateway.wording.formatting import estimated_position
from gateway.wording.lyrics_live import LiveEnd, live_ended, live_view
from gateway.wording.reply import Reply
from shared.errors import CorruptDataError
from shared.lyrics import Lyrics
from shared.player_store import PlayerStore
from shared.tasks import TaskOwner

_log: Final = logging.getLogger(__name__)
EDIT_INTERVAL_S: Final = 2.0
MAX_FOLLOW_S: Final = 14 * 60.0


class LiveLyrics:
    def __init__(self, players: PlayerStore, clock: Callable[[], int], background: TaskOwner) -> None:
        self._players = players
        self._clock = clock
        """Wall-clock milliseconds (what the player's checkpoints are stamped with)."""
        self._background = background

    async def first(self, guild_id: int, uid: str, lyrics: Lyrics) -> Reply | None:
        """The view now, or None when the track is no longer the one the lyrics are for."""
        state = await self._players.load(guild_id)
        if state is None or state.now_playing is None or state.now_playing.uid != uid:
            return None
        return live_view(lyrics, estimated_position(state, self._clock()), paused=state.paused)

    def follow(self, guild_id: int, uid: str, lyrics: Lyrics, shown: Reply, out: Responder) -> None:
        """Keep the reply (showing `shown` now) in time until the track `uid` stops playing."""
        self._background.spawn(self._follow(guild_id, uid, lyrics, shown, out), name=f"live-lyrics:{guild_id}:{uid}")

    async def _follow(self, guild_id: int, uid: str, lyrics: Lyrics, shown: Reply, out: Responder) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + MAX_FOLLOW_S
        why = LiveEnd.TIME_UP
        try:
            while loop.time() < deadline:
                await asyncio.sleep(EDIT_INTERVAL_S)
                state = await self._players.load(guild_id)
                if state is None or state.now_playing is None:
                    why = LiveEnd.STOPPED
                    break
                if state.now_playing.uid != uid:
                    why = LiveEnd.TRACK_CHANGED
                    break
                view = live_view(lyrics, estimated_position(state, self._clock()), paused=state.paused)
                if view != shown:
                    await out.edit(view)
                    shown = view
            await out.edit(live_ended(lyrics, why))
        except (RedisError, OSError, CorruptDataError, TimeoutError) as err:
            _log.warning("live lyrics stopped: %s", err, extra={"guild_id": guild_id})
            await self._last_words(guild_id, lyrics, out)
        except Exception as err:  # noqa: BLE001 - an edit Discord refused (the reply deleted): nothing left to follow
            _log.warning("live lyrics stopped: the reply could not be edited (%s)", err, extra={"guild_id": guild_id})

    async def _last_words(self, guild_id: int, lyrics: Lyrics, out: Responder) -> None:
        try:
            await out.edit(live_ended(lyrics, LiveEnd.UNAVAILABLE))
        except Exception as err:  # noqa: BLE001 - best effort: the follower ends either way
            _log.debug("live lyrics: the last edit failed too (%s)", err, extra={"guild_id": guild_id})
