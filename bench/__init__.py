"""The benchmark: a national dataset generator (``bench.generate``) and the runner (``bench.run``).

See bench/README.md. Nothing here is imported by the application.
"""
