"""Mutants and alternatives of assignment 2 (instructor-only; never released).

Each mutant is a mistake students really make; ``loses`` lists exactly the test
cells that must catch it. The tests of one function patch in correct versions of
the others (inline in the hidden cells, replay stand-ins that know only fixed
examples in the visible ones), so a mistake costs points only where that function
is tested. Mutants that only a hidden test can catch lose just the hidden cell.
The names are those of ``requirements.md``.
"""
from cnnkit.catalogue import alternative, mutant
from cnnkit.submissions import Change


def both(item):
    """The visible and the hidden test cell of a graded item."""
    return {f"{item}_visible", f"{item}_hidden"}


def hidden(item):
    """Only the hidden test cell of a graded item: the visible one cannot see the mistake."""
    return {f"{item}_hidden"}


FC_BACKWARD = "self.grad_weights = inputs.T @ upstream"
CONV_DILATE = "dilated = dilate(gradient, self.stride)"
CONV_FLIP = "self.kernels[::-1, ::-1].transpose(0, 1, 3, 2)"
TRAIN_STEP = "net.backward(gradient)\n            net.update(learning_rate)"

MUTANTS = [
    # Part 1: filters
    mutant("channelwise_mixes_channels", "puts the 2-D kernel on every (input, output) channel pair: colours mix",
           cell="channelwise_kernel",
           edits=[("kernels[:, :, channel, channel] = kernel2d", "kernels[:, :, :, channel] = kernel2d[:, :, None]")],
           loses=both("channelwise_kernel")),
    mutant("channelwise_channels_first", "builds the bank as (C, C, K, K), channel axes first",
           cell="channelwise_kernel", code="""\
kernels = np.zeros((n_channels, n_channels) + kernel2d.shape)
for channel in range(n_channels):
    kernels[channel, channel] = kernel2d
return kernels""", loses=both("channelwise_kernel")),
    mutant("filter_clips_results", "returns the results clipped to [0, 1] instead of the raw filter outputs",
           cell="filter_example", edits=[("return results", "return [np.clip(result, 0, 1) for result in results]")],
           loses=both("filter_example")),
    mutant("filter_no_padding", "filters without padding: the results are 2 pixels smaller",
           cell="filter_example", edits=[("padded = add_padding(image[None], 1)", "padded = image[None]")],
           loses=both("filter_example")),
    mutant("filter_no_figure", "returns the results but never saves the figure",
           cell="filter_example", edits=[('image_grid(results, list(FILTERS), "filter_example.png")', "pass")],
           loses=both("filter_example")),
    mutant("filter_sorted_kernels", "filters with the kernels in alphabetical order instead of the order of FILTERS",
           cell="filter_example",
           edits=[("for kernel in FILTERS.values()]", "for _, kernel in sorted(FILTERS.items())]")],
           loses=both("filter_example")),
    mutant("sobel_without_square_root", "returns the squared edge magnitude (no square root)",
           cell="sobel_edges",
           edits=[("np.sqrt(np.sum(responses ** 2, axis=-1))", "np.sum(responses ** 2, axis=-1)")],
           loses=both("sobel_edges")),
    mutant("sobel_not_normalised", "returns the magnitude without dividing by its maximum",
           cell="sobel_edges", edits=[("return magnitude / magnitude.max()", "return magnitude")],
           loses=both("sobel_edges")),
    mutant("sobel_x_only", "uses the horizontal kernel only: |G_x * I|",
           cell="sobel_edges", edits=[("np.stack([SOBEL_X, SOBEL_Y], axis=-1)", "np.stack([SOBEL_X], axis=-1)")],
           loses=both("sobel_edges")),
    mutant("sobel_padded", "pads the image by 1, so E has the image's shape",
           cell="sobel_edges", edits=[("gray_image[None, :, :, None]", "add_padding(gray_image[None, :, :, None], 1)")],
           loses=both("sobel_edges")),
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
    mutant("numerical_gradient_ignores_upstream", "differentiates sum(f(x)) instead of sum(upstream * f(x))",
           cell="numerical_gradient", edits=[("plus = np.sum(upstream * f(point))", "plus = np.sum(f(point))"),
                                              ("minus = np.sum(upstream * f(point))", "minus = np.sum(f(point))")],
           loses=both("numerical_gradient")),
    mutant("numerical_gradient_changes_x", "nudges x itself and never puts it back",
           cell="numerical_gradient", code="""\
gradient = np.zeros(x.shape)
for index in np.ndindex(x.shape):
    x[index] += h
    plus = np.sum(upstream * f(x))
    x[index] -= 2 * h
    minus = np.sum(upstream * f(x))
    gradient[index] = (plus - minus) / (2 * h)
return gradient""",
           loses=both("numerical_gradient")),
    mutant("numerical_gradient_flat_result", "returns the estimates as a flat array",
           cell="numerical_gradient", edits=[("    return gradient", "    return gradient.ravel()")],
           loses=both("numerical_gradient")),
    mutant("numerical_gradient_float32", "nudges a float32 copy of x: h = 1e-5 drowns in rounding",
           cell="numerical_gradient", edits=[("point = np.array(x, dtype=float)", "point = np.array(x, dtype=np.float32)")],
           loses=both("numerical_gradient")),
    mutant("relative_error_one_sided_scale", "divides by ||b|| only",
           cell="relative_error", code="return float(np.linalg.norm(a - b) / np.linalg.norm(b))",
           loses=both("relative_error")),
    mutant("relative_error_no_zero_case", "forgets that two zero arrays give 0 / 0",
           cell="relative_error",
           code="return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))",
           loses=both("relative_error")),
    mutant("relative_error_sum_of_absolute_values", "uses the sum of absolute values instead of the Euclidean norm",
           cell="relative_error", code="""\
scale = np.sum(np.abs(a)) + np.sum(np.abs(b))
return 0.0 if scale == 0 else float(np.sum(np.abs(a - b)) / scale)""",
           loses=both("relative_error")),
    mutant("relative_error_along_last_axis", "norms along the last axis: an array for 2-D inputs, not one number",
           cell="relative_error", code="""\
scale = np.linalg.norm(a, axis=-1) + np.linalg.norm(b, axis=-1)
return np.where(scale == 0, 0.0, np.linalg.norm(a - b, axis=-1) / np.where(scale == 0, 1, scale))""",
           loses=both("relative_error")),
    # Part 3: fully connected network
    mutant("fc_weight_gradient_divided_by_batch", "divides dL/dW by the batch size although the loss already did",
           cell="fully_connected", edits=[(FC_BACKWARD, FC_BACKWARD + " / len(inputs)")],
           loses=both("fc_backward")),
    mutant("fc_bias_gradient_mean", "averages the bias gradient over the batch instead of summing it",
           cell="fully_connected", edits=[("upstream.sum(axis=0)", "upstream.mean(axis=0)")],
           loses=both("fc_backward")),
    mutant("fc_weight_gradient_transposed", "computes g^T x, of shape (F_out, F_in)",
           cell="fully_connected", edits=[(FC_BACKWARD, "self.grad_weights = upstream.T @ inputs")],
           loses=both("fc_backward")),
    mutant("fc_input_gradient_flattened", "returns dL/dx as (B, F_in) even for (B, 1, 1, F_in) inputs",
           cell="fully_connected", edits=[("return gradient @ self.weights.T", "return upstream @ self.weights.T")],
           loses=both("fc_backward")),
    mutant("fc_backward_steps_too", "backward also takes a gradient step on the weights",
           cell="fully_connected", edits=[("self.grad_bias = upstream.sum(axis=0)",
                                           "self.grad_bias = upstream.sum(axis=0)\n"
                                           "        self.weights = self.weights - 0.01 * self.grad_weights")],
           loses=both("fc_backward")),
    mutant("fc_update_ascends", "adds the gradient instead of subtracting it",
           cell="fully_connected", region=1, code="""\
self.weights = self.weights + learning_rate * self.grad_weights
self.bias = self.bias + learning_rate * self.grad_bias""",
           loses=both("fc_update")),
    mutant("fc_update_forgets_bias", "updates the weights but not the bias",
           cell="fully_connected", region=1, code="self.weights = self.weights - learning_rate * self.grad_weights",
           loses=both("fc_update")),
    mutant("relu_passes_negatives", "passes the gradient through for negative inputs too",
           cell="relu", code="return gradient", loses=both("relu_backward")),
    mutant("relu_returns_mask", "returns the derivative (the mask) without multiplying it by the gradient",
           cell="relu", code="return (self.input > 0).astype(float)", loses=both("relu_backward")),
    mutant("mse_gradient_not_divided", "gradient h - y without the 1/N of the averaged loss",
           cell="mse_loss", edits=[("difference / N", "difference")], loses=both("mse_loss")),
    mutant("mse_loss_without_half", "loss sum (y - h)^2 / N, without the 1/2",
           cell="mse_loss", edits=[("np.sum(difference ** 2) / (2 * N)", "np.sum(difference ** 2) / N")],
           loses=both("mse_loss")),
    mutant("mse_gradient_sign", "gradient (y - h) / N: the sign is reversed",
           cell="mse_loss", edits=[("difference / N", "-difference / N")], loses=both("mse_loss")),
    mutant("ffn_backward_forward_order", "backpropagates from the first layer to the last",
           cell="feedforward", edits=[("for layer in reversed(self.layers):", "for layer in self.layers:")],
           loses=both("ffn_backward")),
    mutant("ffn_backward_not_chained", "gives every layer the network's upstream gradient and returns the last result",
           cell="feedforward", code="""\
for layer in reversed(self.layers):
    result = layer.backward(gradient)
return result""", loses=both("ffn_backward")),
    mutant("ffn_update_last_layer_only", "updates only the last layer",
           cell="feedforward", region=1, code="self.layers[-1].update(learning_rate)", loses=both("ffn_update")),
    mutant("train_regression_never_updates", "computes the gradients but never calls net.update",
           cell="train_regression_net", edits=[("net.update(learning_rate)", "pass")],
           loses=both("train_regression_net")),
    mutant("train_regression_update_before_backward", "updates the network before backpropagating the batch",
           cell="train_regression_net",
           edits=[(TRAIN_STEP, "net.update(learning_rate)\n            net.backward(gradient)")],
           loses=both("train_regression_net")),
    mutant("train_regression_no_shuffle", "goes through the data in the same order in every epoch",
           cell="train_regression_net", edits=[("order = rng.permutation(N)", "order = np.arange(N)")],
           loses=hidden("train_regression_net")),
    mutant("train_regression_last_batch_loss", "reports the last batch's loss for each epoch instead of the mean",
           cell="train_regression_net",
           edits=[("losses.append(float(np.mean(batch_losses)))", "losses.append(float(batch_losses[-1]))")],
           loses=hidden("train_regression_net")),
    mutant("train_regression_drops_partial_batch", "skips the last batch when it would be smaller than batch_size",
           cell="train_regression_net",
           edits=[("for start in range(0, N, batch_size):", "for start in range(0, N - batch_size + 1, batch_size):")],
           loses=hidden("train_regression_net")),
    # Part 4: CNN layers
    mutant("maxpool_gradient_to_whole_pool", "sends the gradient to every element of the pool",
           cell="maxpool",
           edits=[("is_max * gradient[:, p:p + 1, q:q + 1, :]", "gradient[:, p:p + 1, q:q + 1, :]")],
           loses=both("maxpool_backward")),
    mutant("maxpool_gradient_to_first_position", "sends each pool's gradient to its top-left element",
           cell="maxpool", code="""\
K = self.kernel_size
grad_input = np.zeros(self.input.shape)
grad_input[:, ::K, ::K, :] = gradient
return grad_input""", loses=both("maxpool_backward")),
    mutant("dilate_inserts_d_zeros", "inserts D zeros between pixels instead of D - 1", cell="dilate", code="""\
B, h, w, F = images.shape
out = np.zeros((B, (h - 1) * (D + 1) + 1, (w - 1) * (D + 1) + 1, F), dtype=images.dtype)
out[:, ::D + 1, ::D + 1, :] = images
return out""", loses=both("dilate")),
    mutant("dilate_trailing_zeros", "makes the result h D x w D, with D - 1 zeros after the last pixel too",
           cell="dilate", code="""\
B, h, w, F = images.shape
out = np.zeros((B, h * D, w * D, F), dtype=images.dtype)
out[:, ::D, ::D, :] = images
return out""", loses=both("dilate")),
    mutant("dilate_float64", "always returns float64 (np.zeros without a dtype)",
           cell="dilate", edits=[(", dtype=images.dtype)", ")")], loses=both("dilate")),
    mutant("conv_forgot_dilation", "uses the upstream gradient without dilating it (right for stride 1 only)",
           cell="conv2d", edits=[(CONV_DILATE, "dilated = gradient")],
           loses=both("conv2d_backward")),
    mutant("conv_forgot_flip", "convolves the upstream gradient with the kernel itself, not flipped",
           cell="conv2d", edits=[(CONV_FLIP, "self.kernels.transpose(0, 1, 3, 2)")],
           loses=both("conv2d_backward")),
    mutant("conv_flipped_one_axis", "flips the kernel vertically only",
           cell="conv2d", edits=[("self.kernels[::-1, ::-1]", "self.kernels[::-1]")],
           loses=both("conv2d_backward")),
    mutant("conv_flip_without_swapping_filters", "flips the kernel but does not swap its filter axes",
           cell="conv2d", edits=[(CONV_FLIP, "self.kernels[::-1, ::-1]")],
           loses=both("conv2d_backward")),
    mutant("conv_pads_k_not_k_minus_1", "pads the dilated gradient with K zeros instead of K - 1",
           cell="conv2d", edits=[("add_padding(dilated, K - 1)", "add_padding(dilated, K)")],
           loses=both("conv2d_backward")),
    mutant("conv_keeps_padding", "returns the gradient of the padded input, padding rows and columns included",
           cell="conv2d", edits=[("return grad_padded[:, P:padded.shape[1] - P, P:padded.shape[2] - P, :]",
                                  "return grad_padded")],
           loses=both("conv2d_backward")),
    mutant("conv_bias_gradient_one_position", "sums the bias gradient over the batch but not over the positions",
           cell="conv2d", edits=[("gradient.sum(axis=(0, 1, 2))", "gradient.sum(axis=0)[0, 0]")],
           loses=both("conv2d_backward")),
    mutant("conv_kernel_gradient_divided_by_batch", "divides dL/dk by the batch size although the loss already did",
           cell="conv2d", edits=[("self.grad_kernels = by_filter.transpose(1, 2, 0, 3)",
                                  "self.grad_kernels = by_filter.transpose(1, 2, 0, 3) / len(gradient)")],
           loses=both("conv2d_backward")),
    mutant("conv_backward_steps_too", "backward also takes a gradient step on the kernels",
           cell="conv2d", edits=[("self.grad_kernels = by_filter.transpose(1, 2, 0, 3)",
                                  "self.grad_kernels = by_filter.transpose(1, 2, 0, 3)\n"
                                  "        self.kernels = self.kernels - 0.01 * self.grad_kernels")],
           loses=both("conv2d_backward")),
    mutant("conv_update_forgets_bias", "updates the kernels but not the bias",
           cell="conv2d", region=1, code="self.kernels = self.kernels - learning_rate * self.grad_kernels",
           loses=both("conv2d_update")),
    mutant("bce_gradient_wrt_probability", "returns dL/dp instead of dL/dz (forgets the sigmoid's derivative)",
           cell="bce_loss",
           edits=[("(probability - target) / N", "(probability - target) / (probability * (1 - probability) * N)")],
           loses=both("bce_loss")),
    mutant("bce_loss_summed", "sums the loss over the batch instead of averaging it",
           cell="bce_loss", edits=[("np.logaddexp(0, logits)) / N", "np.logaddexp(0, logits))")],
           loses=both("bce_loss")),
    # Part 5
    mutant("first_order_relative_to_prediction", "divides by the predicted change instead of the exact one",
           cell="first_order_accuracy",
           edits=[("abs(exact - predicted) / abs(exact)", "abs(exact - predicted) / abs(predicted)")],
           loses=both("first_order_accuracy")),
    mutant("first_order_signed_difference", "forgets the absolute value of exact - predicted",
           cell="first_order_accuracy",
           edits=[("abs(exact - predicted) / abs(exact)", "(exact - predicted) / abs(exact)")],
           loses=both("first_order_accuracy")),
    mutant("conv_input_gradient_no_border_limits", "sums over the whole kernel: negative indices wrap around",
           cell="conv_input_gradient",
           edits=[("range(max(0, i - rows_x + rows_k), min(rows_k, i + 1))", "range(rows_k)"),
                  ("range(max(0, j - cols_x + cols_k), min(cols_k, j + 1))", "range(cols_k)")],
           loses=both("conv_input_gradient")),
    mutant("conv_input_gradient_flipped_kernel", "multiplies by the flipped kernel K[r_K - 1 - k, c_K - 1 - l]",
           cell="conv_input_gradient",
           edits=[("* kernel[k, l]", "* kernel[rows_k - 1 - k, cols_k - 1 - l]")],
           loses=both("conv_input_gradient")),
    mutant("gradient_image_absolute", "takes the absolute value of the gradient before normalising it",
           cell="normalised_input_gradient",
           edits=[("gradient = conv_input_gradient(2 * response, SOBEL_X)",
                   "gradient = np.abs(conv_input_gradient(2 * response, SOBEL_X))")],
           loses=both("normalised_input_gradient")),
    mutant("gradient_image_divided_by_max", "divides the gradient by its maximum, as sobel_edges does (no min-max)",
           cell="normalised_input_gradient",
           edits=[("return (gradient - gradient.min()) / (gradient.max() - gradient.min())",
                   "return gradient / gradient.max()")],
           loses=both("normalised_input_gradient")),
    mutant("gradient_image_of_response", "normalises the response Y = G_x * I instead of its input gradient",
           cell="normalised_input_gradient",
           edits=[("return (gradient - gradient.min()) / (gradient.max() - gradient.min())",
                   "return (response - response.min()) / (response.max() - response.min())")],
           loses=both("normalised_input_gradient")),
    mutant("gradient_image_sobel_y", "uses the vertical kernel G_y instead of G_x",
           cell="normalised_input_gradient",
           edits=[("SOBEL_X[:, :, None, None]", "SOBEL_Y[:, :, None, None]"),
                  ("(2 * response, SOBEL_X)", "(2 * response, SOBEL_Y)")],
           loses=both("normalised_input_gradient")),
    mutant("gradient_image_standardised", "standardises the gradient, (G - mean) / std, instead of min-max",
           cell="normalised_input_gradient",
           edits=[("return (gradient - gradient.min()) / (gradient.max() - gradient.min())",
                   "return (gradient - gradient.mean()) / gradient.std()")],
           loses=both("normalised_input_gradient"), tier="extended"),
    # Part 6
    mutant("classifier_labels_not_a_column", "gives bce_loss the (B,) labels next to (B, 1) logits",
           cell="train_classifier",
           edits=[("target = labels[batch].reshape(-1, 1)", "target = labels[batch]")],
           loses=both("train_classifier")),
    mutant("classifier_accuracy_of_last_batch", "reports the accuracy of the epoch's last batch only",
           cell="train_classifier",
           edits=[("batch_losses, correct = [], 0", "batch_losses = []"),
                  ("correct += int(np.sum((logits > 0) == (target == 1)))",
                   "correct = int(np.sum((logits > 0) == (target == 1)))"),
                  ("correct / len(images)", "correct / len(batch)")],
           loses=hidden("train_classifier")),
    mutant("classifier_threshold_half", "classifies as 1 when the logit exceeds 0.5 (a probability threshold on logits)",
           cell="train_classifier", edits=[("(logits > 0)", "(logits > 0.5)")],
           loses=hidden("train_classifier")),
    mutant("classifier_ignores_seed", "always shuffles with np.random.default_rng(0)",
           cell="train_classifier", edits=[("rng = np.random.default_rng(seed)", "rng = np.random.default_rng(0)")],
           loses=hidden("train_classifier")),
    mutant("classifier_history_per_batch", "appends every batch's loss to the history instead of one mean per epoch",
           cell="train_classifier", edits=[('history["loss"].append(float(np.mean(batch_losses)))',
                                            'history["loss"].extend(batch_losses)')],
           loses=both("train_classifier")),
    # Part 7
    mutant("fast_conv_is_the_loop_version", "FastConv2D inherits the loop-based forward and backward",
           cell="fast_conv2d", source='class FastConv2D(Conv2D):\n    """The loop-based layer under a new name."""\n',
           loses=hidden("fast_conv2d")),
    mutant("fast_conv_window_order", "flattens the windows in sliding_window_view's order (f_in, i, j)",
           cell="fast_conv2d", region=0,
           edits=[("windows.transpose(0, 1, 2, 4, 5, 3)", "windows")],
           loses=both("fast_conv2d")),
    mutant("fast_conv_col2im_overwrites", "col2im assigns each window's gradient instead of adding it",
           cell="fast_conv2d", edits=[("j:j + S * (w_out - 1) + 1:S] += window_grads[i, j]",
                                       "j:j + S * (w_out - 1) + 1:S] = window_grads[i, j]")],
           loses=both("fast_conv2d")),
    mutant("fast_conv_float64_gradient", "builds the input gradient in float64 whatever the input's dtype",
           cell="fast_conv2d", edits=[("np.zeros((F_in, B, H, W), dtype=window_grads.dtype)", "np.zeros((F_in, B, H, W))")],
           loses=both("fast_conv2d")),
    mutant("fast_maxpool_gradient_to_whole_pool", "broadcasts the gradient to every element of the pool",
           cell="fast_maxpool",
           edits=[("is_max * gradient[:, :, None, :, None, :]",
                   "np.broadcast_to(gradient[:, :, None, :, None, :], self.pools.shape)")],
           loses=both("fast_maxpool")),
    mutant("fast_maxpool_float64_gradient", "builds the input gradient in float64 whatever the dtype",
           cell="fast_maxpool", edits=[("np.zeros(self.input_shape, dtype=gradient.dtype)", "np.zeros(self.input_shape)")],
           loses=both("fast_maxpool")),
    mutant("fast_maxpool_loops", "FastMaxPooling.backward loops over the pools like MaxPooling",
           cell="fast_maxpool", region=1, code="""\
B, h_out, K, w_out, _, F = self.pools.shape
grad_input = np.zeros(self.input_shape, dtype=gradient.dtype)
for p in range(h_out):
    for q in range(w_out):
        pool = self.pools[:, p, :, q, :, :]
        is_max = pool == self.output[:, p:p + 1, q:q + 1, :]
        grad_input[:, p * K:(p + 1) * K, q * K:(q + 1) * K, :] = is_max * gradient[:, p:p + 1, q:q + 1, :]
return grad_input""", loses=hidden("fast_maxpool")),
]

ALTERNATIVES = [
    # Part 1
    alternative("channelwise_einsum", "np.einsum with the identity matrix, no loop",
                cell="channelwise_kernel", code='return np.einsum("ij,cd->ijcd", kernel2d, np.eye(n_channels))'),
    alternative("filter_per_channel", "convolves every channel with the 2-D kernel on its own and stacks them",
                cell="filter_example", code="""\
results = []
for kernel in FILTERS.values():
    channels = [convolve(kernel[:, :, None, None], add_padding(image[None, :, :, c:c + 1], 1), 1)[0, :, :, 0]
                for c in range(image.shape[2])]
    results.append(np.stack(channels, axis=-1))
image_grid(results, list(FILTERS), "filter_example.png")
return results"""),
    alternative("sobel_two_convolutions", "two convolutions and np.hypot",
                cell="sobel_edges", code="""\
image = gray_image[None, :, :, None]
gx = convolve(SOBEL_X[:, :, None, None], image, 1)[0, :, :, 0]
gy = convolve(SOBEL_Y[:, :, None, None], image, 1)[0, :, :, 0]
edges = np.hypot(gx, gy)
return edges / np.max(edges)"""),
    # Part 2
    alternative("numerical_gradient_fresh_copies", "a fresh copy of x for every nudge, flat indices",
                cell="numerical_gradient", code="""\
x = np.asarray(x, dtype=np.float64)
gradient = np.zeros(x.size)
for n in range(x.size):
    step = np.zeros(x.size)
    step[n] = h
    step = step.reshape(x.shape)
    gradient[n] = (np.sum(upstream * f(x + step)) - np.sum(upstream * f(x - step))) / (2 * h)
return gradient.reshape(x.shape)"""),
    alternative("relative_error_explicit_sums", "square roots of sums of squares; returns a NumPy float",
                cell="relative_error", code="""\
a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
denominator = np.sqrt(np.sum(a ** 2)) + np.sqrt(np.sum(b ** 2))
if denominator == 0:
    return 0.0
return np.sqrt(np.sum((a - b) ** 2)) / denominator"""),
    # Part 3
    alternative("fc_backward_tensordot", "np.tensordot over the leading axes, no reshape",
                cell="fully_connected", code="""\
axes = tuple(range(gradient.ndim - 1))
self.grad_weights = np.tensordot(self.input, gradient, axes=(axes, axes))
self.grad_bias = gradient.sum(axis=axes)
return gradient @ self.weights.T"""),
    alternative("fc_update_in_place", "updates the arrays in place with -=",
                cell="fully_connected", region=1, code="""\
self.weights -= learning_rate * self.grad_weights
self.bias -= learning_rate * self.grad_bias"""),
    alternative("relu_derivative_one_at_zero", "takes ReLU'(0) = 1",
                cell="relu", code="return gradient * (self.input >= 0)"),
    alternative("mse_numpy_scalar_mean", "the mean over the examples of their squared errors; returns a NumPy float",
                cell="mse_loss", code="""\
difference = prediction - target
per_example = np.sum(difference.reshape(len(prediction), -1) ** 2, axis=1)
return 0.5 * np.mean(per_example), difference / len(prediction)"""),
    alternative("ffn_backward_index_loop", "an index loop from the last layer down",
                cell="feedforward", code="""\
for index in range(len(self.layers) - 1, -1, -1):
    gradient = self.layers[index].backward(gradient)
return gradient"""),
    alternative("ffn_update_last_to_first", "updates the layers from the last to the first",
                cell="feedforward", region=1, code="""\
for layer in self.layers[::-1]:
    layer.update(learning_rate)"""),
    alternative("train_regression_shuffled_copies", "rng.shuffle of an index array, shuffled copies of the data",
                cell="train_regression_net", code="""\
x, y = regression_data(N)
rng = np.random.default_rng(0)
losses = []
for epoch in range(epochs):
    index = np.arange(N)
    rng.shuffle(index)
    xs, ys = x[index], y[index]
    total, count = 0.0, 0
    for start in range(0, N, batch_size):
        prediction = net.forward(xs[start:start + batch_size])
        loss, gradient = mse_loss(prediction, ys[start:start + batch_size])
        net.backward(gradient)
        net.update(learning_rate)
        total, count = total + loss, count + 1
    losses.append(total / count)
return losses"""),
    alternative("train_regression_generator_per_epoch", "a new np.random.default_rng(0) in every epoch",
                cell="train_regression_net", edits=[("    order = rng.permutation(N)",
                                                     "    order = np.random.default_rng(0).permutation(N)")]),
    # Part 4
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
    alternative("dilate_loops", "loops over the input pixels",
                cell="dilate", code="""\
B, h, w, F = images.shape
out = np.zeros((B, (h - 1) * D + 1, (w - 1) * D + 1, F), dtype=images.dtype)
for s in range(h):
    for t in range(w):
        out[:, s * D, t * D, :] = images[:, s, t, :]
return out"""),
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
    alternative("conv_update_in_place", "updates the arrays in place with -=",
                cell="conv2d", region=1, code="""\
self.kernels -= learning_rate * self.grad_kernels
self.bias -= learning_rate * self.grad_bias"""),
    alternative("bce_plain_sigmoid", "the textbook formulas: 1 / (1 + e^-z), np.log, np.mean",
                cell="bce_loss", code="""\
p = 1 / (1 + np.exp(-logits))
loss = -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))
return loss, (p - target) / len(logits)"""),
    # Part 5
    alternative("first_order_vdot", "np.vdot for both sums",
                cell="first_order_accuracy", code="""\
exact = np.vdot(upstream, f(x + delta)) - np.vdot(upstream, f(x))
predicted = np.vdot(gradient, delta)
return 100.0 * (1.0 - np.abs(exact - predicted) / np.abs(exact))"""),
    alternative("conv_input_gradient_full_convolution", "vectorised: pads the gradient by K - 1, flipped kernel, "
                "a loop over the kernel offsets only", cell="conv_input_gradient", code="""\
rows_k, cols_k = kernel.shape
padded = np.pad(dloss_dy, ((rows_k - 1, rows_k - 1), (cols_k - 1, cols_k - 1)))
flipped = kernel[::-1, ::-1]
rows_x, cols_x = dloss_dy.shape[0] + rows_k - 1, dloss_dy.shape[1] + cols_k - 1
gradient = np.zeros((rows_x, cols_x))
for k in range(rows_k):
    for l in range(cols_k):
        gradient += flipped[k, l] * padded[k:k + rows_x, l:l + cols_x]
return gradient"""),
    alternative("gradient_image_conv2d_layer", "the Conv2D layer's forward and backward instead of convolve and "
                "conv_input_gradient; np.ptp", cell="normalised_input_gradient", code="""\
layer = Conv2D(SOBEL_X[:, :, None, None], np.zeros(1))
response = layer.forward(gray_image[None, :, :, None])
gradient = layer.backward(2 * response)[0, :, :, 0]
return (gradient - gradient.min()) / np.ptp(gradient)"""),
    alternative("gradient_image_without_factor_two", "passes Y instead of 2Y as dL/dY (the normalisation cancels the "
                "factor)", cell="normalised_input_gradient", tier="extended", code="""\
response = convolve(SOBEL_X[:, :, None, None], gray_image[None, :, :, None], 1)[0, :, :, 0]
gradient = conv_input_gradient(response, SOBEL_X)
low, high = gradient.min(), gradient.max()
return (gradient - low) / (high - low)"""),
    # Part 6
    alternative("classifier_shuffled_copies", "rng.shuffle of an index array, sigmoid threshold, accuracy at the end",
                cell="train_classifier", code="""\
rng = np.random.default_rng(seed)
history = {"loss": [], "accuracy": []}
for epoch in range(epochs):
    index = np.arange(len(images))
    rng.shuffle(index)
    shuffled, targets = images[index], labels[index].reshape(-1, 1)
    losses, predictions = [], []
    for start in range(0, len(images), batch_size):
        logits = net.forward(shuffled[start:start + batch_size])
        loss, gradient = bce_loss(logits, targets[start:start + batch_size])
        net.backward(gradient)
        net.update(learning_rate)
        losses.append(loss)
        predictions.append(1 / (1 + np.exp(-logits)) > 0.5)
    history["loss"].append(np.mean(losses))
    history["accuracy"].append(np.mean(np.concatenate(predictions) == (targets == 1)))
return history"""),
    # Part 7
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
    alternative("fast_maxpool_argmax", "FastMaxPooling.backward: one winner per pool (argmax), put_along_axis",
                cell="fast_maxpool", region=1, code="""\
B, h_out, K, w_out, _, F = self.pools.shape
pools = self.pools.transpose(0, 1, 3, 5, 2, 4).reshape(B, h_out, w_out, F, K * K)
mask = np.zeros(pools.shape, dtype=gradient.dtype)
np.put_along_axis(mask, pools.argmax(axis=-1)[..., None], 1, axis=-1)
spread = (mask * gradient[..., None]).reshape(B, h_out, w_out, F, K, K).transpose(0, 1, 4, 2, 5, 3)
grad_input = np.zeros(self.input_shape, dtype=gradient.dtype)
grad_input[:, :h_out * K, :w_out * K, :] = spread.reshape(B, h_out * K, w_out * K, F)
return grad_input"""),
    alternative("fast_maxpool_repeat", "FastMaxPooling.backward: the maxima repeated with np.repeat, then compared",
                cell="fast_maxpool", region=1, code="""\
K = self.kernel_size
B, h, w, F = self.input_shape
h_out, w_out = self.output.shape[1:3]
maxima = np.repeat(np.repeat(self.output, K, axis=1), K, axis=2)
spread = np.repeat(np.repeat(gradient, K, axis=1), K, axis=2)
grad_input = np.zeros(self.input_shape, dtype=gradient.dtype)
region = (slice(None), slice(0, h_out * K), slice(0, w_out * K), slice(None))
grad_input[region] = spread * (self.pools.reshape(B, h_out * K, w_out * K, F) == maxima)
return grad_input"""),
]

# Graded by `make test`; the rest by `make test-extended` (CI runs both): a mistake per graded
# function, the ones the visible tests must name (a weight gradient divided by B, an undilated
# gradient), and alternatives of the kinds the text leaves open.
CORE = {
    "channelwise_mixes_channels", "filter_no_padding", "sobel_x_only", "numerical_gradient_one_sided",
    "relative_error_one_sided_scale", "fc_weight_gradient_divided_by_batch", "fc_update_ascends",
    "relu_passes_negatives", "mse_gradient_not_divided", "ffn_backward_forward_order",
    "train_regression_no_shuffle", "maxpool_gradient_to_whole_pool", "dilate_inserts_d_zeros",
    "conv_forgot_dilation", "conv_forgot_flip", "bce_gradient_wrt_probability", "first_order_signed_difference",
    "conv_input_gradient_no_border_limits", "gradient_image_absolute", "classifier_labels_not_a_column",
    "fast_conv_window_order", "fast_maxpool_loops",
    "channelwise_einsum", "sobel_two_convolutions", "relu_derivative_one_at_zero", "maxpool_first_maximum",
    "conv_backward_im2col", "train_regression_shuffled_copies", "gradient_image_conv2d_layer",
}
