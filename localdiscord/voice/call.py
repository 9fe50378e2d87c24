"""One call (a voice channel on one voice server): its clients, simulated listeners and the DAVE group.

The fake plays the voice gateway's DAVE external-sender role, as Discord's SFU does:
announce members (op 11/13), wrap key packages in external proposals (op 27), take the first valid
commit per epoch (op 28), announce it (op 29) and welcome new members (op 30, or directly for the
simulated listeners), then execute the transition (op 22) once every client is ready (op 23).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field
from typing import Final

from localdiscord.fake_state import Core
from localdiscord.voice.capture import ChannelAudio
from localdiscord.voice.connection import VoiceConnection
from localdiscord.voice.listener import Listener
from localdiscord.voice.mls import (
    ExternalSender,
    MlsDecodeError,
    key_package_identity,
    split_commit_welcome,
    strip_key_package,
)

_log: Final = logging.getLogger(__name__)


@dataclass(slots=True)
class Transition:
    tid: int
    waiting: set[int]
    timer: asyncio.Task[None] | None = None


@dataclass(slots=True)
class DaveStats:
    """What the external sender saw in this call."""

    key_packages: int = 0
    commits_accepted: int = 0
    commits_rejected: int = 0
    invalid_commit_welcome: int = 0
    sole_member_resets: int = 0
    transitions_executed: list[int] = field(default_factory=list)


class Call:
    def __init__(self, core: Core, guild_id: int, channel_id: int, audio: ChannelAudio) -> None:
        self.core = core
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.audio = audio
        self.version = core.config.dave_version
        self.conns: list[VoiceConnection] = []
        self.ready: set[int] = set()
        self.listeners: dict[int, Listener] = {}
        self.external = ExternalSender(channel_id)
        self.epoch = 0
        self.group_conns: set[int] = set()
        self.outstanding: list[Listener | VoiceConnection] = []
        self.removing = 0
        self.transition: Transition | None = None
        self.stats = DaveStats()
        self._tids = itertools.count(1)

    # membership

    def dave_conns(self) -> list[VoiceConnection]:
        return [c for c in self.conns if c.id in self.ready and c.dave_version > 0]

    def add_listener(self, user_id: int) -> Listener:
        listener = Listener(user_id, self.channel_id, self.audio, self.version)
        listener.set_external_sender(self.external.package)
        self.listeners[user_id] = listener
        return listener

    async def listener_joined(self, user_id: int) -> None:
        if user_id in self.listeners:
            return
        listener = self.add_listener(user_id)
        for conn in self.conns:
            if conn.id in self.ready:
                await conn.send_json(11, {"user_ids": [str(user_id)]})
        if self.version > 0:
            await self._propose_listener(listener)

    async def listener_left(self, user_id: int) -> None:
        listener = self.listeners.pop(user_id, None)
        if listener is None:
            return
        for conn in self.conns:
            if conn.id in self.ready:
                await conn.send_json(13, {"user_id": str(user_id)})
        if listener in self.outstanding:
            self.outstanding.remove(listener)
        if self.version > 0 and listener.in_group and self.epoch > 0:
            if any(other.in_group for other in self.listeners.values()):
                await self._propose_remove(listener)
            else:
                await self._sole_member_reset()
        listener.close()

    async def conn_ready(self, conn: VoiceConnection) -> None:
        """SESSION_DESCRIPTION was sent: announce the external sender and the other members."""
        self.ready.add(conn.id)
        if conn.dave_version > 0:
            await conn.send_binary(25, self.external.package)
        others = [str(uid) for uid in self.listeners] + [str(c.user_id) for c in self.conns if c is not conn]
        if others:
            await conn.send_json(11, {"user_ids": others})

    def conn_gone(self, conn: VoiceConnection) -> None:
        if conn in self.conns:
            self.conns.remove(conn)
        self.ready.discard(conn.id)
        self.group_conns.discard(conn.id)
        if not self.group_conns:
            self._reset_group()

    def _reset_group(self) -> None:
        self.epoch = 0
        self.outstanding.clear()
        self.removing = 0
        if self.transition is not None and self.transition.timer is not None:
            self.transition.timer.cancel()
        self.transition = None
        for listener in self.listeners.values():
            listener.reset()

    # proposals

    async def _propose_listener(self, listener: Listener) -> None:
        if self.epoch == 0:
            await self._propose_new_group()
            return
        payload = self.external.append_adds(self.epoch, [listener.key_package()])
        self.outstanding.append(listener)
        await self._send_proposals(payload)

    async def _propose_new_group(self) -> None:
        """No group yet: ask the clients to create one adding every listener (epoch 0)."""
        pending = [listener for listener in self.listeners.values() if not listener.in_group]
        conns = self.dave_conns()
        if not pending or not conns:
            return
        self.outstanding = list(pending)
        payload = self.external.append_adds(0, [listener.key_package() for listener in pending])
        for conn in conns:
            await conn.send_binary(27, payload)

    async def _propose_remove(self, listener: Listener) -> None:
        leaf = listener.leaf_index
        if leaf is None:
            return
        self.removing += 1
        await self._send_proposals(self.external.append_removes(self.epoch, [leaf]))

    async def _send_proposals(self, payload: bytes) -> None:
        for conn in self.dave_conns():
            if conn.id in self.group_conns:
                await conn.send_binary(27, payload)
        for listener in self.listeners.values():
            listener.process_proposals(payload)

    async def _sole_member_reset(self) -> None:
        """The bot is alone: op 24 epoch 1, then op 21 transition 0 (executes at once)."""
        self.stats.sole_member_resets += 1
        conns = [c for c in self.dave_conns() if c.id in self.group_conns]
        self.group_conns.clear()
        self._reset_group()
        for conn in conns:
            conn.kp_fresh = False
            await conn.send_json(24, {"epoch": 1, "protocol_version": self.version})
            await conn.send_json(21, {"transition_id": 0, "protocol_version": self.version})

    # messages from clients

    async def on_key_package(self, conn: VoiceConnection, payload: bytes) -> None:
        package = strip_key_package(payload)
        try:
            identity = key_package_identity(package)
        except MlsDecodeError:
            _log.warning("voice connection %s sent an unreadable key package", conn.id)
            return
        if identity != conn.user_id:
            _log.warning("key package identity %s is not user %s", identity, conn.user_id)
            return
        self.stats.key_packages += 1
        conn.key_package, conn.kp_fresh = package, True
        if self.epoch == 0:
            await self._propose_new_group()
        elif conn.id not in self.group_conns:
            self.outstanding.append(conn)
            await self._send_proposals(self.external.append_adds(self.epoch, [package]))

    async def on_commit(self, conn: VoiceConnection, payload: bytes) -> None:
        try:
            split = split_commit_welcome(payload, self.channel_id)
        except MlsDecodeError as exc:
            _log.warning("unparseable commit from connection %s: %s", conn.id, exc)
            self.stats.commits_rejected += 1
            return
        expected = len(self.outstanding) + self.removing
        may_commit = conn.id in self.group_conns or (self.epoch == 0 and conn.kp_fresh)
        if split.epoch != self.epoch or split.proposal_refs != expected or not may_commit:
            self.stats.commits_rejected += 1
            return
        self.stats.commits_accepted += 1
        await self._accept(conn, split.commit, split.welcome)

    async def _accept(self, committer: VoiceConnection, commit: bytes, welcome: bytes | None) -> None:
        self.epoch += 1
        tid = next(self._tids) % 0xFFFF or next(self._tids)
        added, self.outstanding, self.removing = self.outstanding, [], 0
        for listener in self.listeners.values():
            listener.process_commit(commit)
        self.group_conns.add(committer.id)
        for member in added:
            if isinstance(member, Listener) and welcome is not None:
                member.process_welcome(welcome)
        members = [c for c in self.dave_conns() if c.id in self.group_conns]
        for conn in members:
            await conn.send_binary(29, tid.to_bytes(2, "big") + commit)
        for member in added:
            if isinstance(member, VoiceConnection) and welcome is not None:
                self.group_conns.add(member.id)
                await member.send_binary(30, tid.to_bytes(2, "big") + welcome)
                members.append(member)
        self._start_transition(tid, {c.id for c in members})

    def _start_transition(self, tid: int, waiting: set[int]) -> None:
        if self.transition is not None and self.transition.timer is not None:
            self.transition.timer.cancel()
        transition = Transition(tid, waiting)
        transition.timer = asyncio.get_running_loop().create_task(self._transition_timeout(transition))
        self.transition = transition

    async def _transition_timeout(self, transition: Transition) -> None:
        await asyncio.sleep(self.core.config.transition_timeout)
        transition.timer = None
        await self._execute(transition)

    async def on_transition_ready(self, conn: VoiceConnection, tid: int) -> None:
        transition = self.transition
        if transition is None or transition.tid != tid:
            return
        transition.waiting.discard(conn.id)
        if not transition.waiting:
            if transition.timer is not None:
                transition.timer.cancel()
                transition.timer = None
            await self._execute(transition)

    async def _execute(self, transition: Transition) -> None:
        if self.transition is not transition:
            return
        self.transition = None
        self.stats.transitions_executed.append(transition.tid)
        for conn in self.dave_conns():
            if conn.id in self.group_conns:
                await conn.send_json(22, {"transition_id": transition.tid})

    async def on_invalid_commit_welcome(self, conn: VoiceConnection) -> None:
        """The client could not use our commit/welcome; it will re-initialise and send a new key package."""
        self.stats.invalid_commit_welcome += 1
        self.group_conns.discard(conn.id)
        if not self.group_conns:
            self._reset_group()

    # media

    def on_media(self, conn: VoiceConnection, frame: bytes, arrival: float) -> None:
        for listener in self.listeners.values():
            listener.receive(conn.user_id, conn.ssrc, frame, arrival)

    def close(self) -> None:
        if self.transition is not None and self.transition.timer is not None:
            self.transition.timer.cancel()
        for listener in self.listeners.values():
            listener.close()
