"""The report's figures, each as two functions (optuna's split): ``*_info`` gathers
plain data (what the tests check) and ``*_figure`` draws it as a plotly Figure."""

from archscope.report.figures.accuracy import AccuracyInfo, accuracy_figure, accuracy_info
from archscope.report.figures.breakdown import BreakdownInfo, GroupBy, breakdown_figure, breakdown_info
from archscope.report.figures.curves import CurvesInfo, learning_curves_figure, learning_curves_info
from archscope.report.figures.pareto import ParetoFrontInfo, pareto_front_figure, pareto_front_info
from archscope.report.figures.roofline import RooflineInfo, roofline_figure, roofline_info
from archscope.report.figures.space_map import SpaceMapInfo, space_map_figure, space_map_info, space_table
from archscope.report.figures.trials import TrialsInfo, trials_figure, trials_info
from archscope.report.figures.validation import ValidationInfo, validation_figure, validation_info

__all__ = [
    "AccuracyInfo",
    "CurvesInfo",
    "accuracy_figure",
    "accuracy_info",
    "learning_curves_figure",
    "learning_curves_info",
    "BreakdownInfo",
    "GroupBy",
    "ParetoFrontInfo",
    "RooflineInfo",
    "SpaceMapInfo",
    "TrialsInfo",
    "ValidationInfo",
    "breakdown_figure",
    "breakdown_info",
    "pareto_front_figure",
    "pareto_front_info",
    "roofline_figure",
    "roofline_info",
    "space_map_figure",
    "space_map_info",
    "space_table",
    "trials_figure",
    "trials_info",
    "validation_figure",
    "validation_info",
]
