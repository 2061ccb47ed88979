"""One normalisation for every headline, wherever it comes from.

People type and paste headlines in Traditional script (Taiwan, Hong Kong), with full-width
letters and digits, zero-width characters and odd spacing; THUCNews is Simplified,
half-width text from 2005-2011. `normalize_headline` maps the first onto the second, and
every path uses it: training, evaluation, `Predictor`, the API, the app and batch files.

    normalize_headline("國足３：０完勝泰國隊\u200b")  ->  "国足3:0完胜泰国队"

Steps, in order:
1. Unicode NFKC: full-width letters, digits and punctuation become their ASCII forms,
   compatibility ideographs their unified forms.
2. Control and format characters (zero-width spaces and joiners, BOM, bidi marks) dropped;
   every run of whitespace becomes one space; no space at either end.
3. OpenCC `tw2sp` (Traditional with Taiwan phrasing -> Simplified with mainland phrasing),
   chosen on dev by `python -m cls_core.evaluation.robustness --choose`: it restores the most
   headlines exactly of both the Taiwan (s2twp) and the Hong Kong (s2hk) conversions.

A checkpoint records the normalisation it was trained with (`normalization_record()`);
`normalizer_for(record)` rebuilds exactly that one at load time. Checkpoints written
before normalisation existed carry no record and keep reading text as they always did.
"""

import unicodedata
import warnings
from functools import lru_cache

NAME = "nfkc+opencc"
OPENCC_CONFIG = "tw2sp"
CONVERTERS_KEPT = 8  # configurations: this one, the page's two (i18n), robustness's six at most


@lru_cache(maxsize=CONVERTERS_KEPT)
def opencc_converter(config):
    """The OpenCC converter for a configuration name (loaded once)."""
    import opencc  # the pip package "opencc", pinned in requirements.txt

    return opencc.OpenCC(config)


def opencc_version():
    from importlib.metadata import version

    return version("opencc")


def drop_invisible(text):
    """Control and format characters dropped, whitespace folded to single spaces."""
    text = "".join(
        " " if ch.isspace() else ch for ch in (text or "") if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )
    return " ".join(text.split())


def clean_characters(text):
    """NFKC, then drop_invisible."""
    text = unicodedata.normalize("NFKC", text or "")
    # str.isprintable() is False exactly when a text holds a character of category C or
    # whitespace other than " ": the only texts where drop_invisible does more than fold spaces.
    return " ".join(text.split()) if text.isprintable() else drop_invisible(text)


def normalize_headline(text, opencc_config=OPENCC_CONFIG):
    """The text as the models read it (see the module docstring). Idempotent."""
    text = clean_characters(text)
    if opencc_config and text:
        # OpenCC can produce a character NFKC would still change; a second clean makes
        # normalize_headline(normalize_headline(x)) == normalize_headline(x).
        text = clean_characters(opencc_converter(opencc_config).convert(text))
    return text


def normalize_many(texts, opencc_config=OPENCC_CONFIG):
    """[normalize_headline(t, opencc_config) for t in texts], with one OpenCC call for all."""
    cleaned = [clean_characters(t) for t in texts]
    if not opencc_config:
        return cleaned
    # A cleaned text holds no newline and OpenCC never matches a phrase across one, so the
    # texts convert alone; the second clean of normalize_headline changes only converted texts.
    converted = opencc_converter(opencc_config).convert("\n".join(cleaned)).split("\n")
    if len(converted) != len(cleaned):
        return [normalize_headline(t, opencc_config) for t in texts]
    return [new if new == old else clean_characters(new) for old, new in zip(cleaned, converted)]


def normalization_record(opencc_config=OPENCC_CONFIG):
    """What a checkpoint stores about the normalisation its model was trained with."""
    return {
        "name": NAME,
        "opencc_config": opencc_config,
        "opencc": opencc_version(),
        "unicode": unicodedata.unidata_version,
    }


def legacy_clean(text):
    """How checkpoints written before normalisation read text: the text as given."""
    return text


def normalizer_for(record, where="checkpoint"):
    """The function that reads text the way a checkpoint's model was trained to.

    record None (an old checkpoint) -> the text unchanged, as those models always read it.
    A different OpenCC or Unicode version than the one recorded still works, with a warning,
    because a new version may convert a few characters differently.
    """
    if record is None:
        return legacy_clean
    if record.get("name") != NAME:
        raise ValueError(f"{where}: unknown normalisation {record.get('name')!r}")
    now = {"opencc": opencc_version(), "unicode": unicodedata.unidata_version}
    changed = [f"{k} {record.get(k)} -> {v}" for k, v in now.items() if record.get(k) != v]
    if changed:
        warnings.warn(
            f"{where} was trained with another normalisation version ({', '.join(changed)}); "
            "a few characters may be read differently",
            stacklevel=2,
        )
    config = record.get("opencc_config")
    return lambda text: normalize_headline(text, config)
