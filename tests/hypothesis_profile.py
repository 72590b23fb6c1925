"""The hypothesis profile of the suite, as a pytest plugin of its own so that runs
without the conftest (``make mutate`` runs the pure rule tests that way) use it too.

No per-example deadline: CI shares two cores with PostgreSQL, Redis and Chromium, and a
slow example is not a failing one. Examples stay bounded by max_examples.
"""

from hypothesis import settings

settings.register_profile("houqin", deadline=None, print_blob=True)
settings.load_profile("houqin")
