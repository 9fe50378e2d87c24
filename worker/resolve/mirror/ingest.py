"""A mirrored listing as a playlist source: every track is already known, so it is staged like a document."""

from __future__ import annotations

import functools

from shared.failures import Stop, StopKind
from worker.resolve.mirror.links import MirrorLink
from worker.resolve.mirror.listing import MirrorListing
from worker.resolve.playlist import PlaylistSource


def mirrored_source(link: MirrorLink, listing: MirrorListing, first: int) -> PlaylistSource:
    tracks = list(listing.tracks)
    cut = (
        None if listing.cut_at is None else Stop(kind=StopKind.SERVICE_CUT, limit=listing.cut_at, service=link.service)
    )
    return PlaylistSource(
        url=link.canonical,
        title=listing.title,
        head=tracks[:first],
        lazy=False,
        count=listing.total if listing.total is not None and listing.total > len(tracks) else None,
        size=len(tracks),
        exhausted=len(tracks) <= first,
        rest=functools.partial(list, tracks[first:]),
        cut=cut,
    )
