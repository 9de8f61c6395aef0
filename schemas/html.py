"""HTML bodies: the allowlist, parsing and settling a fragment, and its text.

A body is refused by name for anything outside the allowlist, never stripped; what is stored is
the settled serialisation, which parses back to itself in every browser and feed reader.

Every body costs time linear in its length: the number of elements and their nesting depth are
bounded (MAX_ELEMENTS, MAX_DEPTH) before and during the parse, because html5lib's tree building
costs time in proportion to the depth at every tag. A body that is already in its settled form
(most bodies, as editors send them) is recognised by nh3 (html5ever, in Rust) without html5lib.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import html5lib
import nh3
from html5lib.serializer import HTMLSerializer
from html5lib.treebuilders import getTreeBuilder
from marshmallow import ValidationError

ALLOWED_ELEMENTS = frozenset(
    "p br h2 h3 h4 blockquote ul ol li a em strong b i q cite figure figcaption img".split()
)
ALLOWED_ATTRIBUTES = {"a": frozenset({"href", "title"}), "img": frozenset({"src", "alt"})}
URL_ATTRIBUTES = {("a", "href"), ("img", "src")}
BLOCK_ELEMENTS = frozenset("p h2 h3 h4 blockquote li figcaption".split())
VOID_ELEMENTS = frozenset({"br", "img"})

MAX_ELEMENTS = 3_000  # a 95 KB article had 1,080; html5lib builds one in about 0.05 ms
MAX_DEPTH = 32  # editorial markup nests a dozen deep at most; every tag costs the depth
TOO_MANY = f"The body has more than {MAX_ELEMENTS:,} elements."
TOO_DEEP = f"The body nests elements more than {MAX_DEPTH} deep."
START_TAG = re.compile(r"<[A-Za-z]")
# settled HTML as html5lib writes it: text without "<", and tags in one plain form
SETTLED_TOKEN = re.compile(
    r"""([^<]+)|<(/?)([a-z][a-z0-9]*)((?: [a-z]+=(?:"[^"]*"|'[^']*'))*)>|<"""
)
# html5lib writes &amp; &lt; &gt; in text and may quote with ' where nh3 writes &quot;, and
# writes < > as they are in attributes; only a body free of other references is compared
NOT_AMP = re.compile(r"&(?!amp;)")

_SERIALIZER = HTMLSerializer(
    quote_attr_values="always", omit_optional_tags=False, resolve_entities=False
)


class TooComplex(Exception):
    """The parse met more elements, or deeper nesting, than a body may have."""


class _BoundedTreeBuilder(getTreeBuilder("etree")):
    """html5lib's etree builder, stopping once the tree outgrows MAX_ELEMENTS or MAX_DEPTH
    (counting the elements the parser adds itself, such as reopened formatting elements)."""

    def reset(self):
        super().reset()
        self.elements = 0

    def insertElementNormal(self, token):
        return self._admit(super().insertElementNormal(token))

    def insertElementTable(self, token):
        return self._admit(super().insertElementTable(token))

    def _admit(self, element):
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise TooComplex(TOO_MANY)
        if len(self.openElements) - 1 > MAX_DEPTH:  # below the fragment's own root
            raise TooComplex(TOO_DEEP)
        return element


class _Walker(html5lib.getTreeWalker("etree")):
    """html5lib's etree walker, finding each parent's place from a table made once: its own
    looks it up among the siblings every time, which costs time in their number squared."""

    def __init__(self, tree):
        super().__init__(tree)
        self.places = {id(child): i for element in tree.iter() for i, child in enumerate(element)}

    def getParentNode(self, node):
        if not isinstance(node, tuple):
            return None
        element, key, parents, flag = node
        if flag == "text":
            return (element, key, parents, None) if parents else element
        parent = parents.pop()
        return (parent, self.places[id(parent)], parents, None) if parents else parent


def settle(html: str) -> str:
    """The fragment as it is stored; ValidationError naming what breaks the allowlist."""
    if sum(1 for _ in START_TAG.finditer(html)) > MAX_ELEMENTS:
        raise ValidationError(TOO_MANY)
    settled = settled_already(html)
    if settled is None:
        settled = settle_strictly(html)
    text, images = read_settled(settled)
    if not text and not images:
        raise ValidationError("The body has no text.")
    return settled


def settled_already(html: str) -> str | None:
    """The body itself when nh3 finds nothing to strip or rewrite in it, else None.

    nh3 serialises the same way html5lib does for such a body (tests/test_schemas.py checks
    that on random markup), so html5lib would settle it to itself; anything else, including
    every body that breaks a rule, goes to `settle_strictly`, which names what is wrong.
    """
    if html != html.strip() or NOT_AMP.search(html) or not well_nested(html):
        return None
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_ELEMENTS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_allowed_attribute,
        strip_comments=True,
        link_rel=None,
        url_schemes={"http", "https", "mailto"},
    )
    return html if cleaned == html else None


def well_nested(html: str) -> bool:
    """Whether the body's tags, read as written, are allowed, each closed in order, and at most
    MAX_DEPTH deep: settled HTML always is, and html5ever (like html5lib) costs time in
    proportion to the depth at every tag, so nothing deeper goes to nh3.

    One such body the two parsers read apart: an `li` in a `figcaption` in an `li`. html5ever
    (as the HTML standard and browsers) keeps the inner item inside the caption; html5lib,
    for which a figcaption is not a "special" element, closes the outer item there. It goes
    to html5lib, which settles it to markup both read alike."""
    open_tags: list[str] = []
    for match in SETTLED_TOKEN.finditer(html):
        text, end, tag, _ = match.groups()
        if text:
            continue
        if tag not in ALLOWED_ELEMENTS:  # also a "<" that starts no tag
            return False
        if end:
            if tag in VOID_ELEMENTS or not open_tags or open_tags.pop() != tag:
                return False
        elif tag not in VOID_ELEMENTS:
            if tag == "li" and item_in_caption_in_item(open_tags):
                return False
            open_tags.append(tag)
            if len(open_tags) > MAX_DEPTH:
                return False
    return not open_tags


def item_in_caption_in_item(open_tags: list[str]) -> bool:
    """Whether a figcaption is open inside the innermost open li."""
    for tag in reversed(open_tags):
        if tag == "li":
            return False
        if tag == "figcaption":
            return "li" in open_tags
    return False


def _allowed_attribute(tag: str, name: str, value: str) -> str | None:
    if (tag, name) in URL_ATTRIBUTES and not is_allowed_url(value, allow_mailto=tag == "a"):
        return None  # stripped, so the body is not settled already
    return value


def settle_strictly(html: str) -> str:
    """Parse with html5lib, name what breaks the allowlist, and settle the serialisation."""
    fragment = parse_fragment(html)
    problems = sorted(set(html_problems(fragment)))
    if problems:
        raise ValidationError(problems)
    # Mis-nested markup can serialise to HTML that parses differently again; settle it,
    # so that what is stored reads back the same in every browser and feed reader.
    for _ in range(3):
        settled = serialize_fragment(fragment)
        if settled == html:
            return settled  # it parsed to itself
        html = settled
        if settled_already(settled) is not None:
            return settled  # it would parse to itself: nh3 finds it settled, as above
        fragment = parse_fragment(settled)
        if serialize_fragment(fragment) == settled:
            return settled
    raise ValidationError("The HTML is nested so badly that it has no stable form.")


def parse_fragment(html: str):
    """html5lib's parse, bounded: ValidationError naming the limit the body goes past."""
    parser = html5lib.HTMLParser(tree=_BoundedTreeBuilder, namespaceHTMLElements=False)
    try:
        return parser.parseFragment(html)
    except TooComplex as exc:
        raise ValidationError(str(exc)) from None


def serialize_fragment(fragment) -> str:
    return "".join(_SERIALIZER.serialize(_Walker(fragment))).strip()


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
    return read_settled(html)[0]


def read_settled(html: str) -> tuple[str, int]:
    """Settled HTML's text (one line per block) and its number of images.

    In settled HTML every element but br and img is closed explicitly and text holds no "<",
    so its tags, read in order, give the tree: one linear pass, without recursion.
    """
    lines: list[str] = []
    blocks: list[list[str]] = [[]]  # the text of each open block, innermost last
    images = 0

    def flush() -> None:
        line = " ".join("".join(blocks[-1]).split())
        if line:
            lines.append(line)
        blocks[-1].clear()

    for match in SETTLED_TOKEN.finditer(html):
        text, end, tag, _ = match.groups()
        if tag is None:
            blocks[-1].append(unescape(text or "<"))
        elif tag == "img":
            images += 1
        elif tag == "br":
            flush()
        elif tag in BLOCK_ELEMENTS:
            flush()
            if not end:
                blocks.append([])
            elif len(blocks) > 1:
                blocks.pop()
    flush()
    return "\n".join(lines), images


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
