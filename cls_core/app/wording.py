"""How the page words what the models say: their names, verdicts, notices, the look-deeper
lines, and the errors a visitor can fix (UserError). Plain strings, Markdown where said, in
the visitor's language (cls_core.app.i18n); the API always speaks English."""

import html
from pathlib import Path

import numpy as np

from cls_core.app.i18n import class_name, text

ENSEMBLE = "Ensemble (average of the models)"
NAME_KEYS = {"Linear (TF-IDF + SVM)": "model_linear", ENSEMBLE: "model_ensemble"}  # names the page translates
UNIFORM_ATTENTION = 2.0  # attention is "nearly uniform" when no character gets twice the even share
MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|~")


class UserError(ValueError):
    """Something the visitor can fix. `key` names the message in cls_core.app.i18n; str() is
    the English text (the API's)."""

    def __init__(self, key, **fields):
        self.key, self.fields = key, fields
        super().__init__(self.text(lang="en"))  # str(): the English text, the API's

    def text(self, lang):
        """The message in lang; a field that words itself (has .worded(lang)) is worded in lang too."""
        return text(
            self.key, lang, **{k: v.worded(lang) if hasattr(v, "worded") else v for k, v in self.fields.items()}
        )


class FileProblems:
    """The problems check_labelled_file found in an uploaded file (cls_core.data.labelled's
    Problems, the first ones, and how many were left out), worded in the visitor's language,
    each naming the file by its name alone: the upload's folder means nothing to the visitor."""

    def __init__(self, report):
        self.problems, self.left_out = list(report.problems), report.problems_left_out

    def lines(self, lang="en"):
        lines = [
            f"{Path(p.path).name}{f':{p.line}' if p.line else ''}: {text('labelled_' + p.kind, lang, **p.details)}"
            for p in self.problems
        ]
        return lines + ([text("labelled_more", lang, n=self.left_out)] if self.left_out > 0 else [])

    def worded(self, lang="en"):
        return "\n".join(self.lines(lang))


def model_label(name, lang="en"):
    """How the page names a model (the API always uses the English name): a model of your own,
    NAME/MODEL, as named, its folder's ensemble as NAME/ and the ensemble's name in lang."""
    folder, sep, model = name.rpartition("/")
    if model in NAME_KEYS:
        return folder + sep + text(NAME_KEYS[model], lang)
    return name


def verdict_text(assessment, lang="en"):
    """'✓ sure' or '⚠ unsure: low confidence' in the page's language."""
    if not assessment["unsure"]:
        return text("sure", lang)
    return text("unsure", lang, reason=text(f"reason_{assessment['reason']}", lang))


def markdown_literal(s):
    """s shown as typed inside Markdown: no tag, link or emphasis can come of it."""
    return "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in html.escape(s, quote=False))


def read_as_notice(headline, results, lang="en"):
    """'Read as: …' (Markdown) when some model's normalisation changed the text, else ''."""
    read = {r[2]["read_as"] for r in results.values()} - {headline}
    return text("read_as", lang, text=" / ".join(markdown_literal(r) for r in sorted(read))) if read else ""


def attention_note(chars, attention, lang="en"):
    """In plain words, how far attention is from the even share 1/n."""
    n = len(chars)
    ratio = float(np.max(attention)) * n
    if ratio < UNIFORM_ATTENTION:
        return text("attention_uniform", lang, ratio=ratio, n=n, share=1 / n)
    return text("attention_peaked", lang, char=chars[int(np.argmax(attention))], ratio=ratio, n=n, share=1 / n)


def method_label(method, lang="en"):
    """An attribution method's name ("integrated_gradients", "attention", "occlusion", "ngram")."""
    return text(f"method_{method}", lang)


def pair_label(pair, lang="en"):
    """'attention vs occlusion' for the pair key "attention vs occlusion", in lang."""
    return " vs ".join(method_label(m, lang) for m in pair.split(" vs "))


def agreement_text(agreement, lang="en"):
    """One headline's rank agreement between attribution methods, in words ('' without any)."""
    if not agreement:
        return ""
    pairs = text("list_separator", lang).join(
        f"{pair_label(pair, lang)} {'—' if np.isnan(rho) else f'{rho:+.2f}'}" for pair, rho in agreement.items()
    )
    return text("agreement_line", lang, pairs=pairs)


def counterfactual_text(r, classes, lang="en"):
    """The fewest characters that keep the answer, and the smallest edit that flips it (to the
    topic it was searched toward, flip["to"], when one was chosen), in words; when that edit
    touches punctuation, a digit or a Latin letter (no edit of a Chinese character tried flips
    it), the text says so."""
    reduction, flip = r["reduction"], r["flip"]
    lines = [
        text(
            "reduction_line",
            lang,
            text=markdown_literal(reduction["text"]),
            k=len(reduction["kept"]),
            n=len(r["chars"]),
            cls=class_name(classes[reduction["class_index"]], lang),
            p=reduction["probability"],
        )
    ]
    found, to = flip["flip"], flip.get("to")
    toward = None if to is None else class_name(classes[to], lang)
    if found is None:
        lines.append(
            text("flip_none", lang, n=flip["evaluations"])
            if to is None
            else text("flip_to_none", lang, cls=toward, n=flip["evaluations"])
        )
    else:
        edit = found["edit"]
        how = (
            text("edit_delete", lang, old=markdown_literal(edit["from"]), position=edit["position"] + 1)
            if edit["kind"] == "delete"
            else text(
                "edit_replace",
                lang,
                old=markdown_literal(edit["from"]),
                new=markdown_literal(edit["to"]),
                position=edit["position"] + 1,
            )
        )
        line = text(
            "flip_line" if to is None else "flip_to_line",
            lang,
            edit=how,
            text=markdown_literal(found["text"]),
            cls=class_name(classes[found["class_index"]], lang),
            p=found["probability"],
            was=class_name(classes[flip["original_class_index"]], lang),
        )
        if not found.get("chinese", True):  # the only flips found touch punctuation, digits or Latin letters
            line += text("flip_not_chinese", lang)
        lines.append(line)
    return "  \n".join(lines)


def outlet_line(model, row, lang="en"):
    """A model (as the page names it) on THUCNews' own test beside an outlet it never learned
    from, and what "unsure" buys on each, from its row of checkpoints/outlets.json."""
    test, other = row["test"], row["toutiao-report"]
    return "- " + text(
        "outlet_sentence",
        lang,
        model=model,
        test=test["accuracy"],
        other=other["accuracy"],
        test_right=test["accuracy_answered"],
        test_answered=test["answered"],
        other_right=other["accuracy_answered"],
        other_answered=other["answered"],
    )
