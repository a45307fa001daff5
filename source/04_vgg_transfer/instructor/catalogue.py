"""Mutants and alternatives of assignment 4 (instructor-only; never released).

Each mutant is a mistake students really make; ``loses`` lists exactly the test
cells that must catch it. The tests of one class or function use stand-ins for
the others (tiny models, recorded checkpoints, Part 2's rule inside the hidden
transfer_train test), so a mistake costs points only where it is tested.
"""
from cnnkit.catalogue import alternative, mutant
from cnnkit.submissions import Change

FREEZE = "        self.backbone.requires_grad_(False)\n"
HEAD = "self.head = nn.Sequential(nn.Linear(4096, hidden), nn.ReLU(), nn.Linear(hidden, 1), nn.Sigmoid())"
STOP = "        if early_stopping_check(history[\"val_loss\"], patience):"

ADAPTED = ("adapted_vgg_visible", "adapted_vgg_hidden")
EARLY = ("early_stopping_visible", "early_stopping_hidden")
DROPOUT = ("dropout_adapted_vgg_visible", "dropout_adapted_vgg_hidden")
STORE = ("store_checkpoint_visible", "store_checkpoint_hidden")
LOAD = ("load_checkpoint_visible", "load_checkpoint_hidden")
TRAIN = ("transfer_train_visible", "transfer_train_hidden")
ACCURACY = ("evaluate_accuracy_visible", "evaluate_accuracy_hidden")
CONFUSION = ("confusion_matrix_visible", "confusion_matrix_hidden")

MUTANTS = [
    # AdaptedVGG
    mutant("vgg_backbone_trainable", "forgets to freeze the backbone",
           cell="adapted_vgg", edits=[(FREEZE, "")], loses=set(ADAPTED)),
    mutant("vgg_backbone_train_mode", "freezes the backbone but does not keep it in eval mode (no train override)",
           cell="adapted_vgg", code="return super().train(mode)", region=1, loses=set(ADAPTED)),
    mutant("vgg_no_eval_in_constructor", "keeps the backbone in eval mode in train() but not after the constructor",
           cell="adapted_vgg", edits=[("        self.backbone.eval()\n        self.head", "        self.head")],
           loses=set(ADAPTED)),
    mutant("vgg_train_returns_none", "train() does not return the model",
           cell="adapted_vgg", code="super().train(mode)\nself.backbone.eval()", region=1, loses=set(ADAPTED)),
    mutant("vgg_train_ignores_mode", "train() calls super().train() without passing the mode on: eval() does nothing",
           cell="adapted_vgg", code="super().train()\nself.backbone.eval()\nreturn self", region=1, loses=set(ADAPTED)),
    mutant("vgg_head_frozen_too", "freezes the whole model, head included",
           cell="adapted_vgg", edits=[(HEAD, HEAD + "\n        self.requires_grad_(False)")], loses=set(ADAPTED)),
    mutant("vgg_no_sigmoid", "ends the head with the linear neuron, no sigmoid",
           cell="adapted_vgg", edits=[(", nn.Sigmoid())", ")")], loses=set(ADAPTED)),
    mutant("vgg_whole_classifier_removed", "removes the whole classifier, dropout layers included (25088 features)",
           cell="adapted_vgg", edits=[("self.backbone.classifier[:-1]", "nn.Flatten()"),
                                      ("nn.Linear(4096, hidden)", "nn.Linear(25088, hidden)")],
           loses=set(ADAPTED)),
    mutant("vgg_cut_after_first_block", "keeps only the first Linear-ReLU-Dropout block of the classifier "
           "(also 4096 features)", cell="adapted_vgg",
           edits=[("self.backbone.classifier[:-1]", "self.backbone.classifier[:3]")], loses=set(ADAPTED)),
    mutant("vgg_cut_before_last_relu", "cuts before the second ReLU: the features are the raw Linear outputs "
           "(same shape, same parameters)", cell="adapted_vgg",
           edits=[("self.backbone.classifier[:-1]", "self.backbone.classifier[:-3]")], loses=set(ADAPTED)),
    mutant("vgg_attributes_renamed", "names the parts self.vgg and self.classifier_head instead of backbone and head",
           cell="adapted_vgg", source='''\
class AdaptedVGG(nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.vgg = load_vgg11()
        self.vgg.classifier = self.vgg.classifier[:-1]
        self.vgg.requires_grad_(False)
        self.vgg.eval()
        self.classifier_head = nn.Sequential(nn.Linear(4096, hidden), nn.ReLU(), nn.Linear(hidden, 1), nn.Sigmoid())

    def train(self, mode=True):
        super().train(mode)
        self.vgg.eval()
        return self

    def forward(self, x):
        return self.classifier_head(self.vgg(x))''', loses=set(ADAPTED)),
    mutant("vgg_forward_squeezes", "returns (B,) instead of (B, 1): squeezes the output",
           cell="adapted_vgg", code="return self.head(self.backbone(x)).squeeze(1)", region=2, loses=set(ADAPTED)),
    mutant("vgg_torchvision_random", "builds VGG-11 with torchvision's vgg11() (random weights) instead of load_vgg11()",
           cell="adapted_vgg", edits=[("self.backbone = load_vgg11()",
                                       "from torchvision.models import vgg11\n        self.backbone = vgg11()")],
           loses={"adapted_vgg_hidden"}),
    # early_stopping_check
    mutant("early_non_strict", "counts a plateau (equal losses) as an increase",
           cell="early_stopping", edits=[("before < after", "before <= after")], loses=set(EARLY)),
    mutant("early_off_by_one", "compares only the last `threshold` losses (threshold - 1 increases)",
           cell="early_stopping", edits=[("len(losses) <= threshold", "len(losses) < threshold"),
                                         ("losses[-threshold - 1:]", "losses[-threshold:]")],
           loses=set(EARLY)),
    mutant("early_no_improvement", "stops when the best loss of the last `threshold` epochs is worse than the "
           "best before (Keras-style patience), not on a strict rise",
           cell="early_stopping", code="""\
if len(losses) <= threshold:
    return False
return min(losses[-threshold:]) > min(losses[:-threshold])""", loses=set(EARLY)),
    mutant("early_modifies_losses", "reverses the list of losses in place (right answers, changed history)",
           cell="early_stopping", code="""\
if len(losses) <= threshold:
    return False
losses.reverse()
return all(later > earlier for later, earlier in zip(losses[:threshold], losses[1:threshold + 1]))""",
           loses={"early_stopping_hidden"}),
    mutant("early_counts_all_increases", "counts increases anywhere in the history, not in a row at its end",
           cell="early_stopping", code="""\
increases = sum(1 for before, after in zip(losses, losses[1:]) if before < after)
return increases >= threshold""", loses=set(EARLY)),
    # DropoutAdaptedVGG
    mutant("dropout_half", "uses p=0.5 instead of p=0.2",
           cell="dropout_adapted_vgg", edits=[("def __init__(self, p=0.2):", "def __init__(self, p=0.5):")],
           loses=set(DROPOUT)),
    mutant("dropout_after_head", "applies the dropout to the head's output",
           cell="dropout_adapted_vgg", edits=[("self.head(self.dropout(self.backbone(x)))",
                                               "self.dropout(self.head(self.backbone(x)))")],
           loses=set(DROPOUT)),
    mutant("dropout_unused", "creates the dropout layer but forward never calls it",
           cell="dropout_adapted_vgg", edits=[("self.head(self.dropout(self.backbone(x)))",
                                               "self.head(self.backbone(x))")], loses=set(DROPOUT)),
    mutant("dropout_functional_always_on", "F.dropout without training=self.training: drops features in eval mode too",
           cell="dropout_adapted_vgg", edits=[("self.head(self.dropout(self.backbone(x)))",
                                               "self.head(nn.functional.dropout(self.backbone(x), 0.2))")],
           loses=set(DROPOUT)),
    mutant("dropout_own_train_wakes_backbone", "overrides train() without keeping the backbone in eval mode",
           cell="dropout_adapted_vgg", edits=[("    def forward(self, x):", """\
    def train(self, mode=True):
        nn.Module.train(self, mode)
        return self

    def forward(self, x):""")], loses={"dropout_adapted_vgg_hidden"}),
    # store_checkpoint / load_checkpoint
    mutant("checkpoint_underscore", "names the file model_EPOCH.pt",
           cell="store_checkpoint", edits=[('f"model-{epoch}.pt"', 'f"model_{epoch}.pt"')], loses=set(STORE)),
    mutant("checkpoint_whole_module", "saves the whole module instead of its state dict",
           cell="store_checkpoint", edits=[("torch.save(model.state_dict(), path)", "torch.save(model, path)")],
           loses=set(STORE)),
    mutant("checkpoint_no_parents", "creates the folder without its missing parents",
           cell="store_checkpoint", edits=[("mkdir(parents=True, exist_ok=True)", "mkdir(exist_ok=True)")],
           loses=set(STORE)),
    mutant("checkpoint_folder_must_be_new", "mkdir without exist_ok: fails when the folder exists (second epoch)",
           cell="store_checkpoint", edits=[("mkdir(parents=True, exist_ok=True)", "mkdir(parents=True)")],
           loses={"store_checkpoint_hidden"}),
    mutant("checkpoint_ignores_directory", "always writes to outputs/checkpoints",
           cell="store_checkpoint", edits=[('outputs_dir() / "checkpoints" if directory is None else Path(directory)',
                                            'outputs_dir() / "checkpoints"')], loses=set(STORE)),
    mutant("checkpoint_str_directory", "joins a str directory with / (works for a Path only)",
           cell="store_checkpoint", edits=[("else Path(directory)", "else directory")], loses={"store_checkpoint_hidden"}),
    mutant("checkpoint_default_in_working_folder", "defaults to checkpoints/ in the working folder, not in outputs/",
           cell="store_checkpoint", edits=[('outputs_dir() / "checkpoints" if', 'Path("checkpoints") if')],
           loses={"store_checkpoint_hidden"}),
    mutant("checkpoint_returns_nothing", "does not return the path of the file",
           cell="store_checkpoint", edits=[("\n    return path", "")], loses={"store_checkpoint_hidden"}),
    mutant("load_ignores_directory", "always reads from outputs/checkpoints",
           cell="load_checkpoint", edits=[('outputs_dir() / "checkpoints" if directory is None else Path(directory)',
                                           'outputs_dir() / "checkpoints"')], loses=set(LOAD)),
    mutant("load_default_in_working_folder", "defaults to checkpoints/ in the working folder, not in outputs/",
           cell="load_checkpoint", edits=[('outputs_dir() / "checkpoints" if', 'Path("checkpoints") if')],
           loses={"load_checkpoint_hidden"}),
    mutant("load_returns_nothing", "loads the weights but does not return the model",
           cell="load_checkpoint", edits=[("\n    return model", "")], loses=set(LOAD)),
    # transfer_train
    mutant("train_no_early_stopping", "never calls early_stopping_check: always runs every epoch",
           cell="transfer_train", edits=[(STOP + "\n            break\n", "")], loses={"transfer_train_hidden"}),
    mutant("train_no_checkpoint_on_last_epoch", "stops before storing the checkpoint of the last epoch",
           cell="transfer_train", edits=[("        store_checkpoint(model, epoch)\n", ""),
                                         ("            break\n", "            break\n        store_checkpoint(model, epoch)\n")],
           loses={"transfer_train_hidden"}),
    mutant("train_epochs_from_zero", "numbers the checkpoints from epoch 0",
           cell="transfer_train", edits=[("store_checkpoint(model, epoch)", "store_checkpoint(model, epoch - 1)")],
           loses=set(TRAIN)),
    mutant("train_mode_set_once", "calls model.train() once before the loop: after the first validation, "
           "training runs in eval mode",
           cell="transfer_train", edits=[("        model.train()\n", ""),
                                         ("    for epoch in range(1, epochs + 1):\n",
                                          "    model.train()\n    for epoch in range(1, epochs + 1):\n")],
           loses=set(TRAIN)),
    mutant("train_no_zero_grad", "never resets the gradients between batches",
           cell="transfer_train", edits=[("            optimizer.zero_grad()\n", "")], loses={"transfer_train_hidden"}),
    mutant("train_validates_in_train_mode", "computes the validation loss with dropout still on",
           cell="transfer_train", edits=[("        model.eval()\n", "")], loses=set(TRAIN)),
    mutant("train_validates_with_gradients", "validates in eval mode but without torch.no_grad()",
           cell="transfer_train", edits=[("        with torch.no_grad():\n            for inputs", "        if True:\n            for inputs")],
           loses=set(TRAIN)),
    mutant("train_no_shuffle", "reads the training set in its stored order",
           cell="transfer_train", edits=[("shuffle=True", "shuffle=False")], loses=set(TRAIN)),
    mutant("train_shuffled_once", "shuffles the training set once, before the first epoch: every epoch reads it "
           "in the same order", cell="transfer_train",
           edits=[("DataLoader(train_ds, batch_size=batch_size, shuffle=True)",
                   "DataLoader(torch.utils.data.Subset(train_ds, torch.randperm(len(train_ds)).tolist()), "
                   "batch_size=batch_size)")], loses=set(TRAIN)),
    mutant("train_loss_mean_over_images", "the training loss is the mean over images (batch losses weighted by "
           "their size), not the mean of the batch losses", cell="transfer_train",
           edits=[("batch_losses.append(loss.item())", "batch_losses.extend([loss.item()] * len(labels))")],
           loses={"transfer_train_hidden"}),
    mutant("train_loss_last_batch", "reports the last batch's loss as the epoch's training loss",
           cell="transfer_train", edits=[('history["train_loss"].append(sum(batch_losses) / len(batch_losses))',
                                          'history["train_loss"].append(batch_losses[-1])')],
           loses={"transfer_train_hidden"}),
    mutant("train_val_mean_of_batches", "the validation loss is the mean of the batch losses, not over images",
           cell="transfer_train", edits=[("loss_fn(model(inputs), labels.float().unsqueeze(1)).item() * len(labels)",
                                          "loss_fn(model(inputs), labels.float().unsqueeze(1)).item()"),
                                         ("val_total / len(val_ds)", "val_total / len(val_loader)")],
           loses={"transfer_train_hidden"}),
    mutant("train_history_tensors", "stores the loss tensors in the history instead of floats",
           cell="transfer_train", edits=[("batch_losses.append(loss.item())", "batch_losses.append(loss)")],
           loses=set(TRAIN)),
    mutant("train_sgd", "uses plain SGD instead of Adam",
           cell="transfer_train", edits=[("torch.optim.Adam(", "torch.optim.SGD(")], loses={"transfer_train_hidden"}),
    mutant("train_fixed_learning_rate", "ignores learning_rate: Adam's default 1e-3",
           cell="transfer_train", edits=[(", lr=learning_rate)", ")")], loses={"transfer_train_hidden"}),
    mutant("train_mse_loss", "uses the mean squared error instead of the binary cross-entropy",
           cell="transfer_train", edits=[("loss_fn = nn.BCELoss()", "loss_fn = nn.MSELoss()")],
           loses={"transfer_train_hidden"}),
    mutant("train_adam_on_head_attribute", "gives Adam model.head.parameters(): works for AdaptedVGG only",
           cell="transfer_train", edits=[("[p for p in model.parameters() if p.requires_grad]", "model.head.parameters()")],
           loses=set(TRAIN)),
    mutant("train_batch_size_ignored", "trains in batches of 32 whatever batch_size says",
           cell="transfer_train", edits=[("DataLoader(train_ds, batch_size=batch_size, shuffle=True)",
                                          "DataLoader(train_ds, batch_size=32, shuffle=True)")], loses=set(TRAIN)),
    mutant("train_step_after_loop", "takes one optimizer step per epoch, after the batch loop",
           cell="transfer_train", edits=[("            optimizer.step()\n", ""),
                                         ("        model.eval()\n", "        optimizer.step()\n        model.eval()\n")],
           loses={"transfer_train_hidden"}),
    mutant("train_checkpoint_before_training", "stores each epoch's checkpoint before training it",
           cell="transfer_train", edits=[("        store_checkpoint(model, epoch)\n", ""),
                                         ("        model.train()\n", "        store_checkpoint(model, epoch)\n        model.train()\n")],
           loses={"transfer_train_hidden"}),
    mutant("train_model_not_moved", "moves every batch to device but never the model",
           cell="transfer_train", edits=[("    model.to(device)\n    loss_fn", "    loss_fn")], loses=set(TRAIN)),
    mutant("train_batch_not_moved", "moves the model to device but not the training batches",
           cell="transfer_train", edits=[("            inputs, labels = inputs.to(device), labels.to(device)\n"
                                          "            optimizer.zero_grad()", "            optimizer.zero_grad()")],
           loses=set(TRAIN)),
    mutant("train_labels_not_moved", "moves the training inputs to device but not their labels",
           cell="transfer_train", edits=[("            inputs, labels = inputs.to(device), labels.to(device)\n"
                                          "            optimizer.zero_grad()",
                                          "            inputs = inputs.to(device)\n            optimizer.zero_grad()")],
           loses={"transfer_train_hidden"}),
    mutant("train_validation_not_moved", "moves the training batches to device but not the validation batches",
           cell="transfer_train", edits=[("                inputs, labels = inputs.to(device), labels.to(device)\n"
                                          "                val_total", "                val_total")],
           loses=set(TRAIN)),
    # evaluate_accuracy / confusion_matrix
    mutant("accuracy_wrong_class", "predicts label 1 when the output is below 0.5",
           cell="evaluate_accuracy", edits=[("squeeze(1) > 0.5", "squeeze(1) < 0.5")], loses=set(ACCURACY)),
    mutant("accuracy_train_mode", "evaluates without model.eval()",
           cell="evaluate_accuracy", edits=[("model.to(device).eval()", "model.to(device)")], loses=set(ACCURACY)),
    mutant("accuracy_with_gradients", "evaluates in eval mode but without torch.no_grad()",
           cell="evaluate_accuracy", edits=[("    with torch.no_grad():\n        for", "    if True:\n        for")],
           loses={"evaluate_accuracy_hidden"}),
    mutant("accuracy_returns_tensor", "returns a 0-d tensor instead of a float",
           cell="evaluate_accuracy", edits=[("correct += (predicted == labels).sum().item()",
                                             "correct += (predicted == labels).sum()")],
           loses={"evaluate_accuracy_hidden"}),
    mutant("accuracy_batch_not_moved", "moves the model to device but not the batches",
           cell="evaluate_accuracy", edits=[("            inputs, labels = inputs.to(device), labels.to(device)\n", "")],
           loses=set(ACCURACY)),
    mutant("confusion_transposed", "rows are the predicted labels, columns the true ones",
           cell="confusion_matrix", edits=[("(labels.numpy(), predicted.numpy())", "(predicted.numpy(), labels.numpy())")],
           loses=set(CONFUSION)),
    mutant("confusion_model_not_moved", "moves every batch to device but never the model",
           cell="confusion_matrix", edits=[("model.to(device).eval()", "model.eval()")], loses=set(CONFUSION)),
    mutant("confusion_train_mode", "counts without model.eval()",
           cell="confusion_matrix", edits=[("model.to(device).eval()", "model.to(device)")],
           loses={"confusion_matrix_hidden"}),
    mutant("confusion_with_gradients", "counts in eval mode but without torch.no_grad()",
           cell="confusion_matrix", edits=[("    with torch.no_grad():\n        for", "    if True:\n        for")],
           loses={"confusion_matrix_hidden"}),
    mutant("confusion_tensor", "returns a torch tensor of counts",
           cell="confusion_matrix", code="""\
model.to(device).eval()
counts = torch.zeros(2, 2, dtype=torch.long)
with torch.no_grad():
    for inputs, labels in DataLoader(dataset, batch_size=batch_size):
        predicted = (model(inputs.to(device)).squeeze(1) > 0.5).long()
        for t, p in zip(labels.tolist(), predicted.tolist()):
            counts[t, p] += 1
return counts""", loses=set(CONFUSION)),
]


ALTERNATIVES = [
    alternative("sequential_backbone_counting_loop",
                "AdaptedVGG with one nn.Sequential backbone, a linear head, the backbone under no_grad and "
                "train() without super(); early stopping by counting increases backwards",
                changes=[
                    Change("adapted_vgg", source='''\
class AdaptedVGG(nn.Module):
    """One nn.Sequential backbone, a linear head."""

    def __init__(self):
        super().__init__()
        vgg = load_vgg11()
        for parameter in vgg.parameters():
            parameter.requires_grad = False
        self.backbone = nn.Sequential(vgg.features, vgg.avgpool, nn.Flatten(), *list(vgg.classifier)[:-1])
        self.backbone.eval()
        self.head = nn.Sequential(nn.Linear(4096, 1), nn.Sigmoid())

    def train(self, mode=True):
        self.training = mode
        for name, child in self.named_children():
            child.train(mode and name != "backbone")
        return self

    def forward(self, x):
        with torch.no_grad():
            features = self.backbone(x)
        return self.head(features)'''),
                    Change("early_stopping", code="""\
increases = 0
for index in range(len(losses) - 1, 0, -1):
    if losses[index] > losses[index - 1]:
        increases += 1
        if increases == threshold:
            return True
    else:
        return False
return False"""),
                ]),
    alternative("identity_last_layer_functional_dropout",
                "the last layer replaced by nn.Identity and a tanh head; DropoutAdaptedVGG written from scratch "
                "with functional dropout; early stopping with np.diff",
                changes=[
                    Change("adapted_vgg", region=0, code="""\
self.backbone = load_vgg11()
self.backbone.classifier[6] = nn.Identity()
self.backbone.requires_grad_(False)
self.head = nn.Sequential(nn.Linear(4096, 64), nn.Tanh(), nn.Linear(64, 1), nn.Sigmoid())
self.train()"""),
                    Change("dropout_adapted_vgg", source='''\
class DropoutAdaptedVGG(nn.Module):
    """Written without subclassing."""

    def __init__(self):
        super().__init__()
        self.backbone = load_vgg11()
        self.backbone.classifier = nn.Sequential(*self.backbone.classifier[:6])
        self.backbone.requires_grad_(False)
        self.head = nn.Sequential(nn.Linear(4096, 32), nn.ReLU(), nn.Linear(32, 1), nn.Sigmoid())
        self.train()

    def train(self, mode=True):
        super().train(mode)
        self.backbone.train(False)
        return self

    def forward(self, x):
        features = nn.functional.dropout(self.backbone(x), p=0.2, training=self.training)
        return self.head(features)'''),
                    Change("early_stopping", code="""\
tail = np.asarray(losses[-(threshold + 1):], dtype=float)
return bool(len(tail) == threshold + 1 and np.all(np.diff(tail) > 0))"""),
                ]),
    alternative("os_path_manual_batches",
                "checkpoints with os.path strings, os.makedirs and map_location; a training loop that shuffles "
                "indices by hand, gives Adam every parameter, moves with model.to(device=device) and non_blocking, "
                "shows a bar over epochs and validates item by item",
                changes=[
                    Change("store_checkpoint", code="""\
if directory is None:
    directory = os.path.join(outputs_dir(), "checkpoints")
os.makedirs(directory, exist_ok=True)
filename = os.path.join(str(directory), "model-" + str(epoch) + ".pt")
torch.save(model.state_dict(), filename)
return filename"""),
                    Change("load_checkpoint", code="""\
folder = os.path.join(outputs_dir(), "checkpoints") if directory is None else str(directory)
state = torch.load(os.path.join(folder, f"model-{epoch}.pt"), map_location="cpu")
model.load_state_dict(state)
return model"""),
                    Change("transfer_train", code="""\
model = model.to(device=device)
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
bce = nn.BCELoss()
train_losses, val_losses = [], []
for epoch in tqdm(range(1, epochs + 1)):
    model.train()
    order = torch.randperm(len(train_ds)).tolist()
    total = 0.0
    batches = 0
    for start in range(0, len(order), batch_size):
        items = [train_ds[i] for i in order[start:start + batch_size]]
        inputs = torch.stack([x for x, _ in items]).to(device, non_blocking=True)
        targets = torch.tensor([[float(y)] for _, y in items]).to(device)
        optimizer.zero_grad()
        loss = bce(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    train_losses.append(total / batches)
    model.eval()
    with torch.no_grad():
        per_item = [bce(model(x.unsqueeze(0).to(device)), torch.tensor([[float(y)]]).to(device)).item()
                    for x, y in val_ds]
    val_losses.append(float(np.mean(per_item)))
    store_checkpoint(model, epoch=epoch)
    if early_stopping_check(val_losses, threshold=patience):
        break
return {"train_loss": train_losses, "val_loss": val_losses}"""),
                ]),
    alternative("evaluate_collect_then_count", "collects all outputs first, threshold >= 0.5; confusion matrix "
                "with np.bincount",
                changes=[
                    Change("evaluate_accuracy", code="""\
model.train(False).to(device)
with torch.no_grad():
    outputs = torch.cat([model(x.to(device)).cpu() for x, _ in DataLoader(dataset, batch_size=batch_size)])
labels = torch.cat([y for _, y in DataLoader(dataset, batch_size=batch_size)])
return ((outputs.flatten() >= 0.5).long() == labels).float().mean().item()"""),
                    Change("confusion_matrix", code="""\
model.eval()
model.to(device)
true, predicted = [], []
with torch.no_grad():
    for x, y in DataLoader(dataset, batch_size=batch_size):
        predicted += (model(x.to(device))[:, 0] > 0.5).long().tolist()
        true += y.tolist()
codes = 2 * np.array(true, dtype=int) + np.array(predicted, dtype=int)
return np.bincount(codes, minlength=4).reshape(2, 2)"""),
                ]),
    alternative("cut_at_relu_inference_mode",
                "AdaptedVGG cut after the ReLU (the last Dropout dropped too, the same in eval mode) with a small "
                "head; DropoutAdaptedVGG subclass with its own train() and keyword arguments; early stopping by "
                "indices; a loop with F.binary_cross_entropy, keyword calls, inference_mode, summed validation "
                "losses, labels moved with their dtype and no early-stopping calls before patience + 1 epochs; evaluation "
                "under inference_mode with float counts and predictions brought back with .cpu()",
                changes=[
                    Change("adapted_vgg", region=0, code="""\
vgg = load_vgg11()
vgg.classifier = vgg.classifier[:-2]
for parameter in vgg.parameters():
    parameter.requires_grad_(False)
self.backbone = vgg.eval()
self.head = nn.Sequential(nn.Linear(4096, 32), nn.ReLU(), nn.Linear(32, 1), nn.Sigmoid())"""),
                    Change("dropout_adapted_vgg", code="""\
def __init__(self, p=0.2, **kwargs):
    super().__init__(**kwargs)
    self.drop = nn.Dropout(p=p)

def train(self, mode=True):
    super().train(mode)
    self.drop.train(mode)
    return self

def forward(self, x):
    features = self.backbone(x)
    return self.head(self.drop(features))"""),
                    Change("early_stopping", code="""\
n = len(losses)
if n < threshold + 1:
    return False
return all(losses[i] < losses[i + 1] for i in range(n - threshold - 1, n - 1))"""),
                    Change("transfer_train", code="""\
import torch.nn.functional as F

model.to(torch.device(device))
optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=learning_rate)
history = {"train_loss": [], "val_loss": []}
for epoch in range(1, epochs + 1):
    model.train()
    running, count = 0.0, 0
    for inputs, labels in DataLoader(train_ds, batch_size=batch_size, shuffle=True):
        optimizer.zero_grad(set_to_none=False)
        loss = F.binary_cross_entropy(model(inputs.to(device)), labels.to(device=device, dtype=torch.float32).view(-1, 1))
        loss.backward()
        optimizer.step()
        running += float(loss)
        count += 1
    model.eval()
    total = 0.0
    with torch.inference_mode():
        for inputs, labels in DataLoader(val_ds, batch_size=3):
            inputs, labels = inputs.to(device), labels.float().to(device)
            total += F.binary_cross_entropy(model(inputs), labels.view(-1, 1), reduction="sum").item()
    history["train_loss"].append(running / count)
    history["val_loss"].append(total / len(val_ds))
    store_checkpoint(model=model, epoch=epoch)
    # the check cannot return True before patience + 1 epochs: skip the calls until then
    if len(history["val_loss"]) > patience and early_stopping_check(losses=list(history["val_loss"]),
                                                                     threshold=patience):
        break
return history"""),
                    Change("evaluate_accuracy", code="""\
model.eval().to(device)
right = total = 0
with torch.inference_mode():
    for inputs, labels in DataLoader(dataset, batch_size=2 * batch_size):
        right += int(((model(inputs.to(device))[:, 0] > 0.5).long().cpu() == labels).sum())
        total += len(labels)
return right / total"""),
                    Change("confusion_matrix", code="""\
model.to(device)
model.eval()
counts = np.zeros((2, 2))
with torch.inference_mode():
    for inputs, labels in DataLoader(dataset, batch_size=batch_size):
        for true, out in zip(labels.tolist(), model(inputs.to(device))[:, 0].tolist()):
            counts[true, int(out > 0.5)] += 1
return counts"""),
                ]),
]

# Graded by `make test`; the rest by `make test-extended` (CI runs both; it grades every mutant alone):
# the first mutant (the cheats' base), a mistake per function, among them the ones the visible
# tests must name (a plateau counted as a rise, the whole module saved, model.train() once), the
# cut of the backbone and the epoch's training loss the hidden tests once missed, DropoutAdaptedVGG
# graded with a correct parent, and four alternatives.
CORE = {
    "vgg_backbone_trainable", "vgg_cut_before_last_relu", "early_non_strict", "checkpoint_whole_module",
    "load_returns_nothing", "train_mode_set_once", "train_loss_last_batch", "dropout_unused", "accuracy_wrong_class",
    "confusion_transposed",
    "sequential_backbone_counting_loop", "identity_last_layer_functional_dropout", "os_path_manual_batches",
    "evaluate_collect_then_count",
}
