"""How a fake Discord behaves; the defaults are production-like."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

XCHACHA: Final = "aead_xchacha20_poly1305_rtpsize"
AES_GCM: Final = "aead_aes256_gcm_rtpsize"


@dataclass(frozen=True, slots=True)
class FakeConfig:
    """Settings of one :class:`~localdiscord.fake_discord.FakeDiscord`.

    - ``dave_version``: the DAVE protocol version chosen for clients that support it (1 real E2EE, 0 transport only).
    - ``require_dave``: close clients announcing ``max_dave_protocol_version`` 0 or none with 4017 (production).
    - ``voice_modes``: encryption modes offered in voice READY, in order (nextcord takes the first it knows).
    - ``resumed_d_null``: voice RESUMED (op 9) carries ``d: null`` as documented; ``False`` sends ``{}``.
    - ``strict_seq_ack``: close a voice client (4020) whose heartbeat ``seq_ack`` lags the server's seq.
    - ``voice_grace``: seconds after a gateway session died without RESUME until its voice sessions end (4014).
    - ``shard_count``: the ``shards`` returned by ``GET /gateway/bot``.
    """

    token: str = "fake-bot-token"  # noqa: S105 (the token the local Discord accepts; not a secret)
    bot_name: str = "encore-test"
    host: str = "127.0.0.1"
    port: int = 0
    voice_port: int = 0
    shard_count: int = 1
    heartbeat_interval_ms: int = 41250
    voice_heartbeat_interval_ms: int = 13750
    dave_version: int = 1
    require_dave: bool = True
    voice_modes: tuple[str, ...] = (XCHACHA, AES_GCM)
    resumed_d_null: bool = True
    strict_seq_ack: bool = False
    interaction_deadline: float = 3.0
    interaction_token_lifetime: float = 15 * 60.0
    voice_grace: float = 10.0
    voice_resume_window: float = 30.0
    transition_timeout: float = 2.0
