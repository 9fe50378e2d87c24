"""Run a fake Discord by hand: ``python -m localdiscord [--port 8080] [--dave-version 1] [--page-port 8766]``.

Creates a demo guild (a text channel, a voice channel and a member listening in it), prints the URLs and the
environment that points a bot at it, and runs until Ctrl-C. With ``--page-port`` it also serves the page
(``localdiscord/web``) for that guild on 127.0.0.1.
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
from localdiscord.web.page import LocalDiscordPage, serve_page
from localdiscord.world.models import Guild


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    defaults = FakeConfig()
    parser = argparse.ArgumentParser(prog="python -m localdiscord", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="REST + gateway port (default: any free port)")
    parser.add_argument("--voice-port", type=int, default=0, help="voice TLS websocket and UDP port")
    parser.add_argument("--token", default=defaults.token, help="the bot token the fake accepts")
    parser.add_argument("--dave-version", type=int, choices=(0, 1), default=1)
    parser.add_argument("--allow-no-dave", action="store_true", help="do not close non-DAVE clients with 4017")
    parser.add_argument("--voice-grace", type=float, default=defaults.voice_grace)
    parser.add_argument("--page-port", type=int, default=None, help="serve the page on 127.0.0.1 (0: any port)")
    return parser.parse_args(argv)


def _config(args: argparse.Namespace) -> FakeConfig:
    return FakeConfig(
        token=args.token,
        port=args.port,
        voice_port=args.voice_port,
        dave_version=args.dave_version,
        require_dave=not args.allow_no_dave,
        voice_grace=args.voice_grace,
    )


async def _demo(fake: FakeDiscord) -> Guild:
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
    return guild


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
    args = _arguments(argv)
    async with FakeDiscord(_config(args)) as fake:
        guild = await _demo(fake)
        runner = None
        if args.page_port is not None:
            runner, address = await serve_page(LocalDiscordPage(fake, guild), "127.0.0.1", args.page_port)
            print(f"page:         {address}")
        reporter = loop.create_task(_report(fake))
        await stop.wait()
        if runner is not None:
            await runner.cleanup()
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter


if __name__ == "__main__":
    asyncio.run(main())
