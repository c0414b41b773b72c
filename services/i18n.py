"""The UI's languages: one catalogue file per language in data/i18n/, texts looked up by stable keys.

A catalogue is TOML: `[overview]` then `title = "Overview"` is the key `overview.title`. Values
are `str.format` templates with named placeholders (`{count}`); both languages must have the same
keys and, per key, the same placeholders (tests/test_i18n.py checks both). English is the
reference: a key missing from English is a programming error, one missing from Korean is shown
in English and logged.
"""

from __future__ import annotations

import logging
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from services.config import DATA_DIR

CATALOGUE_DIR = DATA_DIR / "i18n"
log = logging.getLogger(__name__)


class Language(StrEnum):
    EN = "en"
    KO = "ko"

    @classmethod
    def from_locale(cls, locale: str | None) -> Language:
        """The browser's language tag ("ko-KR", "ko") as a UI language; anything else is English."""
        return cls.KO if (locale or "").lower().replace("_", "-").split("-")[0] == "ko" else cls.EN


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat |= _flatten(value, f"{key}.")
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise ValueError(f"{key}: a catalogue value must be a string, not {type(value).__name__}")
    return flat


def placeholders(template: str) -> set[str]:
    """The names of a template's `{name}` fields."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


class Catalogue:
    """Every language's texts, by key."""

    def __init__(self, texts: Mapping[Language, Mapping[str, str]]):
        self.texts = {lang: dict(texts.get(lang, {})) for lang in Language}
        self._reported: set[tuple[Language, str]] = set()

    @classmethod
    def load(cls, directory: Path = CATALOGUE_DIR) -> Catalogue:
        """The catalogues `<directory>/<language>.toml`."""
        texts = {}
        for lang in Language:
            with (directory / f"{lang.value}.toml").open("rb") as file:
                texts[lang] = _flatten(tomllib.load(file))
        return cls(texts)

    def text(self, key: str, lang: Language, **params: object) -> str:
        """The text of `key` in `lang` with `params` filled in (English, logged, if `lang` lacks it)."""
        template = self.texts[lang].get(key)
        if template is None:
            template = self.texts[Language.EN][key]  # KeyError: the key is in no catalogue
            if (lang, key) not in self._reported:
                self._reported.add((lang, key))
                log.warning("i18n: %s has no %r; shown in English", lang.value, key)
        return template.format(**params)

    def problems(self) -> list[str]:
        """Keys one language has and another lacks, and keys whose placeholders differ."""
        reference = self.texts[Language.EN]
        found = []
        for lang in Language:
            if lang is Language.EN:
                continue
            other = self.texts[lang]
            found += [f"{lang.value} lacks {key}" for key in sorted(reference.keys() - other.keys())]
            found += [f"{lang.value} has {key}, which en lacks" for key in sorted(other.keys() - reference.keys())]
            for key in sorted(reference.keys() & other.keys()):
                theirs, ours = placeholders(other[key]), placeholders(reference[key])
                if theirs != ours:
                    found.append(f"{lang.value} {key}: placeholders {sorted(theirs)}, en has {sorted(ours)}")
        return found


@cache
def catalogue() -> Catalogue:
    """The bundled catalogues, read once per process."""
    return Catalogue.load()


def text(key: str, lang: Language, **params: object) -> str:
    """`key` in `lang` from the bundled catalogues."""
    return catalogue().text(key, lang, **params)


@dataclass(frozen=True)
class Message:
    """A text a service says, kept as its key so that whoever shows it picks the language."""

    key: str
    params: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, key: str, **params: object) -> Message:
        return cls(key, tuple(params.items()))

    def text(self, lang: Language) -> str:
        """The text in `lang`; a parameter that is itself a Message is put in `lang` too."""
        return text(self.key, lang, **{k: v.text(lang) if isinstance(v, Message) else v for k, v in self.params})

    def __str__(self) -> str:
        return self.text(Language.EN)
