"""Searching plans and tasks the way officers type: "sin suoi ho" finds "Sin Suối Hồ".

One function, ``plan_search_q(term)``, turns what was typed into a filter on plans; every
caller applies it to a queryset already scoped to what the officer may see
(``planning.selectors.plan_list``, the inbox), so a search never widens the scope.

A term is split into words; every word must match one of: the unit's name or official code,
the plan's number ("12/KH-UBND"), the cycle's year, the plan type's or status's label. Case and
Vietnamese diacritics are ignored on both sides:

* PostgreSQL: ``lower(unaccent(column)) LIKE '%word%'`` with the ``unaccent`` extension
  (migration ``planning.0007_unaccent_extension``; a trusted extension since PostgreSQL 13, so
  the owner role that runs migrations may create it);
* elsewhere (the SQLite demo and tests): the same fold in Python (``fold``: NFD, marks
  stripped, đ → d) over the units' names, one query for the matching unit ids.

Either way a constant number of queries, whatever the number of plans.
"""

from __future__ import annotations

import unicodedata

from django.db import connection
from django.db.models import CharField, F, Func, Q, QuerySet
from django.db.models.functions import Lower

from directory.models import AdministrativeUnit
from planning.models import PlanStatus, PlanType

MAX_WORDS = 8
MAX_LENGTH = 100


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics: “Sin Suối Hồ” → “sin suoi ho”, “Đ” → “d”."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


def words(term: str | None) -> list[str]:
    """The folded words of a search term (at most ``MAX_WORDS``, the term cut at ``MAX_LENGTH``)."""
    return fold((term or "")[:MAX_LENGTH]).split()[:MAX_WORDS]


class Unaccent(Func):
    function = "UNACCENT"
    output_field = CharField()


def _folded(field: str) -> Func:
    return Lower(Unaccent(F(field)))


def _label_matches(word: str, choices) -> list[str]:
    """Choices whose label has the word, whole or (four letters and more) as a word's start:
    "tra lai" finds "Bị trả lại", "ho" does not find "Hoàn thành"."""

    def has(label: str) -> bool:
        return any(w == word or (len(word) >= 4 and w.startswith(word)) for w in fold(label).split())

    return [value for value, label in choices if has(str(label))]


def _units_matching(found: list[str]) -> dict[str, list[int]]:
    """Python-side fold (not PostgreSQL): for each word, the ids of the units whose folded name
    contains it; one query for all the words."""
    out: dict[str, list[int]] = {word: [] for word in found}
    for pk, name in AdministrativeUnit.objects.values_list("pk", "name").iterator():
        folded = fold(name or "")
        for word in found:
            if word in folded:
                out[word].append(pk)
    return out


def plan_search_q(term: str | None, prefix: str = "") -> Q | None:
    """A filter on plans (``prefix`` "plan__" for a task) for what was typed; None for nothing."""
    found = words(term)
    if not found:
        return None
    postgres = connection.vendor == "postgresql"
    units = {} if postgres else _units_matching(found)
    q = Q()
    for word in found:
        either = Q(**{f"{prefix}unit__code__iexact": word}) | Q(**{f"{prefix}number_symbol__icontains": word})
        if postgres:
            either |= Q(_search_unit__contains=word) | Q(_search_number__contains=word)
        else:
            either |= Q(**{f"{prefix}unit_id__in": units[word]})
        if word.isdigit() and len(word) == 4:
            either |= Q(**{f"{prefix}cycle__year": int(word)})
        statuses = _label_matches(word, PlanStatus.choices)
        if statuses:
            either |= Q(**{f"{prefix}status__in": statuses})
        types = _label_matches(word, PlanType.choices)
        if types:
            either |= Q(**{f"{prefix}plan_type__in": types})
        q &= either
    return q


def search(qs: QuerySet, term: str | None, prefix: str = "") -> QuerySet:
    """``qs`` (plans, or tasks with ``prefix="plan__"``) narrowed to what ``term`` finds."""
    q = plan_search_q(term, prefix)
    if q is None:
        return qs
    if connection.vendor == "postgresql":
        qs = qs.annotate(_search_unit=_folded(f"{prefix}unit__name"), _search_number=_folded(f"{prefix}number_symbol"))
    return qs.filter(q)
