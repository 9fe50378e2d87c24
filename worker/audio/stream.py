"""A guild's stream: the one value that travels from the resolver (which caches it) through the player to FFmpeg."""

from __future__ import annotations

from pydantic import Field

from shared.models import MAX_DURATION_MS, WireModel


class PlayableStream(WireModel):
    """A resolved stream URL FFmpeg can open. It expires: the resolver resolves it again after `expires_at`.

    The resolver builds it (worker/resolve/streams.py) and keeps it in its short Redis stream cache, which is why it
    is a wire model; the player hands it unchanged to its audio output, whose pipeline (`TrackRequest`) opens it.
    It lives at the bottom layer because the pipeline is the lowest part that reads it.
    """

    url: str = Field(min_length=1, max_length=8192)
    is_opus: bool | None = None
    """True: Opus in WebM/Opus (passthrough possible when no filter is active); None or False: not known to be Opus
    (the container's `ext` decides, or a probe does)."""
    http_headers: dict[str, str] = Field(default_factory=dict)
    """Headers FFmpeg must send (`-headers`), e.g. the User-Agent yt-dlp used."""
    duration_ms: int | None = Field(default=None, ge=0, le=MAX_DURATION_MS)
    expires_at: float
    """Unix time after which the URL should be resolved again."""
    ext: str | None = Field(default=None, max_length=16)
    """The container's extension when known ("mp3", "webm"): a container that never holds Opus is not probed."""

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        """`http_headers` as FFmpeg's argument builder takes them."""
        return tuple(self.http_headers.items())
