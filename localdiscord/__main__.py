"""Run a fake Discord by hand: ``python -m localdiscord [--port 8080] [--dave-version 1]``.

Creates a demo guild (a text channel, a voice channel and a member listening in it), prints the URLs and the
environment that points a bot at it, and runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import shlex
import signal

from localdiscord.config import FakeConfig
from localdiscord.fake_discord import FakeDiscord


def _config(argv: list[str] | None) -> FakeConfig:
    defaults = FakeConfig()
    parser = argparse.ArgumentParser(prog="python -m localdiscord", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="REST + gateway port (default: any free port)")
    parser.add_argument("--voice-port", type=int, default=0, help="voice TLS websocket and UDP port")
    parser.add_argument("--token", default=defaults.token, help="the bot token the fake accepts")
    parser.add_argument("--dave-version", type=int, choices=(0, 1), default=1)
    parser.add_argument("--allow-no-dave", action="store_true", help="do not close non-DAVE clients with 4017")
    parser.add_argument("--voice-grace", type=float, default=defaults.voice_grace)
    args = parser.parse_args(argv)
    return FakeConfig(
        token=args.token,
        port=args.port,
        voice_port=args.voice_port,
        dave_version=args.dave_version,
        require_dave=not args.allow_no_dave,
        voice_grace=args.voice_grace,
    )


async def _demo(fake: FakeDiscord) -> None:
    guild = await fake.create_guild("encore demo")
    text = await fake.create_text_channel(guild, "general")
    voice = await fake.create_voice_channel(guild, "music")
    member = await fake.create_member(guild, "listener")
    await fake.join_voice(member, voice)
    print(f"guild {guild.id}  #general {text.id}  music {voice.id}  listener {member.user.id}")
    print(f"REST base:    {fake.rest_base}")
    print(f"gateway:      {fake.gateway_url}")
    print(f"voice server: wss://{fake.voice_endpoints[0]}/?v=8 (CA: {fake.ca_file})")
    print("environment for a bot process:")
    for key, value in fake.environment().items():
        print(f"  export {key}={shlex.quote(value)}")
    print("running until Ctrl-C")


async def _report(fake: FakeDiscord) -> None:
    while True:
        await asyncio.sleep(10)
        for channel_id, audio in fake.audio.items():
            for (listener, speaker), heard in audio.heard.items():
                print(
                    f"channel {channel_id}: listener {listener} heard {heard.seconds():.1f}s from {speaker}"
                    f" ({heard.decrypted} DAVE frames decrypted, {heard.passthrough} passthrough)"
                )


async def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with FakeDiscord(_config(argv)) as fake:
        await _demo(fake)
        reporter = loop.create_task(_report(fake))
        await stop.wait()
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter


if __name__ == "__main__":
    asyncio.run(main())
