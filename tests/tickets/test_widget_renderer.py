"""The filter form's widgets rendered in Python give exactly Django's template HTML."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.forms.renderers import DjangoTemplates

from tests.factories import CategoryFactory, ClientFactory
from tickets.models import Impact, Priority, State
from tickets.search import TicketFilterForm
from tickets.widget_renderer import PythonWidgetRenderer

pytestmark = pytest.mark.django_db

URL = "/tickets/"
NASTY = "\"<b>&amp;</b>' & <script>"


@pytest.fixture
def viewer() -> Any:
    return ClientFactory(first_name='Zoé "<i>', last_name="O'Brien & <Cie>")


@pytest.fixture
def category() -> Any:
    return CategoryFactory(name=f"Catégorie {NASTY}")


@pytest.fixture
def other_client() -> Any:
    """A client of another organisation: not a choice of the viewer's « Rapporteur »."""
    return ClientFactory()


def both_forms(data: Any, user: Any, **kwargs: Any) -> tuple[TicketFilterForm, TicketFilterForm]:
    """The same form twice: with Django's template renderer, and with the form's own."""
    django_form = TicketFilterForm(data, user=user, renderer=DjangoTemplates(), **kwargs)
    fast_form = TicketFilterForm(data, user=user, **kwargs)
    assert isinstance(fast_form.renderer, PythonWidgetRenderer)
    for form in (django_form, fast_form):
        if form.is_bound:
            form.is_valid()  # as the view does: the invalid fields get `is-invalid` then
    return django_form, fast_form


def assert_same_widgets(django_form: TicketFilterForm, fast_form: TicketFilterForm) -> int:
    """Every widget of the form, and every state box as the page renders it, are identical.
    Returns how many pieces were compared."""
    compared = 0
    for name in django_form.fields:
        expected = django_form[name].as_widget()
        assert fast_form[name].as_widget() == expected, name
        assert str(fast_form[name]) == str(django_form[name]), name
        compared += 1
    for django_box, fast_box in zip(django_form["state"], fast_form["state"], strict=True):
        assert fast_box.tag() == django_box.tag()
        assert fast_box.tag(wrap_label=True) == django_box.tag(wrap_label=True)
        compared += 1
    return compared


def test_unbound_form_renders_as_django_does(viewer, category):
    django_form, fast_form = both_forms(None, viewer)
    assert assert_same_widgets(django_form, fast_form) == len(django_form.fields) + len(State)
    select = fast_form["category"].as_widget()
    assert '<select name="category" class="form-select" id="id_category">' in select


def test_valid_values_render_as_django_does(viewer, category):
    colleague = ClientFactory(organisation=viewer.organisation, first_name="Léa")
    data = {
        "q": "facture",
        "state": [State.NEW.value, State.FEEDBACK.value],
        "category": str(category.pk),
        "priority": str(Priority.HIGH.value),
        "impact": str(Impact.MINOR.value),
        "reporter": str(colleague.pk),
        "date_of": "updated",
        "date_from": "2024-01-31",
        "date_to": "01/02/2025",
    }
    django_form, fast_form = both_forms(data, viewer)
    assert fast_form.errors == {}
    assert_same_widgets(django_form, fast_form)
    # What the comparison covered: a selected option, checked boxes.
    assert f'<option value="{category.pk}" selected>' in fast_form["category"].as_widget()
    boxes = [box.tag() for box in fast_form["state"]]
    assert [" checked" in box for box in boxes] == [
        state in (State.NEW, State.FEEDBACK) for state in State
    ]
    assert 'value="2025-02-01"' in fast_form["date_to"].as_widget()


def test_invalid_values_render_as_django_does(viewer, category, other_client):
    data = {
        "q": "x" * 201,
        "state": ["bogus"],
        "category": "999999",
        "priority": "haute",
        "impact": "42",
        "reporter": str(other_client.pk),
        "date_of": "never",
        "date_from": "2024-13-45",
        "date_to": "1800-01-01",
    }
    django_form, fast_form = both_forms(data, viewer)
    assert set(fast_form.errors) == set(data)
    assert_same_widgets(django_form, fast_form)
    assert 'class="form-control is-invalid"' in fast_form["q"].as_widget()
    assert 'aria-invalid="true"' in fast_form["date_from"].as_widget()


def test_values_needing_escaping_render_as_django_does(viewer, category):
    data = {"q": NASTY, "category": str(category.pk), "date_from": NASTY, "date_to": NASTY}
    django_form, fast_form = both_forms(data, viewer)
    assert_same_widgets(django_form, fast_form)
    escaped = "&quot;&lt;b&gt;&amp;amp;&lt;/b&gt;&#x27; &amp; &lt;script&gt;"
    assert f'value="{escaped}"' in fast_form["q"].as_widget()
    assert f">Catégorie {escaped}</option>" in fast_form["category"].as_widget()
    reporter = fast_form["reporter"].as_widget()
    assert "Zoé &quot;&lt;i&gt; O&#x27;Brien &amp; &lt;Cie&gt;</option>" in reporter


@pytest.mark.parametrize("empty", ["", None])
def test_empty_and_none_values_render_as_django_does(viewer, category, empty):
    data = {name: empty for name in TicketFilterForm.base_fields}
    data["state"] = [] if empty == "" else None
    django_form, fast_form = both_forms(data, viewer)
    assert_same_widgets(django_form, fast_form)
    # An empty text reaches the template as None (Widget.format_value): no value attribute.
    assert fast_form["q"].as_widget() == (
        '<input type="search" name="q" maxlength="200" class="form-control"'
        ' aria-describedby="id_q_helptext" id="id_q">'
    )
    assert '<option value="" selected>' in fast_form["category"].as_widget()


def test_without_ids_and_with_groups_renders_as_django_does(viewer, category):
    """The branches the page does not take today: no `id`, optgroups in a select and in the
    boxes, a safe string given as an attribute and a label (not escaped twice)."""
    from django.utils.safestring import mark_safe

    data = {"category": "2", "state": ["b"], "q": mark_safe("<b>sûr</b>")}
    forms = both_forms(data, viewer, auto_id=False)
    for form in forms:
        form.fields["category"].choices = [
            ("", "Toutes"),
            ("Groupe <1>", [(1, "un"), (2, mark_safe("<em>deux</em>"))]),
            (3, "trois"),
        ]
        form.fields["state"].choices = [("Ouverts & co", [("a", "A"), ("b", "B")]), ("c", "C")]
        form.fields["q"].widget.attrs.update(
            {
                "data-x": mark_safe("<ok>"),
                "data-n": 7,
                "data-t": (1, 2),
                "hidden": True,
                "data-off": False,
            }
        )
    django_form, fast_form = forms
    assert_same_widgets(django_form, fast_form)
    assert '<optgroup label="Groupe &lt;1&gt;">' in fast_form["category"].as_widget()
    assert "<div><label>Ouverts &amp; co</label>" in fast_form["state"].as_widget()


def test_an_other_template_is_rendered_by_django():
    renderer = PythonWidgetRenderer()
    context = {
        "widget": {
            "name": "note",
            "value": "<b>",
            "attrs": {"rows": 3},
            "template_name": "django/forms/widgets/textarea.html",
        }
    }
    html = renderer.render("django/forms/widgets/textarea.html", context)
    assert html == '<textarea name="note" rows="3">\n&lt;b&gt;</textarea>'
    assert html == DjangoTemplates().render("django/forms/widgets/textarea.html", context)


def test_a_select_with_an_other_option_template_is_rendered_by_django(viewer, category):
    django_form, fast_form = both_forms(None, viewer)
    for form in (django_form, fast_form):
        form.fields["priority"].widget.option_template_name = "django/forms/widgets/attrs.html"
    # attrs.html as each option's template: nothing like select_option.html, so only Django's
    # templates can render it.
    html = fast_form["priority"].as_widget()
    assert html == django_form["priority"].as_widget()
    assert "<option" not in html


def filter_form_of(response: Any) -> str:
    match = re.search(r'<form class="card tl-filters.*?</form>', response.content.decode(), re.S)
    assert match is not None
    return match.group(0)


def test_the_page_shows_the_same_filter_form(client, settings, monkeypatch, viewer, category):
    settings.PAGE_CACHE = False
    client.force_login(viewer)
    params = {"q": NASTY, "category": str(category.pk), "state": ["new", "bogus"], "closed": "on"}
    fast = filter_form_of(client.get(URL, params))
    monkeypatch.setattr(TicketFilterForm, "default_renderer", DjangoTemplates())
    assert filter_form_of(client.get(URL, params)) == fast
