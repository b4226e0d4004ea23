"""The filter form's widgets rendered in Python, with the very HTML of Django's widget templates.

« Afficher les tickets » renders `TicketFilterForm` (tickets.search) on every page: nine fields
and six state boxes went through ~25 template renders and their includes, about 30 % of the
page's template time. `PythonWidgetRenderer` builds the same strings for the few templates that
form uses, and hands any other template to Django (`DjangoTemplates.render`).
bench/widget_renderer_bench.py measures what it saves (bench/README.md § 8: 3 to 5 ms of CPU,
a fifth of a list page rendered, on 02/12/2026); keep it only while that stays worth it.

It follows Django 6.1's templates in django/forms/templates/django/forms/widgets/ character for
character: attrs.html (False left out, True bare, `stringformat:'s'` then auto-escaping),
input.html (`widget.value != None`), select.html / select_option.html (optgroups, the blank lines
the includes leave), checkbox_select.html → multiple_input.html, checkbox_option.html →
input_option.html. tests/tickets/test_widget_renderer.py compares every widget of the form with
Django's own rendering: run it when Django is upgraded, as a template may change.

Not reproduced, as the form has none: callables in the widget context (a template would call
them), and option templates other than select_option.html / checkbox_option.html (those widgets
are rendered by Django's templates instead).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # no stub

WIDGETS = "django/forms/widgets/"
SELECT_OPTION = f"{WIDGETS}select_option.html"
CHECKBOX_OPTION = f"{WIDGETS}checkbox_option.html"

Widget = Mapping[str, Any]


def escaped(value: str) -> SafeString:
    """django.utils.html.escape without its lazy-string wrapper: called ~450 times a form."""
    return SafeString(html.escape(value))


def text(value: Any) -> SafeString:
    """`{{ value }}` with auto-escaping (django.template.base.render_value_in_context)."""
    if type(value) is str:
        return escaped(value)
    if not isinstance(value, str):
        value = localize(template_localtime(value))
        if not isinstance(value, str):
            value = str(value)
    return conditional_escape(value)


def formatted(value: Any) -> SafeString:
    """`{{ value|stringformat:'s' }}`: the filter keeps safe what was safe, the rest is escaped."""
    safe = isinstance(value, SafeData)
    if isinstance(value, tuple):
        value = str(value)
    try:
        result = "%s" % value  # noqa: UP031 - the filter's own operation
    except (ValueError, TypeError):
        result = ""
    return mark_safe(result) if safe else escaped(result)  # noqa: S308 - safe before the filter


def joined(parts: Sequence[str]) -> SafeString:
    """`parts` made by format_html or of escaped pieces (text, formatted) and literal markup:
    together they are safe too."""
    return mark_safe("".join(parts))  # noqa: S308 - see above


def attrs_html(attrs: Mapping[str, Any]) -> SafeString:
    """attrs.html: each attribute with a leading space; False ones left out, True ones bare."""
    # Plain f-strings of escaped pieces (not format_html): this runs for every <option>.
    parts: list[str] = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {text(name)}")
        else:
            parts.append(f' {text(name)}="{formatted(value)}"')
    return joined(parts)


def input_html(widget: Widget) -> SafeString:
    """input.html, without the newline the file ends with."""
    value = widget["value"]
    # The template's own comparison, `!= None`: not `is not None`.
    value_html = format_html(' value="{}"', formatted(value)) if value != None else ""  # noqa: E711
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        text(widget["type"]),
        text(widget["name"]),
        value_html,
        attrs_html(widget["attrs"]),
    )


def checkbox_option_html(option: Widget) -> SafeString:
    """checkbox_option.html → input_option.html → input.html, with the newlines each file ends
    with (two after the label, one more after the input since input.html's is kept too)."""
    tag = input_html(option)
    if not option["wrap_label"]:
        return format_html("{}\n\n", tag)
    label_id = option["attrs"].get("id")
    if label_id:
        return format_html(
            '<label for="{}">{}\n {}</label>\n\n', text(label_id), tag, text(option["label"])
        )
    return format_html("<label>{}\n {}</label>\n\n", tag, text(option["label"]))


def select_option_html(option: Widget) -> SafeString:
    """select_option.html, with its final newline."""
    value, label = formatted(option["value"]), text(option["label"])
    attrs = attrs_html(option["attrs"])
    return joined([f'<option value="{value}"{attrs}>{label}</option>\n'])


def select_html(widget: Widget) -> SafeString:
    opening = format_html('<select name="{}"{}>', text(widget["name"]), attrs_html(widget["attrs"]))
    parts: list[str] = [opening]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', text(group_name)))
        for option in options:
            parts.append("\n  ")
            parts.append(select_option_html(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return joined(parts)


def checkbox_select_html(widget: Widget) -> SafeString:
    """checkbox_select.html → multiple_input.html."""
    attrs = widget["attrs"]
    # `{% with id=widget.attrs.id %}`: a missing id is "" (string_if_invalid), i.e. false.
    box_id = attrs.get("id", "")
    css = attrs.get("class")
    parts = [
        "<div",
        format_html(' id="{}"', text(box_id)) if box_id else "",
        format_html(' class="{}"', text(css)) if css else "",
        ">",
    ]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(format_html("\n  <div><label>{}</label>", text(group)))
        for option in options:
            parts.append(format_html("<div>\n    {}</div>", checkbox_option_html(option)))
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return joined(parts)


def uses_only(widget: Widget, option_template: str) -> bool:
    """Whether every option is rendered by `option_template`, the only one reproduced here."""
    return all(
        option["template_name"] == option_template
        for _group, options, _index in widget["optgroups"]
        for option in options
    )


# A template rendered on its own (Widget.render, BoundWidget.tag) is stripped by the renderer:
# the builders below return exactly that stripped text.
BUILDERS: dict[str, Callable[[Widget], SafeString]] = {
    f"{WIDGETS}text.html": input_html,
    f"{WIDGETS}date.html": input_html,
    f"{WIDGETS}checkbox.html": input_html,
    CHECKBOX_OPTION: lambda option: joined([checkbox_option_html(option).strip()]),
}
OPTION_TEMPLATES: dict[str, tuple[Callable[[Widget], SafeString], str]] = {
    f"{WIDGETS}select.html": (select_html, SELECT_OPTION),
    f"{WIDGETS}checkbox_select.html": (checkbox_select_html, CHECKBOX_OPTION),
}


class PythonWidgetRenderer(DjangoTemplates):
    """Django's template renderer, with the filter form's widget templates done in Python."""

    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        build = BUILDERS.get(template_name)
        if build is not None:
            return build(context["widget"])
        with_options = OPTION_TEMPLATES.get(template_name)
        if with_options is not None:
            build, option_template = with_options
            if uses_only(context["widget"], option_template):
                return build(context["widget"])
        return super().render(template_name, context, request=request)
