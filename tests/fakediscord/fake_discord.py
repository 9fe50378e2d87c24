"""``FakeDiscord``: a protocol-faithful Discord on 127.0.0.1 (REST v10, gateway v10, voice v8 + UDP, DAVE)."""

from __future__ import annotations

from tests.fakediscord.scenario.voice import VoiceApi


class FakeDiscord(VoiceApi):
    """Start with ``async with FakeDiscord(FakeConfig(...)) as fake:``; see ``tests/fakediscord/README.md``."""
