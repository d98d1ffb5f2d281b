"""Search spaces archscope ships (TOML data files; ``archscope.search.space`` reads them)."""
