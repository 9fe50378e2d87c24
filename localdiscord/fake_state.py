"""What every server of one fake Discord shares: config, world, commands, interactions, voice grants, faults, logs."""

from __future__ import annotations

import time
from dataclasses import dataclass

from localdiscord.config import FakeConfig
from localdiscord.faults import Faults
from localdiscord.records import GatewayRecord, RequestRecord, VoiceClose, VoiceRecord
from localdiscord.rest.attachments import Cdn
from localdiscord.rest.commands import CommandStore
from localdiscord.world.interactions import Interaction
from localdiscord.world.models import World


@dataclass(frozen=True, slots=True)
class VoiceGrant:
    """Credentials handed out in VOICE_STATE_UPDATE + VOICE_SERVER_UPDATE and checked on voice IDENTIFY."""

    guild_id: int
    user_id: int
    channel_id: int
    session_id: str
    token: str
    server: int


class Core:
    """The state of one fake Discord; ``FakeDiscord.core`` shows tests its logs (``requests``, ``gateway_log``)."""

    def __init__(self, config: FakeConfig) -> None:
        self.config = config
        self.world = World(config.bot_name)
        self.commands = CommandStore(self.world.ids, self.world.application_id)
        self.cdn = Cdn(self.world.ids)
        self.faults = Faults()
        self.requests: list[RequestRecord] = []
        self.gateway_log: list[GatewayRecord] = []
        self.voice_log: list[VoiceRecord] = []
        self.voice_closes: list[VoiceClose] = []
        self.interactions: dict[int, Interaction] = {}
        self.grants: dict[tuple[int, int], VoiceGrant] = {}
        self.rest_base = ""
        self.gateway_url = ""

    def interaction_by_token(self, token: str) -> Interaction | None:
        for interaction in self.interactions.values():
            if interaction.token == token:
                return interaction
        return None

    def log_gateway(self, session_id: str | None, direction: str, frame: dict[str, object]) -> None:
        op = frame.get("op")
        t = frame.get("t")
        self.gateway_log.append(
            GatewayRecord(
                session_id,
                direction,
                op if isinstance(op, int) else -1,
                t if isinstance(t, str) else None,
                frame.get("d"),
                time.monotonic(),
            )
        )
