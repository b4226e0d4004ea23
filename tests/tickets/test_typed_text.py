"""`typed_text` (tickets/templatetags/typed_text.py) is `urlize|linebreaksbr`, remembered."""

from __future__ import annotations

import pytest
from django.template import Context, Template

TEXTS = [
    "",
    "Bonjour,\nla facture 12 ne sort plus.\r\nMerci",
    '<script>alert("x")</script> & <b>gras</b>',
    "Voir https://erp.example.fr/facture?id=12&x=<1> et www.dolibarr.fr.",
    "écrire à compta@boulangerie.fr ou javascript:alert(1)",
    "\"guillemets\" 'apostrophes' \u202e renversé",
]


@pytest.mark.parametrize("text", TEXTS)
def test_same_html_as_the_template_filters(text):
    context = Context({"text": text})
    expected = Template("{{ text|urlize|linebreaksbr }}").render(context)
    once = Template("{% load typed_text %}{{ text|typed_text }}").render(context)
    again = Template("{% load typed_text %}{{ text|typed_text }}").render(context)
    assert once == expected
    assert again == expected


def test_none_is_empty():
    template = Template("{% load typed_text %}{{ text|typed_text }}")
    assert template.render(Context({"text": None})) == ""
