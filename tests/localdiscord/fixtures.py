"""pytest fixtures for the fake Discord (registered through ``pytest_plugins`` in ``tests/conftest.py``).

Importing this plugin also imports nextcord once with its ``audioop`` DeprecationWarning silenced, so that
test modules can ``import nextcord`` under ``filterwarnings = error``.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from typing import Final

import aiohttp
import pytest

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import nextcord  # noqa: F401

from localdiscord.config import FakeConfig
from localdiscord.fake_discord import FakeDiscord

NEXTCORD_WARNINGS: Final = [
    pytest.mark.filterwarnings("ignore:parameter 'timeout' of type 'float' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
]
"""Warnings stock nextcord 3.2.0 causes, to silence in modules that run it:

- it passes ``timeout=30.0`` to aiohttp 3.14's ``ws_connect``, which warns on every connect;
- ``VoiceClient.on_voice_server_update`` opens a new UDP socket on every (re)connect without closing the old one.
"""


@pytest.fixture
def fake_discord_config() -> FakeConfig:
    """Override in a module (or parametrize indirectly) to configure ``fake_discord``."""
    return FakeConfig()


@pytest.fixture
async def fake_discord(fake_discord_config: FakeConfig) -> AsyncIterator[FakeDiscord]:
    """A running fake Discord with no guilds yet."""
    async with FakeDiscord(fake_discord_config) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for the hand-written clients (tests/localdiscord/clients/raw.py)."""
    async with aiohttp.ClientSession() as session:
        yield session
