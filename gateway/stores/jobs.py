"""Enqueues resolve, search, lyrics and playlist import jobs on the worker's arq queue and waits (bounded) for
their results."""

from __future__ import annotations

import logging
from typing import Final, Protocol

from arq.connections import ArqRedis
from arq.jobs import Job, ResultNotFound
from pydantic import BaseModel, ValidationError
from redis.exceptions import RedisError

from shared import codec
from shared.failures import Problem, ProblemKind
from shared.jobs import (
    JobName,
    ResolveRequest,
    ResolveResult,
    ResolveStatus,
    SearchRequest,
    SearchResult,
    SearchStatus,
)
from shared.keys import Keys
from shared.lyrics import LyricsProblem, LyricsRequest, LyricsResult, LyricsStatus
from shared.playlists import ImportRequest, ImportResult, ImportStatus

_log: Final = logging.getLogger(__name__)
POLL_DELAY_S: Final = 0.05
_JOB_FAILED: Final = Problem(kind=ProblemKind.JOB_FAILED)
_FAILED_JOB: Final = {"status": "failed", "problem": _JOB_FAILED.model_dump(mode="json")}
"""What a job that raised or kept no result gives: a failure of kind JOB_FAILED (both result models read it)."""


class Jobs(Protocol):
    """What commands need from the job queue (a seam for tests)."""

    async def submit_resolve(self, request: ResolveRequest) -> None: ...

    async def resolve_result(self, request_id: str, timeout_s: float) -> ResolveResult | None: ...

    async def search(self, request: SearchRequest, search_id: str, timeout_s: float) -> SearchResult | None: ...

    async def lyrics(self, request: LyricsRequest, lyrics_id: str, timeout_s: float) -> LyricsResult | None: ...

    async def import_playlist(
        self, request: ImportRequest, import_id: str, timeout_s: float
    ) -> ImportResult | None: ...


def resolve_job_id(request_id: str) -> str:
    return f"resolve:{request_id}"


def search_job_id(search_id: str) -> str:
    return f"search:{search_id}"


def lyrics_job_id(lyrics_id: str) -> str:
    return f"lyrics:{lyrics_id}"


def import_job_id(import_id: str) -> str:
    return f"import:{import_id}"


class JobClient:
    """Results come back as models; a job that raised or returned garbage becomes a FAILED result of kind
    JOB_FAILED (the gateway words it)."""

    def __init__(self, arq: ArqRedis, keys: Keys) -> None:
        self._arq = arq
        self._queue = keys.arq_queue()

    async def submit_resolve(self, request: ResolveRequest) -> None:
        """Enqueue once per request id (arq drops a second enqueue of the same id)."""
        await self._arq.enqueue_job(
            JobName.RESOLVE.value,
            request.model_dump(mode="json"),
            _job_id=resolve_job_id(request.request_id),
            _queue_name=self._queue,
        )

    async def resolve_result(self, request_id: str, timeout_s: float) -> ResolveResult | None:
        """The result, or None if it is not ready within `timeout_s`."""
        raw = await self._wait(resolve_job_id(request_id), timeout_s)
        failed = ResolveResult(status=ResolveStatus.FAILED, problem=_JOB_FAILED)
        return None if raw is None else _read(raw, ResolveResult, failed, f"resolve job {request_id}")

    async def search(self, request: SearchRequest, search_id: str, timeout_s: float) -> SearchResult | None:
        failed = SearchResult(status=SearchStatus.FAILED, problem=_JOB_FAILED)
        return await self._ask(JobName.SEARCH, request, search_job_id(search_id), timeout_s, SearchResult, failed)

    async def lyrics(self, request: LyricsRequest, lyrics_id: str, timeout_s: float) -> LyricsResult | None:
        failed = LyricsResult(status=LyricsStatus.FAILED, problem=LyricsProblem.JOB_FAILED)
        return await self._ask(JobName.LYRICS, request, lyrics_job_id(lyrics_id), timeout_s, LyricsResult, failed)

    async def import_playlist(self, request: ImportRequest, import_id: str, timeout_s: float) -> ImportResult | None:
        failed = ImportResult(status=ImportStatus.FAILED, problem=_JOB_FAILED)
        job_id = import_job_id(import_id)
        return await self._ask(JobName.IMPORT_PLAYLIST, request, job_id, timeout_s, ImportResult, failed)

    async def _ask[M: BaseModel](
        self, name: JobName, request: BaseModel, job_id: str, timeout_s: float, model: type[M], failed: M
    ) -> M | None:
        """Enqueue a job and wait for its result: None when it is not ready within `timeout_s`, `failed` when the
        job raised, kept no result or returned one that does not validate."""
        payload = request.model_dump(mode="json")
        await self._arq.enqueue_job(name.value, payload, _job_id=job_id, _queue_name=self._queue)
        raw = await self._wait(job_id, timeout_s)
        if raw is None:
            return None
        return failed if raw == _FAILED_JOB else _read(raw, model, failed, f"{name.value} job {job_id}")

    async def _wait(self, job_id: str, timeout_s: float) -> object | None:
        job = Job(job_id, self._arq, _queue_name=self._queue, _deserializer=codec.loads)
        try:
            result: object = await job.result(timeout=timeout_s, poll_delay=POLL_DELAY_S)
        except TimeoutError:
            return None
        except ResultNotFound:
            _log.warning("job %s has no result (is the worker keeping results?)", job_id)
            return dict(_FAILED_JOB)
        except RedisError:
            raise
        except Exception:  # noqa: BLE001 - arq re-raises whatever exception the job stored
            # The job raised: arq re-raises whatever the worker stored. Expected failures are result values,
            # so this is a worker bug; the user gets a failure, the log gets the details.
            _log.error("job %s failed", job_id, exc_info=True)
            return dict(_FAILED_JOB)
        return result


def _read[M: BaseModel](raw: object, model: type[M], failed: M, what: str) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError:
        _log.error("%s returned a result that does not validate", what)
        return failed
