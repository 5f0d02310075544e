"""CountingPaginator: a page is one query that counts the list too (config/pagination.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.pagination import CountingPaginator, with_full_count
from directory.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def officers():
    for n in range(5):
        User.objects.create_user(username=f"officer-{n}", password="x")
    return with_full_count(User.objects.filter(username__startswith="officer-").order_by("username"))


def test_a_page_is_one_query_that_knows_the_list_length(officers):
    with CaptureQueriesContext(connection) as ctx:
        page = CountingPaginator(officers, 2).get_page("2")
        names = [user.username for user in page]
        assert (page.number, page.paginator.count, page.paginator.num_pages) == (2, 5, 3)
        assert page.has_next() and page.has_previous()
    assert names == ["officer-2", "officer-3"]
    assert len(ctx.captured_queries) == 1


def test_a_page_out_of_range_or_not_a_number_is_answered_as_django_would(officers):
    last = CountingPaginator(officers, 2).get_page(9)
    assert (last.number, [user.username for user in last]) == (3, ["officer-4"])
    assert CountingPaginator(officers, 2).get_page("abc").number == 1
    assert CountingPaginator(officers, 2).get_page(None).number == 1
    assert CountingPaginator(officers, 2).get_page(-1).number == 1


def test_an_empty_list_is_one_query_and_one_empty_page():
    nobody = with_full_count(User.objects.filter(username="nobody").order_by("pk"))
    with CaptureQueriesContext(connection) as ctx:
        page = CountingPaginator(nobody, 2).get_page(1)
        assert (len(page), page.paginator.count, page.paginator.num_pages) == (0, 0, 1)
    assert len(ctx.captured_queries) == 1
