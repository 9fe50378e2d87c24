"""Just enough Dockerfile and .dockerignore parsing for the deploy checks: stages, instructions, ENV, exec forms."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Instruction:
    keyword: str
    """Upper case: FROM, RUN, COPY, ENV, CMD, …"""
    args: str
    comments: tuple[str, ...]
    """The comment lines right above it."""

    def flags(self) -> list[str]:
        """Every `--word` in the arguments (`--mount=type=cache,…`, `--chmod=0755`, `--no-install-recommends`)."""
        return [word for word in self.args.split() if word.startswith("--")]

    def words(self) -> list[str]:
        """The arguments without leading --flags (shell words, or the JSON exec form)."""
        text = self.args
        while text.startswith("--"):
            text = text.split(None, 1)[1] if " " in text else ""
        return exec_form(text) if text.startswith("[") else shlex.split(text)


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for word in shlex.split(instruction.args):
                key, _, value = word.partition("=")
                result[key] = value
        return result


@dataclass
class Dockerfile:
    path: Path
    first_line: str
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]


def exec_form(text: str) -> list[str]:
    value = orjson.loads(text)
    assert isinstance(value, list) and all(isinstance(part, str) for part in value), text
    return list(value)


def _logical_lines(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """(instruction text, comments above it), with continuation lines joined and inner comments dropped."""
    result: list[tuple[str, tuple[str, ...]]] = []
    comments: list[str] = []
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if current is None and (not line or line.startswith("#")):
            comments = [*comments, line] if line else []
            continue
        if current is not None and line.startswith("#"):
            continue
        current = [*(current or []), line.removesuffix("\\").strip()]
        if not line.endswith("\\"):
            result.append((" ".join(part for part in current if part), tuple(comments)))
            current, comments = None, []
    return result


def parse(path: Path) -> Dockerfile:
    text = path.read_text()
    stages: list[Stage] = []
    for line, comments in _logical_lines(text):
        keyword, _, args = line.partition(" ")
        instruction = Instruction(keyword.upper(), args.strip(), comments)
        if instruction.keyword == "FROM":
            parts = instruction.words()
            stages.append(Stage(parts[0], parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else None))
        elif stages:
            stages[-1].instructions.append(instruction)
    return Dockerfile(path, text.splitlines()[0], stages)


def copy_sources(stage: Stage) -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY from the build context (not --from another stage)."""
    result: list[tuple[list[str], str]] = []
    for instruction in stage.all("COPY"):
        if "--from=" in instruction.args:
            continue
        words = instruction.words()
        result.append((words[:-1], words[-1]))
    return result


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + "(?:/.*)?")


def dockerignored(path: str, dockerignore: Path) -> bool:
    """Whether `path` (relative to the context) is left out of the build context: the last matching line wins."""
    ignored = False
    for raw in dockerignore.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.removeprefix("!").strip("/")
        if _pattern_regex(pattern).fullmatch(path.strip("/")):
            ignored = not negate
    return ignored
