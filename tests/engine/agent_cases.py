"""Table of conversations for ``test_agent.py``: every seed prompt and the usual follow-ups.

A case is a list of turns ``(prompt, expect)`` run in order against the same uploads; each turn
starts from the draft the previous turn left (undo restores the one before, as the server does).
``expect`` keys (all optional) are checked by ``test_agent.check``:

    understood, silent, changed, undo   bools
    fx            effect type of every video segment (str) or per segment (list)
    dirs          Ken Burns directions per segment
    strength      "up" | "down" | "same" | float (first segment, vs the previous turn)
    speed         "up" | "down" | float
    loops         int (every segment) or list
    d             total ms;  seg_d: list of segment durations
    aspect        "9:16" | "16:9" | "1:1" (width/height are checked too)
    tracks        track types in order, e.g. [0, 1, 7]
    tr            transition types of segments 2..n;  tr_d: their durations
    title         text of the "Title" track;  title_color, title_pos, title_size ("up"/"down")
    texts         texts of all text tracks, in order;  text_pos: position of the last text
    music         src of the audio segment (None: no audio track);  vol: float | "up" | "down"
    fade_out      the audio segment's fade-out, ms
    title_d, title_anim  the title's span (from 0) and animation;  fit  every segment's m.fit
    strength@bounce, speed@bounce, loops@bounce  the same keys, of one composed effect
    srcs          names (``n``) of the video segments in order
    media         (not checked) the uploads for this turn, if they changed since the last one
    calls         tool names that must appear
    says          substrings the reply text must contain (case-insensitive)
"""

from __future__ import annotations

from nemo_nb.engine.agent import MediaRef


def _img(i: int, name: str | None = None) -> MediaRef:
    name = name or f"photo{i}.jpg"
    return MediaRef(f"m{i}", f"http://127.0.0.1:9/media/m{i}/{name}", name, "image", 1200, 1600)


SONG = MediaRef("m9", "http://127.0.0.1:9/media/m9/song.mp3", "song.mp3", "audio", None, None, 42.0)
CLIP = MediaRef("m8", "http://127.0.0.1:9/media/m8/clip.mp4", "clip.mp4", "video", 1920, 1080, 4.0)

MEDIA: dict[str, list[MediaRef]] = {
    "none": [],
    "one": [_img(1, "portrait.jpg")],
    "three": [_img(1), _img(2), _img(3)],
    "one+song": [_img(1, "portrait.jpg"), SONG],
    "one+clip": [_img(1, "portrait.jpg"), CLIP],
    "one+new": [_img(1, "portrait.jpg"), _img(2, "new.jpg")],
    # matplotlib's sample portrait: 3.2x enlarged to fill 1080x1920
    "small": [
        MediaRef("m7", "http://127.0.0.1:9/media/m7/hopper.jpg", "hopper.jpg", "image", 512, 600)
    ],
}

JIGGLE = "make this photo jiggle and bounce like a looping animated video"
JB = "jiggle+bounce"  # the two effects JIGGLE asks for, composed on the photo
SLIDES = "turn these images into a smooth 15-second video with transitions"
CREATED = {"understood": True, "silent": False, "changed": True, "calls": ["create_timeline"]}
TWEAK = {"understood": True, "silent": True, "changed": True}
# A limit reached is said (issue 21): these were silent tweaks before.
CAPPED = {"understood": True, "silent": False, "changed": True}
NOT_UNDERSTOOD = {"understood": False, "changed": False, "silent": False}


def _c(**kw: object) -> dict[str, object]:
    return kw


# --- every example prompt of the five seeds (first turn, no draft yet) --------------------------
SEED_CASES: list[tuple[str, str, list[tuple[str, dict[str, object]]]]] = [
    (
        "seed-jiggle-loop",
        "one",
        [
            (
                JIGGLE,
                {
                    **CREATED,
                    "fx": JB,
                    "d": 6000,
                    "loops": 2,
                    "aspect": "9:16",
                    "tracks": [0],
                    "strength": 0.5,
                },
            )
        ],
    ),
    (
        "seed-jiggle-subtle",
        "one",
        [
            (
                "make this image jiggle and bounce with a subtle looping motion",
                {**CREATED, "fx": JB, "strength": 0.25, "d": 6000},
            )
        ],
    ),
    (
        "seed-jiggle-bounce",
        "one",
        [
            (
                "make this image jiggle and bounce",
                {**CREATED, "fx": JB, "loops": 2, "strength": 0.5},
            )
        ],
    ),
    (
        "seed-animate-1080p",
        "one",
        [
            (
                "animate a single portrait photo or product image into a 1080p MP4",
                {**CREATED, "fx": "alive", "aspect": "9:16", "d": 6000},
            )
        ],
    ),
    (
        "seed-tiktok",
        "three",
        [
            (
                "turning static photos into jiggling motion videos for social media "
                "for TikTok creators",
                {
                    **CREATED,
                    "fx": "jiggle",
                    "aspect": "9:16",
                    "d": 9000,
                    "seg_d": [3000] * 3,
                    "tr": ["crossfade"] * 2,
                    "srcs": ["photo1.jpg", "photo2.jpg", "photo3.jpg"],
                },
            )
        ],
    ),
    (
        "seed-tiktok-one",
        "one",
        [
            (
                "turning static photos into jiggling motion videos for social "
                "media for TikTok creators",
                {**CREATED, "fx": "jiggle", "aspect": "9:16"},
            )
        ],
    ),
    (
        "seed-alive",
        "one",
        [
            (
                "animate this photo to make it look like it's moving",
                {**CREATED, "fx": "alive", "d": 6000, "loops": 2},
            )
        ],
    ),
    (
        "seed-convert-portrait-landscape",
        "one",
        [
            (
                "convert a single portrait or landscape photo into a 1080p MP4",
                {**CREATED, "fx": "alive", "aspect": "9:16"},
            )
        ],
    ),
    (
        "seed-social-clips",
        "three",
        [
            (
                "turning static photos into animated video clips for social media creators",
                {**CREATED, "fx": "kenburns", "d": 9000},
            )
        ],
    ),
    (
        "seed-smooth-motion",
        "three",
        [
            (
                "turn my static images into a smooth animated video with motion effects",
                {**CREATED, "fx": "kenburns", "dirs": ["in", "out", "in"], "tr": ["crossfade"] * 2},
            )
        ],
    ),
    (
        "seed-truncated-static",
        "three",
        [("turn my static images into a", {**CREATED, "d": 9000, "fx": "kenburns"})],
    ),
    (
        "seed-15s-transitions",
        "three",
        [
            (
                SLIDES,
                {
                    **CREATED,
                    "d": 15000,
                    "seg_d": [5000] * 3,
                    "tr": ["crossfade"] * 2,
                    "tr_d": [500, 500],
                    "fx": "kenburns",
                    "says": ["15-second"],
                },
            )
        ],
    ),
    (
        "seed-15s-one-photo",
        "one",
        [(SLIDES, {**CREATED, "d": 15000, "seg_d": [15000], "says": ["upload more photos"]})],
    ),
    (
        "seed-truncated-smooth",
        "three",
        [("turn these images into a smooth", {**CREATED, "fx": "kenburns"})],
    ),
    (
        "seed-convert-stills",
        "three",
        [("convert my still images", {**CREATED, "seg_d": [3000] * 3})],
    ),
    (
        "seed-convert-stills-one",
        "one",
        [("convert my still images", {**CREATED, "fx": "alive", "d": 6000})],
    ),
    (
        "seed-generate",
        "three",
        [("generate my images or text", {**CREATED, "tracks": [0], "d": 9000})],
    ),
    ("seed-feel-alive", "three", [("make still photos feel alive", {**CREATED, "fx": "alive"})]),
    (
        "seed-export-no-draft",
        "one",
        [("export 1080p MP4", {**NOT_UNDERSTOOD, "says": ["nothing to export", "click Export"]})],
    ),
    (
        "seed-twice",
        "one",
        [
            (JIGGLE, CREATED),
            (JIGGLE, {"understood": True, "changed": False, "says": ["ready", "Export"]}),
        ],
    ),
    (
        "seed-export-after",
        "one",
        [
            (JIGGLE, CREATED),
            (
                "export 1080p MP4",
                {"understood": True, "changed": False, "silent": False, "says": ["Export"]},
            ),
        ],
    ),
]

# --- follow-ups on an existing timeline ---------------------------------------------------------
FOLLOW_UPS: list[tuple[str, str, list[tuple[str, dict[str, object]]]]] = [
    (
        "stronger-subtler",
        "one",
        [
            (JIGGLE, CREATED),
            ("make it stronger", {**TWEAK, "strength": 0.65, "calls": ["apply_motion"]}),
            ("a bit stronger", {**TWEAK, "strength": "up"}),
            ("much subtler", {**TWEAK, "strength": "down"}),
            ("make it gentler", {**TWEAK, "strength": "down", "fx": JB}),
            ("more jiggle", {**TWEAK, "strength": "up"}),
            # a follow-up naming one of the composed effects tunes that one only
            ("less bounce", {**TWEAK, "strength@bounce": "down", "strength": "same", "fx": JB}),
        ],
    ),
    (
        "strength-clamps",
        "one",
        [
            (JIGGLE, CREATED),
            ("much subtler", {**TWEAK, "strength": 0.2}),
            ("much subtler", {**TWEAK, "strength": 0.05}),
            ("much subtler", {"understood": True, "changed": False, "says": ["already"]}),
            ("strength 150%", {**CAPPED, "strength": 1.0, "says": ["at most 100%"]}),
        ],
    ),
    (
        "speed",
        "one",
        [
            (JIGGLE, CREATED),
            ("faster", {**TWEAK, "speed": 1.25}),
            ("slow it down a bit", {**TWEAK, "speed": "down"}),
            ("10x faster", {**CAPPED, "speed": 4.0, "says": ["0.25x to 4x"]}),
            ("half speed", {**TWEAK, "speed": 2.0}),
        ],
    ),
    (
        "duration",
        "one",
        [
            (JIGGLE, CREATED),
            ("make it 15 seconds", {**TWEAK, "d": 15000, "loops": 5, "fx": JB}),
            ("make it ten seconds", {**TWEAK, "d": 10000, "loops": 3}),
            ("shorter", {**TWEAK, "d": 7500}),
            ("longer", {**TWEAK, "d": 9400}),
            ("make it 120 seconds", {**CAPPED, "d": 60000, "says": ["at most 60 s"]}),
            ("make it 0.2 seconds", {**CAPPED, "d": 1000, "says": ["at least 1 s"]}),
        ],
    ),
    (
        "loops",
        "one",
        [
            (JIGGLE, CREATED),
            ("loop it 3 times", {**TWEAK, "loops": 3, "d": 9000}),
            ("loop it twice", {**TWEAK, "loops": 2, "d": 6000}),
            ("make it bounce", {**TWEAK, "fx": "bounce", "loops": 4, "d": 6000}),
        ],
    ),
    (
        "effects",
        "one",
        [
            (JIGGLE, CREATED),
            ("make it sway", {**TWEAK, "fx": "sway"}),
            ("use a pulse effect", {**TWEAK, "fx": "pulse"}),
            ("make it breathing", {**TWEAK, "fx": "alive"}),
            ("zoom in", {**TWEAK, "fx": "kenburns", "dirs": ["in"]}),
            ("zoom out", {**TWEAK, "fx": "kenburns", "dirs": ["out"]}),
            ("pan left", {**TWEAK, "fx": "kenburns", "dirs": ["left"]}),
            ("ken burns", {"understood": True, "changed": False}),
            ("make it alive", {**TWEAK, "fx": "alive"}),
            ("change bounce to jiggle", {**TWEAK, "fx": "jiggle"}),
            ("jiggle instead of sway", {"understood": True, "changed": False}),
            (
                "remove the effect",
                {"understood": True, "changed": True, "fx": "none", "silent": False},
            ),
            ("make it jiggle again", {**TWEAK, "fx": "jiggle"}),
            ("stop the motion", {"changed": True, "fx": "none"}),
        ],
    ),
    (
        "aspect",
        "one",
        [
            (JIGGLE, CREATED),
            ("make it 16:9", {**TWEAK, "aspect": "16:9"}),
            ("vertical please", {**TWEAK, "aspect": "9:16"}),
            ("square", {**TWEAK, "aspect": "1:1"}),
            ("for YouTube", {**TWEAK, "aspect": "16:9"}),
            ("for Reels", {**TWEAK, "aspect": "9:16"}),
            ("landscape", {**TWEAK, "aspect": "16:9"}),
            ("make it portrait", {**TWEAK, "aspect": "9:16"}),
            ("for instagram feed", {**TWEAK, "aspect": "1:1"}),
            ("for YouTube Shorts", {**TWEAK, "aspect": "9:16"}),
            ("1:1", {**TWEAK, "aspect": "1:1"}),
            ("1:1", {"understood": True, "changed": False, "says": ["already"]}),
        ],
    ),
    (
        "transitions",
        "three",
        [
            (SLIDES, CREATED),
            ("use slide transitions", {**TWEAK, "tr": ["slide"] * 2, "fx": "kenburns"}),
            ("wipe", {**TWEAK, "tr": ["wipe"] * 2}),
            ("zoom transition", {**TWEAK, "tr": ["zoom"] * 2, "dirs": ["in", "out", "in"]}),
            ("add crossfade transitions", {**TWEAK, "tr": ["crossfade"] * 2}),
            ("make transitions longer", {**TWEAK, "tr_d": [750, 750]}),
            ("make the transitions shorter", {**TWEAK, "tr_d": [500, 500]}),
            ("1 second transitions", {**TWEAK, "tr_d": [1000, 1000], "d": 15000}),
            ("no transitions", {**TWEAK, "tr": ["none"] * 2}),
            ("add transitions", {**TWEAK, "tr": ["crossfade"] * 2}),
            ("remove transitions", {**TWEAK, "tr": ["none"] * 2}),
        ],
    ),
    (
        "slideshow-edits",
        "three",
        [
            (SLIDES, CREATED),
            (
                "apply jiggle to the second image only",
                {**TWEAK, "fx": ["kenburns", "jiggle", "kenburns"]},
            ),
            ("make the last one bounce", {**TWEAK, "fx": ["kenburns", "jiggle", "bounce"]}),
            ("make it 9 seconds", {**TWEAK, "d": 9000, "seg_d": [3000] * 3}),
            ("each photo 2 seconds", {**TWEAK, "d": 6000, "seg_d": [2000] * 3}),
            (
                "remove the second image",
                {
                    "changed": True,
                    "silent": False,
                    "d": 4000,
                    "srcs": ["photo1.jpg", "photo3.jpg"],
                    "calls": ["remove"],
                },
            ),
            ("remove the fifth photo", {"understood": False, "changed": False, "says": ["only 2"]}),
            ("make it sway", {**TWEAK, "fx": "sway"}),
        ],
    ),
    (
        "titles",
        "one",
        [
            (JIGGLE, CREATED),
            (
                'add a title "Summer Sale"',
                {
                    "changed": True,
                    "silent": False,
                    "tracks": [0, 7],
                    "title": "Summer Sale",
                    "title_pos": "top",
                    "says": ["drag the title"],
                    "calls": ["edit_multitrack"],
                },
            ),
            ('change the title to "Sale"', {**TWEAK, "title": "Sale", "tracks": [0, 7]}),
            ("make the title red", {**TWEAK, "title_color": "#ff3b30"}),
            ("yellow title", {**TWEAK, "title_color": "#ffd60a"}),
            ("move the title to the bottom", {**TWEAK, "title_pos": "bottom"}),
            ("make the title bigger", {**TWEAK, "title_size": "up"}),
            ("smaller text", {**TWEAK, "title_size": "down"}),
            (
                "add text 'Hello' at the bottom",
                {
                    "changed": True,
                    "silent": False,
                    "tracks": [0, 7, 7],
                    "texts": ["Sale", "Hello"],
                    "text_pos": "bottom",
                },
            ),
            ("make it 12 seconds", {**TWEAK, "d": 12000}),
            (
                "remove the title",
                {"changed": True, "silent": False, "texts": ["Hello"], "tracks": [0, 7]},
            ),
            ("remove the text", {"changed": True, "tracks": [0]}),
            ("remove the title", {"understood": False, "changed": False, "says": ["no title"]}),
        ],
    ),
    (
        "title-quotes",
        "one",
        [
            (JIGGLE, CREATED),
            (
                "add a title “Summer Sale” in red",
                {"changed": True, "title": "Summer Sale", "title_color": "#ff3b30"},
            ),
            ("add a title 「夏日特卖」", {**TWEAK, "title": "夏日特卖"}),
            ("add a title saying Hello World at the top", {**TWEAK, "title": "Hello World"}),
            ("add a title", {"understood": False, "changed": False, "says": ["quotes"]}),
            (
                'add a yellow caption "Jiggle it" in the middle',
                {
                    "changed": True,
                    "texts": ["Hello World", "Jiggle it"],
                    "text_pos": "center",
                    "fx": JB,
                },
            ),
        ],
    ),
    (
        "music",
        "one+song",
        [
            (JIGGLE, CREATED),
            (
                "add some upbeat music",
                {
                    "changed": True,
                    "silent": False,
                    "music": "builtin:upbeat",
                    "vol": 0.35,
                    "tracks": [0, 1],
                    "says": ["Upbeat", "timeline"],
                    "calls": ["add_music"],
                },
            ),
            ("music volume 20%", {**TWEAK, "vol": 0.2}),
            # a volume in Chinese names the music too: it must not swap the mood for the default
            ("音乐音量 25%", {**TWEAK, "vol": 0.25, "music": "builtin:upbeat"}),
            ("背景音乐 30%", {**TWEAK, "vol": 0.3, "music": "builtin:upbeat"}),
            ("louder music", {**TWEAK, "vol": "up"}),
            ("lower the music", {**TWEAK, "vol": "down"}),
            ("mute the music", {**TWEAK, "vol": 0.0}),
            (
                "use my song",
                {
                    "changed": True,
                    "music": "http://127.0.0.1:9/media/m9/song.mp3",
                    "tracks": [0, 1],
                },
            ),
            ("make it 15 seconds", {**TWEAK, "d": 15000}),
            ("remove the music", {"changed": True, "silent": False, "music": None, "tracks": [0]}),
            (
                "add the music I uploaded",
                {"changed": True, "music": "http://127.0.0.1:9/media/m9/song.mp3", "vol": 0.8},
            ),
            ("volume 300%", {**CAPPED, "vol": 1.0, "says": ["at most 100%"]}),
        ],
    ),
    (
        "music-builtin",
        "one",
        [
            (JIGGLE, CREATED),
            ("add background music", {"changed": True, "music": "builtin:lofi", "silent": False}),
            ("switch to calm music", {"changed": True, "music": "builtin:calm"}),
            ("cinematic soundtrack please", {"changed": True, "music": "builtin:cinematic"}),
            ("use my song", {"understood": False, "changed": False, "says": ["upload"]}),
            ("music volume 50 percent", {**TWEAK, "vol": 0.5}),
        ],
    ),
    (
        "no-music-volume",
        "one",
        [
            (JIGGLE, CREATED),
            ("lower the music", {"understood": False, "changed": False, "says": ["no music"]}),
        ],
    ),
    (
        "multi-intent",
        "one",
        [
            (
                'make it jiggle, add a title "Hi" and some lofi music',
                {
                    **CREATED,
                    "fx": "jiggle",
                    "title": "Hi",
                    "music": "builtin:lofi",
                    "tracks": [0, 1, 7],
                    "calls": ["create_timeline", "edit_multitrack", "add_music"],
                },
            ),
            (
                "make it 10 seconds and square",
                {**TWEAK, "d": 10000, "aspect": "1:1", "music": "builtin:lofi"},
            ),
            (
                "stronger and faster, with calm music at 50%",
                {
                    "changed": True,
                    "strength": "up",
                    "speed": "up",
                    "music": "builtin:calm",
                    "vol": 0.5,
                },
            ),
        ],
    ),
    (
        "undo",
        "one",
        [
            (JIGGLE, CREATED),
            ("make it bounce", {**TWEAK, "fx": "bounce"}),
            (
                "undo",
                {
                    "undo": True,
                    "changed": False,
                    "fx": JB,
                    "calls": ["undo"],
                    "silent": False,
                },
            ),
            ("make it sway", {**TWEAK, "fx": "sway"}),
            ("go back", {"undo": True, "fx": JB}),
            ("撤销", {"undo": True, "changed": False}),
        ],
    ),
    (
        "add-photo",
        "one",
        [
            (JIGGLE, CREATED),
            ("add this photo", {"understood": False, "changed": False, "says": ["already"]}),
        ],
    ),
    (
        "video-clip",
        "one+clip",
        [
            (
                "convert my still images",
                {**CREATED, "srcs": ["portrait.jpg", "clip.mp4"], "fx": ["kenburns", "none"]},
            ),
            (
                "make it jiggle",
                {"changed": True, "fx": ["jiggle", "none"], "says": ["video clips"]},
            ),
        ],
    ),
    (
        "negatives",
        "one",
        [
            ("what's the weather", {**NOT_UNDERSTOOD, "says": ["didn't understand", "jiggle"]}),
            ("make it look better", NOT_UNDERSTOOD),
            (JIGGLE, CREATED),
            ("what's the weather", {**NOT_UNDERSTOOD, "says": ["make it subtler"]}),
            ("show me a panorama", NOT_UNDERSTOOD),
            (
                "add a download button as text overlay",
                {"changed": True, "silent": False, "texts": ["download button"], "fx": JB},
            ),
            (
                'add a title "Jiggle Zoom 10 seconds"',
                {"changed": True, "title": "Jiggle Zoom 10 seconds", "fx": JB, "d": 6000},
            ),
            ("", NOT_UNDERSTOOD),
            ("help", {"understood": True, "changed": False, "says": ["Try"]}),
        ],
    ),
    (
        "no-media",
        "none",
        [
            (JIGGLE, {**NOT_UNDERSTOOD, "says": ["Upload a photo first"]}),
            ("add some lofi music", {**NOT_UNDERSTOOD, "says": ["Upload a photo first"]}),
        ],
    ),
    (
        "no-timeline",
        "one",
        [
            ("remove the title", {**NOT_UNDERSTOOD, "says": ["no timeline yet"]}),
            (
                "undo",
                {"understood": True, "changed": False, "undo": False, "says": ["nothing to undo"]},
            ),
            ("lower the music", NOT_UNDERSTOOD),
            ("make it stronger", {**CREATED, "strength": 0.65, "fx": "alive"}),
        ],
    ),
    (
        "song-only",
        "one+song",
        [
            (
                "use my song",
                {**CREATED, "music": "http://127.0.0.1:9/media/m9/song.mp3", "vol": 0.8},
            ),
        ],
    ),
    (
        "audio-only-upload",
        "none",
        [
            ("use my song", {**NOT_UNDERSTOOD, "says": ["Upload a photo first"]}),
        ],
    ),
    (
        "music-first",
        "one",
        [
            (
                "add some lofi music",
                {**CREATED, "music": "builtin:lofi", "tracks": [0, 1], "fx": "alive"},
            ),
        ],
    ),
    (
        "rebuild-with-more",
        "three",
        [
            (JIGGLE, {**CREATED, "srcs": ["photo3.jpg"]}),
            (SLIDES, {**CREATED, "srcs": ["photo1.jpg", "photo2.jpg", "photo3.jpg"], "d": 15000}),
        ],
    ),
]

# --- more ways of saying things -------------------------------------------------------------------
PHRASINGS: list[tuple[str, str, list[tuple[str, dict[str, object]]]]] = [
    (
        "phrasings",
        "one",
        [
            (JIGGLE, CREATED),
            ("make it jiggle more", {**TWEAK, "strength": "up", "fx": JB}),
            ("the jiggle is too strong", {**TWEAK, "strength": "down"}),
            ("I don't want music", {"understood": False, "changed": False, "says": ["no music"]}),
            (
                'put "Hello" at the top',
                {
                    "changed": True,
                    "silent": False,
                    "texts": ["Hello"],
                    "text_pos": "top",
                    "says": ["drag the text"],
                },
            ),
            ("make the text white", {"understood": True, "changed": False}),
            ("make the text blue", {**TWEAK, "texts": ["Hello"]}),
            ("make it loop seamlessly", {"understood": True, "changed": False}),
            ("repeat 3 times", {**TWEAK, "loops": 3, "d": 9000}),
            ("make it 3 times faster", {**TWEAK, "speed": 3.0}),
            ("2x speed", {**TWEAK, "speed": 2.0}),
            ("bring it to life", {**TWEAK, "fx": "alive"}),
            ("make the video 20 seconds long", {**TWEAK, "d": 20000}),
            ("switch to a horizontal format", {**TWEAK, "aspect": "16:9"}),
            ("add some music", {"changed": True, "silent": False, "music": "builtin:lofi"}),
            ("turn the music down", {**TWEAK, "vol": "down"}),
            ("make the music quieter", {**TWEAK, "vol": "down"}),
            ("no music", {"changed": True, "music": None}),
            (
                "make it jiggle and export",
                {"changed": True, "fx": "jiggle", "silent": False, "says": ["click Export"]},
            ),
            ("make the unsubtle panorama pop", NOT_UNDERSTOOD),
        ],
    ),
    (
        "slideshow-phrasings",
        "three",
        [
            ("make a slideshow", {**CREATED, "seg_d": [3000] * 3, "fx": "kenburns"}),
            ("make each slide 4 seconds", {**TWEAK, "seg_d": [4000] * 3, "d": 12000}),
            ("3 seconds per photo", {**TWEAK, "seg_d": [3000] * 3, "d": 9000}),
            ("the second photo should pan right", {**TWEAK, "dirs": ["in", "right", "in"]}),
            ("use wipe transitions", {**TWEAK, "tr": ["wipe"] * 2}),
            ("add crossfade between the photos", {**TWEAK, "tr": ["crossfade"] * 2}),
            (
                "delete photo 3",
                {"changed": True, "silent": False, "srcs": ["photo1.jpg", "photo2.jpg"]},
            ),
            ("make the first and last ones bounce", {**TWEAK, "fx": ["bounce", "bounce"]}),
        ],
    ),
    (
        "new-upload",
        "one",
        [
            (JIGGLE, {**CREATED, "srcs": ["portrait.jpg"]}),
            ('add a title "Mine"', {"changed": True, "title": "Mine"}),
            (
                "animate this photo to make it look like it's moving",
                {
                    **CREATED,
                    "media": "one+new",
                    "srcs": ["new.jpg"],
                    "fx": "alive",
                    "title": "Mine",
                },
            ),
        ],
    ),
    (
        "add-media",
        "one",
        [
            (JIGGLE, CREATED),
            (
                "add the new photo",
                {
                    "media": "one+new",
                    "changed": True,
                    "silent": False,
                    "srcs": ["portrait.jpg", "new.jpg"],
                    "d": 12000,
                    "fx": JB,
                    "tr": ["crossfade"],
                },
            ),
        ],
    ),
]

PHRASINGS += [
    (
        "tweak-references",
        "one",
        [
            (JIGGLE, CREATED),
            (
                "add lofi music and a title: Summer Sale",
                {"changed": True, "title": "Summer Sale", "music": "builtin:lofi"},
            ),
            (
                "can you make the jiggle a little softer",
                {**TWEAK, "fx": JB, "strength": "down", "strength@bounce": "same"},
            ),
            ("make the bounce faster", {**TWEAK, "fx": JB, "speed@bounce": "up", "speed": "same"}),
            ("fade out the music", {**TWEAK, "music": "builtin:lofi", "fade_out": 2000}),
            ("make it half as long", {**TWEAK, "d": 3000}),
            ("double the length", {**TWEAK, "d": 6000}),
            ("add 3 seconds", {**TWEAK, "d": 9000}),
            ("cut 2 seconds", {**TWEAK, "d": 7000}),
            (
                "make the photo zoom in slowly",
                {**TWEAK, "fx": "kenburns", "dirs": ["in"], "speed": "down"},
            ),
            ("gently sway", {**TWEAK, "fx": "sway", "strength": "down"}),
            ("thanks!", {"understood": True, "changed": False, "says": ["Export"]}),
            ("ok", {"understood": True, "changed": False}),
        ],
    ),
]

# --- Chinese ------------------------------------------------------------------------------------
CHINESE: list[tuple[str, str, list[tuple[str, dict[str, object]]]]] = [
    (
        "zh-jiggle",
        "one",
        [
            ("让这张照片抖动起来", {**CREATED, "fx": "jiggle", "says": ["导出"]}),
            ("更强一点", {**TWEAK, "strength": "up"}),
            ("轻微", {**TWEAK, "strength": "down"}),
            ("更快", {**TWEAK, "speed": "up"}),
            ("弹跳", {**TWEAK, "fx": "bounce"}),
            ("摇摆", {**TWEAK, "fx": "sway"}),
            ("缩放", {**TWEAK, "fx": "kenburns"}),
            ("横屏", {**TWEAK, "aspect": "16:9"}),
            ("竖屏", {**TWEAK, "aspect": "9:16"}),
            ("方形", {**TWEAK, "aspect": "1:1"}),
            ("十五秒", {**TWEAK, "d": 15000}),
            (
                "加标题「夏日特卖」",
                {"changed": True, "silent": False, "title": "夏日特卖", "says": ["标题"]},
            ),
            ("标题改成“大促”", {**TWEAK, "title": "大促"}),
            ("加背景音乐", {"changed": True, "music": "builtin:lofi", "silent": False}),
            ("音量20%", {**TWEAK, "vol": 0.2}),
            ("删除标题", {"changed": True, "tracks": [0, 1]}),
            ("去掉音乐", {"changed": True, "tracks": [0]}),
            ("撤销", {"undo": True}),
            ("天气怎么样", {**NOT_UNDERSTOOD, "says": ["没听懂"]}),
        ],
    ),
    (
        "zh-alive",
        "one",
        [
            ("让照片动起来", {**CREATED, "fx": "alive"}),
            ("循环3次", {**TWEAK, "loops": 3, "d": 9000}),
            ("更慢", {**TWEAK, "speed": "down"}),
        ],
    ),
    (
        "zh-slides",
        "three",
        [
            ("把这些图片做成15秒的视频，加转场", {**CREATED, "d": 15000, "tr": ["crossfade"] * 2}),
            ("果冻效果", {**TWEAK, "fx": "jiggle"}),
            ("第二张弹跳", {**TWEAK, "fx": ["jiggle", "bounce", "jiggle"]}),
            ("去掉转场", {**TWEAK, "tr": ["none"] * 2}),
            ("删除第二张", {"changed": True, "seg_d": [5000, 5000]}),
        ],
    ),
    (
        "zh-more",
        "one",
        [
            ("让照片生动一点", {**CREATED, "fx": "alive"}),
            ("推拉", {**TWEAK, "fx": "kenburns"}),
            ("强烈", {**TWEAK, "strength": "up"}),
            ("柔和", {**TWEAK, "strength": "down"}),
            (
                "加文字“你好”在底部",
                {"changed": True, "silent": False, "texts": ["你好"], "text_pos": "bottom"},
            ),
            ("加过渡", {"understood": False, "changed": False, "says": ["转场"]}),
            ("循环两次", {**TWEAK, "loops": 2}),
            ("加欢快的背景音乐", {"changed": True, "music": "builtin:upbeat"}),
            ("音乐调低", {**TWEAK, "vol": "down"}),
        ],
    ),
    ("zh-no-media", "none", [("让这张照片抖动起来", {**NOT_UNDERSTOOD, "says": ["上传"]})]),
]

# --- composed effects, loop-aware titles, framing (issue 12) --------------------------------------
MOTION: list[tuple[str, str, list[tuple[str, dict[str, object]]]]] = [
    (
        "composed-jiggle-bounce",
        "one",
        [
            (
                JIGGLE,
                {**CREATED, "fx": JB, "loops": 2, "loops@bounce": 4, "says": ["jiggle and bounce"]},
            ),
            ("make it 9 seconds", {**TWEAK, "fx": JB, "loops": 3, "loops@bounce": 6}),
            ("less bounce", {**TWEAK, "fx": JB, "strength@bounce": 0.35, "strength": 0.5}),
            ("more jiggle", {**TWEAK, "fx": JB, "strength": 0.65, "strength@bounce": 0.35}),
            ("stronger", {**TWEAK, "fx": JB, "strength": 0.8, "strength@bounce": 0.5}),
            ("loop it 4 times", {**TWEAK, "fx": JB, "loops": 4, "loops@bounce": 8, "d": 12000}),
            ("remove the bounce", {"changed": True, "fx": "jiggle", "silent": False}),
            ("also add a bounce", {**TWEAK, "fx": JB}),
            ("make it sway", {**TWEAK, "fx": "sway"}),
            ("add a pulse too", {**TWEAK, "fx": "sway+pulse"}),
            ("remove the effect", {"changed": True, "fx": "none"}),
        ],
    ),
    (
        "composed-alive-zoom",
        "one",
        [
            (
                "make it alive and zoom in slowly",
                {
                    **CREATED,
                    "fx": "alive+kenburns",
                    "speed": 0.8,
                    "says": ["make-it-alive and Ken Burns"],
                },
            ),
            ("less zoom", {**TWEAK, "fx": "alive+kenburns", "strength": "same"}),
        ],
    ),
    (
        "composed-sway-pulse",
        "one",
        [("make this photo sway and pulse", {**CREATED, "fx": "sway+pulse"})],
    ),
    (
        "composed-slideshow",
        "three",
        [
            (
                "turn these images into a video that jiggles and bounces",
                {**CREATED, "fx": [JB] * 3, "tr": ["crossfade"] * 2},
            ),
            ("make the second one sway", {**TWEAK, "fx": [JB, "sway", JB]}),
        ],
    ),
    ("composed-zh", "one", [("让这张照片抖动和弹跳", {**CREATED, "fx": JB})]),
    (
        "title-on-a-loop",
        "one",
        [
            (JIGGLE, CREATED),
            (
                'add a title "Hi"',
                {"changed": True, "title": "Hi", "title_d": 6000, "title_anim": "none"},
            ),
            ("make it 9 seconds", {**TWEAK, "title_d": 9000}),
        ],
    ),
    (
        "title-on-a-slideshow",
        "three",
        [
            (SLIDES, CREATED),
            ('add a title "Trip"', {"changed": True, "title_d": 3000, "title_anim": "fade"}),
        ],
    ),
    (
        "small-photo",
        "small",
        [
            (JIGGLE, {**CREATED, "says": ["only 512x600", "3.2x", "sharper"]}),
            ("show the whole photo", {"changed": True, "says": ["whole"], "fit": "contain"}),
            ("fill the frame", {"changed": True, "fit": "cover"}),
        ],
    ),
]

ALL_CASES = SEED_CASES + FOLLOW_UPS + PHRASINGS + CHINESE + MOTION
