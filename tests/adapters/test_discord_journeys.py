"""Journeys on Discord: the real discord.py client fed gateway payloads, answering a fake
Discord REST API on 127.0.0.1 that records every call."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.discord import CUSTOM_ID_PREFIX, MAX_TEXT, DiscordAdapter, DiscordUnavailable
from bot.handlers import payloads
from bot.handlers.base import Button, Command, Reply, Request
from bot.handlers.router import FAILURE, Dispatcher
from db.backups.pitr import free_port
from domain.accounts import inbound
from domain.shared.timezones import suggest_zones
from tests.adapters.discord_fake import EPHEMERAL, DiscordFake, buttons
from tests.adapters.discord_harness import Member, running
from tests.support import snapshot


async def progress_of(engine: AsyncEngine, member: Member) -> tuple[int, int, int]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    """SELECT p.sessions_completed, p.total_time_spent, p.current_streak
                         FROM user_progress p
                         JOIN platform_identities i ON i.user_id = p.user_id
                        WHERE i.platform = 'discord' AND i.external_id = :id
                        ORDER BY p.created_at DESC LIMIT 1"""
                ),
                {"id": member.user["id"]},
            )
        ).one()
    return (row[0], row[1], row[2])


async def plan_ten_sessions(ada: Member) -> None:
    assert "step 1 of 6" in await ada.slash("new")
    assert "step 2" in await ada.say("Spanish 🇪🇸")
    assert "step 3" in await ada.say("10")
    assert "What is your level?" in await ada.say("45")
    assert "step 5" in await ada.press("Beginner")
    assert "step 6" in await ada.say("order food in Madrid")
    assert "Created “Spanish 🇪🇸 (beginner)”" in await ada.press("Skip")


async def test_a_learner_plans_studies_and_sees_progress_on_discord(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada")
        assert "Hi Ada! I'm Syllabot" in await ada.slash("start")
        # Deferred first ("thinking…"), then the deferred response is filled in.
        assert [(c.method, c.body.get("type")) for c in ada.calls][0] == ("POST", 5)
        assert ada.calls[1].path.endswith("/messages/@original")

        # An unknown zone: suggestions as buttons; pressing one edits that message in place.
        assert "not a time zone" in await ada.slash("timezone", "Berlin")
        suggestion = ada.keyboard_message()
        assert "Europe/Berlin" in ada.buttons()
        assert all(len(b["custom_id"]) <= 100 for b in buttons(suggestion))
        assert "Time zone set to Europe/Berlin" in await ada.press("Europe/Berlin")
        assert [c.method for c in ada.calls] == ["POST", "PATCH"]
        assert ada.calls[0].body["type"] == 6  # deferred: the message stays until edited
        assert fake.messages[suggestion["id"]]["components"] == []  # the suggestions are gone

        # The wizard: its first question answers the slash command, the rest are DMs.
        assert "step 1 of 6" in await ada.slash("new")
        assert "step 2" in await ada.say("Spanish 🇪🇸")
        assert "from 1 to 365" in await ada.say("0")
        assert len(ada.replies()) == 2  # the refusal, then the same question again
        assert "step 3" in await ada.say("10")
        assert "What is your level?" in await ada.say("45")
        assert ada.buttons() == ["Beginner", "Intermediate", "Advanced", "◀ Back", "✖ Cancel"]
        assert "step 5" in await ada.press("Beginner")
        assert "step 6" in await ada.say("order food in Madrid")
        assert ada.buttons() == ["Skip", "◀ Back", "✖ Cancel"]
        assert "Created “Spanish 🇪🇸 (beginner)”: 10 sessions × 45 min" in await ada.press("Skip")

        # /plan pages are one message, edited in place.
        assert "page 1 of 2" in await ada.slash("plan")
        plan = ada.keyboard_message()
        assert "page 2 of 2" in await ada.press("Next ▶")
        assert "page 1 of 2" in await ada.press("◀ Previous")
        assert ada.keyboard_message()["id"] == plan["id"]
        assert "page 1 of 2" in fake.messages[plan["id"]]["content"]

        assert "Session 1:" in await ada.slash("next")
        done = await ada.slash("done", "30 learned <b>greetings</b> & more")
        assert "Session 1 of 10 done" in done and "Note saved" in done
        assert await progress_of(engine, ada) == (1, 30, 1)
        assert "learned <b>greetings</b> & more" in await ada.slash("notes")
        assert "1/10 sessions · 10%" in await ada.slash("progress")
        assert "Undone: session 1" in await ada.slash("undo")
        assert await progress_of(engine, ada) == (0, 0, 0)

    assert not [c for c in fake.calls if c.status != 200]


async def test_commands_are_synced_with_a_described_optional_argument(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with running(fake, dispatcher):
        pass
    synced = {c["name"]: c for c in fake.commands["global"]}
    assert set(synced) == set(dispatcher.commands)
    for name, command in dispatcher.commands.items():
        assert synced[name]["description"] == command.summary[:100]
        [option] = synced[name]["options"]
        assert option["name"] == "args" and option["type"] == 3 and not option["required"]
        assert option["description"]
    assert synced["timezone"]["options"][0]["autocomplete"] is True


async def test_with_a_guild_id_the_commands_are_synced_to_that_guild_only(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with running(fake, dispatcher, guild_id=int(fake.guild_id)):
        pass
    assert {c["name"] for c in fake.commands[fake.guild_id]} == set(dispatcher.commands)
    assert "global" not in fake.commands  # nothing global beside them


async def test_a_failing_command_sync_is_logged_and_the_bot_still_answers(
    fake: DiscordFake, dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail["PUT commands"] = 400
    async with running(fake, dispatcher) as adapter:
        assert "Here's what I understand" in await Member(fake, adapter).slash("help")
        assert adapter.sync_problem is not None
        assert adapter.sync_problem.startswith("the slash commands were NOT synced")
    assert "the slash commands were NOT synced: Discord answered 400" in caplog.text


async def test_a_guild_sync_refused_for_missing_access_says_to_check_the_guild_id(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    fake.fail["PUT commands"] = (403, 50001)  # the bot is not in that server
    async with running(fake, dispatcher, guild_id=int(fake.guild_id)) as adapter:
        problem = adapter.sync_problem
    assert problem is not None and f"DISCORD_GUILD_ID={fake.guild_id}" in problem
    assert "applications.commands" in problem and fake.guild_id not in fake.commands


async def test_commands_synced_leave_no_problem_to_report(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with running(fake, dispatcher) as adapter:
        assert adapter.sync_problem is None


async def test_an_unreachable_discord_is_said_to_be_discord_in_one_line(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/v10"
    adapter = DiscordAdapter(dispatcher, fake.token, connect=False, api_base_url=closed)
    with pytest.raises(DiscordUnavailable, match=f"^Could not reach Discord at {closed}: "):
        await adapter.start()


async def test_a_wizard_started_in_a_server_channel_says_to_go_on_in_direct_messages(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada", guild=True)
        asked = await ada.slash("new")
        assert "What do you want to learn?" in asked
        assert "Typed answers here don't reach me" in asked
        [open_dm] = [b for b in buttons(ada.last_message()) if b.get("url")]
        assert open_dm["url"] == f"https://discord.com/users/{fake.bot['id']}"
        # The step stays open: typed in the direct messages, the answer goes on.
        assert "step 2 of" in await ada.say("Rust")
        # Started in the direct messages, the same step has no detour.
        bea = Member(fake, adapter, "Bea")
        asked = await bea.slash("new")
        assert "What do you want to learn?" in asked and "don't reach me" not in asked


async def test_time_zones_are_suggested_while_typing(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter)
        await fake.deliver(
            adapter.client, "INTERACTION_CREATE", fake.typing(ada.user, "timezone", "berl")
        )
    [choices] = fake.choices
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in choices


async def test_time_zone_suggestions_are_the_domains_own_typos_included(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter)
        for typed in ("Europe/Berln", "los"):
            typing = fake.typing(ada.user, "timezone", typed)
            await fake.deliver(adapter.client, "INTERACTION_CREATE", typing)
    mistyped, started = fake.choices
    assert [c["value"] for c in mistyped] == suggest_zones("Europe/Berln", limit=25)
    assert mistyped[0] == {"name": "Europe/Berlin", "value": "Europe/Berlin"}
    assert started[0]["value"] == "America/Los_Angeles"


async def test_a_direct_message_delivered_twice_is_handled_once(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter)
        assert "Created" in await ada.say("/new Go | 5 | 30 | beginner")
        done = fake.direct_message(ada.user, "/done")
        await ada._deliver("MESSAGE_CREATE", done, done)  # the gateway replays it
        assert len(ada.replies()) == 1 and "Session 1 of 5 done" in ada.texts()
    assert (await progress_of(engine, ada))[0] == 1


async def test_a_claim_that_fails_is_answered_with_nothing_changed(
    fake: DiscordFake,
    dispatcher: Dispatcher,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*args: object) -> bool:
        raise ConnectionResetError("the database went away")

    async with running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter)
        await ada.slash("start")
        before = await snapshot(engine)
        monkeypatch.setattr(inbound, "first_delivery", broken)
        shown = await ada.slash("new", "Go | 5 | 30 | beginner")
        assert FAILURE in shown and "Created" not in shown  # not "thinking…" forever
        assert await snapshot(engine) == before
        monkeypatch.undo()
        assert "Created" in await ada.slash("new", "Go | 5 | 30 | beginner")


async def test_in_a_server_channel_personal_replies_are_ephemeral(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada", guild=True)
        assert "not a time zone" in await ada.slash("timezone", "Berlin")
        assert ada.calls[0].body == {"type": 5, "data": {"flags": EPHEMERAL}}
        assert ada.last_message()["flags"] & EPHEMERAL
        assert "Time zone set" in await ada.press("Europe/Berlin")


async def test_long_replies_are_split_at_2000_characters_with_the_buttons_under_the_last(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    many = tuple(Button(f"b{i}", payload=f"1:00000000:x:{i}") for i in range(7))
    reply = Reply("a line of text\n" * 400, buttons=(many,) * 7)
    async with running(fake, dispatcher) as adapter:
        parts = adapter.messages(reply)
    assert len(parts) == 4 and all(len(text) <= MAX_TEXT for text, _ in parts)
    assert sum(text.count("a line of text") for text, _ in parts) == 400  # nothing lost
    assert [view is None for _, view in parts] == [True, True, True, False]
    view = parts[-1][1]
    assert view is not None
    rows = [c["components"] for c in view.to_components()]
    assert len(rows) == 5 and all(len(row) <= 5 for row in rows)
    assert rows[0][0]["custom_id"] == CUSTOM_ID_PREFIX + "1:00000000:x:0"


async def test_a_press_by_someone_else_or_a_forged_custom_id_changes_nothing(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running(fake, dispatcher) as adapter:
        ada, eve = (
            Member(fake, adapter, "Ada", guild=True),
            Member(fake, adapter, "Eve", guild=True),
        )
        await eve.slash("start")
        await ada.slash("timezone", "Berlin")
        suggestion = ada.keyboard_message()
        before = await snapshot(engine)

        # Eve presses Ada's button: refused before any handler runs.
        berlin = next(b["custom_id"] for b in buttons(suggestion) if b["label"] == "Europe/Berlin")
        assert "meant for someone else" in await eve.press_custom_id(berlin, suggestion)
        assert eve.calls[0].body["type"] == 4 and eve.calls[0].body["data"]["flags"] == EPHEMERAL

        # Eve forges Ada's payload on a message of her own: the payload is not hers.
        await eve.slash("timezone", "Paris")
        own = eve.keyboard_message()
        forged = {
            **own,
            "components": [{"type": 1, "components": [{**buttons(own)[0], "custom_id": berlin}]}],
        }
        assert "meant for someone else" in await eve.press_custom_id(berlin, forged)

        # Garbage in the template, and a custom_id that is not on the message at all.
        junk = CUSTOM_ID_PREFIX + "1:zzzzzzzz:tz:Europe/Berlin"
        junked = {
            **own,
            "components": [{"type": 1, "components": [{**buttons(own)[0], "custom_id": junk}]}],
        }
        assert payloads.NOT_YOURS in await eve.press_custom_id(junk, junked)
        assert await eve.press_custom_id(CUSTOM_ID_PREFIX + "1:x:y", own) == ""
        assert await eve.press_custom_id("something-else", own) == ""

        assert await snapshot(engine) == before
        assert fake.messages[suggestion["id"]]["components"]  # Ada's buttons are untouched


async def test_buttons_keep_working_after_a_restart(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada")
        await plan_ten_sessions(ada)
        await ada.slash("plan")
        plan = ada.keyboard_message()
    async with running(fake, dispatcher) as restarted:  # a new client: nothing in memory
        ada.adapter = restarted
        assert "page 2 of 2" in await ada.press("Next ▶", plan)
        assert fake.messages[plan["id"]]["content"].count("page 2 of 2") == 1


async def test_one_users_quick_messages_are_handled_in_order(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with running(fake, dispatcher) as adapter:
        bo = Member(fake, adapter, "Bo")
        await bo.slash("new")
        await bo.say("Go", "3", "30")  # all delivered before the bot answers the first
        assert [m["content"].split(":")[0] for m in fake.channel_messages(bo.channel_id)] == [
            "New curriculum, step 1 of 6",
            "New curriculum, step 2 of 6",
            "New curriculum, step 3 of 6",
            "New curriculum, step 4 of 6",
        ]


async def test_a_rejected_token_stops_start_up_with_one_line(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    adapter = DiscordAdapter(dispatcher, "not-the-token", connect=False)
    with pytest.raises(DiscordUnavailable, match="^Discord rejected the bot token$"):
        await adapter.start()
    assert adapter.client.is_closed()


async def test_the_users_own_subjects_are_suggested_for_experts_and_nobody_elses(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with running(fake, dispatcher) as adapter:
        ada, eve = Member(fake, adapter, "Ada"), Member(fake, adapter, "Eve")
        await ada.slash("new", "Rustacean Ways | 3 | 30 | beginner")
        await ada.slash("new", "Go | 3 | 30 | beginner")
        await eve.slash("new", "Rusty Cars | 3 | 30 | beginner")
        for member, typed in ((ada, "rust"), (ada, ""), (eve, "rust")):
            await fake.deliver(
                adapter.client, "INTERACTION_CREATE", fake.typing(member.user, "experts", typed)
            )
    assert fake.choices == [
        [{"name": "Rustacean Ways", "value": "Rustacean Ways"}],
        [{"name": "Go", "value": "Go"}, {"name": "Rustacean Ways", "value": "Rustacean Ways"}],
        [{"name": "Rusty Cars", "value": "Rusty Cars"}],
    ]
    synced = {c["name"]: c for c in fake.commands["global"]}
    for name in ("experts", "paid", "session_notes", "timezone"):
        assert synced[name]["options"][0]["autocomplete"] is True


async def test_plans_change_on_discord_with_plan_edit_replan_and_the_how_did_it_go_tap(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with running(fake, dispatcher) as adapter:
        eve = Member(fake, adapter, "Eve")
        await eve.slash("start")
        assert "Created" in await eve.slash("new", "Linear algebra | 6 | 30 | beginner")
        assert "How did it go?" in await eve.slash("done")
        assert eve.buttons() == ["😌 Easy", "🙂 Fine", "😓 Hard", "🃏 Make review cards"]
        assert "I added a review as session 2" in await eve.press("😓 Hard")
        assert "open sessions" in await eve.slash("plan", "edit")
        assert "session 3:" in await eve.press("✎ 3")
        assert "Deleted" in await eve.press("🗑 Delete")
        assert "Re-planned" in await eve.slash("replan", "9 | intermediate")


async def test_a_slow_answer_to_a_direct_message_shows_typing_and_a_quick_one_does_not(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async def slow(req: Request) -> Reply:
        await asyncio.sleep(1.0)  # a language model planning, say
        return Reply("planned")

    dispatcher.commands["slow"] = Command("slow", slow, "takes its time")
    # Half a second: a quick answer (/help) under a loaded CI machine stays well inside it.
    async with running(fake, dispatcher, typing_after=0.5) as adapter:
        ada = Member(fake, adapter)
        assert "planned" in await ada.say("/slow")
        assert [c.method for c in ada.calls if c.path.endswith("/typing")] == ["POST"]
        await ada.say("/help")
        assert not [c for c in ada.calls if c.path.endswith("/typing")]
