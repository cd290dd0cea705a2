"""What the engine's agent understands, as data: one vocabulary per language.

``LEXICON[lang][category]`` maps phrase patterns to a value. A pattern string holds alternatives
separated by ", "; inside one, ``(a|b)`` is a choice, ``[a|b]`` an optional choice and ``#`` any
number ("15", "fifteen", "十五"). Words are matched whole and lower-cased; Chinese is matched
character by character, so ``抖动`` is just written as it is. The same phrase may appear under
several categories: it then has several meanings and the clause it is in decides
(:mod:`nemo_nb.engine._agent_parse`), e.g. "zoom" is a Ken Burns move, or a transition type next to
"transition". Adding a synonym is one entry here plus a row in the agent's test table; adding a
language is one more vocabulary (and its sentences in :mod:`nemo_nb.engine._agent_words`).

Categories and their values:

=============  =================================================================================
undo help      whole-turn requests; ``thanks`` likewise (nothing to do, but understood)
export hd      "export", "1080p" (what the export always is)
create         asks for a video from photos: "strong" alone, "verb" with a photo or video noun,
               "make" with a video noun; ``src``/``out`` are those nouns ("one"/"many"/None)
count          "one" / "many": which photos ("this photo", "these", "them")
ordinal        which photo (0-based; -1 the last); ``clip`` the nouns that make it a photo
effect         (type, Ken Burns direction or None); ``effect_noun`` "effect", "motion"
strength       ("step", ±1) | ("scale", f) | ("abs", v) | ("set", v, or "#" for the number)
comparative    (effect, ±1): "bouncier" is more of that effect (added if it is not there)
moreless       ±1 a bare "more"/"less": the strength, next to an effect or ending the clause
size           ±1 "bigger"/"smaller": a title's size, the music's volume, else the strength
soft           -1 "softer": the music's volume, else the strength
mag            how much a step moves: 0.5 "a bit", 2.0 "much"
speed          ("step", ±1) | ("scale", f or "#" or "1/#") | ("set", "#")
duration       ("ms", per unit; the number before it) | ("fixed", ms) | ("step", ±1)
               | ("scale", f) | ("delta", ±1, with a number of seconds)
each           "each photo", "per slide": a duration is per photo
loops          n or "#": loop count; ``loop`` "loop", "seamless" (already how it is)
percent        a number with %: its meaning comes from the clause (volume, strength)
aspect         "9:16" | "16:9" | "1:1"; ``platform`` (name, aspect): an aspect, unless posting
post           posting somewhere (not available: the platform is not an aspect then)
fit            "contain" | "cover"
transition     a transition noun; ``tr_type`` a type that can only be a transition;
               ``tr_word`` a type that is a transition only next to one ("zoom", "slide")
smooth         "smooth": several photos or one, a gentle Ken Burns when no effect is named
title text     nouns; ``intro`` (kind, change): the words that follow are the text (unquoted
               titles); ``as_text`` kind: the words before it are the text ("X as a caption")
change         "change", "rename": replace a text rather than add one
color pos      a text's colour (hex) and position
music          a music noun (value: a mood it implies, or None); ``mood`` (mood, what was asked
               when only the nearest mood exists, strong: names music on its own)
volume         ("step", ±1) | ("set", "#" percent) | "mute" | "unmute" | "kw" (the word)
fade           "in" | "out" (of the music); ``upload_music`` the user's own song
remove         a removal verb; ``neg`` "instead of", "not": the effect after it is not wanted
add            "add", "also": another effect on top; ``new`` "new", "another" (photos)
stop           where an unquoted title ends ("on it", "to the video")
sep            a clause boundary: "hard" (",", "then") or "soft" ("and", "with": not inside
               an unquoted title that goes on)
unsupported    (kind, what): named as not available, with the nearest thing that is
song           a named song or artist (not available: no copyrighted music here)
filler         understood, nothing to do ("like a looping video": the nouns of the seeds)
=============  =================================================================================
"""

from __future__ import annotations

from typing import Any

Vocabulary = dict[str, dict[str, Any]]


def words(text: str) -> frozenset[str]:
    """The space-separated words of ``text`` (a list of words kept readable as prose)."""
    return frozenset(text.split())


#: Words that carry no request of their own: a clause made only of these (and of words the
#: vocabulary does not know) is not reported as "not understood" unless an unknown word remains.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": words(
        "a an the it its it's this that these those them they their me my mine i i'd i'm i'll "
        "we us our you your please pls plz can could would will should shall do does did don't "
        "make makes made making let lets let's get gets give just so now also too really some "
        "any of on in at to for with by from into onto as be is are was were am been being look "
        "looks looking like want wanna need needs kinda bit little very well ok okay "
        "yes yeah then and or but if up out one ones thing things stuff here there what "
        "how put use using show have has had go going gonna maybe bit even again all each "
        "every only still sure thanks thank more less lot way much quite rather pretty nice "
        "nicely good great cool awesome something whole same own other another new now "
        "right please"
    ),
    "zh": frozenset(
        "的了吧呢啊呀把让使这那张个些一点它他她给我你请再更帮做得地在也都就要想能可以下是有和与及还吗嘛"
    ),
}

EN: Vocabulary = {
    "undo": {
        "undo, undo (that|it|this|the last change), go back, revert, revert (it|that), "
        "take (that|it) back, previous version, back to the previous version": None,
    },
    "help": {
        "help, what can you do, what (else|things) can you do, what do you do, "
        "what can i (say|ask|do), how does (this|it) work, what do you understand, "
        "what are my options, commands": None,
    },
    "thanks": {
        "thanks, thank you, thx, great, cool, nice, awesome, perfect, ok, okay, love it, "
        "looks good, looks great, well done": None,
    },
    "export": {
        "export, exports, exported, exporting, download, downloads, send me the video, "
        "render it, save it, save the video": None,
    },
    "hd": {"1080 p, 1080, full hd, hd, high quality, high resolution, full resolution": None},
    "create": {
        "animate, animates, animated, animating, animation, slideshow, slideshows, "
        "slide show, slide shows, motion effect, motion effects, add motion, add some motion, "
        "add movement, make (it|them|this|these) move": "strong",
        "convert, converts, converting, turn, turns, turning, transform, transforming, "
        "generate, generating, create, creating, build, produce, use": "verb",
        "make, making, put": "make",
    },
    "out": {
        "video, videos, clip, clips, mp4, movie, movies, reel, loop video, "
        "motion video, motion videos, video clip, video clips": None,
    },
    "src": {
        "photo, image, picture, pic, still, portrait photo, product image, product photo, "
        "selfie, shot, logo, product": "one",
        "photos, images, pictures, pics, stills, portraits, selfies, shots, products, "
        "logos": "many",
    },
    "count": {
        "this, this one, that one, it, a single, single, one photo, my photo, the photo": "one",
        "these, those, them, all, all of them, each, every, all the photos, slideshow, "
        "slideshows, slide show, slide shows": "many",
    },
    "clip": {
        "photo, image, picture, pic, clip, slide, segment, one, shot, "
        "photos, images, pictures, pics, clips, slides, segments, ones, shots": None,
    },
    "ordinal": {
        "first, 1st": 0,
        "second, 2nd": 1,
        "third, 3rd": 2,
        "fourth, 4th": 3,
        "fifth, 5th": 4,
        "sixth, 6th": 5,
        "last, final, last one, the last one": -1,
        "(photo|image|picture|pic|slide|clip|segment) [#|no|number] #": "#",
    },  # fmt: skip
    "effect": {
        "jiggle, jiggles, jiggled, jiggling, jiggly, jiggle effect, wiggle, wiggles, wiggling, "
        "wiggly, wobble, wobbles, wobbling, wobbly, jelly, jello, jelly effect, squish, "
        "squishy, squishing, shake, shakes, shaking, shaky, jiggle motion": ("jiggle", None),
        "bounce, bounces, bouncing, bouncy, bounced, hop, hops, hopping, hoppy, jump, jumps, "
        "jumping, bob, bobs, bobbing, bounce effect": ("bounce", None),
        "sway, sways, swaying, swayed, rock, rocks, rocking, rock back and forth, swing, "
        "swings, swinging, sway back and forth, sway gently": ("sway", None),
        "pulse, pulses, pulsing, pulsate, pulsates, pulsating, throb, throbs, throbbing, "
        "heartbeat, heart beat, beat like a heart": ("pulse", None),
        "alive, come alive, comes alive, come to life, comes to life, bring it to life, "
        "bring (this|the photo|them|these|these photos) to life, to life, breathe, breathes, breathing, lifelike, "
        "living photo, live photo, look alive, looks alive, feel alive, feels alive, "
        "(look|looks) like (it's|it is|its|they're|they are) moving, "
        "(look|looks) like (it's|it is) alive, make it alive": ("alive", None),
        "move a little, move a bit, move slightly, move just a little, move just a bit, "
        "moving a little, moves a little, move a tiny bit, make (it|them|this|these) move (a little|a bit|"
        "slightly|just a little|just a bit|a tiny bit)": ("alive", None),
        "ken burns, ken burns effect, zoom, zooms, zooming, zoomed, zoom effect": (
            "kenburns",
            None,
        ),
        "zoom in, zooms in, zooming in, push in, pushing in, zoom into": ("kenburns", "in"),
        "zoom out, zooms out, zooming out, pull back, pull out, pulling back, pulling out, "
        "zoom away": ("kenburns", "out"),
        "pan, pans, panning": ("kenburns", "right"),
        "(pan|pans|panning|tilt|tilts|tilting) [to] [the] left": ("kenburns", "left"),
        "(pan|pans|panning|tilt|tilts|tilting) [to] [the] right": ("kenburns", "right"),
        "(pan|pans|panning|tilt|tilts|tilting) up, (pan|tilt) upward": ("kenburns", "up"),
        "(pan|pans|panning|tilt|tilts|tilting) down, (pan|tilt) downward": ("kenburns", "down"),
    },
    "comparative": {
        "jigglier, wigglier, wobblier, shakier, more jiggly, more wiggly": ("jiggle", 1),
        "bouncier, more bouncy, hoppier": ("bounce", 1),
        "swayier, more swaying": ("sway", 1),
        "less jiggly, less wiggly, less shaky": ("jiggle", -1),
        "less bouncy": ("bounce", -1),
    },
    "effect_noun": {
        "effect, effects, motion, movement, animation, animations, moving, the motion": None,
    },
    "strength": {
        "stronger, more intense, intenser, more dramatic, more extreme, more exaggerated, "
        "wilder, crazier, more pronounced, more noticeable, more obvious, more visible, "
        "intensify, amplify, exaggerate, boost it, increase the (strength|intensity|effect|"
        "motion|amount), more motion, more movement, too subtle, too weak, "
        "not strong enough, turn it up, make it pop": ("step", 1),
        "subtler, more subtle, less intense, less dramatic, gentler, more gentle, weaker, "
        "calmer, tone it down, tone down, toned down, tone this down, dial it back, dial back, "
        "reduce the (strength|intensity|effect|motion|amount), less, less motion, "
        "less movement, not so much, not so strong, not so intense, too much, too strong, "
        "too intense, too shaky, too big, too wild, smoother, too extreme, "
        "over the top, turn it down": ("step", -1),
        "crank it up, crank up, crank it, go wild, go crazy, way stronger, much stronger, "
        "a lot stronger": ("step", 2),
        "half as strong, half as intense, half the strength, half the intensity, "
        "half as much, half the motion, halve the strength, halve the motion": ("scale", 0.5),
        "twice as strong, twice as intense, double the strength, double the intensity, "
        "double the motion, twice the motion": ("scale", 2.0),
        "a third as strong": ("scale", 1 / 3),
        "barely noticeable, barely visible, barely moving, barely move, barely, hardly noticeable, "
        "hardly visible, almost still, just a hint, a hint of motion, very very subtle": (
            "set",
            0.1,
        ),
        "max, maximum, full strength, max strength, maximum strength, as strong as possible, "
        "all the way up": ("set", 1.0),
        "(strength|intensity|amount|amplitude) [to|at|of] # [%|percent], "
        "# (%|percent) (strength|intensity)": ("set", "#"),
        "subtle, subtly, gentle, gently, soft, softly, slight, slightly moving, light, mild, "
        "delicate, tiny, calm, calmly, move a little, move a bit, move slightly, "
        "make (it|them|this|these) move (a little|a bit|slightly|just a little|just a bit|"
        "a tiny bit)": ("abs", 0.25),
        "strong, strongly, intense, intensely, extreme, extremely, dramatic, dramatically, "
        "exaggerated, wild, wildly, crazy, heavy, bold": ("abs", 0.8),
    },
    "moreless": {"more": 1, "less": -1},
    "size": {
        "bigger, larger, big, large, huge, enlarge, bigger letters, larger font": 1,
        "smaller, small, tinier, smaller letters, smaller font": -1,
    },
    "soft": {"softer": -1},
    "mag": {
        "a bit, a little, a little bit, slightly, a touch, a tad, somewhat, a little more, "
        "a bit more, just a bit, a smidge": 0.5,
        "much, a lot, way, lots, far, really, very, significantly, super, hugely, "
        "a lot more, much more, way more, even more": 2.0,
    },
    "speed": {
        "faster, quicker, speed up, speed it up, speed (this|them) up, more quickly, speedier, "
        "snappier, quick, quickly, fast, too slow, hurry up, pick up the pace, "
        "pick up the speed": ("step", 1),
        "slower, slow down, slow it down, slow (this|them) down, more slowly, less fast, "
        "slow motion, slow mo, slowmo, slow, slowly, too fast, too quick, "
        "take it slow": ("step", -1),
        "double speed, double the speed, twice as fast, 2 times as fast": ("scale", 2.0),
        "half speed, half the speed, half as fast, twice as slow, halve the speed": (
            "scale",
            0.5,
        ),
        "# (x|times) (faster|quicker|as fast)": ("scale", "#"),
        "# (x|times) slower": ("scale", "1/#"),
        "speed [to|at|of] # x, # x speed, at # x, # x, speed #": ("set", "#"),
    },
    "duration": {
        "# (second|seconds|sec|secs|s) [long], # (second|seconds|sec|secs|s) video": (
            "ms",
            1000,
        ),
        "# (minute|minutes|min|mins|m) [long]": ("ms", 60000),
        "# (hour|hours|hr|hrs|h) [long]": ("ms", 3600000),
        "# (ms|millisecond|milliseconds)": ("ms", 1),
        "(photo|image|picture|pic|slide|clip|one) # (second|seconds|sec|secs|s)": ("ms", 1000),
        "a minute, a minute long": ("fixed", 60000),
        "half a minute": ("fixed", 30000),
        "an hour": ("fixed", 3600000),
        "shorter, shorten, shorten it, trim it, cut it down, less long, too long": ("step", -1),
        "longer, lengthen, lengthen it, extend, extend it, stretch it, too short": ("step", 1),
        "half as long, half the (length|duration), cut it in half, cut in half, halve it, "
        "halve the (length|duration), half the time": ("scale", 0.5),
        "twice as long, double the (length|duration), double it, 2 times (as long|longer)": (
            "scale",
            2.0,
        ),
        "# (second|seconds|sec|secs|s) longer, add [another] # [more] (second|seconds|sec|secs|s)": (
            "delta",
            1,
        ),
        "# (second|seconds|sec|secs|s) shorter, (remove|cut|trim|take off) # "
        "(second|seconds|sec|secs|s)": ("delta", -1),
    },
    "each": {"each, per, every, apiece, for each, per photo, per image, per slide": None},
    "loops": {
        "(loop|loops|looped|repeat|repeats|repeated|play|plays) [it|this|that|them|the video|"
        "the animation|the motion|the clip] # (times|x), # (loops|loop|times|repetitions), "
        "loop # times": "#",
        "(loop|repeat|play) [it|this|that|them] twice, twice": 2,
        "(loop|repeat|play) [it|this|that|them] (thrice|three times), thrice": 3,
        "(loop|repeat|play) [it|this|that|them] once, once": 1,
    },
    "loop": {
        "loop, loops, looped, looping, loopable, seamless, seamlessly, seamless loop, on repeat, "
        "forever": None,
    },
    "percent": {"# (%|percent|per cent)": "#"},
    "aspect": {
        "9 : 16, 9 x 16, 9 / 16, 9 by 16, vertical, vertically, portrait mode, portrait format, "
        "portrait orientation, portrait video, portrait, upright, phone screen, "
        "full screen on a phone": "9:16",
        "16 : 9, 16 x 9, 16 / 9, 16 by 9, widescreen, wide screen, wide, horizontal, "
        "horizontally, landscape mode, landscape format, landscape orientation, "
        "landscape video, landscape, cinema format": "16:9",
        "1 : 1, 1 x 1, 1 / 1, 1 by 1, square, squared, square format, square video": "1:1",
    },
    "platform": {
        "tiktok, tik tok, tiktoks": ("TikTok", "9:16"),
        "reels, reel, instagram reels, instagram reel, ig reels": ("Instagram Reels", "9:16"),
        "stories, story, instagram story, instagram stories": ("Stories", "9:16"),
        "shorts, youtube shorts, youtube short": ("YouTube Shorts", "9:16"),
        "snapchat, douyin": ("Snapchat", "9:16"),
        "youtube, you tube": ("YouTube", "16:9"),
        "instagram feed, instagram post, instagram posts, ig post": ("Instagram", "1:1"),
        "instagram, insta, ig, facebook, twitter, x, whatsapp, wechat": ("social media", None),
    },
    "post": {
        "post, posts, posting, post it, share, shares, sharing, share it, publish, publishing, "
        "publish it, upload it to, upload (this|the video) to, send it to, send (this|the video) "
        "to, put it on, schedule": None,
    },
    "filler": {
        "hello, hi, hey, hey there, hi there, good morning": None,
        "portrait or landscape, portrait or landscape photo, landscape photo, landscape image, "
        "portrait image, portrait picture, portrait selfie, social media, creators, creator, "
        "static, or text, for social media": None,
    },
    "smooth": {"smooth, smoothly": None},
    "fit": {
        "show the whole (photo|image|picture), show the (whole|entire|full) (photo|image|picture), "
        "keep the whole (photo|image|picture), fit the whole (photo|image|picture), "
        "see the whole (photo|image|picture), (don't|do not|no) crop, no cropping, "
        "without cropping, contain, letterbox, letterboxed, don't cut off": "contain",
        "fill the (frame|screen), crop to fill, crop it to fill, cover, fill it": "cover",
    },
    "transition": {
        "transition, transitions, between the (photos|images|pictures|slides|clips), "
        "between (photos|images|pictures|slides|clips)": None
    },
    "tr_type": {
        "crossfade, cross fade, crossfades, cross fades, dissolve, dissolves, crossfading": (
            "crossfade"
        ),
        "wipe, wipes, wiping": "wipe",
        "hard cut, hard cuts, jump cut, jump cuts, straight cuts, no transitions, no transition, "
        "without transitions, without any transitions": "none",
    },
    "tr_word": {
        "fade, fades, fading": "crossfade",
        "slide, slides, sliding, push": "slide",
        "zoom, zooms, zooming": "zoom",
    },
    "title": {"title, titles, heading, headings, headline, headlines": None},
    "text": {
        "text, texts, caption, captions, subtitle, subtitles, overlay, text overlay, "
        "words, label, labels, font, lettering, letters": None,
    },
    "intro": {
        "(add|put|insert|include|place|show|use|with|put on|slap on) [a|an|the] [big|small|"
        "large|bold|nice|short] (title|heading|headline) [saying|that says|which says|reading|"
        "that reads|with the words|with the text|of|called|named|:], "
        "(title|heading|headline) (saying|that says|which says|reading|that reads|:|called|"
        "named|with the words|with the text), title it": ("title", False),
        "(add|put|insert|include|place|show|use|with) [a|an|the|some] [big|small|large|bold|"
        "short] (text|caption|subtitle|label|words|overlay|text overlay) [saying|that says|"
        "which says|reading|that reads|:|of], (text|caption|subtitle|label|words|overlay) "
        "(saying|that says|which says|reading|that reads|:), caption it, "
        "with the words, with the text": ("text", False),
        "(change|rename|set|update|edit|fix|replace) the (title|heading) to, "
        "(change|rename|set|update|edit|fix) title to, the title should (say|read|be), "
        "make the title (say|read), retitle it, rename it to": ("title", True),
        "(change|set|update|edit|fix|replace) the (text|caption|subtitle|words) to, "
        "the (text|caption) should (say|read|be), make the (text|caption) (say|read)": (
            "text",
            True,
        ),
        "(write|type|say|print|spell out|put) [the words|the text|the word]": (None, False),
    },
    "as_text": {
        "as [a|an|the] (text overlay|text|caption|overlay|label)": "text",
        "as [a|an|the] (title|heading)": "title",
    },
    "change": {
        "change, changes, rename, replace, edit, update, set, fix, should say, to say, instead, "
        "switch, swap": None,
    },
    "color": {
        "white": "#ffffff",
        "black": "#000000",
        "red": "#ff3b30",
        "green": "#34c759",
        "blue": "#0a84ff",
        "yellow": "#ffd60a",
        "orange": "#ff9f0a",
        "pink": "#ff6ec7",
        "purple, violet": "#af52de",
        "gold, golden": "#ffc300",
        "cyan": "#00e5ff",
        "teal": "#30b0c7",
        "magenta": "#ff00ff",
        "grey, gray": "#8e8e93",
        "silver": "#c0c0c0",
        "brown": "#a2845e",
        "navy": "#001f5b",
    },  # fmt: skip
    "pos": {
        "(at|to|on|in|near|along|across) [the] (top|upper part|top of the (screen|video|photo|"
        "frame)), top, on top, top of the (screen|video|photo|frame), upper": "top",
        "(at|to|on|in|near|along|across) [the] (bottom|lower part|bottom of the (screen|video|"
        "photo|frame)), bottom, bottom of the (screen|video|photo|frame), lower, "
        "lower third": "bottom",
        "(at|to|in) [the] (center|centre|middle), center, centre, middle, centered, "
        "centred, in the middle of the (screen|video|photo|frame)": "center",
    },
    "stop": {
        "on it, on this, on the (photo|image|picture|video|clip), to it, to this, "
        "to the (photo|image|picture|video|clip), please, for me, over it, over the photo, "
        "in the video, in the photo": None,
    },
    "music": {
        "music, bgm, song, songs, soundtrack, soundtracks, tune, tunes, background music, "
        "background audio, background track, background song, audio, track, backing track, "
        "sound track, some sound": None,
        "beat, beats, a beat, some beats, a groove": "upbeat",
        "music [to|at|of] # (%|percent), (some|background) music at # (%|percent)": None,
    },
    "mood": {
        "lofi, lo fi, chill, chillhop, chilled, chill hop, lo fi hip hop, lofi hip hop": (
            "lofi",
            None,
            True,
        ),
        "jazz, jazzy, smooth jazz, some jazz": ("lofi", "jazz", True),
        "hip hop, hiphop, rap": ("lofi", "hip hop", True),
        "upbeat, happy, energetic, fun, cheerful, party, dance, pop, summery, bright, catchy": (
            "upbeat",
            None,
            False,
        ),
        "dance music, party music, pop music, pop song, disco music": ("upbeat", None, True),
        "rock music, rock song, rock songs, metal music": ("upbeat", "rock", True),
        "rock, metal": ("upbeat", "rock", False),
        "edm, techno, electronic, house music, dubstep, disco": ("upbeat", "electronic", True),
        "calm, calming, relaxing, relaxed, relax, peaceful, ambient, soothing, piano, gentle, "
        "soft, quiet, mellow": ("calm", None, False),
        "piano music, piano song, ambient music, classical music": ("calm", None, True),
        "acoustic, guitar, classical, sad, romantic, emotional, lullaby": (
            "calm",
            "that style",
            False,
        ),
        "cinematic, epic, dramatic, orchestral, movie, trailer, film, suspenseful": (
            "cinematic",
            None,
            False,
        ),
    },
    "volume": {
        "volume, the volume, sound level": "kw",
        "louder, turn it up, turn up the (music|volume|sound), turn the (music|volume|sound) "
        "up, raise the (music|volume), increase the volume, boost the (music|volume), "
        "music up, volume up, too quiet, more volume": ("step", 1),
        "quieter, lower the (music|volume|sound), turn down the (music|volume|sound), "
        "turn the (music|volume|sound) down, reduce the volume, decrease the volume, "
        "music down, volume down, too loud, less loud, less volume, turn it down": ("step", -1),
        "(volume|music volume|music) [to|at|of] # (%|percent), # (%|percent) volume, "
        "(some|background) music at # (%|percent), "
        "volume [to|at|of] #": ("set", "#"),
        "mute, mute the (music|audio|sound), silence the music, no sound, silent, silence": "mute",
        "unmute, unmute the (music|audio|sound)": "unmute",
    },
    "fade": {
        "fade in, fades in, fade it in, fade the music in, fade in the music": "in",
        "fade out, fades out, fade it out, fade the music out, fade out the music, "
        "fade out at the end": "out",
    },
    "upload_music": {
        "my song, my music, my track, my audio, my mp3, the song i uploaded, the music i "
        "uploaded, the track i uploaded, the audio i uploaded, the song i sent, the uploaded "
        "(song|music|track|audio), my own (song|music), my uploaded (song|music|track)": None,
    },
    "remove": {
        "remove, delete, drop, get rid of, take out, take off, take away, clear, erase, cut, "
        "ditch, lose, turn off, switch off, disable, no, without, stop, kill, don't want, "
        "do not want, don't need, do not need, don't like, no more, removed, deleted": None,
        "make it static, make it still, keep it still, keep it static, "
        "leave it still, make them static, freeze it": "effect",
    },
    "neg": {
        "instead of, rather than, not, than, from, other than": None,
    },
    "add": {"add, also, plus, as well, too, in addition, adding, and also": None},
    "new": {"new, another, other, more, one more, extra, this": None},
    "sep": {
        "then, and then, after that, afterwards, finally, but": "hard",
        "and, with, while": "soft",
    },
    "unsupported": {
        "black and white, black & white, b & w, b&w, bw, grayscale, greyscale, monochrome, "
        "sepia, vintage, retro, vintage filter, filter, filters, vhs, film grain, grain, glitch, "
        "color grade, colour grade, color grading, colour grading, brighter, darker, "
        "brighten, darken, saturate, saturation, contrast, sharpen, cartoon, cartoonize, "
        "anime, anime style, watercolor, sketch, oil painting, pixel art, beautify, "
        "skin smoothing, blur": ("filter", None),
        "falling snow, snow, snowing, snowflakes, snowfall, rain, raining, rainfall, "
        "fog, mist, sparkles, sparkle, sparkling, glitter, confetti, fireworks, fire, flames, "
        "bubbles, hearts, floating hearts, stars, lens flare, light leaks, smoke, "
        "particles, lightning, butterflies, petals, falling leaves": ("weather", None),
        "wink, winks, winking, blink, blinks, blinking, smile, smiles, smiling, laugh, "
        "laughing, talk, talks, talking, speak, speaking, lip sync, lipsync, lip-sync, "
        "sing, singing, open her eyes, open his eyes, close her eyes, close his eyes, "
        "move her lips, move his lips, move (her|his|their) mouth, nod, nodding, wave, waving, "
        "turn her head, turn his head, look at the camera, dance, dancing, walk, walking, "
        "run, running, eyes, lips, mouth, facial expression, expression": ("face", None),
        "(replace|change|swap|remove|delete|erase|blur|switch) [the|my] background, "
        "background to, background with, new background, green screen, background removal, "
        "beach background, different background, remove bg": ("background", None),
        "# k, 2 k, 4 k, 8 k, 2160 p, 1440 p, 4320 p, 4 k resolution, 8 k resolution, uhd, "
        "ultra hd, 2160, 1440, 4320": ("resolution", None),
        "# fps, # frames per second, 60 fps, high frame rate": ("fps", None),
        "gif, gifs, as a gif, webm, mov, avi, animated gif": ("format", None),
        "voiceover, voice over, voice-over, narration, narrate, narrator, text to speech, "
        "tts, sound effects, sound effect, sfx": ("voice", None),
        "sticker, stickers, emoji, emojis, watermark, logo overlay, frame border, border": (
            "sticker",
            None,
        ),
        "reverse, reversed, play backwards, backwards, boomerang": ("reverse", None),
        "3d, 3 d, parallax, depth effect": ("3d", None),
    },
    "song": {
        "taylor swift, ed sheeran, beyonce, drake, bts, the weeknd, dua lipa, billie eilish, "
        "justin bieber, ariana grande, adele, coldplay, queen, michael jackson, bad bunny, "
        "harry styles, olivia rodrigo, the beatles, rihanna, bruno mars, pharrell, "
        "despacito, shape of you, blinding lights, bohemian rhapsody, uptown funk, baby shark, "
        "gangnam style, let it go, bad guy, happy by pharrell, never gonna give you up, "
        "a song by, song called, song named, the song called, track called": None,
    },
}

ZH: Vocabulary = {
    "undo": {"撤销, 撤回, 返回上一步, 上一步, 回到上一个版本, 恢复上一个版本": None},
    "help": {"帮助, 你能做什么, 你可以做什么, 能做什么, 怎么用, 有什么功能, 你会什么": None},
    "thanks": {"谢谢, 多谢, 好的, 不错, 太棒了, 很好, 可以了, 完美": None},
    "export": {"导出, 下载, 保存视频": None},
    "hd": {"高清, 1080 p, 全高清": None},
    "create": {
        "生成, 制作, 做成, 转成, 转换, 变成, 做一个, 做个, 动画, 幻灯片": "strong",
        "让": "verb",
    },
    "out": {"视频, 短片, 短视频, 影片": None},
    "src": {"照片, 图片, 画面, 图像, 相片, 这张, 一张": "one", "这些, 多张, 几张, 所有": "many"},
    "count": {"这张, 一张, 它": "one", "这些, 所有, 多张, 几张, 每张, 全部": "many"},
    "clip": {"张, 个, 段, 幅, 照片, 图片": None},
    "ordinal": {
        "第 # (张|个|段|幅), 第 # 张照片, 第 # 张图片": "#",
        "最后一 (张|个|段|幅), 最后一张照片": -1,
    },
    "effect": {
        "抖动, 抖一抖, 抖起来, 果冻, 果冻效果, 晃动, 颤动, 抖, 颤抖, 摇一摇": ("jiggle", None),
        "弹跳, 跳动, 弹一弹, 蹦, 蹦蹦跳跳, 跳跃, 弹起来, 跳一跳, 弹": ("bounce", None),
        "摇摆, 摇晃, 摆动, 晃来晃去, 左右摇摆, 摇": ("sway", None),
        "脉动, 脉冲, 心跳, 律动": ("pulse", None),
        "动起来, 活起来, 生动, 呼吸, 栩栩如生, 有生命力, 更生动, 像活的一样": ("alive", None),
        "稍微动一下, 微微动, 轻轻动, 动一动, 动一下": ("alive", None),
        "缩放, 推拉, 镜头推拉, 肯伯恩斯": ("kenburns", None),
        "推近, 放大, 拉近": ("kenburns", "in"),
        "拉远, 缩小": ("kenburns", "out"),
        "平移, 向右平移": ("kenburns", "right"),
        "向左平移, 左移": ("kenburns", "left"),
    },
    "effect_noun": {"效果, 特效, 动效, 动画效果, 运动": None},
    "strength": {
        "更强, 加强, 增强, 更明显, 夸张一点, 幅度大, 幅度大一点, 强一点, 更夸张, 太弱, 不够明显": (
            "step",
            1,
        ),
        "减弱, 弱一点, 轻一点, 幅度小, 幅度小一点, 更轻, 更柔和, 太强, 太夸张, 太明显, 温和一点": (
            "step",
            -1,
        ),
        "强度减半, 一半强度, 减半, 弱一半": ("scale", 0.5),
        "强度加倍, 两倍强度, 强度翻倍": ("scale", 2.0),
        "几乎看不出, 几乎看不出来, 若有若无, 隐约": ("set", 0.1),
        "最强, 最大强度, 最大": ("set", 1.0),
        "强度 [为|到|调到|设为|改成] # [%]": ("set", "#"),
        "轻微, 柔和, 轻柔, 微微, 轻轻, 温和, 稍微动一下, 微微动, 轻轻动": ("abs", 0.25),
        "强烈, 剧烈, 夸张, 猛烈": ("abs", 0.8),
    },
    "size": {"大一点, 大些, 变大, 更大, 加大, 放大": 1, "小一点, 小些, 变小, 更小, 缩小": -1},
    "mag": {"一点, 一些, 稍微, 有点, 稍, 一点点": 0.5, "大幅, 很多, 非常, 超级, 特别, 多一点": 2.0},
    "speed": {
        "更快, 快一点, 快点, 加快, 加速, 快些, 快速, 太慢": ("step", 1),
        "更慢, 慢一点, 慢点, 放慢, 减速, 慢些, 慢速, 慢动作, 慢慢, 太快, 缓慢": ("step", -1),
        "两倍速, 二倍速, 速度加倍, 快一倍": ("scale", 2.0),
        "半速, 速度减半, 慢一倍": ("scale", 0.5),
        "# 倍速, 速度 [为|到|调到] # [倍]": ("set", "#"),
        "快 # 倍": ("scale", "#"),
    },
    "duration": {
        "# 秒, # 秒钟, # 秒长": ("ms", 1000),
        "# 分钟, # 分": ("ms", 60000),
        "# 小时": ("ms", 3600000),
        "# 毫秒": ("ms", 1),
        "半分钟": ("fixed", 30000),
        "短一点, 缩短, 更短, 短些, 太长": ("step", -1),
        "长一点, 延长, 更长, 长些, 太短": ("step", 1),
        "时长减半, 缩短一半, 剪掉一半, 一半长, 减半时长, 时长砍半": ("scale", 0.5),
        "长度翻倍, 时长加倍, 时长翻倍, 两倍长": ("scale", 2.0),
        "延长 # 秒, 加 # 秒, 多 # 秒, 增加 # 秒": ("delta", 1),
        "缩短 # 秒, 减 # 秒, 少 # 秒, 剪掉 # 秒, 减少 # 秒": ("delta", -1),
    },
    "each": {"每张, 每个, 每段, 每幅, 每一张": None},
    "loops": {"循环 # (次|遍), # (次|遍) 循环, 重复 # (次|遍), 播放 # (次|遍), # 次, # 遍": "#"},
    "loop": {"循环, 无缝循环, 无缝, 循环播放": None},
    "percent": {"# %, 百分之 #": "#"},
    "aspect": {
        "竖屏, 竖版, 竖向, 竖的, 竖屏视频, 9 : 16": "9:16",
        "横屏, 横版, 横向, 宽屏, 横的, 16 : 9": "16:9",
        "方形, 正方形, 方屏, 方的, 1 : 1": "1:1",
    },
    "platform": {
        "抖音": ("抖音", "9:16"),
        "快手": ("快手", "9:16"),
        "小红书": ("小红书", "9:16"),
        "视频号": ("视频号", "9:16"),
        "b站, 哔哩哔哩": ("B站", "16:9"),
        "朋友圈, 微信, 微博": ("朋友圈", None),
    },
    "post": {"发布, 发到, 分享到, 上传到, 发布到, 发给, 分享": None},
    "filler": {"社交媒体, 静态": None},
    "smooth": {"平滑, 流畅, 顺滑": None},
    "fit": {
        "完整显示, 显示完整, 不要裁剪, 不裁剪, 完整的照片": "contain",
        "填满, 铺满, 填满画面": "cover",
    },
    "transition": {"转场, 过渡, 切换, 转场效果, 过渡效果": None},
    "tr_type": {
        "淡入淡出, 溶解, 交叉淡化": "crossfade",
        "擦除": "wipe",
        "硬切, 无转场, 没有转场": "none",
    },
    "tr_word": {"渐变, 淡化": "crossfade", "滑动, 推移": "slide", "缩放": "zoom"},
    "title": {"标题, 题目": None},
    "text": {"文字, 字幕, 文本, 字体, 字": None},
    "intro": {
        "(加|加上|添加|加个|加一个|加入|放|放上|配上) (标题|题目) [为|是|写|写着|：|:], "
        "(标题|题目) (写|写上|是|为|写着|：|:)": ("title", False),
        "(加|加上|添加|加个|加一个|加入|放|放上|配上) (字幕|文字|文本) [为|是|写|写着|：|:], "
        "(字幕|文字|文本) (写|写上|是|为|写着|：|:)": ("text", False),
        "(标题|题目) (改成|改为|换成|改一下|修改为), 把标题改成, 标题改为": ("title", True),
        "(字幕|文字|文本) (改成|改为|换成|修改为), 把字幕改成, 把文字改成": ("text", True),
        "写上, 写着, 写": (None, False),
    },
    "as_text": {"作为标题": "title", "作为字幕, 作为文字": "text"},
    "change": {"修改, 改成, 改为, 换成, 改一下, 更换, 替换, 切换": None},
    "color": {
        "白色": "#ffffff",
        "黑色": "#000000",
        "红色": "#ff3b30",
        "绿色": "#34c759",
        "蓝色": "#0a84ff",
        "黄色": "#ffd60a",
        "橙色": "#ff9f0a",
        "粉色": "#ff6ec7",
        "紫色": "#af52de",
        "金色": "#ffc300",
        "灰色": "#8e8e93",
    },  # fmt: skip
    "pos": {
        "顶部, 上方, 上面, 顶端, 最上面, 在顶部, 放在顶部, 在上方, 放在上面, 在上面": "top",
        "底部, 下方, 下面, 底端, 最下面, 在底部, 放在底部, 在下方, 放在下面, 在下面": "bottom",
        "中间, 居中, 中央, 正中, 在中间, 放在中间, 正中间": "center",
    },
    "stop": {"在照片上, 在视频上, 在图片上": None},
    "music": {"背景音乐, 音乐, 配乐, 歌曲, 歌, bgm, 曲子, 背景乐": None, "节奏, 鼓点": "upbeat"},
    "mood": {
        "欢快, 动感, 活泼, 开心, 快乐的, 热闹": ("upbeat", None, False),
        "摇滚": ("upbeat", "摇滚", True),
        "电子, 电音": ("upbeat", "电子乐", True),
        "舒缓, 安静, 平静, 轻柔的, 钢琴": ("calm", None, False),
        "古典, 伤感, 浪漫": ("calm", "这种风格", False),
        "轻松, 慵懒, lofi": ("lofi", None, False),
        "爵士": ("lofi", "爵士", True),
        "电影感, 史诗, 大气, 震撼": ("cinematic", None, False),
    },
    "volume": {
        "音量": "kw",
        "大声, 大声点, 调高音量, 提高音量, 音量调高, 音量调大, 音量大一点, 声音大一点, 音乐调高, "
        "音乐调大, 音乐大声, 太小声": ("step", 1),
        "小声, 小声点, 小声一点, 调低音量, 降低音量, 音量调低, 音量调小, 音量小一点, 音乐调低, 音乐调小, "
        "声音小一点, 太吵, 太大声, 轻声": ("step", -1),
        "音量 [为|到|调到|设为|改成] # [%], (背景音乐|音乐|配乐) [音量] [为|到|调到] # %": (
            "set",
            "#",
        ),
        "静音, 关掉声音": "mute",
        "取消静音": "unmute",
    },
    "fade": {"淡入": "in", "淡出": "out"},
    "upload_music": {"我上传的 (音乐|歌|歌曲|音频), 我的 (音乐|歌|歌曲), 上传的音乐": None},
    "remove": {
        "删除, 删掉, 去掉, 去除, 移除, 不要, 取消, 关掉, 关闭, 拿掉, 删": None,
        "静止, 不要动": "effect",
    },
    "neg": {"而不是, 不是": None},
    "add": {"再加, 加上, 也要, 同时, 另外, 再加上, 添加, 加": None},
    "new": {"新的, 新, 另一张, 再一张": None},
    "sep": {"然后, 接着, 之后, 最后": "hard", "并且, 而且, 和, 还, 再": "soft"},
    "unsupported": {
        "黑白, 滤镜, 复古, 怀旧, 卡通, 动漫风, 美颜, 调色, 亮一点, 暗一点, 磨皮": ("filter", None),
        "下雪, 雪花, 飘雪, 雪, 下雨, 雨, 烟花, 闪光, 星星, 彩带, 花瓣, 烟雾, 粒子": (
            "weather",
            None,
        ),
        "眨眼, 微笑, 笑, 说话, 对口型, 唱歌, 跳舞, 挥手, 点头, 眼睛, 嘴巴, 表情": ("face", None),
        "换背景, 更换背景, 替换背景, 去掉背景, 背景换成, 抠图, 绿幕, 背景改成": (
            "background",
            None,
        ),
        "# k, 4 k, 8 k, 超高清, 2160 p": ("resolution", None),
        "# 帧, # fps": ("fps", None),
        "gif, 动图": ("format", None),
        "配音, 旁白, 音效, 解说": ("voice", None),
        "贴纸, 表情包, 水印, 边框": ("sticker", None),
        "倒放, 倒着放": ("reverse", None),
        "3 d, 立体": ("3d", None),
    },
    "song": {"周杰伦, 邓紫棋, 林俊杰, 陈奕迅, 薛之谦, 王菲, 五月天, 稻香, 青花瓷": None},
}

LEXICON: dict[str, Vocabulary] = {"en": EN, "zh": ZH}
