"""Job rescue: a dead worker's in-progress arq jobs put back on the queue (worker-wide, not per guild)."""

from __future__ import annotations

from typing import Final

RESCUE: Final = r"""
-- Frees the jobs of a worker that stopped beating (worker/ownership/job_rescue.py): deletes arq's in-progress
-- marker of each of its recorded jobs, so arq runs them again. The markers are arq's keys (ARGV[3] .. job id),
-- not encore's.
-- KEYS: workers (ZSET id -> heartbeat ms), the dead worker's jobs SET   ARGV: worker id, dead before (ms), prefix
local beat = redis.call('ZSCORE', KEYS[1], ARGV[1])
if beat and tonumber(beat) >= tonumber(ARGV[2]) then return -1 end
local ids = redis.call('SMEMBERS', KEYS[2])
for _, id in ipairs(ids) do redis.call('DEL', ARGV[3] .. id) end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
return #ids
"""
