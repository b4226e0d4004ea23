"""The queues above the ticket list: the built-in ones (« Mes tickets », « Non affectés »,
« Dépassés »…) and the filters a technician saved for themselves (tickets/queues.py).

Two POST-only admin URLs: save the list's current filters under a name (the same name again
replaces them), delete one of one's own. A name refused (empty, too long, too many queues)
says why in French and is offered again in the box.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.access import staff_member

from ..queues import QUEUE_NAME_MAX, QUEUE_QUERY_MAX, QUEUES_PER_USER, SavedQueue

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

# The list's own parameters that a queue does not keep: the page, the error flag.
NOT_KEPT = ("p", "e", "_to_field", "_popup")
DRAFT_KEY = "ticket_queue_draft"

BUILT_IN = (
    (_("Mes tickets"), {"handler": "me"}),
    (_("Non affectés"), {"handler": "none"}),
    (_("Dépassés"), {"target": "late"}),
    (_("Bientôt dépassés"), {"target": "soon"}),
    (_("En attente de l'équipe"), {"waiting": "team"}),
)


def current_query(request: HttpRequest) -> str:
    """The list's filters, search and order as a query string, in a stable order."""
    params = sorted(
        (key, value)
        for key, values in request.GET.lists()
        if key not in NOT_KEPT
        for value in values
    )
    return urlencode(params)


def _clean_query(raw: str) -> str:
    return raw.strip().lstrip("?")[:QUEUE_QUERY_MAX]


def context(request: HttpRequest) -> dict[str, Any]:
    """What templates/admin/tickets/ticket/change_list.html shows: one query for the saved."""
    here = current_query(request)
    built_in = [
        {"name": name, "query": urlencode(sorted(params.items()))} for name, params in BUILT_IN
    ]
    for queue in built_in:
        queue["selected"] = queue["query"] == here
    saved = list(
        SavedQueue.objects.filter(user=staff_member(request)).order_by("name").only("name", "query")
    )
    for saved_queue in saved:
        saved_queue.selected = saved_queue.query == here  # type: ignore[attr-defined]
    return {
        "queue_built_in": built_in,
        "queue_saved": saved,
        "queue_here": here,
        "queue_draft": request.session.pop(DRAFT_KEY, ""),
        "queue_name_max": QUEUE_NAME_MAX,
    }


def _back(query: str) -> HttpResponseRedirect:
    url = reverse("admin:tickets_ticket_changelist")
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


def save_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    me = staff_member(request)
    name = " ".join(request.POST.get("name", "").split())
    query = _clean_query(request.POST.get("query", ""))
    refusal = None
    if not name:
        refusal = gettext("Donnez un nom à ce filtre pour l'enregistrer.")
    elif len(name) > QUEUE_NAME_MAX:
        refusal = gettext("Nom trop long : %(limit)s caractères au plus.") % {
            "limit": QUEUE_NAME_MAX
        }
    elif (
        not SavedQueue.objects.filter(user=me, name=name).exists()
        and SavedQueue.objects.filter(user=me).count() >= QUEUES_PER_USER
    ):
        refusal = gettext(
            "Vous avez déjà %(count)s filtres enregistrés : supprimez-en un d'abord."
        ) % {"count": QUEUES_PER_USER}
    if refusal is not None:
        messages.error(request, refusal)
        request.session[DRAFT_KEY] = name[:QUEUE_NAME_MAX]
        return _back(query)
    _queue, created = SavedQueue.objects.update_or_create(
        user=me, name=name, defaults={"query": query}
    )
    if created:
        messages.success(request, gettext("Filtre « %(name)s » enregistré.") % {"name": name})
    else:
        messages.success(request, gettext("Filtre « %(name)s » mis à jour.") % {"name": name})
    return _back(query)


def delete_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    me = staff_member(request)
    raw = request.POST.get("queue", "")
    # Only one's own: another technician's id deletes nothing.
    queue = SavedQueue.objects.filter(user=me, pk=int(raw)).first() if raw.isdigit() else None
    if queue is None:
        messages.error(request, gettext("Ce filtre enregistré n'existe pas (ou plus)."))
    else:
        queue.delete()
        messages.success(request, gettext("Filtre « %(name)s » supprimé.") % {"name": queue.name})
    return _back(_clean_query(request.POST.get("query", "")))


def urls(model_admin: ModelAdmin[Any]) -> list[URLPattern]:
    site = model_admin.admin_site
    return [
        path("files/enregistrer/", site.admin_view(save_view), name="tickets_ticket_queue_save"),
        path("files/supprimer/", site.admin_view(delete_view), name="tickets_ticket_queue_delete"),
    ]
