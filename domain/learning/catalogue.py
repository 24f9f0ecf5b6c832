"""The subject catalogue shipped with Syllabot: commonly studied subjects, each with its topics
in teaching order, and what a good teacher would set for each topic.

The data lives in ``domain/learning/subjects/*.toml`` (one file per area), is read once, and
is checked at load by the models below: a file that breaks a rule stops the program with the
file, the subject and the rule named (``python -m domain.learning.catalogue`` checks them all).

A subject::

    [[subject]]
    key = "linear-algebra"            # unique across the catalogue; lower-case, digits, dashes
    name = "Linear algebra"
    area = "mathematics"              # one of AREAS
    aliases = ["linalg", "matrix algebra", "álgebra lineal"]

    [[subject.topics]]
    key = "eigen"                     # unique within the subject
    title = "Eigenvalues and eigenvectors"
    level = "intermediate"            # beginner | intermediate | advanced
    requires = ["matrices"]           # keys of earlier topics of this subject
    objectives = ["Find the eigenvalues of a 2x2 matrix by hand", "..."]   # 2 to 4
    practice = "Diagonalise three 3x3 matrices by hand and check them with numpy.linalg.eig"
    [[subject.topics.resources]]      # 1 to 3
    title = "3Blue1Brown: Eigenvectors and eigenvalues"
    kind = "video"                    # reading | video | exercise | course | book | tool
    url = "https://www.3blue1brown.com/lessons/eigenvalues"
"""

from __future__ import annotations

import re
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import parse_qs, urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

SUBJECTS_DIR = Path(__file__).with_name("subjects")
Area = Literal[
    "programming",
    "mathematics",
    "data",
    "science",
    "language",
    "arts",
    "business",
    "humanities",
    "exam",
]
AREAS: tuple[str, ...] = get_args(Area)
Kind = Literal["reading", "video", "exercise", "course", "book", "tool"]
_KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A search page is never a resource: these mark one (path parts and query keys).
_SEARCH_PATHS = {"search", "results", "find", "s", "special:search"}  # whole path segments
_SEARCH_QUERIES = {"q", "query", "search", "search_query", "keyword", "keywords", "k"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CatalogueResource(_Strict):
    title: str = Field(min_length=3, max_length=120)
    kind: Kind
    url: str = Field(max_length=300)

    @field_validator("url")
    @classmethod
    def _specific_page(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.netloc or " " in url:
            raise ValueError(f"{url!r} is not an https URL")
        segments = {segment.lower() for segment in parts.path.split("/")}
        if segments & _SEARCH_PATHS or (
            _SEARCH_QUERIES & {k.lower() for k in parse_qs(parts.query)}
        ):
            raise ValueError(f"{url!r} is a search, not a specific page")
        return url

    @model_validator(mode="after")
    def _a_page_not_a_site(self) -> CatalogueResource:
        parts = urlsplit(self.url)
        home = parts.path in ("", "/") and not parts.query
        if home and self.kind not in ("course", "book", "tool"):  # a named one is its home page
            raise ValueError(f"{self.url!r} is a site's home page: link the page itself")
        return self


class CatalogueTopic(_Strict):
    key: str
    title: str = Field(min_length=3, max_length=90)
    level: Literal["beginner", "intermediate", "advanced"]
    requires: tuple[str, ...] = ()
    objectives: tuple[str, ...] = Field(min_length=2, max_length=4)
    practice: str = Field(min_length=10, max_length=300)
    resources: tuple[CatalogueResource, ...] = Field(min_length=1, max_length=3)

    @field_validator("key")
    @classmethod
    def _key(cls, key: str) -> str:
        if not _KEY.match(key):
            raise ValueError(f"{key!r}: keys are lower-case words joined by dashes")
        return key

    @field_validator("objectives")
    @classmethod
    def _checkable(cls, objectives: tuple[str, ...]) -> tuple[str, ...]:
        for objective in objectives:
            if len(objective) < 12 or objective.lower().startswith(("understand", "learn ")):
                raise ValueError(f"{objective!r}: an objective says what the learner can do")
        return objectives


class CatalogueSubject(_Strict):
    key: str
    name: str = Field(min_length=2, max_length=60)
    area: Area
    aliases: tuple[str, ...] = ()
    topics: tuple[CatalogueTopic, ...] = Field(min_length=5)

    @field_validator("key")
    @classmethod
    def _key(cls, key: str) -> str:
        return CatalogueTopic._key(key)

    @model_validator(mode="after")
    def _topics_in_order(self) -> CatalogueSubject:
        seen: set[str] = set()
        for topic in self.topics:
            if topic.key in seen:
                raise ValueError(f"topic {topic.key!r} appears twice")
            missing = [key for key in topic.requires if key not in seen]
            if missing:
                raise ValueError(f"topic {topic.key!r} requires {missing}, not taught before it")
            seen.add(topic.key)
        if len({t.title.lower() for t in self.topics}) != len(self.topics):
            raise ValueError("two topics share a title")
        return self


class _File(_Strict):
    subject: tuple[CatalogueSubject, ...] = Field(min_length=1)


class CatalogueError(Exception):
    """A subjects file breaks the catalogue's rules; the message names the file and the rule."""


def load_file(path: Path) -> tuple[CatalogueSubject, ...]:
    """The subjects of one file, checked."""
    try:
        return _File.model_validate(tomllib.loads(path.read_text(encoding="utf-8"))).subject
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{path.name}: not valid TOML: {error}") from None
    except ValidationError as error:
        raise CatalogueError(f"{path.name}: {error}") from None


@cache
def catalogue() -> tuple[CatalogueSubject, ...]:
    """Every subject of every file, checked once (keys and aliases unique across files)."""
    subjects = [s for path in sorted(SUBJECTS_DIR.glob("*.toml")) for s in load_file(path)]
    names: dict[str, str] = {}
    for subject in subjects:
        for name in (subject.key, subject.name, *subject.aliases):
            owner = names.setdefault(name.casefold(), subject.key)
            if owner != subject.key:
                raise CatalogueError(f"{name!r} names both {owner!r} and {subject.key!r}")
    return tuple(subjects)


def main(paths: list[str]) -> int:
    """Check the named files (or all of them); print what is wrong."""
    try:
        if paths:
            found = [s for p in paths for s in load_file(Path(p))]
        else:
            found = list(catalogue())
    except CatalogueError as error:
        print(error, file=sys.stderr)
        return 1
    topics = sum(len(s.topics) for s in found)
    print(f"{len(found)} subjects, {topics} topics: all checks passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
