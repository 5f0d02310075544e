"""collectstatic skips viewflow's stray node_modules copy and nothing that is served."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.utils import get_files

from ops.staticfiles import StaticFilesConfig


def _collected(ignore_patterns: list[str]) -> set[str]:
    return {path for finder in finders.get_finders() for path, _storage in finder.list(ignore_patterns)}


def test_node_modules_folders_are_not_collected_but_the_used_font_css_is():
    paths = _collected(StaticFilesConfig.ignore_patterns)
    assert not [p for p in paths if "node_modules" in p]
    assert "viewflow/fonts/roboto/roboto-fontface.css" in paths
    everything = _collected(list(StaticFilesConfig.ignore_patterns[:-1]))
    assert "viewflow/fonts/roboto/node_modules/roboto-fontface/css/roboto/roboto-fontface.css" in everything


def test_get_files_is_the_function_collectstatic_uses():
    # Guard against Django renaming it: the ignore list only matters through it.
    assert callable(get_files)
