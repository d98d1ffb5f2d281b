"""Process-wide CLI state: the arguments of this invocation, and whether this process
may re-execute itself (only the real console entry point may; in-process calls of
``main`` from tests or notebooks never do)."""

argv: list[str] = []
reexec_allowed: bool = False
