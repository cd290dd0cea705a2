"""Motion effects on a still picture: each a pure function of time.

An effect maps an output pixel to the frame point it shows (a *backward* map, what ``cv2.remap``
and ``cv2.warpAffine(..., WARP_INVERSE_MAP)`` need). Rigid effects (bounce, pulse, alive, Ken
Burns) are one 2x3 affine matrix per frame; deforming ones (jiggle, sway) are a displacement field
evaluated on a coarse grid, which the caller resizes up (the field is smooth).

Every effect repeats exactly with period ``d / loops``: sinusoids use an integer number of
cycles per period, and the jiggle spring is the periodic steady state of a kicked damped
oscillator, periodic for any spring frequency (docs/architecture.md, "Rendering"). ``speed``
changes the rate (spring frequency, cycles per period) without breaking that period.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

TAU = 2 * np.pi


def margin_for(effect_type: str, strength: float, size: tuple[int, int]) -> float:
    """Extra picture around the frame (fraction of each side) the effect can pull into view.

    The picture is over-scaled by this much (cover) so the motion never shows an edge or a
    reflection; bounds use the base height <= frame height. Zoom-only effects need none.
    """
    width, height = size
    k, tall = strength, height / width
    needed = {
        "jiggle": max(0.07 * k, 0.25 * 0.07 * k * tall),  # top stretch; sideways whip
        "bounce": 0.1 * k,  # landing squash pulls the top down; the hop lifts the bottom
        "sway": 0.045 * k * tall,  # the top bends sideways
        "alive": 0.02 * k,  # drift beyond the breathing zoom
    }.get(effect_type, 0.0)
    return needed + 0.01 if needed else 0.0


#: Effects that move the subject alone when the picture has one (the others move the camera).
SUBJECT_EFFECTS = frozenset({"jiggle", "bounce", "sway", "pulse", "alive"})


@dataclass(frozen=True)
class Body:
    """Where the subject is, in frame pixels (from the subject analysis)."""

    top: float  # its highest point
    centre: tuple[float, float]  # the mask's centroid
    face: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1

    def chest_and_neck(self, base: tuple[float, float]) -> tuple[float, float, float, float, float]:
        """(chest x, chest y, chest radius, neck y, head size): where breathing and head turns
        pivot. From the face when there is one, else from the subject's extent."""
        if self.face is not None:
            x0, y0, x1, y1 = self.face
            fw, fh = x1 - x0, y1 - y0
            cx = (x0 + x1) / 2
            return cx, y1 + 1.3 * fh, 1.3 * fw, y1 + 0.2 * fh, fh
        tall = max(base[1] - self.top, 1.0)
        return self.centre[0], self.top + 0.6 * tall, 0.35 * tall, self.top + 0.4 * tall, 0.3 * tall


#: Plate pixels per frame pixel: slow sub-pixel drifts sample a finer plate so they do not shimmer.
PLATE_SCALE = {"kenburns": 1.5, "alive": 1.25}
FIELD_EFFECTS = frozenset({"jiggle", "sway"})


def kicked_spring(
    t: np.ndarray | float, period: float, freq_hz: float, damping: float
) -> np.ndarray:
    """Periodic steady state of a damped spring kicked once per ``period`` (un-normalised).

    ``s(t) = Im[e^{z (t mod T)} / (1 - e^{z T})]`` with ``z = -ζω + iω√(1-ζ²)``: the sum of the
    impulse responses of every earlier kick, so ``s(t + T) == s(t)`` for any frequency; the
    position is continuous at the kick and the velocity jumps (a tap).
    """
    w0 = TAU * freq_hz
    z = complex(-damping * w0, w0 * np.sqrt(1 - damping**2))
    tau = np.mod(t, period)
    return np.imag(np.exp(z * tau) / (1 - np.exp(z * period)))


def _smoothstep(x: np.ndarray | float) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _cycles(period: float, nominal_seconds: float, speed: float) -> int:
    """Whole cycles per period nearest to one every ``nominal_seconds / speed``."""
    return max(1, round(period * speed / nominal_seconds))


@dataclass(frozen=True)
class Motion:
    """One segment's effect, ready to evaluate at any time ``t`` (seconds into the segment)."""

    type: str
    strength: float
    speed: float
    period: float  # seconds; the motion repeats exactly with this period
    size: tuple[int, int]  # frame width, height (pixels)
    anchor: tuple[float, float]  # pinned base point, frame pixels
    direction: str = "in"
    #: The subject, when the effect moves it alone (``None``: the whole frame moves, as before).
    body: Body | None = None
    #: The jiggle's terms that depend on the grid only: (gx, gy, terms) of the last grid.
    _grid_terms: list = field(default_factory=list, compare=False, repr=False)

    @property
    def is_field(self) -> bool:
        return self.type in FIELD_EFFECTS or (self.type == "alive" and self.body is not None)

    def background_affine(self, t: float) -> np.ndarray:
        """3x3 backward matrix of the background layer when the subject moves alone: the camera
        (Ken Burns) moves it, "alive" drifts it slowly (parallax), subject effects hold it still."""
        if self.type == "kenburns":
            return self.affine(t)
        if self.type == "alive" and self.body is not None:
            width, height = self.size
            phase = TAU * _cycles(self.period, 8.0, self.speed) * t / self.period
            k = self.strength
            drift = (0.008 * k * width * np.sin(phase), 0.004 * k * height * np.sin(2 * phase))
            return _zoom_about((width / 2, height / 2), 1.0, drift)
        return np.eye(3)

    # ----- rigid effects -------------------------------------------------------------------
    def affine(self, t: float) -> np.ndarray:
        """3x3 backward matrix: output pixel -> frame pixel at time ``t``."""
        width, height = self.size
        ax, ay = self.anchor
        p, k = self.period, self.strength
        if self.type == "bounce":
            sx, sy, lift = self._bounce(t)
            # scale about the base point, then lift: x' = ax + (x - ax) sx, y' = ay + (y - ay) sy - lift
            return np.array(
                [[1 / sx, 0, ax - ax / sx], [0, 1 / sy, ay - (ay - lift) / sy], [0, 0, 1]]
            )
        if self.type == "pulse":
            beats = _cycles(p, 1.0, self.speed)
            u = np.mod(t * beats / p, 1.0)
            # "lub-dub": two raised-cosine bumps per beat, then rest
            bump = sum(
                a * (0.5 - 0.5 * np.cos(TAU * np.clip((u - s) / 0.16, 0, 1)))
                for a, s in ((1.0, 0.0), (0.6, 0.2))
            )
            centre = self.body.centre if self.body is not None else (width / 2, height / 2)
            return _zoom_about(centre, 1 + 0.06 * k * bump, (0.0, 0.0))
        if self.type == "alive" and self.body is None:
            breath = 0.5 - 0.5 * np.cos(TAU * _cycles(p, 4.0, self.speed) * t / p)
            drift_cycles = _cycles(p, 8.0, self.speed)
            phase = TAU * drift_cycles * t / p
            drift = (0.012 * k * width * np.sin(phase), 0.008 * k * height * (np.cos(phase) - 1))
            return _zoom_about((width / 2, height / 2), 1 + 0.045 * k * breath, drift)
        if self.type == "kenburns":
            return self._kenburns(t)
        return np.eye(3)

    def _bounce(self, t: float) -> tuple[float, float, float]:
        """(horizontal scale, vertical scale, lift in pixels) of a hop at time ``t``."""
        hops = _cycles(self.period, 0.9, self.speed)
        u = np.mod(t * hops / self.period, 1.0)
        k, contact = self.strength, 0.22
        if u < contact:  # on the ground: squash, then push off
            sy = 1 - 0.1 * k * np.sin(np.pi * u / contact)
            lift = 0.0
        else:  # airborne: parabola, stretched along the motion when fast (near the ground)
            v = (u - contact) / (1 - contact)
            lift = 0.06 * k * self.size[1] * 4 * v * (1 - v)
            speed = abs(1 - 2 * v)
            sy = 1 + 0.06 * k * speed * (
                1 - speed**8
            )  # 0 at take-off/landing: no jump into the squash
        return 1 / np.sqrt(sy), sy, lift

    def _kenburns(self, t: float) -> np.ndarray:
        width, height = self.size
        cycles = max(1, round(self.speed))
        # eased there-and-back (cosine): sub-pixel, seamless, zero velocity at both ends
        p = 0.5 - 0.5 * np.cos(TAU * cycles * t / self.period)
        reach = 0.08 + 0.24 * self.strength  # 0.5 -> 20 % zoom
        d = self.direction
        if d in ("in", "out"):
            zoom = 1 + reach * (p if d == "in" else 1 - p)
            return _zoom_about((width / 2, height / 2), zoom, (0.0, 0.0))
        zoom = 1 + 0.75 * reach
        # room to pan while zoomed, travelled from one side to the other
        room_x, room_y = (1 - 1 / zoom) * width / 2, (1 - 1 / zoom) * height / 2
        sweep = 1 - 2 * p
        pan = {
            "left": (room_x * sweep, 0.0),
            "right": (-room_x * sweep, 0.0),
            "up": (0.0, room_y * sweep),
            "down": (0.0, -room_y * sweep),
        }[d]
        return _zoom_about((width / 2, height / 2), zoom, pan)

    # ----- deforming effects ---------------------------------------------------------------
    def field(self, t: float, gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Backward map on a grid: the frame point (x, y) each output point (gx, gy) shows.

        The forward displacement is evaluated at the destination (the small-displacement inverse,
        fine for amplitudes of a few percent: docs/architecture.md, "Rendering").
        """
        if self.type == "alive":
            dx, dy = self._alive(t, gx, gy)
        elif self.type == "jiggle":
            dx, dy = self._jiggle(t, gx, gy)
        else:
            dx, dy = self._sway(t, gx, gy)
        return gx - dx, gy - dy

    def _alive(self, t: float, gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Breathing about the chest and a gentle head tilt about the neck (subject only)."""
        assert self.body is not None
        p, k = self.period, self.strength
        cx, cy, radius, neck_y, head = self.body.chest_and_neck(self.anchor)
        # breathing: a swell centred on the chest, fading out by ~2 radii
        breath = 0.5 - 0.5 * np.cos(TAU * _cycles(p, 4.0, self.speed) * t / p)
        ux, uy = gx - cx, gy - cy
        swell = 0.05 * k * breath * np.exp(-0.5 * (ux * ux + uy * uy) / radius**2)
        dx, dy = ux * swell, uy * swell
        # the head turns about the neck, a quarter cycle after the breath
        tilt = 0.05 * k * np.sin(TAU * _cycles(p, 3.0, self.speed) * t / p + 0.25 * TAU)
        above = _smoothstep((neck_y + 0.35 * head - gy) / (0.7 * head))
        near = np.exp(-0.5 * ((gx - cx) / (1.4 * head)) ** 2)
        weight = above * near
        nx, ny = gx - cx, gy - neck_y
        c, s = np.cos(tilt), np.sin(tilt)
        dx += weight * (c * nx - s * ny - nx)
        dy += weight * (s * nx + c * ny - ny)
        return dx, dy

    def _heights(self, gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Height above the base (1 at the frame top) and signed horizontal offset, in base heights."""
        ax, ay = self.anchor
        top = self.body.top if self.body is not None else 0.0
        reach = max(ay - top, 0.3 * self.size[1])
        return np.maximum(ay - gy, 0.0) / reach, (gx - ax) / reach, reach

    def jiggle_signals(self, t: float | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(base stretch, lagging top stretch, sideways wobble), each in -1..1, at time ``t``."""
        kicks = self._kicks()
        kick_period = self.period / kicks
        f0, zeta = 2.2 * self.speed, 0.12
        lag = 0.09 / self.speed  # the top follows the base: later and a touch slower
        base = kicked_spring(t, kick_period, f0, zeta)
        top = kicked_spring(np.asarray(t) - lag, kick_period, 0.85 * f0, zeta)
        wobble = kicked_spring(np.asarray(t) - 0.5 * lag, kick_period, 1.3 * f0, 0.18)
        return (
            -base / self._spring_peak(f0, zeta),
            -top / self._spring_peak(0.85 * f0, zeta),
            wobble / self._spring_peak(1.3 * f0, 0.18),
        )  # minus: squash first, like a tap from above

    def _spring_peak(self, freq_hz: float, damping: float) -> float:
        return _spring_peak(self.period / self._kicks(), freq_hz, damping)

    def _kicks(self) -> int:
        """Taps per loop: one per loop up to ~5 s loops (more for long ones), a whole number so
        the loop stays seamless; the spring settles between taps."""
        return max(1, int(self.period * self.speed / 2.5))

    def _jiggle(self, t: float, gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        base, top, wobble = self.jiggle_signals(t)
        amp = 0.07 * self.strength  # <= ~5 % without a mask (docs/architecture.md, "Rendering")
        upper, column, lift, spread, whip = self._jiggle_terms(gx, gy)
        # Stretch follows the base channel near the ground and the lagging one near the top, and
        # fades away from the subject's column so the frame sides stay calmer.
        stretch = amp * (base + upper * (top - base)) * column
        dy = lift * stretch  # positive stretch lifts points (y grows downwards)
        # Keep the volume: narrower when taller; ramps in above the base so the ground stays put.
        dx = spread * (1 / np.sqrt(1 + stretch) - 1)
        dx += 0.25 * amp * wobble * whip  # the top whips a little sideways
        return dx, dy

    def _jiggle_terms(self, gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, ...]:
        """The jiggle's per-point factors, which depend on the grid only (kept for the last
        grid: a segment evaluates the same grid every frame)."""
        if self._grid_terms and self._grid_terms[0] is gx and self._grid_terms[1] is gy:
            return self._grid_terms[2]
        height, across, reach = self._heights(gx, gy)
        terms = (
            _smoothstep(height),  # upper: how much the lagging top channel leads
            0.4 + 0.6 * np.exp(-0.5 * (across / 0.55) ** 2),  # column
            -height * reach,  # lift per unit stretch
            across * reach * _smoothstep(height / 0.15),  # spread per unit narrowing
            reach * height**2,  # whip per unit wobble
        )
        self._grid_terms[:] = [gx, gy, terms]
        return terms

    def _sway(self, t: float, gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        height, _, reach = self._heights(gx, gy)
        cycles = _cycles(self.period, 3.0, self.speed)
        # bend grows with height squared and lags with height: the base holds, the top whips
        phase = TAU * cycles * t / self.period - 0.9 * height
        bend = 0.045 * self.strength * np.sin(phase)
        dx = reach * bend * height**2
        dy = 0.5 * reach * (bend * height) ** 2  # the arc: a bent top also drops a little
        return dx, dy


@functools.lru_cache(maxsize=64)
def _spring_peak(kick_period: float, freq_hz: float, damping: float) -> float:
    """Largest |s| over a period, to normalise the spring to -1..1."""
    samples = kicked_spring(
        np.linspace(0, kick_period, 2048, endpoint=False), kick_period, freq_hz, damping
    )
    return float(np.abs(samples).max()) or 1.0


def _zoom_about(centre: tuple[float, float], zoom: float, shift: tuple[float, float]) -> np.ndarray:
    """Backward matrix of a zoom by ``zoom`` about ``centre`` with the view moved by ``shift``."""
    cx, cy = centre
    return np.array(
        [
            [1 / zoom, 0, cx - cx / zoom + shift[0]],
            [0, 1 / zoom, cy - cy / zoom + shift[1]],
            [0, 0, 1],
        ]
    )


#: Order in which composed effects map an output pixel back to the picture: the camera first
#: (Ken Burns, breathing zoom), then the subject's rigid hop or beat, then the deformations. So
#: "jiggle + bounce" jiggles a body that hops, and "alive + Ken Burns" zooms over a breathing scene.
_RANK = {"kenburns": 0, "alive": 0, "pulse": 1, "bounce": 1, "jiggle": 2, "sway": 3}


@dataclass(frozen=True)
class Composed:
    """Several effects on one segment, applied together (each keeps its own seamless period)."""

    parts: tuple[Motion, ...]

    @property
    def is_field(self) -> bool:
        return any(part.is_field for part in self.parts)

    def affine(self, t: float) -> np.ndarray:
        """3x3 backward matrix of the rigid parts (the whole map when no part deforms)."""
        total = np.eye(3)
        for part in self.parts:
            if not part.is_field:
                total = part.affine(t) @ total  # applied after the ones before it
        return total

    def background_affine(self, t: float) -> np.ndarray:
        """3x3 backward matrix of the background layer (see :meth:`Motion.background_affine`)."""
        total = np.eye(3)
        for part in self.parts:
            total = part.background_affine(t) @ total
        return total

    def field(self, t: float, gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Backward map on a grid: every rigid part, then every deforming part, in rank order."""
        m = self.affine(t)
        x = m[0, 0] * gx + m[0, 1] * gy + m[0, 2]
        y = m[1, 0] * gx + m[1, 1] * gy + m[1, 2]
        for part in self.parts:
            if part.is_field:
                x, y = part.field(t, x, y)
        return x, y


def compose(parts: list[Motion]) -> Motion | Composed:
    """One motion as it is; several in :data:`_RANK` order (a stable sort keeps ties in order)."""
    if len(parts) == 1:
        return parts[0]
    return Composed(tuple(sorted(parts, key=lambda part: _RANK.get(part.type, 1))))


def composed_margin(effects: list[tuple[str, float]], size: tuple[int, int]) -> float:
    """Margin for several effects at once: their reaches add up (bounded, so a stack of strong
    effects does not blow the plate up)."""
    total = sum(margin_for(kind, strength, size) for kind, strength in effects)
    return min(total, 0.3)


def make_motion(
    effect_type: str,
    strength: float,
    speed: float,
    loops: int,
    duration: float,
    size: tuple[int, int],
    anchor: tuple[float, float],
    direction: str = "in",
    body: Body | None = None,
) -> Motion:
    """The effect of a segment of ``duration`` seconds with ``loops`` seamless cycles; with a
    ``body`` the subject effects move the subject alone."""
    period = duration / max(1, loops)
    body = body if effect_type in SUBJECT_EFFECTS else None
    return Motion(effect_type, strength, speed, period, size, anchor, direction, body)
