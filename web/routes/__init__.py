"""Core route handlers, one module per surface."""
