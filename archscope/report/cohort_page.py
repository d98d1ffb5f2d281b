"""The report of a cohort (``archscope train --rows ... --out DIR``): accuracy against
predicted speed, the learning curves, the summary table and the recipe."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from archscope.report.figures.accuracy import accuracy_figure, accuracy_info
from archscope.report.figures.common import si
from archscope.report.figures.curves import learning_curves_figure, learning_curves_info
from archscope.report.markup import Column, fixed, integer, labelled, percent, pre, table
from archscope.report.page import Page, Section

if TYPE_CHECKING:
    import pandas as pd

    from archscope.cohort.folder import CohortFolder


def recipe_text(recipe: Mapping[str, Any]) -> str:
    """``300 steps of batch 8 on 64x64 crops of shapes, lr 0.1 (step schedule), seed 0``."""
    crop = "x".join(str(v) for v in recipe.get("crop", []))
    return (f"{recipe.get('steps')} steps of batch {recipe.get('batch')} on {crop} crops of {recipe.get('data')}, "
            f"lr {recipe.get('lr')} ({recipe.get('schedule')} schedule), seed {recipe.get('seed')}")


def _faster_and_better(baseline: Mapping[str, Any], chosen: pd.DataFrame) -> list[str]:
    better = chosen[(chosen["fps"] >= float(baseline["fps"])) & (chosen["miou"] >= float(baseline["miou"]))]
    return [f"{r['name']} ({r['label']}, {100 * r['miou']:.1f}% at {r['fps']:.1f} fps)"
            for r in better.to_dict(orient="records")]


def _baseline_sentence(baseline: Mapping[str, Any], chosen: pd.DataFrame) -> str:
    head = (f"{baseline['name']} ({baseline['label']}): mIoU {100 * baseline['miou']:.1f}% at "
            f"{baseline['fps']:.1f} predicted fps")
    better = _faster_and_better(baseline, chosen)
    if not better:
        return f"{head}; none of the search's networks is both as fast and as accurate."
    return f"{head}; as fast and at least as accurate: {', '.join(better)}."


def cohort_summary(cohort: CohortFolder) -> list[str]:
    summary, trained = cohort.summary, cohort.trained
    info = cohort.cohort
    kinds = summary["kind"].value_counts().to_dict()
    nouns = {"front": "front point", "trial": "trial", "baseline": "baseline"}
    made_of = ", ".join(f"{count} {nouns.get(kind, kind)}{'s' if count > 1 else ''}" for kind, count in kinds.items())
    lines = [f"{len(summary)} networks ({made_of}) from the search run {info.get('run', '?')}, trained under one "
             f"recipe: {recipe_text(cohort.recipe)}. Speeds are the latency model's predictions on "
             f"{info.get('device', '?')} at {info.get('resolution', '?')}, the search's setting."]
    unfinished = summary[summary["state"] != "done"]
    if len(unfinished):
        states = ", ".join(f"{r['name']} ({r['state']})" for r in unfinished.to_dict(orient="records"))
        lines.append(f"Not trained yet: {states}.")
    if trained.empty:
        return lines + ["No network has finished training yet."]
    best = trained.loc[trained["miou"].idxmax()]
    lines.append(f"Most accurate: {best['name']} ({best['label']}), mIoU {100 * best['miou']:.1f}% at "
                 f"{best['fps']:.1f} fps.")
    chosen = trained[trained["kind"] != "baseline"]
    lines += [_baseline_sentence(r, chosen) for r in trained[trained["kind"] == "baseline"].to_dict(orient="records")]
    return lines


def _number(digits: int) -> Any:
    show = fixed(digits)
    return lambda value: "-" if value != value else show(value)


def _share(value: Any) -> str:
    return "-" if value != value else percent(value)


SUMMARY_COLUMNS = [
    Column("name", "network", text=True),
    Column("kind", "kind", text=True),
    Column("label", "configuration", text=True),
    Column("layers", "layers", integer),
    Column("params", "params", integer),
    Column("macs", "MACs", si),
    Column("latency_ms", "predicted latency (ms)", fixed(2)),
    Column("fps", "predicted fps", fixed(2)),
    Column("miou", "mIoU", _share),
    Column("pixel_accuracy", "pixel accuracy", _share),
    Column("images_per_s", "images/s", _number(1)),
    Column("train_s", "train time (s)", _number(0)),
    Column("state", "state", text=True),
]


def cohort_page(cohort: CohortFolder, *, command: str = "") -> Page:
    accuracy = accuracy_info(cohort)
    curves = learning_curves_info(cohort)
    accuracy_text = ("Each trained network's mIoU (last evaluation) against the fps the latency model predicts for "
                     "it on the search's device and input size. The search's networks are dots joined in order of "
                     "fps; the paper's networks are stars. Hover for the configuration, layers, params and fps.")
    curves_text = "mIoU at every evaluation and the training loss of each network; the paper's networks dashed."
    if curves.missing:
        curves_text += f" Without a metrics.csv in this folder: {', '.join(curves.missing)}."
    commands = {"The networks were trained with": str(cohort.cohort.get("command", "")),
                "This report was made with": command}
    config = (cohort.path / "cohort.toml").read_text()
    sections = [
        Section("Accuracy against speed", accuracy_text, accuracy_figure(accuracy)),
        Section("Learning curves", curves_text, learning_curves_figure(curves)),
        Section("Every network", "summary.csv, as a table.",
                html=table(cohort.summary.to_dict(orient="records"), SUMMARY_COLUMNS)),
        Section("Recipe", "The folder's cohort.toml:", html=labelled(commands) + pre(config)),
    ]
    return Page(title=f"archscope training report: {cohort.path.name}", summary=cohort_summary(cohort),
                sections=sections, command=command)
