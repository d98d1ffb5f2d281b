"""Family tests run many tiny networks: one torch thread is faster for them (no thread
spin-up per op, no contention on a busy 2-core CI runner) and their counts do not depend
on it."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
