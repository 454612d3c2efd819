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
