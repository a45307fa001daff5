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


def _nchw(images: np.ndarray) -> torch.Tensor:
    """(B, h, w, F) NumPy -> (B, F, h, w) float64 tensor."""
    return torch.from_numpy(np.ascontiguousarray(np.asarray(images, dtype=np.float64).transpose(0, 3, 1, 2)))


def _nhwc(tensor: torch.Tensor) -> np.ndarray:
    """(B, F, h, w) tensor -> (B, h, w, F) NumPy float64."""
    return tensor.detach().numpy().transpose(0, 2, 3, 1).copy()


def _weight(kernels: np.ndarray) -> torch.Tensor:
    """(K, K, F_in, F_out) -> (F_out, F_in, K, K) float64 tensor."""
    return torch.from_numpy(np.ascontiguousarray(np.asarray(kernels, dtype=np.float64).transpose(3, 2, 0, 1)))


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
