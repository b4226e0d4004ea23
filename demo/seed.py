"""The demo data of `manage.py seed_demo`: two client organisations and six months of contract.

« Boulangerie Martin » has 2 h a month and uses part of it; « Cabinet Durand » has 1 h a month and
uses more (its balance is negative: Accueil shows the overage). Everything goes through the real
code, so that the demo shows what the product really does:

- the contract is an allowance revision (allowances.ledger.revision_create) made, with `now=`,
  at the start of the month five months ago: its credit is that month's;
- tickets are opened, analysed, assigned, annotated, resolved by tickets.services and
  tickets.workflow, then dated back: those functions take the time from the clock, so each step's
  new rows (history, notes, files) and the ticket's dates are set to the step's moment right after
  it, in the order the steps happened (the history reads as it would have);
- each past month end is run by allowances.month_end.close_month with `now=` the 1st at 00:05 of
  the following month (as Celery beat would have), for the demo organisations only: it closes the
  month's « Résolu » tickets, debits them, credits the next month and writes the statements.

Six credits (the contract's first month and five month ends) and five monthly statements.

No mail leaves for this past: the ticket notifications are muted (notifications.outbox.muted),
and the statement and balance warning mails the month ends queued are marked « annulé » in the
same transaction, before the workers could see them. With a real EMAIL_HOST nothing is sent,
not even to the demo addresses; staff can still send one from the admin (« Renvoyer »).

Built once per organisation: an organisation that has tickets or hour ledger entries already is
left as it is, so a second run changes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import Organisation, User
from allowances.ledger import revision_create
from allowances.models import AllowanceMail, LedgerEntry
from allowances.month_end import close_month
from allowances.periods import (
    current_period,
    next_period,
    period_start,
    periods_between,
    previous_period,
)
from atm_support import pagecache
from mail.models import Status
from notifications.outbox import muted
from tickets.attachments import attachments_store
from tickets.models import (
    Attachment,
    Category,
    HistoryEntry,
    Impact,
    Note,
    Priority,
    Reproducibility,
    State,
    Ticket,
)
from tickets.services import ticket_create
from tickets.workflow import note_add, ticket_assign, ticket_change_state

STAFF = ("admin@atm-consulting.fr", "Demo-Admin-2026", "Alice", "Technicienne")
CLIENT_PASSWORD = "Demo-Client-2026"  # noqa: S105  (public demo login, in the README)
BAKERY = "Boulangerie Martin"
FIRM = "Cabinet Durand"
CLIENTS = {
    BAKERY: [
        ("paul@boulangerie-martin.fr", "Paul", "Martin"),
        ("lea@boulangerie-martin.fr", "Léa", "Martin"),
    ],
    FIRM: [
        ("sophie@cabinet-durand.fr", "Sophie", "Durand"),
        ("marc@cabinet-durand.fr", "Marc", "Lefèvre"),
    ],
}
# Minutes per month of each contract.
ALLOWANCES = {BAKERY: 120, FIRM: 60}
CONTRACT_MEMO = "Contrat d'assistance mensuelle"
# The contract began this many months before the current one (its credit is the first).
CONTRACT_MONTHS_AGO = 5
CATEGORIES = ["Anomalie", "Retour projet", "Demande d'évolution", "Question"]
MUTED_MAIL_NOTE = "Démonstration : mail d'un mois passé, non envoyé."

# Step actions.
ANALYSE, ASSIGN, NOTE, FEEDBACK, RESOLVE = "analyse", "assign", "note", "feedback", "resolve"


@dataclass(frozen=True)
class Step:
    after: float  # hours after the ticket was opened
    action: str
    text: str = ""
    by_client: bool = False
    minutes: int = 0
    private: bool = False
    billable: bool = True
    files: tuple[str, ...] = ()  # names from FILES


@dataclass(frozen=True)
class DemoTicket:
    organisation: str
    reporter: int  # index in CLIENTS[organisation]
    category: str
    summary: str
    description: str
    steps_to_reproduce: str = ""
    impact: int = Impact.MINOR
    priority: int = Priority.NORMAL
    reproducibility: int = Reproducibility.ALWAYS
    # Opened `months_ago` months before the current one, on `day` at `hour` (Paris); with
    # months_ago None, `hours_ago` hours before now (a ticket of these last days).
    months_ago: int | None = None
    day: int = 1
    hour: int = 9
    hours_ago: float = 0
    steps: tuple[Step, ...] = field(default_factory=tuple)


@dataclass
class DemoResult:
    tickets: int = 0
    organisations: list[str] = field(default_factory=list)  # whose history was built
    skipped: list[str] = field(default_factory=list)  # had data already: left alone


def seed(*, now: datetime | None = None) -> DemoResult:
    """Users, categories, and for each demo organisation without data, its six months."""
    now = now or timezone.now()
    result = DemoResult()
    with transaction.atomic():
        staff = _staff()
        organisations = _clients()
        for position, name in enumerate(CATEGORIES, start=1):
            Category.objects.update_or_create(
                name=name, defaults={"position": position * 10, "is_active": True}
            )
        fresh = []
        for name, organisation in organisations.items():
            if (
                Ticket.objects.filter(organisation=organisation).exists()
                or LedgerEntry.objects.filter(organisation=organisation).exists()
            ):
                result.skipped.append(name)
            else:
                fresh.append(organisation)
                result.organisations.append(name)
        if fresh:
            with muted():  # demo history is not news: nobody is mailed about it
                result.tickets = _history(fresh, staff, now)
    return result


def _staff() -> User:
    email, password, first, last = STAFF
    staff, _ = User.objects.update_or_create(
        email=email,
        defaults={
            "first_name": first,
            "last_name": last,
            "is_staff": True,
            "is_superuser": True,
            "is_active": True,
            "organisation": None,
        },
    )
    if not staff.check_password(password):  # a second run changes nothing
        staff.set_password(password)
        staff.save(update_fields=["password"])
    return staff


def _clients() -> dict[str, Organisation]:
    organisations = {}
    for name, members in CLIENTS.items():
        organisation, _ = Organisation.objects.get_or_create(name=name)
        organisations[name] = organisation
        for email, first, last in members:
            user, _ = User.objects.update_or_create(
                email=email,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "organisation": organisation,
                    "is_staff": False,
                    "is_superuser": False,
                    "is_active": True,
                },
            )
            if not user.check_password(CLIENT_PASSWORD):
                user.set_password(CLIENT_PASSWORD)
                user.save(update_fields=["password"])
    return organisations


def _history(organisations: list[Organisation], staff: User, now: datetime) -> int:
    """The contracts, the tickets in the order they were opened, then the past month ends."""
    current = current_period(now)
    first = months_before(current, CONTRACT_MONTHS_AGO)
    ids = [organisation.pk for organisation in organisations]
    by_name = {organisation.name: organisation for organisation in organisations}
    for organisation in organisations:
        revision_create(
            organisation=organisation,
            minutes_per_month=ALLOWANCES[organisation.name],
            effective_from=first,
            by=staff,
            memo=CONTRACT_MEMO,
            now=period_start(first) + timedelta(hours=9),
        )
    plans = [plan for plan in DEMO_TICKETS if plan.organisation in by_name]
    opened = {id(plan): _opened(plan, current, now) for plan in plans}
    for plan in sorted(plans, key=lambda plan: opened[id(plan)]):
        _play(plan, opened[id(plan)], by_name[plan.organisation], staff)
    for period in periods_between(first, previous_period(current)):
        close_month(
            period=period,
            now=period_start(next_period(period)) + timedelta(minutes=5),
            organisation_ids=ids,
        )
    # The statements and warnings of those month ends belong to the past: never sent (see the
    # module docstring). Still in this transaction, so no worker ever saw them queued.
    AllowanceMail.objects.filter(organisation_id__in=ids, status=Status.QUEUED).update(
        status=Status.CANCELLED, last_error=MUTED_MAIL_NOTE
    )
    pagecache.invalidate(*ids)  # the dates were set by UPDATE, which sends no signal
    return len(plans)


def months_before(period: date, months: int) -> date:
    for _ in range(months):
        period = previous_period(period)
    return period


def _opened(plan: DemoTicket, current: date, now: datetime) -> datetime:
    if plan.months_ago is not None:
        month = months_before(current, plan.months_ago)
        return period_start(month) + timedelta(days=plan.day - 1, hours=plan.hour)
    resolve = next((step for step in plan.steps if step.action == RESOLVE), None)
    if resolve is not None:
        # Resolved this month, whatever the day today: the last month end did not close it.
        start = period_start(current)
        return start + (now - start) / 2 - timedelta(hours=resolve.after)
    return now - timedelta(hours=plan.hours_ago)


def french(text: str) -> str:
    """A no-break space before « ? ! : ; », as French typography wants: a list column never
    wraps a lone question mark onto the next line."""
    for mark in "?!:;":
        text = text.replace(f" {mark}", f"\u00a0{mark}")
    return text


def _play(plan: DemoTicket, opened: datetime, organisation: Organisation, staff: User) -> None:
    members = list(User.objects.filter(organisation=organisation).order_by("pk"))
    emails = [email for email, *_ in CLIENTS[plan.organisation]]
    members.sort(key=lambda user: emails.index(user.email))
    reporter = members[plan.reporter]
    ticket = ticket_create(
        reporter=reporter,
        category=Category.objects.get(name=plan.category),
        summary=french(plan.summary),
        description=french(plan.description),
        steps_to_reproduce=french(plan.steps_to_reproduce),
        reproducibility=plan.reproducibility,
        impact=plan.impact,
        priority=plan.priority,
    )
    _date(ticket, opened, since=(0, 0, 0), created=True)
    for step in plan.steps:
        moment = opened + timedelta(hours=step.after)
        since = _last_rows(ticket)
        if step.action == ANALYSE:
            ticket_change_state(ticket=ticket, to=State.ACKNOWLEDGED, by=staff)
        elif step.action == ASSIGN:
            ticket_assign(ticket=ticket, handler=staff, by=staff)
        elif step.action == FEEDBACK:
            ticket_change_state(ticket=ticket, to=State.FEEDBACK, by=staff)
        elif step.action == RESOLVE:
            ticket_change_state(ticket=ticket, to=State.RESOLVED, by=staff)
        else:
            author = reporter if step.by_client else staff
            note = note_add(
                ticket=ticket,
                author=author,
                text=french(step.text),
                is_private=step.private,
                minutes_spent=step.minutes,
                is_billable=step.billable,
            )
            if step.files:
                attachments_store(
                    ticket=ticket,
                    note=note,
                    files=[FILES[name]() for name in step.files],
                    by=author,
                )
        _date(ticket, moment, since=since)


def _last_rows(ticket: Ticket) -> tuple[int, int, int]:
    def last(model: type[HistoryEntry] | type[Note] | type[Attachment]) -> int:
        pk = model.objects.filter(ticket=ticket).order_by("-pk").values_list("pk", flat=True)
        return int(pk.first() or 0)

    return last(HistoryEntry), last(Note), last(Attachment)


def _date(
    ticket: Ticket, moment: datetime, *, since: tuple[int, int, int], created: bool = False
) -> None:
    """Give the rows a step wrote, and the ticket's dates it moved, the step's moment."""
    history, note, attachment = since
    HistoryEntry.objects.filter(ticket=ticket, pk__gt=history).update(created_at=moment)
    Note.objects.filter(ticket=ticket, pk__gt=note).update(created_at=moment)
    Attachment.objects.filter(ticket=ticket, pk__gt=attachment).update(created_at=moment)
    dates: dict[str, datetime | None] = {"updated_at": moment}
    if created:
        dates["created_at"] = moment
    state = Ticket.objects.values_list("state", flat=True).get(pk=ticket.pk)
    if state == State.RESOLVED:
        dates["resolved_at"] = moment
    Ticket.objects.filter(pk=ticket.pk).update(**dates)


def screenshot(title: str, name: str) -> SimpleUploadedFile:
    """A small PNG drawn here: the demo shows a thumbnail without shipping a binary file."""
    image = Image.new("RGB", (480, 300), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 479, 36), fill=(38, 60, 92))
    draw.text((12, 12), "Dolibarr", fill="white")
    draw.rectangle((40, 90, 440, 150), outline=(200, 30, 30), width=4)
    draw.text((60, 112), title, fill=(200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def invoices_csv() -> SimpleUploadedFile:
    rows = [
        "Référence;Date;Client;Montant TTC",
        "FA2406-0142;12/06/2026;Hôtel du Parc;184,20",
        "FA2406-0142;12/06/2026;Café des Arts;96,00",
        "FA2406-0143;13/06/2026;Mairie de Vernon;412,50",
    ]
    content = ("\n".join(rows) + "\n").encode()
    return SimpleUploadedFile("factures-doublon.csv", content, content_type="text/csv")


def fec_csv() -> SimpleUploadedFile:
    rows = [
        "JournalCode;JournalLib;EcritureNum;EcritureDate;CompteNum;Debit;Credit",
        "VT;Ventes;VT000318;20260812;411DUPONT;1200,00;0,00",
        "VT;Ventes;VT000318;20260812;706000;0,00;1000,00",
        "VT;Ventes;VT000318;20260812;445710;0,00;200,00",
    ]
    content = ("\n".join(rows) + "\n").encode()
    return SimpleUploadedFile("export-fec-extrait.csv", content, content_type="text/csv")


FILES = {
    "stock": lambda: screenshot("Stock farine T65 : -25 kg", "capture-stock.png"),
    "supplier": lambda: screenshot("Erreur 500 : commande fournisseur", "capture-erreur.png"),
    "invoices": invoices_csv,
    "fec": fec_csv,
}

TAKEN = "Je prends en charge votre demande et je reviens vers vous rapidement."

DEMO_TICKETS: list[DemoTicket] = [
    # Boulangerie Martin: Dolibarr with TakePOS in the shop, stock and invoices.
    DemoTicket(
        BAKERY,
        0,
        "Anomalie",
        "Le logo n'apparaît plus sur les tickets de caisse",
        "Depuis la mise à jour de la semaine dernière, les tickets imprimés par TakePOS sortent "
        "sans le logo de la boulangerie. Les factures PDF ont toujours le logo.",
        "1. Ouvrir TakePOS sur la caisse du magasin\n2. Encaisser une vente\n3. Imprimer le ticket",
        months_ago=5,
        day=6,
        steps=(
            Step(2, ANALYSE),
            Step(3, ASSIGN),
            Step(4, NOTE, TAKEN, minutes=5),
            Step(
                26,
                NOTE,
                "Le chemin du logo avait changé avec la mise à jour. Je l'ai corrigé dans la "
                "configuration de TakePOS et le ticket de test sort avec le logo.",
                minutes=20,
            ),
            Step(27, RESOLVE),
        ),
    ),
    DemoTicket(
        BAKERY,
        1,
        "Question",
        "Comment clôturer la caisse en fin de journée ?",
        "Je ne trouve pas comment faire la clôture de caisse le soir avec le fond de caisse du "
        "lendemain. Pouvez-vous m'expliquer la marche à suivre ?",
        months_ago=5,
        day=18,
        hour=17,
        steps=(
            Step(16, ASSIGN),
            Step(
                17,
                NOTE,
                "Dans TakePOS, menu Clôture de caisse : saisissez le montant compté, puis le fond "
                "de caisse conservé. Le rapport Z se télécharge en PDF juste après. Je vous ai "
                "envoyé une capture de chaque écran par téléphone.",
                minutes=20,
            ),
            Step(18, RESOLVE),
            Step(20, NOTE, "Merci, c'est très clair, j'ai pu faire la clôture hier soir.", True),
        ),
    ),
    DemoTicket(
        BAKERY,
        0,
        "Anomalie",
        "Deux factures portent le même numéro",
        "En préparant la remise au comptable, nous avons trouvé deux factures avec la même "
        "référence pour deux clients différents. Cela nous inquiète pour la comptabilité.",
        impact=Impact.MAJOR,
        priority=Priority.HIGH,
        months_ago=4,
        day=9,
        hour=10,
        steps=(
            Step(1, ANALYSE),
            Step(1.5, ASSIGN),
            Step(
                2,
                NOTE,
                "Pouvez-vous nous envoyer la liste des factures concernées, exportée depuis la "
                "liste des factures clients ?",
                minutes=10,
            ),
            Step(2.2, FEEDBACK),
            Step(
                5,
                NOTE,
                "Voici l'export des factures de la journée en question.",
                by_client=True,
                files=("invoices",),
            ),
            Step(
                7,
                NOTE,
                "Deux caisses validaient des factures au même instant avec un masque de "
                "numérotation commun. Le verrou de numérotation était désactivé depuis une "
                "ancienne reprise de données.",
                private=True,
                minutes=15,
            ),
            Step(
                24,
                NOTE,
                "J'ai réactivé le verrou de numérotation et renuméroté la facture en doublon avec "
                "un avoir et une nouvelle facture. Votre comptable peut reprendre l'export.",
                minutes=60,
            ),
            Step(25, RESOLVE),
        ),
    ),
    DemoTicket(
        BAKERY,
        1,
        "Demande d'évolution",
        "Afficher le prix au kilo sur les étiquettes produits",
        "Pour les viennoiseries vendues au poids, nous voudrions le prix au kilo sur les "
        "étiquettes imprimées depuis la fiche produit.",
        months_ago=3,
        day=4,
        hour=14,
        steps=(
            Step(20, ASSIGN),
            Step(
                44,
                NOTE,
                "J'ai ajouté le prix au kilo au modèle d'étiquettes, calculé depuis le poids "
                "renseigné sur la fiche produit. Il suffit de relancer l'impression.",
                minutes=50,
            ),
            Step(45, RESOLVE),
        ),
    ),
    DemoTicket(
        BAKERY,
        0,
        "Anomalie",
        "L'export comptable ne contient pas les ventes en caisse",
        "Le fichier envoyé au cabinet comptable ne contient que les factures. Les ventes "
        "encaissées au magasin avec TakePOS n'y sont pas.",
        "1. Comptabilité, Export\n2. Choisir le mois précédent\n3. Exporter le journal des ventes",
        impact=Impact.MAJOR,
        months_ago=2,
        day=12,
        steps=(
            Step(1, ANALYSE),
            Step(2, ASSIGN),
            Step(3, NOTE, TAKEN, minutes=5),
            Step(
                5,
                NOTE,
                "Le journal de caisse n'est pas lié au compte de ventes 707 dans le paramétrage "
                "comptable : les lignes TakePOS sont ignorées à l'export.",
                private=True,
                minutes=20,
            ),
            Step(
                30,
                NOTE,
                "Le journal de caisse est maintenant relié au bon compte. J'ai relancé l'export "
                "du mois dernier : les ventes du magasin y figurent.",
                minutes=60,
            ),
            Step(31, RESOLVE),
        ),
    ),
    DemoTicket(
        BAKERY,
        1,
        "Anomalie",
        "Le stock de farine devient négatif après chaque livraison",
        "Quand nous réceptionnons une commande du meunier, le stock de farine baisse au lieu "
        "d'augmenter. Je joins une capture de la fiche produit.",
        months_ago=1,
        day=7,
        hour=8,
        steps=(
            Step(2, ANALYSE),
            Step(
                3,
                NOTE,
                "Voici la fiche produit après la réception de ce matin.",
                by_client=True,
                files=("stock",),
            ),
            Step(4, ASSIGN),
            Step(
                28,
                NOTE,
                "L'entrepôt de réception était configuré en sortie de stock. Je l'ai corrigé et "
                "j'ai passé un mouvement de régularisation pour remettre le stock juste.",
                minutes=65,
            ),
            Step(29, RESOLVE),
        ),
    ),
    DemoTicket(
        BAKERY,
        0,
        "Question",
        "Créer un accès pour une nouvelle vendeuse",
        "Camille commence lundi au magasin. Pouvez-vous lui créer un accès à la caisse "
        "uniquement, sans accès à la comptabilité ?",
        months_ago=1,
        day=20,
        hour=11,
        steps=(
            Step(3, ASSIGN),
            Step(
                4,
                NOTE,
                "L'accès de Camille est créé avec le groupe Vendeurs : caisse et consultation du "
                "stock seulement. Ses identifiants lui ont été envoyés.",
                minutes=10,
            ),
            Step(5, RESOLVE),
        ),
    ),
    DemoTicket(
        BAKERY,
        1,
        "Anomalie",
        "Les commandes du site web arrivent avec une heure de retard",
        "Les commandes passées sur notre boutique en ligne n'apparaissent dans Dolibarr "
        "qu'une heure après. Le matin, nous préparons des commandes en retard.",
        steps=(
            Step(1, ANALYSE),
            Step(2, ASSIGN),
            Step(
                20,
                NOTE,
                "La tâche planifiée de synchronisation tournait toutes les heures. Elle tourne "
                "maintenant toutes les cinq minutes.",
                minutes=30,
            ),
            Step(22, RESOLVE),
        ),
    ),
    DemoTicket(
        BAKERY,
        0,
        "Anomalie",
        "Erreur 500 en validant une commande fournisseur",
        "Au moment de valider la commande au meunier, la page affiche une erreur 500. La "
        "commande reste à l'état brouillon.",
        "1. Commandes fournisseurs\n2. Ouvrir le brouillon du meunier\n3. Cliquer sur Valider",
        impact=Impact.MAJOR,
        hours_ago=30,
        steps=(
            Step(1, ANALYSE),
            Step(2, ASSIGN),
            Step(
                3,
                NOTE,
                "Le journal montre un prix d'achat manquant sur une ligne.",
                private=True,
                minutes=15,
                billable=False,
            ),
            Step(
                4,
                NOTE,
                "Pouvez-vous nous envoyer une capture de la commande avant validation, avec "
                "toutes ses lignes visibles ?",
                minutes=10,
            ),
            Step(4.2, FEEDBACK),
        ),
    ),
    DemoTicket(
        BAKERY,
        1,
        "Anomalie",
        "Les remises client ne s'appliquent pas aux devis",
        "La remise de 5 % prévue pour l'hôtel du Parc s'applique aux factures mais pas aux "
        "devis que nous préparons pour lui.",
        hours_ago=20,
        steps=(
            Step(2, ASSIGN),
            Step(3, NOTE, TAKEN, minutes=10),
        ),
    ),
    DemoTicket(
        BAKERY,
        0,
        "Question",
        "Le rapport de TVA du trimestre ne tombe pas juste",
        "Le total de TVA collectée du rapport ne correspond pas à celui de notre tableau. Il "
        "manque environ 40 euros.",
        hours_ago=6,
        steps=(Step(1, ANALYSE),),
    ),
    DemoTicket(
        BAKERY,
        1,
        "Anomalie",
        "L'imprimante des tickets de caisse ne répond plus",
        "Depuis ce matin, TakePOS indique que l'imprimante est introuvable. Nous écrivons les "
        "tickets à la main.",
        impact=Impact.MAJOR,
        priority=Priority.HIGH,
        hours_ago=1,
    ),
    # Cabinet Durand: Dolibarr for its invoicing and the accounting exports; more than 1 h a
    # month of work, so its balance is negative.
    DemoTicket(
        FIRM,
        0,
        "Anomalie",
        "Import des relevés bancaires OFX refusé",
        "L'import du relevé OFX de notre banque s'arrête sur le message Format de fichier "
        "inconnu. Les relevés du mois précédent passaient sans problème.",
        months_ago=5,
        day=10,
        hour=9,
        steps=(
            Step(1, ANALYSE),
            Step(2, ASSIGN),
            Step(
                26,
                NOTE,
                "La banque a changé l'encodage de ses fichiers. J'ai mis à jour le module "
                "d'import bancaire, qui accepte maintenant les deux formats.",
                minutes=75,
            ),
            Step(27, RESOLVE),
        ),
    ),
    DemoTicket(
        FIRM,
        1,
        "Demande d'évolution",
        "Paramétrer les lettres de relance des factures impayées",
        "Nous voudrions trois niveaux de relance automatique, à 15, 30 et 45 jours, avec un "
        "texte différent à chaque niveau.",
        months_ago=4,
        day=5,
        hour=10,
        steps=(
            Step(4, ASSIGN),
            Step(
                28,
                NOTE,
                "Les trois modèles de relance sont en place, envoyés par la tâche planifiée du "
                "matin. Vous pouvez relire les textes dans la configuration du module.",
                minutes=95,
            ),
            Step(29, RESOLVE),
        ),
    ),
    DemoTicket(
        FIRM,
        0,
        "Anomalie",
        "Écart entre le grand livre et la balance générale",
        "Le total du compte 401 diffère de 312 euros entre le grand livre et la balance "
        "générale sur le même exercice.",
        impact=Impact.MAJOR,
        priority=Priority.HIGH,
        months_ago=3,
        day=14,
        hour=15,
        steps=(
            Step(1, ANALYSE),
            Step(2, ASSIGN),
            Step(
                6,
                NOTE,
                "Une écriture de reprise a une date hors exercice : le grand livre la compte, "
                "la balance non.",
                private=True,
                minutes=30,
            ),
            Step(
                30,
                NOTE,
                "L'écart venait d'une écriture de reprise datée hors exercice. Je l'ai "
                "contrepassée puis saisie à la bonne date : les deux états donnent le même total.",
                minutes=80,
            ),
            Step(31, RESOLVE),
        ),
    ),
    DemoTicket(
        FIRM,
        1,
        "Anomalie",
        "Export FEC rejeté par le logiciel du commissaire aux comptes",
        "Le fichier des écritures comptables est refusé à l'import avec une erreur sur les "
        "dates. Je joins un extrait du fichier.",
        months_ago=2,
        day=8,
        hour=11,
        steps=(
            Step(1, NOTE, "Voici un extrait de l'export.", by_client=True, files=("fec",)),
            Step(2, ASSIGN),
            Step(
                24,
                NOTE,
                "Le séparateur décimal de l'export était le point. Il est maintenant la virgule, "
                "comme le demande la norme FEC, et le fichier passe le contrôle.",
                minutes=50,
            ),
            Step(25, RESOLVE),
        ),
    ),
    DemoTicket(
        FIRM,
        0,
        "Anomalie",
        "Les notes de frais ne remontent plus en comptabilité",
        "Les notes de frais validées ce mois-ci n'apparaissent pas dans le journal des achats "
        "à transférer en comptabilité.",
        months_ago=1,
        day=15,
        hour=9,
        steps=(
            Step(2, ANALYSE),
            Step(3, ASSIGN),
            Step(
                27,
                NOTE,
                "Le compte comptable par défaut des notes de frais avait été vidé. Je l'ai "
                "renseigné et les notes de frais du mois sont prêtes à transférer.",
                minutes=70,
            ),
            Step(28, RESOLVE),
        ),
    ),
    DemoTicket(
        FIRM,
        1,
        "Demande d'évolution",
        "Rendre le SIRET obligatoire sur les fiches tiers",
        "Pour nos factures électroniques, chaque client doit avoir un SIRET. Pouvez-vous "
        "rendre le champ obligatoire à la création d'un tiers ?",
        hours_ago=50,
        steps=(
            Step(3, ASSIGN),
            Step(
                26,
                NOTE,
                "Le contrôle est en place sur la création. Je vérifie maintenant les tiers "
                "existants sans SIRET pour vous en donner la liste.",
                minutes=30,
            ),
        ),
    ),
    DemoTicket(
        FIRM,
        0,
        "Anomalie",
        "La liste des factures clients met longtemps à s'afficher",
        "Depuis lundi, la liste des factures clients met près d'une minute à s'ouvrir.",
        hours_ago=3,
    ),
]
