"""The command stream: each command is applied exactly once across owner changes, including a zombie owner."""

from __future__ import annotations

import asyncio
import random

from redis.asyncio import Redis

from shared.command_store import CommandStore
from shared.commands import PauseCommand, SeekCommand, SkipCommand, VolumeCommand
from shared.keys import Keys
from shared.lease_store import Lease, LeaseStore
from shared.models import PlayerState
from shared.player_store import PlayerStore

GUILD = 555
TTL_MS = 200


class Owner:
    """A minimal owner loop: apply -> fenced commit -> side effect, the order the worker uses."""

    def __init__(self, name: str, redis: Redis, keys: Keys, effects: list[tuple[str, str]]) -> None:
        self.name = name
        self.leases = LeaseStore(redis, keys)
        self.players = PlayerStore(redis, keys)
        self.commands = CommandStore(redis, keys)
        self.effects = effects

    async def take(self) -> Lease:
        for _ in range(500):
            lease = await self.leases.acquire(GUILD, self.name, TTL_MS)
            if lease is not None:
                return lease
            await asyncio.sleep(0.02)
        raise AssertionError("the lease never became free")

    async def run(self, lease: Lease, steps: int, pause_before_commit: float = 0.0) -> bool:
        """Apply up to `steps` commands; False once fenced out."""
        state = await self.players.load(GUILD) or PlayerState()
        for entry in (await self.commands.read_after(GUILD, state.cursor))[:steps]:
            applied = state.position_ms + 1 if entry.command is not None else state.position_ms
            new_state = state.model_copy(
                update={"cursor": entry.entry_id, "position_ms": applied, "fence": lease.fence}
            )
            await asyncio.sleep(pause_before_commit)
            if not await self.players.save(GUILD, lease.fence, new_state):
                return False
            self.effects.append((self.name, entry.entry_id))
            state = new_state
        return True


async def test_every_command_applies_once_across_owner_changes(redis: Redis, keys: Keys) -> None:
    commands = CommandStore(redis, keys)
    ids = [await commands.append(GUILD, SkipCommand(count=1 + n % 3) if n % 2 else PauseCommand()) for n in range(60)]
    effects: list[tuple[str, str]] = []
    rng = random.Random(7)
    owner_number = 0
    while len(effects) < len(ids):
        owner = Owner(f"owner{owner_number}", redis, keys, effects)
        lease = await owner.take()
        await owner.run(lease, rng.randint(1, 12))  # then it "dies" without releasing
        owner_number += 1
    assert [entry_id for _, entry_id in effects] == ids
    state = await PlayerStore(redis, keys).load(GUILD)
    assert state is not None and state.position_ms == len(ids) and state.cursor == ids[-1]
    assert owner_number > 3


async def test_a_zombie_owner_cannot_apply_a_command_twice(redis: Redis, keys: Keys) -> None:
    commands = CommandStore(redis, keys)
    skip_id = await commands.append(GUILD, SkipCommand())
    effects: list[tuple[str, str]] = []
    zombie, successor = Owner("zombie", redis, keys, effects), Owner("successor", redis, keys, effects)
    zombie_lease = await zombie.take()
    # the zombie stalls between reading the skip and committing it; its lease lapses and the successor takes over
    zombie_task = asyncio.create_task(zombie.run(zombie_lease, 1, pause_before_commit=TTL_MS / 1000 * 2))
    await asyncio.sleep(TTL_MS / 1000 * 1.2)
    assert await successor.run(await successor.take(), 10)
    assert await zombie_task is False
    assert effects == [("successor", skip_id)]


async def test_corrupt_commands_are_skipped_and_blocking_read_wakes(redis: Redis, keys: Keys) -> None:
    commands = CommandStore(redis, keys)
    await redis.xadd(keys.commands(GUILD), {b"c": b'{"kind": "explode"}'})
    good = await commands.append(GUILD, VolumeCommand(volume=50))
    entries = await commands.read_after(GUILD, "0-0")
    assert [e.command is None for e in entries] == [True, False]
    assert entries[1].entry_id == good
    waiter = asyncio.create_task(commands.wait_many({GUILD: good, GUILD + 1: "0-0"}, block_ms=2000))
    await asyncio.sleep(0.05)
    seek = await commands.append(GUILD, SeekCommand(position_ms=-10_000, relative=True))
    woke = await asyncio.wait_for(waiter, 1.5)
    assert [e.entry_id for e in woke[GUILD]] == [seek]
    command = woke[GUILD][0].command
    assert isinstance(command, SeekCommand) and command.target_ms(4000) == 0
