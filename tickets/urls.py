from __future__ import annotations

from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("", views.home, name="home"),
    path("mon-affichage/", views.my_view, name="my_view"),
    path("tickets/", views.ticket_list, name="list"),
    path("tickets/nouveau/", views.ticket_create, name="create"),
    path("recherche/", views.quick_search, name="quick_search"),
]
