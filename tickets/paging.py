"""Pages of a long ordered queryset that cost the page's rows, not every row before them.

`Paginator` slices the queryset: `SELECT <every column and join> … ORDER BY … OFFSET 9950 LIMIT
50`. PostgreSQL then builds (and, without a matching index, sorts) 10,000 wide rows to throw
9,950 away: page 200 of a 20,000-ticket organisation took 67 to 96 ms (bench/README.md § 5.1).

`IdsFirstPaginator` takes the page's ids first, from a subquery that only needs the ordering
columns (an index-only scan of `ticket_org_updated` for the list's default order), then joins the
rows of those ids alone, in one statement:

    SELECT <columns> FROM ticket … WHERE id IN (SELECT id … ORDER BY … LIMIT 50 OFFSET 9950)
    ORDER BY …

A filter that is costly to evaluate and selects few rows (the full-text search) should not run
twice, once for the count and once for the page: `read_ids_once(queryset)` asks the paginator to
read the queryset's ordered ids once, count them, and take each page's ids from that list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet, Value
from django.utils.functional import cached_property

# An alias that selects nothing: it only travels with the queryset (through order_by(),
# select_related()...) to tell IdsFirstPaginator how to read it.
READ_IDS_ONCE = "paging_read_ids_once"


def read_ids_once[M: Model](queryset: QuerySet[M]) -> QuerySet[M]:
    """Mark `queryset` to be evaluated once by IdsFirstPaginator: its ordered ids are read (one
    query), counted, and sliced into pages. For querysets of at most a few thousand rows."""
    return queryset.alias(**{READ_IDS_ONCE: Value(True)})


class IdsFirstPaginator[M: Model](Paginator[M]):
    """A Paginator of an ordered queryset that reads each page by its ids (see the module).

    The rows keep the queryset's select_related() and defer()/only(); annotations are not
    carried over to them. `rows`, when given, turns the page's queryset (its ids, in order) into
    what the page holds instead of model instances (tickets.rows.rows_of); each must have `pk`.
    """

    object_list: QuerySet[M]

    def __init__(
        self,
        object_list: QuerySet[M],
        per_page: int,
        *,
        rows: Callable[[QuerySet[M]], list[Any]] = list,
    ) -> None:
        super().__init__(object_list, per_page)
        self._read = rows

    @cached_property
    def _all_ids(self) -> list[Any] | None:
        if READ_IDS_ONCE not in self.object_list.query.annotations:
            return None
        return list(self.object_list.values_list("pk", flat=True))

    @cached_property
    def count(self) -> int:
        ids = self._all_ids
        return len(ids) if ids is not None else self.object_list.count()

    def page(self, number: Any) -> Page[M]:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if bottom >= top:
            return Page([], number, self)
        ids = self._all_ids
        if ids is not None:
            rows = self._rows_of(ids[bottom:top])
        else:
            page_ids = self.object_list.values("pk")[bottom:top]
            rows = self._read(self._rows().filter(pk__in=page_ids).order_by(*self._ordering()))
        return Page(rows, number, self)

    def _rows(self) -> QuerySet[M]:
        """A queryset of the model without the source's filters, fetching what the source does."""
        source = self.object_list
        rows = source.model._base_manager.using(source.db).all()
        rows.query.select_related = source.query.select_related
        rows.query.deferred_loading = source.query.deferred_loading
        return rows

    def _ordering(self) -> Sequence[Any]:
        query = self.object_list.query
        if query.order_by:
            return list(query.order_by)
        return list(self.object_list.model._meta.ordering or ()) if query.default_ordering else []

    def _rows_of(self, ids: list[Any]) -> list[Any]:
        by_id = {row.pk: row for row in self._read(self._rows().filter(pk__in=ids).order_by())}
        return [by_id[pk] for pk in ids if pk in by_id]
