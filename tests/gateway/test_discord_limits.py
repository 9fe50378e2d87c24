"""Discord's limits: everything the gateway sends is cut to fit where nextcord objects are built, and long
autocomplete values become short keys that `/play` maps back to the same query."""

from __future__ import annotations

import pytest

from gateway.commands.play import PlayActions, Suggestions
from gateway.discord.render import autocomplete, edit_kwargs, send_kwargs
from gateway.stores.clients import Stores
from gateway.stores.recent import CHOICE_KEY_PREFIX
from gateway.wording import limits
from gateway.wording.reply import Button, Card, CardField, Reply
from shared.errors import InvalidInputError
from tests.gateway.doubles import GUILD, RecordingResponder, invocation

pytestmark = pytest.mark.usefixtures("resolver")


def test_cut_keeps_what_fits_and_marks_the_cut() -> None:
    assert limits.cut("short", 10) == "short"
    assert limits.cut("x" * 11, 10) == "x" * 9 + "…"
    lines = "\n".join(f"line {n:03d}" for n in range(100))
    page = limits.cut(lines, 100)
    assert len(page) <= 100 and page.endswith("\n…") and page.count("\n") == 11


def test_a_huge_reply_is_cut_to_2000_characters() -> None:
    kwargs = send_kwargs(Reply(content="9" * 3068))
    assert len(kwargs["content"]) == limits.MESSAGE_CONTENT and kwargs["content"].endswith("…")
    assert edit_kwargs(Reply(content="9" * 3068))["content"] == kwargs["content"]
    assert send_kwargs(Reply(content="fits"))["content"] == "fits"


def _embed_size(embed: dict[str, object]) -> int:
    fields = embed.get("fields") or []
    assert isinstance(fields, list)
    footer = embed.get("footer") or {}
    assert isinstance(footer, dict)
    parts = [embed.get("title"), embed.get("description"), footer.get("text")]
    parts += [part for field in fields for part in (field["name"], field["value"])]
    return sum(len(part) for part in parts if isinstance(part, str))


def test_a_huge_card_fits_every_embed_limit() -> None:
    fields = tuple(CardField("n" * 300, "v" * 1100) for _ in range(30))
    card = Card(title="t" * 300, description="d" * 5000, fields=fields, footer="f" * 2100)
    embed = send_kwargs(Reply(card=card))["embed"].to_dict()
    assert len(embed["title"]) == limits.EMBED_TITLE and embed["title"].endswith("…")
    assert len(embed["description"]) <= limits.EMBED_DESCRIPTION
    assert len(embed["footer"]["text"]) <= limits.EMBED_FOOTER
    assert _embed_size(embed) <= limits.EMBED_TOTAL
    many = Card(title="Settings", fields=fields)
    embed = send_kwargs(Reply(card=many))["embed"].to_dict()
    assert 0 < len(embed["fields"]) <= limits.EMBED_FIELDS
    assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in embed["fields"])
    assert _embed_size(embed) <= limits.EMBED_TOTAL
    count = limits.fit_card(Card(title="t", fields=tuple(CardField(str(n), "v") for n in range(30))))
    assert len(count.fields) == limits.EMBED_FIELDS
    small = Card(title="Queue", description="a\nb", fields=(CardField("k", "v"),), footer="Page 1/1")
    assert limits.fit_card(small) == small


def test_buttons_fit_labels_ids_and_count() -> None:
    buttons = (Button("ok", "l" * 90), Button("x" * 101, "dropped"), *(Button(f"b{n}", str(n)) for n in range(30)))
    fitted = limits.fit_buttons(buttons)
    assert fitted[0].label == "l" * 79 + "…"
    assert "dropped" not in [button.label for button in fitted]
    assert len(fitted) == limits.COMPONENTS


def test_autocomplete_payload_fits_discords_choice_limits() -> None:
    choices = [("n" * 150, "fine"), ("long value", "v" * 101), *((f"c{n}", f"c{n}") for n in range(40))]
    payload = autocomplete(choices)
    assert len(payload) == limits.AUTOCOMPLETE_CHOICES
    assert payload["n" * 99 + "…"] == "fine"
    assert all(len(name) <= 100 and len(value) <= 100 for name, value in payload.items())
    assert "long value" not in payload


async def test_a_long_query_is_offered_under_a_key_that_plays_it(
    stores: Stores, play: PlayActions, suggestions: Suggestions
) -> None:
    typed = "lofi " + "x" * 195  # the stand-in resolver names its track after the query (titles: 256 at most)
    choices = await suggestions.choices(GUILD, 7, typed)
    name, value = choices[0]
    assert len(name) == 100 and name.endswith("…")
    assert len(value) <= limits.CHOICE_VALUE and value.startswith(CHOICE_KEY_PREFIX)
    assert await stores.recent.expand(GUILD, 7, value) == typed
    assert await stores.recent.expand(GUILD, 8, value) is None, "keys are per member"
    reply = await play.play(invocation(), value, None, RecordingResponder())
    page = await stores.queue.page(GUILD)
    assert page.items[0].track.title == typed, reply.content
    short = await suggestions.choices(GUILD, 7, "daft punk")
    assert short[0] == ("daft punk", "daft punk")


async def test_an_expired_choice_key_is_a_clear_error(play: PlayActions) -> None:
    with pytest.raises(InvalidInputError, match="expired"):
        await play.play(invocation(), CHOICE_KEY_PREFIX + "0" * 32, None, RecordingResponder())
