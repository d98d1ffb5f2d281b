"""``python -m archscope``: the command line (used to re-execute with tuned malloc)."""

from archscope.cli import entry

if __name__ == "__main__":
    entry()
