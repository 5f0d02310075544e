"""Bulk writing with PostgreSQL's COPY, driven by the Django models' own metadata.

Rows are given by attribute name (``plan_id``, ``status``…); every other column takes the model
field's default, so a column another engineer adds with a default does not break the generator,
while a new required column fails loudly at COPY time. Ids are allocated here (above the
table's current maximum) so that rows of several tables can reference each other before they
are written; ``finish`` moves each sequence past the ids used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection, models

_NO_DEFAULT = object()


class Table:
    """One model's table: column order, defaults, and an id counter."""

    def __init__(self, model: type[models.Model], *, with_pk: bool = True) -> None:
        self.model = model
        self.name = model._meta.db_table
        pk = model._meta.pk
        self.fields = [f for f in model._meta.concrete_fields if with_pk or f is not pk]
        self.columns = [f.column for f in self.fields]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.json = [i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)]
        self.defaults = [self._default(f) for f in self.fields]
        self.with_pk = with_pk
        self.rows: list[list[Any]] = []
        self.written = 0
        self.next_id = self._max_id() + 1 if with_pk else 0

    @staticmethod
    def _default(f: models.Field) -> Any:
        if f.has_default():
            value = f.get_default()
            return value if isinstance(f, models.JSONField) else f.get_prep_value(value)
        if f.null:
            return None
        if isinstance(f, models.CharField | models.TextField) and f.blank:
            return ""
        return _NO_DEFAULT

    def _max_id(self) -> int:
        with connection.cursor() as cursor:
            # Identifiers from the model's metadata, not from input.
            cursor.execute(f'SELECT COALESCE(MAX("{self.model._meta.pk.column}"), 0) FROM "{self.name}"')  # noqa: S608
            return cursor.fetchone()[0]

    def new_id(self) -> int:
        value = self.next_id
        self.next_id += 1
        return value

    def add(self, **values: Any) -> None:
        row = list(self.defaults)
        index = self.index
        for key, value in values.items():
            row[index[key]] = value
        self.rows.append(row)

    def flush(self) -> int:
        """COPY the buffered rows; return how many were written."""
        if not self.rows:
            return 0
        missing = [self.columns[i] for i, v in enumerate(self.rows[0]) if v is _NO_DEFAULT]
        if missing:
            raise ValueError(f"{self.name}: no value for required column(s) {missing}")
        columns = ", ".join(f'"{c}"' for c in self.columns)
        with connection.cursor() as cursor, cursor.cursor.copy(f'COPY "{self.name}" ({columns}) FROM STDIN') as copy:
            for row in self.rows:
                for i in self.json:
                    if row[i] is not None:
                        row[i] = json.dumps(row[i], ensure_ascii=False)
                copy.write_row(row)
        count = len(self.rows)
        self.written += count
        self.rows = []
        return count

    def finish(self) -> None:
        """Move the id sequence past every id handed out."""
        if not self.with_pk or self.next_id <= 1:
            return
        pk = self.model._meta.pk.column
        with connection.cursor() as cursor:
            cursor.execute(
                'SELECT setval(pg_get_serial_sequence(%s, %s), GREATEST(%s, (SELECT COALESCE(MAX("' + pk + '"), 1) '
                f'FROM "{self.name}")))',
                [self.name, pk, self.next_id - 1],
            )


def flush_all(tables: Iterable[Table]) -> None:
    """Write tables in the order given (parents before children)."""
    for table in tables:
        table.flush()
