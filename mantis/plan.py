"""Who and where, decided before anything is written: projects → organisations, users → staff or
the client of one organisation, placeholders for deleted users, the balances file.

Every ambiguity or mistake found here is collected and raised at once (`PlanError`), in French,
so that an operator fixes all of them before the next rehearsal.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from accounts.models import Organisation, normalize_email

from .source import MantisSource

DEVELOPER = 55  # MantisBT's access level from which a user is ATM staff
DISABLED_CATEGORY = 0  # mantis_category_table.status in 2.x: 1 enabled


class PlanError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Options:
    project_map: dict[str, str] = field(default_factory=dict)  # MantisBT project → organisation
    skip_projects: list[str] = field(default_factory=list)
    user_organisations: dict[str, str] = field(default_factory=dict)  # e-mail → organisation
    not_billable: list[str] = field(default_factory=list)
    balances: Path | None = None
    files_dir: Path | None = None


def parse_pairs(values: list[str], option: str) -> dict[str, str]:
    """« A=B » options; a missing `=` or an empty side is a mistake, said in French."""
    pairs: dict[str, str] = {}
    problems = []
    for value in values:
        left, sep, right = value.partition("=")
        left, right = left.strip(), right.strip()
        if not sep or not left or not right:
            problems.append(f"{option} « {value} » : attendu « NOM=ORGANISATION ».")
            continue
        pairs[left] = right
    if problems:
        raise PlanError(problems)
    return pairs


@dataclass
class MantisUser:
    id: int
    email: str  # normalised
    username: str
    realname: str
    enabled: bool
    access: int


@dataclass
class Person:
    """One account here, for one or more MantisBT users (same e-mail)."""

    email: str
    first_name: str
    last_name: str
    is_staff: bool
    enabled: bool
    organisation: str | None  # name, for clients
    mantis_ids: list[int]
    placeholder: bool = False


@dataclass
class Balance:
    line: int
    organisation: str
    monthly: int
    balance: int
    month: date


@dataclass
class Plan:
    projects: dict[int, str] = field(default_factory=dict)  # imported project id → name
    skipped: dict[int, str] = field(default_factory=dict)
    organisation_of: dict[int, str] = field(default_factory=dict)  # project id → organisation
    not_billable: set[int] = field(default_factory=set)  # project ids
    categories: dict[int, tuple[str, bool]] = field(default_factory=dict)  # id → (name, active)
    people: list[Person] = field(default_factory=list)
    person_of: dict[int, Person] = field(default_factory=dict)  # MantisBT user id → person
    left_out_users: dict[int, str] = field(default_factory=dict)
    balances: list[Balance] = field(default_factory=list)


def split_name(realname: str, username: str) -> tuple[str, str]:
    realname = " ".join(realname.split())
    if not realname:
        return username[:150], ""
    first, _, last = realname.partition(" ")
    return first[:150], last[:150]


def placeholder_email(mantis_id: int) -> str:
    return f"mantis-{mantis_id}@mantis.invalid"


def make_plan(source: MantisSource, options: Options) -> Plan:
    plan = Plan()
    problems: list[str] = []
    _projects(source, options, plan, problems)
    if problems:
        raise PlanError(problems)
    _categories(source, plan)
    _users(source, options, plan, problems)
    if options.balances is not None:
        plan.balances = read_balances(options.balances, plan, problems)
    if problems:
        raise PlanError(problems)
    return plan


def _projects(source: MantisSource, options: Options, plan: Plan, problems: list[str]) -> None:
    rows = source.rows(f"SELECT id, name FROM {source.table('project')} ORDER BY id")
    by_name = {row["name"].strip().casefold(): row for row in rows}
    known = ", ".join(f"« {row['name']} »" for row in rows) or "aucun"

    def find(name: str, option: str) -> int | None:
        row = by_name.get(name.strip().casefold())
        if row is None:
            problems.append(
                f"{option} : le projet MantisBT « {name} » n'existe pas (projets : {known})."
            )
            return None
        return int(row["id"])

    skipped = {find(name, "--skip-project") for name in options.skip_projects}
    mapped = {find(name, "--project"): target for name, target in options.project_map.items()}
    billable_off = {find(name, "--time-not-billable") for name in options.not_billable}
    existing = {
        name.casefold(): name for name in Organisation.objects.values_list("name", flat=True)
    }
    for row in rows:
        pid, name = int(row["id"]), row["name"].strip()
        if pid in skipped:
            plan.skipped[pid] = name
            continue
        plan.projects[pid] = name
        target = mapped.get(pid, name)[:150]
        plan.organisation_of[pid] = existing.get(target.casefold(), target)
    for mapped_pid in mapped:
        if mapped_pid is not None and mapped_pid in skipped:
            problems.append(
                f"Le projet « {plan.skipped[mapped_pid]} » est à la fois dans --project et "
                "--skip-project."
            )
    plan.not_billable = {pid for pid in billable_off if pid is not None}
    # Two projects named alike map to one organisation: that is a merge, said in the report.


def _categories(source: MantisSource, plan: Plan) -> None:
    if not source.has("category"):
        return
    status = "status" if source.has("category", "status") else "1 AS status"
    rows = source.rows(f"SELECT id, project_id, name, {status} FROM {source.table('category')}")
    for row in rows:
        if int(row["project_id"]) in plan.skipped:
            continue
        # 1.2.x has no meaningful status (default 0): every category there is in use.
        active = source.series == "1.2.x" or int(row["status"] or 0) != DISABLED_CATEGORY
        plan.categories[int(row["id"])] = (row["name"].strip()[:100] or "General", active)


def _users(source: MantisSource, options: Options, plan: Plan, problems: list[str]) -> None:
    users = {
        int(row["id"]): MantisUser(
            id=int(row["id"]),
            email=normalize_email(row["email"] or ""),
            username=row["username"] or "",
            realname=row["realname"] or "",
            enabled=bool(row["enabled"]),
            access=int(row["access_level"]),
        )
        for row in source.rows(
            "SELECT id, username, realname, email, enabled, access_level "
            f"FROM {source.table('user')} ORDER BY id"
        )
    }
    imported = tuple(plan.projects) or (-1,)
    marks = ", ".join(["%s"] * len(imported))
    # Where each user belongs, in imported projects, by the first of: their memberships, the
    # bugs and notes they wrote, the bugs they monitor or attached files to. A viewer who once
    # followed another client's ticket is not made ambiguous by it.
    tiers: list[dict[int, set[int]]] = [defaultdict(set), defaultdict(set), defaultdict(set)]
    level_in: dict[int, int] = defaultdict(int)
    if source.has("project_user_list"):
        for row in source.rows(
            f"SELECT user_id, project_id, access_level FROM {source.table('project_user_list')} "
            f"WHERE project_id IN ({marks})",
            imported,
        ):
            uid = int(row["user_id"])
            tiers[0][uid].add(int(row["project_id"]))
            level_in[uid] = max(level_in[uid], int(row["access_level"]))
    bug, note = source.table("bug"), source.table("bugnote")
    acted = [
        (
            1,
            f"SELECT DISTINCT reporter_id AS uid, project_id FROM {bug} "
            f"WHERE project_id IN ({marks})",
        ),
        (
            1,
            f"SELECT DISTINCT n.reporter_id AS uid, b.project_id FROM {note} n "
            f"JOIN {bug} b ON b.id = n.bug_id WHERE b.project_id IN ({marks})",
        ),
    ]
    if source.has("bug_monitor"):
        acted.append(
            (
                2,
                f"SELECT DISTINCT m.user_id AS uid, b.project_id FROM "
                f"{source.table('bug_monitor')} m JOIN {bug} b ON b.id = m.bug_id "
                f"WHERE b.project_id IN ({marks})",
            )
        )
    if source.has("bug_file"):
        acted.append(
            (
                2,
                f"SELECT DISTINCT f.user_id AS uid, b.project_id FROM "
                f"{source.table('bug_file')} f JOIN {bug} b ON b.id = f.bug_id "
                f"WHERE b.project_id IN ({marks})",
            )
        )
    for tier, sql in acted:
        for row in source.rows(sql, imported):
            tiers[tier][int(row["uid"])].add(int(row["project_id"]))
    projects_of: dict[int, set[int]] = {}
    for tier_map in reversed(tiers):
        projects_of.update(tier_map)  # the first tier that names a user wins
    # A deleted user's placeholder goes with the project of the first bug they reported.
    first_bug: dict[int, int] = {
        int(row["uid"]): int(row["project_id"])
        for row in source.rows(
            f"SELECT reporter_id AS uid, project_id FROM {bug} WHERE id IN "
            f"(SELECT MIN(id) FROM {bug} WHERE project_id IN ({marks}) GROUP BY reporter_id)",
            imported,
        )
    }

    settle = {normalize_email(email): org for email, org in options.user_organisations.items()}
    known_emails = {user.email for user in users.values()}
    for email in settle:
        if email not in known_emails:
            problems.append(
                f"--user-organisation : aucun utilisateur MantisBT n'a l'adresse {email}."
            )
    organisations = {name.casefold(): name for name in plan.organisation_of.values()}
    organisations.update(
        (name.casefold(), name) for name in Organisation.objects.values_list("name", flat=True)
    )

    groups: dict[str, list[MantisUser]] = defaultdict(list)
    for user in users.values():
        groups[user.email or placeholder_email(user.id)].append(user)
    for email, members in groups.items():
        ids = [user.id for user in members]
        staff = any(
            user.access >= DEVELOPER or level_in.get(user.id, 0) >= DEVELOPER for user in members
        )
        projects = set().union(*(projects_of.get(uid, set()) for uid in ids))
        main = min(members, key=lambda user: (not user.enabled, user.id))
        first, last = split_name(main.realname, main.username)
        person = Person(
            email=email,
            first_name=first,
            last_name=last,
            is_staff=staff,
            enabled=any(user.enabled for user in members),
            organisation=None,
            mantis_ids=ids,
        )
        if not staff:
            targets = sorted({plan.organisation_of[pid] for pid in projects})
            if email in settle:
                wanted = organisations.get(settle[email].casefold())
                if wanted is None:
                    problems.append(
                        f"--user-organisation {email}={settle[email]} : organisation inconnue "
                        f"(organisations : {', '.join(sorted(organisations.values()))})."
                    )
                    continue
                targets = [wanted]
            if not targets:
                for uid in ids:
                    plan.left_out_users[uid] = "aucun projet client repris (ni membre, ni auteur)"
                continue
            if len(targets) > 1:
                problems.append(
                    f"L'utilisateur {email} est dans plusieurs organisations clientes "
                    f"({', '.join(targets)}) : choisissez avec --user-organisation "
                    f"{email}=ORGANISATION."
                )
                continue
            person.organisation = targets[0]
        plan.people.append(person)
        for uid in ids:
            plan.person_of[uid] = person

    # Deleted users still named by bugs, notes or files: one inactive placeholder each.
    referenced = set(projects_of) | set(first_bug)
    for uid in sorted(referenced - set(users)):
        projects = projects_of.get(uid) or {first_bug.get(uid, -1)}
        project = first_bug.get(uid, min(projects))
        if project not in plan.organisation_of:
            continue
        person = Person(
            email=placeholder_email(uid),
            first_name=f"Utilisateur MantisBT n° {uid}",
            last_name="",
            is_staff=False,
            enabled=False,
            organisation=plan.organisation_of[project],
            mantis_ids=[uid],
            placeholder=True,
        )
        plan.people.append(person)
        plan.person_of[uid] = person


MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def read_balances(path: Path, plan: Plan, problems: list[str]) -> list[Balance]:
    """`organisation;forfait_minutes;solde_minutes;mois`, a header line, mois as YYYY-MM."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"--balances : fichier {path} illisible ({error}).")
        return []
    organisations = {name.casefold(): name for name in plan.organisation_of.values()}
    organisations.update(
        (name.casefold(), name) for name in Organisation.objects.values_list("name", flat=True)
    )
    balances: list[Balance] = []
    seen: set[str] = set()
    reader = csv.reader(text.splitlines(), delimiter=";")
    header = next(reader, None)
    expected = ["organisation", "forfait_minutes", "solde_minutes", "mois"]
    if header is None or [cell.strip().lower() for cell in header] != expected:
        problems.append(
            f"--balances {path} : la première ligne doit être « {';'.join(expected)} »."
        )
        return []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"--balances ligne {number}"
        if len(row) != 4:
            problems.append(f"{where} : 4 colonnes attendues, {len(row)} trouvées.")
            continue
        name, monthly, balance, month = (cell.strip() for cell in row)
        organisation = organisations.get(name.casefold())
        if organisation is None:
            problems.append(f"{where} : organisation « {name} » inconnue.")
            continue
        if organisation.casefold() in seen:
            problems.append(f"{where} : « {organisation} » figure deux fois.")
            continue
        seen.add(organisation.casefold())
        try:
            minutes_per_month = int(monthly)
            if minutes_per_month < 0:
                raise ValueError
        except ValueError:
            problems.append(f"{where} : forfait « {monthly} » : un nombre entier de minutes ≥ 0.")
            continue
        try:
            minutes = int(balance)
        except ValueError:
            problems.append(f"{where} : solde « {balance} » : un nombre entier de minutes.")
            continue
        matched = MONTH.match(month)
        if not matched or not 1 <= int(matched.group(2)) <= 12:
            problems.append(f"{where} : mois « {month} » : attendu AAAA-MM (2026-12).")
            continue
        balances.append(
            Balance(
                number,
                organisation,
                minutes_per_month,
                minutes,
                date(int(matched.group(1)), int(matched.group(2)), 1),
            )
        )
    return balances
