"""Enqueues playlist chunk jobs on the arq queue, one job id per chunk so a chunk is never queued twice."""

from __future__ import annotations

from typing import Protocol

from arq.connections import ArqRedis

from shared.jobs import IngestChunkRequest, JobName


def chunk_job_id(request: IngestChunkRequest) -> str:
    return f"ingest:{request.request_id}:{request.chunk_index}"


class ChunkScheduler(Protocol):
    async def schedule(self, request: IngestChunkRequest) -> None: ...


class ArqChunkScheduler:
    """`enqueue_job` with `_job_id=ingest:{request_id}:{k}`: arq ignores the call while that job exists."""

    def __init__(self, arq: ArqRedis, queue_name: str) -> None:
        self._arq = arq
        self._queue_name = queue_name

    async def schedule(self, request: IngestChunkRequest) -> None:
        await self._arq.enqueue_job(
            JobName.INGEST_CHUNK.value,
            request.model_dump(mode="json"),
            _job_id=chunk_job_id(request),
            _queue_name=self._queue_name,
        )
