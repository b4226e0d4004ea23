"""The mails read from the support mailbox, for staff: « Courriels reçus » (all of them, read
only, with their .eml) and « Courriels non rattachés », where staff attach a mail to a ticket,
open a ticket from it in a client's name, or dismiss it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.access import StaffReadOnly, is_staff, staff_member
from accounts.models import User
from atm_support.admin_french import FrenchAdmin, Noun
from mail.inbound.parsing import Incoming, parse
from tickets.admin import ticket_display
from tickets.models import Category, Ticket, format_number
from tickets.workflow import WorkflowError

from . import inbound
from .models import InboundMail, UnattachedMail

# The colour of each outcome: static/css/admin.css (.inbound-<status>, no inline style: the CSP).
# The text shown of a mail on its admin page (the whole is in the .eml).
PREVIEW_MAX = 20_000


def read_incoming(mail: InboundMail) -> Incoming | None:
    """The mail, parsed again from its .eml; None when the file is missing."""
    if not mail.raw:
        return None
    try:
        with mail.raw.open("rb") as raw:
            return parse(raw.read())
    except OSError:
        return None


class InboundMailAdmin(FrenchAdmin, StaffReadOnly, admin.ModelAdmin[InboundMail]):
    # Read only, and no message is ever deleted: the mailbox keeps it, and so does this list.
    french = Noun("le", "courriel reçu", "courriels reçus")
    list_display = [
        "received_at",
        "sender",
        "subject",
        "status_badge",
        "ticket_link",
        "short_reason",
    ]
    list_filter = ["status"]
    list_select_related = ["ticket"]
    search_fields = ["sender", "subject", "=ticket__number", "message_id"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    fields = readonly_fields = (
        "received_at",
        "sender",
        "sender_name",
        "subject",
        "message_id",
        "size",
        "status",
        "reason",
        "user",
        "ticket_link",
        "note",
        "handled_by",
        "handled_at",
        "eml_link",
        "text_preview",
    )

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:pk>/eml/",
                self.admin_site.admin_view(self.eml_view),
                name="{}_{}_eml".format(*info),
            ),
            *super().get_urls(),
        ]

    def eml_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        if not is_staff(request):
            raise Http404
        mail = get_object_or_404(InboundMail, pk=pk)
        if not mail.raw:
            raise Http404
        try:
            handle = mail.raw.open("rb")
        except OSError:
            raise Http404 from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"courriel-{mail.pk}.eml",
            content_type="message/rfc822",
        )

    @admin.display(description=_("suite donnée"), ordering="status")
    def status_badge(self, obj: InboundMail) -> str:
        return format_html(
            '<strong class="inbound-status inbound-{}">{}</strong>',
            obj.status,
            obj.get_status_display(),
        )

    @admin.display(description=_("ticket"), ordering="ticket__number")
    def ticket_link(self, obj: InboundMail) -> str:
        if obj.ticket is None:
            return "—"
        url = reverse("admin:tickets_ticket_change", args=[obj.ticket.pk])
        return format_html('<a href="{}">{}</a>', url, format_number(obj.ticket.number))

    @admin.display(description=_("motif"))
    def short_reason(self, obj: InboundMail) -> str:
        return obj.reason[:100]

    @admin.display(description=_("courriel d'origine"))
    def eml_link(self, obj: InboundMail) -> str:
        if not obj.raw:
            return "—"
        url = reverse("admin:notifications_inboundmail_eml", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Télécharger le courriel (.eml)"))

    @admin.display(description=_("texte"))
    def text_preview(self, obj: InboundMail) -> str:
        incoming = read_incoming(obj)
        if incoming is None:
            return "—"
        names = ", ".join(part.filename or "?" for part in incoming.attachments)
        text = incoming.text[:PREVIEW_MAX]
        return format_html(
            '<pre class="inbound-text">{}</pre>{}',
            text,
            format_html("<p>{} {}</p>", gettext("Pièces jointes :"), names) if names else "",
        )


admin.site.register(InboundMail, InboundMailAdmin)


class ReporterField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.organisation} — {obj} <{obj.email}>"


class DecisionForm(forms.Form):
    """What staff make of a waiting mail."""

    ATTACH, OPEN, DISMISS = "attach", "open", "dismiss"
    decision = forms.ChoiceField(
        label=_("Que faire de ce courriel ?"),
        choices=[
            (ATTACH, _("L'ajouter en note à un ticket")),
            (OPEN, _("Ouvrir un ticket au nom d'un client")),
            (DISMISS, _("L'écarter (il reste dans « Courriels reçus »)")),
        ],
        widget=forms.RadioSelect(attrs={"class": "radiolist"}),
    )
    ticket_number = forms.IntegerField(
        label=_("Numéro du ticket"),
        required=False,
        min_value=1,
        max_value=2_147_483_647,
        help_text=_("Pour l'ajouter en note : 123 ou 0000123."),
    )
    reporter = ReporterField(
        label=_("Client rapporteur"),
        required=False,
        help_text=_("Pour ouvrir un ticket : le client au nom duquel il est ouvert."),
        queryset=User.objects.none(),
    )
    category = forms.ModelChoiceField(
        label=_("Catégorie"),
        required=False,
        queryset=Category.objects.none(),
        help_text=_("Pour ouvrir un ticket."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reporter = self.fields["reporter"]
        assert isinstance(reporter, forms.ModelChoiceField)
        reporter.queryset = (
            User.objects.filter(is_active=True, is_staff=False, organisation__isnull=False)
            .select_related("organisation")
            .order_by("organisation__name", "last_name", "first_name", "email")
        )
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = Category.objects.filter(is_active=True).order_by("position", "name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        decision = data.get("decision")
        if decision == self.ATTACH:
            number = data.get("ticket_number")
            if number is None:
                self.add_error("ticket_number", gettext("Indiquez le numéro du ticket."))
            else:
                ticket = Ticket.objects.filter(number=number).first()
                if ticket is None:
                    self.add_error(
                        "ticket_number",
                        gettext("Aucun ticket ne porte le numéro %(number)s.")
                        % {"number": format_number(number)},
                    )
                elif ticket.is_closed:
                    self.add_error(
                        "ticket_number",
                        gettext("Le ticket %(number)s est fermé : il n'accepte plus de note.")
                        % {"number": ticket.display_number},
                    )
                data["ticket"] = ticket
        elif decision == self.OPEN:
            if data.get("reporter") is None:
                self.add_error("reporter", gettext("Choisissez le client au nom duquel l'ouvrir."))
            if data.get("category") is None:
                self.add_error("category", gettext("Choisissez la catégorie du ticket."))
        return data


class UnattachedMailAdmin(InboundMailAdmin):
    """The mails that wait for staff; each one's page asks what to do with it."""

    french = Noun("le", "courriel non rattaché", "courriels non rattachés")

    actions = ["dismiss_selected"]
    list_filter = []

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundMail]:
        return super().get_queryset(request).filter(status__in=inbound.WAITING)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)

    def get_urls(self) -> list[URLPattern]:
        return admin.ModelAdmin.get_urls(self)

    @admin.action(description=_("Écarter les courriels sélectionnés"))
    def dismiss_selected(self, request: HttpRequest, queryset: QuerySet[InboundMail]) -> None:
        by = staff_member(request)
        count = 0
        for mail in queryset.filter(status__in=inbound.WAITING):
            try:
                inbound.dismiss(mail, by=by)
            except WorkflowError:
                continue  # a colleague decided meanwhile
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d courriel écarté.", "%(count)d courriels écartés.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not is_staff(request):
            raise Http404
        mail = InboundMail.objects.filter(pk=object_id if object_id.isdigit() else 0).first()
        if mail is None or mail.status not in inbound.WAITING:
            self.message_user(
                request, gettext("Ce courriel n'attend plus de décision."), messages.WARNING
            )
            return HttpResponseRedirect(reverse("admin:notifications_unattachedmail_changelist"))
        form = DecisionForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            done = self._decide(request, mail, form.cleaned_data)
            if done is not None:
                return done
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Courriel non rattaché"),
            "mail": mail,
            "form": form,
            "fields": [
                (_("reçu le"), mail.received_at),
                (_("expéditeur"), mail.sender),
                (_("nom de l'expéditeur"), mail.sender_name),
                (_("objet"), mail.subject),
                (_("motif"), mail.reason),
            ],
            "eml_link": self.eml_link(mail),
            "text_preview": self.text_preview(mail),
        }
        return TemplateResponse(request, "admin/notifications/unattached_mail.html", context)

    def _decide(
        self, request: HttpRequest, mail: InboundMail, data: dict[str, Any]
    ) -> HttpResponse | None:
        by = staff_member(request)
        decision = data["decision"]
        if decision == DecisionForm.DISMISS:
            try:
                inbound.dismiss(mail, by=by)
            except WorkflowError as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
                return None
            self.message_user(request, gettext("Courriel écarté."), messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:notifications_unattachedmail_changelist"))
        incoming = read_incoming(mail)
        if incoming is None:
            self.message_user(
                request, gettext("Le fichier du courriel est introuvable."), messages.ERROR
            )
            return None
        try:
            if decision == DecisionForm.ATTACH:
                ticket = data["ticket"]
                inbound.attach(mail, ticket=ticket, by=by, incoming=incoming)
                message = gettext("Courriel ajouté en note au ticket %(number)s.")
            else:
                ticket = inbound.open_for(
                    mail,
                    reporter=data["reporter"],
                    category=data["category"],
                    by=by,
                    incoming=incoming,
                )
                message = gettext("Ticket %(number)s ouvert à partir du courriel.")
        except WorkflowError as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return None
        self.message_user(request, message % {"number": ticket.display_number}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[ticket.pk]))


admin.site.register(UnattachedMail, UnattachedMailAdmin)


@ticket_display
@admin.display(description=_("courriels reçus"))
def inbound_mails_shown(ticket: Ticket) -> str:
    """The mails that became this ticket or its notes, each with its .eml: what the stripping
    of quotes and signatures left out is there."""
    mails = list(ticket.inbound_mails.order_by("received_at").only("pk", "received_at", "sender"))
    if not mails:
        return "—"
    return format_html(
        "<br>".join(["{}"] * len(mails)),
        *(
            format_html(
                '<a href="{}">{} — {}</a>',
                reverse("admin:notifications_inboundmail_eml", args=[mail.pk]),
                timezone.localtime(mail.received_at).strftime("%d/%m/%Y %H:%M"),
                mail.sender,
            )
            for mail in mails
        ),
    )
