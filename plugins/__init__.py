"""Built-in service plugins, one package per slug (see plugins.toml)."""
