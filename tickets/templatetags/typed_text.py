"""Text as a person typed it (notes, description): escaped, links made clickable, line breaks
kept. Exactly `{{ text|urlize|linebreaksbr }}`, remembered per text: a ticket page renders its
50 notes again after every change, and `urlize` was ~18 % of that page's CPU."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.template.defaultfilters import linebreaksbr, urlize
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@lru_cache(maxsize=4096)
def _html(text: str) -> str:
    return str(linebreaksbr(urlize(text, autoescape=True), autoescape=True))


@register.filter(is_safe=True)
def typed_text(value: object) -> SafeString:
    """The HTML of a typed text; the same text (a note never changes) is converted once per
    process."""
    return mark_safe(_html("" if value is None else str(value)))  # noqa: S308 - escaped by urlize
