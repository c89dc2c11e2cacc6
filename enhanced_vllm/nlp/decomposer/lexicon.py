"""Word lists and patterns shared by the decomposer's modules: conjunctions, auxiliaries, request frames,
and the fixed pairs that name one thing ("rock and roll", "Procter & Gamble")."""

from __future__ import annotations

import re

CONJ = r"(?:and also|and|as well as|along with|together with|plus|&)"
IMPERATIVE = r"(?:explain|describe|define|summari[sz]e|list|name|compare)"
IMPERATIVE_START = re.compile(rf"^(?:please\s+)?(?:{IMPERATIVE}|tell me|give me|show me)\b", re.I)
BARE_WH = ("why", "how", "where", "when", "how long", "for how long", "how often")
FIRST_PERSON_FRAME = (  # the asker saying what they want to know: "I was wondering how long X takes"
    r"(?:i(?:'d| would) (?:like|love) to know|i (?:want|need) to know|i (?:was|am) wondering|i'm wondering|i wonder"
    r"|i'm curious(?: about)?|i am curious(?: about)?|please tell me)"
)
REQUEST_FRAME = (  # a question asked inside a request: "Can you tell me who invented the telephone"
    rf"(?:(?:can|could|would) you (?:please )?(?:tell me|explain)|{FIRST_PERSON_FRAME}|tell me|explain|describe"
    r"|do you know)"
)
EMBEDDING_FRAME = re.compile(
    rf"^(?P<frame>{REQUEST_FRAME})\s+(?:how(?:\s+(?:much|many|long|old|far|big|often))?|why|when|where|what)\s+"
    r"(?!to\s)(?P<np>.+?)\s+[a-z]+$",  # not "how to descale a kettle"
    re.I,
)
AUXILIARIES = frozenset("is are was were does do did has have can could will would should".split())
MODALS = AUXILIARIES | frozenset("shall may might must am".split())  # any word a question may open with
ACRONYM = re.compile(  # "the GDP of", "the CEOs of": an attribute, not a name (as "the UK" is)
    r"^(?:GDP|GNP|CEO|CFO|CTO|COO|CIO|HQ|IQ|BMI|VAT|ZIP|PIN|URL|API|ISBN|IPO|EPS|ROI|APR)s?$"
)
NP_TAGS = frozenset({"DET", "ADJ", "NOUN", "PROPN", "NUM"})
HEAD_TAGS = frozenset({"NOUN", "PROPN"})
# pairs that name one thing: never split
FIXED_PAIRS = re.compile(  # " and " in these reads "and" or "&"
    (
        r"\b(?:rock and roll|salt and pepper|bread and butter|fish and chips|trial and error"
        r"|research and development|supply and demand|law and order|black and white|rhythm and blues"
        r"|arts and crafts|macaroni and cheese|mac and cheese|peanut butter and jelly|ups and downs"
        r"|pride and prejudice|sense and sensibility|crime and punishment|war and peace|beauty and the beast"
        r"|romeo and juliet|antony and cleopatra|tristan and isolde|hansel and gretel|jekyll and hyde|thelma and louise"
        r"|ins and outs|dos and don'ts|nuts and bolts|odds and ends|bits and pieces|wear and tear"
        r"|checks and balances|pros and cons|cause and effect|give and take|terms and conditions|health and safety"
        r"|bed and breakfasts?|sweet and sour|hot and sour|salt and vinegar|cookies and cream|surf and turf"
        r"|drink and drive|hit and run|cut and paste|copy and paste"
        r"|snakes and ladders|chutes and ladders|dungeons and dragons|hide and seek|tom and jerry"  # titles, games
        r"|trinidad and tobago|antigua and barbuda|bosnia and herzegovina|marks and spencer|procter and gamble"
        r"|barnes and noble|ben and jerry's|simon and schuster"  # countries, companies
        r"|lewis and clark|watson and crick|gilbert and sullivan|rodgers and hammerstein|laurel and hardy"  # duos
        r"|marx and engels|bonnie and clyde|lennon and mccartney|simon and garfunkel"
        r"|(?P<same>\w+) and (?P=same)"  # "Johnson & Johnson"
        r"|(?:the )?(?:film|movie|book|novel|song|album|band|show|series|play|game|musical) \w+ and )\b"
    ).replace(" and ", r" (?:and|&) "),
    re.I,
)
_JOINED = {" and ": "_and_", " & ": "_&_"}


def join_fixed_pairs(text: str) -> str:
    """ "the pros and cons of X" -> "the pros_and_cons of X": one word, so no rule reads its "and"."""
    return FIXED_PAIRS.sub(lambda m: re.sub(r" (?:and|&) ", lambda c: _JOINED[c.group(0).lower()], m.group(0)), text)


def unjoin_fixed_pairs(text: str) -> str:
    """The words of each fixed pair apart again."""
    return text.replace("_and_", " and ").replace("_&_", " & ")


PAST_OF = {  # participles whose past tense differs ("When was Hamlet written and by whom?" -> "Who wrote Hamlet?")
    "written": "wrote",
    "drawn": "drew",
    "sung": "sang",
    "begun": "began",
    "taken": "took",
    "given": "gave",
    "driven": "drove",
    "shown": "showed",
    "known": "knew",
    "grown": "grew",
    "spoken": "spoke",
    "chosen": "chose",
    "stolen": "stole",
    "done": "did",
    "seen": "saw",
}
SINGULAR_VERB = {"are": "is", "were": "was", "do": "does", "have": "has"}
