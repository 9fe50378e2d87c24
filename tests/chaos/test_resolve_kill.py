"""A playlist ingesting in chunks while the worker running a chunk is killed: it completes on another worker, every
entry queued exactly once and in order."""

from __future__ import annotations

import asyncio
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from shared.player_store import PlayerStore
from shared.queue_store import QueueStore
from shared.settings_store import SettingsStore
from tests.e2e.stack import Stack
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS
from tests.media.server import MediaServer

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(150)]

ENTRIES = 5000
CHUNK_STARTED = re.compile(r"→ ingest:\S+:(\d+):ingest_chunk")
RESCUED_WITHIN_S = 30.0
"""arq alone would re-run the killed job only after its in-progress marker expires (job timeout + 10 s = 70 s)."""


async def _entry_numbers(stack: Stack) -> list[int]:
    """The playlist position (1-based) of every item the guild holds: history, now playing, queue."""
    guild_id = stack.world.guild.id
    players = PlayerStore(stack.redis, stack.keys)
    state = await players.load(guild_id)
    history = (await players.history(guild_id, 0, 100)).items[::-1]
    now = [state.now_playing] if state is not None and state.now_playing is not None else []
    queue = await QueueStore(stack.redis, stack.keys).all_items(guild_id)
    return [int(parse_qs(urlsplit(item.track.url).query)["i"][0]) for item in [*history, *now, *queue]]


async def _kill_while_running_a_chunk(stack: Stack) -> tuple[str, int]:
    """Wait until a worker logs the start of chunk job k >= 1 and kill it at once; (worker, k)."""
    offsets = {name: len(worker.log()) for name, worker in stack.workers.items()}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for name, worker in stack.workers.items():
            found = CHUNK_STARTED.search(worker.log(), offsets[name])
            if found and int(found.group(1)) >= 1:
                await worker.kill()
                return name, int(found.group(1))
        await asyncio.sleep(0.005)
    raise AssertionError(f"no chunk job started\n{stack.tail_logs()}")


async def test_a_chunk_job_killed_mid_run_completes_on_another_worker(stack: Stack, media_server: MediaServer) -> None:
    # one member may queue the whole playlist
    await SettingsStore(stack.redis, stack.keys).update(
        stack.world.guild.id, max_queue_length=2 * ENTRIES, user_share_percent=100
    )
    _, reply = await stack.command("play", {"query": media_server.url(f"paged/p{ENTRIES}")})
    assert "p5000" in reply.content or reply.embeds, reply
    victim, chunk = await _kill_while_running_a_chunk(stack)
    killed_at = time.monotonic()
    print(f"\nkilled {victim} while it ran chunk {chunk}")
    deadline = time.monotonic() + RESCUED_WITHIN_S
    while len(numbers := await _entry_numbers(stack)) < ENTRIES:
        assert time.monotonic() < deadline, f"{len(numbers)} of {ENTRIES} queued\n{stack.tail_logs()}"
        await asyncio.sleep(0.2)
    print(f"all {ENTRIES} entries queued {time.monotonic() - killed_at:.1f} s after the kill")
    await asyncio.sleep(1.0)  # a late duplicate chunk would land now
    numbers = await _entry_numbers(stack)
    assert numbers == list(range(1, ENTRIES + 1)), "every entry exactly once, in playlist order"
    rerun = f":{chunk}:ingest_chunk("
    survivors = [w.log() for name, w in stack.workers.items() if name != victim]
    assert any(rerun in line and "try=2" in line for log in survivors for line in log.splitlines()), (
        "the killed run did not finish: another worker ran the same chunk job again"
    )
