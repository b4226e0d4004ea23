"""What an import read, created, updated and left out, per MantisBT table, with each left-out
row and its reason. The same report for a dry run and a real one."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class TableCount:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    left_out: int = 0


def _ranges(ids: list[int]) -> str:
    """« 3, 7-9, 12 »: every id, consecutive ones as a range."""
    ids = sorted(set(ids))
    parts: list[str] = []
    start = previous = None
    for value in [*ids, None]:
        if value is not None and previous is not None and value == previous + 1:
            previous = value
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = value
    return ", ".join(parts)


@dataclass
class Report:
    source: str = ""
    schema: str = ""
    dry_run: bool = False
    tables: dict[str, TableCount] = field(default_factory=dict)
    # table -> reason -> MantisBT ids
    left_out: dict[str, dict[str, list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    # Things counted, not imported (tags, custom fields...), and notable facts.
    counted: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def table(self, name: str) -> TableCount:
        return self.tables.setdefault(name, TableCount())

    def leave_out(
        self, table: str, mantis_id: int, reason: str, *, listed_as: str | None = None
    ) -> None:
        """Count a row left out; `listed_as` names what the id is when it is not the row's
        own (a monitor has none: its bug's)."""
        self.table(table).left_out += 1
        self.left_out[listed_as or table][reason].append(int(mantis_id))

    def count(self, what: str, how_many: int = 1) -> None:
        self.counted[what] = self.counted.get(what, 0) + how_many

    @property
    def created(self) -> int:
        return sum(count.created for count in self.tables.values())

    @property
    def updated(self) -> int:
        return sum(count.updated for count in self.tables.values())

    def render(self) -> str:
        title = (
            "Import MantisBT — essai à blanc, rien n'a été écrit"
            if self.dry_run
            else ("Import MantisBT")
        )
        lines = [title, f"Source : {self.source} (schéma {self.schema})", ""]
        header = ("table", "lues", "créées", "mises à jour", "inchangées", "laissées de côté")
        rows = [header] + [
            (
                name,
                *(
                    f"{value:,}".replace(",", " ")
                    for value in (c.read, c.created, c.updated, c.unchanged, c.left_out)
                ),
            )
            for name, c in self.tables.items()
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for index, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [
                cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells))
            if index == 0:
                lines.append("  ".join("-" * width for width in widths))
        lines.append("")
        lines.append(f"Total : {self.created} créées, {self.updated} mises à jour.")
        if self.counted:
            lines.append("")
            lines.append("Comptées, non reprises ou à savoir :")
            lines.extend(f"  {what} : {count}" for what, count in sorted(self.counted.items()))
        if self.notes:
            lines.append("")
            lines.extend(f"  {note}" for note in self.notes)
        if any(self.left_out.values()):
            lines.append("")
            lines.append("Laissées de côté (identifiants MantisBT) :")
            for table, reasons in self.left_out.items():
                for reason, ids in reasons.items():
                    lines.append(f"  {table} {_ranges(ids)} : {reason}")
        return "\n".join(lines) + "\n"
