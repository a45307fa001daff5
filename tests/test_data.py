"""Offline data: the synthetic casting dataset, its checker, the example image."""
import shutil

import numpy as np
import pytest
from PIL import Image

from cnnkit.data import synthetic
from cnnkit.data.example_image import load_example_image, save_example_image
from cnnkit.data.verify import KAGGLE_COUNTS, format_report, verify_dataset
from cnnkit.paths import CLASSES, SPLITS

SAMPLES = 200  # per class, for the brightness statistics


@pytest.fixture(scope="session")
def casting_ci(offline_env):
    """The cached ci profile the graded notebooks use."""
    from pathlib import Path

    return Path(offline_env["COURSE_DATA_DIR"]) / "casting_data"


def test_ci_layout_names_counts_size_and_mode(casting_ci):
    for split in SPLITS:
        for cls in CLASSES:
            files = sorted((casting_ci / split / cls).glob("*.jpeg"))
            assert len(files) == synthetic.PROFILES["ci"][split][cls]
            prefix = "cast_def_0_" if cls == "def_front" else "cast_ok_0_"
            assert all(f.name.startswith(prefix) for f in files)
            with Image.open(files[0]) as image:
                assert image.format == "JPEG" and image.size == (300, 300) and image.mode == "L"


def test_full_profile_has_the_kaggle_counts():
    assert synthetic.PROFILES["full"] == KAGGLE_COUNTS
    assert KAGGLE_COUNTS == {"train": {"def_front": 3758, "ok_front": 2875}, "test": {"def_front": 453, "ok_front": 262}}


def test_images_are_deterministic_per_seed():
    first = synthetic.render_impeller(synthetic.image_rng(0, "train", "def_front", 3), True)
    again = synthetic.render_impeller(synthetic.image_rng(0, "train", "def_front", 3), True)
    other = synthetic.render_impeller(synthetic.image_rng(1, "train", "def_front", 3), True)
    assert first.dtype == np.uint8 and first.shape == (300, 300)
    assert np.array_equal(first, again) and not np.array_equal(first, other)


def test_generated_files_are_byte_identical_for_a_seed(tmp_path, casting_ci):
    fresh = synthetic.generate_dataset(tmp_path, "ci", seed=0)
    for split in SPLITS:
        for cls in CLASSES:
            for path in sorted((casting_ci / split / cls).glob("*.jpeg"))[:3]:
                assert path.read_bytes() == (fresh / split / cls / path.name).read_bytes()


def class_means(defective: bool, seed: int = 7) -> np.ndarray:
    cls = "def_front" if defective else "ok_front"
    return np.array([synthetic.render_impeller(synthetic.image_rng(seed, "train", cls, i), defective).mean()
                     for i in range(SAMPLES)])


def test_defective_parts_are_not_darker_or_brighter():
    """The real data's brightness shortcut must not exist here.

    Measured with 200 images per class: the class means differ by ~0.03 pooled
    standard deviations, and the best single brightness threshold classifies
    ~53 % of the same images correctly (chance is 50 %). A darkening of the
    defective class by 5 % of the intensity (tried once) gives 0.5 std and 60 %.
    """
    defective, good = class_means(True), class_means(False)
    pooled = np.sqrt((defective.var() + good.var()) / 2)
    assert abs(defective.mean() - good.mean()) < 0.15 * pooled
    means, labels = np.r_[defective, good], np.r_[np.zeros(SAMPLES), np.ones(SAMPLES)]
    best = max(max(np.mean((means > t) == labels), np.mean((means <= t) == labels)) for t in np.unique(means))
    assert best < 0.58


def test_defects_are_local():
    """A defective image differs from the same part without defects only in a small area."""
    clean = synthetic.render_impeller(synthetic.image_rng(3, "train", "def_front", 0), False).astype(int)
    defective = synthetic.render_impeller(synthetic.image_rng(3, "train", "def_front", 0), True).astype(int)
    changed = np.abs(defective - clean) > 40
    assert 0 < changed.mean() < 0.05


def test_generator_refuses_to_overwrite_real_data(tmp_path):
    (tmp_path / "casting_data" / "train").mkdir(parents=True)
    (tmp_path / "casting_data" / "train" / "cast_ok_0_1.jpeg").write_bytes(b"real")
    with pytest.raises(FileExistsError, match="real dataset"):
        synthetic.generate_dataset(tmp_path, "ci")


def test_verify_passes_on_ci_with_either_nesting(casting_ci, tmp_path):
    report = verify_dataset(casting_ci.parent)
    assert report.ok and report.counts == synthetic.PROFILES["ci"] and report.modes == {"L": 144}
    nested = tmp_path / "casting_data" / "casting_data"
    shutil.copytree(casting_ci, nested)
    assert verify_dataset(tmp_path).counts == synthetic.PROFILES["ci"]
    assert "counts differ from the Kaggle dataset" in format_report(report)


def broken_copy(casting_ci, tmp_path):
    copy = tmp_path / "casting_data"
    shutil.copytree(casting_ci, copy)
    return copy


def test_verify_reports_a_missing_class_folder(casting_ci, tmp_path):
    copy = broken_copy(casting_ci, tmp_path)
    shutil.rmtree(copy / "test" / "ok_front")
    report = verify_dataset(copy)
    assert not report.ok and any("missing folder" in e and "ok_front" in e for e in report.errors)


def test_verify_reports_corrupt_and_non_image_files(casting_ci, tmp_path):
    copy = broken_copy(casting_ci, tmp_path)
    victim = next((copy / "train" / "def_front").glob("*.jpeg"))
    victim.write_bytes(victim.read_bytes()[:200])
    (copy / "train" / "ok_front" / "notes.txt").write_text("not an image")
    report = verify_dataset(copy)
    text = "\n".join(report.errors)
    assert victim.name in text and "notes.txt" in text and "not a readable image" in text


def test_verify_warns_about_train_test_duplicates(casting_ci, tmp_path):
    copy = broken_copy(casting_ci, tmp_path)
    source = next((copy / "train" / "ok_front").glob("*.jpeg"))
    shutil.copy(source, copy / "test" / "ok_front" / "cast_ok_0_9999.jpeg")
    report = verify_dataset(copy)
    assert report.ok and report.duplicates == {"ok_front": ["cast_ok_0_9999.jpeg"]}
    assert "byte-identical" in format_report(report)


def test_example_image(tmp_path):
    image = load_example_image()
    assert image.shape == (100, 100, 3) and image.dtype == np.float64
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.std() > 0.1
    assert np.array_equal(image, load_example_image())
    saved = np.asarray(Image.open(save_example_image(tmp_path / "example.png")), dtype=np.float64) / 255.0
    assert np.array_equal(saved, image)
