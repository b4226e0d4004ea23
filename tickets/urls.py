from __future__ import annotations

from django.urls import path

from .views import detail, files, follow, listing, portal, reports, satisfaction

app_name = "tickets"

urlpatterns = [
    path("", portal.home, name="home"),
    path("mon-affichage/", portal.my_view, name="my_view"),
    path("tickets/", listing.ticket_list, name="list"),
    path("tickets/nouveau/", reports.ticket_create_view, name="create"),
    path("tickets/<int:number>/", detail.ticket_detail, name="detail"),
    path("tickets/<int:number>/suivi/", follow.ticket_following, name="following"),
    path("tickets/<int:number>/avis/", satisfaction.ticket_rating, name="rating"),
    path("recherche/", portal.quick_search, name="quick_search"),
    path("pieces-jointes/<int:pk>/", files.attachment_download, name="attachment"),
    path(
        "pieces-jointes/<int:pk>/miniature/",
        files.attachment_thumbnail,
        name="attachment_thumbnail",
    ),
]
