"""Markdown to safe HTML: raw HTML is switched off in the parser and the output is sanitised again.

Two layers on purpose: the parser never emits author HTML, and nh3 removes anything that slipped
through (event handlers, ``javascript:`` links, ``hx-*`` attributes that htmx would act on).
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})

_ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4", "blockquote", "code",
                 "pre", "hr"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def render_markdown(text: str) -> str:
    html = _md.render(text)
    return nh3.clean(html, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                     url_schemes={"https", "mailto", "tel"}, link_rel="noopener noreferrer")
