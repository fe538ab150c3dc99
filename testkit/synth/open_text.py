"""What open-set screens say: captions in six languages, messages, and the ordinary numbers around codes.

A screen's content is a list of lines with roles; the truth is only the code. Ordinary numbers (clock times,
dates, temperatures, prices, model names, firmware versions, addresses ...) are drawn at random too, always
in the shape devices print them (a temperature carries its unit, a price its currency).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from testkit.synth.formats import CodeFormat

LANGS: tuple[str, ...] = ("en", "zh", "de", "es", "fr", "ja")
LANG_WEIGHTS: tuple[float, ...] = (0.4, 0.12, 0.12, 0.12, 0.12, 0.12)

# Caption words devices put before a code, per role and language. Roles whose caption must touch the code
# (the number alone means nothing) are in ADJACENT_ROLES.
CAPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "error": {"en": ("Error code:", "Error:", "Code:"), "zh": ("错误代码：", "故障代码"), "de": ("Fehlercode:", "Fehler:"),
              "es": ("Código de error:", "Error:"), "fr": ("Code d'erreur :", "Erreur :"), "ja": ("エラーコード：", "エラー:")},
    "service": {"en": ("SERVICE ERROR", "Call service", "Service call"), "zh": ("维修代码", "请联系维修"),
                "de": ("Servicefehler", "Kundendienst rufen"), "es": ("Error de servicio", "Llame al servicio técnico"),
                "fr": ("Erreur de service", "Appeler le SAV"), "ja": ("サービスコール", "サービスエラー")},
    "support": {"en": ("Support Code:",), "zh": ("支持代码：",), "de": ("Support-Code:",), "es": ("Código de soporte:",),
                "fr": ("Code support :",), "ja": ("サポート番号：",)},
    "error_word": {"en": ("Error",), "zh": ("错误",), "de": ("Fehler",), "es": ("Error",), "fr": ("Erreur",),
                   "ja": ("エラー",)},
    "machine_error": {"en": ("Machine Error",), "zh": ("机器错误",), "de": ("Gerätefehler",), "es": ("Error de máquina",),
                      "fr": ("Erreur machine",), "ja": ("本体エラー",)},
    "fault": {"en": ("Fault code:", "Fault"), "zh": ("故障代码：",), "de": ("Störung", "Störcode:"),
              "es": ("Código de avería:", "Avería"), "fr": ("Code défaut :", "Défaut"), "ja": ("故障コード：", "異常")},
    "stop": {"en": ("Stop code:",), "zh": ("停止代码：",), "de": ("Stoppcode:",), "es": ("Código de detención:",),
             "fr": ("Code d'arrêt :",), "ja": ("停止コード：",)},
    "alarm": {"en": ("Alarm", "ALARM:"), "zh": ("报警",), "de": ("Alarm",), "es": ("Alarma",), "fr": ("Alarme",),
              "ja": ("アラーム",)},
    "code_word": {"en": ("Code",), "zh": ("代码",), "de": ("Code",), "es": ("Código",), "fr": ("Code",), "ja": ("コード",)},
    "dtc": {"en": ("DTC:", "Trouble code:"), "zh": ("故障码：",), "de": ("Fehlercode:",), "es": ("Código DTC:",),
            "fr": ("Code défaut :",), "ja": ("故障コード：",)},
}
ADJACENT_ROLES = frozenset({"error_word", "machine_error", "code_word"})

MESSAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "printer": {"en": ("Turn the printer off, then on.", "Contact your service representative."),
                "zh": ("请关闭打印机电源后重新开启。", "请联系维修服务。"),
                "de": ("Drucker aus- und wieder einschalten.", "Wenden Sie sich an den Kundendienst."),
                "es": ("Apague la impresora y vuelva a encenderla.", "Llame al servicio técnico."),
                "fr": ("Éteignez puis rallumez l'imprimante.", "Contactez le service après-vente."),
                "ja": ("プリンターの電源を入れ直してください。", "サービスに連絡してください。")},
    "appliance": {"en": ("Check the drain hose.", "Unplug and restart the appliance."),
                  "zh": ("请检查排水管。", "请断电后重新启动。"),
                  "de": ("Ablaufschlauch prüfen.", "Gerät vom Netz trennen und neu starten."),
                  "es": ("Revise la manguera de desagüe.", "Desenchufe y reinicie el aparato."),
                  "fr": ("Vérifiez le tuyau de vidange.", "Débranchez et redémarrez l'appareil."),
                  "ja": ("排水ホースを確認してください。", "電源プラグを抜いて再起動してください。")},
    "pc": {"en": ("Your PC ran into a problem and needs to restart.", "Something went wrong."),
           "zh": ("你的电脑遇到问题，需要重新启动。", "出现问题。"),
           "de": ("Auf Ihrem PC ist ein Problem aufgetreten.", "Etwas ist schiefgelaufen."),
           "es": ("Su PC tuvo un problema y necesita reiniciarse.", "Algo salió mal."),
           "fr": ("Votre PC a rencontré un problème.", "Une erreur s'est produite."),
           "ja": ("PC に問題が発生したため、再起動が必要です。", "問題が発生しました。")},
    "network": {"en": ("Connection failed", "Check the cable and restart the router."),
                "zh": ("连接失败", "请检查网线并重启路由器。"),
                "de": ("Verbindung fehlgeschlagen", "Kabel prüfen und Router neu starten."),
                "es": ("Conexión fallida", "Revise el cable y reinicie el router."),
                "fr": ("Échec de la connexion", "Vérifiez le câble et redémarrez le routeur."),
                "ja": ("接続に失敗しました", "ケーブルを確認してルーターを再起動してください。")},
    "pos": {"en": ("Transaction declined", "Card reader error. Try again."),
            "zh": ("交易失败", "读卡器错误，请重试。"),
            "de": ("Transaktion abgelehnt", "Kartenleser-Fehler. Erneut versuchen."),
            "es": ("Transacción rechazada", "Error del lector. Inténtelo de nuevo."),
            "fr": ("Transaction refusée", "Erreur du lecteur. Réessayez."),
            "ja": ("取引が拒否されました", "カードリーダーエラー。もう一度お試しください。")},
    "vehicle": {"en": ("Check engine", "Fault stored in memory"), "zh": ("发动机故障", "已存储故障"),
                "de": ("Motorkontrolle", "Fehler gespeichert"), "es": ("Revise el motor", "Fallo almacenado"),
                "fr": ("Contrôle moteur", "Défaut mémorisé"), "ja": ("エンジンチェック", "故障を記録しました")},
    "industrial": {"en": ("Pump stopped", "Acknowledge the alarm and check the sensor."),
                   "zh": ("泵已停止", "请确认报警并检查传感器。"),
                   "de": ("Pumpe gestoppt", "Alarm quittieren und Sensor prüfen."),
                   "es": ("Bomba detenida", "Confirme la alarma y revise el sensor."),
                   "fr": ("Pompe arrêtée", "Acquittez l'alarme et vérifiez le capteur."),
                   "ja": ("ポンプ停止", "アラームを確認し、センサーを点検してください。")},
    "generic": {"en": ("Operation failed", "Please contact support."), "zh": ("操作失败", "请联系技术支持。"),
                "de": ("Vorgang fehlgeschlagen", "Bitte den Support kontaktieren."),
                "es": ("La operación falló", "Póngase en contacto con soporte."),
                "fr": ("L'opération a échoué", "Veuillez contacter le support."),
                "ja": ("操作に失敗しました", "サポートにお問い合わせください。")},
}

# What a screen without an error says on top (status words).
STATUS: dict[str, tuple[str, ...]] = {
    "en": ("Ready", "Printing", "Washing", "Connected", "Cooling", "Online", "Approved", "Idle"),
    "zh": ("就绪", "正在打印", "洗涤中", "已连接", "制冷", "在线"),
    "de": ("Bereit", "Druckt", "Waschen", "Verbunden", "Kühlen", "Online"),
    "es": ("Listo", "Imprimiendo", "Lavando", "Conectado", "Enfriando", "En línea"),
    "fr": ("Prêt", "Impression", "Lavage", "Connecté", "Refroidissement", "En ligne"),
    "ja": ("準備完了", "印刷中", "洗濯中", "接続済み", "冷房", "オンライン"),
}


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _d(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1))


def _hex(rng: np.random.Generator, n: int) -> str:
    return "".join(_pick(rng, "0123456789ABCDEF") for _ in range(n))


def _upper(rng: np.random.Generator, n: int) -> str:
    return "".join(_pick(rng, "ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(n))


# Each returns one line holding an ordinary number, written the way screens print it.
ORDINARY: dict[str, Callable[[np.random.Generator], str]] = {
    "clock": lambda r: _pick(r, (f"{_d(r, 0, 23):02d}:{_d(r, 0, 59):02d}", f"{_d(r, 1, 12)}:{_d(r, 0, 59):02d} PM")),
    "date": lambda r: _pick(r, (f"{_d(r, 1, 28):02d}.{_d(r, 1, 12):02d}.{_d(r, 2019, 2026)}",
                                f"{_d(r, 2019, 2026)}-{_d(r, 1, 12):02d}-{_d(r, 1, 28):02d}",
                                f"{_d(r, 1, 12):02d}/{_d(r, 1, 28):02d}/{_d(r, 2019, 2026)}")),
    "datetime": lambda r: f"{_d(r, 1, 28):02d}.{_d(r, 1, 12):02d}.{_d(r, 2019, 2026)} {_d(r, 0, 23):02d}:{_d(r, 0, 59):02d}",
    "temperature": lambda r: _pick(r, (f"{_d(r, 15, 35)}.{_d(r, 0, 9)}°C", f"Temp {_d(r, 20, 90)} °C", f"{_d(r, 60, 95)}°F")),
    "percent": lambda r: f"{_pick(r, ('Toner', 'Battery', 'Ink', 'Humidity', 'Progress'))} {_d(r, 1, 100)}%",
    "price": lambda r: _pick(r, (f"€{_d(r, 1, 999)}.{_d(r, 0, 99):02d}", f"${_d(r, 1, 999)}.{_d(r, 0, 99):02d}",
                                 f"Total: {_d(r, 1, 999)},{_d(r, 0, 99):02d} €")),
    "pages": lambda r: _pick(r, (f"Pages: {_d(r, 100, 99999)}", f"Page {_d(r, 1, 9)} of {_d(r, 10, 40)}",
                                 f"Copies: {_d(r, 1, 99)}")),
    "model": lambda r: _pick(r, (f"M{_d(r, 100, 999)}{_pick(r, ('dn', 'dw', 'fdw', 'n'))}",
                                 f"MFC-L{_d(r, 1000, 9999)}DW", f"HL-{_d(r, 1000, 9999)}DW",
                                 f"WM{_d(r, 10, 16)}N{_d(r, 100, 299)}", f"Model: KX-TG{_d(r, 1000, 9999)}")),
    "firmware": lambda r: _pick(r, (f"v{_d(r, 1, 9)}.{_d(r, 0, 20)}.{_d(r, 0, 30)}",
                                    f"FW {_d(r, 1, 9)}.{_d(r, 10, 99)}.{_d(r, 0, 99)}",
                                    f"Firmware {_d(r, 1, 9)}.{_d(r, 0, 9)}.{_d(r, 0, 9)}")),
    "ip": lambda r: f"IP {_pick(r, ('192.168', '10.0', '172.16'))}.{_d(r, 0, 254)}.{_d(r, 1, 254)}",
    "mac": lambda r: "MAC " + ":".join(_hex(r, 2) for _ in range(6)),
    "serial": lambda r: _pick(r, (f"S/N: {_upper(r, 3)}{_d(r, 1, 9)}{_upper(r, 1)}{_d(r, 10000, 99999)}",
                                  f"Serial {_upper(r, 2)}{_d(r, 10, 99)}{_upper(r, 1)}{_d(r, 1000, 9999)}")),
    "phone": lambda r: _pick(r, (f"+49 {_d(r, 30, 89)} {_d(r, 1000000, 9999999)}",
                                 f"1-800-{_d(r, 200, 999)}-{_d(r, 1000, 9999)}", f"Tel. 0{_d(r, 100, 999)} {_d(r, 100000, 999999)}")),
    "order": lambda r: _pick(r, (f"Order #{_d(r, 100000, 999999)}", f"Receipt no. {_d(r, 1000, 99999)}")),
    "counter": lambda r: _pick(r, (f"Spin {_d(r, 4, 16)}00 rpm", f"Time left {_d(r, 0, 2)}:{_d(r, 0, 59):02d}",
                                   f"Set {_d(r, 16, 30)}°C", f"Pressure {_d(r, 1, 2)}.{_d(r, 0, 9)} bar")),
    "build": lambda r: f"Build {_d(r, 19041, 26100)}.{_d(r, 100, 9999)}",
}


@dataclass(frozen=True, slots=True)
class ScreenLine:
    """One line of a screen: its text and what it is ("title", "code", "text", "number")."""

    text: str
    role: str


@dataclass(frozen=True, slots=True)
class ScreenContent:
    """Everything a screen shows, and the truth: the code ("" if none) and the spellings that count."""

    lines: tuple[ScreenLine, ...]
    code: str
    accept: tuple[str, ...]
    lang: str
    kind: str


def ordinary_line(rng: np.random.Generator) -> str:
    """A line with an ordinary (non-code) number."""
    return ORDINARY[_pick(rng, list(ORDINARY))](rng)


def pick_lang(rng: np.random.Generator) -> str:
    """A language, English most often."""
    return LANGS[int(rng.choice(len(LANGS), p=LANG_WEIGHTS))]


def error_content(fmt: CodeFormat, rng: np.random.Generator, lang: str, distractors: int) -> ScreenContent:
    """An error screen of this format: caption and code, messages, and `distractors` ordinary-number lines."""
    code = fmt.draw(rng)
    shown = f"{fmt.prefix} {code}" if fmt.prefix else code
    lines: list[ScreenLine] = []
    if fmt.caption:
        caption = _pick(rng, CAPTIONS[fmt.caption][lang])
        if fmt.caption in ADJACENT_ROLES or rng.random() < 0.6:
            sep = "" if caption.endswith(("：", ":")) and lang in ("zh", "ja") else " "
            lines.append(ScreenLine(f"{caption}{sep}{shown}", "code"))
        else:
            lines += [ScreenLine(caption, "title"), ScreenLine(shown, "code")]
    else:
        lines.append(ScreenLine(shown, "code"))
    messages = MESSAGES[fmt.kind][lang]
    for msg in rng.permutation(len(messages))[: _d(rng, 0, len(messages))]:
        lines.append(ScreenLine(messages[int(msg)], "text"))
    for _ in range(distractors):
        lines.insert(_d(rng, 0, len(lines)), ScreenLine(ordinary_line(rng), "number"))
    return ScreenContent(tuple(lines), code, fmt.accepted(code), lang, fmt.kind)


def negative_content(rng: np.random.Generator, lang: str) -> ScreenContent:
    """A screen without an error code: a status word and 2-4 lines full of ordinary numbers."""
    lines = [ScreenLine(_pick(rng, STATUS[lang]), "title")]
    lines += [ScreenLine(ordinary_line(rng), "number") for _ in range(_d(rng, 2, 4))]
    return ScreenContent(tuple(lines), "", (), lang, _pick(rng, list(MESSAGES)))
