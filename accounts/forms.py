from __future__ import annotations

import math
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as BasePasswordResetForm
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import throttle
from .email_change import email_taken
from .models import User, normalize_email


class ThrottledLoginMixin:
    """Says plainly, before checking the password, that too many attempts were made."""

    request: Any
    data: Any

    def check_throttle(self) -> None:
        email = str(self.data.get("username", ""))
        if self.request is None or not email:
            return
        wait = throttle.retry_after(email, throttle.client_ip(self.request))
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            raise forms.ValidationError(
                gettext(
                    "Trop de tentatives de connexion. Réessayez dans %(minutes)s minute(s), "
                    "ou utilisez « Mot de passe oublié »."
                ),
                code="throttled",
                params={"minutes": minutes},
            )


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

    def clean(self) -> dict[str, Any]:
        self.check_throttle()
        return super().clean()


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    def clean(self) -> dict[str, Any]:
        self.check_throttle()
        return super().clean()


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

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

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
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(gettext("Mot de passe incorrect."))
        return password


class LanguageForm(forms.ModelForm):
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
