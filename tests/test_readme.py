"""The README's Python examples run and print what it says."""

import doctest
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_examples():
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 4
    assert result.failed == 0


def test_readme_opens_with_the_two_setup_commands():
    lines = README.read_text().split("```")[1].splitlines()[1:3]
    assert lines[0].startswith("pip install torch==2.13.0 ") and "archscope cost ndnet" in lines[0]
    assert "pytest" in lines[1]
