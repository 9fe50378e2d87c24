"""The permission rules as pure functions: voice channel, DJ role, Manage Server, summoning, settings."""

from __future__ import annotations

import pytest

from gateway.commands.permissions import (
    Access,
    Actor,
    VoiceSituation,
    check,
    is_dj,
    may_remove,
    require_admin,
    summon_target,
)
from shared.errors import PermissionDeniedError
from shared.models import GuildSettings

DJ = 900
BOT_CHANNEL = 10
OTHER_CHANNEL = 11
NO_DJ = GuildSettings()
WITH_DJ = GuildSettings(dj_role_id=DJ)


def actor(*, voice: int | None = BOT_CHANNEL, roles: tuple[int, ...] = (), manage: bool = False) -> Actor:
    return Actor(user_id=1, role_ids=frozenset(roles), manage_guild=manage, voice_channel_id=voice)


def playing(channel: int | None = BOT_CHANNEL, *, busy: bool = True) -> VoiceSituation:
    return VoiceSituation(bot_channel_id=channel, busy=busy)


def test_reading_is_open_to_everyone() -> None:
    check(Access.READ, actor(voice=None), playing(), WITH_DJ, "Viewing")


def test_control_needs_the_bots_channel() -> None:
    check(Access.CONTROL, actor(), playing(), NO_DJ, "Skipping")
    with pytest.raises(PermissionDeniedError, match=f"Join <#{BOT_CHANNEL}>"):
        check(Access.CONTROL, actor(voice=OTHER_CHANNEL), playing(), NO_DJ, "Skipping")
    with pytest.raises(PermissionDeniedError):
        check(Access.CONTROL, actor(voice=None), playing(), NO_DJ, "Skipping")


def test_manage_server_controls_from_anywhere() -> None:
    check(Access.CONTROL, actor(voice=None, manage=True), playing(), NO_DJ, "Skipping")
    check(Access.DESTRUCTIVE, actor(voice=None, manage=True), playing(), WITH_DJ, "Stopping")


def test_control_without_a_connected_bot_is_allowed() -> None:
    check(Access.CONTROL, actor(voice=None), playing(None), NO_DJ, "Shuffling")


def test_destructive_needs_dj_when_set() -> None:
    check(Access.DESTRUCTIVE, actor(), playing(), NO_DJ, "Clearing")
    check(Access.DESTRUCTIVE, actor(roles=(DJ,)), playing(), WITH_DJ, "Clearing")
    with pytest.raises(PermissionDeniedError, match=f"Clearing needs the DJ role <@&{DJ}>"):
        check(Access.DESTRUCTIVE, actor(roles=(5,)), playing(), WITH_DJ, "Clearing")


def test_dj_still_needs_the_bots_channel() -> None:
    with pytest.raises(PermissionDeniedError, match="Join"):
        check(Access.DESTRUCTIVE, actor(voice=OTHER_CHANNEL, roles=(DJ,)), playing(), WITH_DJ, "Clearing")


def test_summon() -> None:
    assert summon_target(actor(voice=OTHER_CHANNEL), playing(None)) == OTHER_CHANNEL
    assert summon_target(actor(), playing()) is None
    assert summon_target(actor(voice=OTHER_CHANNEL), playing(busy=False)) == OTHER_CHANNEL
    with pytest.raises(PermissionDeniedError, match="already playing"):
        summon_target(actor(voice=OTHER_CHANNEL), playing())
    with pytest.raises(PermissionDeniedError, match="Join a voice channel first"):
        summon_target(actor(voice=None), playing(None))
    with pytest.raises(PermissionDeniedError):
        check(Access.SUMMON, actor(voice=None, manage=True), playing(None), NO_DJ, "Playing")


def test_settings_need_manage_server_or_dj() -> None:
    require_admin(actor(manage=True), NO_DJ)
    require_admin(actor(roles=(DJ,)), WITH_DJ)
    with pytest.raises(PermissionDeniedError, match=r"needs Manage Server\.$"):
        require_admin(actor(), NO_DJ)
    with pytest.raises(PermissionDeniedError, match="or the DJ role"):
        check(Access.ADMIN, actor(), playing(), WITH_DJ, "Settings")


def test_own_tracks_are_removable() -> None:
    member = actor(roles=())
    assert may_remove(member, WITH_DJ, requester_id=member.user_id)
    assert not may_remove(member, WITH_DJ, requester_id=2)
    assert may_remove(member, NO_DJ, requester_id=2)
    assert is_dj(actor(manage=True), WITH_DJ)
