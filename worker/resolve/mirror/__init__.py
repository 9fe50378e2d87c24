"""Link mirroring: Spotify, Apple Music and Deezer links are read for their metadata (one module per service) and
each track is matched to a playable recording just before it plays (`matcher.py`, ranked by `ranking.py`)."""
