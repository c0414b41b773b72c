"""Lexical side of the search: tokens for BM25 (bm25s) and a Korean-English ops glossary.

Korean has no spaces between a word and its endings, so Hangul runs also give character
bigrams; English words are lower-cased, lightly stemmed, and CamelCase alert names are split
into their words as well as kept whole. Korean questions about English runbooks share no words
with them, so `expand` adds the English for the ops terms a question uses (data/glossary).
"""

from __future__ import annotations

import re
from functools import lru_cache

from services.config import DATA_DIR

GLOSSARY = DATA_DIR / "glossary" / "ko_en.tsv"
STOP = set(
    "a an and are as at be by for from has have how i if in is it its my of on or our so that the this to "
    "was what when where which why with we you your do does did can could should would there their them "
    "they not no yes all any some been being into out up down over".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*|[0-9]+|[\uac00-\ud7a3]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


# Words ops people write both in full and cut short: one token for both, in runbooks and questions.
SHORT_FORMS = {
    "maximum": "max",
    "maxed": "max",
    "minimum": "min",
    "configuration": "config",
    "configurations": "config",
    "authentication": "auth",
    "certificate": "cert",
    "certificates": "cert",
    "database": "db",
    "databases": "db",
    "kubernetes": "k8s",
    "memory": "mem",
    "directory": "dir",
    "directories": "dir",
    "information": "info",
    "connection": "conn",
    "connections": "conn",
    "utilization": "usage",
    "utilisation": "usage",
    "percentage": "percent",
}


def _stem(word: str) -> str:
    if word in SHORT_FORMS:
        return SHORT_FORMS[word]
    for suffix, keep in (("ing", 4), ("ies", 3), ("es", 4), ("ed", 4), ("s", 3)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def tokens(text: str) -> list[str]:
    out: list[str] = []
    for word in _WORD.findall(text):
        if HANGUL.match(word):
            out.append(word)
            out.extend(word[i : i + 2] for i in range(len(word) - 1) if len(word) > 2)
            continue
        lower = word.lower()
        if lower in STOP:
            continue
        out.append(_stem(lower))
        parts = [p.lower() for p in _CAMEL.findall(word)]
        if len(parts) > 1:
            out.extend(_stem(p) for p in parts if p not in STOP)
    return out


@lru_cache(maxsize=1)
def glossary() -> tuple[tuple[str, str], ...]:
    """(Korean term, English words), longest terms first."""
    pairs = []
    if GLOSSARY.is_file():
        for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#") and "\t" in line:
                ko, en = line.split("\t", 1)
                pairs.append((ko.strip(), en.strip()))
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def expand(query: str) -> str:
    """The query plus the English of the Korean ops terms in it."""
    if not HANGUL.search(query):
        return query
    extra, rest = [], query
    for ko, en in glossary():  # longest first; a term inside a longer matched one is not added again
        if ko in rest:
            extra.append(en)
            rest = rest.replace(ko, " ")
    return f"{query} {' '.join(extra)}" if extra else query
