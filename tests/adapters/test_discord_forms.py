"""Forms on Discord: a reply that asks for long text offers a button opening a modal, whose
text reaches the handlers as if typed; Telegram and the terminal keep the typed message."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.discord import ASK_PREFIX
from bot.handlers import payloads
from bot.handlers.router import Dispatcher
from tests.adapters.discord_fake import DiscordFake, buttons, components
from tests.adapters.discord_harness import Member, running
from tests.support import snapshot


async def test_a_note_is_written_in_a_form_with_several_lines(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada", guild=True)
        await ada.slash("new", "Go | 3 | 30 | beginner")
        await ada.slash("done", "30")
        assert "What's your note?" in await ada.slash("note")
        assert ada.buttons() == ["✍️ Add a note"]
        [ask] = buttons(ada.keyboard_message())
        assert ask["custom_id"].startswith(ASK_PREFIX) and len(ask["custom_id"]) <= 100

        noted = await ada.write("goroutines 🧵\nand channels <b>too</b>")
        assert "📝 Noted on session 1" in noted
        [form] = fake.forms
        [field] = components(form)
        assert form["title"] == "Add a note" and len(form["title"]) <= 45
        assert field["style"] == 2 and field["label"] == "Your note on your latest session"
        assert ada.calls[0].body == {"type": 5, "data": {"flags": 64}}  # deferred, ephemeral
        assert "goroutines 🧵\nand channels <b>too</b>" in await ada.slash("notes")


async def test_a_form_for_someone_else_or_an_old_step_changes_nothing(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada", guild=True)
        eve = Member(fake, adapter, "Eve", guild=True)
        await eve.slash("start")
        await ada.slash("new", "Go | 3 | 30 | beginner")
        await ada.slash("done", "30")
        await ada.slash("note")
        message = ada.keyboard_message()
        before = await snapshot(engine)

        # Eve presses Ada's ✍️ button: refused, no form opens.
        [ask] = buttons(message)
        assert "meant for someone else" in await eve.press_custom_id(ask["custom_id"], message)
        assert fake.forms == []

        # A form answering a flow step that is not the sender's current one is stale.
        forged = {
            "custom_id": f"{ASK_PREFIX}t:deadbeef:Your review",
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": "x", "label": "Your review"}]}
            ],
        }
        assert payloads.STALE in await ada.submit(forged, "a review out of nowhere")
        # Junk that is not one of our forms is ignored.
        assert await ada.submit({**forged, "custom_id": "something-else"}, "hello") == ""
        assert await snapshot(engine) == before


async def test_the_bio_of_a_new_expert_is_written_in_a_form(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running(fake, dispatcher) as adapter:
        ida = Member(fake, adapter, "Ida")
        await ida.slash("become_expert")
        asked = await ida.say("Ida Lovelace")
        assert "step 2 of 7" in asked
        assert ida.buttons() == ["Skip", "◀ Back", "✖ Cancel", "✍️ Becoming an expert"]
        assert "step 3 of 7" in await ida.write("I teach maths.\nSlowly, with many examples.")
        [form] = fake.forms
        assert [f["label"] for f in components(form)] == ["Who you are and how you teach"]
        stored = repr("I teach maths.\nSlowly, with many examples.")  # as rows print it
        wizards = (await snapshot(engine))["conversation_states"]
        assert any(stored in str(row) for row in wizards)


async def test_a_syllabus_for_a_subject_i_do_not_know_is_written_in_a_form_over_several_lines(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada")  # in direct messages, where the wizard runs
        await ada.say("/new")
        asked = await ada.say("Dinghy sailing")
        assert "List what you want to cover" in asked
        assert ada.buttons() == ["Skip", "◀ Back", "✖ Cancel", "✍️ New curriculum"]
        assert "step 3 of 7" in await ada.write("Knots\nRigging the boat\nTacking and gybing")
        [form] = fake.forms
        assert [f["label"] for f in components(form)] == ["Your topics, one per line"]
        for answer in ("4", "30"):
            await ada.say(answer)
        await ada.press("Beginner")
        await ada.press("Skip")
        assert "planned from your own topics" in await ada.press("Skip")
        plan = await ada.say("/plan")
        assert plan.index("Knots") < plan.index("Rigging the boat") < plan.index("Tacking")
