import pytest
import torch


@pytest.fixture(scope="session")
def body():
    """The body model, built once per test session (the first build ever takes about a minute)."""
    from liquidwarp.body import BodyModel

    return BodyModel()


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(scope="module")
def one_thread():
    """Torch on one thread for a module of tiny-tensor tests: they gain nothing from a second
    thread, and on a busy 2-core machine every OpenMP region waits for the descheduled one (10x
    slower measured)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
