"""What autograd keeps for backward: the tensors each op saves (``saved``), reversible
couplings that keep only their outputs (``couplings``: which nodes of a graph train
reversibly; ``reversible``: the torch autograd function that recomputes them)."""
