from __future__ import annotations

from django.urls import path

from .views import listing, portal

app_name = "tickets"

urlpatterns = [
    path("", portal.home, name="home"),
    path("mon-affichage/", portal.my_view, name="my_view"),
    path("tickets/", listing.ticket_list, name="list"),
    path("tickets/nouveau/", portal.ticket_create, name="create"),
    path("recherche/", portal.quick_search, name="quick_search"),
]
