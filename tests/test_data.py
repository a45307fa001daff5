"""Offline data: the synthetic casting dataset, ``verify`` and the example image.

The ``ci`` profile is generated once into ``.cache/data-ci`` and reused by
later sessions (``ensure_dataset`` regenerates it only when out of date).
"""
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnkit.cli import main as cnnkit_main
from cnnkit.data import synthetic
from cnnkit.data.example_image import load_example_image, save_example_image
from cnnkit.data.verify import KAGGLE_COUNTS, format_report, verify_dataset
from cnnkit.paths import CASTING, CLASSES, SPLITS

REPO = Path(__file__).resolve().parents[1]
NAME = {"def_front": re.compile(r"cast_def_0_\d+\.jpeg"), "ok_front": re.compile(r"cast_ok_0_\d+\.jpeg")}
BRIGHTNESS_SAMPLES = 200  # rendered images per class for the brightness statistics


@pytest.fixture(scope="module")
def casting_ci() -> Path:
    return synthetic.ensure_dataset(REPO / ".cache" / "data-ci", "ci", seed=0)


@pytest.fixture
def copy_ci(casting_ci, tmp_path) -> Path:
    """A scratch copy of the ci casting_data folder, to break."""
    return Path(shutil.copytree(casting_ci, tmp_path / CASTING))


# ---------------------------------------------------------------- the generated files

def test_ci_layout_names_counts_size_and_mode(casting_ci):
    names = []
    for split in SPLITS:
        for cls in CLASSES:
            files = sorted((casting_ci / split / cls).iterdir())
            assert len(files) == synthetic.PROFILES["ci"][split][cls] == {"train": 48, "test": 24}[split]
            for path in files:
                assert NAME[cls].fullmatch(path.name), path.name
                with Image.open(path) as image:
                    assert (image.format, image.size, image.mode) == ("JPEG", (300, 300), "L")
            names += [p.name for p in files]
    assert len(names) == len(set(names)), "a file name occurs in both splits"


def test_manifest_and_ensure_dataset_reuses_an_up_to_date_copy(casting_ci):
    manifest = synthetic.read_manifest(casting_ci)
    assert manifest["profile"] == "ci" and manifest["seed"] == 0
    assert manifest["version"] == synthetic.GENERATOR_VERSION and manifest["counts"] == synthetic.PROFILES["ci"]
    stamp = (casting_ci / synthetic.MANIFEST).stat().st_mtime_ns
    assert synthetic.ensure_dataset(casting_ci.parent, "ci", seed=0) == casting_ci
    assert (casting_ci / synthetic.MANIFEST).stat().st_mtime_ns == stamp


def test_files_are_byte_identical_for_a_seed_whatever_the_worker_count(casting_ci, tmp_path):
    fresh = synthetic.generate_dataset(tmp_path, "ci", seed=0, workers=2)
    for split in SPLITS:
        for cls in CLASSES:
            for path in (casting_ci / split / cls).iterdir():
                assert path.read_bytes() == (fresh / split / cls / path.name).read_bytes(), path.name
    assert sorted(p.name for p in tmp_path.iterdir()) == [CASTING], "staging folders left behind"


def test_full_profile_has_the_kaggle_counts_and_verifies():
    """Generated once into .cache/data-full (45 s on 2 cores), later sessions only verify it (6 s)."""
    assert synthetic.PROFILES["full"] == KAGGLE_COUNTS == {
        "train": {"def_front": 3758, "ok_front": 2875}, "test": {"def_front": 453, "ok_front": 262}}
    report = verify_dataset(synthetic.ensure_dataset(REPO / ".cache" / "data-full", "full", seed=0))
    assert report.ok and not report.warnings and report.matches_kaggle
    assert "7348 files; matches the Kaggle dataset counts" in format_report(report)


def test_generator_refuses_to_overwrite_real_data(tmp_path):
    real = tmp_path / CASTING / "train" / "ok_front" / "cast_ok_0_1.jpeg"
    real.parent.mkdir(parents=True)
    real.write_bytes(b"real data")
    with pytest.raises(FileExistsError, match="real dataset"):
        synthetic.ensure_dataset(tmp_path, "ci")
    assert real.read_bytes() == b"real data"


# ---------------------------------------------------------------- the images

def test_render_is_deterministic_per_seed():
    def render(seed, size=300):
        return synthetic.render_impeller(synthetic.image_rng(seed, "train", "def_front", 3), True, size)

    first = render(0)
    assert first.dtype == np.uint8 and first.shape == (300, 300)
    assert np.array_equal(first, render(0)) and not np.array_equal(first, render(1))
    assert render(0, size=120).shape == (120, 120)


def test_defects_are_local():
    """A defective image differs from the same part without defects only in a small area.

    Measured over 60 parts: 0.03 % to 0.6 % of the pixels change by more than 40 grey levels.
    """
    for index in range(10):
        clean, defective = (synthetic.render_impeller(synthetic.image_rng(3, "test", "def_front", index), d)
                            for d in (False, True))
        changed = np.abs(defective.astype(int) - clean.astype(int)) > 40
        assert 0 < changed.mean() < 0.02


def test_defects_leave_the_mean_intensity_unchanged():
    """Each defective image has the mean of the same part without defects (before JPEG).

    Measured: at most 0.005 grey levels apart over 250 pairs.
    """
    for index in range(20):
        clean, defective = (synthetic.render_impeller(synthetic.image_rng(5, "test", "def_front", index), d)
                            for d in (False, True))
        assert abs(float(defective.mean()) - float(clean.mean())) < 0.05


@pytest.fixture(scope="module", params=sorted(synthetic.DEFECT_SCALE.items()), ids=lambda item: item[0])
def class_statistics(request) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-image brightness statistics of rendered (defective, good) images at a profile's defect scale.

    ``mean``: the whole image; ``surface``: the median of the part's pixels (> 60
    grey levels), which the rescaling of defective images could shift when
    defects are large.
    """
    _, scale = request.param

    def statistics(cls):
        images = [synthetic.render_impeller(synthetic.image_rng(7, "train", cls, i), cls == "def_front",
                                            defect_scale=scale) for i in range(BRIGHTNESS_SAMPLES)]
        return np.array([(image.mean(), np.median(image[image > 60])) for image in images])

    defective, good = statistics("def_front"), statistics("ok_front")
    return {name: (defective[:, k], good[:, k]) for k, name in enumerate(("mean", "surface"))}


def best_threshold_accuracy(means: np.ndarray, labels: np.ndarray) -> float:
    """In-sample accuracy of the best rule ``label = [mean > t]`` or its opposite."""
    above = np.array([np.mean((means > t) == labels) for t in np.unique(means)])
    return float(np.max(np.maximum(above, 1 - above)))


@pytest.mark.parametrize("statistic", ["mean", "surface"])
def test_brightness_does_not_give_the_class_away(class_statistics, statistic):
    """The real data's shortcut (defective parts darker) must not exist here, at either defect scale.

    Measured on 200 images per class (seed 7), full scale: the class means differ
    by 0.035 pooled standard deviations (per-image std 9.0 grey levels) and the
    best brightness threshold scores 52.5 % (chance 50 %; with 1000 per class:
    0.07 std and 52.4 %). At the ci scale (defects 3x larger) the whole-image
    means stay equal by construction and the part's median brightness differs by
    about 0.09 std (53.5 %). Darkening every defective image by 5 % (tried once, then
    removed) gives 0.49 std and 61 %: both assertions fail.
    """
    defective, good = class_statistics[statistic]
    pooled_std = np.sqrt((defective.var() + good.var()) / 2)
    assert abs(defective.mean() - good.mean()) < 0.25 * pooled_std
    labels = np.r_[np.zeros(BRIGHTNESS_SAMPLES), np.ones(BRIGHTNESS_SAMPLES)]
    assert best_threshold_accuracy(np.r_[defective, good], labels) < 0.58


# ---------------------------------------------------------------- verify

def test_verify_passes_on_ci_with_every_nesting(casting_ci, tmp_path):
    report = verify_dataset(casting_ci.parent)
    assert report.ok and not report.warnings and report.root == casting_ci
    assert report.counts == synthetic.PROFILES["ci"] and not report.matches_kaggle
    assert all(report.modes[s][c] == {"L": n} and report.sizes[s][c] == {(300, 300): n}
               for s, classes in synthetic.PROFILES["ci"].items() for c, n in classes.items())
    text = format_report(report)
    assert "differs from the Kaggle dataset counts: train/def_front 48 (Kaggle 3758)" in text
    assert "Result: OK" in text
    shutil.copytree(casting_ci, tmp_path / CASTING / CASTING)
    for path in (casting_ci, tmp_path, tmp_path / CASTING, tmp_path / CASTING / CASTING):
        assert verify_dataset(path).counts == synthetic.PROFILES["ci"], path


def test_verify_reports_missing_folders(copy_ci):
    shutil.rmtree(copy_ci / "test" / "ok_front")
    report = verify_dataset(copy_ci)
    assert not report.ok and report.errors == ["missing class folder test/ok_front/"]
    shutil.rmtree(copy_ci / "train")
    assert "missing split folder train/" in verify_dataset(copy_ci).errors


def test_verify_reports_corrupt_and_non_image_files(copy_ci):
    truncated = copy_ci / "train" / "def_front" / "cast_def_0_0.jpeg"
    truncated.write_bytes(truncated.read_bytes()[:-500])
    (copy_ci / "train" / "ok_front" / "notes.txt").write_text("not an image")
    Image.new("L", (300, 300)).save(copy_ci / "test" / "ok_front" / "cast_ok_0_999.jpeg", "PNG")
    report = verify_dataset(copy_ci)
    assert not report.ok and len(report.errors) == 3
    assert any(e.startswith("train/def_front/cast_def_0_0.jpeg: corrupt or truncated") for e in report.errors)
    assert "train/ok_front/notes.txt: not an image file" in report.errors
    assert any(e.startswith("test/ok_front/cast_ok_0_999.jpeg: not a JPEG file (PNG") for e in report.errors)
    assert "Result: FAILED (3 error(s)" in format_report(report)


def test_verify_warns_about_train_test_duplicates(copy_ci):
    source = copy_ci / "train" / "ok_front" / "cast_ok_0_5.jpeg"
    shutil.copy(source, copy_ci / "test" / "ok_front" / "cast_ok_0_9999.jpeg")
    report = verify_dataset(copy_ci)
    assert report.ok and report.duplicates == {"ok_front": ["cast_ok_0_9999.jpeg"]}
    assert "1 ok_front test file(s) byte-identical to training files (e.g. cast_ok_0_9999.jpeg)" in format_report(report)


def test_verify_command_exit_codes(casting_ci, tmp_path, capsys):
    assert cnnkit_main(["verify", str(casting_ci)]) == 0
    assert cnnkit_main(["verify", str(tmp_path)]) == 1
    assert "no train/ or test/ folder" in capsys.readouterr().out


# ---------------------------------------------------------------- data command and example image

def test_data_command_generates_then_keeps(tmp_path, capsys):
    assert cnnkit_main(["data", "--out", str(tmp_path)]) == 0
    assert "generated 144 images" in capsys.readouterr().out
    assert verify_dataset(tmp_path).ok and (tmp_path / "example_image.png").is_file()
    assert cnnkit_main(["data", "--out", str(tmp_path)]) == 0
    assert "already up to date" in capsys.readouterr().out


def test_example_image(tmp_path):
    image = load_example_image()
    assert image.shape == (100, 100, 3) and image.dtype == np.float64
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.std() > 0.1
    assert np.array_equal(image, load_example_image())
    with Image.open(save_example_image(tmp_path / "example_image.png")) as png:
        assert png.mode == "RGB"
        assert np.array_equal(np.asarray(png, dtype=np.float64) / 255.0, image)
