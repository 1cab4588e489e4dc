"""Words and patterns the slot reader looks for, in English and Traditional Chinese.

Kept apart from the reading logic so that adding a Cantonese phrase or a new kind of trip is a
one-line change here.
"""

from __future__ import annotations

import re

KINDS = (
    (
        "grocery",
        r"\bgrocer(?:y|ies)\b|\bshopping\b|\bsupermarket\b|買餸|買菜|超市|買嘢|買東西|街市",
    ),
    (
        "appointment",
        r"\bappointments?\b|\bappt\b|\bdoctor\b|\bclinic\b|\bdentist\b|\bhospital\b|\blawyer\b"
        r"|\blegal\b|\bimmigration\b|\binterview\b|\bspecialist\b|\bblood test\b|\bphysio\b"
        r"|睇醫生|看醫生|醫生|診所|醫院|牙醫|覆診|律師|法律|移民|面試|約見|驗血|物理治療|預約",
    ),
    ("errand", r"\berrands?\b|\bbank\b|\bpharmacy\b|\bpost office\b|銀行|藥房|郵局|辦事"),
)
KIND_PATTERNS = [(kind, re.compile(pattern)) for kind, pattern in KINDS]
PLACE_KIND_TO_RIDE = {
    "grocery": "grocery",
    "supermarket": "grocery",
    "medical": "appointment",
    "clinic": "appointment",
    "hospital": "appointment",
    "dental": "appointment",
    "legal": "appointment",
    "immigration": "appointment",
    "government": "appointment",
    "settlement": "appointment",
}

_FAMILY = (
    r"(?:son|daughter|husband|wife|brother|sister|friend|family|kids?|children|grandson"
    r"|granddaughter|neighbou?r|caregiver|dad|mom|mum|father|mother)"
)
_ZH_FAMILY = (
    r"(?:個仔|個女|仔|女|老公|老婆|先生|太太|家人|朋友|屋企人|哥哥|家姐|細佬|妹妹|孫|兒子|女兒)"
)
# Every way of saying "no ride home": "no need to take me back", "my son drives me home",
# "I'll take the bus", "唔使接", "個仔接我返".
NO_RETURN = re.compile(
    r"\bone[- ]?way\b|\bno (?:ride |trip |need |lift )?(?:home|back|return)\b"
    r"|\bno (?:ride|lift|trip) (?:home|back)(?: needed)?\b|\bno return\b"
    r"|\bdon'?t need (?:a )?(?:ride |lift )?(?:home|back)\b|\bno need (?:to|for) (?:\w+ ){0,3}"
    r"(?:back|home|return)\b|\bno need to pick (?:me|her|him|them) up\b"
    rf"|\b{_FAMILY} (?:will |is going to |can |'ll )?(?:drive|drives|pick|picks|take|takes|bring"
    r"|brings|get|gets|fetch|fetches)\b(?: \w+){0,2} (?:home|back|up|after)\b"
    r"|\bi(?:'ll| will| can)? (?:take|get|grab|catch) (?:the |a )?(?:bus|taxi|cab|uber|subway"
    r"|ttc|train)\b|\bi(?:'ll| will)? (?:pick|bring|take|drive) (?:her|him|them) (?:up|home|back)"
    r"|\b(?:bring|take|drive) (?:her|him|them|me) (?:home|back) myself\b|\bmyself\b.*\bhome\b"
    r"|單程"
    r"|(?:不用|唔使|唔駛|不需要|唔需要|唔要)\s*(?:接|回程|回家|返屋企|返|送)"
    rf"|{_ZH_FAMILY}(?:會|嚟)?(?:接|送|車)(?:我|佢)?(?:返|回)"
    r"|我(?:會)?(?:去)?接(?:佢|返佢)|自己(?:搭車)?(?:返|回)|搭(?:巴士|車|的士|地鐵)(?:返|回)"
)
ROUND_TRIP = re.compile(
    r"\bround[- ]?trip\b|\breturn trip\b|\band back\b|\bboth ways\b|\bride home\b"
    r"|\bride back\b|\bneed (?:a )?(?:ride|lift) (?:home|back)\b|\bpick (?:me|her|him) up after\b"
    r"|來回|要回程|接返我"
)
EN_RETURN_BEFORE = re.compile(
    r"\b(back|home|return|returning|pick ?(?:me |her |him |them |us )?up|pickup)(?:\s*after)?"
    r"[\s,]*(by|before|at|around|about|@|for)?\s*$"
)
ZH_RETURN_AFTER = re.compile(
    r"^\s*(前)?\s*(?:接(?:我|佢)?)?\s*(?:回家|返屋企|返去|回程|返|走)"
    r"|^\s*接(?:我|佢|返)?(?!\s*去)"
)
ZH_RETURN_BEFORE = re.compile(r"(回程|回家|返屋企|接返)\s*$")

NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
CN_SMALL = {"一": 1, "二": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6}
PASSENGERS = re.compile(
    r"\b([1-8]|one|two|three|four|five|six)\s*(?:people|persons?|passengers?|ppl|adults|of us)\b"
    r"|([1-8一二兩三四五六])\s*(?:個人|人|位)"
)
_RELATIVES = (
    r"(?:wife|husband|son|daughter|mother|mom|mum|father|dad|friend|kid|child|grandson"
    r"|granddaughter|caregiver|helper)"
)
# "with my wife", "and my son", "my daughter is coming too", "同老婆去", "老公都一齊".
COMPANION = re.compile(
    rf"\b(?:with|and|plus|bring(?:ing)?) my {_RELATIVES}\b"
    rf"|\bmy {_RELATIVES} (?:is |will )?(?:com(?:ing|es|e)|too|also|joins?|joining)\b"
    r"|同(?:埋)?(?:我)?(?:老婆|老公|太太|先生|媽媽|爸爸|阿媽|阿爸|仔|女|朋友|小朋友|孫|家人|工人)"
    r"|(?:老婆|老公|太太|先生|媽媽|爸爸|仔|女|朋友)(?:都|也)?(?:一齊|一起|同行)"
)
# A mention of opting out inside a longer text: not an opt-out (carriers match whole messages),
# but worth telling the rider how to do it.
OPT_OUT_MENTION = re.compile(
    r"\b(?:stop|stopall|unsubscribe|opt ?out)\b|停止|退訂|取消訂閱|唔好再|不要再"
)
ALONE = re.compile(r"\bjust me\b|\bonly me\b|\bby myself\b|\balone\b|自己一個|得我一個")
NEEDS = (
    ("wheelchair", r"wheel ?chair|輪椅"),
    ("walker", r"\bwalker\b|walking frame|\brollator\b|助行架|助行器|行路架"),
    ("service_animal", r"service (?:dog|animal)|guide dog|導盲犬|服務犬|服務動物|工作犬"),
)
NEEDS_PATTERNS = [(need, re.compile(pattern)) for need, pattern in NEEDS]
NEGATION = re.compile(r"(?:\bno|\bwithout|\bdon'?t need|不用|唔使|沒有|冇|不需要)\s*(?:a\s+)?$")

# Words that carry no slot; what is left after removing them may be an unknown place.
# fmt: off
EN_STOPWORDS = frozenset({
    "a", "an", "the", "i", "i'm", "im", "me", "my", "we", "us", "to", "at", "on", "in", "for",
    "of", "and", "or", "but", "with", "from", "by", "is", "it", "this", "that", "please", "pls",
    "plz", "thanks", "thank", "you", "hi", "hello", "hey", "need", "needs", "want", "wanna",
    "would", "like", "go", "going", "get", "ride", "rides", "trip", "drive", "take", "book",
    "booking", "can", "could", "will", "be", "there", "here", "next", "coming", "morning",
    "afternoon", "evening", "am", "pm", "ok", "okay", "yes", "no", "not", "just", "also",
    "again", "time", "day", "date", "so", "um", "uh", "actually", "sorry", "change",
    "make", "instead", "then", "back", "home", "return", "pick", "up", "pickup", "before",
    "after", "around", "how", "are", "what", "where", "when", "ready", "good",
})
# fmt: on
ZH_STOP_PHRASES = re.compile(
    r"唔該|麻煩|請問|可唔可以|可不可以|我想|我要|想去|要去|接送|預約|謝謝|多謝|改成|改為|改做|"
    r"早上|上午|下午|晚上|時間|日子|不是|唔係|你好|回家|返屋企|屋企|回程|[晒曬]|"
    r"[我你佢想要去到請幫車搭坐嘅的在喺和呀啊吖喇啦了嗎呢係是有冇改做嘢個點接返前]"
)
LATIN_WORD = re.compile(r"[a-z][a-z']{2,}")
CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
BARE_DAY = re.compile(r"^\s*(\d{1,2})\s*$")

# A part of the day without a clock time: ask for the time, offering that part of the day.
VAGUE_TIME = (
    ("morning", re.compile(r"\b(?:in the |tomorrow |this )?morning\b|早上|朝早|上午|朝頭早|早晨")),
    (
        "afternoon",
        re.compile(r"\bafter lunch\b|\b(?:in the |this )?afternoon\b|下午|下晝|晏晝|午飯後|食完飯"),
    ),
    ("evening", re.compile(r"\b(?:in the |this )?evening\b|晚上|夜晚")),
)
# Kinds of place a rider names instead of a place ("see a doctor", "去睇醫生"): the catalogue
# kinds that may answer, so the question can offer those places.
PLACE_WORDS = (
    ("dental", ("dental",), re.compile(r"\bdentist\b|\bdental\b|牙醫|睇牙|牙科|洗牙")),
    ("hospital", ("hospital",), re.compile(r"\bhospital\b|醫院")),
    (
        "medical",
        ("clinic", "medical", "hospital"),
        re.compile(
            r"\bdoctor\b|\bdr\.?\b|\bclinic\b|\bmedical\b|\bcheck ?up\b"
            r"|睇醫生|看醫生|醫生|診所|醫務所|覆診|檢查|驗血"
        ),
    ),
    (
        "grocery",
        ("grocery", "supermarket"),
        re.compile(r"\bgrocer(?:y|ies)\b|\bshopping\b|\bsupermarket\b|買餸|買菜|超市|街市"),
    ),
    ("pharmacy", ("pharmacy",), re.compile(r"\bpharmacy\b|\bdrug ?store\b|藥房|買藥")),
    ("legal", ("legal",), re.compile(r"\blawyer\b|\blegal\b|律師|法律")),
)

# Everyday words that are not place names: a leftover made of these is not "a place we do
# not know" but a sentence we could not use.
# fmt: off
COMMON_WORDS = frozenset({
    "about", "after", "again", "all", "already", "also", "always", "any", "anymore", "anyone",
    "appointment", "appt", "ask", "asking", "bad", "because", "been", "being", "bit", "both",
    "bring", "brother", "bus", "busy", "call", "came", "cannot", "can't", "car", "come", "could",
    "dad", "daughter", "dear", "did", "didn't", "does", "doesn't", "doing", "don't", "done",
    "down", "drive", "drives", "driver", "each", "early", "else", "even", "ever", "every",
    "family", "father", "feel", "fine", "first", "friend", "from", "gets", "give", "glad",
    "gonna", "got", "had", "has", "have", "having", "he", "her", "him", "his", "hope", "hour",
    "hours", "husband", "i'll", "i've", "into", "its", "just", "know", "late", "later", "let",
    "lets", "let's", "lift", "little", "long", "look", "lot", "lunch", "many", "maybe", "mean",
    "meant", "minute", "minutes", "mom", "more", "mother", "much", "must", "myself", "need",
    "never", "nice", "now", "off", "often", "old", "once", "one", "only", "other", "our", "out",
    "over", "people", "person", "please", "probably", "put", "question", "quite", "really",
    "said", "same", "say", "see", "send", "she", "should", "sister", "some", "someone",
    "something", "son", "soon", "still", "such", "sure", "take", "taxi", "tell", "than", "that's",
    "their", "them", "these", "they", "thing", "think", "those", "though", "through", "today",
    "tomorrow", "tonight", "too", "try", "understand", "until", "very", "visit", "wait", "was",
    "way", "week", "well", "went", "were", "which", "while", "who", "why", "wife", "wish", "won't",
    "work", "would", "yesterday", "yet", "your", "yours", "mum", "kid", "kids", "sorry", "yeah",
})
# fmt: on
# Characters a Chinese place name rarely has, and endings that make one.
ZH_NOT_PLACE = re.compile(
    r"[唔咗佢嘅咩乜點邊幾嘢會識用話講問知明得係冇喇啦呀吖啊囉㗎喎嗎呢了吧媽爸仔女約你我]"
)
ZH_PLACE_END = re.compile(
    r"(?:院|所|中心|超市|街|道|路|廣場|商場|銀行|教會|公司|館|店|場|局|市|科|大廈)$"
)
