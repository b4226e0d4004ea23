from __future__ import annotations

import math
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.forms import AdminPasswordChangeForm as DjangoAdminPasswordChangeForm
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.forms import PasswordResetForm as BasePasswordResetForm
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from atm_support.form_defaults import DefaultedFieldsMixin

from . import throttle
from .email_change import email_taken
from .models import User, normalize_email


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


class ThrottledLoginMixin:
    """Says plainly that too many attempts were made, when the backend refused to check."""

    request: Any

    def get_invalid_login_error(self) -> forms.ValidationError:
        wait = throttle.refused_for(self.request)
        if wait:
            return forms.ValidationError(
                gettext(
                    "Trop de tentatives de connexion. Réessayez dans %(minutes)s minute(s), "
                    "ou utilisez « Mot de passe oublié »."
                ),
                code="throttled",
                params={"minutes": _minutes(wait)},
            )
        return super().get_invalid_login_error()  # type: ignore[misc]


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    username = forms.EmailField(
        label=_("Adresse e-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Adresse e-mail ou mot de passe incorrect."),
        "inactive": _("Ce compte est désactivé. Contactez ATM."),
    }


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


def check_current_password(*, request: HttpRequest, user: User, password: str, wrong: str) -> None:
    """The signed-in user's password, checked by `authenticate()` like a login: counted by the
    same limiter (accounts.throttle), so « Mon compte » is no second way to guess it."""
    checked = authenticate(request, username=user.email, password=password)
    wait = throttle.refused_for(request)
    if wait:
        raise forms.ValidationError(
            gettext(
                "Trop de tentatives avec un mauvais mot de passe. Réessayez dans %(minutes)s "
                "minute(s)."
            ),
            code="throttled",
            params={"minutes": _minutes(wait)},
        )
    if checked is None or checked.pk != user.pk:
        raise forms.ValidationError(wrong, code="password_incorrect")


class ThrottledOldPasswordMixin:
    """Django's password change forms, with the current password checked through the limiter."""

    user: User
    error_messages: dict[str, Any]
    cleaned_data: dict[str, Any]

    def __init__(self, user: User, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)  # type: ignore[call-arg]
        self.request = request

    def clean_old_password(self) -> str:
        old_password = str(self.cleaned_data["old_password"])
        check_current_password(
            request=self.request,
            user=self.user,
            password=old_password,
            wrong=str(self.error_messages["password_incorrect"]),
        )
        return old_password


class AccountPasswordChangeForm(ThrottledOldPasswordMixin, PasswordChangeForm):
    """« Mon compte »."""

    def __init__(self, user: User, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(user, *args, request=request, **kwargs)
        # Several forms on one page: none of them grabs the focus on load.
        self.fields["old_password"].widget.attrs.pop("autofocus", None)


class AdminOwnPasswordChangeForm(ThrottledOldPasswordMixin, DjangoAdminPasswordChangeForm):
    """The admin's « Modifier mon mot de passe » (accounts.views.AdminOwnPasswordChangeView)."""


class PasswordResetForm(BasePasswordResetForm):
    """The reset mail speaks the language its recipient chose in « Mon compte »."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        language = getattr(context.get("user"), "language", None) or settings.LANGUAGE_CODE
        with translation.override(language):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name,
            )


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(
        label=_("Nouvelle adresse e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Mot de passe actuel"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Par sécurité, confirmez avec votre mot de passe."),
    )

    def __init__(self, *args: Any, user: User, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_new_email(self) -> str:
        email = normalize_email(self.cleaned_data["new_email"])
        if email == self.user.email:
            raise forms.ValidationError(gettext("C'est déjà votre adresse actuelle."))
        if email_taken(email, exclude=self.user):
            raise forms.ValidationError(
                gettext("Cette adresse est déjà utilisée par un autre compte.")
            )
        return email

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        check_current_password(
            request=self.request,
            user=self.user,
            password=password,
            wrong=gettext("Mot de passe incorrect."),
        )
        return password


class LanguageForm(DefaultedFieldsMixin, forms.ModelForm):
    defaulted = ("language",)  # the current one: nothing to type, no star

    class Meta:
        model = User
        fields = ["language"]
        labels = {"language": _("Langue de l'interface et des e-mails")}


class NotificationsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["follow_all_tickets"]


class FirstPasswordForm(forms.Form):
    """« Création du mot de passe »: two fields checked by Django's password validators."""

    new_password1 = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label=_("Confirmation du mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", gettext("Les deux mots de passe ne correspondent pas."))
        elif first:
            try:
                password_validation.validate_password(first, self.user)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        return cleaned
