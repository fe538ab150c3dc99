"""Context around a code-like token: error keywords in several languages, labels, and prominence on screen."""

from __future__ import annotations

import re
from statistics import median

from diagnostics.ocr import OcrWord

# OCR often reads an accented letter without its accent or with another (Störung as Storung, Avería as Averia):
# keywords are matched on text folded to plain letters, one character for one, so positions stay the same.
_FOLD = str.maketrans("áàâäãåéèêëíìîïóòôöõúùûüçñÁÀÂÄÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÇÑ",
                      "aaaaaaeeeeiiiiooooouuuucnAAAAAAEEEEIIIIOOOOOUUUUCN")


def fold(text: str) -> str:
    """The text with accented Latin letters made plain (one character for one)."""
    return text.translate(_FOLD)


# Words that introduce a code ("Error 1602", "Code 46", "故障 E5"): after one of these even a bare number is a code.
_INTRODUCERS = (
    # English and its panel abbreviations; event ids, alerts, troubles and states are how lifts, inverters, fire
    # panels, cars and modems caption their codes ("Event 3401", "TRBL 1M204", "STATE 306", "Alert BMS-W012")
    r"error|err|fault|flt|alarm|alm|code|dtc|bugcheck|alert|trouble|trbl|"
    # German, Spanish, French, Italian, Portuguese, Dutch
    r"fehler|fehlercode|fehlernummer|fehlernr|störung|stoerung|störcode|störungscode|warnung|"
    r"código|codigo|fallo|alarma|avería|averia|alerta|"
    r"erreur|défaut|defaut|panne|alarme|alerte|"
    r"errore|guasto|codice|allarme|avviso|"
    r"erro|falha|avaria|"
    r"storing|foutcode|"
    # Russian, Korean, Arabic (read only where a model for the script is installed)
    r"ошибка|код|авария|오류|에러|고장|코드|경고|알람|경보|"
    r"خطأ|الخطأ|رمز|عطل|خلل|إنذار|تنبيه"
)
# Captions that name a number an event or state id ("Event 3401", "STATE 306") but say nothing of an error on their
# own: a screen titled "Event log" or "Printer status" is no error screen. They introduce the token right after them
# (and a stacked row), never vouch for the screen or the line.
_ID_CAPTIONS = (r"event|evt|state|status|ereignis|zustand|evento|estado|événement|evenement|état|etat|stato|"
                r"событие|состояние|이벤트|상태|حدث|الحالة")
_CJK_ID_CAPTIONS = r"事件|状态|狀態|イベント|状態"
# Words that say an error is shown but do not introduce a number themselves ("Service 2 of 3", "Stop at 12").
_MENTIONS = (
    r"errors|failure|failed|fail|service|stop|stopped|interrupted|blocked|warning|jam|malfunction|exception|panic|"
    r"servicio|servizio|serviço|kundendienst|servicefehler|"
    r"time-out|timeout|timed out|not responding|out of service|shut down|"
    r"defekt|ausfall|außer betrieb|gestoppt|unterbrochen|blockiert|falla|fuera de servicio|detenida|detenido|"
    r"interrumpida|défaillance|avertissement|hors service|fuori servizio|arrestata|interrotta|"
    r"fora de serviço|interrompida|fout|неисправность|сбой"
)
# Scripts without word spaces: matched anywhere (OCR often spaces their characters out, see has_keyword).
_CJK_INTRODUCERS = r"错误|錯誤|故障|代码|代碼|报警|報警|告警|警报|警報|异常|異常|出错|エラー|コード|障害"
_CJK_MENTIONS = r"警告|失败|失敗|停止|中断"

_INTRODUCERS, _ID_CAPTIONS, _MENTIONS = fold(_INTRODUCERS), fold(_ID_CAPTIONS), fold(_MENTIONS)
_LATIN_KEYWORD = re.compile(rf"(?<![^\W\d_])(?:{_INTRODUCERS}|{_MENTIONS})(?![^\W\d_])", re.IGNORECASE)
_CJK_KEYWORD = re.compile(f"{_CJK_INTRODUCERS}|{_CJK_MENTIONS}")
_ID_CAPTION = re.compile(f"{_ID_CAPTIONS}|{_CJK_ID_CAPTIONS}", re.IGNORECASE)

# Labels that say an ordinary identifier follows, although they contain "code" ("Product code: WM14T790").
_NOT_ERROR_CODE = re.compile(
    r"(?:product|zip|postal|post|pin|access|promo|qr|bar|verification|activation|security|country|area|"
    r"region|discount|voucher|coupon|article|item|order|customer)\s*[-_]?\s*code\s*[:#=]?\s*$", re.IGNORECASE)

# An introducer right before the token, optionally with "code"/"no."/"#" and a colon: "Error code:", "DTC:",
# "Stop code:", "Fehlercode:", "Error No. ", "故障代码：". The window bounds how far back a label may be.
_LABEL_WINDOW = 40
_INTRODUCED = re.compile(
    rf"(?:(?<![^\W\d_])(?:{_INTRODUCERS}|{_ID_CAPTIONS})(?![^\W\d_])|{_CJK_INTRODUCERS}|{_CJK_ID_CAPTIONS})"
    r"(?:[\s-]*(?:code|no\.?|nr\.?|number|num|id|#|代码|编号|編號|コード|codigo|番号|号|번호|코드))?"
    r"\s*[:：#=\-]?\s*[#(\[]?\s*$", re.IGNORECASE)
# "Stop code:", "Machine Error" carry the keyword inside a longer label: the introducer may follow one word.


# Labels OCR garbles (DTC read as OTC, DIC or 0TC; Code as C0de): glyphs merged into classes OCR swaps, and
# each label word compared in that form. Only labels of three or more glyphs: shorter ones collide with words.
_LABEL_GLYPHS = str.maketrans({**dict.fromkeys("D0QU@", "O"), **dict.fromkeys("Il1|!T]JL", "I"), "5": "S",
                               "$": "S", "8": "B", **dict.fromkeys("(G", "C"), "€": "E", "£": "E"})
_LABEL_WORDS = ("dtc", "code", "error", "err", "fault", "alarm", "fehler", "fehlercode", "codigo", "código",
                "erreur", "errore", "codice")
_MIN_LABEL = 3


def _label_form(word: str) -> str:
    return word.upper().translate(_LABEL_GLYPHS)


_LABEL_FORMS = frozenset(_label_form(w) for w in _LABEL_WORDS)


def is_garbled_label(word: str, label: str | None = None) -> bool:
    """True when a word is an error label (or the given one), read as is or with confused glyphs (DTC as OTC)."""
    forms = _LABEL_FORMS if label is None else {_label_form(label)}
    return len(word) >= _MIN_LABEL and not word.isdigit() and _label_form(word) in forms


_LAST_WORD = re.compile(r"([^\s:：#=.]{3,12})\s*[:：#=.]?\s*$")


# Long captions read with a glyph or two wrong ("Stérung", "St6erung"): words of seven or more glyphs are compared with
# the long introducers by edit distance (one edit for seven glyphs, two from eight on). Introducers one edit from a
# common word are left out (storing: string; defaut: default).
_LONG_INTRODUCERS = tuple(sorted({w for w in re.split(r"\|", f"{_INTRODUCERS}|{_ID_CAPTIONS}")
                                  if len(w) >= 6 and w.isascii() and w.isalpha()} - {"storing", "defaut"}))


def _edits(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of a and b, or limit + 1 once it exceeds limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
        if min(row) > limit:
            return limit + 1
    return row[-1]


def is_near_introducer(word: str) -> bool:
    """True when a word of seven or more glyphs is a long introducer read with a glyph or two wrong (Stérung)."""
    w = fold(word).lower()
    if len(w) < 7 or sum(ch.isalpha() for ch in w) < len(w) - 1:
        return False
    limit = 1 if len(w) == 7 else 2
    return any(k[0] == w[0] and _edits(w, k, limit) <= limit for k in _LONG_INTRODUCERS)


def has_keyword(text: str) -> bool:
    """True when the text shows an error keyword in any of the known languages."""
    text = fold(text)
    return bool(_LATIN_KEYWORD.search(text) or _CJK_KEYWORD.search(text)
                or _CJK_KEYWORD.search(re.sub(r"\s+", "", text)))


def keyword_before(line: str, start: int) -> bool:
    """True when an error keyword or label ends right before position start of line ("Error code: |0x...")."""
    before = fold(line[max(0, start - _LABEL_WINDOW):start])
    if _NOT_ERROR_CODE.search(before):
        return False
    if _INTRODUCED.search(before) or _INTRODUCED.search(re.sub(r"(?<=[^\x00-\x7f])\s+", "", before)):
        return True
    last = _LAST_WORD.search(before)
    return last is not None and (is_garbled_label(last.group(1)) or is_near_introducer(last.group(1)))


def is_caption(text: str) -> bool:
    """True when a line is an error caption alone ("Error code", "ALARM", "Fehlernummer:"): it labels the line below."""
    text = fold(text)
    words = [w for w in re.split(r"[\s:：#=]+", text) if any(ch.isalnum() for ch in w)]
    # Short function words join a caption's words ("Código de error", "ID do erro").
    if len(words) == 1 and is_near_introducer(words[0]):
        return True
    if not words or len(words) > 4 or not _INTRODUCED.search(text.rstrip() + " ") or _NOT_ERROR_CODE.search(text):
        return False
    # One word of its own may qualify the caption ("Support Code", "Machine Error"), not more ("Tray 2 error").
    others = [w for w in words if not (
        has_keyword(w) or _ID_CAPTION.fullmatch(w) or re.fullmatch(r"(?i)code|no\.?|nr\.?|number|num|id", w)
        or (len(w) <= 2 and w.isalpha() and w.islower()))]
    return len(others) == 0 or len(others) == 1 and others[0].isalpha()


def is_keyword(token: str) -> bool:
    """True when a whole token is an error keyword (its own prefix vouches for ERR-1024, ALM 021)."""
    return bool(re.fullmatch(f"{_INTRODUCERS}|{_MENTIONS}", fold(token), re.IGNORECASE))


# Prominence: a code is usually the biggest text on an error screen, or stands on a line of its own.
LARGE_GLYPHS = 1.4  # word height over the screen's median word height that counts as large (titles ~1.3-2x)
MIN_WORDS_FOR_SIZE = 3  # fewer words give no meaningful median height


def median_height(words: list[OcrWord]) -> float | None:
    """Median box height of a screen's words, or None when there are too few to compare against."""
    heights = [w.box[3] for w in words if sum(ch.isalnum() for ch in w.text) >= 1 and w.box[3] > 0]
    return float(median(heights)) if len(heights) >= MIN_WORDS_FOR_SIZE else None


def is_large(word: OcrWord | None, screen_median: float | None) -> bool:
    """True when the word is drawn markedly larger than the screen's typical text."""
    return word is not None and screen_median is not None and word.box[3] >= LARGE_GLYPHS * screen_median
