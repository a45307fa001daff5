"""VGG-11 weights offline (cnnkit.weights) and the frozen-backbone feature cache (cnncourse.features).

The real loading path is exercised with a state dict saved under torchvision's
file name in a temporary TORCH_HOME; any attempt to reach the network fails
the test. A state dict of VGG-11 is 530 MB, so it is written once per module.
"""
import contextlib
import io
import socket

import pytest
import torch
import torchvision.models._api
from torch import nn
from torch.utils.data import TensorDataset
from torchvision.models import vgg11

from cnncourse import features, vgg
from cnncourse.devices import recorded_moves
from cnnkit import notebooks, weights
from cnnkit.cli import main as cli

ASSIGNMENT = "04_vgg_transfer"
PROBES = ("features.0.weight", "classifier.6.bias")  # first and last layer


@pytest.fixture(scope="module")
def saved_vgg(tmp_path_factory):
    """A TORCH_HOME whose cache holds a VGG-11 state dict (seed 123, not the offline profile's)."""
    torch_home = tmp_path_factory.mktemp("torch_home")
    path = torch_home / "hub" / "checkpoints" / weights.FILE_NAME
    path.parent.mkdir(parents=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(123)
        state = vgg11().state_dict()
    torch.save(state, path)
    return torch_home, path, {name: state[name].clone() for name in PROBES}


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network, no weights setting, not grading, an empty TORCH_HOME (tests may override)."""
    def refuse(*args, **kwargs):
        raise AssertionError("loading VGG-11 weights tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)
    monkeypatch.delenv(weights.WEIGHTS_ENV, raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_torch_home"))
    return monkeypatch


def same_probes(model, expected) -> bool:
    state = model.state_dict()
    return all(torch.equal(state[name], tensor) for name, tensor in expected.items())


def test_cache_path_follows_torch_home(offline, tmp_path):
    offline.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert weights.cache_path() == tmp_path / "th" / "hub" / "checkpoints" / "vgg11-8a719046.pth"


def test_real_path_reads_the_cached_file_through_torchvision_without_network(offline, saved_vgg, capsys):
    torch_home, path, probes = saved_vgg
    offline.setenv("TORCH_HOME", str(torch_home))
    urls = []
    original = torchvision.models._api.load_state_dict_from_url

    def spy(url, *args, **kwargs):
        urls.append(url)
        return original(url, *args, **kwargs)

    offline.setattr(torchvision.models._api, "load_state_dict_from_url", spy)
    model = weights.load_vgg11()
    assert urls == [weights.URL], "the weights must come through vgg11(weights=VGG11_Weights.IMAGENET1K_V1)"
    assert same_probes(model, probes)
    assert f"pretrained weights from torchvision cache {path}" in capsys.readouterr().out


def test_missing_weights_say_where_to_put_them(offline):
    with pytest.raises(weights.WeightsNotFoundError) as error:
        weights.resolve()
    message = str(error.value)
    assert str(weights.cache_path()) in message
    assert "tell your instructor" in message, "a student must learn whom to ask"
    assert "python -m cnnkit weights install" in message and "TORCH_HOME" in message
    assert "COURSE_VGG_WEIGHTS=random" in message


def test_explicit_file(offline, saved_vgg, capsys):
    _, path, probes = saved_vgg
    offline.setenv(weights.WEIGHTS_ENV, str(path))
    assert same_probes(weights.load_vgg11(), probes)
    assert f"COURSE_VGG_WEIGHTS={path}" in capsys.readouterr().out


def test_explicit_file_that_does_not_exist(offline, tmp_path):
    offline.setenv(weights.WEIGHTS_ENV, str(tmp_path / "nowhere.pth"))
    with pytest.raises(weights.WeightsNotFoundError, match="nowhere.pth"):
        weights.load_vgg11()


def test_explicit_file_that_is_not_vgg11(offline, tmp_path):
    path = tmp_path / "other.pth"
    torch.save(nn.Linear(2, 2).state_dict(), path)
    offline.setenv(weights.WEIGHTS_ENV, str(path))
    with pytest.raises(RuntimeError, match="is not a VGG-11 state dict"):
        weights.load_vgg11()


def test_offline_profile_is_announced_seeded_and_leaves_the_rng_alone(offline, saved_vgg, capsys):
    offline.setenv(weights.WEIGHTS_ENV, "random")
    torch.manual_seed(5)
    expected_draw = torch.rand(3)
    torch.manual_seed(5)
    first = weights.load_vgg11()
    assert torch.equal(torch.rand(3), expected_draw), "loading must not consume the caller's random numbers"
    vgg._random_state.cache_clear()
    second = weights.load_vgg11()
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))
    assert not same_probes(first, saved_vgg[2])
    out = capsys.readouterr().out
    assert "offline profile" in out and "randomly initialised backbone" in out


def test_grading_without_weights_falls_back_to_the_offline_profile(offline, capsys):
    offline.setenv("NBGRADER_EXECUTION", "autograde")
    assert isinstance(weights.load_vgg11(), nn.Module)
    out = capsys.readouterr().out
    assert "offline profile" in out and "grading" in out


def test_install_rejects_a_file_of_the_wrong_size(tmp_path):
    fake = tmp_path / "fake.pth"
    fake.write_bytes(b"x" * 1000)
    target = tmp_path / "cache" / weights.FILE_NAME
    with pytest.raises(weights.WeightsRejected, match=r"1000 bytes .* expected 506.84 MiB"):
        weights.install(fake, target)
    assert not target.exists()


def test_install_rejects_a_file_with_the_wrong_hash(tmp_path):
    fake = tmp_path / "fake.pth"
    fake.write_bytes(b"not the weights" * 100)
    wrong = "0" * 8 if not weights.sha256(fake).startswith("0" * 8) else "f" * 8
    target = tmp_path / "cache" / weights.FILE_NAME
    with pytest.raises(weights.WeightsRejected, match=f"SHA-256 starts with .*, expected {wrong}"):
        weights.install(fake, target, sha256_prefix=wrong, size_mib=fake.stat().st_size / 2**20)
    assert not target.exists()


def test_install_copies_a_checked_file_into_the_torch_cache(offline, tmp_path):
    offline.setenv("TORCH_HOME", str(tmp_path / "shared"))
    fake = tmp_path / "fake.pth"
    fake.write_bytes(b"pretend weights" * 1000)
    installed = weights.install(fake, sha256_prefix=weights.sha256(fake)[:8], size_mib=fake.stat().st_size / 2**20)
    assert installed == weights.cache_path()
    assert installed.read_bytes() == fake.read_bytes()
    assert installed.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in installed.parent.iterdir()] == [weights.FILE_NAME]


def test_weights_command(offline, tmp_path, capsys):
    fake = tmp_path / "fake.pth"
    fake.write_bytes(b"x")
    assert cli(["weights", "install", str(fake)]) == 1
    assert "nothing installed" in capsys.readouterr().err
    assert cli(["weights", "status"]) == 1
    assert "python -m cnnkit weights install" in capsys.readouterr().out
    offline.setenv(weights.WEIGHTS_ENV, "random")
    assert cli(["weights"]) == 0
    assert "randomly initialised backbone" in capsys.readouterr().out


# ---------------------------------------------------------------- feature cache


class TinyAdapted(nn.Module):
    """The assignment's convention in miniature: a frozen backbone with its own dropout, then dropout and a head."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Dropout(0.5))
        self.backbone.requires_grad_(False)
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Sequential(nn.Linear(16, 1), nn.Sigmoid())

    def train(self, mode=True):
        super().train(mode)
        self.backbone.eval()
        return self

    def forward(self, x):
        return self.head(self.dropout(self.backbone(x)))


def test_cache_features_uses_eval_mode_and_restores_the_mode():
    model = TinyAdapted()
    model.backbone.train()
    images = torch.randn(10, 3, 4, 4)
    cached = features.cache_features(model.backbone, TensorDataset(images, torch.arange(10) % 2), batch_size=4,
                                     progress=False)
    x, y = cached.tensors
    assert model.backbone.training, "the backbone's mode must be restored"
    with torch.no_grad():
        assert torch.equal(x, model.backbone.eval()(images))
    assert torch.equal(y, torch.arange(10) % 2)


def test_cache_features_runs_each_batch_where_the_backbone_is():
    """On a GPU the images must follow the backbone; on this CPU the recorder sees the moves."""
    model = TinyAdapted()
    images = TensorDataset(torch.randn(10, 3, 4, 4), torch.arange(10) % 2)
    with recorded_moves(model.backbone) as moves:
        cached = features.cache_features(model.backbone, images, batch_size=4, progress=False)
    assert moves.forwards() and moves.unmoved_inputs() == 0
    assert cached.tensors[0].device.type == "cpu"


def test_backbone_every_batch_moves_the_frozen_backbone_with_the_head():
    """.to(device) on the view reaches the backbone it keeps out of its state dict (seen here with a dtype)."""
    model = TinyAdapted()
    view = features.backbone_every_batch(model).double()
    assert {p.dtype for p in model.parameters()} == {torch.float64}
    assert view(torch.randn(2, 3, 4, 4, dtype=torch.float64)).shape == (2, 1)
    assert set(view.state_dict()) == {"rest.head.0.weight", "rest.head.0.bias"}


def test_head_only_shares_the_head_and_leaves_the_model_alone():
    model = TinyAdapted()
    view = features.head_only(model)
    assert view.head is model.head and view.dropout is model.dropout
    assert isinstance(model.backbone, nn.Sequential) and isinstance(view.backbone, nn.Identity)
    assert set(view.state_dict()) == {"head.0.weight", "head.0.bias"}
    model.eval()
    view.eval()
    images = torch.randn(3, 3, 4, 4)
    with torch.no_grad():
        assert torch.allclose(view(model.backbone(images)), model(images))
    with pytest.raises(AttributeError, match="no `backbone`"):
        features.head_only(nn.Linear(2, 1))


def test_cached_training_gives_the_same_head_as_the_plain_loop(offline, course):
    """The reference transfer_train on DropoutAdaptedVGG (offline profile, 32 px), with and without the cache."""
    offline.setenv(weights.WEIGHTS_ENV, "random")
    reference = notebooks.reference_namespace(course.source_notebook(ASSIGNMENT))
    reference["store_checkpoint"] = lambda model, epoch, directory=None: None
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(18, 3, 32, 32, generator=generator)
    labels = torch.randint(0, 2, (18,), generator=generator)
    train, val = TensorDataset(images[:12], labels[:12]), TensorDataset(images[12:], labels[12:])

    def trained(cached: bool):
        torch.manual_seed(1)
        model = reference["DropoutAdaptedVGG"]()
        initial = model.head[0].weight.clone()
        inputs = (features.cache_features(model.backbone, train, progress=False),
                  features.cache_features(model.backbone, val, progress=False)) if cached else (train, val)
        torch.manual_seed(2)
        with contextlib.redirect_stderr(io.StringIO()):
            history = reference["transfer_train"](features.head_only(model) if cached else model, *inputs,
                                                  epochs=2, batch_size=6, learning_rate=1e-3, patience=2)
        assert not torch.equal(model.head[0].weight, initial), "the head did not train"
        return model.eval(), history

    plain, plain_history = trained(cached=False)
    cached, cached_history = trained(cached=True)
    with torch.no_grad():
        assert torch.allclose(plain(images), cached(images), atol=1e-5)
    assert plain_history["val_loss"] == pytest.approx(cached_history["val_loss"], rel=1e-4)
