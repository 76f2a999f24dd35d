"""Which language the customer wrote in, roughly: the offline model writes English only, so a
ticket in another language gets its facts checked and is handed to a person, not answered with
a guess."""

from __future__ import annotations

import re

# Frequent short words that are not English words (or not frequent ones).
MARKERS: dict[str, frozenset[str]] = {
    name: frozenset(words.split())
    for name, words in {
        "Spanish": "el los las que del por para pedido hola gracias mi ha llegado está estoy pero"
        " con una muy todavía cuando dónde compra semana días",
        "German": "der die das und ist nicht ich mein meine bestellung hallo danke noch mit eine"
        " wurde habe bitte schon keine",
        "French": "les est pas je mon ma commande bonjour merci pour une avec été toujours"
        " reçu mais ai",
        "Italian": "il che non per mio mia ordine ciao grazie ancora una sono stato ho ricevuto",
        "Portuguese": "os não meu minha olá obrigado ainda uma foi recebi encomenda",
        "Dutch": "het een niet ik mijn bestelling hallo bedankt nog met heb ontvangen",
    }.items()
}
ENGLISH = frozenset(
    "the and is not my order hello thanks with was has have it to of for you this that please"
    " hi can your are what when where still".split()
)
SCRIPTS = (
    ("Chinese or Japanese", re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")),
    ("Korean", re.compile(r"[\uac00-\ud7af]")),
    ("Russian or another Cyrillic language", re.compile(r"[\u0400-\u04ff]")),
    ("Arabic", re.compile(r"[\u0600-\u06ff]")),
    ("Greek", re.compile(r"[\u0370-\u03ff]")),
    ("Hebrew", re.compile(r"[\u0590-\u05ff]")),
)
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def language_of(text: str) -> str:
    """ "English", or the language (or script) the text is most likely in."""
    letters = [c for c in text if c.isalpha()]
    if letters:
        for name, pattern in SCRIPTS:
            if len(pattern.findall(text)) / len(letters) > 0.3:
                return name
    words = [w.lower() for w in WORD.findall(text)]
    english = sum(w in ENGLISH for w in words)
    best, hits = max(
        ((name, sum(w in markers for w in words)) for name, markers in MARKERS.items()),
        key=lambda pair: pair[1],
    )
    return best if hits >= 3 and hits > english else "English"
