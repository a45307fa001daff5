"""Mutants and alternatives of assignment 2 (instructor-only; never released).

Each mutant is a mistake students really make; ``loses`` lists exactly the test
cells that must catch it. The tests of one function patch in correct versions of
the others (oracles, stand-in layers and losses), so a mistake costs points only
where that function is tested. Mutants that only a hidden test can catch lose
just the hidden cell.
"""
from cnnkit.catalogue import alternative, mutant
from cnnkit.submissions import Change


def both(item):
    """The visible and the hidden test cell of a graded item."""
    return {f"{item}_visible", f"{item}_hidden"}


def hidden(item):
    """Only the hidden test cell of a graded item: the visible one cannot see the mistake."""
    return {f"{item}_hidden"}


MUTANTS = [
    # Part 1: filters
    mutant("channelwise_mixes_channels", "puts the 2-D kernel on every (input, output) channel pair: colours mix",
           cell="channelwise_kernel",
           edits=[("kernels[:, :, channel, channel] = kernel2d", "kernels[:, :, :, channel] = kernel2d[:, :, None]")],
           loses=both("channelwise_kernel")),
    mutant("filter_clips_results", "returns the results clipped to [0, 1] instead of the raw filter outputs",
           cell="filter_example", edits=[("return results", "return [np.clip(result, 0, 1) for result in results]")],
           loses=both("filter_example")),
    mutant("sobel_without_square_root", "returns the squared edge magnitude (no square root)",
           cell="sobel_edges",
           edits=[("np.sqrt(np.sum(responses ** 2, axis=-1))", "np.sum(responses ** 2, axis=-1)")],
           loses=hidden("sobel_edges")),
    # Part 2: checking gradients
    mutant("numerical_gradient_one_sided", "one-sided differences (f(x + h) - f(x)) / h",
           cell="numerical_gradient", code="""\
point = np.array(x, dtype=float)
gradient = np.zeros_like(point)
base = np.sum(upstream * f(point))
for index in np.ndindex(point.shape):
    original = point[index]
    point[index] = original + h
    gradient[index] = (np.sum(upstream * f(point)) - base) / h
    point[index] = original
return gradient""",
           loses=both("numerical_gradient")),
    mutant("relative_error_one_sided_scale", "divides by ||b|| only",
           cell="relative_error", code="return float(np.linalg.norm(a - b) / np.linalg.norm(b))",
           loses=both("relative_error")),
    # Part 3: fully connected network
    mutant("fc_weight_gradient_divided_by_batch", "divides dL/dW by the batch size although the loss already did",
           cell="fully_connected",
           edits=[("self.grad_weights = inputs.T @ upstream", "self.grad_weights = inputs.T @ upstream / len(inputs)")],
           loses=both("fc_backward")),
    mutant("fc_update_ascends", "adds the gradient instead of subtracting it",
           cell="fully_connected", region=1, code="""\
self.weights = self.weights + learning_rate * self.grad_weights
self.bias = self.bias + learning_rate * self.grad_bias""",
           loses=both("fc_update")),
    mutant("relu_passes_negatives", "passes the gradient through for negative inputs too",
           cell="relu", code="return gradient", loses=both("relu_backward")),
    mutant("mse_gradient_not_divided", "gradient h - y without the 1/N of the averaged loss",
           cell="mse_loss", edits=[("difference / N", "difference")], loses=both("mse_loss")),
    mutant("ffn_backward_forward_order", "backpropagates from the first layer to the last",
           cell="feedforward", edits=[("for layer in reversed(self.layers):", "for layer in self.layers:")],
           loses=both("ffn_backward")),
    mutant("ffn_update_last_layer_only", "updates only the last layer",
           cell="feedforward", region=1, code="self.layers[-1].update(learning_rate)", loses=both("ffn_update")),
    mutant("train_regression_never_updates", "computes the gradients but never calls net.update",
           cell="train_regression_net", edits=[("net.update(learning_rate)", "pass")],
           loses=both("train_regression_net")),
    # Part 4: CNN layers
    mutant("maxpool_gradient_to_whole_pool", "sends the gradient to every element of the pool",
           cell="maxpool",
           edits=[("is_max * gradient[:, p:p + 1, q:q + 1, :]", "gradient[:, p:p + 1, q:q + 1, :]")],
           loses=both("maxpool_backward")),
    mutant("dilate_inserts_d_zeros", "inserts D zeros between pixels instead of D - 1", cell="dilate", code="""\
B, h, w, F = images.shape
out = np.zeros((B, (h - 1) * (D + 1) + 1, (w - 1) * (D + 1) + 1, F), dtype=images.dtype)
out[:, ::D + 1, ::D + 1, :] = images
return out""", loses=both("dilate")),
    mutant("conv_forgot_dilation", "uses the upstream gradient without dilating it (right for stride 1 only)",
           cell="conv2d", edits=[("dilated = dilate(gradient, self.stride)", "dilated = gradient")],
           loses=both("conv2d_backward")),
    mutant("conv_forgot_flip", "convolves the upstream gradient with the kernel itself, not flipped",
           cell="conv2d",
           edits=[("self.kernels[::-1, ::-1].transpose(0, 1, 3, 2)", "self.kernels.transpose(0, 1, 3, 2)")],
           loses=both("conv2d_backward")),
    mutant("conv_flipped_one_axis", "flips the kernel vertically only",
           cell="conv2d", edits=[("self.kernels[::-1, ::-1]", "self.kernels[::-1]")],
           loses=both("conv2d_backward")),
    mutant("conv_pads_k_not_k_minus_1", "pads the dilated gradient with K zeros instead of K - 1",
           cell="conv2d", edits=[("add_padding(dilated, K - 1)", "add_padding(dilated, K)")],
           loses=both("conv2d_backward")),
    mutant("conv_bias_gradient_one_position", "sums the bias gradient over the batch but not over the positions",
           cell="conv2d", edits=[("gradient.sum(axis=(0, 1, 2))", "gradient.sum(axis=0)[0, 0]")],
           loses=both("conv2d_backward")),
    mutant("conv_update_forgets_bias", "updates the kernels but not the bias",
           cell="conv2d", region=1, code="self.kernels = self.kernels - learning_rate * self.grad_kernels",
           loses=both("conv2d_update")),
    mutant("bce_gradient_wrt_probability", "returns dL/dp instead of dL/dz (forgets the sigmoid's derivative)",
           cell="bce_loss",
           edits=[("(probability - target) / N", "(probability - target) / (probability * (1 - probability) * N)")],
           loses=both("bce_loss")),
    # Part 5
    mutant("first_order_relative_to_prediction", "divides by the predicted change instead of the exact one",
           cell="first_order_accuracy",
           edits=[("abs(exact - predicted) / abs(exact)", "abs(exact - predicted) / abs(predicted)")],
           loses=both("first_order_accuracy")),
    mutant("conv_input_gradient_no_border_limits", "sums over the whole kernel: negative indices wrap around",
           cell="conv_input_gradient",
           edits=[("range(max(0, i - rows_x + rows_k), min(rows_k, i + 1))", "range(rows_k)"),
                  ("range(max(0, j - cols_x + cols_k), min(cols_k, j + 1))", "range(cols_k)")],
           loses=both("conv_input_gradient")),
    # Part 6
    mutant("classifier_labels_not_a_column", "gives bce_loss the (B,) labels next to (B, 1) logits",
           cell="train_classifier",
           edits=[("target = labels[batch].reshape(-1, 1)", "target = labels[batch]")],
           loses=both("train_classifier")),
    # Part 7
    mutant("fast_conv_is_the_loop_version", "FastConv2D inherits the loop-based forward and backward",
           cell="fast_conv2d", source='class FastConv2D(Conv2D):\n    """The loop-based layer under a new name."""\n',
           loses=hidden("fast_conv2d")),
    mutant("fast_maxpool_gradient_to_whole_pool", "broadcasts the gradient to every element of the pool",
           cell="fast_maxpool",
           edits=[("is_max * gradient[:, :, None, :, None, :]",
                   "np.broadcast_to(gradient[:, :, None, :, None, :], self.pools.shape)")],
           loses=both("fast_maxpool")),
]

ALTERNATIVES = [
    alternative("relu_derivative_one_at_zero", "takes ReLU'(0) = 1",
                cell="relu", code="return gradient * (self.input >= 0)"),
    alternative("maxpool_first_maximum", "argmax per pool: ties go to the first maximum",
                cell="maxpool", code="""\
K = self.kernel_size
B, h, w, F = self.input.shape
grad_input = np.zeros(self.input.shape)
for p in range(gradient.shape[1]):
    for q in range(gradient.shape[2]):
        pool = self.input[:, p * K:(p + 1) * K, q * K:(q + 1) * K, :].reshape(B, K * K, F)
        first = pool.argmax(axis=1)
        for b in range(B):
            for f in range(F):
                i, j = divmod(first[b, f], K)
                grad_input[b, p * K + i, q * K + j, f] = gradient[b, p, q, f]
return grad_input"""),
    alternative("maxpool_last_maximum_remembered", "forward remembers the last maximum of each pool, backward scatters",
                cell="maxpool", source='''\
class MaxPooling(Layer):
    """Max pooling that remembers, in forward, where the last maximum of each pool is."""

    def __init__(self, kernel_size, stride):
        self.kernel_size = kernel_size
        self.stride = stride

    def forward(self, x):
        K, S = self.kernel_size, self.stride
        B, h, w, F = x.shape
        h_out, w_out = (h - K) // S + 1, (w - K) // S + 1
        self.input_shape = x.shape
        self.winners = np.zeros((B, h_out, w_out, F), dtype=int)
        out = np.zeros((B, h_out, w_out, F), dtype=x.dtype)
        for p in range(h_out):
            for q in range(w_out):
                pool = x[:, p * S:p * S + K, q * S:q * S + K, :].reshape(B, K * K, F)
                self.winners[:, p, q, :] = K * K - 1 - pool[:, ::-1, :].argmax(axis=1)
                out[:, p, q, :] = pool.max(axis=1)
        return out

    def backward(self, gradient):
        K, S = self.kernel_size, self.stride
        grad_input = np.zeros(self.input_shape)
        b, p, q, f = np.indices(gradient.shape)
        i, j = np.divmod(self.winners, K)
        np.add.at(grad_input, (b, p * S + i, q * S + j, f), gradient)
        return grad_input

    def update(self, learning_rate):
        """No parameters."""
'''),
    alternative("float32_backward", "FullyConnected, ReLU and Conv2D compute their gradients in float32", changes=[
        Change("fully_connected", code="""\
F_in, F_out = self.weights.shape
inputs = np.asarray(self.input, dtype=np.float32).reshape(-1, F_in)
upstream = np.asarray(gradient, dtype=np.float32).reshape(-1, F_out)
self.grad_weights = inputs.T @ upstream
self.grad_bias = upstream.sum(axis=0)
return (upstream @ self.weights.astype(np.float32).T).reshape(gradient.shape[:-1] + (F_in,))"""),
        Change("relu", code="return np.asarray(gradient, dtype=np.float32) * (self.input > 0)"),
        Change("conv2d", code="""\
K, P = self.kernels.shape[0], self.padding
padded = add_padding(self.input.astype(np.float32), P)
dilated = dilate(gradient.astype(np.float32), self.stride)
self.grad_bias = gradient.astype(np.float32).sum(axis=(0, 1, 2))
by_filter = convolve(dilated.transpose(1, 2, 0, 3), padded.transpose(3, 1, 2, 0), 1)
self.grad_kernels = by_filter.transpose(1, 2, 0, 3).astype(np.float32)
flipped = self.kernels[::-1, ::-1].transpose(0, 1, 3, 2).astype(np.float32)
grad_padded = convolve(flipped, add_padding(dilated, K - 1), 1).astype(np.float32)
return grad_padded[:, P:padded.shape[1] - P, P:padded.shape[2] - P, :]"""),
    ]),
    alternative("conv_backward_loops", "loops over images and filter pairs as the hint suggests; flips by index",
                cell="conv2d", code="""\
K, S, P = self.kernels.shape[0], self.stride, self.padding
B, h_out, w_out, F_out = gradient.shape
F_in = self.kernels.shape[2]
padded = add_padding(self.input, P)
dilated = dilate(gradient, S)
self.grad_bias = np.array([gradient[..., g].sum() for g in range(F_out)])
self.grad_kernels = np.zeros(self.kernels.shape)
for b in range(B):
    for f in range(F_in):
        for g in range(F_out):
            image = padded[b:b + 1, :, :, f:f + 1]
            kernel = dilated[b, :, :, g][:, :, None, None]
            self.grad_kernels[:, :, f, g] += convolve(kernel, image, 1)[0, :, :, 0]
flipped = np.zeros((K, K, F_out, F_in))
for i in range(K):
    for j in range(K):
        flipped[i, j] = self.kernels[K - 1 - i, K - 1 - j].T
grad_padded = convolve(flipped, add_padding(dilated, K - 1), 1)
H, W = padded.shape[1:3]
return grad_padded[:, P:H - P, P:W - P, :]"""),
    alternative("conv_backward_im2col", "windowed view and einsum for the kernel gradient, col2im for the input",
                cell="conv2d", code="""\
K, S, P = self.kernels.shape[0], self.stride, self.padding
padded = add_padding(self.input, P)
B, h_out, w_out, _ = gradient.shape
windows = np.lib.stride_tricks.sliding_window_view(padded, (K, K), axis=(1, 2))[:, ::S, ::S]
self.grad_kernels = np.einsum("bpqfij,bpqg->ijfg", windows, gradient)
self.grad_bias = gradient.sum(axis=(0, 1, 2))
window_grads = np.einsum("bpqg,ijfg->bpqijf", gradient, self.kernels)
grad_padded = np.zeros(padded.shape)
for i in range(K):
    for j in range(K):
        grad_padded[:, i:i + S * (h_out - 1) + 1:S, j:j + S * (w_out - 1) + 1:S, :] += window_grads[:, :, :, i, j, :]
H, W = padded.shape[1:3]
return grad_padded[:, P:H - P, P:W - P, :]"""),
    alternative("fast_conv_transposed_form", "FastConv2D.backward: input gradient as a convolution of the dilated, "
                "padded gradient with the flipped kernel (einsum over a windowed view)",
                cell="fast_conv2d", region=1, code="""\
K, _, F_in, F_out = self.kernels.shape
S, P = self.stride, self.padding
B, h_out, w_out, _ = gradient.shape
rows = gradient.reshape(-1, F_out)
self.grad_bias = rows.sum(axis=0)
self.grad_kernels = (self.columns.T @ rows).reshape(self.kernels.shape)
dilated = np.zeros((B, (h_out - 1) * S + 1, (w_out - 1) * S + 1, F_out), dtype=gradient.dtype)
dilated[:, ::S, ::S, :] = gradient
spread = np.pad(dilated, ((0, 0), (K - 1, K - 1), (K - 1, K - 1), (0, 0)))
windows = np.lib.stride_tricks.sliding_window_view(spread, (K, K), axis=(1, 2))
flipped = self.kernels[::-1, ::-1].transpose(0, 1, 3, 2)
grad_padded = np.einsum("bpqgij,ijgf->bpqf", windows, flipped)
H, W = self.padded_shape[1:3]
return grad_padded[:, P:H - P, P:W - P, :]"""),
]
