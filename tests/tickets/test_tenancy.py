"""Tenancy: every URL pattern of the URLconf, filled with real ids, numbers and tokens of one
organisation (« Boulangerie Martin »), requested by a client of that organisation, a client of
another one (« Cabinet Durand »), an anonymous visitor and a member of staff, in GET and POST.

The matrix is built from `get_resolver()`, admin included: a pattern that the tables below do
not describe fails with « URL sans cas de test de cloisonnement : <name> », so a new URL cannot
be forgotten. The other organisation's client must get a refusal (404, 405, a redirect out of
the admin) or a page of their own, never a word of the first organisation's data, and change none
of it; an anonymous visitor is sent to a login page; staff are let into the admin and sent there
from the portal. The admin's patterns need no case of their own (all are refused to clients),
but their arguments do. `test_matrix_covers_the_urlconf_and_only_it` prints the matrix's size.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from PIL import Image

from accounts.email_change import email_change_request
from accounts.invitations import invitation_create
from accounts.models import Invitation, Organisation, User
from allowances.ledger import adjustment_create, revision_create
from allowances.mails import queue_statements
from allowances.models import AllowanceMail, AllowanceRevision, LedgerEntry, StatementOptOut
from allowances.periods import current_period, format_period
from notifications.models import Inbound, InboundMail, Notification
from tests.factories import ClientFactory, StaffFactory, make_ticket
from tests.utils import text
from tickets import counts
from tickets.attachments import attachments_store
from tickets.models import Attachment, CannedReply, Category, HistoryEntry, Note, State, Ticket
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar-confidentiel"  # words only organisation A's pages may contain
HIDDEN = "Kerguelen-interne"  # words only A's private ticket holds: no client page may show them
INTRUDER = "Note-intrusive"  # what the other viewers POST: it must land nowhere in A's data


@dataclass
class World:
    """Organisation A's objects (Boulangerie Martin), whose ids fill every URL."""

    organisation: Organisation
    other_organisation: Organisation
    owner: User  # paul@boulangerie-martin.fr, who reported the tickets
    colleague: User  # the matrix's "same" viewer
    outsider: User  # the matrix's "other" viewer, of Cabinet Durand
    staff: User
    ticket: Ticket  # Nouveau
    feedback_ticket: Ticket  # Commentaire: awaits the client's answer (Accueil shows it)
    # Private (MantisBT's private issue), of A, reported by `owner`, in Commentaire, with a
    # public note, a file and an image: invisible to A's clients as another organisation's.
    hidden_ticket: Ticket
    hidden_file: Attachment
    hidden_image: Attachment
    public_file: Attachment
    image_file: Attachment  # with a thumbnail
    private_file: Attachment
    category: Category
    invitation: Invitation
    invitation_token: str
    email_token: str
    notification: Notification
    ledger_entry: LedgerEntry
    revision: AllowanceRevision
    allowance_mail: AllowanceMail
    inbound_mail: InboundMail  # a mail A's client sent, waiting in « Courriels non rattachés »
    group: Group
    period: date


def attach(ticket: Ticket, by: Any, note: Any = None, name: str = SECRET) -> Attachment:
    attachment = Attachment(
        ticket=ticket,
        note=note,
        original_name=f"{name}.txt",
        content_type="text/plain",
        size=len(name),
        uploaded_by=by,
    )
    attachment.file.save("x.txt", ContentFile(name.encode()), save=False)
    attachment.save()
    return attachment


def png(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color=(200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def world(
    client_user: Any, other_organisation: Any, settings: Any, tmp_path: Any, smtp: Any
) -> World:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    organisation = client_user.organisation
    tech = StaffFactory()
    ticket = make_ticket(reporter=client_user, summary=f"{SECRET} facture", description=SECRET)
    note_add(ticket=ticket, author=tech, text=f"{SECRET} public")
    private = note_add(ticket=ticket, author=tech, text="interne", is_private=True)
    feedback = make_ticket(
        reporter=client_user,
        state=State.FEEDBACK,
        handler=tech,
        summary=f"{SECRET} question en attente",
    )
    (image,) = attachments_store(ticket=ticket, files=[png(f"{SECRET}.png")], by=client_user)
    assert image.thumbnail, "the image needs a thumbnail for the miniature URL"
    hidden = make_ticket(
        reporter=client_user,
        state=State.FEEDBACK,
        handler=tech,
        summary=f"{HIDDEN} facture",
        description=HIDDEN,
    )
    note_add(ticket=hidden, author=tech, text=f"{HIDDEN} public facture", minutes_spent=30)
    (hidden_image,) = attachments_store(ticket=hidden, files=[png(f"{HIDDEN}.png")], by=tech)
    hidden_file = attach(hidden, tech, name=HIDDEN)
    Ticket.objects.filter(pk=hidden.pk).update(is_private=True)
    counts.recount([hidden.organisation_id])  # past the editing functions: counted again
    hidden.refresh_from_db()
    invited = ClientFactory(organisation=organisation, email="lea@boulangerie-martin.fr")
    issued = invitation_create(user=invited, by=tech)
    email_url = email_change_request(user=client_user, new_email="paul.neuf@boulangerie-martin.fr")
    period = current_period()
    revision = revision_create(
        organisation=organisation, minutes_per_month=600, effective_from=period, by=tech
    ).revision
    entry = adjustment_create(
        organisation=organisation, minutes=-30, memo=f"{SECRET} ajustement", by=tech
    )
    queue_statements(
        organisation_id=organisation.pk, period=period, balance=570, now=entry.created_at
    )
    # The other organisation has a month of its own: its statement URL is the same as A's.
    revision_create(
        organisation=other_organisation, minutes_per_month=120, effective_from=period, by=tech
    )
    adjustment_create(
        organisation=other_organisation, minutes=15, memo="Geste commercial Durand", by=tech
    )
    return World(
        organisation=organisation,
        other_organisation=other_organisation,
        owner=client_user,
        colleague=ClientFactory(organisation=organisation, email="marc@boulangerie-martin.fr"),
        outsider=ClientFactory(organisation=other_organisation, email="julie@cabinet-durand.fr"),
        staff=StaffFactory(is_superuser=True),
        ticket=ticket,
        feedback_ticket=feedback,
        hidden_ticket=hidden,
        hidden_file=hidden_file,
        hidden_image=hidden_image,
        public_file=attach(ticket, client_user),
        image_file=image,
        private_file=attach(ticket, tech, note=private),
        category=ticket.category,
        invitation=issued.invitation,
        invitation_token=issued.token,
        email_token=email_url.rstrip("/").rsplit("/", 1)[-1],
        notification=Notification.objects.filter(recipient=client_user).earliest("pk"),
        ledger_entry=entry,
        revision=revision,
        allowance_mail=AllowanceMail.objects.filter(organisation=organisation).earliest("pk"),
        inbound_mail=inbound_mail(client_user),
        group=Group.objects.create(name="Support niveau 2"),
        period=period,
    )


def inbound_mail(sender: User) -> InboundMail:
    mail = InboundMail(
        key="tenancy@boulangerie-martin.fr",
        sender=sender.email,
        subject=f"{SECRET} par e-mail",
        status=Inbound.UNATTACHED,
    )
    mail.raw.save(
        "tenancy.eml",
        ContentFile(f"From: {sender.email}\r\nSubject: {SECRET}\r\n\r\n{SECRET}\r\n".encode()),
        save=False,
    )
    mail.save()
    return mail


def a_fingerprint(w: World) -> list[Any]:
    """Organisation A's data as comparable facts: what no other viewer may change."""
    users = User.objects.filter(organisation=w.organisation).order_by("pk")
    return [
        Organisation.objects.filter(pk=w.organisation.pk).values_list("name", flat=True).get(),
        list(
            Ticket.objects.filter(organisation=w.organisation)
            .order_by("pk")
            .values_list("number", "state", "version", "handler_id", "summary", "description")
        ),
        list(
            Note.objects.filter(ticket__organisation=w.organisation)
            .order_by("pk")
            .values_list("pk", "text", "is_private")
        ),
        HistoryEntry.objects.filter(ticket__organisation=w.organisation).count(),
        list(
            Attachment.objects.filter(ticket__organisation=w.organisation)
            .order_by("pk")
            .values_list("pk", "file", "note_id")
        ),
        list(
            users.values_list(
                "pk", "email", "password", "is_active", "language", "follow_all_tickets"
            )
        ),
        list(
            Invitation.objects.filter(user__organisation=w.organisation)
            .order_by("pk")
            .values_list("pk", "used_at", "voided_at")
        ),
        list(
            LedgerEntry.objects.filter(organisation=w.organisation)
            .order_by("pk")
            .values_list("pk", "minutes", "memo")
        ),
        list(AllowanceRevision.objects.filter(organisation=w.organisation).values_list("pk")),
        list(StatementOptOut.objects.filter(user__in=users).values_list("user_id")),
    ]


# ---------------------------------------------------------------------------------------------
# Expected outcomes. An outcome is checked on the response of one request.

LOGIN = "login"  # 302 to the portal's login page, the URL asked kept in `next`
TO_ADMIN = "to-admin"  # 302 to the admin's index: staff work there
ADMIN_REFUSED = "admin-refused"  # a redirect out of the admin (its login form, or the portal)
ANY = "any"  # whatever the page decides, but no 500 (staff in the admin, public pages)

Outcome = int | str | tuple[int, ...]
VIEWERS = ("same", "other", "anonymous", "staff")


@dataclass(frozen=True)
class Case:
    """What a URL pattern is and what each viewer gets, in GET and in POST."""

    why: str
    kind: str  # "tab", "object", "admin", "public", "token"
    get: dict[str, Outcome]
    post: dict[str, Outcome]
    # The same organisation's page shows A's words: the other viewer's check can fail.
    reveals: bool = False
    queries: tuple[str, ...] = ("",)  # query strings tried, each its own row of the matrix
    query_values: Callable[[World], dict[str, Any]] = field(default=lambda w: {})


def tab(
    why: str, *, reveals: bool, same: Outcome = 200, other: Outcome = 200, **overrides: Any
) -> Case:
    """A client page that every client may open, showing their own organisation only."""
    return Case(
        why,
        "tab",
        get={"same": same, "other": other, "anonymous": LOGIN, "staff": TO_ADMIN},
        post={"same": ANY, "other": ANY, "anonymous": LOGIN, "staff": TO_ADMIN},
        reveals=reveals,
        **overrides,
    )


def owned(why: str, *, reveals: bool, staff: Outcome = TO_ADMIN, safe_only: bool = False) -> Case:
    """A client page of one of A's objects: the other organisation gets a 404."""
    post: dict[str, Outcome] = (
        dict.fromkeys(VIEWERS, 405)
        if safe_only
        else {"same": ANY, "other": 404, "anonymous": LOGIN, "staff": TO_ADMIN}
    )
    return Case(
        why,
        "object",
        get={"same": 200, "other": 404, "anonymous": LOGIN, "staff": staff},
        post=post,
        reveals=reveals,
    )


def public(why: str) -> Case:
    """No login needed, and nothing private in it."""
    everyone = dict.fromkeys(VIEWERS, ANY)
    return Case(f"public, nothing private in it: {why}", "public", get=everyone, post=everyone)


def token(why: str) -> Case:
    """A link mailed to one person: the token is the credential, whoever follows it."""
    everyone = dict.fromkeys(VIEWERS, ANY)
    return Case(f"token link: {why}", "token", get=everyone, post=everyone)


ADMIN = Case(
    "the admin: staff only, a client (of any organisation) is refused",
    "admin",
    get={"same": ADMIN_REFUSED, "other": ADMIN_REFUSED, "anonymous": ADMIN_REFUSED, "staff": ANY},
    post={"same": ADMIN_REFUSED, "other": ADMIN_REFUSED, "anonymous": ADMIN_REFUSED, "staff": ANY},
)

# Every pattern outside the admin: route name (or route, for an unnamed one) → its case.
CASES: dict[str, Case] = {
    "favicon.ico": public("a redirect to the static icon"),
    "health": replace(
        public("the monitors' health check, no account (checks' names and levels only)"),
        get=dict.fromkeys(VIEWERS, (200, 503)),  # 503: a check fails, by design
        post=dict.fromkeys(VIEWERS, 405),
    ),
    "accounts:login": public("the login form"),
    "accounts:logout": public("ends the session"),
    "accounts:password_reset": public("asks an address"),
    "accounts:password_reset_done": public("says a mail may have left"),
    "accounts:password_reset_complete": public("says the password is set"),
    "accounts:invitation": token("creating the password of an invited account"),
    "accounts:email_confirm": token("confirming a new e-mail address"),
    "accounts:password_reset_confirm": token("choosing a new password"),
    "accounts:account": tab("« Mon compte »", reveals=False),
    "tickets:home": tab("« Accueil »: counts, tickets awaiting an answer", reveals=True),
    "tickets:my_view": tab("« Mon affichage »", reveals=True),
    "tickets:list": tab(
        "« Afficher les tickets », its text search and its CSV export",
        reveals=True,
        queries=("", "?q=facture", "?format=csv&q=facture", "?q={number}"),
        query_values=lambda w: {"number": w.ticket.display_number},
    ),
    "tickets:create": tab("« Ouvrir un ticket »", reveals=False),
    "tickets:quick_search": tab(
        "the top bar's number box",
        reveals=False,
        same=302,  # straight to the ticket
        other=302,  # to the list, searching the number in their own tickets
        queries=("?q={number}",),
        query_values=lambda w: {"number": w.ticket.display_number},
    ),
    "tickets:detail": owned("a ticket's page", reveals=True),
    "tickets:following": Case(
        "« Suivi du ticket »: follow, stop, add or remove a colleague (POST only)",
        "object",
        get=dict.fromkeys(VIEWERS, 405),
        post={"same": ANY, "other": 404, "anonymous": LOGIN, "staff": TO_ADMIN},
    ),
    "tickets:rating": Case(
        "« Donner votre avis »: the rating form (a ticket not Résolu answers 409)",
        "object",
        get={"same": (200, 409), "other": 404, "anonymous": LOGIN, "staff": TO_ADMIN},
        post={"same": ANY, "other": 404, "anonymous": LOGIN, "staff": TO_ADMIN},
        reveals=True,
    ),
    "tickets:attachment": owned("a file of a ticket", reveals=True, staff=200, safe_only=True),
    "tickets:attachment_thumbnail": owned(
        "an image's miniature", reveals=False, staff=200, safe_only=True
    ),
    "allowances:statements": tab("« Relevé d'heures »: the months", reveals=False),
    # A month names no object: each client gets their own organisation's (Durand has one too).
    "allowances:statement": tab("one month's statement", reveals=True),
    "allowances:statement_csv": tab("one month's statement as CSV", reveals=True),
    # Compressed: the words are not in the bytes; tests/allowances/test_statement_pdf.py reads them.
    "allowances:statement_pdf": tab("one month's statement as PDF", reveals=False),
}

# The admin's patterns are all refused to clients; these few differ in what staff get.
ADMIN_CASES: dict[str, Case] = {
    "admin:login": replace(
        ADMIN,
        why="the admin's login form itself",
        get={**ADMIN.get, "anonymous": 200},
        post={**ADMIN.post, "anonymous": 200},  # the form again, with its errors
    ),
}

# (route name, or route of an unnamed pattern; argument) → A's real value for it.
Values = dict[tuple[str, str], Callable[[World], Any]]
VALUES: Values = {
    ("accounts:invitation", "token"): lambda w: w.invitation_token,
    ("accounts:email_confirm", "token"): lambda w: w.email_token,
    ("accounts:password_reset_confirm", "uidb64"): lambda w: urlsafe_base64_encode(
        force_bytes(w.owner.pk)
    ),
    ("accounts:password_reset_confirm", "token"): lambda w: default_token_generator.make_token(
        w.owner
    ),
    ("tickets:detail", "number"): lambda w: w.ticket.number,
    ("tickets:following", "number"): lambda w: w.ticket.number,
    ("tickets:rating", "number"): lambda w: w.ticket.number,
    ("tickets:attachment", "pk"): lambda w: w.public_file.pk,
    ("tickets:attachment_thumbnail", "pk"): lambda w: w.image_file.pk,
    ("allowances:statement", "period"): lambda w: format_period(w.period),
    ("allowances:statement_csv", "period"): lambda w: format_period(w.period),
    ("allowances:statement_pdf", "period"): lambda w: format_period(w.period),
    ("admin:view_on_site", "content_type_id"): lambda w: (
        ContentType.objects.get_for_model(Ticket).pk
    ),
    ("admin:view_on_site", "object_id"): lambda w: w.ticket.pk,
    ("admin:auth_user_password_change", "id"): lambda w: w.owner.pk,
    ("admin:accounts_organisation_invite", "organisation_id"): lambda w: w.organisation.pk,
    ("admin:allowances_organisationbalance_adjust", "organisation_id"): lambda w: w.organisation.pk,
    ("admin:allowances_organisationbalance_revise", "organisation_id"): lambda w: w.organisation.pk,
    ("admin:allowances_organisationbalance_statement", "organisation_id"): lambda w: (
        w.organisation.pk
    ),
    ("admin:allowances_organisationbalance_statement", "period"): lambda w: format_period(w.period),
    ("admin:allowances_organisationbalance_statement_pdf", "organisation_id"): lambda w: (
        w.organisation.pk
    ),
    ("admin:allowances_organisationbalance_statement_pdf", "period"): lambda w: format_period(
        w.period
    ),
    ("admin:app_list", "app_label"): lambda w: "tickets",
    ("admin:notifications_inboundmail_eml", "pk"): lambda w: w.inbound_mail.pk,
    ("admin/(?P<url>.*)$", "url"): lambda w: "inconnu/",  # what no other admin URL matches
}

# The `object_id` of a ModelAdmin's own pages (change, delete, history...): A's object of it.
ADMIN_OBJECTS: dict[str, Callable[[World], Any]] = {
    "auth.group": lambda w: w.group.pk,
    "accounts.user": lambda w: w.owner.pk,
    "accounts.organisation": lambda w: w.organisation.pk,
    "accounts.invitation": lambda w: w.invitation.pk,
    "tickets.category": lambda w: w.category.pk,
    "tickets.cannedreply": lambda w: (
        CannedReply.objects.get_or_create(
            title="Demande de précisions", defaults={"text": f"Bonjour {{prénom}}, {SECRET}"}
        )[0].pk
    ),
    "tickets.ticket": lambda w: w.ticket.pk,
    "notifications.notification": lambda w: w.notification.pk,
    "allowances.organisationbalance": lambda w: w.organisation.pk,
    "allowances.ledgerentry": lambda w: w.ledger_entry.pk,
    "allowances.allowancerevision": lambda w: w.revision.pk,
    "allowances.allowancemail": lambda w: w.allowance_mail.pk,
    "notifications.inboundmail": lambda w: w.inbound_mail.pk,
    "notifications.unattachedmail": lambda w: w.inbound_mail.pk,
}
MODEL_ROUTE = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/")


# ---------------------------------------------------------------------------------------------
# The URLconf, walked.


@dataclass(frozen=True)
class Pattern:
    key: str  # namespace:name, or the route of an unnamed pattern
    route: str  # as Django joins it (ResolverMatch.route)
    chain: tuple[URLPattern | URLResolver, ...]


def _join(route: str, more: str) -> str:
    # Django's URLResolver._join_route: an inner regex's leading ^ is dropped.
    return route + (more[1:] if more.startswith("^") else more)


def walk(
    patterns: Any, route: str = "", namespace: str = "", chain: tuple[Any, ...] = ()
) -> Iterator[Pattern]:
    for entry in patterns:
        here = _join(route, str(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from walk(entry.url_patterns, here, inner, (*chain, entry))
        else:
            key = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Pattern(key or here, here, (*chain, entry))


PATTERNS = list(walk(get_resolver().url_patterns))


def case_of(pattern: Pattern) -> Case:
    if pattern.key in CASES:
        return CASES[pattern.key]
    if pattern.route.startswith("admin/"):
        return ADMIN_CASES.get(pattern.key, ADMIN)
    pytest.fail(f"URL sans cas de test de cloisonnement : {pattern.key}")


def value_of(pattern: Pattern, argument: str, w: World, values: Values | None = None) -> Any:
    getter = (values or VALUES).get((pattern.key, argument)) or VALUES.get((pattern.key, argument))
    if getter is None and argument == "object_id" and (found := MODEL_ROUTE.match(pattern.route)):
        getter = ADMIN_OBJECTS.get(f"{found['app']}.{found['model']}")
    if getter is None:
        pytest.fail(f"URL sans cas de test de cloisonnement : {pattern.key} ({argument})")
    return getter(w)


ROUTE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()]|\([^()]*\))*\)")


def _filled_route(
    source: RoutePattern, pattern: Pattern, w: World, values: Values | None = None
) -> str:
    def fill(found: re.Match[str]) -> str:
        converter = source.converters[found["name"]]
        return str(converter.to_url(value_of(pattern, found["name"], w, values)))

    return ROUTE_ARGUMENT.sub(fill, str(source))


def url_of(pattern: Pattern, w: World, values: Values | None = None) -> str:
    """The pattern's URL with A's values in it (`values` first, then VALUES), checked to
    resolve to that very pattern."""
    parts = []
    for entry in pattern.chain:
        source = entry.pattern
        if isinstance(source, RoutePattern):
            parts.append(_filled_route(source, pattern, w, values))
        else:
            assert isinstance(source, RegexPattern)
            regex = str(source).removeprefix("^").removesuffix("$")
            filled = REGEX_GROUP.sub(lambda m: str(value_of(pattern, m["name"], w, values)), regex)
            parts.append(filled.replace("\\", ""))
    url = "/" + "".join(parts)
    assert resolve(url).route == pattern.route, f"{url} does not resolve to {pattern.route}"
    return url


def request_count(pattern: Pattern) -> int:
    case = CASES.get(pattern.key) or ADMIN_CASES.get(pattern.key, ADMIN)
    return len(case.queries) * len(VIEWERS) * 2  # GET and POST


# ---------------------------------------------------------------------------------------------
# The viewers, and one request checked.


def browser_for(who: str, w: World) -> Client:
    browser = Client()
    if who == "same":
        browser.force_login(w.colleague)
    elif who == "other":
        browser.force_login(w.outsider)
    elif who == "staff":
        browser.force_login(w.staff)
    elif who == "reporter":
        browser.force_login(w.owner)
    return browser


def body_of(response: Any) -> str:
    # Reading a streamed body to its end closes the response (and the file of a FileResponse).
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


def check(outcome: Outcome, response: Any, browser: Client, method: str, what: str) -> Any:
    """Assert the outcome; returns the page a refusal led to, if any, for the leak checks."""
    status = response.status_code
    location = response.get("Location", "")
    if not (isinstance(outcome, tuple) and status in outcome):
        assert status < 500, f"{what}: {status}"
    if outcome == LOGIN:
        assert (status, location.split("?")[0]) == (302, "/connexion/"), what
        assert "next=" in location, what
    elif outcome == TO_ADMIN:
        assert (status, location) == (302, "/admin/"), what
    elif outcome == ADMIN_REFUSED:
        # Anonymous: the admin's login form; a signed-in client: back to the portal
        # (accounts.middleware.AdminReservedForStaffMiddleware). Never an admin page.
        assert status == 302, f"{what}: {status}, the admin let a non-staff viewer in"
        landed = browser.get(location, follow=True)
        path = landed.request["PATH_INFO"]
        assert landed.status_code == 200, f"{what}: landed on {path} ({landed.status_code})"
        assert path == "/admin/login/" or not path.startswith("/admin/"), f"{what}: {path}"
        return landed
    elif outcome == ANY:
        if method == "get" and location.startswith("/admin/login/"):
            pytest.fail(f"{what}: staff sent to the admin's login")
    elif isinstance(outcome, tuple):
        assert status in outcome, f"{what}: {status}"
    else:
        assert status == outcome, f"{what}: {status} instead of {outcome}"
    return None


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.key for p in PATTERNS])
def test_tenancy_matrix(world: World, pattern: Pattern) -> None:
    """One URL pattern, for each of its query strings, viewers, and GET then POST."""
    case = case_of(pattern)
    url = url_of(pattern, world)
    before = a_fingerprint(world)
    secrets = [SECRET, world.organisation.name, world.ticket.display_number]
    payload = {"action": "note", "text": INTRUDER, "summary": INTRUDER, "q": "facture"}
    for query in case.queries:
        full = url + query.format(**case.query_values(world))
        for who in VIEWERS:
            for method, expected in (("get", case.get[who]), ("post", case.post[who])):
                what = f"{method.upper()} {full} as {who} ({case.why})"
                browser = browser_for(who, world)
                response = getattr(browser, method)(full, payload if method == "post" else None)
                body = body_of(response)
                landed = check(expected, response, browser, method, what)
                if landed is not None:
                    body += text(landed)
                if who == "other" and case.kind != "token":
                    # Not what the viewer typed themselves (a number in the search box).
                    leaked = [s for s in secrets if s in body and s not in full]
                    assert not leaked, f"{what}: shows {leaked}"
                elif case.kind in ("public", "token"):
                    assert SECRET not in body, what
                if who == "same" and method == "get" and case.reveals:
                    # A's own pages show these words: their absence above means something.
                    assert SECRET in body, f"{what}: the page does not show A's data"
                if who in ("other", "anonymous") and case.kind != "token":
                    assert a_fingerprint(world) == before, f"{what}: changed A's data"
                if who in ("same", "staff"):
                    before = a_fingerprint(world)  # their changes to A's data are theirs to make


def test_matrix_covers_the_urlconf_and_only_it(capsys: Any) -> None:
    """Every table entry still names a pattern (a renamed URL cannot keep a stale case), and the
    matrix's size is reported."""
    keys = {p.key for p in PATTERNS}
    assert set(CASES) <= keys, set(CASES) - keys
    assert set(ADMIN_CASES) <= keys, set(ADMIN_CASES) - keys
    assert {name for name, _argument in VALUES} <= keys, {n for n, _a in VALUES} - keys
    models = {f"{m['app']}.{m['model']}" for p in PATTERNS if (m := MODEL_ROUTE.match(p.route))}
    assert set(ADMIN_OBJECTS) <= models, set(ADMIN_OBJECTS) - models
    requests = sum(request_count(p) for p in PATTERNS)
    with capsys.disabled():
        print(f"\nMatrice de cloisonnement : {len(PATTERNS)} motifs d'URL, {requests} requêtes")
    assert len(PATTERNS) >= 100
    assert requests >= 8 * len(PATTERNS)


# ---------------------------------------------------------------------------------------------
# The private ticket: every client page again, as A's own clients, against A's private ticket.

# The private ticket's objects in the URLs that name a ticket or a file.
HIDDEN_VALUES: Values = {
    ("tickets:detail", "number"): lambda w: w.hidden_ticket.number,
    ("tickets:following", "number"): lambda w: w.hidden_ticket.number,
    ("tickets:rating", "number"): lambda w: w.hidden_ticket.number,
    ("tickets:attachment", "pk"): lambda w: w.hidden_file.pk,
    ("tickets:attachment_thumbnail", "pk"): lambda w: w.hidden_image.pk,
}


def hidden_fingerprint(w: World) -> list[Any]:
    """The private ticket as comparable facts: no client's request may change it (a client's
    own preferences on a tab, a statement opt-out, are theirs to change)."""
    ticket = w.hidden_ticket
    return [
        Ticket.objects.filter(pk=ticket.pk).values_list("state", "version", "summary").get(),
        list(Note.objects.filter(ticket=ticket).order_by("pk").values_list("pk", "text")),
        HistoryEntry.objects.filter(ticket=ticket).count(),
        list(Attachment.objects.filter(ticket=ticket).order_by("pk").values_list("pk")),
        list(ticket.followers.order_by("pk").values_list("user_id", "muted")),
    ]


PORTAL_PATTERNS = [
    p for p in PATTERNS if CASES.get(p.key) and CASES[p.key].kind in ("tab", "object")
]


@pytest.mark.parametrize("pattern", PORTAL_PATTERNS, ids=[p.key for p in PORTAL_PATTERNS])
def test_private_ticket_matrix(world: World, pattern: Pattern) -> None:
    """A's colleague, and even the private ticket's own reporter, get for it exactly what the
    other organisation's client gets for A's tickets: a 404 (or 405) for its page, files and
    following; and no page, count, search, CSV or quick search shows a word of it, its number
    included (searched by number too). Staff still get its files. Nothing of it changes."""
    case = CASES[pattern.key]
    url = url_of(pattern, world, HIDDEN_VALUES)
    hidden = world.hidden_ticket
    secrets = [HIDDEN, hidden.display_number]
    payload = {"action": "note", "text": INTRUDER, "summary": INTRUDER, "q": "facture"}
    before = hidden_fingerprint(world)
    for query in case.queries:
        values = {**case.query_values(world), "number": hidden.display_number}
        full = url + query.format(**values)
        for who in ("same", "reporter", "staff"):
            for method in ("get", "post"):
                expected = getattr(case, method)["other" if who != "staff" else "staff"]
                what = f"{method.upper()} {full} as {who} (private ticket; {case.why})"
                browser = browser_for(who, world)
                response = getattr(browser, method)(full, payload if method == "post" else None)
                body = body_of(response)
                check(expected, response, browser, method, what)
                if who == "staff":
                    continue  # sent to the admin, or given a file: the portal changes nothing
                leaked = [s for s in secrets if s in body and s not in full]
                assert not leaked, f"{what}: shows {leaked}"
                location = response.get("Location", "")
                assert hidden.get_absolute_url() not in location, f"{what}: to {location}"
                assert hidden_fingerprint(world) == before, f"{what}: changed the private ticket"


def test_private_ticket_is_left_out_of_the_counts_and_the_hours(world, client):
    client.force_login(world.colleague)
    response = client.get("/")
    counts = dict((s.value, n) for s, n in response.context["counts"])
    assert counts["feedback"] == 1  # the public Commentaire ticket, not the private one
    assert response.context["balance"].pending == 0  # the private ticket's 30 minutes


# ---------------------------------------------------------------------------------------------
# What the matrix does not say by itself.


def test_same_organisation_sees_its_data_in_the_tabs(world, client, client_user):
    colleague = ClientFactory(organisation=client_user.organisation)
    client.force_login(colleague)
    for url in ("/mon-affichage/", "/tickets/", world.ticket.get_absolute_url()):
        assert SECRET in text(client.get(url)), url
    assert dict((s.value, n) for s, n in client.get("/").context["counts"])["new"] == 1


def test_counts_of_another_organisation_stay_hidden(world, client, other_organisation):
    client.force_login(ClientFactory(organisation=other_organisation))
    response = client.get("/")
    counts = dict((s.value, n) for s, n in response.context["counts"])
    assert counts["new"] == 0
    assert counts["feedback"] == 0


def test_search_and_csv_of_another_organisation_hold_none_of_its_tickets(
    world, client, other_organisation
):
    durand = ClientFactory(organisation=other_organisation)
    own = make_ticket(reporter=durand, summary="Durand facture")
    client.force_login(durand)
    found = text(client.get("/tickets/", {"q": "facture"}))
    assert own.display_number in found
    assert world.ticket.display_number not in found
    assert SECRET not in found
    csv = body_of(client.get("/tickets/", {"format": "csv", "q": "facture"}))
    assert own.display_number in csv
    assert world.ticket.display_number not in csv
    assert SECRET not in csv
    assert world.ticket.display_number not in text(client.get("/tickets/", {"q": SECRET}))


def test_text_file_has_no_thumbnail_whoever_asks(world, client, client_user):
    client.force_login(client_user)
    assert client.get(f"/pieces-jointes/{world.public_file.pk}/miniature/").status_code == 404


def test_private_note_file_is_hidden_from_clients_and_open_to_staff(world, client, client_user):
    url = f"/pieces-jointes/{world.private_file.pk}/"
    client.force_login(client_user)
    assert client.get(url).status_code == 404
    staff = Client()
    staff.force_login(StaffFactory())
    assert staff.get(url).status_code == 200


def test_quick_search_never_jumps_to_another_organisations_ticket(
    world, client, other_organisation
):
    client.force_login(ClientFactory(organisation=other_organisation))
    response = client.get("/recherche/", {"q": world.ticket.display_number})
    assert response["Location"].startswith("/tickets/?q=")


def test_note_on_another_organisations_ticket_is_404(world, client, other_organisation):
    client.force_login(ClientFactory(organisation=other_organisation))
    response = client.post(world.ticket.get_absolute_url(), {"action": "note", "text": "intrus"})
    assert response.status_code == 404
    assert world.ticket.notes.filter(text="intrus").count() == 0


def test_statement_of_a_month_is_each_organisations_own(world, client, other_organisation):
    client.force_login(ClientFactory(organisation=other_organisation))
    url = f"/releve-heures/{format_period(world.period)}/"
    page = text(client.get(url))
    assert "Geste commercial Durand" in page
    assert SECRET not in page
    csv = body_of(client.get(url + "csv/"))
    assert "Geste commercial Durand" in csv
    assert SECRET not in csv
