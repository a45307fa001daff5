"""The frozen-backbone feature cache: run VGG-11 once per image, train the head many times.

Notes
-----
A model follows the convention of assignment 4: ``model.backbone`` is frozen
(no parameter requires a gradient) and always in eval mode, and ``forward``
starts with ``self.backbone(x)``; everything after it (dropout, ``model.head``)
is the part that trains. The backbone's output for an image then never changes,
so computing it every epoch is wasted work:

* :func:`cache_features` runs the backbone once per image (eval mode, no
  gradients, in batches) and returns a dataset of ``(features, label)`` pairs;
* :func:`head_only` is the same model with the backbone replaced by an identity;
  it *shares* every other module with the model, so training it on the cached
  features trains the model's head, and its checkpoints hold the head only.

Training ``head_only(model)`` on cached features computes what training
``model`` on the images computes (dropout after the backbone still draws a new
mask for every batch), without running VGG-11 in any epoch. The cache assumes
each image is always transformed the same way: random data augmentation would
need the backbone every epoch.
"""
from __future__ import annotations

import copy

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset
from tqdm import tqdm


def cache_features(backbone: nn.Module, dataset: Dataset, batch_size: int = 64, progress: bool = True) -> TensorDataset:
    """The backbone's output for every item of ``dataset``, computed once.

    dataset: yields ``(image (C, H, W), label)``.
    Returns a TensorDataset of ``features (N, F)`` and ``labels (N,)``, in the
    dataset's order, kept on the CPU (the training loop moves each batch to its
    device). The backbone runs where its parameters are (on a GPU after
    ``model.to(device)``), in eval mode; its mode is restored after.
    """
    device = next((p.device for p in backbone.parameters()), torch.device("cpu"))
    was_training = backbone.training
    backbone.eval()
    features, labels = [], []
    batches = DataLoader(dataset, batch_size=batch_size, shuffle=False)
    try:
        with torch.no_grad():
            for images, targets in tqdm(batches, desc="backbone features", disable=not progress):
                features.append(backbone(images.to(device)).cpu())
                labels.append(torch.as_tensor(targets))
    finally:
        backbone.train(was_training)
    return TensorDataset(torch.cat(features), torch.cat(labels))


def head_only(model: nn.Module) -> nn.Module:
    """``model`` with ``model.backbone`` bypassed: input ``(B, F)`` features, same output.

    The result shares the head (and any dropout) with ``model``: training one
    trains the other. ``model`` itself is not changed.
    """
    if not isinstance(getattr(model, "backbone", None), nn.Module):
        raise AttributeError(f"{type(model).__name__} has no `backbone` module to bypass")
    view = copy.copy(model)
    # A fresh module table: the view's backbone changes, the model's does not.
    view._modules = {**model._modules, "backbone": nn.Identity()}
    return view


class _BackboneInFront(nn.Module):
    """``rest(backbone(x))`` where only ``rest`` is a registered submodule (see :func:`backbone_every_batch`)."""

    def __init__(self, backbone: nn.Module, rest: nn.Module):
        super().__init__()
        self.rest = rest
        self._frozen = (backbone,)  # a tuple, not an attribute nn.Module registers: left out of state_dict()

    def forward(self, x):
        return self.rest(self._frozen[0](x))

    def _apply(self, fn, recurse=True):
        # .to(device), .cuda(), .double() reach the unregistered backbone too, so it runs where the head does.
        self._frozen[0]._apply(fn, recurse)
        return super()._apply(fn, recurse)


def backbone_every_batch(model: nn.Module) -> nn.Module:
    """``model`` as the plain loop trains it, with small checkpoints: input images, same output.

    The backbone runs on every batch (no cache), but it is not part of the
    result's state dict, so a checkpoint of the result holds only what trains
    (the head and any dropout: about 2 MB instead of 530 MB), as with
    :func:`head_only`. The result shares every module with ``model``; its
    ``train()``/``eval()`` do not reach the backbone, which stays frozen and in
    eval mode. Its state dict has the keys of ``head_only(model)``'s, prefixed by ``rest.``.
    """
    return _BackboneInFront(model.backbone, head_only(model))
