"""Search as you type over the project list (``ProjectTextIndex``): the in-memory matches are what ``LIKE``
finds in the table, in the list's order, and the first page (``first``) is the start of the whole match,
however the terms were typed before."""

from __future__ import annotations

from pathlib import Path

import pytest

from zsfield.seed import seed_database
from zsfield.store import Store
from zsfield.store.read.projects import ProjectFilter, ProjectTextIndex, list_projects

TERMS = ["新", "新能", "新能源", "科", "科技", "a", "ab", "ltd", "有限公司", "zzz-none", "  科技  ", "-"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path = Path(tmp_path_factory.mktemp("search")) / "zsfield.db"
    seed_database(path, projects=1500, seed=11)
    s = Store.open(path)
    yield s
    s.close()


def _like(store: Store, term: str) -> list[str]:
    """The table's own answer: the whole list for the text filter (LIKE), in the default order."""
    page = list_projects(store, ProjectFilter(text=term), limit=100_000)
    return [row.id for row in page.rows]


def test_the_index_finds_what_like_finds_in_the_same_order(store: Store) -> None:
    index = ProjectTextIndex.build(store)
    assert len(index) == len(_like(store, ""))
    for term in TERMS:
        assert list(index.matching(term)) == _like(store, term.strip()), term


@pytest.mark.parametrize("n", [1, 50, 400])
def test_first_is_the_start_of_the_whole_match_typed_or_not(store: Store, n: int) -> None:
    fresh = ProjectTextIndex.build(store)
    for term in TERMS:  # nothing cached yet for this term: the scan stops early
        assert fresh.first(term, n) == ProjectTextIndex.build(store).matching(term)[:n], term
    typed = ProjectTextIndex.build(store)
    for term in TERMS:  # as typed: each term's matches cached, the next term searched within them
        whole = typed.matching(term)
        assert typed.first(term, n) == whole[:n], term
    assert fresh.first("", n) == fresh.matching("")[:n]
    some = [term for term in TERMS if _like(store, term.strip())]
    assert len(some) >= 6  # the demo data has matches for most terms: the check is not vacuous
