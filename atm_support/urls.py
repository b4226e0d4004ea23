from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminLoginForm
from accounts.preferences import preferences
from accounts.views import AdminOwnPasswordChangeView
from health.views import health

admin.site.site_header = _("ATM Support — administration")
admin.site.site_title = "ATM Support"
admin.site.index_title = _("Tableau de bord de l'équipe ATM")
admin.site.login_form = AdminLoginForm


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask /favicon.ico on every page, the admin's included."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


# 503 rather than 500 when Redis, PostgreSQL or the storage is out of reach (atm_support/errors.py).
handler500 = "atm_support.errors.server_error"

urlpatterns = [
    path("favicon.ico", favicon),
    path("sante/", health, name="health"),  # uptime monitors, no account (docs/operations.md)
    # Ahead of the admin's own view, which checks the current password with no limit.
    path(
        "admin/password_change/",
        admin.site.admin_view(AdminOwnPasswordChangeView.as_view()),
        name="admin_own_password_change",
    ),
    # « Mes préférences »: a staff member's own notification choices (accounts/preferences.py).
    path("admin/mes-preferences/", admin.site.admin_view(preferences), name="admin_preferences"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("tickets.urls")),
    path("", include("allowances.urls")),
]
