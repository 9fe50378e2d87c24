"""Runtime configs for worker tests, built from the Settings defaults like the worker builds them."""

from __future__ import annotations

import dataclasses
from typing import Any

from shared.settings import WorkerSettings
from worker.ownership.supervisor import SupervisorConfig
from worker.player.config import PlayerConfig


def player_config(**changes: Any) -> PlayerConfig:
    return dataclasses.replace(PlayerConfig.from_settings(WorkerSettings()), **changes)


def supervisor_config(**changes: Any) -> SupervisorConfig:
    return dataclasses.replace(SupervisorConfig.from_settings(WorkerSettings()), **changes)
