"""Context around a code-like token: error keywords in several languages, labels, and prominence on screen."""

from __future__ import annotations

import re
import unicodedata
from statistics import median

from diagnostics.ocr import OcrWord

# OCR often reads an accented letter without its accent or with another (Störung as Storung, Avería as Averia, Błąd as
# Blad): keywords are matched on text folded to plain letters, one character for one, so positions stay the same.
# A letter folds to its base when it decomposes into a base and combining marks (é, ę, ş, ř, ỗ, ά), plus the few
# letters that do not decompose (ł, ı, đ, ø); only Latin, Greek and Cyrillic letters (kana keep their marks).
_FOLD_EXTRA = {"ł": "l", "Ł": "L", "ı": "i", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ħ": "h", "ŧ": "t"}


class _FoldTable(dict[int, str]):
    """str.translate table filled on first sight of each character."""

    def __missing__(self, key: int) -> str:
        ch = chr(key)
        base = _FOLD_EXTRA.get(ch)
        if base is None and (key < 0x530 or 0x1E00 <= key < 0x2000):  # Latin, Greek, Cyrillic (not kana: ド)
            nfd = unicodedata.normalize("NFD", ch)
            base = nfd[0] if len(nfd) > 1 and all(unicodedata.combining(c) for c in nfd[1:]) else ch
        self[key] = base = base or ch
        return base


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """The text with accented letters made plain (one character for one)."""
    return text if text.isascii() else text.translate(_FOLD)


# Devices ship in every language: a caption names the code in the language of the screen. The words below say
# "error", "fault", "alarm", "code", "trouble" (introducers: they make a screen an error screen and introduce the
# token after them) in about thirty languages, with the inflected forms captions use (Polish "Kod błędu", Russian
# "Код ошибки", Greek "Κωδικός σφάλματος", Turkish "Hata kodu", Czech "Kód chyby", Finnish "Virhekoodi").
_INTRODUCER_WORDS = {
    "en": "error err fault flt alarm alm code dtc bugcheck alert trouble trbl call~service service~call "
          "service~code support~code code~support",
    "de": "fehler fehlercode fehlernummer fehlernr störung stoerung störcode störungscode warnung alarmcode",
    "es": "código codigo fallo alarma avería averia alerta",
    "fr": "erreur défaut defaut panne alarme alerte",
    "it": "errore guasto codice allarme avviso anomalia",
    "pt": "erro falha avaria alarme",
    "nl": "fout foutcode storing storingscode foutmelding storingsmelding",
    "sv": "fel felkod larm felmeddelande",
    "da no": "fejl fejlkode feil feilkode",
    "fi": "virhe virhekoodi vika vikakoodi hälytys",
    "pl": "błąd błędu błędy błędów kod kodu usterka usterki awaria awarii alarmu",
    "cs sk": "chyba chyby chybový chybovy kód porucha poruchy poplach",
    "hu": "hiba hibakód hibaüzenet riasztás",
    "ro": "eroare erori eroarea defecțiune defectiune alarmă",
    "tr": "hata hatası hatasi kodu arıza arızası ariza arizasi",
    "hr sr sl bs": "greška pogreška kvar šifra napaka",
    "lt lv et": "klaida kļūda kluda viga veakood",
    "id ms": "kesalahan galat ralat kode kerusakan",
    "vi": "lỗi mã~lỗi sự~cố báo~động",
    "uk2": "тривога тривоги",
    "ru uk bg sr": "ошибка ошибки ошибку ошибок код кода неисправность неисправности авария аварии "
                   "помилка помилки несправність аварія грешка повреда квар",
    "el": "σφάλμα σφάλματος σφάλματα βλάβη βλάβης κωδικός κωδικού συναγερμός συναγερμού",
    "ko": "오류 에러 고장 코드 경고 알람 경보 이상",
    "ar fa ur": "خطأ الخطأ رمز عطل خلل إنذار تنبيه خطا کد خرابی",
    "ka hy kk az sq eu": "შეცდომა սխալ қате xəta gabim errorea",
}
# Words that only say an error is shown ("Service 2 of 3", "Stop at 12", "Cash dispenser out of order").
_MENTION_WORDS = {
    "en": "errors failure failed fail service stop stopped interrupted blocked warning jam malfunction exception "
          "panic time-out timeout timed~out not~responding out~of~service out~of~order shut~down unavailable "
          "not~available not~possible cannot unable overheat overheated overload overloaded collision emergency "
          "abnormal defective inoperative locked~out not~working out~of~operation",
    "de es it pt": "servicio servizio serviço kundendienst servicefehler defekt ausfall gestoppt unterbrochen "
                   "blockiert falla detenida detenido interrumpida arrestata interrotta interrompida "
                   "außer~betrieb fuera~de~servicio fuori~servizio fora~de~serviço",
    "fr": "défaillance avertissement hors~service impossible bloqué bloquée arrêté arrêtée",
    "de2": "gesperrt nicht~möglich außer~funktion",
    "es it pt2": "bloqueado bloqueada no~es~posible impossibile bloccato bloccata parado parada não~é~possível",
    "nl sv da no fi": "defect mislukt varning advarsel varoitus virheellinen buiten~gebruik ur~funktion "
                      "geblokkeerd niet~mogelijk gestopt inte~möjlig inte~möjligt spärrad blockerad stoppad ur~drift "
                      "ikke~mulig",
    "pl cs hu ro tr": "nieczynny nieudana ostrzeżenie varování figyelmeztetés avertizare uyarı arızalı başarısız "
                      "zatrzymana zatrzymany nie~działa mimo~provoz zastavena zastaven zastaveno není~možné "
                      "nefunguje zablokováno nem~lehetséges çalışmıyor durdu kilitli",
    "id vi": "peringatan gagal cảnh~báo không~thể ngừng~hoạt~động đã~dừng tạm~ngưng đã~khóa bị~hỏng bị~khóa",
    "ru uk el": "сбой сбоя предупреждение тревога несправний αποτυχία προειδοποίηση не~работает остановлен "
                "остановлена заблокирован не~працює зупинено зупинена заблоковано εκτός~λειτουργίας",
}
# Captions that name a number an event, state, message or alert id ("Event 3401", "STATE 306", "Melding: KSS06664")
# but say nothing of an error on their own: a screen titled "Event log" or "Printer status" is no error screen. They
# introduce the token right after them (and a stacked row), never vouch for the screen or the line.
_ID_CAPTION_WORDS = {
    "en": "event evt state status message msg",
    "de es fr it pt": "ereignis zustand meldung evento estado mensaje événement evenement état etat message "
                      "stato messaggio mensagem",
    "nl sv da no fi": "gebeurtenis melding händelse meddelande hændelse meddelelse hendelse tapahtuma viesti tila",
    "pl cs hu ro tr": "zdarzenie zdarzenia komunikat alertu událost zpráva stav esemény üzenet eveniment mesaj "
                      "olay mesaj durum uyarı",
    "id vi": "kejadian pesan peristiwa trạng~thái",
    "ru uk el": "событие события сообщение состояние оповещения подія повідомлення стан "
                "συμβάν μήνυμα κατάσταση ειδοποίησης ειδοποίηση",
    "ko ar fa": "이벤트 상태 메시지 알림 حدث الحالة رسالة رویداد",
}
# Scripts without word spaces, or whose words take prefixes: matched anywhere (OCR often spaces their characters out,
# see has_keyword). Chinese, Japanese, Thai, Devanagari, Hebrew.
_CJK_INTRODUCERS = (r"错误|錯誤|故障|代码|代碼|报警|報警|告警|警报|警報|异常|異常|出错|エラー|コード|障害|アラーム|"
                    r"サービスコール|サポート番号|维修代码|"
                    r"ข้อผิดพลาด|ความผิดปกติ|รหัส|สัญญาณเตือน|ปัญหา|"
                    r"त्रुटि|त्रुटी|खराबी|गड़बड़ी|कोड|अलार्म|"
                    r"שגיאה|תקלה|קוד|אזעקה|התראה|"
                    r"ত্রুটি|কোড|অ্যালার্ম|பிழை|குறியீடு|அலாரம்|లోపం|ತಪ್ಪು")  # Bengali, Tamil, Telugu, Kannada
_CJK_MENTIONS = (r"警告|失败|失敗|停止|中断|ขัดข้อง|ไม่สำเร็จ|ไม่ทำงาน|विफल|चेतावनी|נכשל|"
                 r"सम्भव नहीं|संभव नहीं|बंद हो गया|সম্ভব নয়|বন্ধ হয়েছে|நின்றது|முடியாது|לא ניתן|חסום|נעול")
_CJK_ID_CAPTIONS = r"事件|状态|狀態|イベント|状態|メッセージ|เหตุการณ์|ข้อความ|การแจ้งเตือน|สถานะ|घटना|संदेश|अलर्ट|स्थिति|אירוע|הודעה|מצב|סטטוס|நிலை|অবস্থা|স্থিতি"


def _alternation(table: dict[str, str]) -> str:
    """The table's words (space-separated; ~ joins a phrase's words) folded, longest first, as a regex alternation."""
    words = {fold(w) for text in table.values() for w in text.split()}
    return "|".join(r"\s+".join(map(re.escape, w.split("~"))) for w in sorted(words, key=lambda w: (-len(w), w)))


_INTRODUCERS = _alternation(_INTRODUCER_WORDS)
_ID_CAPTIONS = _alternation(_ID_CAPTION_WORDS)
_MENTIONS = _alternation(_MENTION_WORDS)
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
    r"(?:[\s-]*(?:code|no\.?|nr\.?|number|num|id|#|代码|编号|編號|コード|codigo|番号|号|번호|코드|kodu|kod|kode|"
    r"koodi|код|ид|आईडी|아이디|码|碼|numero|número|numéro|nummer|номер|αριθμός))?"
    r"\s*[:：#=\-]?\s*(?:[#(\[]|\*{1,3})?\s*$", re.IGNORECASE)  # "Alarm: ** 7955": severity stars
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
# Only the western European words are compared: each language added widens what a misread word can hit.
_FUZZY_TABLES = ("en", "de", "es", "fr", "it", "pt")
_LONG_INTRODUCERS = tuple(sorted({fold(w) for table in (_INTRODUCER_WORDS, _ID_CAPTION_WORDS)
                                  for key, text in table.items() if set(key.split()) & set(_FUZZY_TABLES)
                                  for w in text.split()
                                  if len(w) >= 6 and fold(w).isascii() and w.isalpha()}
                                 - {"storing", "defaut", "meldung", "mensagem", "mensaje", "message", "messaggio"}))


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


# Labels that name a code only with a colon after them, as written: Vietnamese "Mã:" (code) folds to "ma", which is a
# milliampere elsewhere ("5 mA"); a power-on self-test's "POST:" (computers, medical devices); an electricity meter's
# error register "F.F:" / "F.F.0:" (IEC 62056 OBIS, every such meter).
_COLON_LABEL = re.compile(r"(?<![^\W\d_.])(?:(?i:mã|mã số)\s*[:：]|(?:POST|F\.F(?:\.0)?)\s*[:：.])\s*$")


def keyword_before(line: str, start: int) -> bool:
    """True when an error keyword or label ends right before position start of line ("Error code: |0x...")."""
    if _COLON_LABEL.search(line[max(0, start - _LABEL_WINDOW):start]):
        return True
    before = fold(line[max(0, start - _LABEL_WINDOW):start])
    if _NOT_ERROR_CODE.search(before):
        return False
    if _INTRODUCED.search(before) or _INTRODUCED.search(re.sub(r"(?<=[^\x00-\x7f])\s+", "", before)):
        return True
    last = _LAST_WORD.search(before)
    return last is not None and (is_garbled_label(last.group(1)) or is_near_introducer(last.group(1)))


def label_start(line: str, start: int) -> int | None:
    """Where the error label right before position start begins ("Error code: |E-204" -> 0), or None without one."""
    lo = max(0, start - _LABEL_WINDOW)
    before = fold(line[lo:start])
    if _NOT_ERROR_CODE.search(before):
        return None
    m = _INTRODUCED.search(before)
    if m is None:
        last = _LAST_WORD.search(before)
        if last is None or not (is_garbled_label(last.group(1)) or is_near_introducer(last.group(1))):
            return None
        return lo + last.start()
    # A label of two words ("Kod błędu", "Machine Error") starts at its first word when that word is a caption too.
    head = lo + m.start()
    prev = re.search(r"(\S+)\s+$", line[lo:head])
    if prev and (has_keyword(prev.group(1)) or _ID_CAPTION.fullmatch(fold(prev.group(1))) or
                 re.fullmatch(r"(?i)id|\w{1,12}", prev.group(1)) and prev.group(1)[:1].isupper()):
        head = lo + prev.start(1)
    return head


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


# Captions devices abbreviate and print glued to the number as the code's own name ("Err 23", "ALM 021", "FLT 12"):
# such a label is part of the code, unlike a caption word written out ("Error 46").
_ABBREVIATED_CAPTIONS = frozenset({"err", "er", "alm", "al", "flt", "trbl", "evt", "msg", "fehl", "stö"})


def is_abbreviated_caption(token: str) -> bool:
    """True when a token is an abbreviated caption that devices print as part of the code (Err, ALM, FLT)."""
    # In capitals, or capitalised when three letters or more: "al 50" and "er 5" are words of a sentence.
    return token.lower() in _ABBREVIATED_CAPTIONS and (token.isupper() or token.istitle() and len(token) >= 3)


def is_caption_word(token: str) -> bool:
    """True when a whole token is a caption word of any kind: error keyword, or event/state/message id caption."""
    return is_keyword(token) or bool(_ID_CAPTION.fullmatch(fold(token)))


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
