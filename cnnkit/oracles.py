"""Independent reference results for the NumPy assignments, computed with PyTorch.

The notebooks use NHWC images ``(B, h, w, F)`` and kernels ``(K, K, F_in, F_out)``;
PyTorch uses NCHW and ``(F_out, F_in, K, K)``. These functions transpose, call
``torch.nn.functional`` in float64 and transpose back, so the hidden tests
compare a student's NumPy code with code that shares nothing with it.

Notes
-----
``torch.nn.functional.conv2d`` computes a cross-correlation, which is exactly
eq. (1) of the assignment: z[p, q] = sum_{i,j,f} k[i, j, f, g] x[pS+i, qS+j, f].
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def _fresh(array: np.ndarray) -> np.ndarray:
    """A C-ordered float64 copy; torch rejects the negative strides a flipped view can keep."""
    return np.array(array, dtype=np.float64, order="C", copy=True)


def _nchw(images: np.ndarray) -> torch.Tensor:
    """(B, h, w, F) NumPy -> (B, F, h, w) float64 tensor."""
    return torch.from_numpy(_fresh(np.asarray(images).transpose(0, 3, 1, 2)))


def _nhwc(tensor: torch.Tensor) -> np.ndarray:
    """(B, F, h, w) tensor -> (B, h, w, F) NumPy float64."""
    return tensor.detach().numpy().transpose(0, 2, 3, 1).copy()


def _weight(kernels: np.ndarray) -> torch.Tensor:
    """(K, K, F_in, F_out) -> (F_out, F_in, K, K) float64 tensor."""
    return torch.from_numpy(_fresh(np.asarray(kernels).transpose(3, 2, 0, 1)))


def pad(images: np.ndarray, padding: int) -> np.ndarray:
    """Zero padding of the two spatial axes: (B, h, w, F) -> (B, h+2P, w+2P, F)."""
    return _nhwc(F.pad(_nchw(images), (padding,) * 4))


def conv2d(kernels, images, stride: int = 1, padding: int = 0, bias=None) -> np.ndarray:
    """Eq. (1)/(4): (K,K,F_in,F_out) * (B,h,w,F_in) -> (B,h_out,w_out,F_out)."""
    b = None if bias is None else torch.from_numpy(np.asarray(bias, dtype=np.float64).reshape(-1))
    return _nhwc(F.conv2d(_nchw(images), _weight(kernels), b, stride=stride, padding=padding))


def max_pool(images, kernel_size: int, stride: int) -> np.ndarray:
    """Max over K x K windows every S pixels: (B,h,w,F) -> (B,h_out,w_out,F)."""
    return _nhwc(F.max_pool2d(_nchw(images), kernel_size, stride))


def conv2d_backward(kernels, images, upstream, stride: int = 1, padding: int = 0, bias=None):
    """Gradients of sum(upstream * conv2d(...)) by autograd: (dL/dx, dL/dk, dL/db).

    Shapes: dL/dx (B,h,w,F_in), dL/dk (K,K,F_in,F_out), dL/db (F_out,).
    """
    x = _nchw(images).requires_grad_()
    w = _weight(kernels).requires_grad_()
    b = torch.zeros(w.shape[0], dtype=torch.float64) if bias is None else torch.from_numpy(
        np.asarray(bias, dtype=np.float64).reshape(-1).copy())
    b.requires_grad_()
    out = F.conv2d(x, w, b, stride=stride, padding=padding)
    out.backward(_nchw(upstream))
    return _nhwc(x.grad), w.grad.numpy().transpose(2, 3, 1, 0).copy(), b.grad.numpy().copy()


def max_pool_backward(images, kernel_size: int, stride: int, upstream) -> np.ndarray:
    """dL/dx of sum(upstream * max_pool(x)) by autograd; use inputs without ties."""
    x = _nchw(images).requires_grad_()
    F.max_pool2d(x, kernel_size, stride).backward(_nchw(upstream))
    return _nhwc(x.grad)


def dilate(images, dilation: int) -> np.ndarray:
    """D - 1 zeros between neighbouring pixels: (B, h, w, F) -> (B, (h-1)D+1, (w-1)D+1, F).

    Computed as a transposed convolution with a 1 x 1 identity kernel per filter,
    which spreads the input pixels ``dilation`` apart and fills the gaps with zeros.
    """
    x = _nchw(images)
    filters = x.shape[1]
    identity = torch.ones(filters, 1, 1, 1, dtype=torch.float64)
    return _nhwc(F.conv_transpose2d(x, identity, stride=dilation, groups=filters))


def linear_backward(inputs, weights, bias, upstream):
    """Gradients of sum(upstream * (inputs @ weights + bias)) by autograd: (dL/dx, dL/dW, dL/db).

    inputs: (..., F_in), e.g. (B, F_in) or (B, 1, 1, F_in); weights (F_in, F_out); bias (F_out,).
    """
    x = torch.tensor(np.asarray(inputs, dtype=np.float64), requires_grad=True)
    w = torch.tensor(np.asarray(weights, dtype=np.float64), requires_grad=True)
    b = torch.tensor(np.asarray(bias, dtype=np.float64), requires_grad=True)
    F.linear(x, w.T, b).backward(torch.tensor(np.asarray(upstream, dtype=np.float64)))
    return x.grad.numpy().copy(), w.grad.numpy().copy(), b.grad.numpy().copy()


def relu_backward(inputs, upstream) -> np.ndarray:
    """dL/dx of sum(upstream * relu(x)) by autograd; use inputs without exact zeros."""
    x = torch.tensor(np.asarray(inputs, dtype=np.float64), requires_grad=True)
    F.relu(x).backward(torch.tensor(np.asarray(upstream, dtype=np.float64)))
    return x.grad.numpy().copy()


def mse_loss(prediction, target) -> tuple[float, np.ndarray]:
    """(L, dL/dprediction) for L = 1/(2N) sum (target - prediction)^2, N = len(prediction)."""
    h = torch.tensor(np.asarray(prediction, dtype=np.float64), requires_grad=True)
    y = torch.tensor(np.asarray(target, dtype=np.float64))
    loss = F.mse_loss(h, y, reduction="sum") / (2 * h.shape[0])
    loss.backward()
    return float(loss), h.grad.numpy().copy()


def bce_with_logits(logits, target) -> tuple[float, np.ndarray]:
    """(L, dL/dz) for L = -1/N sum [y ln p + (1-y) ln(1-p)], p = sigmoid(z), N = len(logits)."""
    z = torch.tensor(np.asarray(logits, dtype=np.float64), requires_grad=True)
    y = torch.tensor(np.asarray(target, dtype=np.float64))
    loss = F.binary_cross_entropy_with_logits(z, y, reduction="sum") / z.shape[0]
    loss.backward()
    return float(loss), z.grad.numpy().copy()
