"""WhatsApp message templates: what Meta will accept, and how a journey step fills one in.

A template's body has positional placeholders {{1}}, {{2}} ...; `variables` names the value
that fills each one, so a merchant's template maps onto the values a journey step knows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

VARIABLES: tuple[str, ...] = ("first_name", "product_name", "tip", "store_name", "link")
CATEGORIES: tuple[str, ...] = ("utility", "marketing")

MAX_BODY_CHARS = 1024
MAX_PARAMETER_CHARS = 1024

_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:_[A-Z]{2})?$")
# Anything in double braces, so "{{name}}" or "{{ 1 }}" is reported rather than sent as text.
_ANY_PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")
# A placeholder with the horizontal space around it, so an empty first name can take its
# space along ("Hi {{1}}, ..." -> "Hi, ...").
_PLACEHOLDER_IN_TEXT = re.compile(r"([ \t]*)\{\{(\d+)\}\}([ \t]*)")
_WHITESPACE = re.compile(r"\s+")
_BULLET = re.compile(r"^\s*(?:[•·▪◦*\-–—]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_CLOSES_PHRASE = frozenset(",.!?;:")
# Cutting a long text back to a space is worth it only if it keeps most of the text.
_MIN_KEPT_FRACTION = 0.6
ELLIPSIS = "…"
# A customer without a stored name still gets the message, with the name left out.
OPTIONAL_VARIABLES = frozenset({"first_name"})


class MissingTemplateValue(ValueError):
    def __init__(self, variable: str) -> None:
        super().__init__(f"no value for template variable {variable!r}")
        self.variable = variable


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    language_code: str
    category: str
    body: str
    variables: tuple[str, ...]

    def __post_init__(self) -> None:
        # A list from JSON would make the spec unhashable and silently mutable.
        object.__setattr__(self, "variables", tuple(self.variables))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "language_code": self.language_code,
            "category": self.category,
            "body": self.body,
            "variables": list(self.variables),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TemplateSpec:
        if not isinstance(d, Mapping):
            raise ValueError(f"template spec must be an object, got {type(d).__name__}")
        variables = d.get("variables", [])
        if not isinstance(variables, list | tuple) or not all(
            isinstance(v, str) for v in variables
        ):
            raise ValueError("template 'variables' must be a list of strings")
        return cls(
            name=_string_field(d, "name", ""),
            language_code=_string_field(d, "language_code", "en"),
            category=_string_field(d, "category", "utility"),
            body=_string_field(d, "body", ""),
            variables=tuple(variables),
        )


def _string_field(d: Mapping[str, Any], key: str, default: str) -> str:
    value = d.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"template {key!r} must be a string, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class RenderedTemplate:
    text: str
    parameters: tuple[str, ...]


def template_problems(spec: TemplateSpec) -> list[str]:
    """What Meta (or the journey) would reject, in words a merchant can act on; [] if fine."""
    problems: list[str] = []
    if not _NAME.match(spec.name):
        problems.append("name must be 1-512 lower-case letters, digits or underscores")
    if not _LANGUAGE.match(spec.language_code):
        problems.append(f"language code {spec.language_code!r} should look like 'en' or 'en_US'")
    if spec.category not in CATEGORIES:
        problems.append(f"category must be one of {', '.join(CATEGORIES)}")
    unknown = [v for v in spec.variables if v not in VARIABLES]
    if unknown:
        problems.append(f"unknown variables {unknown}; use {', '.join(VARIABLES)}")
    problems.extend(_body_problems(spec.body, len(spec.variables)))
    return problems


def _body_problems(body: str, variable_count: int) -> list[str]:
    stripped = body.strip()
    if not stripped:
        return ["body is empty"]
    problems: list[str] = []
    if len(body) > MAX_BODY_CHARS:
        problems.append(f"body is {len(body)} characters; the limit is {MAX_BODY_CHARS}")
    inner = _ANY_PLACEHOLDER.findall(body)
    malformed = sorted({i for i in inner if not i.isdigit()})
    if malformed:
        problems.append(f"placeholders must be numbers like {{{{1}}}}: {malformed}")
    used = {int(i) for i in inner if i.isdigit()}
    expected = set(range(1, variable_count + 1))
    if used - expected:
        problems.append(f"placeholders without a variable: {_braced(used - expected)}")
    if expected - used:
        problems.append(f"variables without a placeholder: {_braced(expected - used)}")
    if _ANY_PLACEHOLDER.match(stripped) or re.search(r"\{\{[^{}]*\}\}$", stripped):
        problems.append("body must not start or end with a placeholder")
    return problems


def _braced(numbers: set[int]) -> str:
    return ", ".join(f"{{{{{n}}}}}" for n in sorted(numbers))


def render(spec: TemplateSpec, values: Mapping[str, str]) -> RenderedTemplate:
    """The parameters to send (in placeholder order, cleaned as Meta requires) and the text the
    customer will see, for the sandbox and the merchant's preview."""
    parameters = tuple(_parameter(variable, values) for variable in spec.variables)

    def substitute(match: re.Match[str]) -> str:
        number = int(match.group(2))
        if not 1 <= number <= len(parameters):
            raise ValueError(f"placeholder {{{{{number}}}}} has no variable in {spec.name!r}")
        value = parameters[number - 1]
        if value:
            return match.group(1) + value + match.group(3)
        return _without_placeholder(match)

    text = _PLACEHOLDER_IN_TEXT.sub(substitute, spec.body)
    return RenderedTemplate(text=text, parameters=parameters)


def _parameter(variable: str, values: Mapping[str, str]) -> str:
    raw = values.get(variable)
    value = clean_parameter(raw) if isinstance(raw, str) else ""
    if not value and variable not in OPTIONAL_VARIABLES:
        raise MissingTemplateValue(variable)
    return value


def _without_placeholder(match: re.Match[str]) -> str:
    """An empty value drops out with one of its surrounding spaces, so "Hi {{1}}, thanks" reads
    "Hi, thanks" and "Dear {{1}} and team" reads "Dear and team" rather than "Dear  and"."""
    before, after = match.group(1), match.group(3)
    following = match.string[match.end() : match.end() + 1]
    if following == "" or following in _CLOSES_PHRASE or following in "\r\n":
        return ""
    if before:
        return before
    preceding = match.string[match.start() - 1 : match.start()] if match.start() else ""
    return after if preceding and not preceding.isspace() else ""


def clean_parameter(value: str) -> str:
    """Meta rejects parameters with newlines, tabs or more than four spaces in a row."""
    return shorten(_WHITESPACE.sub(" ", value).strip(), MAX_PARAMETER_CHARS)


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters on a word boundary, marked with an ellipsis."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return text[:limit]
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space >= len(cut) * _MIN_KEPT_FRACTION:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + ELLIPSIS


def product_tip(usage_text: str, limit: int = 300) -> str:
    """The first sentence or two of a product's usage section, short enough for a message."""
    sentences = _sentences(usage_text)
    if not sentences:
        return ""
    tip = sentences[0]
    if len(sentences) > 1 and len(tip) + 1 + len(sentences[1]) <= limit:
        tip = f"{tip} {sentences[1]}"
    return shorten(tip, limit)


def _sentences(text: str) -> list[str]:
    """Sentences in order; each bullet or line of a list counts as one, so "Apply\\nRinse"
    becomes "Apply." and "Rinse."."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = _WHITESPACE.sub(" ", _BULLET.sub("", line)).strip()
        # A heading ("How to use:") introduces the tip; it is not part of it.
        if not line or line.endswith(":"):
            continue
        pieces = _SENTENCE_END.split(line)
        # "approx. 2 ml" or "e.g. hair" is not a sentence end: the next piece starts lower-case
        # or with a digit, so it belongs to the one before.
        merged: list[str] = []
        for piece in pieces:
            if merged and not piece[:1].isupper():
                merged[-1] = f"{merged[-1]} {piece}"
            else:
                merged.append(piece)
        sentences.extend(s if s[-1] in ".!?…" else s + "." for s in merged)
    return sentences
