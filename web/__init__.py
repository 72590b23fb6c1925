"""Web layer: the Litestar application, templating, guards and shared templates."""
