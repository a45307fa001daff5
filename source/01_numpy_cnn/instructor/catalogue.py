"""Mutants and alternatives of assignment 1 (instructor-only; never released).

Each mutant is a mistake students really make; ``loses`` lists exactly the test
cells that must catch it. Tests of one function patch in correct versions of the
others, so a mistake costs points only where that function is tested.
"""
from cnnkit.catalogue import alternative, mutant
from cnnkit.submissions import Change

PAD = "width = ((0, 0), (padding, padding), (padding, padding), (0, 0))"
WINDOW = "window = images[b, p * stride:p * stride + K, q * stride:q * stride + K, :]"

MUTANTS = [
    # add_padding
    mutant("pad_batch_axis", "pads the batch and height axes instead of height and width",
           cell="add_padding", edits=[(PAD, "width = ((padding, padding), (padding, padding), (0, 0), (0, 0))")],
           loses={"add_padding_visible", "add_padding_hidden"}),
    mutant("pad_every_axis", "np.pad(images, padding) pads the batch and filter axes too",
           cell="add_padding", code="return np.pad(images, padding)",
           loses={"add_padding_visible", "add_padding_hidden"}),
    mutant("pad_one_side", "puts all 2P zeros after the image instead of P on each side",
           cell="add_padding", edits=[(PAD, "width = ((0, 0), (0, 2 * padding), (0, 2 * padding), (0, 0))")],
           loses={"add_padding_visible", "add_padding_hidden"}),
    # convolve
    mutant("convolve_stride_ignored", "slides the window one pixel at a time whatever the stride",
           cell="convolve", edits=[(WINDOW, "window = images[b, p:p + K, q:q + K, :]")],
           loses={"convolve_visible", "convolve_hidden"}),
    mutant("convolve_kernel_flipped", "flips the kernel (textbook convolution instead of eq. 1)",
           cell="convolve", edits=[("window * kernels[:, :, :, g]", "window * kernels[::-1, ::-1, :, g]")],
           loses={"convolve_visible", "convolve_hidden"}),
    mutant("convolve_output_size_off_by_one", "forgets the +1 in h_out = (h - K) / S + 1",
           cell="convolve", edits=[("h_out = (h - K) // stride + 1", "h_out = (h - K) // stride"),
                                   ("w_out = (w - K) // stride + 1", "w_out = (w - K) // stride")],
           loses={"convolve_visible", "convolve_hidden"}),
    mutant("convolve_first_filter_only", "reads only the first input filter instead of summing over F_in",
           cell="convolve", edits=[("np.sum(window * kernels[:, :, :, g])", "np.sum(window[:, :, 0] * kernels[:, :, 0, g])")],
           loses={"convolve_visible", "convolve_hidden"}),
    mutant("convolve_first_image_only", "convolves only the first image of the batch",
           cell="convolve", edits=[("for b in range(B):", "for b in range(1):")],
           loses={"convolve_visible", "convolve_hidden"}),
    # Conv2D
    mutant("conv2d_no_padding", "forgets to pad the input",
           cell="conv2d", edits=[("padded = add_padding(x, self.padding)", "padded = x")],
           loses={"conv2d_visible", "conv2d_hidden"}),
    mutant("conv2d_padding_twice", "pads the input twice",
           cell="conv2d", edits=[("padded = add_padding(x, self.padding)",
                                  "padded = add_padding(add_padding(x, self.padding), self.padding)")],
           loses={"conv2d_visible", "conv2d_hidden"}),
    mutant("conv2d_no_bias", "forgets the bias",
           cell="conv2d", edits=[(" + self.bias", "")],
           loses={"conv2d_visible", "conv2d_hidden"}),
    mutant("conv2d_stride_not_passed", "always convolves with stride 1",
           cell="conv2d", edits=[("convolve(self.kernels, padded, self.stride)", "convolve(self.kernels, padded, 1)")],
           loses={"conv2d_visible", "conv2d_hidden"}),
    mutant("conv2d_bias_on_batch_axis", "reshapes the bias to (F_out, 1, 1, 1), adding it along the batch axis",
           cell="conv2d", edits=[(" + self.bias", " + self.bias.reshape(-1, 1, 1, 1)")],
           loses={"conv2d_visible", "conv2d_hidden"}),
    # ReLU
    mutant("relu_abs", "returns |x| instead of max(0, x)",
           cell="relu", code="return np.abs(x)", loses={"relu_visible", "relu_hidden"}),
    mutant("relu_leaky", "lets 1 % of negative values through (leaky ReLU)",
           cell="relu", code="return np.where(x > 0, x, 0.01 * x)", loses={"relu_visible", "relu_hidden"}),
    # MaxPooling
    mutant("maxpool_window_off_by_one", "takes K - 1 pixels per window",
           cell="maxpool", edits=[("window = x[:, p * S:p * S + K, q * S:q * S + K, :]",
                                   "window = x[:, p * S:p * S + K - 1, q * S:q * S + K - 1, :]")],
           loses={"maxpool_visible", "maxpool_hidden"}),
    mutant("maxpool_stride_is_kernel", "steps by the kernel size instead of the stride",
           cell="maxpool", edits=[("K, S = self.kernel_size, self.stride", "K, S = self.kernel_size, self.kernel_size")],
           loses={"maxpool_visible", "maxpool_hidden"}),
    mutant("maxpool_mixes_filters", "takes the maximum over all filters of a window",
           cell="maxpool", edits=[("out[:, p, q, :] = window.max(axis=(1, 2))",
                                   "out[:, p, q, :] = window.max(axis=(1, 2, 3))[:, None]")],
           loses={"maxpool_visible", "maxpool_hidden"}),
    mutant("maxpool_average", "averages each window instead of taking its maximum",
           cell="maxpool", edits=[("window.max(axis=(1, 2))", "window.mean(axis=(1, 2))")],
           loses={"maxpool_visible", "maxpool_hidden"}),
    # FullyConnected
    mutant("fc_weights_transposed", "multiplies by the transposed weights",
           cell="fully_connected", code="return x @ self.weights.T + self.bias",
           loses={"fully_connected_visible", "fully_connected_hidden"}),
    mutant("fc_no_bias", "forgets the bias",
           cell="fully_connected", code="return x @ self.weights",
           loses={"fully_connected_visible", "fully_connected_hidden"}),
    mutant("fc_flattens_output", "always returns (B, F_out), dropping the 1 x 1 image axes",
           cell="fully_connected", code="return x.reshape(len(x), -1) @ self.weights + self.bias",
           loses={"fully_connected_visible", "fully_connected_hidden"}),
    # FeedForwardNet
    mutant("ffn_reversed", "applies the layers from last to first",
           cell="feedforward", edits=[("for layer in self.layers:", "for layer in reversed(self.layers):")],
           loses={"feedforward_visible", "feedforward_hidden"}),
    mutant("ffn_not_chained", "feeds the network input to every layer and returns the last result",
           cell="feedforward", code="for layer in self.layers:\n    out = layer.forward(x)\nreturn out",
           loses={"feedforward_visible", "feedforward_hidden"}),
    # convolve_fast
    mutant("fast_stride_ignored", "keeps every window instead of every S-th",
           cell="convolve_fast", edits=[("windows = windows[:, ::stride, ::stride]\n", "")],
           loses={"convolve_fast_visible", "convolve_fast_hidden"}),
    mutant("fast_window_axes_swapped", "contracts the window's (i, j) with the kernel's (j, i)",
           cell="convolve_fast", edits=[('"bpqfij,ijfg->bpqg"', '"bpqfji,ijfg->bpqg"')],
           loses={"convolve_fast_visible", "convolve_fast_hidden"}),
    mutant("fast_kernel_flipped", "flips the kernel in the contraction (textbook convolution instead of eq. 1)",
           cell="convolve_fast", edits=[("windows, kernels, optimize=True)", "windows, kernels[::-1, ::-1], optimize=True)")],
           loses={"convolve_fast_visible", "convolve_fast_hidden"}),
    mutant("fast_calls_loop_version", "calls the loop-based convolve: right values, no speed-up",
           cell="convolve_fast", code="return convolve(kernels, images, stride)",
           loses={"convolve_fast_hidden"}),
]

ALTERNATIVES = [
    alternative("pad_manual_zeros", "allocates zeros and copies the image into the centre",
                cell="add_padding", code="""\
B, h, w, F = images.shape
out = np.zeros((B, h + 2 * padding, w + 2 * padding, F), dtype=images.dtype)
out[:, padding:padding + h, padding:padding + w, :] = images
return out"""),
    alternative("convolve_filter_loop_outermost", "six plain loops, output filter outermost, scalar sums",
                cell="convolve", code="""\
K, _, F_in, F_out = kernels.shape
B, h, w, _ = images.shape
h_out, w_out = (h - K) // stride + 1, (w - K) // stride + 1
out = np.zeros((B, h_out, w_out, F_out))
for g in range(F_out):
    for b in range(B):
        for p in range(h_out):
            for q in range(w_out):
                total = 0.0
                for i in range(K):
                    for j in range(K):
                        for f in range(F_in):
                            total += kernels[i, j, f, g] * images[b, p * stride + i, q * stride + j, f]
                out[b, p, q, g] = total
return out"""),
    alternative("convolve_kernel_offsets", "loops over the K x K kernel offsets, vectorised over pixels",
                cell="convolve", code="""\
K = kernels.shape[0]
B, h, w, _ = images.shape
h_out, w_out = (h - K) // stride + 1, (w - K) // stride + 1
out = np.zeros((B, h_out, w_out, kernels.shape[3]))
for i in range(K):
    for j in range(K):
        shifted = images[:, i:i + stride * (h_out - 1) + 1:stride, j:j + stride * (w_out - 1) + 1:stride, :]
        out += shifted @ kernels[i, j]
return out"""),
    alternative("float32_throughout", "computes every layer in float32",
                changes=[
                    Change("convolve", code="""\
images = np.asarray(images, dtype=np.float32)
kernels = np.asarray(kernels, dtype=np.float32)
K, _, _, F_out = kernels.shape
B, h, w, _ = images.shape
h_out, w_out = (h - K) // stride + 1, (w - K) // stride + 1
out = np.zeros((B, h_out, w_out, F_out), dtype=np.float32)
for b in range(B):
    for p in range(h_out):
        for q in range(w_out):
            window = images[b, p * stride:p * stride + K, q * stride:q * stride + K, :]
            out[b, p, q, :] = np.tensordot(window, kernels, axes=3)
return out"""),
                    Change("conv2d", code="""\
padded = add_padding(np.asarray(x, dtype=np.float32), self.padding)
return convolve(self.kernels, padded, self.stride) + np.asarray(self.bias, dtype=np.float32)"""),
                    Change("fully_connected", code="""\
return np.asarray(x, dtype=np.float32) @ self.weights.astype(np.float32) + self.bias.astype(np.float32)"""),
                    Change("convolve_fast", code="""\
images = np.asarray(images, dtype=np.float32)
K = kernels.shape[0]
windows = np.lib.stride_tricks.sliding_window_view(images, (K, K), axis=(1, 2))[:, ::stride, ::stride]
return np.einsum("bpqfij,ijfg->bpqg", windows, kernels.astype(np.float32))"""),
                ]),
    alternative("relu_mask", "multiplies by the mask x > 0",
                cell="relu", code="return x * (x > 0)"),
    alternative("maxpool_offsets", "running maximum over the K x K offsets, vectorised over pixels",
                cell="maxpool", code="""\
K, S = self.kernel_size, self.stride
B, h, w, F = x.shape
h_out, w_out = (h - K) // S + 1, (w - K) // S + 1
out = np.full((B, h_out, w_out, F), -np.inf)
for i in range(K):
    for j in range(K):
        out = np.maximum(out, x[:, i:i + S * (h_out - 1) + 1:S, j:j + S * (w_out - 1) + 1:S, :])
return out"""),
    alternative("fc_tensordot", "np.tensordot over the last axis",
                cell="fully_connected", code="return np.tensordot(x, self.weights, axes=([-1], [0])) + self.bias"),
    alternative("ffn_reduce", "functools.reduce over the layers",
                cell="feedforward", code="""\
import functools
return functools.reduce(lambda value, layer: layer.forward(value), self.layers, x)"""),
    alternative("fast_tensordot", "np.tensordot instead of einsum",
                cell="convolve_fast", code="""\
K = kernels.shape[0]
windows = np.lib.stride_tricks.sliding_window_view(images, (K, K), axis=(1, 2))[:, ::stride, ::stride]
return np.tensordot(windows, kernels, axes=([3, 4, 5], [2, 0, 1]))"""),
    alternative("fast_as_strided_im2col", "builds the im2col matrix with as_strided and one matrix product",
                cell="convolve_fast", code="""\
K, _, F_in, F_out = kernels.shape
B, h, w, _ = images.shape
images = np.ascontiguousarray(images)
h_out, w_out = (h - K) // stride + 1, (w - K) // stride + 1
sb, sh, sw, sf = images.strides
cols = np.lib.stride_tricks.as_strided(
    images, shape=(B, h_out, w_out, K, K, F_in),
    strides=(sb, sh * stride, sw * stride, sh, sw, sf))
out = cols.reshape(B * h_out * w_out, K * K * F_in) @ kernels.reshape(K * K * F_in, F_out)
return out.reshape(B, h_out, w_out, F_out)"""),
    alternative("conv2d_self_contained", "Conv2D pads with np.pad and convolves with its own einsum",
                cell="conv2d", code="""\
P, S = self.padding, self.stride
K = self.kernels.shape[0]
padded = np.pad(x, ((0, 0), (P, P), (P, P), (0, 0)))
windows = np.lib.stride_tricks.sliding_window_view(padded, (K, K), axis=(1, 2))[:, ::S, ::S]
return np.einsum("bpqfij,ijfg->bpqg", windows, self.kernels) + self.bias.reshape(1, 1, 1, -1)"""),
]

# Graded by `make test`; the rest by `make test-extended` (CI runs both). One or more mistakes
# per graded function, every mistake the visible tests must name, and an alternative per kind.
CORE = {
    "pad_batch_axis", "pad_one_side", "convolve_stride_ignored", "convolve_kernel_flipped",
    "convolve_first_filter_only", "conv2d_no_padding", "conv2d_stride_not_passed", "relu_leaky",
    "maxpool_stride_is_kernel", "fc_weights_transposed", "ffn_reversed", "fast_kernel_flipped",
    "fast_calls_loop_version",
    "pad_manual_zeros", "convolve_kernel_offsets", "float32_throughout", "fast_as_strided_im2col",
    "conv2d_self_contained",
}
