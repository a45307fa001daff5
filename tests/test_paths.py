"""The data rule: COURSE_DATA_DIR first, then the nearest data/ above; clear errors."""
import pytest

from cnnkit import paths


def make_casting(base, nested=False):
    root = base / "casting_data" / ("casting_data" if nested else "")
    for split in paths.SPLITS:
        for cls in paths.CLASSES:
            (root / split / cls).mkdir(parents=True)
    return root


def test_environment_variable_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path))
    assert paths.data_dir(tmp_path / "elsewhere") == tmp_path


def test_nearest_data_folder_above_the_notebook(tmp_path, monkeypatch):
    monkeypatch.delenv(paths.DATA_ENV, raising=False)
    (tmp_path / "data").mkdir()
    notebook_dir = tmp_path / "release" / "03_pytorch_simplenet"
    notebook_dir.mkdir(parents=True)
    assert paths.data_dir(notebook_dir) == tmp_path / "data"


@pytest.mark.parametrize("nested", [False, True])
def test_casting_dir_accepts_the_kaggle_double_nesting(tmp_path, monkeypatch, nested):
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path))
    expected = make_casting(tmp_path, nested)
    assert paths.casting_dir() == expected


def test_missing_data_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path))
    with pytest.raises(paths.DataNotFoundError) as error:
        paths.casting_dir()
    message = str(error.value)
    assert "tell your instructor" in message, "a student must learn whom to ask"
    assert "Kaggle" in message and "COURSE_DATA_DIR" in message
    assert "python -m cnnkit data" in message, "an instructor must learn how to make the stand-in"


def test_bad_environment_variable_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "missing"))
    with pytest.raises(paths.DataNotFoundError, match="not a folder"):
        paths.data_dir()


def test_outputs_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.OUTPUT_ENV, str(tmp_path / "figures"))
    assert paths.outputs_dir() == tmp_path / "figures" and (tmp_path / "figures").is_dir()
