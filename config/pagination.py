"""A paginator whose page query counts the list too, instead of a COUNT before it."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window

FULL_COUNT = "full_count"


def with_full_count(qs: QuerySet) -> QuerySet:
    """``qs`` with, on every row, the number of rows of the whole list (``COUNT(*) OVER ()``)."""
    return qs.annotate(**{FULL_COUNT: Window(Count("pk"))})


class CountingPaginator(Paginator):
    """Pages of a queryset annotated by ``with_full_count``: a page is one query, its rows
    carrying the list's length. A page past the end costs Django's COUNT and the last page, as
    with the stock paginator; an empty first page counts nothing. Without orphans."""

    def get_page(self, number: Any) -> Page:
        try:
            number = max(int(number), 1)
        except (TypeError, ValueError):
            number = 1
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if rows:
            self.count = getattr(rows[0], FULL_COUNT)
        elif number == 1:
            self.count = 0
        else:
            return super().get_page(number)
        return self._get_page(rows, number, self)
