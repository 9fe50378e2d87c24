"""How the chaos tests read a takeover off the ramp the listener heard."""

from __future__ import annotations

import array
import math

from tests.chaos.media import RAMP_BASE_HZ, RAMP_SLOPE_HZ_PER_S
from tests.chaos.timeline import ramp_takeover
from tests.fakediscord.voice.capture import HeardAudio, PcmChunk


def test_a_fault_without_silence_reads_as_no_position_lost() -> None:
    # Frames every 20 ms on the ramp; the widest spacing (21 ms) is the last one, with no audio after it to analyse.
    heard = HeardAudio(listener_id=1, speaker_id=2)
    rate = 48_000
    for index in range(150):
        start = index * 960
        samples = [
            round(8000 * math.sin(2 * math.pi * ((RAMP_BASE_HZ * t) + RAMP_SLOPE_HZ_PER_S / 2 * t * t)))
            for t in ((start + n) / rate for n in range(960))
        ]
        pcm = array.array("h", [value for sample in samples for value in (sample, sample)]).tobytes()
        heard.add(PcmChunk(index * 0.02 + (0.001 if index == 149 else 0.0), pcm))
    takeover = ramp_takeover(heard, event_at=1.5, end=3.0)
    assert abs(takeover.position_lost_s) < 0.1, takeover.describe()
