"""Mutants and alternatives of assignment 3 (instructor-only; never released).

Each mutant is a mistake students really make; ``loses`` lists exactly the test
cells that must catch it. The tests of ``train`` run a known-good tiny model on
tiny tensor datasets with stand-ins for ``plot_history`` and ``evaluate_accuracy``
and recorders of the forward and backward passes, the optimiser's steps and the
order the images are read in, so a mistake costs points only where the faulty
function or class is tested. Alternatives write every graded item differently,
within what the text allows (its open choices: interpolation, which images
``plot_samples`` shows and where titles sit, Adam's other settings, validation
batch size and passes, ``no_grad`` or ``inference_mode``, a progress bar or none,
the architecture of ``ImprovedNet`` and ``GlobalPoolNet``).
"""
from cnnkit.catalogue import alternative, mutant
from cnnkit.submissions import Change

RESIZE = "        v2.Resize((image_size, image_size)),\n"
ROWS = "indices = [i for i, target in enumerate(dataset.targets) if target == label][:n_per_class]"
FORWARD = "return self.sigmoid(self.output(self.relu(self.hidden(features))))"
PREDICTED = "predicted = (model(images) > 0.5).long().squeeze(1)"
LOSS_SUM = "loss_sum += loss.item() * len(labels)"
LOADER = "loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True)"
ADAM = "optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)"
EPOCH_START = "    for epoch in range(epochs):\n        model.train()\n"
LOSS = "loss = loss_fn(model(images), labels.float().unsqueeze(1))"
GRAD_WEIGHT = "(upstream @ cols.transpose(1, 2)).sum(dim=0)"

MUTANTS = [
    # casting_datasets
    mutant("datasets_normalised", "standardises with mean 0.5 and std 0.5 (to [-1, 1]) instead of PIXEL_MEAN, PIXEL_STD",
           cell="datasets", edits=[("v2.Normalize(mean=[PIXEL_MEAN] * 3, std=[PIXEL_STD] * 3)",
                                    "v2.Normalize(mean=[0.5] * 3, std=[0.5] * 3)")],
           loses={"datasets_visible", "datasets_hidden"}),
    mutant("datasets_not_standardised", "stops at [0, 1]: no standardisation (no v2.Normalize)",
           cell="datasets", edits=[("        v2.Normalize(mean=[PIXEL_MEAN] * 3, std=[PIXEL_STD] * 3),\n", "")],
           loses={"datasets_visible", "datasets_hidden"}),
    mutant("datasets_mean_std_swapped", "passes the standard deviation as the mean and the mean as the deviation",
           cell="datasets", edits=[("v2.Normalize(mean=[PIXEL_MEAN] * 3, std=[PIXEL_STD] * 3)",
                                    "v2.Normalize(mean=[PIXEL_STD] * 3, std=[PIXEL_MEAN] * 3)")],
           loses={"datasets_visible", "datasets_hidden"}, tier="extended"),
    mutant("datasets_splits_swapped", "trains on the test folder and validates on the train folder",
           cell="datasets", edits=[('root / "train", transform', 'root / "test", transform'),
                                   ('root / "test", transform=to_tensor))', 'root / "train", transform=to_tensor))')],
           loses={"datasets_visible", "datasets_hidden"}),
    mutant("datasets_centre_crop", "crops the centre 224 x 224 instead of resizing the whole photo",
           cell="datasets", edits=[(RESIZE, "        v2.CenterCrop(image_size),\n")],
           loses={"datasets_visible", "datasets_hidden"}),
    mutant("datasets_uint8", "keeps the images as uint8 0..255 (ToImage without ToDtype)",
           cell="datasets", edits=[("        v2.ToDtype(torch.float32, scale=True),\n", "")],
           loses={"datasets_visible", "datasets_hidden"}),
    mutant("datasets_size_ignored", "always resizes to 224 x 224, whatever image_size says",
           cell="datasets", edits=[(RESIZE, "        v2.Resize((224, 224)),\n")],
           loses={"datasets_hidden"}),
    mutant("datasets_labels_flipped", "turns the labels round (1 for def_front, 0 for ok_front)",
           cell="datasets", edits=[('datasets.ImageFolder(root / "train", transform=to_tensor)',
                                    'datasets.ImageFolder(root / "train", transform=to_tensor, target_transform=lambda y: 1 - y)'),
                                   ('datasets.ImageFolder(root / "test", transform=to_tensor)',
                                    'datasets.ImageFolder(root / "test", transform=to_tensor, target_transform=lambda y: 1 - y)')],
           loses={"datasets_visible", "datasets_hidden"}),
    # plot_samples
    mutant("samples_rows_not_by_class", "shows the first images of the dataset in every row, titled with the row's class",
           cell="plot_samples", edits=[(ROWS, "indices = range(n_per_class)")],
           loses={"plot_samples_visible", "plot_samples_hidden"}),
    mutant("samples_one_row", "puts all images in one row instead of one row per class",
           cell="plot_samples", code="""\
classes = dataset.classes
fig, axes = plt.subplots(1, len(classes) * n_per_class, figsize=(12, 2.5), squeeze=False)
axes = axes[0]
for label, name in enumerate(classes):
    indices = [i for i, target in enumerate(dataset.targets) if target == label][:n_per_class]
    for column, index in enumerate(indices):
        ax = axes[label * n_per_class + column]
        ax.imshow(dataset[index][0].permute(1, 2, 0))
        ax.set_title(name)
        ax.axis("off")
fig.savefig(outputs_dir() / "samples.png")
return fig""",
           loses={"plot_samples_visible", "plot_samples_hidden"}),
    mutant("samples_not_saved", "shows the figure but never saves it",
           cell="plot_samples", edits=[('    fig.savefig(outputs_dir() / "samples.png")\n', "")],
           loses={"plot_samples_visible", "plot_samples_hidden"}),
    mutant("samples_title_label_number", "titles each image with its label number instead of its class name",
           cell="plot_samples", edits=[("ax.set_title(classes[label])", "ax.set_title(str(label))")],
           loses={"plot_samples_visible", "plot_samples_hidden"}),
    mutant("samples_fixed_class_names", "titles with the casting class names whatever the dataset's classes",
           cell="plot_samples", edits=[("ax.set_title(classes[label])", 'ax.set_title(("def_front", "ok_front")[label])')],
           loses={"plot_samples_hidden"}),
    mutant("samples_returns_axes", "returns the array of axes instead of the figure",
           cell="plot_samples", edits=[("    return fig", "    return axes")],
           loses={"plot_samples_visible", "plot_samples_hidden"}),
    # SimpLeNet
    mutant("simplenet_no_sigmoid", "forgets the final sigmoid",
           cell="simplenet", edits=[(FORWARD, "return self.output(self.relu(self.hidden(features)))")],
           loses={"simplenet_visible", "simplenet_hidden"}),
    mutant("simplenet_sigmoid_twice", "applies the sigmoid twice (in forward and again on the result)",
           cell="simplenet", edits=[(FORWARD, "return self.sigmoid(self.sigmoid(self.output(self.relu(self.hidden(features)))))")],
           loses={"simplenet_visible", "simplenet_hidden"}),
    mutant("simplenet_flatten_size_wrong", "sizes the first linear layer for 6 x 28 x 28 (pooling output miscounted)",
           cell="simplenet", edits=[("nn.Linear(6 * 27 * 27, 10)", "nn.Linear(6 * 28 * 28, 10)")],
           loses={"simplenet_visible", "simplenet_hidden"}),
    mutant("simplenet_stride_1", "convolves with stride 1 instead of 4 (first linear layer resized to match)",
           cell="simplenet", edits=[("stride=4, padding=1)", "stride=1, padding=1)"),
                                    ("nn.Linear(6 * 27 * 27, 10)", "nn.Linear(6 * 111 * 111, 10)")],
           loses={"simplenet_visible", "simplenet_hidden"}),
    mutant("simplenet_average_pooling", "pools with nn.AvgPool2d instead of max pooling",
           cell="simplenet", edits=[("nn.MaxPool2d(kernel_size=4, stride=2)", "nn.AvgPool2d(kernel_size=4, stride=2)")],
           loses={"simplenet_hidden"}),
    mutant("simplenet_no_relu", "leaves out the ReLU between the two linear layers",
           cell="simplenet", edits=[(FORWARD, "return self.sigmoid(self.output(self.hidden(features)))")],
           loses={"simplenet_hidden"}),
    # evaluate_accuracy
    mutant("accuracy_without_eval", "leaves the model in training mode while evaluating",
           cell="evaluate_accuracy", edits=[("    model.eval()\n", "")],
           loses={"evaluate_accuracy_visible", "evaluate_accuracy_hidden"}),
    mutant("accuracy_with_gradients", "evaluates with gradients on (no torch.no_grad())",
           cell="evaluate_accuracy", edits=[("    with torch.no_grad():\n", "    if True:\n")],
           loses={"evaluate_accuracy_visible", "evaluate_accuracy_hidden"}),
    mutant("accuracy_mean_of_batches", "averages the accuracies of the batches (the last batch is smaller)",
           cell="evaluate_accuracy", code="""\
model.to(device)
model.eval()
accuracies = []
with torch.no_grad():
    for images, labels in DataLoader(dataset, batch_size=batch_size):
        images, labels = images.to(device), labels.to(device)
        predicted = (model(images) > 0.5).long().squeeze(1)
        accuracies.append((predicted == labels).float().mean().item())
return sum(accuracies) / len(accuracies)""",
           loses={"evaluate_accuracy_visible", "evaluate_accuracy_hidden"}),
    mutant("accuracy_labels_shape", "compares the (B, 1) predictions with the (B,) labels (a (B, B) table)",
           cell="evaluate_accuracy", edits=[(PREDICTED, "predicted = (model(images) > 0.5).long()")],
           loses={"evaluate_accuracy_visible", "evaluate_accuracy_hidden"}),
    mutant("accuracy_argmax", "predicts with argmax over the single output column (always class 0)",
           cell="evaluate_accuracy", edits=[(PREDICTED, "predicted = model(images).argmax(dim=1)")],
           loses={"evaluate_accuracy_hidden"}),
    mutant("accuracy_batch_not_moved", "moves the model to device but not the batches",
           cell="evaluate_accuracy", edits=[("            images, labels = images.to(device), labels.to(device)\n", "")],
           loses={"evaluate_accuracy_visible", "evaluate_accuracy_hidden"}),
    mutant("accuracy_fixed_batch_size", "reads the dataset in batches of 32 whatever batch_size says",
           cell="evaluate_accuracy", edits=[("DataLoader(dataset, batch_size=batch_size)", "DataLoader(dataset, batch_size=32)")],
           loses={"evaluate_accuracy_hidden"}),
    # train
    mutant("train_no_shuffle", "reads the training images in the same order every epoch",
           cell="train", edits=[("shuffle=True", "shuffle=False")],
           loses={"train_visible", "train_hidden"}),
    mutant("train_same_order_every_epoch", "shuffles once, with a generator seeded anew every epoch",
           cell="train", edits=[(LOADER, "pass"),
                                (EPOCH_START, EPOCH_START + "        loader = DataLoader(train_ds, batch_size=batch_size, "
                                 "shuffle=True, generator=torch.Generator().manual_seed(0))\n")],
           loses={"train_hidden"}),
    mutant("train_python_random_shuffle", "shuffles with Python's random module, which torch.manual_seed does not fix",
           cell="train", edits=[(LOADER, "import random"),
                                (EPOCH_START, EPOCH_START + "        order = random.sample(range(len(train_ds)), len(train_ds))\n"
                                 "        loader = DataLoader(Subset(train_ds, order), batch_size=batch_size)\n")],
           loses={"train_hidden"}),
    mutant("train_validation_in_train_mode", "computes the validation loss without model.eval()",
           cell="train", edits=[("    model.eval()\n    summed", "    summed")],
           loses={"train_visible", "train_hidden"}),
    mutant("train_validation_with_gradients", "computes the validation loss with gradients on (no torch.no_grad())",
           cell="train", edits=[("    with torch.no_grad():\n        for images, labels in DataLoader(dataset, batch_size=batch_size):\n"
                                 "            images, labels",
                                 "    if True:\n        for images, labels in DataLoader(dataset, batch_size=batch_size):\n"
                                 "            images, labels")],
           loses={"train_visible", "train_hidden"}),
    mutant("train_validation_first_batch", "validates on the first batch of val_ds only",
           cell="train", edits=[("        history[\"val_loss\"].append(validation_loss(model, val_ds, batch_size))\n",
                                 "        first = Subset(val_ds, range(min(batch_size, len(val_ds))))\n"
                                 "        history[\"val_loss\"].append(validation_loss(model, first, batch_size))\n"),
                                ("evaluate_accuracy(model, val_ds, batch_size)", "evaluate_accuracy(model, first, batch_size)")],
           loses={"train_hidden"}),
    mutant("train_no_zero_grad", "never resets the gradients (optimizer.zero_grad() missing)",
           cell="train", edits=[("            optimizer.zero_grad()\n", "")],
           loses={"train_visible", "train_hidden"}),
    mutant("train_model_train_once", "calls model.train() once before the loop, so epochs after the first train in eval mode",
           cell="train", edits=[(EPOCH_START, "    model.train()\n    for epoch in range(epochs):\n")],
           loses={"train_visible", "train_hidden"}),
    mutant("train_never_model_train", "never calls model.train(): after the first validation every batch trains in eval mode",
           cell="train", edits=[(EPOCH_START, "    for epoch in range(epochs):\n")],
           loses={"train_visible", "train_hidden"}),
    mutant("train_bce_with_logits", "uses BCEWithLogitsLoss on outputs that already went through the sigmoid",
           cell="train", edits=[("loss_fn = nn.BCELoss()", "loss_fn = nn.BCEWithLogitsLoss()")],
           loses={"train_hidden"}),
    mutant("train_labels_shape", "gives nn.BCELoss the (B,) labels as targets for the (B, 1) output",
           cell="train", edits=[(LOSS, "loss = loss_fn(model(images), labels.float())")],
           loses={"train_visible", "train_hidden"}),
    mutant("train_last_batch_loss", "records the loss of the last batch as the epoch's training loss",
           cell="train", edits=[(LOSS_SUM, "loss_sum = loss.item() * len(train_ds)")],
           loses={"train_hidden"}),
    mutant("train_loss_per_batch", "appends every batch's loss to history['train_loss']",
           cell="train", edits=[(LOSS_SUM, LOSS_SUM + "\n            history[\"train_loss\"].append(loss.item())"),
                                ('        history["train_loss"].append(loss_sum / len(train_ds))\n', "")],
           loses={"train_visible", "train_hidden"}),
    mutant("train_drop_last", "drops the last, smaller batch of every epoch",
           cell="train", edits=[("shuffle=True)", "shuffle=True, drop_last=True)"),
                                (LOSS_SUM, "loss_sum += loss.item() * len(train_ds) / len(loader)")],
           loses={"train_hidden"}),
    mutant("train_sgd", "trains with plain SGD at the same learning rate (the loss still falls)",
           cell="train", edits=[(ADAM, "optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)")],
           loses={"train_visible", "train_hidden"}),
    mutant("train_fixed_learning_rate", "ignores learning_rate and keeps Adam's default 0.001",
           cell="train", edits=[(ADAM, "optimizer = torch.optim.Adam(model.parameters())")],
           loses={"train_visible", "train_hidden"}),
    mutant("train_optimiser_every_epoch", "creates a new Adam at the start of every epoch",
           cell="train", edits=[(ADAM, "pass"), (EPOCH_START, EPOCH_START + "        " + ADAM + "\n")],
           loses={"train_visible", "train_hidden"}),
    mutant("train_prints_all_parameters", "prints the number of all parameters, frozen ones included",
           cell="train", edits=[("sum(p.numel() for p in model.parameters() if p.requires_grad)",
                                 "sum(p.numel() for p in model.parameters())")],
           loses={"train_hidden"}),
    mutant("train_batch_not_moved", "moves the model to device but not the training batches",
           cell="train", edits=[("            images, labels = images.to(device), labels.to(device)\n            optimizer.zero_grad()",
                                 "            optimizer.zero_grad()")],
           loses={"train_visible", "train_hidden"}),
    mutant("train_labels_not_moved", "moves the training images to device but not their labels",
           cell="train", edits=[("            images, labels = images.to(device), labels.to(device)\n            optimizer.zero_grad()",
                                 "            images = images.to(device)\n            optimizer.zero_grad()")],
           loses={"train_hidden"}, tier="extended"),
    mutant("train_model_not_moved", "moves every batch to device but never the model",
           cell="train", edits=[("    model.to(device)\n    loader", "    loader")],
           loses={"train_visible", "train_hidden"}, tier="extended"),
    mutant("train_plot_every_epoch", "calls plot_history after every epoch",
           cell="train", edits=[("    plot_history(history, type(model).__name__ if name is None else name)\n",
                                 ""),
                                ("        history[\"val_accuracy\"].append(evaluate_accuracy(model, val_ds, batch_size))\n",
                                 "        history[\"val_accuracy\"].append(evaluate_accuracy(model, val_ds, batch_size))\n"
                                 "        plot_history(history, type(model).__name__ if name is None else name)\n")],
           loses={"train_hidden"}),
    mutant("train_plot_name_ignored", "always names the curves after the model's class, ignoring name",
           cell="train", edits=[("plot_history(history, type(model).__name__ if name is None else name)",
                                 "plot_history(history, type(model).__name__)")],
           loses={"train_hidden"}),
    # ImprovedNet
    mutant("improved_two_neurons_softmax", "ends in a linear layer with two neurons and keeps softmax's 'ok' column",
           cell="improved", edits=[("self.head = nn.Linear(64, 1)", "self.head = nn.Linear(64, 2)"),
                                   ("return torch.sigmoid(self.head(strongest))",
                                    "return torch.softmax(self.head(strongest), dim=1)[:, 1:]")],
           loses={"improved_visible", "improved_hidden"}),
    mutant("improved_too_many_parameters", "flattens the 64 x 14 x 14 feature maps into a 64-neuron layer (800 000 parameters)",
           cell="improved", edits=[("self.head = nn.Linear(64, 1)",
                                    "self.head = nn.Sequential(nn.Flatten(), nn.Linear(64 * 14 * 14, 64), nn.ReLU(), nn.Linear(64, 1))"),
                                   ("strongest = self.features(x).amax(dim=(2, 3))", "strongest = self.features(x)")],
           loses={"improved_visible", "improved_hidden"}),
    mutant("improved_sigmoid_before_linear", "applies the sigmoid before the last linear layer",
           cell="improved", edits=[("return torch.sigmoid(self.head(strongest))",
                                    "return self.head(torch.sigmoid(strongest))")],
           loses={"improved_visible", "improved_hidden"}),
    mutant("improved_requires_argument", "ImprovedNet(width) needs an argument",
           cell="improved", edits=[("    def __init__(self):\n", "    def __init__(self, width):\n")],
           loses={"improved_visible", "improved_hidden"}),
    # Conv2dUnfold
    mutant("unfold_weight_grad_transposed", "computes the weight gradient as cols @ G^T (transposed) and reshapes it",
           cell="conv2d_unfold", edits=[(GRAD_WEIGHT, "(cols @ upstream.transpose(1, 2)).sum(dim=0)")],
           loses={"conv2d_unfold_visible", "conv2d_unfold_hidden"}),
    mutant("unfold_fold_without_padding", "folds the gradient back without the padding",
           cell="conv2d_unfold", edits=[("padding=ctx.padding, stride=ctx.stride)", "padding=0, stride=ctx.stride)")],
           loses={"conv2d_unfold_visible", "conv2d_unfold_hidden"}),
    mutant("unfold_weight_grad_first_image", "takes the weight gradient of the first image only, not the sum over the batch",
           cell="conv2d_unfold", edits=[(GRAD_WEIGHT, "(upstream @ cols.transpose(1, 2))[0]")],
           loses={"conv2d_unfold_visible", "conv2d_unfold_hidden"}),
    mutant("unfold_output_size_rounded_up", "rounds the output size up when (h + 2P - K) / S is not whole",
           cell="conv2d_unfold", edits=[("h_out = (h + 2 * padding - K) // stride + 1",
                                         "h_out = -(-(h + 2 * padding - K) // stride) + 1")],
           loses={"conv2d_unfold_visible", "conv2d_unfold_hidden"}),
    mutant("unfold_two_gradients", "returns gradients for x and weight only, none for stride and padding",
           cell="conv2d_unfold", edits=[("return grad_x, grad_weight, None, None", "return grad_x, grad_weight")],
           loses={"conv2d_unfold_visible", "conv2d_unfold_hidden"}),
    mutant("unfold_uses_conv2d", "calls F.conv2d and torch.nn.grad instead of building the convolution",
           cell="conv2d_unfold", source='''\
class Conv2dUnfold(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, stride, padding):
        ctx.save_for_backward(x, weight)
        ctx.stride, ctx.padding = stride, padding
        return F.conv2d(x, weight, stride=stride, padding=padding)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        grad_x = torch.nn.grad.conv2d_input(x.shape, weight, grad_output, stride=ctx.stride, padding=ctx.padding)
        grad_weight = torch.nn.grad.conv2d_weight(x, weight.shape, grad_output, stride=ctx.stride, padding=ctx.padding)
        return grad_x, grad_weight, None, None''',
           loses={"conv2d_unfold_visible", "conv2d_unfold_hidden"}),
    mutant("unfold_imported_conv2d", "imports PyTorch's convolutions under their own names (past the static rule)",
           cell="conv2d_unfold", source='''\
from torch.nn.functional import conv2d
from torch.nn.grad import conv2d_input, conv2d_weight


class Conv2dUnfold(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, stride, padding):
        ctx.save_for_backward(x, weight)
        ctx.stride, ctx.padding = stride, padding
        return conv2d(x, weight, stride=stride, padding=padding)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        grad_x = conv2d_input(x.shape, weight, grad_output, stride=ctx.stride, padding=ctx.padding)
        grad_weight = conv2d_weight(x, weight.shape, grad_output, stride=ctx.stride, padding=ctx.padding)
        return grad_x, grad_weight, None, None''',
           loses={"conv2d_unfold_visible", "conv2d_unfold_hidden"}),
    # GlobalPoolNet
    mutant("global_pool_fixed_window", "pools with a fixed 28 x 28 window, global only for 224 x 224 images",
           cell="global_pool", edits=[("self.features(x).amax(dim=(2, 3))", "F.max_pool2d(self.features(x), 28).flatten(1)")],
           loses={"global_pool_visible", "global_pool_hidden"}),
    mutant("global_pool_batch_scaled", "divides the pooled features by their maximum over the whole batch",
           cell="global_pool", edits=[("return torch.sigmoid(self.head(self.features(x).amax(dim=(2, 3))))",
                                       "pooled = self.features(x).amax(dim=(2, 3))\n"
                                       "        return torch.sigmoid(self.head(pooled / (pooled.amax() + 1e-6)))")],
           loses={"global_pool_hidden"}),
    mutant("global_pool_no_sigmoid", "returns the linear layer's output without the sigmoid",
           cell="global_pool", edits=[("return torch.sigmoid(self.head(self.features(x).amax(dim=(2, 3))))",
                                       "return self.head(self.features(x).amax(dim=(2, 3)))")],
           loses={"global_pool_visible", "global_pool_hidden"}),
    mutant("global_pool_too_many_parameters", "widens the last convolution to 384 filters (over 100 000 parameters)",
           cell="global_pool", edits=[("*block(32, 32))", "*block(32, 384))"), ("nn.Linear(32, 1)", "nn.Linear(384, 1)")],
           loses={"global_pool_visible", "global_pool_hidden"}),
    # compare_pooling
    mutant("compare_pooling_seeded_once", "calls torch.manual_seed(seed) once, before the loop: the second network starts "
           "from other weights", cell="compare_pooling",
           edits=[("    histories = {}\n    for pool in (\"max\", \"avg\"):\n        torch.manual_seed(seed)\n",
                   "    histories = {}\n    torch.manual_seed(seed)\n    for pool in (\"max\", \"avg\"):\n")],
           loses={"compare_pooling_visible", "compare_pooling_hidden"}),
    mutant("compare_pooling_training_loss", "plots the training loss where the validation loss belongs",
           cell="compare_pooling", edits=[('loss_ax.plot(epoch_numbers, history["val_loss"]',
                                           'loss_ax.plot(epoch_numbers, history["train_loss"]')],
           loses={"compare_pooling_visible", "compare_pooling_hidden"}),
    mutant("compare_pooling_not_saved", "shows the figure but never saves it", cell="compare_pooling",
           edits=[('    fig.savefig(outputs_dir() / "pooling.png")\n', "")],
           loses={"compare_pooling_visible", "compare_pooling_hidden"}, tier="extended"),
    mutant("compare_pooling_unlabelled", "draws the lines without labels or legend", cell="compare_pooling",
           edits=[('history["val_loss"], "o-", label=label)', 'history["val_loss"], "o-")'),
                  ('history["val_accuracy"], "o-", label=label)', 'history["val_accuracy"], "o-")'),
                  ("    loss_ax.legend()\n    accuracy_ax.legend()\n", "")],
           loses={"compare_pooling_visible", "compare_pooling_hidden"}, tier="extended"),
    mutant("compare_pooling_one_subplot", "draws losses and accuracies in one subplot", cell="compare_pooling",
           edits=[('accuracy_ax.plot(epoch_numbers, history["val_accuracy"]', 'loss_ax.plot(epoch_numbers, history["val_accuracy"]')],
           loses={"compare_pooling_visible", "compare_pooling_hidden"}, tier="extended"),
    # sweep
    mutant("sweep_zip", "pairs the i-th learning rate with the i-th batch size (zip) instead of trying every combination",
           cell="sweep", code="""\
table = []
for learning_rate, batch_size in zip(learning_rates, batch_sizes):
    torch.manual_seed(seed)
    model = make_model()
    history = train(model, train_ds, val_ds, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                    name=f"sweep_lr{learning_rate:g}_bs{batch_size}")
    accuracies = [float(v) for v in history["val_accuracy"]]
    best = max(range(len(accuracies)), key=lambda e: (accuracies[e], -e))
    table.append({"learning_rate": learning_rate, "batch_size": batch_size, "final_val_accuracy": accuracies[-1],
                  "best_val_accuracy": accuracies[best], "best_epoch": best + 1})
return table""",
           loses={"sweep_visible", "sweep_hidden"}),
    mutant("sweep_model_reused", "creates one network before the loops and keeps training it in every run",
           cell="sweep", edits=[("    table = []\n", "    table = []\n    torch.manual_seed(seed)\n    model = make_model()\n"),
                                ("            torch.manual_seed(seed)\n            model = make_model()\n", "")],
           loses={"sweep_visible", "sweep_hidden"}),
    mutant("sweep_best_epoch_from_0", "counts the best epoch from 0", cell="sweep",
           edits=[('"best_epoch": best + 1}', '"best_epoch": best}')],
           loses={"sweep_visible", "sweep_hidden"}),
    mutant("sweep_no_seed", "never calls torch.manual_seed: each run starts from other weights", cell="sweep",
           edits=[("            torch.manual_seed(seed)\n", "")],
           loses={"sweep_visible", "sweep_hidden"}, tier="extended"),
    mutant("sweep_last_tie", "takes the last of tied best epochs", cell="sweep",
           edits=[("key=lambda e: (accuracies[e], -e))", "key=lambda e: (accuracies[e], e))")],
           loses={"sweep_hidden"}, tier="extended"),
    # cross_entropy
    mutant("cross_entropy_unstable", "takes log(sum(exp(scores))) without subtracting the row maximum (overflows)",
           cell="cross_entropy", code="""\
log_sum = torch.log(torch.exp(scores).sum(dim=1))
right = scores[torch.arange(scores.shape[0]), labels]
return (log_sum - right).mean()""",
           loses={"cross_entropy_visible", "cross_entropy_hidden"}),
    mutant("cross_entropy_batch_axis", "normalises over the batch axis (dim=0) instead of the classes",
           cell="cross_entropy", code="""\
largest = scores.max(dim=0, keepdim=True).values
log_sum = largest[0] + torch.log(torch.exp(scores - largest).sum(dim=0))
right = scores[torch.arange(scores.shape[0]), labels]
return (log_sum[labels] - right).mean()""",
           loses={"cross_entropy_visible", "cross_entropy_hidden"}),
    mutant("cross_entropy_summed", "sums over the batch instead of averaging", cell="cross_entropy",
           edits=[("return (log_sum - right).mean()", "return (log_sum - right).sum()")],
           loses={"cross_entropy_visible", "cross_entropy_hidden"}, tier="extended"),
    mutant("cross_entropy_library", "calls F.cross_entropy (not allowed here)", cell="cross_entropy",
           code="return F.cross_entropy(scores, labels)",
           loses={"cross_entropy_visible", "cross_entropy_hidden"}, tier="extended"),
    # DefectNet
    mutant("defect_net_softmax_before_loss", "ends in a softmax, which nn.CrossEntropyLoss applies a second time",
           cell="defect_net", edits=[("return self.head(self.features(x).amax(dim=(2, 3)))",
                                      "return torch.softmax(self.head(self.features(x).amax(dim=(2, 3))), dim=1)")],
           loses={"defect_net_visible", "defect_net_hidden"}),
    mutant("defect_net_sigmoid", "squashes the scores with a sigmoid", cell="defect_net",
           edits=[("return self.head(self.features(x).amax(dim=(2, 3)))",
                   "return torch.sigmoid(self.head(self.features(x).amax(dim=(2, 3))))")],
           loses={"defect_net_visible", "defect_net_hidden"}, tier="extended"),
    # predict_classes
    mutant("predict_argmax_batch_axis", "takes the argmax over the batch axis (dim=0)", cell="predict_classes",
           edits=[("scores.argmax(dim=1)", "scores.argmax(dim=0)")],
           loses={"predict_classes_visible", "predict_classes_hidden"}),
    mutant("predict_without_eval", "predicts with the model in training mode", cell="predict_classes",
           edits=[("    model.eval()\n", "")],
           loses={"predict_classes_visible", "predict_classes_hidden"}, tier="extended"),
    mutant("predict_batch_not_moved", "moves the model to device but not the batches", cell="predict_classes",
           edits=[("scores = model(images.to(device))", "scores = model(images)")],
           loses={"predict_classes_visible", "predict_classes_hidden"}, tier="extended"),
    # confusion_matrix
    mutant("confusion_transposed", "puts the predicted class in the rows and the true class in the columns",
           cell="confusion_matrix", edits=[("labels.long() * num_classes + predicted.long()",
                                            "predicted.long() * num_classes + labels.long()")],
           loses={"confusion_matrix_visible", "confusion_matrix_hidden"}),
    mutant("confusion_size_from_data", "sizes the matrix by the largest class seen, not num_classes",
           cell="confusion_matrix", code="""\
size = int(max(predicted.max(), labels.max())) + 1
counts = torch.bincount(labels.long() * size + predicted.long(), minlength=size ** 2)
return counts.reshape(size, size)""",
           loses={"confusion_matrix_visible", "confusion_matrix_hidden"}, tier="extended"),
    # per_class_accuracy
    mutant("class_accuracy_wrong_order", "names the rows in its own order, the good parts first",
           cell="per_class_accuracy", code="""\
matrix = torch.as_tensor(matrix).double()
names = ["ok"] + [name for name in classes if name != "ok"]
return {name: float(matrix[i, i] / matrix[i].sum()) for i, name in enumerate(names)}""",
           loses={"per_class_accuracy_visible", "per_class_accuracy_hidden"}),
    mutant("class_accuracy_columns", "divides by the column sums (how many were predicted as the class)",
           cell="per_class_accuracy", edits=[("matrix[i, i] / matrix[i].sum()", "matrix[i, i] / matrix[:, i].sum()")],
           loses={"per_class_accuracy_visible", "per_class_accuracy_hidden"}, tier="extended"),
]

ALTERNATIVES = [
    alternative("sequential_and_flatten_modules",
                "v1 transforms; SimpLeNet and GlobalPoolNet as one nn.Sequential with average pooling; "
                "accuracy from concatenated predictions under inference_mode",
                changes=[
                    Change("datasets", code="""\
from torchvision import transforms

to_tensor = transforms.Compose([transforms.Resize((image_size, image_size)), transforms.ToTensor(),
                                transforms.Normalize((PIXEL_MEAN,) * 3, (PIXEL_STD,) * 3)])
train_ds = datasets.ImageFolder(str(casting_dir() / "train"), to_tensor)
val_ds = datasets.ImageFolder(str(casting_dir() / "test"), to_tensor)
return train_ds, val_ds"""),
                    Change("simplenet", source="""\
class SimpLeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels=3, out_channels=6, kernel_size=(3, 3), stride=(4, 4), padding=(1, 1)),
            nn.MaxPool2d(kernel_size=(4, 4), stride=(2, 2)),
            nn.Flatten(start_dim=1),
            nn.Linear(in_features=4374, out_features=10),
            nn.ReLU(),
            nn.Linear(in_features=10, out_features=1),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.layers(x)"""),
                    Change("evaluate_accuracy", code="""\
model = model.to(device=device)
model.eval()
predictions, targets = [], []
with torch.inference_mode():
    for images, labels in DataLoader(dataset, batch_size=batch_size, shuffle=False):
        predictions.append((model(images.to(device, non_blocking=True)).flatten() > 0.5).cpu())
        targets.append(labels.bool())
return float((torch.cat(predictions) == torch.cat(targets)).float().mean())"""),
                    Change("global_pool", source="""\
class GlobalPoolNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(16, 1), nn.Sigmoid(),
        )

    def forward(self, x):
        return self.net(x)"""),
                ]),
    alternative("functional_forward_and_random_samples",
                "SimpLeNet's forward with F.max_pool2d, torch.flatten, F.relu, torch.sigmoid (layers created in "
                "another order); Grayscale(3) transforms with Resize(int); plot_samples shows random images in "
                "grey with plt.subplot",
                changes=[
                    Change("datasets", code="""\
from torchvision import transforms

steps = transforms.Compose([transforms.Grayscale(num_output_channels=3), transforms.Resize(image_size),
                            transforms.ToTensor(), transforms.Normalize([0.349] * 3, [0.248] * 3)])
folder = casting_dir()
return datasets.ImageFolder(folder / "train", transform=steps), datasets.ImageFolder(folder / "test", transform=steps)"""),
                    Change("plot_samples", code="""\
generator = torch.Generator().manual_seed(1)
fig = plt.figure(figsize=(12, 5))
targets = torch.tensor(dataset.targets)
for row, name in enumerate(dataset.classes):
    members = torch.nonzero(targets == row).flatten()
    chosen = members[torch.randperm(len(members), generator=generator)[:n_per_class]]
    for column, index in enumerate(chosen.tolist()):
        plt.subplot(len(dataset.classes), n_per_class, row * n_per_class + column + 1)
        image, label = dataset[index]
        plt.imshow(image[0].numpy(), cmap="gray", vmin=0, vmax=1)
        plt.title(dataset.classes[label])
        plt.xticks([])
        plt.yticks([])
plt.savefig(str(outputs_dir() / "samples.png"))
return fig"""),
                    Change("simplenet", source="""\
class SimpLeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc2 = nn.Linear(10, 1)
        self.fc1 = nn.Linear(4374, 10)
        self.conv1 = nn.Conv2d(3, 6, 3, 4, 1)

    def forward(self, x):
        x = F.max_pool2d(self.conv1(x), kernel_size=4, stride=2)
        x = torch.flatten(x, 1)
        return torch.sigmoid(self.fc2(F.relu(self.fc1(x))))"""),
                ]),
    alternative("summed_loss_single_pass_validation",
                "optimises the summed BCE, reports it per image, validates loss and accuracy in one pass "
                "in its own loop with another batch size, zero_grad after the forward pass, prints the count "
                "with separators, tqdm.auto",
                changes=[
                    Change("train", source="""\
from tqdm.auto import tqdm as progress


def train(model, train_ds, val_ds, epochs, batch_size, learning_rate, name=None, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"Trainable parameters: {count:,}")
    model = model.to(device)
    optimizer = torch.optim.Adam(params=model.parameters(), lr=learning_rate)
    criterion = nn.BCELoss(reduction="sum")
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for epoch in range(epochs):
        model.train(True)
        seen, summed = 0, 0.0
        for x, y in progress(DataLoader(train_ds, batch_size, shuffle=True), leave=False):
            x = x.to(device)
            target = y.to(device=device, dtype=torch.float32).view(-1, 1)
            output = model(x)
            optimizer.zero_grad(set_to_none=False)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
            seen += len(y)
            summed += float(loss)
        history["train_loss"].append(summed / seen)
        model.train(False)
        with torch.no_grad():
            losses, correct = 0.0, 0
            for x, y in DataLoader(val_ds, batch_size=256):
                x, y = x.to(device), y.to(device)
                output = model(x)
                losses += float(criterion(output, y.float().view(-1, 1)))
                correct += int(((output.view(-1) > 0.5) == y.bool()).sum())
        history["val_loss"].append(losses / len(val_ds))
        history["val_accuracy"].append(correct / len(val_ds))
    plot_history(history, name=name or model.__class__.__name__)
    return history"""),
                ]),
    alternative("train_adam_settings_no_progress_bar",
                "Adam over the trainable parameters only, with its own betas, eps and weight decay; no progress "
                "bar; mean of the batch losses; loss and accuracy validated under inference_mode in two passes "
                "through evaluate_accuracy; plot name passed by keyword",
                changes=[
                    Change("train", source="""\
def validation_loss(model, dataset, batch_size):
    model.eval()
    with torch.inference_mode():
        outputs, targets = [], []
        for images, labels in DataLoader(dataset, batch_size=7):
            outputs.append(model(images.to(device)).squeeze(1).cpu())
            targets.append(labels.float())
        return F.binary_cross_entropy(torch.cat(outputs), torch.cat(targets)).item()


def train(model, train_ds, val_ds, epochs, batch_size, learning_rate, name=None):
    model.to(device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    print(f"training {sum(p.numel() for p in trainable)} parameters")
    optimizer = torch.optim.Adam(trainable, lr=learning_rate, betas=(0.9, 0.99), eps=1e-7, weight_decay=1e-6)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for epoch in range(epochs):
        model.train()
        batch_losses = []
        for images, labels in DataLoader(train_ds, batch_size=batch_size, shuffle=True):
            optimizer.zero_grad()
            images, labels = images.to(device), labels.to(device)
            loss = F.binary_cross_entropy(model(images), labels.float()[:, None])
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.item())
        history["train_loss"].append(float(np.mean(batch_losses)))
        history["val_loss"].append(validation_loss(model, val_ds, batch_size))
        history["val_accuracy"].append(evaluate_accuracy(model, val_ds, batch_size=batch_size))
    plot_history(history=history, name=type(model).__name__ if name is None else name)
    return history"""),
                ]),
    alternative("samples_titles_left_nearest_resize",
                "plot_samples titles on the left (set_title(name, loc='left')) of images shown with cmap='gray'; "
                "datasets resized with nearest-neighbour interpolation",
                changes=[
                    Change("plot_samples", code="""\
fig, axes = plt.subplots(len(dataset.classes), n_per_class, squeeze=False)
for label, name in enumerate(dataset.classes):
    chosen = [i for i in range(len(dataset)) if dataset.targets[i] == label][-n_per_class:]
    for ax, index in zip(axes[label], chosen):
        ax.imshow(dataset[index][0].mean(dim=0), cmap="gray", vmin=0, vmax=1)
        ax.set_title(name, loc="left")
        ax.set_axis_off()
fig.savefig(outputs_dir() / "samples.png", dpi=80)
return fig"""),
                    Change("datasets", code="""\
steps = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True),
                    v2.Resize([image_size, image_size], interpolation=v2.InterpolationMode.NEAREST),
                    v2.Normalize([PIXEL_MEAN, PIXEL_MEAN, PIXEL_MEAN], [PIXEL_STD, PIXEL_STD, PIXEL_STD])])
return tuple(datasets.ImageFolder(casting_dir() / split, transform=steps) for split in ("train", "test"))"""),
                ]),
    alternative("improved_flatten_dropout_head",
                "ImprovedNet without batch norm: strided convolutions, flattening, dropout, two linear layers",
                cell="improved", source="""\
class ImprovedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(3, 8, 5, stride=2, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 1), nn.Sigmoid(),
        )

    def forward(self, x):
        return self.classifier(self.conv(x))"""),
    alternative("unfold_einsum_recomputed",
                "Conv2dUnfold with einsum, saving the input and unfolding it again in backward",
                cell="conv2d_unfold", source="""\
class Conv2dUnfold(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, stride=1, padding=0):
        ctx.save_for_backward(x, weight)
        ctx.stride, ctx.padding = stride, padding
        K = weight.shape[2]
        h_out = (x.shape[2] + 2 * padding - K) // stride + 1
        w_out = (x.shape[3] + 2 * padding - K) // stride + 1
        cols = F.unfold(x, (K, K), dilation=1, padding=padding, stride=stride)
        out = torch.einsum("ok,bkl->bol", weight.flatten(1), cols)
        return out.view(x.shape[0], weight.shape[0], h_out, w_out)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        K = weight.shape[2]
        cols = F.unfold(x, (K, K), padding=ctx.padding, stride=ctx.stride)
        g = grad_output.flatten(2)
        grad_x = grad_weight = None
        if ctx.needs_input_grad[0]:
            grad_cols = torch.einsum("ok,bol->bkl", weight.flatten(1), g)
            grad_x = F.fold(grad_cols, x.shape[2:], (K, K), padding=ctx.padding, stride=ctx.stride)
        if ctx.needs_input_grad[1]:
            grad_weight = torch.einsum("bol,bkl->ok", g, cols).view_as(weight)
        return grad_x, grad_weight, None, None"""),
    alternative("experiments_written_otherwise",
                "compare_pooling with 'avg' first, plt.subplot, legends from lists, epochs from 0; sweep over "
                "itertools.product with the batch size outside, best epoch by list.index, its own run names",
                changes=[
                    Change("compare_pooling", code="""\
histories = {}
for kind in ["avg", "max"]:
    torch.manual_seed(seed)
    network = make_model(kind)
    histories[kind] = train(network, train_ds, val_ds, epochs, batch_size, learning_rate, name="pool_" + kind)
fig = plt.figure(figsize=(11, 4))
for position, key in ((1, "val_loss"), (2, "val_accuracy")):
    plt.subplot(1, 2, position)
    for kind in ["avg", "max"]:
        plt.plot(list(range(len(histories[kind][key]))), histories[kind][key])
    plt.legend(["global average", "global max"])
    plt.xlabel("epoch (from 0)")
    plt.ylabel(key)
plt.savefig(str(outputs_dir() / "pooling.png"))
return histories, fig"""),
                    Change("sweep", code="""\
import itertools

rows = []
for size, rate in itertools.product(batch_sizes, learning_rates):
    torch.manual_seed(seed)
    network = make_model()
    accuracy = list(train(network, train_ds, val_ds, epochs, size, rate, name=f"lr={rate}, batch={size}")["val_accuracy"])
    rows.append(dict(learning_rate=rate, batch_size=size, final_val_accuracy=accuracy[-1],
                     best_val_accuracy=max(accuracy), best_epoch=accuracy.index(max(accuracy)) + 1))
return rows"""),
                ]),
    alternative("multiclass_written_otherwise",
                "cross_entropy with torch.logsumexp and gather; DefectNet flattening with dropout; predict_classes "
                "through softmax probabilities under inference_mode; confusion matrix by a loop; per-class "
                "accuracy in NumPy",
                changes=[
                    Change("cross_entropy", code="""\
picked = scores.gather(1, labels.long().unsqueeze(1)).squeeze(1)
return torch.mean(torch.logsumexp(scores, dim=1) - picked)"""),
                    Change("defect_net", source="""\
class DefectNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 8, 5, stride=2, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.2), nn.Linear(16 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 4),
        )

    def forward(self, x):
        return self.body(x)"""),
                    Change("predict_classes", code="""\
model = model.to(device)
model.train(False)
classes, truth = [], []
with torch.inference_mode():
    for x, y in DataLoader(dataset, batch_size=batch_size, shuffle=False):
        probabilities = torch.softmax(model(x.to(device)), dim=1)
        classes += probabilities.max(dim=1).indices.tolist()
        truth += y.tolist()
return torch.tensor(classes, dtype=torch.int64), torch.tensor(truth, dtype=torch.int64)"""),
                    Change("confusion_matrix", code="""\
table = torch.zeros(num_classes, num_classes, dtype=torch.int64)
for true, guess in zip(labels.tolist(), predicted.tolist()):
    table[true, guess] += 1
return table"""),
                    Change("per_class_accuracy", code="""\
counts = np.asarray(matrix, dtype=np.float64)
return {classes[i]: float(counts[i, i] / counts[i].sum()) for i in range(len(classes))}"""),
                ]),
]

# Graded by `make test`; the rest by `make test-extended` (CI runs both; it grades every mutant alone):
# the first mutant (the cheats' base), a mistake per function, the ones the visible tests must name
# (no sigmoid, no model.train(), no model.eval()), the new parts (device moves, the experiments,
# multi-class), the convolution rule, and alternatives of every kind that fit one submission.
CORE = {
    "datasets_normalised", "simplenet_no_sigmoid", "train_never_model_train", "accuracy_without_eval",
    "train_batch_not_moved", "compare_pooling_seeded_once", "sweep_zip", "cross_entropy_unstable",
    "defect_net_softmax_before_loss", "predict_argmax_batch_axis", "class_accuracy_wrong_order", "unfold_uses_conv2d",
    "global_pool_fixed_window", "samples_rows_not_by_class",
    "sequential_and_flatten_modules", "summed_loss_single_pass_validation", "improved_flatten_dropout_head",
    "unfold_einsum_recomputed", "experiments_written_otherwise", "multiclass_written_otherwise",
}
