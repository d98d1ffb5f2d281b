"""Training hooks the tests share."""

from archscope.train import TrainHook


class CrashAt(TrainHook):
    """Raises before step ``step``: a run that dies mid-way."""

    def __init__(self, step):
        self.step = step

    def before_step(self, state):
        if state.step == self.step:
            raise RuntimeError("simulated crash")
