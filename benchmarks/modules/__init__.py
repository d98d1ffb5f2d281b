"""Modules written as their authors' repositories write them (not archscope families),
for the benchmarks of ``archscope cost --module`` and of latency on imported modules."""
