"""Training memory: the predicted peak of a training step (``predict``, from the cost
model and ``archscope.autograd.saved``), its measurement (``measure``, imports torch)
and device memory sizes (``devices``, from the device profiles)."""
