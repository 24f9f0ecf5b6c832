"""The language-model planner against a loopback fake of the OpenAI-compatible Chat Completions
API over real HTTP (an aiohttp server on 127.0.0.1): a valid plan is used, anything else (bad
JSON, a schema violation, a slow answer, a 500, a refusal) falls back to the offline planner,
and the /new reply says which planner made the plan."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap, planner_for
from bot.config import SettingsError, load_settings
from bot.llm_planner import LanguageModelPlanner, response_schema
from domain.learning.catalogue_planner import CataloguePlanner
from domain.learning.model import CurriculumSpec, PlannedBy, SkillLevel
from tests.adapters.harness import Person, running
from tests.adapters.telegram_emulator import BotApiEmulator
from tests.support import FakeClock, Learner

SPEC = CurriculumSpec("Linear algebra", 3, 45, SkillLevel.INTERMEDIATE, goals="PCA and SVD")


def plan_json(count: int, *, numbers: list[int] | None = None) -> dict[str, Any]:
    return {
        "sessions": [
            {
                "number": n,
                "title": f"Model session {n}: eigenvectors",
                "objectives": [f"Diagonalise matrix {n} by hand and check it with NumPy"],
                "materials": "Read, then work three exercises.",
                "resources": [
                    {
                        "title": "3Blue1Brown: Eigenvectors",
                        "kind": "video",
                        "url": "https://www.3blue1brown.com/lessons/eigenvalues",
                    }
                ],
            }
            for n in (numbers or list(range(1, count + 1)))
        ]
    }


class FakeChatCompletions:
    """POST /v1/chat/completions answering as told: ``content`` (a string), ``status``,
    ``delay`` seconds before answering, or a ``refusal``; every request body is kept."""

    def __init__(self) -> None:
        self.content: str = json.dumps(plan_json(SPEC.total_sessions))
        self.status = 200
        self.delay = 0.0
        self.refusal: str | None = None
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> FakeChatCompletions:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._serve)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/v1"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.Response:
        self.requests.append(await request.json())
        self.headers.append(dict(request.headers))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"error": {"message": "boom"}}, status=self.status)
        message = {"role": "assistant", "content": None if self.refusal else self.content}
        message["refusal"] = self.refusal
        return web.json_response(
            {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": message}]}
        )


@pytest.fixture
async def fake() -> AsyncIterator[FakeChatCompletions]:
    async with FakeChatCompletions() as server:
        yield server


def planner(fake: FakeChatCompletions, timeout: float = 5.0) -> LanguageModelPlanner:
    return LanguageModelPlanner(
        base_url=fake.base_url,
        model="tiny",
        offline=CataloguePlanner(),
        api_key="sk-test",
        timeout=timeout,
    )


async def test_a_valid_answer_is_the_plan_asked_for_with_a_strict_schema_and_the_catalogue(
    fake: FakeChatCompletions,
) -> None:
    plan = await planner(fake).make_plan(SPEC)
    assert plan.by is PlannedBy.MODEL and plan.fallback is None
    assert [s.number for s in plan.sessions] == [1, 2, 3]
    assert plan.sessions[0].title == "Model session 1: eigenvectors"
    assert plan.sessions[0].resources[0].url == "https://www.3blue1brown.com/lessons/eigenvalues"
    (body,) = fake.requests
    assert body["model"] == "tiny"
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "study_plan", "strict": True, "schema": response_schema()},
    }
    schema = response_schema()
    assert schema["additionalProperties"] is False
    session = schema["$defs"]["SessionAnswer"]
    assert set(session["required"]) == {"number", "title", "objectives", "materials", "resources"}
    context = json.loads(body["messages"][-1]["content"])
    assert context["request"]["total_sessions"] == 3 and context["request"]["goals"]
    assert context["catalogue"]["subject"] == "Linear algebra"
    assert any("PCA" in t["title"] for t in context["catalogue"]["topics"])
    assert fake.headers[0]["Authorization"] == "Bearer sk-test"


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{not json", "invalid answer"),
        (json.dumps({"sessions": [{"number": 1, "title": "No materials"}]}), "invalid answer"),
        (json.dumps(plan_json(2)), "invalid answer"),  # 2 sessions for 3
        (json.dumps(plan_json(3, numbers=[1, 3, 4])), "invalid answer"),
        (json.dumps({**plan_json(3), "extra": 1}), "invalid answer"),
    ],
    ids=["invalid-json", "missing-fields", "too-few", "misnumbered", "extra-property"],
)
async def test_an_answer_that_is_not_a_valid_plan_falls_back_to_the_offline_plan(
    fake: FakeChatCompletions, content: str, why: str
) -> None:
    fake.content = content
    plan = await planner(fake).make_plan(SPEC)
    assert plan.by is PlannedBy.OFFLINE
    assert plan.fallback is not None and plan.fallback.startswith(why)
    assert list(plan.sessions) == CataloguePlanner().plan(SPEC)


async def test_a_server_error_and_a_refusal_fall_back_and_are_not_cached(
    fake: FakeChatCompletions,
) -> None:
    llm = planner(fake)
    fake.status = 500
    failed = await llm.make_plan(SPEC)
    assert (failed.by, failed.fallback) == (PlannedBy.OFFLINE, "HTTP 500")
    fake.status, fake.refusal = 200, "I can't help with that."
    refused = await llm.make_plan(SPEC)
    assert refused.by is PlannedBy.OFFLINE and "refused" in (refused.fallback or "")
    fake.refusal = None
    assert (await llm.make_plan(SPEC)).by is PlannedBy.MODEL  # asked again, not cached
    assert len(fake.requests) == 3


async def test_a_slow_answer_beyond_the_timeout_falls_back_within_the_timeout(
    fake: FakeChatCompletions,
) -> None:
    fake.delay = 3.0
    started = time.monotonic()
    plan = await planner(fake, timeout=0.3).make_plan(SPEC)
    assert time.monotonic() - started < 2.0
    assert (plan.by, plan.fallback) == (PlannedBy.OFFLINE, "timeout")
    assert list(plan.sessions) == CataloguePlanner().plan(SPEC)


async def test_the_same_inputs_ask_the_model_once_and_other_inputs_again(
    fake: FakeChatCompletions,
) -> None:
    llm = planner(fake)
    first = await llm.make_plan(SPEC)
    fake.content = "{not json"  # a second request would now fail
    again = await llm.make_plan(SPEC)
    assert again == first and len(fake.requests) == 1
    other = await llm.make_plan(CurriculumSpec("Linear algebra", 3, 45, SkillLevel.BEGINNER))
    assert other.by is PlannedBy.OFFLINE and len(fake.requests) == 2


async def test_the_new_reply_says_which_planner_made_the_plan(
    fake: FakeChatCompletions, engine: AsyncEngine, clock: FakeClock
) -> None:
    ada = Learner(bootstrap(engine, clock=clock, planner=planner(fake)))
    made = await ada.say("/new Linear algebra | 3 | 45 | intermediate | PCA and SVD")
    assert "planned by the language model" in made
    assert "First up: session 1, Model session 1: eigenvectors." in made
    fake.status = 500
    offline = await ada.say("/new Linear algebra | 3 | 45 | beginner")
    assert "planned offline (the language model did not answer)" in offline
    assert "planned from my notes on this subject" in offline
    assert "Model session" not in await ada.say("/plan")
    plain = Learner(bootstrap(engine, clock=clock))  # no model configured: no mention of one
    reply = await plain.say("/new Linear algebra | 3 | 45 | beginner")
    assert "language model" not in reply and "planned from my notes" in reply


async def test_telegram_shows_typing_while_the_model_plans_and_not_for_a_quick_answer(
    fake: FakeChatCompletions, api: BotApiEmulator, engine: AsyncEngine, clock: FakeClock
) -> None:
    fake.delay = 1.2
    dispatcher = bootstrap(engine, clock=clock, planner=planner(fake))
    async with running(api, dispatcher, typing_after=0.3) as adapter:
        ada = Person(api, adapter, "Ada")
        assert "planned by the language model" in await ada.say(
            "/new Linear algebra | 3 | 45 | beginner"
        )
        methods = [c.method for c in ada.calls if c.method != "getUpdates"]
        assert methods[0] == "sendChatAction" and methods[-1] == "sendMessage"
        typing = ada.calls[[c.method for c in ada.calls].index("sendChatAction")]
        assert typing.params["action"] == "typing"
        assert typing.params["chat_id"] == str(ada.chat.id)
        await ada.say("/help")
        assert "sendChatAction" not in [c.method for c in ada.calls]


def test_a_base_url_chooses_the_model_planner_and_needs_a_model() -> None:
    assert isinstance(planner_for(load_settings(SYLLABOT_LLM_BASE_URL="")), CataloguePlanner)
    chosen = planner_for(
        load_settings(SYLLABOT_LLM_BASE_URL="http://127.0.0.1:11434/v1", SYLLABOT_LLM_MODEL="m")
    )
    assert isinstance(chosen, LanguageModelPlanner)
    assert load_settings().llm_timeout_seconds == 20.0
    with pytest.raises(
        SettingsError, match="SYLLABOT_LLM_MODEL must be set when SYLLABOT_LLM_BASE_URL is set"
    ):
        load_settings(SYLLABOT_LLM_BASE_URL="http://127.0.0.1:11434/v1")
    with pytest.raises(SettingsError, match="SYLLABOT_LLM_BASE_URL"):
        load_settings(SYLLABOT_LLM_BASE_URL="ftp://x", SYLLABOT_LLM_MODEL="m")
