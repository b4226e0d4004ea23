from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """A client company: its users share its tickets and its monthly allowance."""

    name = models.CharField(_("nom"), max_length=150, unique=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(Lower("name"), name="organisation_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("Une adresse e-mail est obligatoire.")
        user = self.model(email=normalize_email(email), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if not extra["is_staff"] or not extra["is_superuser"]:
            raise ValueError(
                "Un super-utilisateur doit être membre de l'équipe et super-utilisateur."
            )
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))


def normalize_email(email: str) -> str:
    """E-mail addresses are unique whatever their case: they are stored lower-cased."""
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail: ATM staff (no organisation) or a client user (one)."""

    class Language(models.TextChoices):
        FRENCH = "fr", "Français"
        ENGLISH = "en", "English"

    email = models.EmailField(_("adresse e-mail"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(pgettext_lazy("nom de famille", "nom"), max_length=150, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    is_staff = models.BooleanField(
        _("équipe ATM"),
        default=False,
        help_text=_("Membre de l'équipe ATM : accède à l'administration, sans organisation."),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    # An account brought over from MantisBT arrives inactive, like one disabled there: this
    # marks the former kind, which an invitation activates (accounts.invitations). Left False,
    # an inactive account stays « désactivé »: forgetting to set it invites nobody.
    awaiting_invitation = models.BooleanField(
        _("en attente d'invitation"),
        default=False,
        help_text=_(
            "Compte repris de MantisBT, inactif jusqu'à son invitation, qui l'activera. "
            "Décoché, un compte inactif reste désactivé : « Inviter » le laisse de côté."
        ),
    )
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)
    previous_login = models.DateTimeField(_("connexion précédente"), null=True, blank=True)
    language = models.CharField(
        _("langue"), max_length=5, choices=Language.choices, default=Language.FRENCH
    )
    # A client follows the tickets they reported or wrote a note on; with this, every ticket of
    # their organisation too (and unticking it turns those organisation-wide mails off).
    follow_all_tickets = models.BooleanField(
        _("suivre tous les tickets de mon organisation"),
        default=False,
        help_text=_(
            "Recevoir un e-mail à chaque changement d'état et à chaque note sur tous les tickets "
            "de l'organisation, pas seulement ceux que j'ai rapportés ou commentés."
        ),
    )

    # Staff only (accounts/preferences.py, « Mes préférences » in the admin): what reaches a
    # technician besides the tickets they handle, follow or wrote on
    # (notifications.selectors.recipients_for). Ignored for a client.
    class NewTickets(models.TextChoices):
        NONE = "none", _("Aucun")
        ALL = "all", _("Tous les nouveaux tickets")
        CHOSEN = "chosen", _("Ceux des organisations choisies")

    notify_new_tickets = models.CharField(
        _("nouveaux tickets"),
        max_length=10,
        choices=NewTickets.choices,
        default=NewTickets.NONE,
        help_text=_("Recevoir un e-mail à l'ouverture de chaque ticket (portail ou e-mail)."),
    )
    notify_organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("organisations choisies"),
        blank=True,
        related_name="+",
        help_text=_("Les organisations dont les nouveaux tickets vous sont envoyés."),
    )
    notify_client_replies = models.BooleanField(
        _("réponses des clients sur les tickets sans responsable"),
        default=False,
        help_text=_(
            "Recevoir un e-mail à chaque note publique d'un client sur un ticket qui n'est "
            "affecté à personne."
        ),
    )
    follow_every_ticket = models.BooleanField(
        _("suivre tous les tickets"),
        default=False,
        help_text=_(
            "Recevoir un e-mail à chaque ouverture, changement d'état et note de tous les "
            "tickets, de toutes les organisations (notes privées comprises)."
        ),
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            # Staff never belong to an organisation; a client user belongs to exactly one.
            models.CheckConstraint(
                condition=(
                    models.Q(is_staff=True, organisation__isnull=True)
                    | models.Q(is_staff=False, organisation__isnull=False)
                ),
                name="user_staff_xor_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def is_client(self) -> bool:
        return not self.is_staff and self.organisation_id is not None


class Invitation(models.Model):
    """A one-time link that lets an invited user create their password.

    Only a SHA-256 hash of the token is stored: a database leak reveals no usable link.
    """

    user = models.ForeignKey(
        User, verbose_name=_("utilisateur"), on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    used_at = models.DateTimeField(_("utilisée le"), null=True, blank=True)
    voided_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("invitée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return gettext("Invitation de %(email)s (%(date)s)") % {
            "email": self.user.email,
            "date": f"{self.created_at:%d/%m/%Y}",
        }

    @property
    def status(self) -> str:
        if self.used_at:
            return gettext("utilisée")
        if self.voided_at:
            return gettext("annulée")
        if self.expires_at <= timezone.now():
            return gettext("expirée")
        return gettext("valide")


class EmailChange(models.Model):
    """A pending change of address, made once its one-time link, mailed to the new address, is
    confirmed. Only a SHA-256 hash of the token is stored.

    The row makes the link single-use: it is consumed when confirmed, voided by any newer
    request or by another confirmed change, and refused once the account's address is no longer
    the one it was issued for.
    """

    user = models.ForeignKey(
        User,
        verbose_name=_("utilisateur"),
        on_delete=models.CASCADE,
        related_name="email_changes",
    )
    old_email = models.EmailField(_("ancienne adresse"))
    new_email = models.EmailField(_("nouvelle adresse"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("demandé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    used_at = models.DateTimeField(_("confirmé le"), null=True, blank=True)
    voided_at = models.DateTimeField(_("annulé le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("changement d'adresse e-mail")
        verbose_name_plural = _("changements d'adresse e-mail")

    def __str__(self) -> str:
        return f"{self.old_email} → {self.new_email}"
