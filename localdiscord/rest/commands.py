"""Application commands as nextcord registers them: stored verbatim plus id/application_id/version."""

from __future__ import annotations

from typing import Any

from localdiscord.world.ids import Snowflakes

type JSON = dict[str, Any]


class CommandStore:
    """Global commands live under scope ``None``, guild commands under the guild id."""

    def __init__(self, ids: Snowflakes, application_id: int) -> None:
        self._ids = ids
        self._app = application_id
        self._scopes: dict[int | None, dict[int, JSON]] = {}

    def listing(self, scope: int | None) -> list[JSON]:
        return list(self._scopes.get(scope, {}).values())

    def get(self, scope: int | None, command_id: int) -> JSON | None:
        return self._scopes.get(scope, {}).get(command_id)

    def _stored(self, scope: int | None, body: JSON, command_id: int) -> JSON:
        stored = dict(body)
        stored |= {"id": str(command_id), "application_id": str(self._app), "version": str(self._ids.next())}
        if scope is not None:
            stored["guild_id"] = str(scope)
        return stored

    def _find(self, scope: int | None, name: str, kind: int) -> JSON | None:
        for command in self._scopes.get(scope, {}).values():
            if command["name"] == name and command.get("type", 1) == kind:
                return command
        return None

    def upsert(self, scope: int | None, body: JSON) -> tuple[JSON, bool]:
        """Create, or overwrite the command with the same name and type; returns (command, created)."""
        existing = self._find(scope, body["name"], body.get("type", 1))
        command_id = int(existing["id"]) if existing else self._ids.next()
        stored = self._stored(scope, body, command_id)
        self._scopes.setdefault(scope, {})[command_id] = stored
        return stored, existing is None

    def edit(self, scope: int | None, command_id: int, body: JSON) -> JSON | None:
        current = self.get(scope, command_id)
        if current is None:
            return None
        merged = {k: v for k, v in current.items() if k not in ("id", "application_id", "version", "guild_id")}
        stored = self._stored(scope, merged | body, command_id)
        self._scopes[scope][command_id] = stored
        return stored

    def delete(self, scope: int | None, command_id: int) -> bool:
        return self._scopes.get(scope, {}).pop(command_id, None) is not None

    def overwrite(self, scope: int | None, bodies: list[JSON]) -> list[JSON]:
        """Bulk overwrite: replace the whole set, keeping ids of commands with the same name and type."""
        new: dict[int, JSON] = {}
        for body in bodies:
            existing = self._find(scope, body["name"], body.get("type", 1))
            command_id = int(existing["id"]) if existing else self._ids.next()
            new[command_id] = self._stored(scope, body, command_id)
        self._scopes[scope] = new
        return list(new.values())

    def find(self, guild_id: int | None, name: str, kind: int = 1) -> JSON | None:
        """A command visible in ``guild_id``: guild commands first, then global ones."""
        if guild_id is not None and (command := self._find(guild_id, name, kind)) is not None:
            return command
        return self._find(None, name, kind)
