"""`run_import`: a MantisBT database brought over, table by table, safe to run again.

The order: organisations, categories, users (all decided first by mantis.plan, which refuses
ambiguities before anything is written), then one pass per table — bugs, notes, files, history,
monitors, relationships — then the balances file, the ticket counter and the page cache.

Each pass reads its table by keyset pagination (a batch in memory, whatever the table's size) and
writes each batch in one transaction together with its `ImportedRow` rows: a run killed at any
moment leaves whole batches, and the next run, finding their ImportedRow, goes on from there.
Each ImportedRow keeps a digest of the source columns read, so that a later run updates a row
MantisBT changed, creates what is new and writes nothing else.

Nothing here publishes a ticket event, sends an invitation or queues a statement: rows are
written directly, not through tickets.workflow, so that not one mail leaves. Tickets keep
MantisBT's ids as numbers.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Count, Max, Model, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from accounts.models import Organisation, User
from allowances.models import AllowanceRevision, Kind, LedgerEntry
from atm_support import pagecache
from atm_support.db import insert_rows
from tickets import counts
from tickets.attachments import ALLOWED_TYPES, IMAGE_TYPES, _sniff, _thumbnail, safe_name
from tickets.limits import ADDITIONAL_INFORMATION_MAX, DESCRIPTION_MAX, NOTE_MAX, STEPS_MAX
from tickets.models import (
    Attachment,
    Category,
    Counter,
    Follower,
    HistoryEntry,
    Impact,
    LinkKind,
    Note,
    Priority,
    Reproducibility,
    Resolution,
    State,
    Ticket,
    TicketLink,
)
from tickets.services import TICKET_SEQUENCE
from tickets.targets import recount_all

from .models import ImportedRow, Source
from .plan import Options, Person, Plan, make_plan
from .report import Report
from .source import MantisSource

logger = logging.getLogger(__name__)

STATUS = {
    10: State.NEW,
    20: State.FEEDBACK,
    30: State.ACKNOWLEDGED,
    40: State.ACKNOWLEDGED,
    50: State.ASSIGNED,
    80: State.RESOLVED,
    90: State.CLOSED,
}
PRIVATE = 50  # view_state
LINK_KINDS = {0: LinkKind.DUPLICATE_OF, 1: LinkKind.RELATED_TO, 2: LinkKind.PARENT_OF}
CHOICES = {
    "priority": (Priority, Priority.NORMAL),
    "severity": (Impact, Impact.MINOR),
    "reproducibility": (Reproducibility, Reproducibility.HAVE_NOT_TRIED),
    "resolution": (Resolution, Resolution.OPEN),
}
# MantisBT's field names in its history, as our ticket page names them.
HISTORY_FIELDS = {
    "priority": "priority",
    "severity": "impact",
    "reproducibility": "reproducibility",
    "resolution": "resolution",
    "category": "category",
    "summary": "summary",
}
# Fields we do not have: kept under a French label (shown as such by the ticket page).
OTHER_FIELDS = {
    "os": "Système d'exploitation",
    "os_build": "Version du système",
    "platform": "Plate-forme",
    "version": "Version",
    "fixed_in_version": "Corrigé dans la version",
    "target_version": "Version ciblée",
    "build": "Build",
    "eta": "Durée estimée",
    "projection": "Projection",
    "due_date": "Date d'échéance",
    "sticky": "Épinglé",
    "duplicate_id": "Doublon de",
}
# MantisBT history types (core/constant_inc.php) → (our field, shown to clients?).
HISTORY_TYPES = {
    1: "created",
    6: "Description modifiée",
    7: "Informations complémentaires modifiées",
    8: "Étapes pour reproduire modifiées",
    9: "Fichier ajouté",
    10: "Fichier supprimé",
    12: "Abonné ajouté",
    13: "Abonné retiré",
    25: "Étiquette ajoutée",
    26: "Étiquette retirée",
    27: "Étiquette renommée",
}
# Types about another ticket or a private note: staff only (field starts with « private »).
STAFF_HISTORY_TYPES = {
    3: "private_note_edited",
    4: "private_note_deleted",
    11: "private_note_state",
    18: "private_relationship_added",
    19: "private_relationship_deleted",
    20: "private_cloned_to",
    21: "private_created_from",
    23: "private_relationship_replaced",
}
TRUNCATED = "\n\n[…] Texte coupé à l'import : le texte entier est joint (« {name} »)."
OCTET_STREAM = "application/octet-stream"
BATCH_NOTES = 1000
BATCH_FILES = 100
BATCH_HISTORY = 5000


class _DryRun(Exception):
    pass


def digest(*values: Any) -> str:
    return hashlib.md5(repr(values).encode(), usedforsecurity=False).hexdigest()


def moment(timestamp: int | None) -> datetime | None:
    """MantisBT writes time(): Unix seconds, UTC; 1 (its default) and 0 mean none."""
    if not timestamp or int(timestamp) <= 1:
        return None
    return datetime.fromtimestamp(int(timestamp), tz=UTC)


def clean_text(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def fit(text: str, limit: int, name: str) -> tuple[str, str | None]:
    """The text within `limit`, and the whole text when it had to be cut."""
    if len(text) <= limit:
        return text, None
    marker = TRUNCATED.format(name=name)
    return text[: limit - len(marker)] + marker, text


def choice(kind: str, code: Any, report: Report, bug_id: int) -> int:
    enum, default = CHOICES[kind]
    try:
        return int(enum(int(code)))
    except (TypeError, ValueError):
        report.count(f"{kind} inconnu (importé « {enum(default).label} »)")
        return int(default)


def file_type(name: str, head: bytes) -> tuple[str, str]:
    """(content type, Pillow format) for a file of the allow-list whose bytes match its
    extension; anything else is served as a download only (application/octet-stream)."""
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    kind = ALLOWED_TYPES.get(extension)
    if kind is None:
        return OCTET_STREAM, ""
    sniffed = _sniff(head)
    if kind.content == "text":
        if sniffed or b"\x00" in head:
            return OCTET_STREAM, ""
    elif sniffed != kind.content:
        return OCTET_STREAM, ""
    return kind.content_type, kind.image_format if extension in IMAGE_TYPES else ""


@dataclass
class Context:
    source: MantisSource
    plan: Plan
    options: Options
    report: Report
    dry_run: bool
    batch_size: int
    progress: Callable[[str, int], Any]
    organisation_pk: dict[str, int]
    user_pk: dict[int, int]  # MantisBT user id → our user pk
    category_pk: dict[int, int]  # MantisBT category id → our category pk
    default_category: int
    new_bugs: list[int] = field(default_factory=list)  # created by this run
    imported: dict[int, Ticket] | None = None  # by number, once the bugs' pass is done


def run_import(
    url: str,
    *,
    options: Options,
    prefix: str = "mantis_",
    suffix: str = "_table",
    dry_run: bool = False,
    batch_size: int = 500,
    progress: Callable[[str, int], Any] | None = None,
) -> Report:
    """Import the MantisBT database at `url`; raise SourceError / PlanError before writing."""
    source = MantisSource(url, prefix=prefix, suffix=suffix)
    try:
        plan = make_plan(source, options)
        _check_numbers(source, plan)
        report = Report(
            source=str(source.address),
            schema=f"{source.version}, MantisBT {source.series}",
            dry_run=dry_run,
        )
        context = Context(
            source=source,
            plan=plan,
            options=options,
            report=report,
            dry_run=dry_run,
            batch_size=max(1, batch_size),
            progress=progress or _quiet,
            organisation_pk={},
            user_pk={},
            category_pk={},
            default_category=0,
        )
        try:
            with transaction.atomic() if dry_run else _nothing():
                _run(context)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return report
    finally:
        source.close()


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def _quiet(table: str, total: int) -> Any:
    return None


def _check_numbers(source: MantisSource, plan: Plan) -> None:
    """Tickets keep MantisBT's numbers: one already used here by a ticket not imported from
    MantisBT (made in the portal) stops the import before anything is written."""
    imported = set(
        ImportedRow.objects.filter(source=Source.BUG).values_list("object_id", flat=True)
    )
    taken = {
        number for pk, number in Ticket.objects.values_list("pk", "number") if pk not in imported
    }
    if not taken or not plan.projects:
        return
    marks = ", ".join(["%s"] * len(plan.projects))
    clash: list[int] = []
    for batch in source.batches(
        f"SELECT id FROM {source.table('bug')} WHERE project_id IN ({marks}) AND {{after}}",
        "id",
        20000,
        tuple(plan.projects),
    ):
        clash.extend(int(row["id"]) for row in batch if int(row["id"]) in taken)
    if clash:
        from .plan import PlanError

        shown = ", ".join(str(number) for number in clash[:20])
        raise PlanError(
            [
                f"{len(clash)} numéro(s) de ticket de MantisBT sont déjà pris ici par des tickets "
                f"créés dans le portail ({shown}{'…' if len(clash) > 20 else ''}) : les tickets "
                "gardent leur numéro MantisBT, importez dans une base sans ces tickets."
            ]
        )


def _run(context: Context) -> None:
    # Organisations, categories and users in one transaction with their ImportedRow rows, as
    # every batch after them: a run killed there leaves none or all of them.
    with transaction.atomic():
        _organisations(context)
        _categories(context)
        _users(context)
    for one_pass in (_bugs, _notes, _files, _history, _monitors, _relationships):
        one_pass(context)
        _analyze(ImportedRow)
    _balances(context)
    _counted(context)
    if not context.dry_run:
        _set_counter()
        # Rows written in bulk, past the workflow: the response targets' fields rebuilt from
        # the notes and the state history (tickets/targets.py), 2,000 tickets at a time.
        recount_all()
        # And « Accueil »'s tickets per state (tickets/counts.py): one GROUP BY over them all.
        counts.recount()
        pagecache.invalidate(everyone=True)


def _known(source: str, ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    ids = list(ids)
    if not ids:
        return {}
    return {
        mantis_id: (object_id, row_digest)
        for mantis_id, object_id, row_digest in ImportedRow.objects.filter(
            source=source, mantis_id__in=ids
        ).values_list("mantis_id", "object_id", "digest")
    }


REMEMBERED = ["source", "mantis_id", "object_id", "digest", "imported_at"]


def _remember(rows: list[ImportedRow]) -> None:
    """Many rows per INSERT, no model instance saved (a tenth of bulk_create's cost here)."""
    now = timezone.now()
    insert_rows(
        ImportedRow,
        REMEMBERED,
        [(str(row.source), row.mantis_id, row.object_id, row.digest, now) for row in rows],
        convert=_convert(),
    )


def _analyze(*models: type[Model]) -> None:
    """Fresh planner statistics after each pass (PostgreSQL). Without them, the next pass's
    lookups in the ImportedRow table just filled are planned for an empty table: an index read
    on `source` alone, then a filter on every row of that source (135 ms a batch of 1,000 notes
    at 250,000, 5 ms once analysed), in this run and in the next one until autovacuum passes."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _convert() -> bool:
    """Whether insert_rows must pass values through the fields: psycopg2 takes the ints,
    texts, booleans and aware datetimes the import writes as they are (a third of the cost of
    its biggest tables); SQLite needs Django's conversion of datetimes."""
    return connection.vendor != "postgresql"


def _update_digests(source: str, digests: dict[int, str]) -> None:
    for mantis_id, value in digests.items():
        ImportedRow.objects.filter(source=source, mantis_id=mantis_id).update(digest=value)


# -- organisations, categories, users ------------------------------------------------------


def _organisations(context: Context) -> None:
    report = context.report.table("project")
    existing = {name.casefold(): pk for pk, name in Organisation.objects.values_list("pk", "name")}
    known = _known(Source.PROJECT, list(context.plan.projects))
    new_rows = []
    before = set(existing)
    grouped: dict[str, list[str]] = {}
    for pid, name in context.plan.projects.items():
        report.read += 1
        target = context.plan.organisation_of[pid]
        grouped.setdefault(target, []).append(name)
        pk = existing.get(target.casefold())
        if pk is None:
            pk = Organisation.objects.create(name=target).pk
            existing[target.casefold()] = pk
        # A project counts as created when this run first brings it over, into a new
        # organisation or into one that exists (several projects of a client, or made here).
        if pid in known:
            report.unchanged += 1
        else:
            report.created += 1
            new_rows.append(ImportedRow(source=Source.PROJECT, mantis_id=pid, object_id=pk))
        context.organisation_pk[target] = pk
    for target, names in grouped.items():
        if len(names) > 1:
            listed = ", ".join(f"« {name} »" for name in names)
            context.report.notes.append(f"Organisation « {target} » : projets {listed}.")
        if target.casefold() in before and not set(names) <= {
            context.plan.projects[pid] for pid in known
        }:
            context.report.notes.append(
                f"Organisation « {target} » : existait déjà ici, les tickets s'y ajoutent."
            )
    for pid, name in context.plan.skipped.items():
        report.read += 1
        context.report.leave_out(
            "project", pid, f"projet « {name} » laissé de côté (--skip-project)"
        )
    _remember(new_rows)


def _categories(context: Context) -> None:
    report = context.report.table("category")
    existing = {name.casefold(): pk for pk, name in Category.objects.values_list("pk", "name")}
    known = _known(Source.CATEGORY, list(context.plan.categories))
    new_rows = []
    for cid, (name, active) in context.plan.categories.items():
        report.read += 1
        pk = existing.get(name.casefold())
        if pk is None:
            position = Category.objects.count() + 1
            pk = Category.objects.create(name=name, is_active=active, position=position).pk
            existing[name.casefold()] = pk
            report.created += 1
        else:
            report.unchanged += 1
        context.category_pk[cid] = pk
        if cid not in known:
            new_rows.append(ImportedRow(source=Source.CATEGORY, mantis_id=cid, object_id=pk))
    _remember(new_rows)
    fallback = existing.get("general")
    if fallback is None:
        fallback = Category.objects.create(name="General", is_active=False).pk
    context.default_category = fallback


def _users(context: Context) -> None:
    report = context.report.table("user")
    plan = context.plan
    all_ids = [uid for person in plan.people for uid in person.mantis_ids]
    known = _known(Source.USER, all_ids)
    existing = {
        email: pk
        for pk, email in User.objects.annotate(low=Lower("email")).values_list("pk", "low")
    }
    new_rows: list[ImportedRow] = []
    for person in plan.people:
        pk = existing.get(person.email)
        if pk is None:
            pk = _create_user(context, person).pk
            existing[person.email] = pk
            report.created += len(person.mantis_ids) if not person.placeholder else 0
            if person.placeholder:
                context.report.count(
                    "utilisateurs supprimés de MantisBT remplacés (« Utilisateur MantisBT n° … »)"
                )
        else:
            report.unchanged += 0 if person.placeholder else len(person.mantis_ids)
        if not person.placeholder:
            report.read += len(person.mantis_ids)
        for uid in person.mantis_ids:
            context.user_pk[uid] = pk
            if uid not in known:
                new_rows.append(ImportedRow(source=Source.USER, mantis_id=uid, object_id=pk))
        if len(person.mantis_ids) > 1 and not person.placeholder:
            context.report.count(
                "comptes MantisBT fusionnés (même adresse e-mail)", len(person.mantis_ids) - 1
            )
    for uid, reason in plan.left_out_users.items():
        report.read += 1
        context.report.leave_out("user", uid, reason)
    _remember([row for row in new_rows if row.mantis_id >= 0])


def _create_user(context: Context, person: Person) -> User:
    organisation = None if person.is_staff else context.organisation_pk[person.organisation or ""]
    user = User(
        email=person.email,
        first_name=person.first_name,
        last_name=person.last_name,
        is_staff=person.is_staff,
        organisation_id=organisation,
        is_active=False,
        # Enabled in MantisBT: activated by their invitation (« Inviter »); disabled there, or
        # a deleted user's placeholder: stays inactive.
        awaiting_invitation=person.enabled and not person.placeholder,
    )
    user.set_unusable_password()
    user.save()
    return user


# -- bugs ----------------------------------------------------------------------------------


def _project_marks(context: Context) -> tuple[str, tuple[int, ...]]:
    projects = tuple(context.plan.projects) or (-1,)
    return ", ".join(["%s"] * len(projects)), projects


def _status_dates(context: Context, bug_ids: list[int]) -> dict[int, dict[int, int]]:
    """Per bug, the last time its status became 80 (resolved) and 90 (closed)."""
    source = context.source
    if not source.has("bug_history") or not bug_ids:
        return {}
    marks = ", ".join(["%s"] * len(bug_ids))
    rows = source.rows(
        f"SELECT bug_id, new_value, MAX(date_modified) AS at FROM {source.table('bug_history')} "
        f"WHERE type = 0 AND field_name = 'status' AND new_value IN ('80', '90') "
        f"AND bug_id IN ({marks}) GROUP BY bug_id, new_value",
        bug_ids,
    )
    found: dict[int, dict[int, int]] = {}
    for row in rows:
        found.setdefault(int(row["bug_id"]), {})[int(row["new_value"])] = int(row["at"])
    return found


def _person_pk(context: Context, uid: int) -> int | None:
    return context.user_pk.get(int(uid))


def _bugs(context: Context) -> None:
    source, plan, report = context.source, context.plan, context.report
    table = report.table("bug")
    marks, projects = _project_marks(context)
    total = source.count("bug")
    bar = context.progress("bug", total)
    skipped = source.count("bug", f"WHERE project_id NOT IN ({marks})", projects)
    if skipped:
        for row in source.rows(
            f"SELECT id, project_id FROM {source.table('bug')} WHERE project_id NOT IN ({marks})",
            projects,
        ):
            table.read += 1
            name = plan.skipped.get(int(row["project_id"]), f"n° {row['project_id']}")
            report.leave_out("bug", int(row["id"]), f"projet « {name} » laissé de côté")
        _tick(bar, skipped)
    select = (
        "SELECT b.id, b.project_id, b.reporter_id, b.handler_id, b.priority, b.severity, "
        "b.reproducibility, b.status, b.resolution, b.view_state, b.summary, b.category_id, "
        f"b.date_submitted, b.last_updated FROM {source.table('bug')} b "
        f"WHERE b.project_id IN ({marks}) AND {{after}}"
    )
    _each_batch(
        bar,
        source.batches(select, "b.id", context.batch_size, projects),
        partial(_bug_batch, context),
    )


def _bug_values(context: Context, row: dict[str, Any], dates: dict[int, int]) -> dict[str, Any]:
    report = context.report
    bug_id = int(row["id"])
    state = STATUS.get(int(row["status"]))
    if state is None:
        code = int(row["status"])
        state = State.CLOSED if code >= 90 else State.RESOLVED if code >= 80 else State.ACKNOWLEDGED
        report.count(f"statut MantisBT {code} inconnu, importé « {state.label} »")
    organisation = context.organisation_pk[context.plan.organisation_of[int(row["project_id"])]]
    handler = _person_pk(context, row["handler_id"]) if int(row["handler_id"] or 0) else None
    if handler is not None and not context.plan.person_of[int(row["handler_id"])].is_staff:
        report.count("tickets affectés à un client dans MantisBT (laissés sans affectation)")
        handler = None
    created = moment(row["date_submitted"]) or datetime(2000, 1, 1, tzinfo=UTC)
    updated = moment(row["last_updated"]) or created
    resolved_at = closed_at = None
    if state in (State.RESOLVED, State.CLOSED):
        resolved_at = moment(dates.get(80)) or moment(dates.get(90)) or updated
    if state == State.CLOSED:
        closed_at = moment(dates.get(90)) or updated
    return {
        "number": bug_id,
        "organisation_id": organisation,
        "reporter_id": _person_pk(context, row["reporter_id"]),
        "handler_id": handler,
        "category_id": context.category_pk.get(
            int(row["category_id"] or 0), context.default_category
        ),
        "reproducibility": choice("reproducibility", row["reproducibility"], report, bug_id),
        "impact": choice("severity", row["severity"], report, bug_id),
        "priority": choice("priority", row["priority"], report, bug_id),
        "resolution": choice("resolution", row["resolution"], report, bug_id),
        "summary": clean_text(row["summary"]).replace("\n", " ").strip()[:128]
        or f"Ticket {bug_id}",
        "description": clean_text(row["description"]),
        "steps_to_reproduce": clean_text(row["steps_to_reproduce"]),
        "additional_information": clean_text(row["additional_information"]),
        "state": state.value,
        "is_private": int(row["view_state"]) == PRIVATE,
        "created_at": created,
        "updated_at": updated,
        "resolved_at": resolved_at,
        "closed_at": closed_at,
    }


LONG_TEXTS = (
    ("description", DESCRIPTION_MAX, "description-complete.txt"),
    ("steps_to_reproduce", STEPS_MAX, "etapes-completes.txt"),
    ("additional_information", ADDITIONAL_INFORMATION_MAX, "informations-completes.txt"),
)


def _bug_texts(context: Context, bug_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The long texts of these bugs, read only for those to create or update."""
    if not bug_ids:
        return {}
    source = context.source
    marks = ", ".join(["%s"] * len(bug_ids))
    return {
        int(row["id"]): row
        for row in source.rows(
            "SELECT b.id, t.description, t.steps_to_reproduce, t.additional_information "
            f"FROM {source.table('bug')} b "
            f"LEFT JOIN {source.table('bug_text')} t ON t.id = b.bug_text_id "
            f"WHERE b.id IN ({marks})",
            bug_ids,
        )
    }


def _bug_digest(context: Context, row: dict[str, Any]) -> str:
    """What decides a ticket's values: the bug's columns (MantisBT moves last_updated on every
    change, texts and status included) and where its project and people go here."""
    return digest(
        sorted(row.items()),
        context.plan.organisation_of[int(row["project_id"])],
        context.category_pk.get(int(row["category_id"] or 0)),
        _person_pk(context, row["reporter_id"]),
        _person_pk(context, row["handler_id"]),
    )


def _bug_batch(context: Context, batch: list[dict[str, Any]]) -> None:
    table = context.report.table("bug")
    ids = [int(row["id"]) for row in batch]
    known = _known(Source.BUG, ids)
    work: list[tuple[dict[str, Any], str]] = []
    for row in batch:
        bug_id = int(row["id"])
        table.read += 1
        if row["reporter_id"] is None or _person_pk(context, row["reporter_id"]) is None:
            context.report.leave_out("bug", bug_id, "rapporteur introuvable")
            continue
        row_digest = _bug_digest(context, row)
        if bug_id in known and known[bug_id][1] == row_digest:
            table.unchanged += 1
            continue
        work.append((row, row_digest))
    if not work:
        return
    work_ids = [int(row["id"]) for row, _d in work]
    texts = _bug_texts(context, work_ids)
    dates = _status_dates(context, work_ids)
    to_create: list[tuple[int, Ticket, str, list[tuple[str, str]]]] = []
    to_update: dict[int, tuple[dict[str, Any], str]] = {}
    for row, row_digest in work:
        bug_id = int(row["id"])
        values = _bug_values(context, {**row, **texts.get(bug_id, {})}, dates.get(bug_id, {}))
        if bug_id in known:
            to_update[known[bug_id][0]] = (values, row_digest)
            continue
        long_texts = []
        for name, limit, file_name in LONG_TEXTS:
            values[name], whole = fit(values[name], limit, file_name)
            if whole is not None:
                long_texts.append((file_name, whole))
        to_create.append((bug_id, Ticket(**values), row_digest, long_texts))
        context.new_bugs.append(bug_id)
    if to_create:
        Ticket.objects.bulk_create([ticket for _id, ticket, _d, _l in to_create], batch_size=1000)
        _remember(
            [
                ImportedRow(source=Source.BUG, mantis_id=bug_id, object_id=ticket.pk, digest=d)
                for bug_id, ticket, d, _l in to_create
            ]
        )
        table.created += len(to_create)
        for _bug_id, ticket, _d, long_texts in to_create:
            for file_name, whole in long_texts:
                _store_file(
                    context,
                    ticket,
                    None,
                    file_name,
                    whole.encode(),
                    ticket.reporter_id,
                    ticket.created_at,
                )
                context.report.count("textes trop longs coupés (texte entier joint en .txt)")
    if to_update:
        _update_tickets(context, to_update)


UPDATED_FIELDS = (
    "organisation_id",
    "reporter_id",
    "handler_id",
    "category_id",
    "reproducibility",
    "impact",
    "priority",
    "resolution",
    "summary",
    "description",
    "steps_to_reproduce",
    "additional_information",
    "state",
    "is_private",
    "updated_at",
    "resolved_at",
    "closed_at",
)


def _update_tickets(context: Context, changes: dict[int, tuple[dict[str, Any], str]]) -> None:
    tickets = Ticket.objects.in_bulk(list(changes))
    changed = []
    long_texts: list[tuple[Ticket, str, str]] = []
    moved: dict[int, int] = {}  # ticket pk → its new organisation
    for pk, (values, _digest) in changes.items():
        ticket = tickets[pk]
        for name, limit, file_name in LONG_TEXTS:
            values[name], whole = fit(values[name], limit, file_name)
            if whole is not None:
                long_texts.append((ticket, file_name, whole))
        if ticket.state == State.CLOSED:
            # Closed here (by a month end, which debited it): Fermé is final, whatever
            # MantisBT says since; reopening it would have the next month end debit it twice.
            for name in ("state", "resolved_at", "closed_at"):
                values[name] = getattr(ticket, name)
        if ticket.organisation_id != values["organisation_id"]:
            moved[pk] = values["organisation_id"]
        for name in UPDATED_FIELDS:
            setattr(ticket, name, values[name])
        ticket.version += 1
        changed.append(ticket)
    Ticket.objects.bulk_update(changed, [*UPDATED_FIELDS, "version"], batch_size=500)
    for ticket, file_name, whole in long_texts:
        _attach_whole_text(context, ticket, None, file_name, whole, ticket.reporter_id)
    for pk, organisation in moved.items():
        # A bug moved to another client's project: its notes follow (Note.organisation is the
        # ticket's, copied for the search).
        Note.objects.filter(ticket_id=pk).update(organisation_id=organisation)
    numbers = {pk: values["number"] for pk, (values, _d) in changes.items()}
    _update_digests(Source.BUG, {numbers[pk]: d for pk, (_v, d) in changes.items()})
    context.report.table("bug").updated += len(changed)


# -- notes ---------------------------------------------------------------------------------


def _tickets_by_number(context: Context, numbers: Iterable[int]) -> dict[int, Ticket]:
    """The imported tickets among these MantisBT bug ids (their numbers), with what notes,
    files, history and monitors need. Read once, after the bugs' pass, for the whole run: a
    ticket of such a number made in the portal is never among them, never written to."""
    if context.imported is None:
        imported = ImportedRow.objects.filter(source=Source.BUG).values("object_id")
        context.imported = {
            number: Ticket(
                pk=pk,
                number=number,
                organisation_id=organisation,
                reporter_id=reporter,
                is_private=private,
            )
            for pk, number, organisation, reporter, private in Ticket.objects.filter(
                pk__in=Subquery(imported)
            ).values_list("pk", "number", "organisation_id", "reporter_id", "is_private")
        }
    return {
        number: context.imported[number] for number in set(numbers) if number in context.imported
    }


NOTE_FIELDS = (
    "ticket",
    "organisation",
    "author",
    "text",
    "is_private",
    "minutes_spent",
    "is_billable",
    "created_at",
)
NOTE_KEYS = {"ticket", "organisation", "author"}


def _notes(context: Context) -> None:
    source = context.source
    bar = context.progress("bugnote", source.count("bugnote"))
    select = (
        "SELECT n.id, n.bug_id, n.reporter_id, n.view_state, n.time_tracking, n.date_submitted, "
        f"n.last_modified, b.project_id FROM {source.table('bugnote')} n "
        f"LEFT JOIN {source.table('bug')} b ON b.id = n.bug_id WHERE {{after}}"
    )
    _each_batch(bar, source.batches(select, "n.id", BATCH_NOTES), partial(_note_batch, context))


def _note_texts(context: Context, note_ids: list[int]) -> dict[int, str]:
    if not note_ids:
        return {}
    source = context.source
    marks = ", ".join(["%s"] * len(note_ids))
    return {
        int(row["id"]): row["note"]
        for row in source.rows(
            f"SELECT n.id, t.note FROM {source.table('bugnote')} n "
            f"JOIN {source.table('bugnote_text')} t ON t.id = n.bugnote_text_id "
            f"WHERE n.id IN ({marks})",
            note_ids,
        )
    }


def _note_batch(context: Context, batch: list[dict[str, Any]]) -> None:
    table = context.report.table("bugnote")
    ids = [int(row["id"]) for row in batch]
    known = _known(Source.BUGNOTE, ids)
    tickets = _tickets_by_number(context, (int(row["bug_id"]) for row in batch))
    imported_bugs = {ticket.pk for ticket in tickets.values()}
    created: list[tuple[int, Note, str, str | None]] = []
    updates: dict[int, tuple[dict[str, Any], str]] = {}
    touched: set[int] = set()
    work: list[tuple[int, dict[str, Any], str]] = []
    for row in batch:
        note_id = int(row["id"])
        table.read += 1
        ticket = tickets.get(int(row["bug_id"]))
        if ticket is None or ticket.pk not in imported_bugs:
            context.report.leave_out("bugnote", note_id, "son ticket n'est pas repris")
            continue
        author = _person_pk(context, row["reporter_id"])
        if author is None:
            context.report.leave_out("bugnote", note_id, "auteur introuvable")
            continue
        values: dict[str, Any] = {
            "ticket_id": ticket.pk,
            "organisation_id": ticket.organisation_id,
            "author_id": author,
            "is_private": int(row["view_state"]) == PRIVATE,
            "minutes_spent": int(row["time_tracking"] or 0),
            "is_billable": int(row["project_id"] or 0) not in context.plan.not_billable,
            "created_at": moment(row["date_submitted"]) or datetime(2000, 1, 1, tzinfo=UTC),
        }
        # An edit in MantisBT moves last_modified: the text itself is read only when needed.
        row_digest = digest(values, row["last_modified"])
        if note_id in known and known[note_id][1] == row_digest:
            table.unchanged += 1
            continue
        work.append((note_id, values, row_digest))
        touched.add(ticket.pk)
    texts = _note_texts(context, [note_id for note_id, _v, _d in work])
    for note_id, values, row_digest in work:
        values["text"] = clean_text(texts.get(note_id))
        if note_id in known:
            updates[known[note_id][0]] = (values, row_digest)
            continue
        values["text"], whole = fit(values["text"], NOTE_MAX, f"note-{note_id}.txt")
        created.append((note_id, Note(**values), row_digest, whole))
    if created:
        pks = insert_rows(
            Note,
            list(NOTE_FIELDS),
            [
                tuple(
                    getattr(note, f"{name}_id" if name in NOTE_KEYS else name)
                    for name in NOTE_FIELDS
                )
                for _i, note, _d, _w in created
            ],
            returning=True,
            convert=_convert(),
        )
        for (_i, note, _d, _w), pk in zip(created, pks, strict=True):
            note.pk = pk
        _remember(
            [
                ImportedRow(source=Source.BUGNOTE, mantis_id=i, object_id=note.pk, digest=d)
                for i, note, d, _w in created
            ]
        )
        table.created += len(created)
        for note_id, note, _d, whole in created:
            if whole is not None:
                ticket_row = Ticket(pk=note.ticket_id)
                _store_file(
                    context,
                    ticket_row,
                    note,
                    f"note-{note_id}.txt",
                    whole.encode(),
                    note.author_id,
                    note.created_at,
                )
                context.report.count("textes trop longs coupés (texte entier joint en .txt)")
    if updates:
        notes = Note.objects.in_bulk(list(updates))
        mantis_of = dict(
            ImportedRow.objects.filter(
                source=Source.BUGNOTE, object_id__in=list(updates)
            ).values_list("object_id", "mantis_id")
        )
        long_notes: list[tuple[Note, str, str]] = []
        by_pk = {}
        for pk, (values, _d) in updates.items():
            note = notes[pk]
            note_name = f"note-{mantis_of[pk]}.txt"
            values["text"], whole = fit(values["text"], NOTE_MAX, note_name)
            if whole is not None:
                long_notes.append((note, note_name, whole))
            for name, value in values.items():
                setattr(note, name, value)
            by_pk[pk] = note
        Note.objects.bulk_update(
            list(by_pk.values()),
            ["author_id", "text", "is_private", "minutes_spent", "is_billable", "created_at"],
        )
        for note, note_name, whole in long_notes:
            _attach_whole_text(
                context, Ticket(pk=note.ticket_id), note, note_name, whole, note.author_id
            )
        _update_digests(Source.BUGNOTE, {mantis_of[pk]: d for pk, (_v, d) in updates.items()})
        table.updated += len(updates)
    if touched:
        _recount_public_notes(touched)


def _recount_public_notes(ticket_pks: set[int]) -> None:
    count = (
        Note.objects.filter(ticket=OuterRef("pk"), is_private=False)
        .order_by()
        .values("ticket")
        .annotate(total=Count("*"))
        .values("total")
    )
    Ticket.objects.filter(pk__in=ticket_pks).update(public_note_count=Coalesce(Subquery(count), 0))


# -- files ---------------------------------------------------------------------------------


def _files(context: Context) -> None:
    source = context.source
    if not source.has("bug_file"):
        return
    bar = context.progress("bug_file", source.count("bug_file"))
    note_column = "f.bugnote_id" if source.has("bug_file", "bugnote_id") else "0 AS bugnote_id"
    select = (
        f"SELECT f.id, f.bug_id, f.filename, f.diskfile, f.folder, f.filesize, f.file_type, "
        f"f.date_added, f.user_id, {note_column}, LENGTH(f.content) AS content_length "
        f"FROM {source.table('bug_file')} f WHERE {{after}}"
    )
    _each_batch(bar, source.batches(select, "f.id", BATCH_FILES), partial(_file_batch, context))


def _file_batch(context: Context, batch: list[dict[str, Any]]) -> None:
    source, report = context.source, context.report
    table = report.table("bug_file")
    ids = [int(row["id"]) for row in batch]
    known = _known(Source.FILE, ids)
    tickets = _tickets_by_number(context, (int(row["bug_id"]) for row in batch))
    imported_bugs = {ticket.pk for ticket in tickets.values()}
    note_ids = [int(row["bugnote_id"]) for row in batch if row["bugnote_id"]]
    notes = {mid: pk for mid, (pk, _d) in _known(Source.BUGNOTE, note_ids).items()}
    wanted = []
    for row in batch:
        file_id = int(row["id"])
        table.read += 1
        ticket = tickets.get(int(row["bug_id"]))
        if ticket is None or ticket.pk not in imported_bugs:
            report.leave_out("bug_file", file_id, "son ticket n'est pas repris")
            continue
        if file_id in known:
            table.unchanged += 1  # a file's bytes never change in MantisBT
            continue
        wanted.append((row, ticket))
    in_database = [int(row["id"]) for row, _t in wanted if int(row["content_length"] or 0) > 0]
    contents: dict[int, bytes] = {}
    if in_database:
        marks = ", ".join(["%s"] * len(in_database))
        for found in source.rows(
            f"SELECT id, content FROM {source.table('bug_file')} WHERE id IN ({marks})",
            in_database,
        ):
            contents[int(found["id"])] = bytes(found["content"])
    prepared: list[tuple[int, Attachment, bytes]] = []
    for row, ticket in wanted:
        file_id = int(row["id"])
        data = contents.pop(file_id, None)
        if data is None:
            data = _disk_file(context, row)
            if data is None:
                report.leave_out(
                    "bug_file",
                    file_id,
                    "fichier sur disque introuvable (voyez --files-dir)",
                )
                report.count("fichiers sur disque introuvables")
                continue
        uploader = _person_pk(context, row["user_id"]) or ticket.reporter_id
        note_pk = notes.get(int(row["bugnote_id"] or 0))
        name = safe_name(row["filename"] or row["diskfile"] or "fichier")
        attachment = _attachment(
            context, ticket.pk, note_pk, name, data, uploader, moment(row["date_added"])
        )
        prepared.append((file_id, attachment, data))
    if not context.dry_run:
        # The storage writes and thumbnails (Pillow and file I/O release the GIL) run on two
        # threads; the rows are then written in one INSERT.
        with ThreadPoolExecutor(max_workers=FILE_THREADS) as pool:
            list(pool.map(lambda item: _write(item[1], item[2]), prepared))
        Attachment.objects.bulk_create([attachment for _i, attachment, _d in prepared])
    _remember(
        [
            ImportedRow(source=Source.FILE, mantis_id=file_id, object_id=attachment.pk or 0)
            for file_id, attachment, _d in prepared
        ]
    )
    table.created += len(prepared)


def _disk_file(context: Context, row: dict[str, Any]) -> bytes | None:
    """A file MantisBT kept on disk: where it was (folder + diskfile), else under --files-dir,
    as is or in a sub-folder named like the old one (the project's upload folder)."""
    diskfile = Path(str(row["diskfile"] or "")).name
    if not diskfile:
        return None
    folder = str(row["folder"] or "")
    candidates = [Path(folder) / diskfile] if folder else []
    base = context.options.files_dir
    if base is not None:
        candidates.append(base / diskfile)
        if folder:
            parts = [part for part in Path(folder).parts if part not in ("/", "")]
            for depth in range(1, min(len(parts), 3) + 1):
                candidates.append(base.joinpath(*parts[-depth:]) / diskfile)
    for candidate in candidates:
        try:
            if candidate.is_file():
                return candidate.read_bytes()
        except OSError:
            continue
    return None


FILE_THREADS = 2


def _attachment(
    context: Context,
    ticket_pk: int,
    note_pk: int | None,
    name: str,
    data: bytes,
    uploader: int,
    created_at: datetime | None,
) -> Attachment:
    """The row of an imported file, its type decided from its name and bytes (not saved)."""
    content_type, _image_format = file_type(name, data[:8192])
    if content_type == OCTET_STREAM:
        context.report.count("fichiers d'un type hors liste, servis en téléchargement seulement")
    return Attachment(
        ticket_id=ticket_pk,
        note_id=note_pk,
        original_name=name[:255],
        content_type=content_type,
        size=len(data),
        uploaded_by_id=uploader,
        created_at=created_at or datetime(2000, 1, 1, tzinfo=UTC),
    )


def _write(attachment: Attachment, data: bytes) -> None:
    """The bytes into the attachment storage (disk or S3), and an image's thumbnail: no query."""
    name = attachment.original_name
    attachment.file.save(name, ContentFile(data), save=False)
    image_format = next(
        (
            kind.image_format
            for kind in IMAGE_TYPES.values()
            if kind.content_type == attachment.content_type
        ),
        "",
    )
    if image_format:
        thumbnail = _thumbnail(
            SimpleUploadedFile(name, data, attachment.content_type), image_format
        )
        if thumbnail is not None:
            attachment.thumbnail.save(f"{name}.png", thumbnail, save=False)


def _store_file(
    context: Context,
    ticket: Ticket,
    note: Note | None,
    name: str,
    data: bytes,
    uploader: int,
    created_at: datetime | None,
) -> Attachment:
    """One file saved at once (the whole text of a text too long for its field)."""
    attachment = _attachment(
        context, ticket.pk, note.pk if note else None, name, data, uploader, created_at
    )
    if not context.dry_run:
        _write(attachment, data)
        attachment.save()
    return attachment


def _attach_whole_text(
    context: Context, ticket: Ticket, note: Note | None, name: str, whole: str, uploader: int
) -> None:
    """A text changed in MantisBT and still too long: its whole new version is attached, unless
    the last file of that name already holds it (nothing is lost, nothing is doubled)."""
    data = whole.encode()
    last = (
        Attachment.objects.filter(ticket_id=ticket.pk, note=note, original_name=name)
        .order_by("-created_at", "-pk")
        .first()
    )
    if last is not None and last.size == len(data):
        try:
            with last.file.open("rb") as stored:
                if stored.read() == data:
                    return
        except OSError:
            pass
    _store_file(context, ticket, note, name, data, uploader, timezone.now())
    context.report.count("textes trop longs coupés (texte entier joint en .txt)")


# -- history, monitors, relationships ------------------------------------------------------


def _history(context: Context) -> None:
    """MantisBT's history only grows (ids in order, rows never edited): what an earlier run
    read up to its last imported row is not read again, but for the tickets this run created
    (a project taken over this time)."""
    source = context.source
    if not source.has("bug_history"):
        return
    seen = (
        ImportedRow.objects.filter(source__in=[Source.HISTORY, Source.HISTORY_SEEN]).aggregate(
            last=Max("mantis_id")
        )["last"]
        or -1
    )
    context.report.table("bug_history")
    columns = "SELECT id, user_id, bug_id, field_name, old_value, new_value, type, date_modified"
    table = source.table("bug_history")
    remaining = source.count("bug_history", "WHERE id > %s", (seen,))
    bar = context.progress("bug_history", remaining)
    _each_batch(
        bar,
        source.batches(f"{columns} FROM {table} WHERE {{after}}", "id", BATCH_HISTORY, start=seen),
        partial(_history_batch, context, per_row=False),
    )
    if seen >= 0:
        context.report.notes.append(
            f"bug_history : les lignes jusqu'au n° {seen}, vues par un import précédent, ne "
            "sont pas relues (l'historique de MantisBT ne change pas)."
        )
        for start in range(0, len(context.new_bugs), 1000):
            bugs = context.new_bugs[start : start + 1000]
            marks = ", ".join(["%s"] * len(bugs))
            rows = source.rows(
                f"{columns} FROM {table} WHERE id <= %s AND bug_id IN ({marks}) ORDER BY id",
                (seen, *bugs),
            )
            for offset in range(0, len(rows), BATCH_HISTORY):
                with transaction.atomic():
                    _history_batch(context, rows[offset : offset + BATCH_HISTORY], per_row=True)


def _user_names(pks: Iterable[int]) -> dict[int, str]:
    return {user.pk: str(user) for user in User.objects.filter(pk__in=set(pks))}


def _history_batch(context: Context, batch: list[dict[str, Any]], *, per_row: bool) -> None:
    """`per_row`: remember each row (the earlier rows of a ticket new in this run, below what
    was seen before); otherwise the batch is rows never seen, in id order, and one marker of its
    last id, written with it, says how far the import went."""
    source, report = context.source, context.report
    table = report.table("bug_history")
    ids = [int(row["id"]) for row in batch]
    known = _known(Source.HISTORY, ids) if per_row else {}
    tickets = _tickets_by_number(context, (int(row["bug_id"]) for row in batch))
    imported_bugs = {ticket.pk for ticket in tickets.values()}
    # The privacy of the notes the rows name (« note added »), read from MantisBT.
    note_ids = {
        int(row["old_value"])
        for row in batch
        if int(row["type"]) == 2 and str(row["old_value"]).strip().isdigit()
    }
    private_notes: set[int] = set()
    if note_ids:
        marks = ", ".join(["%s"] * len(note_ids))
        private_notes = {
            int(found["id"])
            for found in source.rows(
                f"SELECT id FROM {source.table('bugnote')} WHERE view_state = {PRIVATE} "
                f"AND id IN ({marks})",
                list(note_ids),
            )
        }
    handler_ids = {
        int(value)
        for row in batch
        if row["field_name"] == "handler_id" or int(row["type"]) in (12, 13)
        for value in (row["old_value"], row["new_value"])
        if str(value).strip().isdigit() and int(value)
    }
    names = _user_names(pk for uid in handler_ids if (pk := _person_pk(context, uid)) is not None)
    entries, remembered = [], []
    for row in batch:
        history_id = int(row["id"])
        table.read += 1
        ticket = tickets.get(int(row["bug_id"]))
        if ticket is None or ticket.pk not in imported_bugs:
            report.leave_out("bug_history", history_id, "son ticket n'est pas repris")
            continue
        if history_id in known:
            table.unchanged += 1
            continue
        shaped = _history_row(context, row, private_notes, names)
        if shaped is None:
            continue
        field, old, new = shaped
        entry = HistoryEntry(
            ticket_id=ticket.pk,
            actor_id=_person_pk(context, row["user_id"]) if int(row["user_id"] or 0) else None,
            created_at=moment(row["date_modified"]) or datetime(2000, 1, 1, tzinfo=UTC),
            field=field[:50],
            old_value=old,
            new_value=new,
        )
        entries.append((history_id, entry))
    pks = insert_rows(
        HistoryEntry,
        ["ticket", "actor", "created_at", "field", "old_value", "new_value"],
        [
            (e.ticket_id, e.actor_id, e.created_at, e.field, e.old_value, e.new_value)
            for _i, e in entries
        ],
        returning=per_row,
        convert=_convert(),
    )
    if per_row:
        for (history_id, _entry), pk in zip(entries, pks, strict=True):
            remembered.append(
                ImportedRow(source=Source.HISTORY, mantis_id=history_id, object_id=pk)
            )
    elif ids:
        remembered.append(ImportedRow(source=Source.HISTORY_SEEN, mantis_id=max(ids), object_id=0))
    table.created += len(entries)
    _remember(remembered)


def _label(kind: str, value: str) -> str:
    enum, _default = CHOICES[kind]
    try:
        return str(enum(int(value)).label)
    except (TypeError, ValueError):
        return value


def _history_row(
    context: Context, row: dict[str, Any], private_notes: set[int], names: dict[int, str]
) -> tuple[str, str, str] | None:
    kind = int(row["type"])
    name = str(row["field_name"] or "")
    old, new = str(row["old_value"] or ""), str(row["new_value"] or "")

    def person(value: str) -> str:
        if not value.strip().isdigit() or not int(value):
            return ""
        pk = _person_pk(context, int(value))
        return (
            names.get(pk, f"Utilisateur MantisBT n° {value}")
            if pk
            else f"Utilisateur MantisBT n° {value}"
        )

    if kind == 0:
        if name == "status":

            def state(value: str) -> str:
                try:
                    return STATUS[int(value)].value
                except (KeyError, ValueError):
                    return value

            return "state", state(old), state(new)
        if name in ("priority", "severity", "reproducibility", "resolution"):
            return HISTORY_FIELDS[name], _label(name, old), _label(name, new)
        if name == "handler_id":
            return "handler", person(old), person(new)
        if name in ("category", "summary"):
            return HISTORY_FIELDS[name], old, new
        if name == "view_state":

            def private(value: str) -> str:
                return "oui" if value.strip() == str(PRIVATE) else "non"

            return "is_private", private(old), private(new)
        if name == "project_id":
            # The other project is another client's name: said to staff only.
            return "private_project_moved", old, new
        return OTHER_FIELDS.get(name, name or "Champ MantisBT"), old, new
    if kind == 2:
        note_id = int(old) if old.strip().isdigit() else 0
        return ("private_note" if note_id in private_notes else "note"), "", ""
    if kind in (12, 13):
        return HISTORY_TYPES[kind], "", person(old)
    if kind in HISTORY_TYPES:
        if kind == 1:
            return "created", "", ""
        if kind in (6, 7, 8):
            return HISTORY_TYPES[kind], "", ""
        return HISTORY_TYPES[kind], "", old
    if kind in STAFF_HISTORY_TYPES:
        return STAFF_HISTORY_TYPES[kind], old, new
    return f"private_mantis_{kind}", old, new


# Monitors have no id of their own: the report names them by their bug.
MONITOR_LISTED = "bug_monitor (n° de bug)"


def _monitors(context: Context) -> None:
    source, report = context.source, context.report
    if not source.has("bug_monitor"):
        return
    table = report.table("bug_monitor")
    bar = context.progress("bug_monitor", source.count("bug_monitor"))
    rows = source.rows(f"SELECT user_id, bug_id FROM {source.table('bug_monitor')}")
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
        keys = [int(row["bug_id"]) * 2**32 + int(row["user_id"]) for row in chunk]
        known = _known(Source.MONITOR, keys)
        tickets = _tickets_by_number(context, (int(row["bug_id"]) for row in chunk))
        imported_bugs = {ticket.pk for ticket in tickets.values()}
        followers, remembered = [], []
        for key, row in zip(keys, chunk, strict=True):
            table.read += 1
            if key in known:
                table.unchanged += 1
                continue
            ticket = tickets.get(int(row["bug_id"]))
            user = _person_pk(context, row["user_id"])
            if ticket is None or ticket.pk not in imported_bugs:
                report.leave_out(
                    "bug_monitor",
                    int(row["bug_id"]),
                    "son ticket n'est pas repris",
                    listed_as=MONITOR_LISTED,
                )
                continue
            person = context.plan.person_of.get(int(row["user_id"]))
            if user is None or person is None or person.placeholder:
                report.leave_out(
                    "bug_monitor",
                    int(row["bug_id"]),
                    "abonné supprimé de MantisBT ou non repris",
                    listed_as=MONITOR_LISTED,
                )
                continue
            followers.append((key, Follower(ticket_id=ticket.pk, user_id=user)))
        with transaction.atomic():
            Follower.objects.bulk_create([f for _k, f in followers], ignore_conflicts=True)
            pks = {
                (ticket_id, user_id): pk
                for pk, ticket_id, user_id in Follower.objects.filter(
                    ticket_id__in={f.ticket_id for _k, f in followers}
                ).values_list("pk", "ticket_id", "user_id")
            }
            for key, follower in followers:
                remembered.append(
                    ImportedRow(
                        source=Source.MONITOR,
                        mantis_id=key,
                        object_id=pks.get((follower.ticket_id, follower.user_id), 0),
                    )
                )
            table.created += len(followers)
            _remember(remembered)
        _tick(bar, len(chunk))
    _close(bar)


def _relationships(context: Context) -> None:
    source, report = context.source, context.report
    if not source.has("bug_relationship"):
        return
    table = report.table("bug_relationship")
    rows = source.rows(
        "SELECT id, source_bug_id, destination_bug_id, relationship_type "
        f"FROM {source.table('bug_relationship')} ORDER BY id"
    )
    bar = context.progress("bug_relationship", len(rows))
    known = _known(Source.RELATIONSHIP, [int(row["id"]) for row in rows])
    tickets = _tickets_by_number(
        context,
        [
            number
            for row in rows
            for number in (int(row["source_bug_id"]), int(row["destination_bug_id"]))
        ],
    )
    imported_bugs = {ticket.pk for ticket in tickets.values()}
    links = []
    for row in rows:
        rid = int(row["id"])
        table.read += 1
        if rid in known:
            table.unchanged += 1
            continue
        kind = LINK_KINDS.get(int(row["relationship_type"]))
        first = tickets.get(int(row["source_bug_id"]))
        second = tickets.get(int(row["destination_bug_id"]))
        if kind is None:
            report.leave_out(
                "bug_relationship", rid, f"type de relation {row['relationship_type']} inconnu"
            )
            continue
        if (
            first is None
            or second is None
            or first.pk not in imported_bugs
            or second.pk not in imported_bugs
        ):
            report.leave_out("bug_relationship", rid, "un des deux tickets n'est pas repris")
            continue
        if first.pk == second.pk:
            report.leave_out("bug_relationship", rid, "relation d'un ticket avec lui-même")
            continue
        links.append((rid, TicketLink(source_id=first.pk, target_id=second.pk, kind=kind.value)))
    with transaction.atomic():
        TicketLink.objects.bulk_create([link for _r, link in links], ignore_conflicts=True)
        pks = {
            (s, t, k): pk
            for pk, s, t, k in TicketLink.objects.filter(
                source_id__in={link.source_id for _r, link in links}
            ).values_list("pk", "source_id", "target_id", "kind")
        }
        _remember(
            [
                ImportedRow(
                    source=Source.RELATIONSHIP,
                    mantis_id=rid,
                    object_id=pks.get((link.source_id, link.target_id, link.kind), 0),
                )
                for rid, link in links
            ]
        )
    table.created += len(links)
    _tick(bar, len(rows))
    _close(bar)


# -- balances, counts, counter -------------------------------------------------------------

OPENING_MEMO = "Solde repris de MantisBT"
CORRECTION_MEMO = "Correction du solde repris de MantisBT"
ALLOWANCE_MEMO = "Forfait repris de MantisBT"


def _balances(context: Context) -> None:
    if not context.plan.balances:
        return
    table = context.report.table("soldes (--balances)")
    organisations = {
        name.casefold(): pk for pk, name in Organisation.objects.values_list("pk", "name")
    }
    known = _known(Source.BALANCE, list(organisations.values()))
    for balance in context.plan.balances:
        table.read += 1
        pk = organisations[balance.organisation.casefold()]
        values = (balance.monthly, balance.balance, balance.month.isoformat())
        row_digest = digest(*values)
        with transaction.atomic():
            if pk not in known:
                AllowanceRevision.objects.create(
                    organisation_id=pk,
                    minutes_per_month=balance.monthly,
                    effective_from=balance.month,
                    memo=ALLOWANCE_MEMO,
                )
                entry = LedgerEntry.objects.create(
                    organisation_id=pk,
                    kind=Kind.ADJUSTMENT,
                    period=balance.month,
                    minutes=balance.balance,
                    memo=OPENING_MEMO,
                )
                ImportedRow.objects.create(
                    source=Source.BALANCE, mantis_id=pk, object_id=entry.pk, digest=row_digest
                )
                table.created += 1
                continue
            if known[pk][1] == row_digest:
                table.unchanged += 1
                continue
            # A newer file on cut-over day: the difference, as a correction the ledger shows.
            previous = _balance_values(pk)
            if previous is not None and previous[0] != balance.monthly:
                AllowanceRevision.objects.create(
                    organisation_id=pk,
                    minutes_per_month=balance.monthly,
                    effective_from=balance.month,
                    memo=ALLOWANCE_MEMO,
                )
            delta = balance.balance - (previous[1] if previous else 0)
            if delta:
                LedgerEntry.objects.create(
                    organisation_id=pk,
                    kind=Kind.ADJUSTMENT,
                    period=balance.month,
                    minutes=delta,
                    memo=CORRECTION_MEMO,
                )
            ImportedRow.objects.filter(source=Source.BALANCE, mantis_id=pk).update(
                digest=row_digest
            )
            table.updated += 1


def _balance_values(organisation: int) -> tuple[int, int] | None:
    """The monthly allowance and balance an earlier run took over: the latest revision made by
    the import, and the sum of its adjustments."""
    revision = (
        AllowanceRevision.objects.filter(organisation_id=organisation, memo=ALLOWANCE_MEMO)
        .order_by("-pk")
        .values_list("minutes_per_month", flat=True)
        .first()
    )
    entries = LedgerEntry.objects.filter(
        Q(memo=OPENING_MEMO) | Q(memo=CORRECTION_MEMO),
        organisation_id=organisation,
        kind=Kind.ADJUSTMENT,
    ).values_list("minutes", flat=True)
    if revision is None:
        return None
    return int(revision), int(sum(entries))


def _counted(context: Context) -> None:
    source, report = context.source, context.report
    for table, label in (
        ("bug_tag", "étiquettes posées (non reprises)"),
        ("custom_field_string", "valeurs de champs personnalisés (non reprises)"),
        ("sponsorship", "parrainages (non repris)"),
    ):
        if source.has(table):
            count = source.count(table)
            if count:
                report.count(label, count)


def _set_counter() -> None:
    """The next ticket made in the portal takes the number after the largest."""
    largest = Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0
    counter, _created = Counter.objects.get_or_create(name=TICKET_SEQUENCE)
    if counter.value < largest:
        Counter.objects.filter(name=TICKET_SEQUENCE, value__lt=largest).update(value=largest)


# -- progress ------------------------------------------------------------------------------


def _each_batch(
    bar: Any, batches: Iterable[list[dict[str, Any]]], write: Callable[[list[dict[str, Any]]], None]
) -> None:
    """Write each batch in one transaction (its rows and their ImportedRow rows: a killed run
    leaves whole batches), then count it on the table's progress bar."""
    for batch in batches:
        with transaction.atomic():
            write(batch)
        _tick(bar, len(batch))
    _close(bar)


def _tick(bar: Any, count: int) -> None:
    if bar is not None and hasattr(bar, "update"):
        bar.update(count)


def _close(bar: Any) -> None:
    if bar is not None and hasattr(bar, "close"):
        bar.close()


def terminal_progress(stream: Any = None) -> Callable[[str, int], Any]:
    """A tqdm bar per table on a terminal; plain lines otherwise (a log, a pipe)."""
    stream = stream or sys.stderr
    if stream.isatty():
        from tqdm import tqdm

        def bar(table: str, total: int) -> Any:
            return tqdm(total=total, desc=table, unit=" lignes", file=stream, leave=True)

        return bar

    class Lines:
        def __init__(self, table: str, total: int) -> None:
            self.table, self.total, self.done, self.step = table, total, 0, max(total // 10, 1)
            stream.write(f"{table} : {total} lignes à lire\n")

        def update(self, count: int) -> None:
            before = self.done // self.step
            self.done += count
            if self.done // self.step != before and self.done < self.total:
                stream.write(f"{self.table} : {self.done}/{self.total}\n")

        def close(self) -> None:
            stream.write(f"{self.table} : {self.done}/{self.total} lues\n")

    return Lines


__all__ = ["Options", "run_import", "terminal_progress"]
