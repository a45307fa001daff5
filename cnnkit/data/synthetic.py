"""Synthetic stand-in for the Kaggle casting dataset (cast pump impellers, top view).

The generator writes the real layout and file format,
``casting_data/{train,test}/{def_front,ok_front}/cast_{def,ok}_0_<n>.jpeg``
(300×300 grayscale JPEG), so every notebook runs unchanged on either dataset.

Notes
-----
* Determinism: each image has its own generator,
  ``np.random.default_rng([seed, split_index, class_index, image_index])``, so
  the files are byte-identical for a seed whatever the number of workers.
* Image numbers run on from train into test, so no two files share a name.
* A defective and a good image drawn from the same generator show the same
  part: the part is drawn first, the defects after it.
* No brightness shortcut: the real data has defective parts darker on average;
  here a defective image is rescaled so its mean intensity equals the mean of
  the same part without defects (``image *= mean(clean) / mean(defective)``).
* Profiles: ``ci`` has 48 training and 24 test images per class (about 1 s);
  ``full`` has the Kaggle counts, 7348 images (about 40 s on 2 cores).
* Defect size: ``full`` draws defects at realistic sizes (a blow hole is 3–8
  px across a 300 px image). ``ci`` draws them ``DEFECT_SCALE["ci"] = 3`` times
  larger, so that the tiny networks of the notebooks see them at 32×32 and learn
  them from 96 images in seconds (see data/README.md); it is a fixture for
  grading and quick runs, not a benchmark.
* Speed (about 5 ms an image on one core): everything is float32 (NumPy's
  float32 cos is 15× faster than its float64 one), radial zones come from a
  lookup table, defects are painted in small windows, and there are no matrix
  products (their OpenBLAS threads made rendering 5× slower on a busy machine).
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
import multiprocessing
from pathlib import Path

import numpy as np
from PIL import Image

from cnnkit.data.verify import KAGGLE_COUNTS
from cnnkit.paths import CASTING, CLASSES, SPLITS

# Bump whenever the images change, so cached copies are regenerated.
GENERATOR_VERSION = 3
MANIFEST = "synthetic.json"
IMAGE_SIZE = 300
JPEG_QUALITY = 90
PROFILES = {
    "ci": {"train": {"def_front": 48, "ok_front": 48}, "test": {"def_front": 24, "ok_front": 24}},
    "full": KAGGLE_COUNTS,
}
DEFECT_SCALE = {"ci": 3.0, "full": 1.0}
FILE_PREFIX = {"def_front": "cast_def_0_", "ok_front": "cast_ok_0_"}
# Below this many images starting a worker pool costs more than it saves.
POOL_THRESHOLD = 500
WORKERS = 2


@dataclass(frozen=True)
class Pose:
    """Where the part lies, how it looks and how it is lit; lengths in pixels, angles in radians."""

    centre_x: float
    centre_y: float
    radius: float
    rotation: float
    vanes: int
    vane_curl: float
    gain: float
    light_angle: float
    light_slope: float
    levels: dict[str, float]  # grey level of each zone (see _radial_profile) before lighting


@dataclass(frozen=True)
class Polar:
    """Pixel coordinates relative to the part centre, each float32 of one shape.

    ``x`` grows to the right, ``y`` downwards; ``theta`` is measured in the
    part's own frame (the rotation is taken off).
    """

    x: np.ndarray
    y: np.ndarray
    r: np.ndarray
    theta: np.ndarray

    def window(self, x: float, y: float, reach: float) -> tuple[tuple[slice, slice], "Polar"]:
        """Slices of the square of half-side ``reach`` around (x, y), and the coordinates there.

        (x, y) are relative to the part centre; call this on the whole image's Polar.
        """
        rows = _span(y - self.y[0, 0], reach, self.x.shape[0])
        cols = _span(x - self.x[0, 0], reach, self.x.shape[1])
        box = (rows, cols)
        return box, Polar(self.x[box], self.y[box], self.r[box], self.theta[box])


def _span(centre: float, reach: float, length: int) -> slice:
    return slice(int(np.clip(np.floor(centre - reach), 0, length)),
                 int(np.clip(np.ceil(centre + reach) + 1, 0, length)))


# ---------------------------------------------------------------- the bare part

def _smooth_step(signed_distance: np.ndarray, width: float = 1.0) -> np.ndarray:
    """0 → 1 as ``signed_distance`` goes from −width/2 to +width/2 (an anti-aliased edge)."""
    return np.clip(signed_distance * np.float32(1.0 / width) + np.float32(0.5), 0.0, 1.0)


def _wrap_angle(angle: np.ndarray) -> np.ndarray:
    """Angle folded into [−π, π)."""
    return (angle + np.float32(np.pi)) % np.float32(2 * np.pi) - np.float32(np.pi)


def _polar(pose: Pose, size: int) -> Polar:
    pixels = np.arange(size, dtype=np.float32)
    x = np.broadcast_to(pixels - np.float32(pose.centre_x), (size, size))
    y = np.broadcast_to((pixels - np.float32(pose.centre_y))[:, None], (size, size))
    theta = np.arctan2(y, x) - np.float32(pose.rotation)
    return Polar(x, y, np.sqrt(x * x + y * y), theta)


def _random_pose(rng: np.random.Generator, size: int) -> Pose:
    scale = size / IMAGE_SIZE
    ranges = {
        "background": (14, 26), "rim": (150, 180), "groove": (95, 115), "shroud": (125, 150),
        "eye": (140, 160), "boss": (170, 195), "chamfer": (80, 100), "bore": (22, 38),
    }
    levels = {zone: float(rng.uniform(*bounds)) for zone, bounds in ranges.items()}
    return Pose(
        centre_x=size / 2 + float(rng.uniform(-8, 8)) * scale,
        centre_y=size / 2 + float(rng.uniform(-8, 8)) * scale,
        radius=float(rng.uniform(122, 136)) * scale,
        rotation=float(rng.uniform(0, 2 * np.pi)),
        vanes=int(rng.integers(5, 9)),
        vane_curl=float(rng.uniform(1.5, 3.0) * rng.choice([-1, 1])),
        gain=float(rng.uniform(0.85, 1.15)),
        light_angle=float(rng.uniform(0, 2 * np.pi)),
        light_slope=float(rng.uniform(0.0, 0.12)),
        levels=levels,
    )


RADIAL_STEPS_PER_PIXEL = 8


def _radial_profile(pose: Pose, max_radius: float) -> np.ndarray:
    """Grey level against radius, float32, sampled every 1/RADIAL_STEPS_PER_PIXEL px.

    Notes
    -----
    Concentric zones from the outside in, as fractions of the radius R:
    rim (0.90–1), groove (0.86–0.90), shroud (0.46–0.86), eye ring
    (0.30–0.46), boss (0.17–0.30), bore chamfer (0.14–0.17), bore (< 0.14);
    each edge is a 1.5 px ramp. The rim's outer edge is rounded, so it
    darkens by up to 25 % over its last 4 % of R.
    """
    radius, levels = pose.radius, pose.levels
    r = np.arange(0, max_radius + 2, 1 / RADIAL_STEPS_PER_PIXEL, dtype=np.float32)
    zones = [(1.0, "rim"), (0.90, "groove"), (0.86, "shroud"), (0.46, "eye"),
             (0.30, "boss"), (0.17, "chamfer"), (0.14, "bore")]
    profile = np.full(r.shape, levels["background"], dtype=np.float32)
    previous = levels["background"]
    for fraction, zone in zones:
        profile += np.float32(levels[zone] - previous) * _smooth_step(fraction * radius - r, 1.5)
        previous = levels[zone]
    rounded_edge = 0.25 * np.clip((r - 0.96 * radius) / (0.04 * radius), 0.0, 1.0) * (r < radius + 1)
    return profile * (1.0 - rounded_edge)


def _part_intensity(pose: Pose, polar: Polar) -> np.ndarray:
    """Grey levels of the bare part, float32 (size, size), before lighting and grain.

    Notes
    -----
    The radial zones are looked up in ``_radial_profile`` (a table is 40×
    cheaper than evaluating the ramps on every pixel); the vanes are added.
    """
    profile = _radial_profile(pose, float(polar.r.max()))
    image = profile[(polar.r * np.float32(RADIAL_STEPS_PER_PIXEL)).astype(np.intp)]
    return image + _vanes(pose, polar)


def _vanes(pose: Pose, polar: Polar) -> np.ndarray:
    """Vane ridges (bright) and their shadows (dark) seen through the shroud, float32 offsets.

    Notes
    -----
    Vane k follows ``theta = 2πk/n − curl · r/R`` (a spiral); the shadow is the
    same ridge shifted by 0.5 rad of phase.
    """
    radius = pose.radius
    phase = np.float32(pose.vanes) * (polar.theta + np.float32(pose.vane_curl / radius) * polar.r)
    ridge = np.clip((np.cos(phase) - np.float32(0.85)) * np.float32(1 / 0.15), 0.0, 1.0)
    shadow = np.clip((np.cos(phase - np.float32(0.5)) - np.float32(0.85)) * np.float32(1 / 0.15), 0.0, 1.0)
    on_shroud = _smooth_step(polar.r - 0.48 * radius, 2.0) * _smooth_step(0.84 * radius - polar.r, 2.0)
    return on_shroud * (np.float32(18.0) * ridge - np.float32(22.0) * shadow)


@functools.lru_cache(maxsize=16)
def _spline_taps(cells: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Cubic B-spline taps from ``cells + 3`` padded samples to ``size`` pixels.

    Returns indices, intp (4, size), and weights, float32 (4, size, 1).

    Notes
    -----
    Pixel i sits at ``u = (i + ½)·cells/size`` in cell units; with
    ``t = u − ⌊u⌋`` the weights of padded samples ⌊u⌋ … ⌊u⌋+3 are
    ``(1−t)³/6, (3t³ − 6t² + 4)/6, (−3t³ + 3t² + 3t + 1)/6, t³/6``.
    """
    position = (np.arange(size) + 0.5) * cells / size
    base = np.floor(position).astype(np.intp)
    t = position - base
    weights = np.stack([(1 - t) ** 3, 3 * t**3 - 6 * t**2 + 4, -3 * t**3 + 3 * t**2 + 3 * t + 1, t**3]) / 6
    return base + np.arange(4)[:, None], weights[:, :, None].astype(np.float32)


def _spline_upsample(samples: np.ndarray, size: int) -> np.ndarray:
    """B-spline interpolation of float32 (n + 3, n + 3) samples to float32 (size, size).

    Notes
    -----
    Separable, done as row gathers: no matrix product, whose OpenBLAS threads
    slow rendering several-fold when they compete with other processes.
    """
    indices, weights = _spline_taps(samples.shape[0] - 3, size)
    rows = sum(weights[k] * samples[indices[k]] for k in range(4))
    columns = np.ascontiguousarray(rows.T)
    return sum(weights[k] * columns[indices[k]] for k in range(4)).T


def _smooth_noise(rng: np.random.Generator, cells: int, size: int) -> np.ndarray:
    """Smooth noise of about unit variance, float32 (size, size), in blobs about ``size/cells`` px wide.

    Notes
    -----
    Interpolating white noise leaves a standard deviation of about 0.48, hence
    the white noise is drawn with standard deviation 1/0.48.
    """
    white = rng.standard_normal((cells + 3, cells + 3), dtype=np.float32) * np.float32(1 / 0.48)
    return _spline_upsample(white, size)


def _grain(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Sand-cast texture: a multiplicative mottle and an additive grain, float32 (size, size).

    Notes
    -----
    Mottle: smooth noise at 8 and 40 cells across, standard deviations 0.05
    and 0.04, summed on the 40-cell grid and interpolated once. Grain:
    uniform noise summed over 2×2 pixels (sand grains about 2 px wide),
    scaled to a standard deviation of 6 grey levels (uniform on [−½, ½) has
    variance 1/12, four of them 1/3).
    """
    cells = 40
    samples = (np.float32(0.05) * _smooth_noise(rng, 8, cells + 3)
               + rng.standard_normal((cells + 3, cells + 3), dtype=np.float32) * np.float32(0.04 / 0.48))
    mottle = _spline_upsample(samples, size)
    fine = rng.random((size + 1, size + 1), dtype=np.float32)
    grains = fine[:-1, :-1] + fine[1:, :-1] + fine[:-1, 1:] + fine[1:, 1:] - np.float32(2.0)
    return mottle, np.float32(6.0 * 3 ** 0.5) * grains


def _finish(part: np.ndarray, pose: Pose, polar: Polar, texture: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Lighting and texture applied to the part, float32 (size, size).

    Notes
    -----
    ``I = part · gain · (1 + slope · (x cos a + y sin a) / R) · (1 + mottle) + grain · s``,
    with the grain scaled by ``s = sqrt(part / 128)`` so the dark background stays quiet.
    """
    mottle, grain = texture
    light = np.float32(pose.light_slope / pose.radius)
    along_light = polar.x * np.float32(np.cos(pose.light_angle)) + polar.y * np.float32(np.sin(pose.light_angle))
    lit = part * np.float32(pose.gain) * (1.0 + light * along_light)
    return lit * (1.0 + mottle) + grain * np.sqrt(np.maximum(part, 0.0) * np.float32(1 / 128))


# ---------------------------------------------------------------- defects
# Each defect is ``defect(rng, part, pose, polar, scale)``: it paints into the
# bare part in place, inside a small window so its cost does not grow with the
# image; ``scale`` is size / 300, lengths below are for 300-pixel images.

def _disc(polar: Polar, x: float, y: float, radius: float) -> np.ndarray:
    """Anti-aliased disc mask, float32, 1 inside."""
    dx, dy = polar.x - np.float32(x), polar.y - np.float32(y)
    return _smooth_step(np.float32(radius) - np.sqrt(dx * dx + dy * dy))


def _paint(image: np.ndarray, mask: np.ndarray, level: float | np.ndarray) -> None:
    """Blend ``level`` into ``image`` where ``mask`` (in [0, 1]) is on, in place."""
    image += mask * (np.float32(level) - image)


def _point(pose: Pose, angle: float, radius: float) -> tuple[float, float]:
    """Coordinates, relative to the centre, of the point at ``radius`` along ``angle`` (part frame)."""
    absolute = angle + pose.rotation
    return radius * float(np.cos(absolute)), radius * float(np.sin(absolute))


def _surface_point(rng: np.random.Generator, pose: Pose) -> tuple[float, float]:
    """A random point on the metal between the bore chamfer and the rim edge."""
    return _point(pose, rng.uniform(0, 2 * np.pi), pose.radius * rng.uniform(0.22, 0.92))


def _rim_notch(rng, image, pose, polar, scale) -> None:
    """A bite out of the rim: one to three overlapping discs of background, 6–15 px."""
    angle = rng.uniform(0, 2 * np.pi)
    size = rng.uniform(6, 15) * scale
    for _ in range(int(rng.integers(1, 4))):
        depth = pose.radius + rng.uniform(-0.4, 0.3) * size
        x, y = _point(pose, angle + rng.uniform(-0.6, 0.6) * size / pose.radius, depth)
        disc_radius = size * rng.uniform(0.6, 1.0)
        box, local = polar.window(x, y, disc_radius + 1)
        _paint(image[box], _disc(local, x, y, disc_radius), pose.levels["background"])


def _outgrowth(image, pose, polar, angle, reach, height_at) -> None:
    """Metal outside the rim, ``R − 2 < r < R + height(arc)``, within ``reach`` px of the rim at ``angle``.

    ``height_at`` maps the arc length from ``angle`` (px, float32) to a height (px).
    """
    box, local = polar.window(*_point(pose, angle, pose.radius), reach)
    arc = _wrap_angle(local.theta - np.float32(angle)) * np.float32(pose.radius)
    height = np.asarray(height_at(arc), dtype=np.float32)
    mask = (_smooth_step(pose.radius + height - local.r) * (height > 0)
            * _smooth_step(local.r - np.float32(pose.radius - 2.0)))
    _paint(image[box], mask, 0.85 * pose.levels["rim"])


def _burr_spike(rng, image, pose, polar, scale) -> None:
    """A thin triangular spike, 10–26 px long, sticking out of the rim."""
    length, half_width = rng.uniform(10, 26) * scale, rng.uniform(2.0, 4.5) * scale
    _outgrowth(image, pose, polar, rng.uniform(0, 2 * np.pi), length + 4,
               lambda arc: length * (1.0 - np.abs(arc) / half_width))


def _flash_fin(rng, image, pose, polar, scale) -> None:
    """A ragged fin of flash, 3–10 px high, along 24–60 px of the rim (the mould's parting line)."""
    half_arc = rng.uniform(12, 30) * scale
    knots = np.linspace(-half_arc, half_arc, 9)
    heights = rng.uniform(3, 10, size=9) * scale
    heights[[0, -1]] = 0.0
    _outgrowth(image, pose, polar, rng.uniform(0, 2 * np.pi), half_arc + 12 * scale,
               lambda arc: np.interp(arc, knots, heights, left=0.0, right=0.0))


def _pit(image, pose, polar, x, y, radius) -> None:
    """A dark hole with a slightly bright lip."""
    box, local = polar.window(x, y, radius + 3)
    patch = image[box]
    _paint(patch, 0.5 * _disc(local, x, y, radius + 1.5), 1.25 * patch)
    _paint(patch, _disc(local, x, y, radius), pose.levels["bore"] + 8.0)


def _blow_hole(rng, image, pose, polar, scale) -> None:
    """One gas hole, 3–8 px in radius."""
    x, y = _surface_point(rng, pose)
    _pit(image, pose, polar, x, y, rng.uniform(3, 8) * scale)


def _pinholes(rng, image, pose, polar, scale) -> None:
    """A cluster of 4–10 small pits (1.5–3.2 px) scattered over about 12 px."""
    x, y = _surface_point(rng, pose)
    for _ in range(int(rng.integers(4, 11))):
        dx, dy = rng.normal(0, 6 * scale, size=2)
        _pit(image, pose, polar, x + dx, y + dy, rng.uniform(1.5, 3.2) * scale)


def _crack(rng, image, pose, polar, scale) -> None:
    """A thin dark crack, 1.2–2.4 px wide: a random walk of 5–8 segments, 30–80 px in all."""
    segments = int(rng.integers(5, 9))
    step = rng.uniform(30, 80) * scale / segments
    heading = rng.uniform(0, 2 * np.pi)
    points = [np.array(_surface_point(rng, pose))]
    for _ in range(segments):
        heading += rng.normal(0, 0.5)
        points.append(points[-1] + step * np.array([np.cos(heading), np.sin(heading)]))
    width = rng.uniform(1.2, 2.4) * scale
    low, high = np.min(points, axis=0), np.max(points, axis=0)
    centre, reach = (low + high) / 2, float(np.max(high - low)) / 2 + width + 1
    box, local = polar.window(centre[0], centre[1], reach)
    distance = np.min([_segment_distance(local, a, b) for a, b in zip(points, points[1:])], axis=0)
    on_metal = _smooth_step(np.float32(pose.radius) - local.r)
    patch = image[box]
    _paint(patch, on_metal * _smooth_step(np.float32(width / 2) - distance), 0.3 * patch)


def _segment_distance(polar: Polar, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of every pixel to the segment a–b, float32."""
    ab = (b - a).astype(np.float32)
    dx, dy = polar.x - np.float32(a[0]), polar.y - np.float32(a[1])
    t = np.clip((dx * ab[0] + dy * ab[1]) * np.float32(1 / max(float(ab @ ab), 1e-9)), 0.0, 1.0)
    ex, ey = dx - t * ab[0], dy - t * ab[1]
    return np.sqrt(ex * ex + ey * ey)


DEFECTS = (_rim_notch, _burr_spike, _flash_fin, _blow_hole, _pinholes, _crack)
# The defect-type task: each defective image has one defect of one kind (the rim notch,
# which looks like neither, is left out).
DEFECT_KINDS = {"burr": (_burr_spike, _flash_fin), "crack": (_crack,), "hole": (_blow_hole, _pinholes)}
DEFECT_COUNT_PROBABILITIES = (0.5, 0.3, 0.2)  # of 1, 2, 3 defects


def _add_defects(rng: np.random.Generator, part: np.ndarray, pose: Pose, polar: Polar, size: int,
                 defect_scale: float) -> None:
    """1–3 defects of different kinds, ``defect_scale`` times their usual size, painted into ``part``."""
    count = 1 + rng.choice(3, p=DEFECT_COUNT_PROBABILITIES)
    for index in rng.choice(len(DEFECTS), size=count, replace=False):
        DEFECTS[index](rng, part, pose, polar, size / IMAGE_SIZE * defect_scale)


# ---------------------------------------------------------------- images and files

def render_impeller(rng: np.random.Generator, defective: bool, size: int = IMAGE_SIZE,
                    defect_scale: float = 1.0, kind: str | None = None) -> np.ndarray:
    """One top view of a cast impeller, uint8 (size, size), on a near-black background.

    Notes
    -----
    The part and its texture are drawn first, the defects (1–3, of different
    kinds) after; a defective image is then rescaled to the mean intensity of
    the same part without defects (module notes).
    """
    pose = _random_pose(rng, size)
    polar = _polar(pose, size)
    texture = _grain(rng, size)
    part = _part_intensity(pose, polar)
    image = _finish(part, pose, polar, texture)
    if defective:
        clean_mean = image.mean(dtype=np.float64)
        if kind is None:
            _add_defects(rng, part, pose, polar, size, defect_scale)
        else:
            painters = DEFECT_KINDS[kind]
            painters[int(rng.integers(len(painters)))](rng, part, pose, polar, size / IMAGE_SIZE * defect_scale)
        image = _finish(part, pose, polar, texture)
        image *= np.float32(clean_mean / image.mean(dtype=np.float64))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def image_rng(seed: int, split: str, cls: str, index: int) -> np.random.Generator:
    """The generator of one image (module notes)."""
    return np.random.default_rng([seed, SPLITS.index(split), CLASSES.index(cls), index])


def file_name(cls: str, number: int) -> str:
    """The Kaggle file name, e.g. ``cast_def_0_12.jpeg``."""
    return f"{FILE_PREFIX[cls]}{number}.jpeg"


def _image_jobs(casting: Path, counts: dict, seed: int, defect_scale: float) -> list[tuple]:
    """(path, seed, split, class, index, defect scale) per image; numbers run on from train into test."""
    jobs = []
    for cls in CLASSES:
        number = 0
        for split in SPLITS:
            for index in range(counts[split][cls]):
                jobs.append((casting / split / cls / file_name(cls, number), seed, split, cls, index, defect_scale))
                number += 1
    return jobs


def _write_image(job: tuple) -> None:
    path, seed, split, cls, index, defect_scale = job
    pixels = render_impeller(image_rng(seed, split, cls, index), cls == "def_front", defect_scale=defect_scale)
    Image.fromarray(pixels).save(path, "JPEG", quality=JPEG_QUALITY)


def _manifest(profile: str, seed: int) -> dict:
    return {"generator": "cnnkit.data.synthetic", "version": GENERATOR_VERSION,
            "profile": profile, "seed": seed, "counts": PROFILES[profile], "defect_scale": DEFECT_SCALE[profile]}


def _refuse_foreign_data(casting: Path) -> None:
    """Never overwrite a casting_data folder we did not write (most likely the real dataset)."""
    if casting.is_dir() and any(casting.iterdir()) and not (casting / MANIFEST).is_file():
        raise FileExistsError(
            f"{casting} holds files but no {MANIFEST}: it looks like the real dataset, "
            "which the generator will not overwrite. Move it away or choose another folder."
        )


def _default_workers(images: int) -> int:
    """``WORKERS`` for a large dataset when that many cores are idle (1-minute load average), else 1.

    Measured on a 2-core machine: two renderers side by side keep their
    speed when the cores are free, but while other jobs kept the load near 3
    a pool of 2 was 15–40 % slower than one process.
    """
    if images < POOL_THRESHOLD:
        return 1
    idle = (os.cpu_count() or 1) - os.getloadavg()[0]
    return max(1, min(WORKERS, round(idle)))


def _write_images(casting: Path, profile: str, seed: int, workers: int | None) -> None:
    """All images of ``profile`` and then the manifest, into the empty folder ``casting``."""
    for split in SPLITS:
        for cls in CLASSES:
            (casting / split / cls).mkdir(parents=True)
    jobs = _image_jobs(casting, PROFILES[profile], seed, DEFECT_SCALE[profile])
    workers = workers or _default_workers(len(jobs))
    if workers == 1:
        for job in jobs:
            _write_image(job)
    else:
        # "spawn": fresh workers inherit no threads or locks (torch, OpenMP) from the caller.
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for _ in pool.imap_unordered(_write_image, jobs, chunksize=64):
                pass
    (casting / MANIFEST).write_text(json.dumps(_manifest(profile, seed), indent=2) + "\n")


def generate_dataset(root: str | os.PathLike, profile: str = "ci", seed: int = 0,
                     workers: int | None = None) -> Path:
    """Write ``<root>/casting_data/{train,test}/{def_front,ok_front}/*.jpeg`` and its manifest.

    ``workers`` (processes) defaults to ``_default_workers``; the files do not
    depend on it. Returns the casting_data path.

    Notes
    -----
    The images are written into a hidden staging folder next to
    casting_data, which then replaces it: an interrupted run leaves the old
    copy intact, and readers never see a half-written dataset.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
    root = Path(root)
    casting = root / CASTING
    _refuse_foreign_data(casting)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{CASTING}-new-", dir=root))
    try:
        _write_images(staging / CASTING, profile, seed, workers)
        _replace(casting, staging / CASTING)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return casting


def _replace(casting: Path, new: Path) -> None:
    """Put ``new`` in the place of ``casting`` (which may not exist), deleting the old copy."""
    retired = None
    if casting.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{CASTING}-old-", dir=casting.parent)) / CASTING
        casting.rename(retired)
    new.rename(casting)
    if retired is not None:
        shutil.rmtree(retired.parent, ignore_errors=True)


def read_manifest(casting: Path) -> dict | None:
    """The manifest of a generated casting_data folder, or None if there is none."""
    try:
        return json.loads((Path(casting) / MANIFEST).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def is_current(casting: str | os.PathLike, profile: str, seed: int) -> bool:
    """True when ``casting`` holds the images of this profile, seed and generator version."""
    casting = Path(casting)
    if read_manifest(casting) != _manifest(profile, seed):
        return False
    counts = PROFILES[profile]
    return all(
        sum(1 for _ in (casting / split / cls).glob("*.jpeg")) == counts[split][cls]
        for split in SPLITS for cls in CLASSES
    )


def ensure_dataset(root: str | os.PathLike, profile: str = "ci", seed: int = 0) -> Path:
    """The casting_data path under ``root``, generated only if missing or out of date.

    Notes
    -----
    Out of date: no manifest, a manifest with another profile, seed or
    generator version, or a class folder whose JPEG count differs from it.
    """
    casting = Path(root) / CASTING
    if is_current(casting, profile, seed):
        return casting
    return generate_dataset(root, profile, seed)



# ---------------------------------------------------------------- the defect-type dataset

DEFECT_TYPES = "defect_types"
TYPE_CLASSES = ("burr", "crack", "hole", "ok")  # ImageFolder's order: alphabetical
TYPE_PROFILES = {"ci": {"train": 40, "test": 20}, "full": {"train": 400, "test": 100}}
TYPE_SIZE = 64
TYPE_DEFECT_SCALE = 4.0


def _type_manifest(profile: str, seed: int) -> dict:
    return {"generator": "cnnkit.data.synthetic", "dataset": DEFECT_TYPES, "version": GENERATOR_VERSION,
            "profile": profile, "seed": seed, "per_class": TYPE_PROFILES[profile], "size": TYPE_SIZE,
            "defect_scale": TYPE_DEFECT_SCALE}


def generate_defect_types(root: str | os.PathLike, profile: str = "ci", seed: int = 0) -> Path:
    """Write ``<root>/defect_types/{train,test}/{burr,crack,hole,ok}/*.png`` and its manifest.

    A four-class task made from the same impellers: ``ok`` parts, and parts with
    one defect of one kind (burr or flash fin, crack, blow hole or pinholes),
    64 x 64 grayscale PNGs with the defects drawn ``TYPE_DEFECT_SCALE`` times
    larger than life so that they show at that size. Same determinism and
    staging as :func:`generate_dataset` (each image has its own generator).
    """
    if profile not in TYPE_PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(TYPE_PROFILES)}")
    root = Path(root)
    target = root / DEFECT_TYPES
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{DEFECT_TYPES}-new-", dir=root)) / DEFECT_TYPES
    try:
        for split_index, split in enumerate(SPLITS):
            for class_index, cls in enumerate(TYPE_CLASSES):
                folder = staging / split / cls
                folder.mkdir(parents=True)
                for index in range(TYPE_PROFILES[profile][split]):
                    rng = np.random.default_rng([seed, 7, split_index, class_index, index])
                    pixels = render_impeller(rng, cls != "ok", TYPE_SIZE, TYPE_DEFECT_SCALE,
                                             None if cls == "ok" else cls)
                    Image.fromarray(pixels).save(folder / f"{cls}_{split}_{index:04d}.png")
        (staging / MANIFEST).write_text(json.dumps(_type_manifest(profile, seed), indent=2) + "\n")
        _replace(target, staging)
    finally:
        shutil.rmtree(staging.parent, ignore_errors=True)
    return target


def ensure_defect_types(root: str | os.PathLike, profile: str = "ci", seed: int = 0) -> Path:
    """The defect_types path under ``root``, generated only if missing or out of date."""
    target = Path(root) / DEFECT_TYPES
    if read_manifest(target) == _type_manifest(profile, seed):
        return target
    return generate_defect_types(root, profile, seed)
