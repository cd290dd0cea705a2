"""Measuring motion in rendered clips: dense optical flow inside the subject vs the background.

Flow (Farnebäck) between consecutive decoded frames, averaged over the clip, counting only
textured pixels (flow is blind on flat areas). Where the subject is comes from the renderer's own
layer at rest (the feathered mask placed in the frame), shrunk and grown so neither region
touches the outline, where both layers mix.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import matplotlib.cbook
import numpy as np
from PIL import Image

from nemo_nb.render import subject_in_frame

ARTIFACTS = (
    Path(os.environ.get("NEMO_NB_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))
    / "motion"
)
PORTRAIT = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def landscape(width: int = 960, height: int = 640, seed: int = 1) -> np.ndarray:
    """A made landscape with no subject: cloudy sky, a ridge of hills across it, a grass field."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)

    def noise(sigma: float, shape: tuple[int, ...] = (height, width)) -> np.ndarray:
        n = cv2.GaussianBlur(rng.normal(0, 1, shape).astype(np.float32), (0, 0), sigma)
        return n / (n.std() or 1)

    sky = np.dstack([120 + 60 * y / height, 170 + 40 * y / height, 235 - 20 * y / height])
    sky += 25 * noise(12)[..., None]
    cols = x[0]
    ridge = (
        0.45 * height + 0.08 * height * np.sin(cols / 97) + 0.05 * height * np.sin(cols / 41 + 1)
    )
    ridge += 10 * noise(3, (1, width))[0]
    hills = np.dstack([90 + 0 * x, 100 + 0 * x, 120 + 0 * x]) + 30 * noise(2)[..., None]
    grass = np.dstack([70 + 0 * x, 130 + 0 * x, 60 + 0 * x]) + 35 * noise(1.5)[..., None]
    img = np.where((y >= ridge[None, :])[..., None], hills, sky)
    img = np.where((y >= 0.72 * height)[..., None], grass, img)
    return np.clip(img, 0, 255).astype(np.uint8)


def photos(tmp: Path) -> dict[str, Path]:
    """The four test photos: the sample portrait, another person, an object, a landscape."""
    from skimage import data

    files = {"portrait": PORTRAIT}
    for name, array in (
        ("astronaut", data.astronaut()),
        ("coffee", data.coffee()),
        ("landscape", landscape()),
    ):
        path = tmp / f"{name}.png"
        if not path.exists():
            Image.fromarray(array).save(path)
        files[name] = path
    return files


def draft(fx: object, seconds: float, width: int, height: int) -> dict:
    ms = round(seconds * 1000)
    seg = {
        "id": "s1",
        "st": 0,
        "d": ms,
        "src": "photo",
        "n": "photo",
        "m": {"kind": "image", "fx": fx, "fit": "cover", "anchor": [0.5, 0.92]},
    }
    return {
        "d": ms,
        "m": {"width": width, "height": height, "fps": 30},
        "t": [{"id": "v1", "tt": 0, "sg": [seg]}],
    }


def subject_at_rest(d: dict, path: Path) -> np.ndarray | None:
    """The renderer's subject alpha (0..1) placed in the frame, or ``None`` when it moves the
    whole frame (no plausible subject): :func:`nemo_nb.render.subject_in_frame`, the one
    implementation the Prompt Lab's ``subject_focus`` uses too."""
    return subject_in_frame(d, lambda _src: path)


@dataclass
class Flow:
    subject: float  # mean flow magnitude (px per frame) on textured subject pixels
    background: float  # the same on textured background pixels
    whole: float  # over every textured pixel
    heat: np.ndarray  # mean |flow| per pixel over the clip (for the heat map)

    @property
    def ratio(self) -> float:
        return self.subject / max(self.background, 1e-3)


def _gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def flow_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return cv2.calcOpticalFlowFarneback(_gray(a), _gray(b), None, 0.5, 3, 9, 3, 5, 1.1, 0)


def textured(rgb: np.ndarray) -> np.ndarray:
    """Pixels with enough local contrast for flow to see motion."""
    g = _gray(rgb).astype(np.float32)
    gx, gy = cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1)
    strength = cv2.GaussianBlur(np.hypot(gx, gy), (0, 0), 2)
    return strength > 20


def measure(frames: list[np.ndarray], alpha: np.ndarray | None) -> Flow:
    """Mean flow inside vs outside the subject over consecutive frames."""
    texture = textured(frames[0])
    if alpha is None:
        inside = np.zeros_like(texture)
        outside = np.ones_like(texture)
    else:
        # away from the outline, where both layers mix and flow's window sees both
        size = max(3, round(0.05 * max(alpha.shape)))
        kernel = np.ones((size, size), np.uint8)
        inside = cv2.erode((alpha > 0.9).astype(np.uint8), kernel).astype(bool)
        outside = ~cv2.dilate((alpha > 0.05).astype(np.uint8), kernel).astype(bool)
    heat = np.zeros(texture.shape, np.float64)
    for a, b in zip(frames, frames[1:], strict=False):
        heat += np.hypot(*np.moveaxis(flow_between(a, b), -1, 0))
    heat /= max(1, len(frames) - 1)

    def mean(region: np.ndarray) -> float:
        sel = region & texture
        return float(heat[sel].mean()) if sel.any() else math.nan

    return Flow(mean(inside), mean(outside), mean(np.ones_like(texture)), heat)


def displacement_rms(frames: list[np.ndarray], region: np.ndarray) -> float:
    """RMS over the clip of how far ``region`` (bool) sits from where it was in frame 0, px."""
    texture = textured(frames[0]) & region
    out = []
    for f in frames[1:]:
        flow = flow_between(frames[0], f)
        out.append(float(np.hypot(*np.moveaxis(flow, -1, 0))[texture].mean()))
    return float(np.sqrt(np.mean(np.square(out))))


def heat_map(
    flow: Flow, alpha: np.ndarray | None, first: np.ndarray, path: Path, label: str
) -> Path:
    """The first frame beside its mean-flow heat map (subject outline in green)."""
    scale = 255 / max(1e-3, float(np.percentile(flow.heat, 99)))
    heat = cv2.applyColorMap(
        np.clip(flow.heat * scale, 0, 255).astype(np.uint8), cv2.COLORMAP_INFERNO
    )
    heat = cv2.cvtColor(heat, cv2.COLOR_BGR2RGB)
    if alpha is not None:
        edges = cv2.Canny((alpha > 0.5).astype(np.uint8) * 255, 50, 150) > 0
        heat[edges] = (0, 255, 0)
    sheet = np.hstack([first, heat])
    cv2.putText(
        sheet, label, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 0), 1, cv2.LINE_AA
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(path)
    return path
