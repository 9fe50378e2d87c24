"""A stock nextcord bot for out-of-process tests: ``python -m tests.localdiscord.clients.demo_bot TONE_FILE``.

Configured only through the environment that :meth:`FakeDiscord.environment` returns: the REST base from
``FAKE_DISCORD_REST_BASE``, the token from ``ENCORE_DISCORD_TOKEN``, and trust in the voice TLS certificate
through ``SSL_CERT_FILE`` (no custom connector). ``/play`` joins the caller's voice channel and plays the file.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import nextcord
    import nextcord.http


def build(tone: str) -> nextcord.Client:
    client = nextcord.Client(intents=nextcord.Intents.default(), guild_ready_timeout=0.05)

    @client.slash_command(name="play", description="Play the test tone")  # type: ignore[untyped-decorator]
    async def play(interaction: nextcord.Interaction[nextcord.Client]) -> None:
        member = interaction.user
        assert isinstance(member, nextcord.Member) and member.voice and member.voice.channel
        await interaction.response.send_message("joining")
        channel = member.voice.channel
        assert isinstance(channel, nextcord.VoiceChannel)
        voice: nextcord.VoiceClient = await channel.connect()
        voice.play(nextcord.FFmpegPCMAudio(tone))

    return client


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    nextcord.http.Route.BASE = os.environ["FAKE_DISCORD_REST_BASE"]
    build(sys.argv[1]).run(os.environ["ENCORE_DISCORD_TOKEN"])


if __name__ == "__main__":
    main()
