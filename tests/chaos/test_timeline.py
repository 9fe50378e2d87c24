"""How the chaos tests read a takeover off the ramp the listener heard."""

from __future__ import annotations

from localdiscord.voice.capture import HeardAudio, PcmChunk
from tests.chaos.media import RAMP_BASE_HZ, RAMP_SLOPE_HZ_PER_S
from tests.chaos.timeline import ramp_takeover
from tests.localdiscord.clients.tone import pcm_frames, sweep_pcm


def test_a_fault_without_silence_reads_as_no_position_lost() -> None:
    # Frames every 20 ms on the ramp; the widest spacing (21 ms) is the last one, with no audio after it to analyse.
    heard = HeardAudio(listener_id=1, speaker_id=2)
    ramp = sweep_pcm(lambda t: RAMP_BASE_HZ * t + RAMP_SLOPE_HZ_PER_S / 2 * t * t, seconds=3.0, amplitude=8000)
    for index, pcm in enumerate(pcm_frames(ramp)):
        heard.add(PcmChunk(index * 0.02 + (0.001 if index == 149 else 0.0), pcm))
    takeover = ramp_takeover(heard, event_at=1.5, end=3.0)
    assert abs(takeover.position_lost_s) < 0.1, takeover.describe()
