"""What the engine's agent says: effect and transition names, prompts it suggests, and every
sentence of its replies in English and Chinese (``MSG[key][lang]``, lang an index of ``LANGS``).

Sentences come in three kinds: what was done (``said``; the "did_*" ones only when the reply has
text anyway: a turn that did everything asked for may end silently and let the client summarise
the change), what could not be done and why, with the nearest thing that is available (the
"unsupported_*", "capped_*" and problem sentences), and the end that points at the GUI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nemo_nb.engine._agent_draft import Combo


EFFECT_NAMES = {
    "jiggle": ("jiggle", "抖动"), "bounce": ("bounce", "弹跳"), "sway": ("sway", "摇摆"),
    "pulse": ("pulse", "脉动"), "alive": ("make-it-alive", "生动呼吸"),
    "kenburns": ("Ken Burns zoom", "缩放推拉"), "none": ("no motion", "无动效"),
}  # fmt: skip
TRANSITION_NAMES = {"crossfade": ("crossfade", "交叉淡化"), "slide": ("slide", "滑动"),
                    "wipe": ("wipe", "擦除"), "zoom": ("zoom", "缩放")}  # fmt: skip

#: Prompts offered when a message was not understood (they all work here).
START_PROMPTS = (
    "make this photo jiggle and bounce like a looping animated video",
    "animate this photo to make it look like it's moving",
    "turn these images into a smooth 15-second video with transitions",
)
FOLLOW_UP_PROMPTS = ("make it subtler", 'add a title "Summer Sale"', "add some upbeat music")
START_PROMPTS_ZH = ("让这张照片抖动起来", "让照片动起来", "把这些图片做成15秒的视频，加转场")
FOLLOW_UP_PROMPTS_ZH = ("轻微一点", "加标题「夏日特卖」", "加背景音乐")

#: Languages of the sentences, in the order of each ``MSG`` tuple.
LANGS = ("en", "zh")
#: The two example prompts of "help" (both work from a first upload).
HELP_EXAMPLES = (
    ("make this photo jiggle and bounce", "add the title Summer Vibes and some upbeat music"),
    ("让这张照片抖动起来，加上标题 夏日时光", "把这些图片做成15秒的视频，加转场和欢快的背景音乐"),
)  # fmt: skip

MSG: dict[str, tuple[str, str]] = {
    "done": ("Done!", "完成！"),
    "created_one": ("I animated {name} with a {effect} effect ({secs} s, {aspect}).",
                    "已为 {name} 添加{effect}效果（{secs} 秒，{aspect}）。"),
    "created_many": ("I made a {secs}-second {aspect} video from {n} photos with {effect} "
                     "and {transition} transitions.",
                     "已用 {n} 张照片生成 {secs} 秒的 {aspect} 视频（{effect}，{transition}转场）。"),
    "title": ('Added the title "{txt}" at the {pos}.', "已添加标题「{txt}」。"),
    "text": ('Added the text "{txt}" at the {pos}.', "已添加文字「{txt}」。"),
    "text_literal": ('Added the text "{txt}" at the {pos} — put the exact words in quotes to '
                     "change it.", "已添加文字「{txt}」。"),
    "music": ("Added {mood} background music at {vol}%.", "已添加{mood}背景音乐（音量 {vol}%）。"),
    "music_nearest": ("There is no {asked} track here, so I used {mood}, the closest.",
                      "这里没有{asked}音乐，已用最接近的{mood}。"),
    "music_switch": ("Switched the music to {mood}.", "已将背景音乐换成{mood}。"),
    "music_upload": ("Added your song {name} as background music at {vol}%.",
                     "已将你上传的 {name} 设为背景音乐（音量 {vol}%）。"),
    "removed": ("Removed the {what}.", "已删除{what_zh}。"),
    "removed_seg": ("Removed photo {n} ({name}).", "已删除第 {n} 张照片（{name}）。"),
    "added_media": ("Added {n} photo(s) to the end of the timeline.", "已在时间线末尾添加 {n} 张照片。"),
    "no_change": ("That's already how the timeline is — nothing to change.", "时间线已经是这样了，无需修改。"),
    "ready": ("Your timeline is ready.", "时间线已准备好。"),
    "undo": ("Undone — the previous version is back. Preview it in the Timeline.",
             "已撤销，恢复到上一个版本。可在时间线中预览。"),
    "thanks": ("Glad you like it! Preview it in the Timeline, then click Export when you're ready.",
               "不客气！可在时间线中预览，准备好后点击导出。"),
    "nothing_to_undo": ("There's nothing to undo yet.", "还没有可以撤销的操作。"),
    "export": ("To get the MP4, click Export — it renders a 1080p MP4 of the current timeline.",
               "点击导出即可生成当前时间线的 1080p MP4。"),
    "export_empty": ("There's nothing to export yet — first try {prompts}, then click Export.",
                     "还没有可导出的内容。先试试：{prompts}，然后点击导出。"),
    "no_timeline": ("There's no timeline yet — first try {prompts}.",
                    "还没有时间线。先试试：{prompts}。"),
    "no_media": ("Upload a photo first, then try: {prompts}.", "请先上传一张照片，然后试试：{prompts}。"),
    "not_understood": ("Sorry, I didn't understand that. I can animate photos (jiggle, bounce, sway, "
                       "pulse, make it alive, Ken Burns zoom), make slideshows with transitions, "
                       "and add titles and music. Try: {prompts}.",
                       "抱歉，我没听懂。我可以让照片动起来（抖动、弹跳、摇摆、缩放），制作带转场的"
                       "视频，添加标题和音乐。试试：{prompts}。"),
    "help": ("I animate photos (jiggle, bounce, sway, pulse, alive, Ken Burns; stronger, "
             "subtler, faster), make slideshows with transitions, set length, loops and shape, "
             "and add titles and music; I can't post, filter, add snow, move faces or go above "
             "1080p. Try “{one}” or “{two}”.",
             "我可以让照片动起来（抖动、弹跳、摇摆、脉动、呼吸、缩放推拉，可调强弱快慢），制作带转场的幻灯片，"
             "设置时长、循环和画面比例，添加标题和音乐；不能发布、超过 1080p、加滤镜或下雪特效，也不能让人物做表情。"
             "试试“{one}”或“{two}”。"),
    "no_audio": ("I don't see an uploaded song. Upload an MP3, WAV, M4A or AAC file, or try: "
                 '"add some lofi music".', "没有找到你上传的音乐。请上传 MP3/WAV/M4A/AAC，或试试：加背景音乐。"),
    "no_music": ('There is no music yet — try "add some lofi music".', "还没有背景音乐，试试：加背景音乐。"),
    "no_title_text": ("What should the title say? Put it in quotes, e.g. add a title "
                      '"Summer Sale", or say add the title Summer Sale.',
                      "标题写什么？请用引号，例如：加标题「夏日特卖」，或说：加上标题 夏日特卖。"),
    "no_text": ('There is no title or text yet — try add a title "Summer Sale".',
                "还没有标题或文字，试试：加标题「夏日特卖」。"),
    "nothing_to_remove": ("There is no {what} to remove.", "没有可删除的{what_zh}。"),
    "last_segment": ("That is the only photo in the timeline, so I kept it.", "这是时间线里唯一的照片，已保留。"),
    "bad_target": ("There are only {n} photo(s) in the timeline.", "时间线里只有 {n} 张照片。"),
    "one_clip": ("Transitions go between photos — upload more photos to see them.",
                 "转场需要至少两张照片，请再上传几张。"),
    "video_fx": ("Motion effects apply to photos; video clips play as they are.", "动效只适用于照片，视频片段保持原样。"),
    "in_timeline": ("That photo is already in the timeline.", "这张照片已经在时间线里了。"),
    "end_create": ("Preview it in the Timeline, then click Export.", "可在时间线中预览，然后点击导出。"),
    "end_title": ("Drag the title to move it, then click Export.", "拖拽标题可调整位置，然后点击导出。"),
    "end_text": ("Drag the text to move it, then click Export.", "拖拽文字可调整位置，然后点击导出。"),
    "end_create_title": ("Preview it in the Timeline, drag the title to move it, then click Export.",
                         "可在时间线中预览，拖拽标题可调整位置，然后点击导出。"),
    "end_music": ("Open the timeline to see the tracks.", "打开时间线查看轨道。"),
    "end_edit": ("Preview it in the Timeline.", "可在时间线中预览。"),
    "small_photo": ("{name} is only {w}x{h}, so it is enlarged {x}x to fill {size} and will look "
                    "soft; {better} would look sharper.",
                    "{name} 只有 {w}x{h}，需放大 {x} 倍才能填满 {size}，画面会偏模糊；{better}会更清晰。"),
    "sharper_square": ("a square (1:1) video", "改成 1:1 方形视频"),
    "sharper_contain": ('"show the whole photo" (the photo over a blurred fill of itself)',
                        "“完整显示”（照片置于模糊背景上）"),
    "fit": ("The photo now {how}.", "照片现在{how}。"),
    "fit_contain": ("shows whole, over a blurred fill of itself", "完整显示，背景为模糊填充"),
    "fit_cover": ("fills the frame", "填满画面"),
    # --- what was done, said only when the reply has text anyway ---------------------------
    "did_strength": ("Motion strength is now {v}%.", "动效强度现在是 {v}%。"),
    "did_speed": ("Motion speed is now {v}x.", "动效速度现在是 {v} 倍。"),
    "did_duration": ("The video is now {secs} s long.", "视频时长现在是 {secs} 秒。"),
    "did_seg": ("Each photo now lasts {secs} s.", "每张照片现在 {secs} 秒。"),
    "did_loops": ("The motion now loops {n} times.", "动效现在循环 {n} 次。"),
    "did_aspect": ("The video is now {aspect}.", "画面比例现在是 {aspect}。"),
    "did_effects": ("The motion is now {effect}.", "动效现在是{effect}。"),
    "did_effects_on": ("Photo {n} now has {effect}.", "第 {n} 张照片现在是{effect}。"),
    "did_transition": ("Transitions are now {tr} ({secs} s).", "转场现在是{tr}（{secs} 秒）。"),
    "did_no_transition": ("Removed the transitions.", "已去掉转场。"),
    "did_text_style": ("Restyled the {what}.", "已调整{what_zh}的样式。"),
    "did_set_text": ('The {what} now says "{txt}".', "{what_zh}已改为「{txt}」。"),
    "did_volume": ("Music volume is now {v}%.", "音乐音量现在是 {v}%。"),
    "did_fade": ("The music now fades {how}.", "音乐现在{how_zh}。"),
    # --- what was not done: capped, not available here, not understood ----------------------
    "capped_duration": ("Videos are at most {max} s long, so it is {max} s.",
                        "视频最长 {max} 秒，已设为 {max} 秒。"),
    "min_duration": ("Videos are at least {min} s long, so it is {min} s.",
                     "视频最短 {min} 秒，已设为 {min} 秒。"),
    "capped_seg": ("Each photo lasts at most {max} s, so the video stays within {total} s.",
                   "每张照片最多 {max} 秒，视频不超过 {total} 秒。"),
    "capped_speed": ("Speed goes from 0.25x to 4x, so it is {v}x.", "速度范围 0.25 到 4 倍，已设为 {v} 倍。"),
    "capped_strength": ("Strength is at most 100%, so it is 100%.", "强度最高 100%，已设为 100%。"),
    "capped_volume": ("Volume is at most 100%, so it is 100%.", "音量最高 100%，已设为 100%。"),
    "capped_loops": ("That many loops would pass {max} s, so it is {max} s long.",
                     "循环次数过多会超过 {max} 秒，已设为 {max} 秒。"),
    "capped_texts": ("One message adds at most {n} texts; send the others in another.",
                     "一条消息最多添加 {n} 段文字，其余的请再发一条。"),
    "unsupported_filter": ("Colour filters (“{what}”) aren't available here; for a mood, try “add "
                           "cinematic music”.", "这里没有滤镜或调色（“{what}”）；想要氛围感可以试试“加电影感音乐”。"),
    "unsupported_weather": ("Overlays like “{what}” aren't available here; the nearest is a gentle "
                            "sway, or a title.", "这里没有“{what}”这类特效；最接近的是轻微摇摆，或加一个标题。"),
    "unsupported_face": ("Moving faces (“{what}”) isn't available here; the nearest is “make it "
                         "alive”, which breathes and tilts the head.",
                         "这里不能让人物做表情或动作（“{what}”）；最接近的是“让照片动起来”（呼吸和轻微摆头）。"),
    "unsupported_background": ("Changing the background (“{what}”) isn't available; the nearest is "
                               "“show the whole photo”, over a blur of itself.",
                               "这里不能更换背景（“{what}”）；最接近的是“完整显示”，照片置于模糊背景上。"),
    "unsupported_resolution": ("Output is at most 1080p, so “{what}” isn't available; the export "
                               "is 1080p.", "输出最高 1080p，无法做到“{what}”；导出为 1080p。"),
    "unsupported_fps": ("Videos are 30 fps here, so “{what}” isn't available.",
                        "视频固定为 30 fps，无法做到“{what}”。"),
    "unsupported_format": ("Exports are MP4 only, so “{what}” isn't available; the MP4 loops too.",
                           "只能导出 MP4，无法做“{what}”；MP4 同样可以循环。"),
    "unsupported_voice": ("Voice-overs and sound effects (“{what}”) aren't available; the nearest "
                          "is music or a caption.", "这里没有配音或音效（“{what}”）；最接近的是背景音乐或字幕。"),
    "unsupported_sticker": ("Stickers and watermarks (“{what}”) aren't available; the nearest is a "
                            "text overlay.", "这里没有贴纸或水印（“{what}”）；最接近的是加一段文字。"),
    "unsupported_reverse": ("Playing backwards (“{what}”) isn't available; every effect already "
                            "loops seamlessly.", "这里不能倒放（“{what}”）；所有动效本身就是无缝循环。"),
    "unsupported_3d": ("3D (“{what}”) isn't available; the nearest is a slow Ken Burns zoom.",
                       "这里没有 3D 效果（“{what}”）；最接近的是缓慢的缩放推拉。"),
    "post": ("I can't post to {where} from here; click Export and upload the MP4 yourself.",
             "这里无法发布到{where}；请点击导出，再自行上传 MP4。"),
    "post_anywhere": ("social media", "社交平台"),
    "song": ("I can't add a specific song (“{what}”); upload your own audio, or try “add upbeat "
             "music”.", "无法添加指定歌曲（“{what}”）；请上传你自己的音频，或试试“加欢快的背景音乐”。"),
    "what_percent": ("I wasn't sure what {n}% is for; say “strength {n}%” or “music volume {n}%”.",
                     "不确定 {n}% 指的是什么；请说“强度{n}%”或“音量{n}%”。"),
    "remove_what": ("Remove what? Say “remove the title”, “remove the music” or “remove the "
                    "second photo”.", "要删除什么？可以说“删除标题”“去掉音乐”或“删除第二张”。"),
    "unknown": ("I didn't understand “{what}”; ask for it in other words, or say “help”.",
                "我没听懂“{what}”；可以换个说法，或发送“帮助”。"),
    "unknown_more": ("There were {n} more parts I didn't understand.", "还有 {n} 处没听懂。"),
    "more_not_done": ("{n} more parts could not be done here.", "还有 {n} 处无法完成。"),
    "too_long": ("That message is longer than one turn reads, so I stopped after its first {n} "
                 "parts (from “{what}” on nothing was done); send the rest in another message.",
                 "这条消息太长，我只读了前 {n} 个部分（从“{what}”起未执行）；其余的请再发一条消息。"),
    "undo_alone": ("Undo runs on its own, so I didn't do the rest (“{what}”): ask for it again now.",
                   "撤销只能单独进行，其余部分（“{what}”）未执行，请现在再说一次。"),
}  # fmt: skip

#: How a reply names the built-in moods (the track keeps the English name).
MOOD_SAY = {"lofi": ("Lo-fi", "轻松 Lo-fi "), "upbeat": ("Upbeat", "欢快"), "calm": ("Calm", "舒缓"),
            "cinematic": ("Cinematic", "电影感")}  # fmt: skip
FADE_HOW = {"in": ("in", "淡入"), "out": ("out", "淡出")}
TEXT_WHAT = {"title": ("title", "标题"), "text": ("text", "文字")}

REMOVE_WHAT = {
    "title": "标题",
    "text": "文字",
    "alltext": "文字",
    "music": "背景音乐",
    "effect": "动效",
}


def say(key: str, lang: int, **kw: Any) -> str:
    return MSG[key][lang].format(**kw)


def help_text(lang: int) -> str:
    """What the agent does, with two example prompts."""
    one, two = HELP_EXAMPLES[lang]
    return say("help", lang, one=one, two=two)


def prompts(follow_ups: bool, lang: int) -> str:
    """Prompts to suggest: follow-ups once there is a video, else ways to start."""
    if lang:
        options = FOLLOW_UP_PROMPTS_ZH if follow_ups else START_PROMPTS_ZH
        return "、".join(f"“{p}”" for p in options)
    options = FOLLOW_UP_PROMPTS if follow_ups else START_PROMPTS
    return ", ".join(f"“{p}”" for p in options)


def secs(ms: int) -> str:
    s = ms / 1000
    return str(int(s)) if s == int(s) else f"{s:.1f}"


def fx_names(combo: Combo, lang: int) -> str:
    names = [EFFECT_NAMES.get(kind, ("motion", "动效"))[lang] for kind, _ in combo]
    return ("与" if lang else " and ").join(names)
