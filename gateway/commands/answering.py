"""Runs one interaction handler: answers within Discord's 3 s and turns every failure into a clear reply.

- Handlers return a Reply or raise. UserFacingError becomes its text (ephemeral when nothing was deferred yet);
  Redis being down or slow becomes "temporarily unavailable, try again"; anything else is logged and gets a short
  apology. The process never goes down because of one interaction.
- If a handler has neither answered nor deferred when the acknowledgement budget runs out (Redis hanging), the
  interaction is answered "temporarily unavailable" at once and the handler is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final, Protocol

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError

from gateway.commands.invocation import Responder
from gateway.wording.language import mark, tr
from gateway.wording.reply import Reply
from shared.errors import CorruptDataError, TemporarilyUnavailableError, UserFacingError
from shared.observability import InteractionOutcome

_log: Final = logging.getLogger(__name__)
ACK_BUDGET_S: Final = 2.3
"""Discord drops interactions not answered within 3 s of their creation; keep a margin for the HTTP call."""
MIN_BUDGET_S: Final = 0.3
UNAVAILABLE: Final = mark("encore is temporarily unavailable, please try again in a moment.")
"""TemporarilyUnavailableError's own message, in words a catalogue can hold."""
APOLOGY: Final = mark("Something went wrong on my side. Please try again.")
CORRUPT: Final = mark(
    "Some stored data for this server is damaged; the bot's operators can see the details in the logs."
)


class Acknowledger(Responder, Protocol):
    """One interaction's response channel (nextcord's in production, a recorder in tests)."""

    @property
    def acknowledged(self) -> bool: ...

    async def answer(self, reply: Reply) -> bool:
        """Send the first response, or edit the deferred one; False if it was already answered."""
        ...

    async def answer_if_unacknowledged(self, reply: Reply) -> bool:
        """Answer only when nothing (not even a defer) was sent yet; atomic with respect to `defer`."""
        ...


Handler = Callable[[Responder], Awaitable[Reply]]


async def reply_for(handler: Handler, ack: Acknowledger, *, what: str, guild_id: int | None) -> Reply:
    """Run the handler and translate its failures into replies."""
    reply, _ = await outcome_of(handler, ack, what=what, guild_id=guild_id)
    return reply


async def outcome_of(
    handler: Handler, ack: Acknowledger, *, what: str, guild_id: int | None
) -> tuple[Reply, InteractionOutcome]:
    """The reply and how the interaction went: refused for a member's mistake, error for a failure of encore's."""
    try:
        return await handler(ack), "ok"
    except TemporarilyUnavailableError as exc:
        return Reply.error(tr(exc.message)), "error"
    except UserFacingError as exc:
        return Reply.error(exc.message), "refused"
    except (RedisConnectionError, RedisTimeoutError, WatchError) as exc:
        _log.warning("%s: Redis unavailable (%s)", what, type(exc).__name__, extra={"guild_id": guild_id})
        return Reply.error(tr(UNAVAILABLE)), "error"
    except CorruptDataError as exc:
        _log.error("%s: %s", what, exc, extra={"guild_id": guild_id})
        return Reply.error(tr(CORRUPT)), "error"
    except Exception:  # noqa: BLE001 - the outermost layer of one interaction: log it, apologise, stay up
        _log.error("%s failed", what, exc_info=True, extra={"guild_id": guild_id})
        return Reply.error(tr(APOLOGY)), "error"


async def run_interaction(
    handler: Handler, ack: Acknowledger, *, what: str, guild_id: int | None, age_s: float = 0.0
) -> InteractionOutcome:
    """Run `handler` for one interaction that is `age_s` old, deliver its reply, and say how it went."""
    work = outcome_of(handler, ack, what=what, guild_id=guild_id)
    task = asyncio.create_task(work, name=f"interaction:{what}")
    budget = max(MIN_BUDGET_S, ACK_BUDGET_S - max(0.0, age_s))
    done, _ = await asyncio.wait({task}, timeout=budget)
    if not done and await ack.answer_if_unacknowledged(Reply.error(tr(UNAVAILABLE))):
        _log.warning("%s: no answer within %.1f s; answered 'unavailable'", what, budget, extra={"guild_id": guild_id})
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return "error"
    reply, outcome = await task
    await ack.answer(reply)
    return outcome
