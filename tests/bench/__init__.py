"""``make bench``: seed a throw-away database, load houqin and a bare "floor" app, compare.

Nothing here is a test (no ``test_*.py``): pytest never collects it. See
docs/performance.md for the method and the last measured figures.
"""
