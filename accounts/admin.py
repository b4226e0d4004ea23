from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from atm_support.admin_french import FrenchAdmin, Noun

from .email_change import email_changes_void
from .invitations import InviteRefused, invitation_create, invitation_send, invite_client
from .models import Invitation, Organisation, User


def _send_invitation(request: HttpRequest, user: User) -> bool:
    """Issue and mail a link; when the mail cannot leave, staff still get the link to pass on."""
    try:
        issued = invitation_create(user=user, by=request.user)  # type: ignore[arg-type]
    except InviteRefused as refusal:
        messages.error(request, str(refusal))
        return False
    try:
        invitation_send(issued=issued)
    except OSError as error:
        messages.warning(
            request,
            gettext(
                "L'e-mail d'invitation à %(email)s n'a pas pu partir (%(error)s). "
                "Transmettez-lui ce lien : %(url)s"
            )
            % {"email": user.email, "error": error, "url": issued.url},
        )
        return False
    return True


def end_sessions(user_ids: set[int]) -> int:
    """Delete every live session of these users: they are signed out at their next request.

    Sessions are stored in the database (and cached under cached_db) without a user column, so
    each live one is decoded: a few milliseconds per thousand sessions, for a rare staff action.
    An inactive user is refused by the authentication backend anyway (user_can_authenticate);
    deleting the sessions makes it immediate and visible, whatever the backend does.
    """
    wanted = {str(pk) for pk in user_ids}
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not wanted or not hasattr(store_class, "get_model_class"):
        return 0  # sessions only in a cache: the backend's is_active check signs them out
    store = store_class()
    sessions = store_class.get_model_class().objects
    doomed = [
        key
        for key, data in sessions.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
        .iterator()
        if str(store.decode(data).get(SESSION_KEY)) in wanted
    ]
    sessions.filter(session_key__in=doomed).delete()
    prefix = getattr(store_class, "cache_key_prefix", None)
    if prefix and doomed:  # cached_db: the cache would serve them again once reactivated
        caches[settings.SESSION_CACHE_ALIAS].delete_many([prefix + key for key in doomed])
    return len(doomed)


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "organisation", "is_staff")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class StaffOrOrganisationMixin(forms.ModelForm):
    """The database refuses staff with an organisation and clients without: say it in French."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        is_staff = cleaned.get("is_staff", False)
        organisation = cleaned.get("organisation")
        if is_staff and organisation is not None:
            self.add_error(
                "organisation", gettext("Un membre de l'équipe ATM n'a pas d'organisation.")
            )
        if not is_staff and organisation is None:
            self.add_error(
                "organisation", gettext("Un utilisateur client doit avoir une organisation.")
            )
        return cleaned


class UserAddForm(StaffOrOrganisationMixin, UserCreationForm):
    pass


class UserChangeAdminForm(StaffOrOrganisationMixin, UserEditForm):
    pass


@admin.register(User)
class UserAdmin(FrenchAdmin, BaseUserAdmin):
    french = Noun("l'", "utilisateur", "utilisateurs")
    form = UserChangeAdminForm
    add_form = UserAddForm
    ordering = ["email"]
    list_display = ["email", "full_name", "organisation", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "awaiting_invitation", "organisation"]
    list_select_related = ["organisation"]
    search_fields = ["email", "first_name", "last_name", "organisation__name"]
    readonly_fields = ["last_login", "previous_login", "date_joined"]
    actions = ["send_invitation", "deactivate"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name", "language")}),
        (_("Organisation"), {"fields": ("organisation",)}),
        (
            _("Droits"),
            {
                "fields": (
                    "is_active",
                    "awaiting_invitation",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Dates"), {"fields": ("last_login", "previous_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "first_name",
                    "last_name",
                    "organisation",
                    "is_staff",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    @admin.display(description=_("nom"), ordering="last_name")
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.action(description=_("Envoyer une invitation aux utilisateurs sélectionnés"))
    def send_invitation(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        sent = [user.email for user in queryset if _send_invitation(request, user)]
        if sent:
            messages.success(
                request, gettext("Invitation envoyée à : %(emails)s.") % {"emails": ", ".join(sent)}
            )

    @admin.action(description=_("Désactiver les utilisateurs sélectionnés (sessions fermées)"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        ids = set(queryset.values_list("pk", flat=True))
        if request.user.pk in ids:
            messages.error(request, gettext("Vous ne pouvez pas vous désactiver vous-même."))
            return
        count = User.objects.filter(pk__in=ids, is_active=True).update(is_active=False)
        # Disabled on purpose: no later invitation (the organisation's « Inviter ») may
        # activate an account brought over inactive.
        User.objects.filter(pk__in=ids, awaiting_invitation=True).update(awaiting_invitation=False)
        closed = end_sessions(ids)
        messages.success(
            request,
            gettext("Utilisateurs désactivés : %(count)s ; sessions fermées : %(sessions)s.")
            % {"count": count, "sessions": closed},
        )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if change and "is_active" in form.changed_data and not obj.is_active:
            obj.awaiting_invitation = False  # disabled on purpose: never activated by « Inviter »
        super().save_model(request, obj, form, change)
        if change and "email" in form.changed_data:
            email_changes_void(user=obj)
        if change and "is_active" in form.changed_data and not obj.is_active:
            closed = end_sessions({obj.pk})
            messages.info(
                request,
                ngettext(
                    "%(email)s est désactivé : %(count)s session fermée.",
                    "%(email)s est désactivé : %(count)s sessions fermées.",
                    closed,
                )
                % {"email": obj.email, "count": closed},
            )


def organisation_tickets_link(organisation: Organisation) -> SafeString:
    url = reverse("admin:tickets_ticket_changelist")
    return format_html(
        '<a href="{}?organisation__id__exact={}">{}</a>',
        url,
        organisation.pk,
        gettext("Voir ses tickets"),
    )


class UserInline(admin.TabularInline[User, Organisation]):
    model = User
    fields = ["email", "first_name", "last_name", "is_active", "last_login"]
    readonly_fields = ["email", "first_name", "last_name", "is_active", "last_login"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # users are added by invitation, with the button above


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail"))
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(
        label=pgettext_lazy("nom de famille", "Nom"), max_length=150, required=False
    )


OrganisationDisplay = Callable[[Organisation], SafeString | str]

# Read-only lines of the organisation page that apps above accounts add, in the order added
# (allowances/admin.py: the hour balance).
organisation_displays: list[OrganisationDisplay] = []


def organisation_display(display: OrganisationDisplay) -> OrganisationDisplay:
    """Show `display(organisation)` as a read-only line of the organisation page, after its
    tickets. A decorator, over admin.display (its description is the line's label); the
    function's name is the line's CSS class (`field-<name>`)."""
    if display not in organisation_displays:
        organisation_displays.append(display)
    return display


@admin.register(Organisation)
class OrganisationAdmin(FrenchAdmin, admin.ModelAdmin[Organisation]):
    french = Noun("l'", "organisation", "organisations", feminine=True)
    list_display = ["name", "user_count", "created_at", "tickets"]
    search_fields = ["name"]
    ordering = ["name"]  # a stable order for its pages and its autocomplete
    readonly_fields = ["created_at", "tickets"]
    inlines = [UserInline]
    change_form_template = "admin/accounts/organisation/change_form.html"
    actions = ["invite_users"]

    @admin.action(
        description=_("Inviter les utilisateurs des organisations sélectionnées jamais connectés")
    )
    def invite_users(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        """Invite every client user of these organisations who never signed in and has no
        password yet (accounts brought over from MantisBT, invitations never followed), through
        the usual invitation and its mail. An inactive account is activated by its invitation
        only when it awaits one (User.awaiting_invitation, set by the MantisBT import for
        accounts enabled there); any other inactive account, disabled here or in MantisBT, is
        left out and counted."""
        candidates = (
            User.objects.filter(organisation__in=queryset, is_staff=False, last_login__isnull=True)
            .select_related("organisation")
            .order_by("organisation__name", "email")
        )
        sent = disabled = 0
        for user in candidates:
            if user.has_usable_password():
                continue  # created with a password: their account is open already
            if not user.is_active and not user.awaiting_invitation:
                disabled += 1
                continue
            if _send_invitation(request, user):
                sent += 1
        parts = [
            ngettext(
                "%(count)s invitation envoyée",
                "%(count)s invitations envoyées",
                sent,
            )
            % {"count": sent}
            if sent
            else gettext("Aucune invitation envoyée")
        ]
        if disabled:
            parts.append(
                ngettext(
                    "%(count)s compte désactivé laissé de côté",
                    "%(count)s comptes désactivés laissés de côté",
                    disabled,
                )
                % {"count": disabled}
            )
        level = messages.SUCCESS if sent else messages.WARNING
        messages.add_message(request, level, ", ".join(parts) + ".")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        from django.db.models import Count

        return super().get_queryset(request).annotate(user_total=Count("users"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Django's admin takes callables as read-only fields; they follow the model's fields.
        return [*super().get_readonly_fields(request, obj), *organisation_displays]

    @admin.display(description=_("utilisateurs"), ordering="user_total")
    def user_count(self, obj: Organisation) -> int:
        return obj.user_total  # type: ignore[attr-defined]

    @admin.display(description=_("tickets"))
    def tickets(self, obj: Organisation) -> SafeString | str:
        return organisation_tickets_link(obj) if obj.pk else "—"

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:organisation_id>/inviter/",
                self.admin_site.admin_view(self.invite_view),
                name="accounts_organisation_invite",
            )
        ]
        return custom + super().get_urls()

    def invite_view(self, request: HttpRequest, organisation_id: int) -> HttpResponse:
        organisation = get_object_or_404(Organisation, pk=organisation_id)
        if not self.has_change_permission(request, organisation):
            return HttpResponseRedirect(reverse("admin:index"))
        form = InviteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                issued = invite_client(
                    organisation=organisation,
                    by=request.user,  # type: ignore[arg-type]
                    send=False,
                    **form.cleaned_data,
                )
            except InviteRefused as refusal:
                form.add_error("email", str(refusal))
            else:
                try:
                    invitation_send(issued=issued)
                except OSError as error:
                    messages.warning(
                        request,
                        gettext(
                            "L'e-mail n'a pas pu partir (%(error)s). Transmettez ce lien : %(url)s"
                        )
                        % {"error": error, "url": issued.url},
                    )
                else:
                    messages.success(
                        request,
                        gettext("Invitation envoyée à %(email)s.")
                        % {"email": issued.invitation.user.email},
                    )
                return HttpResponseRedirect(
                    reverse("admin:accounts_organisation_change", args=[organisation.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Inviter un utilisateur chez %(organisation)s")
            % {"organisation": organisation},
            "organisation": organisation,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/accounts/organisation/invite.html", context)


@admin.register(Invitation)
class InvitationAdmin(FrenchAdmin, admin.ModelAdmin[Invitation]):
    french = Noun("l'", "invitation", "invitations", feminine=True)
    list_display = ["user", "organisation", "created_at", "expires_at", "state", "created_by"]
    list_select_related = ["user__organisation", "created_by"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "created_at", "expires_at", "used_at", "voided_at", "created_by"]
    exclude = ["token_hash"]

    @admin.display(description=_("organisation"))
    def organisation(self, obj: Invitation) -> str:
        return str(obj.user.organisation or "")

    @admin.display(description=_("état"))
    def state(self, obj: Invitation) -> str:
        return format_html("<span>{}</span>", obj.status)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an invitation is made by the action on users or the organisation button

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Django's own admin of groups, its sentences in French (atm_support/admin_french.py).
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(FrenchAdmin, BaseGroupAdmin):
    french = Noun("le", "groupe", "groupes")
