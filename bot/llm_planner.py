"""The optional language-model planner: any OpenAI-compatible Chat Completions server (a hosted
one, or a local llama.cpp, Ollama or LM Studio server) designs the plan, the offline planner
answers whenever the model does not.

The request asks for a strict JSON schema (``response_format`` of type ``json_schema``,
``strict: true``) derived from :class:`PlanAnswer`; the answer is validated again here (pydantic,
exactly ``spec.total_sessions`` sessions numbered 1..N). The catalogue entry for the subject,
if there is one, and the learner's own topics go to the model as context. On a timeout (the
whole call, not one read), an HTTP error, a refusal or an answer that fails validation, the
offline planner's plan is returned, marked with why (``Plan.fallback``).

Plans the model made are cached in process (a bounded LRU keyed by a SHA-256 of the model, the
prompt version and the spec), so the same request within one process asks the model once; a
restart forgets them, and fallbacks are never cached (the next request asks the model again).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import OrderedDict
from dataclasses import asdict
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from domain.learning.matching import find_subject
from domain.learning.model import CurriculumSpec, Plan, PlannedBy, PlannedSession, Resource
from domain.learning.planner import TITLE_MAX
from domain.learning.ports import CurriculumPlanner

logger = logging.getLogger(__name__)

PROMPT_VERSION = 1  # part of the cache key: a changed prompt asks the model again
CACHE_SIZE = 256


def _text(limit: int) -> AfterValidator:
    """A non-blank string of at most ``limit`` characters, checked on our side only (strict
    mode on many servers rejects ``minLength``/``maxLength`` in the schema)."""

    def check(value: str) -> str:
        value = " ".join(value.split())
        if not value or len(value) > limit:
            raise ValueError(f"must be 1 to {limit} characters")
        return value

    return AfterValidator(check)


def _web_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError("must be an http(s) URL or null")
    return value


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResourceAnswer(_Answer):
    title: Annotated[str, _text(200)]
    kind: Literal["reading", "video", "exercise", "project", "review", "tool"]
    url: Annotated[str | None, AfterValidator(_web_url)]


class SessionAnswer(_Answer):
    number: int
    title: Annotated[str, _text(TITLE_MAX)]
    objectives: list[Annotated[str, _text(300)]]
    materials: Annotated[str, _text(2000)]
    resources: list[ResourceAnswer]


class PlanAnswer(_Answer):
    """The plan as the model must write it (the schema sent is derived from this model)."""

    sessions: list[SessionAnswer]


def response_schema() -> dict[str, Any]:
    """The JSON schema for ``response_format``: every property required, no extra ones."""
    return PlanAnswer.model_json_schema()


class InvalidAnswer(Exception):
    """The model answered, but not with a plan we accept."""


def parse_answer(content: str, spec: CurriculumSpec) -> tuple[PlannedSession, ...]:
    """The model's JSON as sessions; raises ``InvalidAnswer`` unless it is a valid plan of
    exactly ``spec.total_sessions`` sessions numbered 1..N, each with 1-6 objectives and at
    most 5 resources."""
    try:
        answer = PlanAnswer.model_validate_json(content)
    except ValidationError as exc:
        raise InvalidAnswer(f"not a valid plan: {exc.error_count()} errors") from None
    numbers = [s.number for s in answer.sessions]
    if numbers != list(range(1, spec.total_sessions + 1)):
        raise InvalidAnswer(f"sessions numbered {numbers[:5]}…, not 1..{spec.total_sessions}")
    for s in answer.sessions:
        if not 1 <= len(s.objectives) <= 6 or len(s.resources) > 5:
            raise InvalidAnswer(f"session {s.number}: 1-6 objectives, at most 5 resources")
    return tuple(
        PlannedSession(
            number=s.number,
            title=s.title,
            objectives=tuple(s.objectives),
            materials=s.materials,
            resources=tuple(Resource(r.title, r.kind, r.url) for r in s.resources),
        )
        for s in answer.sessions
    )


SYSTEM = (
    "You are an experienced teacher designing a self-study plan. Answer with JSON only, in the "
    "given schema. Write exactly the number of sessions asked for, numbered from 1. Titles name "
    "the session's topic. Objectives are concrete and checkable (what the learner can do at the "
    "end), never 'understand X'. Order topics so prerequisites come first, fit them to the "
    "learner's level, bring what the goals name forward and give it more sessions, make what "
    "the background covers a short review. 'materials' says what to do in the session, fitted "
    "to its length. Resources link specific pages (documentation, a named free course or "
    "chapter, an encyclopedia article), never a search page; use null for url if unsure. When "
    "catalogue notes are given, prefer their topics, objectives and resources."
)


def _context(spec: CurriculumSpec) -> dict[str, Any]:
    """What the model is told: the request, and the catalogue entry or the learner's topics."""
    request = asdict(spec)
    request["level"] = spec.level.value
    request["topics"] = list(spec.topics)
    context: dict[str, Any] = {"request": request}
    subject = None if spec.topics else find_subject(spec.subject)
    if subject is not None:
        context["catalogue"] = {
            "subject": subject.name,
            "topics": [
                {
                    "key": t.key,
                    "title": t.title,
                    "level": t.level,
                    "requires": list(t.requires),
                    "objectives": list(t.objectives),
                    "practice": t.practice,
                    "resources": [r.model_dump() for r in t.resources],
                }
                for t in subject.topics
            ],
        }
    return context


class LanguageModelPlanner:
    """Implements ``CurriculumPlanner``: ``make_plan`` asks the model, ``plan`` (used where a
    plan is needed at once, synchronously) is the offline planner's."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        offline: CurriculumPlanner,
        api_key: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._model = model
        self._offline = offline
        self._api_key = api_key
        self._timeout = timeout
        self._cache: OrderedDict[str, tuple[PlannedSession, ...]] = OrderedDict()

    def plan(self, spec: CurriculumSpec) -> list[PlannedSession]:
        return self._offline.plan(spec)

    async def make_plan(self, spec: CurriculumSpec) -> Plan:
        key = self._key(spec)
        if (cached := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            return Plan(cached, PlannedBy.MODEL)
        try:
            async with asyncio.timeout(self._timeout):
                sessions = await self._ask(spec)
        except TimeoutError:
            reason = "timeout"
        except httpx.HTTPStatusError as exc:
            reason = f"HTTP {exc.response.status_code}"
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}"
        except InvalidAnswer as exc:
            reason = f"invalid answer ({exc})"
        else:
            self._cache[key] = sessions
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            return Plan(sessions, PlannedBy.MODEL)
        logger.warning("language model planner: %s; planning offline", reason)
        return Plan(tuple(self._offline.plan(spec)), PlannedBy.OFFLINE, fallback=reason)

    def _key(self, spec: CurriculumSpec) -> str:
        inputs = {"v": PROMPT_VERSION, "url": self._url, "model": self._model, **_context(spec)}
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()

    async def _ask(self, spec: CurriculumSpec) -> tuple[PlannedSession, ...]:
        body = {
            "model": self._model,
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": json.dumps(_context(spec), ensure_ascii=False)},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "study_plan", "strict": True, "schema": response_schema()},
            },
        }
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        # One short-lived client per plan: plans are rare, and nothing stays open to close.
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            response = await client.post(self._url, json=body, headers=headers)
            response.raise_for_status()
        try:
            message = response.json()["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise InvalidAnswer("not a Chat Completions response") from None
        if not isinstance(message, dict):
            raise InvalidAnswer("not a Chat Completions response")
        if message.get("refusal"):
            raise InvalidAnswer("the model refused")
        content = message.get("content")
        if not isinstance(content, str):
            raise InvalidAnswer("no content")
        return parse_answer(content, spec)
