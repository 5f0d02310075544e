"""collectstatic's ignore list, extended (Django's documented way: a StaticFilesConfig subclass
listed in INSTALLED_APPS instead of ``django.contrib.staticfiles``).

django-viewflow 2.4 ships a stray copy of ``roboto-fontface.css`` under
``viewflow/fonts/roboto/node_modules/`` whose ``url(./Roboto-*.woff2)`` references point to files
that are not beside it. Nothing uses that copy (viewflow's templates load the one in
``viewflow/fonts/roboto/``), but the production storage (whitenoise's compressed manifest
storage) hashes every CSS reference and stops collectstatic with MissingFileError on it. Skipping
``node_modules`` folders keeps the manifest storage strict for every file that is served.
"""

from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig


class StaticFilesConfig(DjangoStaticFilesConfig):
    ignore_patterns = [*DjangoStaticFilesConfig.ignore_patterns, "node_modules"]
