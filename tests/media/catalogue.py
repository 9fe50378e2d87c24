"""A generated music catalogue for link mirroring: what Spotify, Apple Music and Deezer say about each track, and
the search index a playable source would answer with, full of decoys.

For each track the index holds (each with a stable id and whether it is the same recording, `acceptable`): the
artist's official-audio upload (an "<Artist> - Topic" channel, with the ISRC for some; for one in five instead the
label's shouting "ARTIST — TITLE [Official Audio]"), sometimes a fan's lyric upload of the same recording, and
decoys: the same title by another artist, the artist's reprise of it, a live version, a cover, a sped-up and a
nightcore upload, the music video with a long intro (a wrong duration) and a 30-second preview. One track in 25 is a
live recording ("Title (Live)"): its live upload is the match and the studio one a decoy. One track in twenty has
no upload of its own at all (only decoys): the right answer there is to skip it. Titles carry what
services write ("feat. X", "- Remastered 2011", accents) and some are in Japanese, Korean or Cyrillic.
Deterministic for a seed; nothing is read or written but what the caller does with it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Final

_WORDS: Final = [
    "midnight",
    "river",
    "golden",
    "echo",
    "silver",
    "heart",
    "summer",
    "rain",
    "neon",
    "city",
    "broken",
    "wings",
    "electric",
    "dreams",
    "velvet",
    "sky",
    "paper",
    "moon",
    "wild",
    "fire",
    "ocean",
    "eyes",
    "hollow",
    "light",
    "crimson",
    "road",
    "lonely",
    "star",
    "fading",
    "signal",
    "northern",
    "lights",
    "glass",
    "garden",
    "desert",
    "rose",
    "frozen",
    "time",
    "burning",
    "bridges",
    "secret",
    "island",
    "falling",
    "leaves",
    "endless",
    "night",
    "sweet",
    "escape",
    "quiet",
    "storm",
    "morning",
    "sun",
    "diamond",
    "dust",
    "shadow",
    "dance",
    "empty",
    "streets",
]
_ACCENTED: Final = ("café", "corazón", "über", "señorita", "déjà", "mañana", "naïve", "rosé")
_NON_LATIN: Final = ("夜に駆ける", "群青", "사랑해", "봄날", "Звезда", "Кукушка", "アイドル", "夢")
_FIRST: Final = [
    "Ada",
    "Blake",
    "Cleo",
    "Dario",
    "Elin",
    "Faye",
    "Gus",
    "Hana",
    "Ivo",
    "Juno",
    "Kai",
    "Lior",
    "Mira",
    "Nico",
    "Oona",
    "Pia",
    "Remy",
    "Sol",
    "Tove",
    "Uma",
]
_LAST: Final = [
    "Vance",
    "Moreau",
    "Okafor",
    "Lindqvist",
    "Tanaka",
    "Ferreira",
    "Novak",
    "Quinn",
    "Ashby",
    "Duval",
    "Kerr",
    "Sato",
    "Ibsen",
    "Roux",
]
_CITIES: Final = ("Wembley", "Tokyo", "Paris", "Red Rocks", "Glastonbury")


@dataclass(frozen=True, slots=True)
class CatalogueTrack:
    number: int
    title: str
    artists: tuple[str, ...]
    album: str
    duration_s: int
    isrc: str | None

    @property
    def artist(self) -> str:
        return ", ".join(self.artists)


@dataclass
class Catalogue:
    tracks: list[CatalogueTrack] = field(default_factory=list)
    index: list[dict[str, Any]] = field(default_factory=list)
    """Search entries: `id`, `title`, `channel`, `duration` (s), `isrc` (or None), `url`, and `track` (the number
    of the catalogue track it was made for) and `acceptable` (it is that track's recording)."""

    def acceptable(self, number: int) -> set[str]:
        return {e["id"] for e in self.index if e["track"] == number and e["acceptable"]}


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _title(rng: random.Random, number: int) -> str:
    roll = rng.random()
    if roll < 0.08:
        return f"{rng.choice(_NON_LATIN)} {number}"
    words = [rng.choice(_WORDS) for _ in range(rng.randint(1, 3))]
    if roll < 0.16:
        words.append(rng.choice(_ACCENTED))
    return " ".join(w.capitalize() for w in words) + f" {number}"


def generate(count: int, *, seed: int = 14, base: str = "http://127.0.0.1:1", audio: str = "e2e/a.webm") -> Catalogue:
    """`count` tracks and their index; upload URLs are `<base>/<audio>?u=<id>` (one playable file for all)."""
    rng = random.Random(seed)
    catalogue = Catalogue()
    for number in range(count):
        main = _name(rng)
        featured = _name(rng) if rng.random() < 0.15 else None
        core = _title(rng, number)
        shown = core
        if featured:
            shown = f"{core} (feat. {featured})"
        live = rng.random() < 0.04  # a live recording: the studio upload is the decoy then
        if live:
            shown = f"{shown} (Live)"
        elif rng.random() < 0.1:
            shown = f"{shown} - Remastered {rng.randint(1995, 2015)}"
        isrc = f"QZENC{rng.randint(20, 26):02d}{number:05d}" if rng.random() < 0.6 else None
        track = CatalogueTrack(
            number, shown, (main, featured) if featured else (main,), f"{rng.choice(_WORDS).capitalize()} Album",
            rng.randint(120, 360), isrc,
        )  # fmt: skip
        catalogue.tracks.append(track)
        catalogue.index.extend(_uploads(rng, track, core, base, audio, live=live))
    rng.shuffle(catalogue.index)
    return catalogue


def _uploads(
    rng: random.Random, track: CatalogueTrack, core: str, base: str, audio: str, *, live: bool
) -> list[dict[str, Any]]:
    main, seconds, n = track.artists[0], track.duration_s, track.number
    other = _name(rng)
    while other in track.artists:  # "another artist" must be another one
        other = _name(rng)
    entries: list[tuple[str, str, str, int, str | None, bool]] = []
    if live:
        city = rng.choice(_CITIES)
        entries.append(("studio", core, f"{main} - Topic", seconds - rng.randint(20, 40), None, False))
        if n % 20 != 19:
            entries.append(
                ("liveok", f"{main} - {core} (Live at {city})", main, seconds + rng.randint(-1, 1), None, True)
            )
    elif n % 20 != 19:
        isrc = track.isrc if track.isrc and rng.random() < 0.7 else None
        shown = core if rng.random() < 0.5 or len(track.artists) == 1 else f"{core} (feat. {track.artists[1]})"
        if rng.random() < 0.2:  # no Topic channel: the label's upload, shouting
            shouted = f"{main.upper()} — {shown.upper()} [Official Audio]"
            entries.append(
                ("label", shouted, f"{main.replace(' ', '')}Official", seconds + rng.randint(-2, 2), isrc, True)
            )
        else:
            entries.append(("topic", shown, f"{main} - Topic", seconds + rng.randint(-1, 1), isrc, True))
        if rng.random() < 0.3:
            entries.append(
                ("lyrics", f"{main} - {core} (Lyrics)", "LyricsHub", seconds + rng.randint(-2, 2), None, True)
            )
    if not live:
        city = rng.choice(_CITIES)
        entries.append(("live", f"{main} - {core} (Live at {city})", main, seconds + rng.randint(15, 60), None, False))
    entries += [
        ("other", core, f"{other} - Topic", seconds + rng.randint(-4, 4), None, False),
        ("reprise", f"{core} (Reprise)", f"{main} - Topic", seconds // 2, None, False),
        ("cover", f"{core} (Cover) - {main} tribute", f"{other} Music", seconds + rng.randint(-3, 3), None, False),
        ("sped", f"{main} - {core} (sped up)", "speedupvibes", int(seconds * 0.8), None, False),
        ("nightcore", f"Nightcore - {core} | {main}", "NightcoreHub", int(seconds * 0.78), None, False),
        ("video", f"{main} - {core} (Official Video)", f"{main}VEVO", seconds + rng.randint(35, 70), None, False),
        ("preview", f"{core} - {main}", "PreviewClips", 30, None, False),
    ]
    return [
        {
            "id": f"c{n:05d}-{kind}",
            "title": title,
            "channel": channel,
            "duration": duration,
            "isrc": isrc,
            "url": f"{base}/{audio}?u=c{n:05d}-{kind}",
            "track": n,
            "acceptable": ok,
        }
        for kind, title, channel, duration, isrc, ok in entries
    ]
