"""Configurations read back from a search run's pareto.csv."""

import pytest

from archscope.search.folder import RunError, read_row


def write_front(tmp_path, text):
    (tmp_path / "pareto.csv").write_text(text)
    return tmp_path


@pytest.mark.parametrize(("text", "expected"), [("False", False), ("True", True), ("false", False)])
def test_a_bool_column_is_read_as_written(tmp_path, text, expected):
    run = write_front(tmp_path, f"family,alpha2,alpha3,decoder,params\nespnet,2,8,{text},1000\n")
    family, hyper = read_row(run, 0)
    assert family == "espnet"
    assert hyper["decoder"] is expected
    assert hyper["alpha2"] == 2 and hyper["alpha3"] == 8


def test_a_bool_column_that_is_not_a_bool_is_refused(tmp_path):
    run = write_front(tmp_path, "family,decoder\nespnet,maybe\n")
    with pytest.raises(RunError, match="maybe"):
        read_row(run, 0)
