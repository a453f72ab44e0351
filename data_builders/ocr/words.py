"""`words` (OCR): transcribe rendered English words — one word at level 1 up to a short multi-line sentence.

Difficulty: more and longer words, mixed letter case, smaller font, more rotation, busier background and noise.
Levels 1–3 are single-line exact transcriptions (`ocr_exact`); level 4 is scored with ANLS, level 5 with 1 − CER.
"""

from __future__ import annotations

import random

from .. import fonts
from ..core import Puzzle, Rendered, register
from . import _text as tx

WORDS = sorted(set("""
able about above across act add after again age ago air all almost along also always among and animal answer any
apple area arm around art ask away baby back bad ball bank base basket bear beat bed before begin behind bell best
better between big bird black blue board boat body bone book born both bottom box boy bread break bring brother
brown build burn busy buy cake call came camp can cap car card care carry case cat catch cause cell center chair
chance change chart check child city class clean clear clock close cloud coat cold color come common copy corn
corner count country cover cow cross crowd cup cut dance dark day dear deep desk dog door down draw dream dress
drink drive drop dry duck dust each early earth east eat edge egg end enough even evening every eye face fact
fall family farm fast father field fill find fine fire first fish five floor flower fly follow food foot forest
form four free fresh friend front fruit full game garden gate gift girl glass gold good grass gray great green
ground group grow hair half hand happy hard hat have head hear heart heavy help high hill hold home hope horse hot
hour house hundred hunt ice idea inch inside iron island jump just keep key kind king kitchen know lake land large
last late laugh lead leaf learn left leg letter light line lion list little long look love low lunch main make
many map mark market may meat meet milk mind minute money moon morning mother mountain mouth move music name near
neck need nest never new next night noise north nose note number ocean office often old only open orange other
page paint pair paper park part party pass path pen people pick picture piece place plan plant play point pool
poor power press pretty pull push queen quick quiet race rain read ready red rest rice rich ride right ring river
road rock roof room root rope round row rule run safe salt same sand save say school sea seat second seed sell
send seven shape sharp sheep shell ship shoe shop short show side sign silver simple sing sister sit six size sky
sleep slow small smile snow soft soil song soon sound south space speak speed spell spring square stand star start
station stay step stick still stone stop store story street strong study sugar summer sun sure sweet table tail
take talk tall teach team tell ten test thank thick thin thing think three time tiny today together tomorrow top
touch town toy track train tree trip true turn two under unit up upon use valley very visit voice wait walk wall
warm wash watch water wave way weather week well west wet wheel white whole wide wild wind window winter wish wood
word work world write yard year yellow young zero
""".split()))
KNOBS = {
    1: {"words": [1, 1], "letters": [3, 5], "cases": ["lower"], "max_lines": 1, "verifier": "ocr_exact"},
    2: {"words": [1, 1], "letters": [4, 8], "cases": ["lower", "title"], "max_lines": 1, "verifier": "ocr_exact"},
    3: {"words": [2, 3], "letters": [3, 7], "cases": ["lower", "title", "upper"], "max_lines": 1,
        "verifier": "ocr_exact"},
    4: {"words": [3, 5], "letters": [3, 8], "cases": ["lower", "title", "upper", "sentence"], "max_lines": 2,
        "verifier": "ocr_anls"},
    5: {"words": [5, 8], "letters": [3, 9], "cases": ["lower", "title", "sentence"], "max_lines": 3,
        "verifier": "ocr_cer"},
}
FONTS = fonts.SANS + fonts.SERIF
POOLS = {lv: [w for w in WORDS if k["letters"][0] <= len(w) <= k["letters"][1]] for lv, k in KNOBS.items()}


def apply_case(words: list[str], case: str) -> list[str]:
    if case == "upper":
        return [w.upper() for w in words]
    if case == "title":
        return [w.capitalize() for w in words]
    if case == "sentence":
        return [words[0].capitalize()] + words[1:]
    return list(words)


@register
class Words:
    name, kind, knobs = "words", "ocr", KNOBS

    def _words(self, rng: random.Random, level: int) -> list[str]:
        k = KNOBS[level]
        pool = POOLS[level]
        return apply_case([rng.choice(pool) for _ in range(rng.randint(*k["words"]))], rng.choice(k["cases"]))

    def sample(self, rng: random.Random, level: int) -> Puzzle | None:
        k = KNOBS[level]
        words = self._words(rng, level)
        text = " ".join(words)
        style = tx.pick_style(rng, level, text, FONTS)
        if style is None:
            return None
        multi = k["max_lines"] > 1
        question = ("Transcribe all the text in the image, line by line, as one line separated by spaces."
                    if multi else "What text is shown in the image?")
        reasoning = (f"I read the words one by one: {' / '.join(words)}. So the text is \"{text}\"." if multi
                     else f"The image shows the letters {' '.join(text.replace(' ', '_'))}. So the text is \"{text}\".")
        distractors = sorted({" ".join(self._words(rng, level)) for _ in range(6)} - {text})
        return Puzzle(state={"text": text}, question=question, answer=text,
                      answer_type="text", verifier=k["verifier"], reasoning=reasoning, scene=(words, style, k["max_lines"]),
                      distractors=distractors, meta={"question_type": "transcribe", "font": style.font,
                                                     "n_words": len(words)})

    def render(self, pz: Puzzle, rng: random.Random, view) -> Rendered:
        words, style, max_lines = pz.scene
        lines = tx.wrap(words, style, view.size, max_lines)
        if lines is None:
            return Rendered(None, "fit")
        return tx.render_block(rng, lines, style, view)
