"""Cohorts: the networks a search chose (its front, or chosen rows) and the paper's
networks, trained together under one recipe, by one or many workers sharing an Optuna
storage; ``DIR/summary.csv`` compares their accuracy with their predicted speed
(``archscope train --from RUN --rows front --baselines ndnet29,ndnet45,ndnet61 --out DIR``).

networks.py  which networks (rows of a run, presets), with the search's metrics
work.py      the work list: an Optuna study with one trial per network
runner.py    a worker: take the next network, train it, record it
summary.py   DIR/summary.csv
folder.py    a cohort folder read back (for reports)
progress.py  the progress display over networks
"""
