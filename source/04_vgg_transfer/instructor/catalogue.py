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
    mutant("vgg_head_frozen_too", "freezes the whole model, head included",
           cell="adapted_vgg", edits=[(HEAD, HEAD + "\n        self.requires_grad_(False)")], loses=set(ADAPTED)),
    mutant("vgg_no_sigmoid", "ends the head with the linear neuron, no sigmoid",
           cell="adapted_vgg", edits=[(", nn.Sigmoid())", ")")], loses=set(ADAPTED)),
    mutant("vgg_whole_classifier_removed", "removes the whole classifier, dropout layers included (25088 features)",
           cell="adapted_vgg", edits=[("self.backbone.classifier[:-1]", "nn.Flatten()"),
                                      ("nn.Linear(4096, hidden)", "nn.Linear(25088, hidden)")],
           loses={"adapted_vgg_hidden"}),
    # early_stopping_check
    mutant("early_non_strict", "counts a plateau (equal losses) as an increase",
           cell="early_stopping", edits=[("before < after", "before <= after")], loses={"early_stopping_hidden"}),
    mutant("early_off_by_one", "compares only the last `threshold` losses (threshold - 1 increases)",
           cell="early_stopping", edits=[("len(losses) <= threshold", "len(losses) < threshold"),
                                         ("losses[-threshold - 1:]", "losses[-threshold:]")],
           loses=set(EARLY)),
    mutant("early_no_improvement", "stops when the best loss of the last `threshold` epochs is worse than the "
           "best before (Keras-style patience), not on a strict rise",
           cell="early_stopping", code="""\
if len(losses) <= threshold:
    return False
return min(losses[-threshold:]) > min(losses[:-threshold])""", loses={"early_stopping_hidden"}),
    # DropoutAdaptedVGG
    mutant("dropout_half", "uses p=0.5 instead of p=0.2",
           cell="dropout_adapted_vgg", edits=[("def __init__(self, p=0.2):", "def __init__(self, p=0.5):")],
           loses={"dropout_adapted_vgg_hidden"}),
    mutant("dropout_after_head", "applies the dropout to the head's output",
           cell="dropout_adapted_vgg", edits=[("self.head(self.dropout(self.backbone(x)))",
                                               "self.dropout(self.head(self.backbone(x)))")],
           loses=set(DROPOUT)),
    # store_checkpoint / load_checkpoint
    mutant("checkpoint_underscore", "names the file model_EPOCH.pt",
           cell="store_checkpoint", edits=[('f"model-{epoch}.pt"', 'f"model_{epoch}.pt"')], loses=set(STORE)),
    mutant("checkpoint_whole_module", "saves the whole module instead of its state dict",
           cell="store_checkpoint", edits=[("torch.save(model.state_dict(), path)", "torch.save(model, path)")],
           loses={"store_checkpoint_hidden"}),
    mutant("load_ignores_directory", "always reads from outputs/checkpoints",
           cell="load_checkpoint", edits=[('outputs_dir() / "checkpoints" if directory is None else Path(directory)',
                                           'outputs_dir() / "checkpoints"')], loses=set(LOAD)),
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
           loses={"transfer_train_hidden"}),
    mutant("train_no_zero_grad", "never resets the gradients between batches",
           cell="transfer_train", edits=[("            optimizer.zero_grad()\n", "")], loses={"transfer_train_hidden"}),
    mutant("train_validates_in_train_mode", "computes the validation loss with dropout still on",
           cell="transfer_train", edits=[("        model.eval()\n", "")], loses={"transfer_train_hidden"}),
    # evaluate_accuracy / confusion_matrix
    mutant("accuracy_wrong_class", "predicts label 1 when the output is below 0.5",
           cell="evaluate_accuracy", edits=[("squeeze(1) > 0.5", "squeeze(1) < 0.5")], loses=set(ACCURACY)),
    mutant("accuracy_train_mode", "evaluates without model.eval()",
           cell="evaluate_accuracy", edits=[("    model.eval()\n", "")], loses={"evaluate_accuracy_hidden"}),
    mutant("confusion_transposed", "rows are the predicted labels, columns the true ones",
           cell="confusion_matrix", edits=[("(labels.numpy(), predicted.numpy())", "(predicted.numpy(), labels.numpy())")],
           loses=set(CONFUSION)),
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
                "indices by hand, gives Adam every parameter, shows a bar over epochs and validates item by item",
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
        inputs = torch.stack([x for x, _ in items])
        targets = torch.tensor([[float(y)] for _, y in items])
        optimizer.zero_grad()
        loss = bce(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    train_losses.append(total / batches)
    model.eval()
    with torch.no_grad():
        per_item = [bce(model(x.unsqueeze(0)), torch.tensor([[float(y)]])).item() for x, y in val_ds]
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
model.train(False)
with torch.no_grad():
    outputs = torch.cat([model(x) for x, _ in DataLoader(dataset, batch_size=batch_size)])
labels = torch.cat([y for _, y in DataLoader(dataset, batch_size=batch_size)])
return ((outputs.flatten() >= 0.5).long() == labels).float().mean().item()"""),
                    Change("confusion_matrix", code="""\
model.eval()
true, predicted = [], []
with torch.no_grad():
    for x, y in DataLoader(dataset, batch_size=batch_size):
        predicted += (model(x)[:, 0] > 0.5).long().tolist()
        true += y.tolist()
codes = 2 * np.array(true, dtype=int) + np.array(predicted, dtype=int)
return np.bincount(codes, minlength=4).reshape(2, 2)"""),
                ]),
]
