"""Hardware-aware architecture search over the analytic cost and latency models.

``space`` reads search spaces (TOML data; ``rules`` parses their constraint rules),
``objectives`` computes a candidate's metrics and constraint values, ``vectorized``
evaluates many candidates block-linearly (the full model's numbers), ``exhaustive``
enumerates small spaces for their true Pareto front, ``pareto`` extracts fronts and
measures their hypervolume, ``study`` runs Optuna studies on Optuna's storages,
``plan`` turns ``archscope search``'s options into a request, ``runner`` runs it and
``run`` writes the run folder.
"""
