"""`python -m worker`: one audio worker (resolve jobs + guild players). The composition root of the worker."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Final

import aiohttp
from pydantic import ValidationError

from shared.errors import VoiceError
from shared.observability import configure_logging
from shared.settings import Settings
from worker.app import serve
from worker.voice.connection import VoiceConnectionFactory
from worker.voice.nextcord_adapter import NextcordVoiceFactory, check_voice_support, voice_ssl_context
from worker.ytdlp_update import update_and_reexec

_log: Final = logging.getLogger("worker")


def main() -> int:
    try:
        settings = Settings()
    except ValidationError as exc:
        sys.stderr.write(f"encore worker: invalid configuration:\n{exc}\n")
        return 2
    configure_logging(settings, service="worker")
    if settings.worker.ytdlp_auto_update:
        update_and_reexec(["-m", "worker"])
    try:
        check_voice_support(settings.worker.opus_library)
    except VoiceError as exc:
        _log.critical("voice is not usable on this machine: %s", exc)
        return 3
    ssl_context = voice_ssl_context(settings.worker.voice_ca_file)

    def voice_factory(http: aiohttp.ClientSession) -> VoiceConnectionFactory:
        return NextcordVoiceFactory(http, ssl_context)

    asyncio.run(serve(settings, voice_factory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
