from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from . import throttle
from .access import client_required
from .email_change import (
    EmailChangeError,
    email_change_check,
    email_change_confirm,
    email_change_request,
)
from .forms import (
    AccountPasswordChangeForm,
    AdminOwnPasswordChangeForm,
    EmailChangeForm,
    FirstPasswordForm,
    LanguageForm,
    LoginForm,
    NotificationsForm,
    PasswordResetForm,
)
from .invitations import InvitationError, invitation_accept, invitation_check
from .models import User

INVITATION_ERRORS = {
    "malformed": _("Ce lien d'invitation n'est pas valide : il a peut-être été mal copié."),
    "unknown": _("Ce lien d'invitation n'est pas valide : il a peut-être été mal copié."),
    "used": _("Ce lien d'invitation a déjà servi : votre mot de passe a été créé."),
    "voided": _("Ce lien d'invitation a été remplacé par une invitation plus récente."),
    "expired": _("Ce lien d'invitation a expiré."),
    "inactive": _("Ce compte a été désactivé."),
}


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        if self.request.user.is_staff:
            return reverse("admin:index")
        return super().get_default_redirect_url()


class PasswordResetView(auth_views.PasswordResetView):
    """« Mot de passe oublié ».

    At most PASSWORD_RESET_THROTTLE_EMAIL_LIMIT mails per address and
    PASSWORD_RESET_THROTTLE_IP_LIMIT requests per client IP in a window, so the form cannot flood
    a mailbox. Beyond that nothing is sent and the answer is the same redirect as always: it
    tells neither whether the account exists nor whether the cap was hit.
    """

    template_name = "accounts/password_reset.html"
    form_class = PasswordResetForm
    email_template_name = "emails/password_reset.txt"
    html_email_template_name = "emails/password_reset.html"
    subject_template_name = "emails/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        # Links in the mail come from SITE_URL, never from the request's Host header.
        self.extra_email_context = {
            "site_url": settings.SITE_URL,
            "support_email": settings.SUPPORT_EMAIL,
        }
        allowed = throttle.reset_mail_allowed(
            form.cleaned_data["email"], throttle.client_ip(self.request)
        )
        if not allowed:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class AdminOwnPasswordChangeView(auth_views.PasswordChangeView):
    """/admin/password_change/, in place of the admin's own view (atm_support/urls.py): that one
    checks the current password with no limit; this one through accounts.throttle."""

    form_class = AdminOwnPasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("admin:password_change_done")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        request.current_app = admin.site.name
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**admin.site.each_context(self.request), **super().get_context_data(**kwargs)}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """« Création du mot de passe ». GET shows the form and consumes nothing; POST uses the link."""
    try:
        invite = invitation_check(token)
    except InvitationError as error:
        return _invitation_invalid(request, error)
    # Not signed in yet: the page speaks the language of the invited account, as its mail did.
    language = invite.user.language
    with translation.override(language):
        response = _invitation_form(request, token, invite.user)
    response.headers["Content-Language"] = language
    return response


def _invitation_form(request: HttpRequest, token: str, invited: User) -> HttpResponse:
    form = FirstPasswordForm(request.POST or None, user=invited)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except InvitationError as error:
            return _invitation_invalid(request, error)
        login(request, user, backend="accounts.backends.ThrottledEmailBackend")
        messages.success(
            request, gettext("Votre mot de passe est créé. Bienvenue sur ATM Support !")
        )
        return HttpResponseRedirect(reverse("tickets:home"))
    return render(request, "accounts/invitation.html", {"form": form, "invited": invited})


def _invitation_invalid(request: HttpRequest, error: InvitationError) -> HttpResponse:
    context = {"reason": error.reason, "message": INVITATION_ERRORS[error.reason]}
    return render(request, "accounts/invitation_invalid.html", context, status=error.status)


@client_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2", "password")
def account(request: HttpRequest) -> HttpResponse:
    """« Mon compte »: four forms on one page, each posted with its own `action`."""
    user: User = request.user  # type: ignore[assignment]
    action = request.POST.get("action") if request.method == "POST" else None
    password_form = AccountPasswordChangeForm(
        user, request.POST if action == "password" else None, request=request
    )
    email_form = EmailChangeForm(
        request.POST if action == "email" else None, user=user, request=request
    )
    language_form = LanguageForm(request.POST if action == "language" else None, instance=user)
    notifications_form = NotificationsForm(
        request.POST if action == "notifications" else None, instance=user
    )

    if action == "password" and password_form.is_valid():
        password_form.save()
        # Keeps this session; every other session ends (its auth hash no longer matches).
        update_session_auth_hash(request, password_form.user)
        messages.success(
            request, gettext("Votre mot de passe a été modifié. Vos autres sessions sont fermées.")
        )
        return HttpResponseRedirect(reverse("accounts:account"))
    if action == "email" and email_form.is_valid():
        new_email = email_form.cleaned_data["new_email"]
        email_change_request(user=user, new_email=new_email)
        messages.info(
            request,
            gettext(
                "Un lien de confirmation a été envoyé à %(email)s. Votre adresse changera "
                "lorsque vous l'aurez suivi."
            )
            % {"email": new_email},
        )
        return HttpResponseRedirect(reverse("accounts:account"))
    if action == "language" and language_form.is_valid():
        language_form.save()
        # Said in the language just chosen, which the next page will speak.
        with translation.override(user.language):
            messages.success(request, gettext("Langue enregistrée."))
        return HttpResponseRedirect(reverse("accounts:account"))
    if action == "notifications" and notifications_form.is_valid():
        notifications_form.save()
        messages.success(request, gettext("Préférences de notification enregistrées."))
        return HttpResponseRedirect(reverse("accounts:account"))

    status = 400 if action else 200
    if action not in (None, "password", "email", "language", "notifications"):
        messages.error(request, gettext("Action inconnue."))
    context = {
        "password_form": password_form,
        "email_form": email_form,
        "language_form": language_form,
        "notifications_form": notifications_form,
        "tab": "account",
    }
    return render(request, "accounts/account.html", context, status=status)


@never_cache
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link mailed to the new address. GET shows a « Confirmer » button and changes nothing
    (mail scanners open links); the POST of that button applies the change, once."""
    try:
        change = email_change_check(token)
    except EmailChangeError as error:
        return _email_confirm_invalid(request, error)
    if request.method != "POST":
        # Perhaps not signed in here: the page speaks the account's language, as its mail did.
        with translation.override(change.user.language):
            response = render(request, "accounts/email_confirm.html", {"change": change})
        response.headers["Content-Language"] = change.user.language
        return response
    try:
        user = email_change_confirm(token=token)
    except EmailChangeError as error:
        return _email_confirm_invalid(request, error)
    messages.success(
        request, gettext("Votre adresse e-mail est désormais %(email)s.") % {"email": user.email}
    )
    if request.user.is_authenticated:
        return HttpResponseRedirect(reverse("accounts:account"))
    return HttpResponseRedirect(reverse("accounts:login"))


def _email_confirm_invalid(request: HttpRequest, error: EmailChangeError) -> HttpResponse:
    return render(
        request,
        "accounts/email_confirm_invalid.html",
        {"message": error.message},
        status=error.status,
    )
