"""Shipped device profiles (TOML data files; see ``archscope.latency.profile``)."""
