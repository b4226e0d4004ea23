"""Django's generic admin sentences in proper French, model by model.

Django builds its titles and messages from the model's verbose name alone, which French cannot
do: « Sélectionnez l'objet ticket à changer », « L'objet catégorie « Anomalie » a été modifié avec
succès. » Each ModelAdmin declares the noun of its model, with its article and gender
(`french = Noun("la", "catégorie", "catégories", feminine=True)`), and `FrenchAdmin` writes the
sentences from it: « Sélectionnez la catégorie à modifier », « La catégorie « Anomalie » a été
modifiée. », « Ajouter une catégorie », « Supprimer les catégories sélectionnées »…

How, without copying Django's views: the titles are replaced where Django leaves them (the
changelist's `title`, the change form's and delete page's context, when still Django's own, so
that an admin's own title wins); the success messages are recognised in `message_user` against
Django's own translated sentences (the object's link kept), and rewritten. Nothing is kept on
`self` between calls (ModelAdmin instances are shared by every request's thread). In another
language than French, Django's own sentences stay: this grammar is French only.

This module is the project package's: it imports no app (tests/test_architecture.py).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import Action, ActionLocation
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

if TYPE_CHECKING:
    from django.contrib.admin.views.main import ChangeList
    from django.forms import Field
    from django.utils.functional import _StrPromise as StrPromise

    _Base = admin.ModelAdmin[Any]
else:
    _Base = object

VOWELS = "aàâeéèêëiîïoôuùûyœæh"


@dataclass(frozen=True)
class Noun:
    """A model's noun as French uses it: « le ticket », « la catégorie », « l'organisation »."""

    article: str  # "le", "la" or "l'" (elided: « l'organisation », « l'e-mail »)
    singular: str
    plural: str
    feminine: bool = False

    def __post_init__(self) -> None:
        if self.article not in {"le", "la", "l'"}:
            raise ValueError(f"article « {self.article} » : le, la ou l'")
        if self.feminine != (self.article == "la") and self.article != "l'":
            raise ValueError(f"« {self.article} {self.singular} » : article et genre en désaccord")

    @property
    def the(self) -> str:
        """« le ticket », « la catégorie », « l'organisation »."""
        if self.article == "l'":
            return f"l'{self.singular}"
        return f"{self.article} {self.singular}"

    @property
    def a(self) -> str:
        """« un ticket », « une catégorie »."""
        return f"{'une' if self.feminine else 'un'} {self.singular}"

    @property
    def another(self) -> str:
        """« un autre ticket », « une autre catégorie »."""
        return f"{'une' if self.feminine else 'un'} autre {self.singular}"

    @property
    def pronoun(self) -> str:
        """The object pronoun before a verb starting with a consonant: « le », « la »."""
        return "la" if self.feminine else "le"

    @property
    def these(self) -> str:
        """« les tickets sélectionnés », « les catégories sélectionnées »."""
        return f"les {self.plural} {self.agree('sélectionné', plural=True)}"

    def agree(self, participle: str, *, plural: bool = False) -> str:
        """« modifié », « modifiée », « modifiés », « modifiées »."""
        return participle + ("e" if self.feminine else "") + ("s" if plural else "")

    def count(self, number: int) -> str:
        """« 1 catégorie », « 2 catégories » (0 and 1 are singular in French)."""
        return f"{number} {self.singular if abs(number) < 2 else self.plural}"


def capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


def is_french() -> bool:
    return (get_language() or "").split("-")[0] == "fr"


# -- Titles -----------------------------------------------------------------------------------


def changelist_title(noun: Noun, *, popup: bool, change: bool) -> str:
    if popup:
        return f"Sélectionnez {noun.a}"
    return f"Sélectionnez {noun.the} à {'modifier' if change else 'consulter'}"


def form_title(noun: Noun, *, add: bool, change: bool) -> str:
    if add:
        return f"Ajouter {noun.a}"
    return f"{'Modifier' if change else 'Consulter'} {noun.the}"


# -- Messages ---------------------------------------------------------------------------------
# Django's sentences (their msgids, translated at the time of the message), each with the French
# one that replaces it. {name} / %(name)s is the verbose name, {obj} / %(obj)s the object's
# display (a link in the add and change messages: kept as Django made it).

ADDED = "The {name} “{obj}” was added successfully."
CHANGED = "The {name} “{obj}” was changed successfully."
EDIT_AGAIN = "You may edit it again below."
ADDED_ANOTHER = "The {name} “{obj}” was added successfully. You may add another {name} below."
CHANGED_AGAIN = "The {name} “{obj}” was changed successfully. You may edit it again below."
CHANGED_ANOTHER = "The {name} “{obj}” was changed successfully. You may add another {name} below."
DELETED = "The %(name)s “%(obj)s” was deleted successfully."
BULK_DELETED = "Successfully deleted %(count)d %(items)s."
BULK_CHANGED = (
    "%(count)s %(name)s was changed successfully.",
    "%(count)s %(name)s were changed successfully.",
)


PLACEHOLDER = re.compile(r"\{name\}|\{obj\}|%\((?:name|items|obj|count)\)[sd]")
COUNT = r"(?P<count>\d+)"
GROUPS = {
    "{obj}": r"(?P<obj>.*)",
    "%(obj)s": r"(?P<obj>.*)",
    "%(count)d": COUNT,
    "%(count)s": COUNT,
}


def _pattern(translated: str) -> re.Pattern[str]:
    """A translated Django sentence as a regular expression: the object and the count captured,
    the model's name (singular or plural, as Django chose it) matched."""
    parts, position = [], 0
    for placeholder in PLACEHOLDER.finditer(translated):
        parts.append(re.escape(translated[position : placeholder.start()]))
        parts.append(GROUPS.get(placeholder.group(), ".+?"))  # the name, as Django put it
        position = placeholder.end()
    parts.append(re.escape(translated[position:]))
    return re.compile("".join(parts), re.DOTALL)


def _french_messages(
    noun: Noun,
) -> list[tuple[str, Callable[[re.Match[str], bool], SafeString]]]:
    """(Django's translated sentence, the French one from its match), longest first."""

    def done(verb: str, then: str = "") -> Callable[[re.Match[str], bool], SafeString]:
        def build(match: re.Match[str], safe: bool) -> SafeString:
            # Django's add and change messages are HTML (the object's link, escaped); its
            # delete message is text, escaped here.
            obj = mark_safe(match.group("obj")) if safe else match.group("obj")  # noqa: S308
            sentence = format_html("{} « {} » a été {}.", capfirst(noun.the), obj, noun.agree(verb))
            return format_html("{} {}", sentence, then) if then else sentence

        return build

    def counted(verb: str) -> Callable[[re.Match[str], bool], SafeString]:
        def build(match: re.Match[str], safe: bool) -> SafeString:
            number = int(match.group("count"))
            has = "a" if number < 2 else "ont"
            participle = noun.agree(verb, plural=number >= 2)
            return format_html("{} {} été {}.", noun.count(number), has, participle)

        return build

    again = f"Vous pouvez continuer à {noun.pronoun} modifier ci-dessous."
    another = f"Vous pouvez ajouter {noun.another} ci-dessous."
    return [
        (gettext(ADDED) + " " + gettext(EDIT_AGAIN), done("ajouté", again)),
        (gettext(ADDED_ANOTHER), done("ajouté", another)),
        (gettext(CHANGED_AGAIN), done("modifié", again)),
        (gettext(CHANGED_ANOTHER), done("modifié", another)),
        (gettext(ADDED), done("ajouté")),
        (gettext(CHANGED), done("modifié")),
        (gettext(DELETED), done("supprimé")),
        (gettext(BULK_DELETED), counted("supprimé")),
        (ngettext(*BULK_CHANGED, 1), counted("modifié")),
        (ngettext(*BULK_CHANGED, 2), counted("modifié")),
    ]


def french_message(noun: Noun, message: str) -> SafeString | None:
    """The French sentence for one of Django's generic messages about this model, or None."""
    for translated, build in _french_messages(noun):
        match = _pattern(translated).fullmatch(str(message))
        if match is not None:
            return build(match, isinstance(message, SafeString))
    return None


# -- Related fields' links (« Modifier la catégorie sélectionnée », not « l'objet ») ---------


class FrenchRelatedFieldWidgetWrapper(RelatedFieldWidgetWrapper):
    """The links beside a relation's select, titled from the related model's noun."""

    template_name = "admin/widgets/related_widget_wrapper_fr.html"

    def __init__(self, wrapper: RelatedFieldWidgetWrapper, noun: Noun) -> None:
        super().__init__(
            wrapper.widget,
            wrapper.rel,
            wrapper.admin_site,
            can_add_related=wrapper.can_add_related,
            can_change_related=wrapper.can_change_related,
            can_delete_related=wrapper.can_delete_related,
            can_view_related=wrapper.can_view_related,
        )
        self.noun = noun

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        noun = self.noun
        selected = noun.agree("sélectionné")
        context["french_links"] = (
            {
                "change": f"Modifier {noun.the} {selected}",
                "add": f"Ajouter {noun.another}",
                "delete": f"Supprimer {noun.the} {selected}",
                "view": f"Consulter {noun.the} {selected}",
            }
            if is_french()
            else None
        )
        return context

    def _render(
        self, template_name: str, context: dict[str, Any], renderer: Any = None
    ) -> SafeString:
        # The project's template (templates/admin/widgets/), which the form renderer's own
        # engine (Django's form and app templates only) would not find.
        return mark_safe(render_to_string(template_name, context))  # noqa: S308


def noun_of(admin_site: admin.AdminSite, model: type[models.Model]) -> Noun | None:
    model_admin = admin_site._registry.get(model)
    return getattr(model_admin, "french", None)


# -- The mixin --------------------------------------------------------------------------------


class FrenchAdmin(_Base):
    """Put first in a ModelAdmin's bases, with `french = Noun(...)` in its body."""

    french: Noun | None = None

    def _noun(self) -> Noun | None:
        return self.french if is_french() else None

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        noun = self._noun()
        if noun is not None:
            changelist.title = changelist_title(
                noun, popup=changelist.is_popup, change=self.has_change_permission(request)
            )
        return changelist

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        noun = self._noun()
        if noun is not None:
            # templates/admin/change_list_object_tools.html: « Ajouter une catégorie »
            extra_context = {"french_add": f"Ajouter {noun.a}", **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        noun = self._noun()
        name = self.opts.verbose_name
        generic = {gettext("Add %s") % name, gettext("Change %s") % name, gettext("View %s") % name}
        if noun is not None and context.get("title") in generic:
            context["title"] = form_title(
                noun, add=add, change=not add and self.has_change_permission(request, obj)
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def render_delete_form(self, request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
        noun = self._noun()
        if noun is not None:
            name = context.get("object_name", "")
            if context.get("title") == gettext("Cannot delete %(name)s") % {"name": name}:
                context["title"] = f"Impossible de supprimer {noun.the}"
            elif context.get("title") == gettext("Delete"):
                context["title"] = f"Supprimer {noun.the}"
            what = format_html("{} « {} »", noun.the, context.get("escaped_object", ""))
            # templates/admin/delete_confirmation.html
            context["french_delete"] = {
                "forbidden": format_html(
                    "Supprimer {} supprimerait aussi des éléments liés, mais votre compte n'a "
                    "pas le droit de supprimer les types d'éléments suivants :",
                    what,
                ),
                "protected": format_html(
                    "Supprimer {} demanderait de supprimer les éléments liés et protégés "
                    "suivants :",
                    what,
                ),
                "confirm": format_html(
                    "Voulez-vous vraiment supprimer {} ? Les éléments liés suivants seront "
                    "supprimés avec {} :",
                    what,
                    "elle" if noun.feminine else "lui",
                ),
            }
        return super().render_delete_form(request, context)

    def get_actions(
        self, request: HttpRequest, action_location: ActionLocation = ActionLocation.CHANGE_LIST
    ) -> dict[str, Any]:
        actions = super().get_actions(request, action_location=action_location)
        noun = self._noun()
        found = actions.get("delete_selected")
        if noun is not None and isinstance(found, Action) and found.func is delete_selected:
            description = f"Supprimer {noun.these}"
            actions["delete_selected"] = dataclasses.replace(
                found,
                func=french_delete_selected,
                description=description,
                plural_description=description,
            )
        return actions

    def formfield_for_dbfield(
        self, db_field: models.Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Field | None:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        widget = getattr(formfield, "widget", None)
        if type(widget) is RelatedFieldWidgetWrapper:
            noun = noun_of(self.admin_site, widget.rel.model)
            if noun is not None and formfield is not None:
                formfield.widget = FrenchRelatedFieldWidgetWrapper(widget, noun)
        return formfield

    def message_user(
        self,
        request: HttpRequest,
        message: str | StrPromise,
        level: int | str = messages.INFO,
        extra_tags: str = "",
        fail_silently: bool = False,
    ) -> None:
        noun = self._noun()
        if noun is not None:
            message = french_message(noun, str(message)) or message
        super().message_user(request, message, level, extra_tags, fail_silently)


def french_delete_selected(
    modeladmin: Any, request: HttpRequest, queryset: models.QuerySet[Any]
) -> HttpResponse | None:
    """Django's « delete selected » action, its confirmation page in proper French
    (templates/admin/delete_selected_confirmation.html); its message is rewritten by
    FrenchAdmin.message_user."""
    response = delete_selected(modeladmin, request, queryset)
    noun = modeladmin._noun()
    if isinstance(response, TemplateResponse) and noun is not None:
        context = response.context_data or {}
        these = noun.these
        blocked = context.get("perms_lacking") or context.get("protected")
        context["title"] = f"{'Impossible de supprimer' if blocked else 'Supprimer'} {these}"
        context["french_bulk_delete"] = {
            "crumb": f"Supprimer {these}",
            "forbidden": f"Supprimer {these} supprimerait aussi des éléments liés, mais votre "
            "compte n'a pas le droit de supprimer les types d'éléments suivants :",
            "protected": f"Supprimer {these} demanderait de supprimer les éléments liés et "
            "protégés suivants :",
            "confirm": f"Voulez-vous vraiment supprimer {these} ? Les éléments suivants et ceux "
            "qui leur sont liés seront supprimés :",
        }
        response.context_data = context
    return response


french_delete_selected.allowed_permissions = ("delete",)  # type: ignore[attr-defined]
