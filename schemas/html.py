"""HTML bodies: the allowlist, parsing and settling a fragment, and its text.

A body is refused by name for anything outside the allowlist, never stripped; what is stored is
the settled serialisation, which parses back to itself in every browser and feed reader.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import html5lib
from html5lib.serializer import HTMLSerializer
from marshmallow import ValidationError

ALLOWED_ELEMENTS = frozenset(
    "p br h2 h3 h4 blockquote ul ol li a em strong b i q cite figure figcaption img".split()
)
ALLOWED_ATTRIBUTES = {"a": frozenset({"href", "title"}), "img": frozenset({"src", "alt"})}
URL_ATTRIBUTES = {("a", "href"), ("img", "src")}
BLOCK_ELEMENTS = frozenset("p h2 h3 h4 li blockquote figcaption".split())

_SERIALIZER = HTMLSerializer(
    quote_attr_values="always", omit_optional_tags=False, resolve_entities=False
)


def settle(html: str) -> str:
    """The fragment as it is stored; ValidationError naming what breaks the allowlist."""
    fragment = parse_fragment(html)
    problems = sorted(set(html_problems(fragment)))
    if problems:
        raise ValidationError(problems)
    # Mis-nested markup can serialise to HTML that parses differently again; settle it,
    # so that what is stored reads back the same in every browser and feed reader.
    for _ in range(3):
        settled = serialize_fragment(fragment)
        fragment = parse_fragment(settled)
        if serialize_fragment(fragment) == settled:
            if not "".join(fragment.itertext()).strip() and fragment.find(".//img") is None:
                raise ValidationError("The body has no text.")
            return settled
    raise ValidationError("The HTML is nested so badly that it has no stable form.")


def parse_fragment(html: str):
    return html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)


def serialize_fragment(fragment) -> str:
    return "".join(_SERIALIZER.serialize(html5lib.getTreeWalker("etree")(fragment))).strip()


def html_problems(fragment) -> list[str]:
    """What in a parsed fragment breaks the allowlist, named for the writer."""
    found = []
    for element in fragment.iter():
        if element is fragment:
            continue
        tag = element.tag
        if not isinstance(tag, str):  # a comment or processing instruction
            found.append("comments are not allowed")
            continue
        if tag not in ALLOWED_ELEMENTS:
            found.append(f"element <{tag}> is not allowed")
            continue
        for name, value in element.attrib.items():
            if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
                found.append(f'attribute "{name}" on <{tag}> is not allowed')
            elif (tag, name) in URL_ATTRIBUTES and not is_allowed_url(
                value.strip(), allow_mailto=tag == "a"
            ):
                kinds = "http(s) or mailto" if tag == "a" else "http(s)"
                found.append(f'{name} "{value[:80]}" on <{tag}> must be an absolute {kinds} URL')
    return found


def html_to_text(html: str) -> str:
    """The text of an accepted fragment, one line per block (for body_text and search)."""
    fragment = parse_fragment(html)
    lines: list[str] = []

    def walk(element, current: list[str]):
        if element.text:
            current.append(element.text)
        for child in element:
            if isinstance(child.tag, str) and child.tag in BLOCK_ELEMENTS:
                flush(current)
                inner: list[str] = []
                walk(child, inner)
                flush(inner)
            elif isinstance(child.tag, str) and child.tag == "br":
                flush(current)
            elif isinstance(child.tag, str):
                walk(child, current)
            if child.tail:
                current.append(child.tail)

    def flush(parts: list[str]):
        line = " ".join("".join(parts).split())
        if line:
            lines.append(line)
        parts.clear()

    rest: list[str] = []
    walk(fragment, rest)
    flush(rest)
    return "\n".join(lines)


def is_allowed_url(url: str, allow_mailto: bool = False) -> bool:
    if len(url) > 2000 or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme in ("http", "https"):
        return bool(parts.hostname)
    return allow_mailto and parts.scheme == "mailto" and len(parts.path) > 0
