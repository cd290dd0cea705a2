"""Soundtrack: uploads decoded, resampled and looped; built-in music; fades; mixing; AAC out."""

from __future__ import annotations

import av
import numpy as np
import pytest
from render_helpers import decode_audio, draft, image_segment, probe

from nemo_nb.render import render_draft
from nemo_nb.render._music import SAMPLE_RATE, music_loop


def _tone_file(path, seconds: float, rate: int, codec: str, freq: float = 440.0):
    """A mono sine tone written with PyAV in the container the file name says."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        fmt = {"pcm_s16le": "s16", "libmp3lame": "s16p"}.get(codec, "fltp")
        t = np.arange(round(seconds * rate)) / rate
        wave = 0.5 * np.sin(2 * np.pi * freq * t)
        samples = (
            (wave * 32767).astype(np.int16) if fmt.startswith("s16") else wave.astype(np.float32)
        )
        step = 1152 if codec == "libmp3lame" else 1024
        for start in range(0, len(samples), step):
            frame = av.AudioFrame.from_ndarray(
                samples[None, start : start + step], format=fmt, layout="mono"
            )
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


@pytest.fixture
def still(media):
    return media.picture("still.png", np.full((32, 18, 3), 90, np.uint8))


@pytest.mark.parametrize(
    "name,codec,rate",
    [
        ("tone.wav", "pcm_s16le", 44100),
        ("tone.m4a", "aac", 44100),
        ("tone.mp3", "libmp3lame", 44100),
        ("tone.aac", "aac", 32000),  # a raw ADTS stream
    ],
)
def test_uploaded_audio_is_resampled_looped_and_faded(media, tmp_path, still, name, codec, rate):
    src = media.add(name, _tone_file(tmp_path / name, 0.5, rate, codec))
    audio = [{"id": "a1", "st": 0, "d": 2000, "src": src, "m": {"vol": 1.0, "fade_out": 400}}]
    out = tmp_path / "out.mp4"
    result = render_draft(
        draft(2000, [image_segment(still, 2000)], audio=audio, width=64, height=64),
        out,
        resolve=media.resolve,
    )
    info = probe(out)
    assert result.has_audio and info.audio_codec == "aac"
    sound = decode_audio(out)
    assert len(sound) / SAMPLE_RATE == pytest.approx(2.0, abs=0.05)
    quarter = SAMPLE_RATE // 4
    windows = [_rms(sound[i : i + quarter, 0]) for i in range(0, 6 * quarter, quarter)]
    assert min(windows) > 0.2, "the half-second tone keeps playing: it loops"
    assert _rms(sound[-SAMPLE_RATE // 20 :]) < 0.3 * windows[2], "it fades out at the end"
    assert np.allclose(sound[:SAMPLE_RATE, 0], sound[:SAMPLE_RATE, 1], atol=0.02), (
        "mono becomes centred stereo"
    )
    spectrum = np.abs(np.fft.rfft(sound[quarter : quarter + SAMPLE_RATE, 0]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2), (
        "the pitch survives resampling to 48 kHz"
    )


@pytest.mark.parametrize("mood", ["lofi", "upbeat", "calm", "cinematic"])
def test_builtin_music_is_seamless_unclipped_and_has_bass_and_harmony(mood):
    loop = music_loop(mood)
    assert loop.dtype == np.float32 and loop.shape[1] == 2 and 6 < len(loop) / SAMPLE_RATE < 20
    assert np.abs(loop).max() <= 0.9 and _rms(loop) > 0.05
    steps = np.abs(np.diff(loop, axis=0))
    wrap = np.abs(loop[0] - loop[-1])
    assert np.all(wrap <= np.percentile(steps, 99.9, axis=0)), "looping it has no click"
    spectrum = np.abs(np.fft.rfft(loop[:, 0]))
    freqs = np.fft.rfftfreq(len(loop), 1 / SAMPLE_RATE)
    bass = spectrum[(freqs > 40) & (freqs < 150)].sum()
    harmony = spectrum[(freqs > 200) & (freqs < 1200)].sum()
    assert bass > 0.05 * spectrum.sum() and harmony > 0.1 * spectrum.sum()


def test_moods_differ():
    a, b = music_loop("lofi"), music_loop("upbeat")
    assert len(a) != len(b) or not np.allclose(a, b)


def test_several_segments_mix_without_clipping_and_silence_where_none_plays(media, tmp_path, still):
    audio = [
        {"id": "m1", "st": 1000, "d": 2000, "src": "builtin:upbeat", "m": {"vol": 1.0}},
        {
            "id": "m2",
            "st": 1000,
            "d": 2000,
            "src": "builtin:cinematic",
            "m": {"vol": 1.0, "fade_in": 500},
        },
    ]
    out = tmp_path / "mix.mp4"
    render_draft(
        draft(3000, [image_segment(still, 3000)], audio=audio, width=64, height=64),
        out,
        resolve=media.resolve,
    )
    sound = decode_audio(out)
    assert len(sound) / SAMPLE_RATE == pytest.approx(3.0, abs=0.05)
    assert _rms(sound[: int(0.9 * SAMPLE_RATE)]) < 1e-3, "nothing plays before 1 s"
    assert _rms(sound[int(1.5 * SAMPLE_RATE) :]) > 0.1
    assert np.abs(sound).max() <= 1.0


def test_no_audio_segments_means_no_audio_stream(media, tmp_path, still):
    out = tmp_path / "silent.mp4"
    result = render_draft(
        draft(300, [image_segment(still, 300)], width=64, height=64), out, resolve=media.resolve
    )
    assert not result.has_audio and probe(out).audio_codec is None
