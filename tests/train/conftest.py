import pytest

from archscope.train import TrainConfig

TINY = {"widths": [8, 16], "depths": [1, 1], "stem_channels": 8, "head_channels": 16}


@pytest.fixture
def tiny_config(tmp_path):
    def make(**changes):
        values = dict(
            family="ndnet",
            hyper=TINY,
            steps=8,
            batch=2,
            crop=(32, 32),
            eval_every=4,
            eval_images=4,
            checkpoint_every=3,
            out=tmp_path / "run",
        )
        values.update(changes)
        return TrainConfig(**values)

    return make
