"""Every SMS the booking bot sends, in English and Traditional Chinese.

English texts use only GSM-7 characters (no curly quotes or dashes), so one segment holds
160 characters; any Chinese character makes a text UCS-2, 70 characters a segment. Each
template is tested to stay within two segments with realistic long values filled in.
The Chinese is written for Cantonese-speaking readers from Hong Kong: standard written Chinese
in Traditional characters, polite and plain.
"""

# Chinese texts rightly use full-width punctuation, which these rules flag as look-alikes.
# ruff: noqa: RUF001

from __future__ import annotations

from shared.i18n import Language
from shared.segments import segment_count

MAX_SEGMENTS = 2
"""No reply may cost more than this many SMS."""

# Keyed by ``Language`` value: a StrEnum member looks up its plain-string key.
TEMPLATES: dict[str, dict[str, str]] = {
    "ask_place": {
        "en": "Where would you like to go? E.g. {examples}",
        "zh-Hant": "請問想去哪裏？例如：{examples}",
    },
    "ask_date": {
        "en": "What day? E.g. tomorrow, Sat, Dec 3",
        "zh-Hant": "請問哪一天？例如：明天、星期六、12月3日",
    },
    "ask_time": {
        "en": "What time do you need to be there? E.g. 10am, 2:30pm",
        "zh-Hant": "請問幾點要到達？例如：上午10點、下午2點半",
    },
    "ask_return": {
        "en": "Do you need a ride home? Reply NO, or a pick-up time (e.g. 1pm), or 'wait 1 hour'.",
        "zh-Hant": "需要接您回家嗎？不用請回覆「不用」，或回覆接您的時間（例如：下午1點）。",
    },
    "ask_return_time": {
        "en": "What time should we pick you up to go home? E.g. 1pm, or 'wait 1 hour'",
        "zh-Hant": "請問幾點接您回家？例如：下午1點，或「等一個鐘」",
    },
    "ask_time_morning": {
        "en": "What time in the morning do you need to be there? E.g. 9am or 10:30am",
        "zh-Hant": "請問早上幾點要到達？例如：9點、10點半",
    },
    "ask_time_afternoon": {
        "en": "What time in the afternoon do you need to be there? E.g. 1pm or 2:30pm",
        "zh-Hant": "請問下午幾點要到達？例如：下午1點、下午2點半",
    },
    "ask_time_evening": {
        "en": "What time in the evening do you need to be there? E.g. 5pm or 6:30pm",
        "zh-Hant": "請問晚上幾點要到達？例如：下午5點、下午6點半",
    },
    "choose_place": {
        "en": "Which one? {options} Reply with the number.",
        "zh-Hant": "請問是哪一間？{options} 請回覆號碼。",
    },
    "confirm": {
        "en": "{summary} Reply YES to book, or send changes (e.g. Sat, 11am, 2 people, "
        "wheelchair).",
        "zh-Hant": "{summary}請回覆「是」確認，或告訴我要改甚麼。",
    },
    "what_to_change": {
        "en": "What should I change? E.g. Saturday, 11am, No Frills, 2 people",
        "zh-Hant": "請問要改甚麼？例如：星期六、上午11點、2人",
    },
    "booked": {
        "en": "Request received! Your ride code is {code}. We will text you when a driver is "
        "confirmed. To cancel, text CANCEL {code}",
        "zh-Hant": "已收到預約！編號：{code}。司機確定後會再通知您。取消請回覆「取消 {code}」。",
    },
    "unknown_place": {
        "en": "Sorry, I don't know that place. Try: {suggestions}",
        "zh-Hant": "對不起，我不認識這個地方。可以試：{suggestions}",
    },
    "date_past": {
        "en": "That date has passed. What day? E.g. tomorrow, Sat",
        "zh-Hant": "那天已經過去了。請問哪一天？例如：明天、星期六",
    },
    "date_impossible": {
        "en": "That date does not exist. What day? E.g. Dec 3",
        "zh-Hant": "沒有這一天。請問哪一天？例如：12月3日",
    },
    "date_ambiguous": {
        "en": "Do you mean {first} or {second}? Please reply with the date, e.g. {example}",
        "zh-Hant": "請問是{first}還是{second}？請回覆日期，例如：{example}",
    },
    "time_past": {
        "en": "That time has already passed today. What time, or which day?",
        "zh-Hant": "今天這個時間已經過了。請問幾點，或哪一天？",
    },
    "return_before": {
        "en": "The ride home must be after {time}. What time should we pick you up?",
        "zh-Hant": "回程要在{time}之後。請問幾點接您回家？",
    },
    "stop_hint": {
        "en": "To stop all texts from us, reply with just the word STOP.",
        "zh-Hant": "如要停收所有短訊，請只回覆「停止」兩個字。",
    },
    "didnt_get": {
        "en": "Sorry, I didn't understand.",
        "zh-Hant": "對不起，我不明白。",
    },
    "text_only": {
        "en": "Sorry, I can only read text, not pictures.",
        "zh-Hant": "對不起，我只能看文字，看不到圖片。",
    },
    "welcome_new": {
        "en": "Welcome to {programme}! To book rides, please sign up. What is your name?",
        "zh-Hant": "歡迎使用{programme}！預約前請先登記。請問您的名字？",
    },
    "ask_name_again": {
        "en": "Please reply with just your name.",
        "zh-Hant": "請只回覆您的名字。",
    },
    "ask_address": {
        "en": "Thanks. What is your home address or nearest intersection? We only use it for "
        "pick-ups.",
        "zh-Hant": "謝謝。請問您的住址或最近的路口？只會用作接送。",
    },
    "ask_address_again": {
        "en": "Please send your street address or nearest intersection, e.g. Yonge and Finch.",
        "zh-Hant": "請回覆街道地址或最近的路口，例如：Yonge and Finch。",
    },
    "registered": {
        "en": "Thank you, you're signed up. A coordinator will check your details.",
        "zh-Hant": "謝謝，已登記。協調員會核對您的資料。",
    },
    "help": {
        "en": "{programme}: book rides by text, e.g. 'T&T tomorrow 10am'. Help: {contact}. "
        "Text STATUS for your rides, STOP to end texts.",
        "zh-Hant": "{programme}：用短訊預約接送，例如「明天10點 大統華」。查詢：{contact}。"
        "回覆「狀態」查看預約，「停止」停收短訊。",
    },
    "status_none": {
        "en": "You have no upcoming rides. To book, tell me where and when, e.g. T&T tomorrow 10am",
        "zh-Hant": "您沒有已預約的接送。想預約請告訴我地點和時間，例如：明天10點 大統華",
    },
    "status_list": {
        "en": "Your rides: {rides}. To cancel one, text CANCEL and its code, e.g. CANCEL {example}",
        "zh-Hant": "您的預約：{rides}。取消請回覆「取消」加編號，例如：取消 {example}",
    },
    "cancelled": {
        "en": "Ride {code} is cancelled.",
        "zh-Hant": "已取消預約 {code}。",
    },
    "cancel_unknown": {
        "en": "I can't find ride {code}. Text STATUS to see your rides.",
        "zh-Hant": "找不到預約 {code}。回覆「狀態」查看您的預約。",
    },
    "cancel_which": {
        "en": "To cancel a ride, text CANCEL and its code, e.g. CANCEL {example}",
        "zh-Hant": "取消預約請回覆「取消」加編號，例如：取消 {example}",
    },
    "draft_dropped": {
        "en": "OK, I dropped that booking. Nothing was booked.",
        "zh-Hant": "好的，這次預約已放棄，沒有預約任何接送。",
    },
    "opted_out": {
        "en": "You are unsubscribed from {programme} and will get no more texts. Reply START to "
        "resume.",
        "zh-Hant": "您已停收{programme}的短訊。回覆 START 或「開始」可恢復。",
    },
    "opted_in": {
        "en": "Welcome back to {programme}! You will get texts again. Text HELP for help.",
        "zh-Hant": "歡迎回來{programme}！您會再收到短訊。需要幫助請回覆「幫助」。",
    },
    "language_set": {
        "en": "OK, I will text you in English.",
        "zh-Hant": "好的，之後會用中文回覆您。",
    },
    "expired": {
        "en": "Sorry, your unfinished booking timed out and was not made.",
        "zh-Hant": "對不起，之前未完成的預約已逾時，沒有預約。",
    },
    "you_are_welcome": {
        "en": "You're welcome! To book a ride, tell me where and when, e.g. T&T tomorrow 10am",
        "zh-Hant": "不用客氣！想預約請告訴我地點和時間，例如：明天10點 大統華",
    },
    "restarted": {
        "en": "OK, starting over.",
        "zh-Hant": "好的，重新開始。",
    },
    "flagged": {
        "en": "A coordinator will contact you to help. Thank you for your patience.",
        "zh-Hant": "協調員會聯絡您幫忙，謝謝您的耐心。",
    },
    "held": {
        "en": "Got your message. We will answer soon.",
        "zh-Hant": "已收到您的訊息，我們稍後回覆。",
    },
    "error": {
        "en": "Sorry, something went wrong. A coordinator will contact you.",
        "zh-Hant": "對不起，系統出錯。協調員會聯絡您。",
    },
}

QUESTION_KEYS = (
    "ask_place",
    "ask_date",
    "ask_time",
    "ask_time_morning",
    "ask_time_afternoon",
    "ask_time_evening",
    "ask_return",
    "ask_return_time",
)
"""Templates that end a reply with the next question, and may follow a prefix template."""

PREFIX_KEYS = (
    "didnt_get",
    "text_only",
    "registered",
    "language_set",
    "expired",
    "restarted",
    "draft_dropped",
)
"""Short templates that are sent in front of a question."""


def render(key: str, language: Language, **values: object) -> str:
    """Fill in the template ``key`` in ``language``."""
    return TEMPLATES[key][language].format(**values)


def join(*parts: str) -> str:
    """Join reply parts: a space after English, nothing after Chinese full-width punctuation.

    If the whole would pass two SMS, leading parts (apologies, notices) are dropped first: the
    last part is the question the rider has to answer, and must always get through.
    """
    kept = [part for part in parts if part]
    while True:
        joined = ""
        for part in kept:
            if joined and not joined.endswith(("。", "？", "！", "）", "」")):
                joined += " "
            joined += part
        if len(kept) <= 1 or segment_count(joined) <= MAX_SEGMENTS:
            return joined
        kept = kept[1:]


# Room, in characters, for a list inside a reply: what keeps the whole reply, plus a prefix such
# as "Sorry, I didn't understand.", within two segments (306 GSM-7 or 134 UCS-2 characters).
LIST_BUDGET: dict[Language, int] = {Language.EN: 150, Language.ZH_HANT: 50}


def fit_list(
    items: list[str],
    language: Language,
    *,
    budget: int | None = None,
    separator: str | None = None,
) -> str:
    """Join as many of ``items`` as fit in the language's list budget (always at least one).

    Catalogues and ride lists grow; a reply must not grow past two SMS with them.
    """
    limit = LIST_BUDGET[language] if budget is None else budget
    if separator is None:
        separator = "、" if language == Language.ZH_HANT else ", "
    joined = ""
    for item in items:
        candidate = f"{joined}{separator}{item}" if joined else item
        if joined and len(candidate) > limit:
            break
        joined = candidate
    return shorten(joined, limit)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with "..." when cut."""
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."
