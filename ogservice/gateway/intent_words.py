"""The vocabulary intent detection reads: keyword tables, quote marks and sign words across scripts.

    KEYWORDS                   word or 2-3 word phrase -> category, for space-separated scripts; lower
                               case, accents stripped (see `fold`), so "Rótulo" and "ΠΙΝΑΚΊΔΑ" match
    quoted_spans(text)         text between quote marks, in the shapes of every script the card engine
                               sets: "…" “…” „…“ ‘…’ ‚…‘ '…' «…» »…« ‹…› 「…」 『…』 〝…〞 《…》 ＂…＂
    is_sign_word(token)        Greek/Cyrillic stems (nouns inflect) and Arabic/Hebrew words (with their
                               prefixed clitics) naming a sign, an inscription or a logo
    spaceless_sign_words(text) the same in CJK and Devanagari, found as substrings: CJK has no spaces
                               and Devanagari's vowel signs are not word characters, so neither tokenises

Words are the ones a prompt uses to ask for lettering in the image; generic words for "text" that are
often negated ("文字なし", "no text") are matched with the negation handled (here for CJK, in intent.py
for space-separated scripts).
"""

from __future__ import annotations

import re
import unicodedata

# Word tables read better packed than one word a line.
# fmt: off
_TYPOGRAPHY_LATIN = (
    # English
    "text", "texts", "sign", "signs", "signage", "signboard", "signboards", "logo", "logos", "logotype",
    "wordmark", "typography", "typographic", "lettering", "headline", "caption", "calligraphy",
    "that says", "which says", "saying", "that reads", "which reads", "with the word", "with the words",
    "spell out", "spells out", "spelling out", "poster says", "banner says", "sign says", "badge says",
    "sign reads",
    # Spanish, Portuguese, French, Italian, German, Dutch, Polish/Czech, Vietnamese, Indonesian
    "letrero", "letreros", "cartel", "carteles", "rotulo", "rotulos", "texto", "logotipo", "que dice",
    "tipografia", "caligrafia", "letreiro", "letreiros", "placa", "placas", "que diz",
    "panneau", "panneaux", "enseigne", "enseignes", "texte", "qui dit", "typographie", "calligraphie",
    "insegna", "insegne", "cartello", "cartelli", "scritta", "scritte", "testo", "con la scritta",
    "schild", "schilder", "aufschrift", "schriftzug", "beschriftung", "typografie", "kalligrafie",
    "uithangbord", "opschrift", "napis", "napisem", "szyld", "bien hieu", "bang hieu", "papan nama",
    # Greek and Cyrillic words that do not inflect like the stems below
    "κειμενο", "κειμενου", "κειμενα", "που γραφει", "που λεει",
    "текст", "текста", "тексте", "текстом", "тексты", "текстов", "с надписью", "со словами",
)

KEYWORDS: dict[str, tuple[str, ...]] = {
    "typography": _TYPOGRAPHY_LATIN,
    "draft": (
        "draft", "drafts", "sketch", "sketches", "sketchy", "thumbnail", "thumbnails", "mockup", "mockups",
        "mock-up", "mock-ups", "placeholder", "placeholders", "quick preview",
    ),
    "wide_angle": (
        "wide angle", "wide-angle", "panorama", "panoramas", "panoramic", "ultra-wide", "ultrawide",
        "ultra wide", "vista", "vistas", "fisheye", "fish-eye", "establishing shot", "wide shot",
        "sweeping view", "sweeping landscape",
    ),
    # A photograph as the subject: when one comes before a background word, the image is a photo.
    "photo": (
        "photo", "photos", "photograph", "photographs", "portrait", "headshot", "product shot",
        "product photo",
    ),
    # How a photo looks: never outweighs a background word ("gradient background with soft bokeh").
    "photo_style": (
        "photography", "photographic", "photoreal", "photorealistic", "photo-realistic", "photorealism",
        "hyperrealistic", "hyper-realistic", "realistic", "dslr", "macro", "bokeh", "studio lighting",
        "shot on",
    ),
    "background": (
        "background", "backgrounds", "backdrop", "backdrops", "abstract", "gradient", "gradients",
        "texture", "textures", "pattern", "patterns", "wallpaper", "wallpapers", "seamless",
    ),
    "join": ("and", "while", "as well as"),
    "twist": ("but", "whereas", "instead of", "as if", "looks", "looks like", "pretending"),
    "relation": (
        "with", "holding", "riding", "eating", "chasing", "playing", "sitting on", "standing on", "next to",
        "beside", "behind", "in front of", "on top of", "underneath", "between", "surrounded by",
        "reflecting", "reflected", "looking at",
    ),
    "crowd": (
        "crowd", "crowds", "group of", "groups of", "many", "several", "dozens", "hundreds", "family of",
        "team of", "army of", "busy", "bustling",
    ),
}

# --- quote marks ----------------------------------------------------------------------------------------
# (opening mark, closing marks). „ closes with “ (German) or ” (Polish); » « and › ‹ open either way
# round (French vs Danish/German); 「」『』 are Japanese and traditional Chinese, 《》 Chinese titles.
QUOTE_PAIRS = (
    ('"', '"'), ("“", "”"), ("„", "“”"), ("‚", "‘’"), ("«", "»"), ("»", "«"), ("‹", "›"), ("›", "‹"),
    ("「", "」"), ("『", "』"), ("〝", "〞〟"), ("《", "》"), ("＂", "＂"),
)
# fmt: on
_PAIRED = "|".join(
    f"{re.escape(opening)}([^{re.escape(closing)}\\n]{{1,120}})[{re.escape(closing)}]"
    for opening, closing in QUOTE_PAIRS
)
# Single quotes double as apostrophes ("it's", "dogs’"): they only count around 2+ characters that
# are neither preceded nor followed by a letter.
_SINGLE = r"(?<![\w'])'([^'\n]{2,80})'(?![\w'])|(?<![\w‘’])‘([^‘’\n]{2,80})’(?![\w’])"
_QUOTED = re.compile(f"{_PAIRED}|{_SINGLE}")
QUOTE_OPENERS = frozenset({opening for opening, _ in QUOTE_PAIRS} | {"'", "‘"})


def quoted_spans(text: str) -> list[str]:
    """Every quoted span of `text`, stripped, in order; [] quickly when it has no quote mark at all."""
    if not any(mark in text for mark in QUOTE_OPENERS):
        return []
    spans = (next(g for g in m.groups() if g is not None).strip() for m in _QUOTED.finditer(text))
    return [span for span in spans if span]


# --- sign words in scripts without (usable) word boundaries or with inflection -------------------------
# fmt: off
_STEMS = (
    "πινακιδ", "επιγραφ", "ταμπελ", "λογοτυπ", "καλλιγραφ", "τυπογραφ",  # Greek, accents stripped
    "вывеск", "надпис", "табличк", "логотип", "транспарант", "типограф", "каллиграф",  # Russian
    "вивіск", "напис", "табел", "натпис",  # Ukrainian, Bulgarian, Serbian
)
_ARABIC = re.compile(r"^[وفبلك]{0,2}(?:ال)?(?:لافت(?:ة|ات)|يافط(?:ة|ات)|شعار|مكتوب|كتابة|عبارة)$")
_HEBREW = re.compile(r"^[והבלמשכ]{0,2}(?:שלט|שלטי|שלטים|לוגו|כיתוב|טקסט)$")
_SPACELESS_WORDS = (
    # Japanese
    "看板", "標識", "張り紙", "貼り紙", "ロゴ", "レタリング", "タイポグラフィ", "横断幕", "垂れ幕", "表札",
    "と書かれた", "と書いた", "と書いて", "と記された",
    # Chinese (simplified and traditional)
    "招牌", "标牌", "標牌", "牌匾", "匾额", "匾額", "标语", "標語", "横幅", "橫幅", "路牌", "字样", "字樣",
    "写着", "寫著", "写有", "寫有", "书法", "書法", "艺术字", "藝術字", "商标", "商標", "徽标", "徽標",
    # Korean
    "간판", "표지판", "현수막", "로고", "문구", "라고 쓰인", "라고 적힌", "캘리그라피", "타이포그래피",
    # Devanagari (Hindi, Marathi, Nepali)
    "साइनबोर्ड", "नामपट्ट", "तख्ती", "लोगो", "लिखा", "बैनर", "सुलेख", "टेक्स्ट",
)
# fmt: on
# "Text" itself, unless negated: 文字なし / 文字のない / 无文字 / 没有文字 / 不含文字, 글자 없는, 텍스트 없이.
_NEGATABLE = (
    r"(?<!无)(?<!無)(?<!没有)(?<!不含)(?<!不要)(?:文字|テキスト)(?!\s*(?:なし|無し|のない|が入っていない))",
    r"(?:글자|텍스트)(?!\s*없)",
)
_SPACELESS = re.compile("|".join([*map(re.escape, _SPACELESS_WORDS), *_NEGATABLE]))
_FIRST_NON_LATIN = "\u0370"  # tokens below this (ASCII and Latin) are looked up in KEYWORDS only


def is_sign_word(token: str) -> bool:
    """True for a Greek, Cyrillic, Arabic or Hebrew token naming a sign, an inscription or a logo."""
    if token[0] < _FIRST_NON_LATIN:
        return False
    if token[0] < "\u0530":  # Greek and Cyrillic
        return token.startswith(_STEMS)
    return bool(_HEBREW.match(token) or _ARABIC.match(token))


def spaceless_sign_words(text: str) -> list[str]:
    """CJK and Devanagari words asking for lettering, in order (the text need not be tokenised)."""
    if text.isascii():
        return []
    return _SPACELESS.findall(text)


def fold(text: str) -> str:
    """`text` without Latin/Greek accents (combining marks U+0300-U+036F), so "rótulo" == "rotulo".

    Other scripts' marks (Devanagari vowel signs, Hebrew points, kana voicing) are kept.
    """
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f"))
