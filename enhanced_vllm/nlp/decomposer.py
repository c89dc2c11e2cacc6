"""Compound question -> self-contained sub-questions, by rules over the question's structure
(deterministic, no model call, well under a millisecond).

Handled, per sentence:
- clause coordination: "Who founded Apple and when did it go public?" -> two questions, pronouns in
  the second replaced by the first clause's subject ("When did Apple go public?"); also after an
  imperative ("Explain recursion and describe its uses.") and inside a frame ("Can you explain how X
  works and what it is made of?" -> "Can you explain what X is made of?");
- coordinated attributes: "What are the capital and the population of France?" -> one per attribute,
  also "the area of Peru and the GDP";
- coordinated entities: "What is the GDP of Brazil, Peru and Chile?" / "... of France and of Peru" /
  "Compare the area of X and (or with) Y.";
- independent noun phrases: "What is the GDP of India as well as the area of Peru?";
- coordinated verbs sharing an object: "How do I install and configure nginx?", phrasal verbs ("set
  up and secure"), and a pronoun object ("How do I install Docker and configure it?");
- "as well as" / "along with" + its / his / her: "What is the population of Tokyo as well as its area?";
- pronouns: "they" / "them" / "their" point back to the last plural noun ("What do lions eat and
  where do they live?"); "he" / "she" after "Who is the CEO of X" to that role; others to the last
  name (with its "the"), a sentence-initial one ("Tesla makes cars. Who founded it?"), else the first
  clause's noun phrase ("Who invented the telephone and when was it invented?"); a closing "its N"
  reads "the N of X"; a bare "and why?" / "and when?" reuses the first clause ("Who founded Nike and
  when?" -> "When was Nike founded?"), "and what about Peru?" asks it of Peru;
- coordinated noun phrases anywhere else, found by the bundled POS tagger: subjects ("When were Google
  and Amazon founded?" -> "When was Google founded?", the verb agreeing), objects of any verb ("Who
  directed Titanic and Avatar?"), of a preposition ("How many calories are in an apple and a
  banana?"), lists of three or more;
- coordinated superlatives: "What are the largest and smallest countries in Europe?" -> one question
  each, singular; "or" between verbs after where / how / when ("Where can I rent or buy a bike?");
- "What's" lists keep their "What's"; "; " and ", but (more importantly)" between two questions
  separate them.
Across clauses and sentences: pronouns, "What about X?" / "And X?" / "And in 2022?" asks the previous
question of X, "one" stands for the first question's "a N", a closing "any" for "How many N", "tickets"
for tickets to the place asked about, "How do we know?" asks how the first question is known, "also" /
"too" are dropped, and a statement that only sets the scene ("Tesla makes cars.") is left out unless
a pronoun still needs it (a place it sets is added to "What should I see?").
Conjunctions: and, as well as, along with, plus, "&", and comma lists. Kept whole: questions that
only look compound ("difference between A and B", "A vs B", "in common", titles such as "Pride and
Prejudice" (two capitalised common nouns), fixed pairs such as "rock and roll" or "supply and demand",
one name after a singular verb ("Where is Procter and Gamble headquartered?"), the subjects of a shared
event ("When did Exxon and Mobil merge?"), a choice ("Should I rent or buy a house?")).
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[?.!])\s+(?=[A-Z])")
_CONJ = r"(?:and also|and|as well as|along with|plus|&)"
_LIST_SEPARATOR = re.compile(rf"\s*,\s*(?:{_CONJ}\s+)?|\s+{_CONJ}\s+", re.I)
_KEEP_WHOLE = re.compile(
    r"\b(?:between|vs\.?|versus|differ(?:ence|ences|ent)?|similarit(?:y|ies)|relationship|both|in common|alike"
    r"|balanc(?:e|ing)|combin(?:e|ing)|juggl(?:e|ing)|reconcil(?:e|ing))\b",  # "balance work and family": one thing
    re.I,
)
_IMPERATIVE = r"(?:explain|describe|define|summari[sz]e|list|name|compare)"
_IMPERATIVE_START = re.compile(rf"^(?:{_IMPERATIVE}|tell me|give me|show me)\b", re.I)
_CLAUSE_START = (
    r"(?:when|where|who|whom|whose|what|which|why|how|is|are|was|were|did|does|do|can|could|should|will|would|has|have"
    rf"|{_IMPERATIVE})"
)
_CLAUSE_SPLIT = re.compile(  # "... and when did ...", "..., but (more importantly,) why was ...", "X, why Y, and Z"
    rf"\s*,?\s+(?:{_CONJ}|but(?:\s+(?:more\s+importantly|also))?\s*,?)\s+(?={_CLAUSE_START}\b)"
    r"|\s*,\s+(?=(?:why|how|when|where|what|who)\s+(?:is|are|was|were|do|does|did|can|could|should|would|will)\b"
    r"[^,]*,\s+(?:and|or)\s)",
    re.I,
)
_NP_PREFIX = re.compile(
    r"^(?P<wh>what|who|which)(?:\s+(?P<cop>is|are|was|were)|(?P<contracted>'s))\s+(?P<body>.+)$"
    r"|^(?P<verb>compare|tell me|give me|list|name|show me|find|explain|describe)\s+(?P<body2>.+)$",
    re.I,
)
_PARTICLE = r"(?:\s+(?:up|down|out|in|off|back|over))?"  # phrasal verbs: "set up", "back up"
_VERB = rf"[a-z]+{_PARTICLE}"
_DOER = r"(?P<prefix>.*?\b(?:I|you|we|one|to|can|should))"
_VERB_COORDINATION = re.compile(
    rf"^{_DOER}\s+(?P<verbs>{_VERB}(?:\s+for)?(?:\s*,\s*{_VERB})*\s*,?\s+(?P<conj>{_CONJ}|or)\s+{_VERB})\s+(?P<object>.+)$"
)
_VERB_SEPARATOR = re.compile(rf"\s*,\s*(?:(?:{_CONJ}|or)\s+)?|\s+(?:{_CONJ}|or)\s+", re.I)
# "Where can I buy or rent a tuxedo?" asks two things; "Is it better to rent or buy?", "Should I ..." one choice
_ALTERNATIVES_ASKED = re.compile(r"^(?:where|how|when)\b(?!.*\b(?:better|worse|rather|whether|cheaper)\b)", re.I)
# "How do I install Docker and configure it?": the second verb's pronoun is the first verb's object
_VERB_PHRASES = re.compile(
    rf"^{_DOER}\s+(?P<first>{_VERB})\s+(?P<object>.+?)\s*,?\s+(?:and then|and|then)\s+"
    rf"(?P<second>{_VERB})\s+(?:it|them)$"
)
_ARTICLE = re.compile(r"^(?:the|a|an)\s", re.I)
_DETERMINER = re.compile(r"^(?:the|a|an|its|their|his|her|this|that|these|those|my|your|our)\b", re.I)
_BARE_WH = ("why", "how", "where", "when")
_BARE_WH_REPLACES = re.compile(rf"^(?:{'|'.join(_BARE_WH)})\b", re.I)  # the first clause's own wh-word
_FRAGMENT_PREPOSITIONS = frozenset("in on at during for near under without with before after from".split())
_PP_FRAGMENT = re.compile(rf"^(?:{'|'.join(_FRAGMENT_PREPOSITIONS)})\s+(?!(?:which|what|whom)\b)[^,;]+$", re.I)
_NAME_FRAGMENT = re.compile(r"^(?P<entity>(?:the\s+)?[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*){0,3})$")  # "And Germany?"
_WHAT_ABOUT = re.compile(r"^(?:what|how)\s+about\s+(?P<entity>.+)$", re.I)  # "... and what about Peru?"
_COPULA_NP = re.compile(r"^(?:what|who)(?:\s+(?:is|are|was|were)|'s)\s+(?P<np>.+)$", re.I)  # "What is machine learning"
# "Where can I buy a laptop": what a later "it" means is the doer's object
_DOER_OBJECT = re.compile(
    r"^(?:how|where|when|why|what)\s+(?:can|do|should|could|would|will|did)\s+(?:I|you|we|one)\s+[a-z]+\s+(?P<np>.+)$",
    re.I,
)
_AUX_NP = re.compile(  # "How does photosynthesis work"
    r"^(?:how|why|when|where|what)\s+(?:does|do|did|is|was|can|could|will|would|should)\s+(?P<np>.+?)"
    r"\s+(?!(?:that|this|it|them|these|those)$)[a-z]+$",  # "What could cause that": no noun phrase
    re.I,
)
_IMPERATIVE_NP = re.compile(rf"^{_IMPERATIVE}\s+(?P<np>.+)$", re.I)  # "Explain recursion"
# "Can you explain how a jet engine works": the frame a later "what it is made of" is asked in
_REQUEST_FRAME = re.compile(
    r"^(?P<frame>tell me|(?:can|could) you (?:tell me|explain)|explain|describe|i was wondering|i'd like to know"
    r"|i want to know)\b",
    re.I,
)
_EMBEDDED_WH = re.compile(  # "why it collapsed", "how much it costs": a wh-phrase not followed by an auxiliary
    r"^(?:how(?:\s+(?:much|many|long|old|far|big|often))?|why|when|where|what)\s+"
    r"(?!(?:is|are|was|were|do|does|did|can|could|should|would|will|has|have)\b)\w+",
    re.I,
)
_EMBEDDING_FRAME = re.compile(
    r"^(?P<frame>(?:can|could) you (?:explain|tell me)|tell me|explain|do you know)\s+"
    r"(?:how|why|when|where|what)\s+(?P<np>.+?)\s+[a-z]+$",
    re.I,
)
# "Who invented the telephone"
_OBJECT_NP = re.compile(r"^(?:who|what)\s+(?P<verb>[a-z]+ed|[a-z]+s)\s+(?P<np>.+)$", re.I)
_AGENT = re.compile(r"^who\s+(?P<verb>[a-z]+)\s+(?P<np>.+)$", re.I)  # "Who founded Nike" -> "Nike was founded"
_PERSONAL_PRONOUNS = frozenset({"he", "she", "him", "his", "her"})
_LOCATIVE = frozenset({"on", "in", "at"})
_DOERS = frozenset({"I", "you", "we", "one", "they"})
_AGENT_NOUNS = {  # "Who founded X and when did he retire?": he is the founder of X
    "founded": "founder",
    "invented": "inventor",
    "wrote": "author",
    "discovered": "discoverer",
    "directed": "director",
    "painted": "painter",
    "composed": "composer",
    "designed": "designer",
    "created": "creator",
    "built": "builder",
    "developed": "developer",
    "won": "winner",
    "owns": "owner",
    "leads": "leader",
}
_AUXILIARIES = frozenset("is are was were does do did has have can could will would should".split())
_LEADING_CONJUNCTION = re.compile(r"^(?:and|also|plus|then)\s*,?\s+", re.I)
_NOT_VERBS = frozenset("the a an of in on for to with my your our its their".split())
_POSSESSIVES = frozenset({"its", "his", "their"})
_PLURAL_PRONOUNS = frozenset({"they", "them", "their"})
_PLURAL_PRONOUN = re.compile(rf"\b(?:{'|'.join(_PLURAL_PRONOUNS)})\b", re.I)
_LEADING_POSSESSIVE = re.compile(r"^(?:its|his|her)\s+", re.I)  # "their" may point back to a plural head
_ANY_POSSESSIVE = re.compile(r"^(?:its|his|her|their)\s+", re.I)
_OWN_PREPOSITION = re.compile(r"\s(?:from|to|between|with|in|on|at)\s", re.I)  # a noun phrase with its own "from ..."
_OWNER = re.compile(r"^(?P<owner>(?:the\s+)?[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)*'s)\s")  # "George Washington's"
_NP_TAGS = frozenset({"DET", "ADJ", "NOUN", "PROPN", "NUM"})
_HEAD_TAGS = frozenset({"NOUN", "PROPN"})
# pairs that name one thing: never split
_FIXED_PAIRS = re.compile(  # " and " in these reads "and" or "&"
    (
        r"\b(?:rock and roll|salt and pepper|bread and butter|fish and chips|trial and error"
        r"|research and development|supply and demand|law and order|black and white|rhythm and blues"
        r"|arts and crafts|macaroni and cheese|mac and cheese|peanut butter and jelly|ups and downs"
        r"|romeo and juliet|antony and cleopatra|tristan and isolde|hansel and gretel|jekyll and hyde|thelma and louise"
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
_BY_WHOM = re.compile(
    r"^(?P<first>(?:when|where|why|how)\s+(?:was|were|is|are)\s+(?P<np>[^,]+?)\s+(?P<participle>[a-z]+))"
    r"\s*,?\s+and\s+by\s+whom$",
    re.I,
)
_AND_WHETHER = re.compile(
    r"^(?P<frame>(?:can|could|would) you tell me|tell me|do you know)\s+(?P<first>.+?)\s*,?\s+and\s+"
    r"(?P<second>(?:whether|if)\s+.+)$",
    re.I,
)
_AND = re.compile(r"\band\b|&", re.I)
_QUANTIFIED = re.compile(  # "Are there any hiking trails near Denver and any campsites (too)?"
    r"^(?P<prefix>.+?)\b(?P<det>any|some)\s+(?P<first>[^,]+?)\s+(?P<place>(?:in|near|around|on|at)\s+[^,]+?)"
    r"\s*,?\s+and\s+(?P=det)\s+(?P<second>[^,]+?)(?:\s+too|\s+as well)?$",
    re.I,
)
_VISITING = re.compile(  # a statement that sets the scene in a place: "I'm visiting Rome next month."
    r"\b(?:visiting|visit|going to|travel(?:l)?ing to|flying to|moving to|trip to|holiday in|vacation in|staying in)"
    r"\s+(?P<place>[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)"
)
_VISIT_VERB = re.compile(r"^(?:see|stay|eat|visit|do|go|avoid|shop|park)$", re.I)
_ANOTHER_PLACE = re.compile(
    r"^(?P<prefix>.+?\b)(?P<thing>an?\s+[^,]+?)\s+(?P<first>(?:in|near|at)\s+[^,]+?)\s*,?\s+and\s+one\s+"
    r"(?P<second>(?:in|near|at)\s+[^,]+)$",
    re.I,
)
_IN_WHICH = re.compile(r"^(?P<first>.+?)\s*,?\s+and\s+(?P<wh>(?:in|on|at)\s+(?:which|what)\s+[a-z]+)$", re.I)
_PAST_OF = {  # participles whose past tense differs ("When was Hamlet written and by whom?" -> "Who wrote Hamlet?")
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
_PARTICIPLE_OF = {past: participle for participle, past in _PAST_OF.items()} | {
    verb: verb for verb in "won built made found led held sold bought taught brought fought".split()
}
_DOER_OPENING = re.compile(
    r"^(?P<prefix>(?:how|what|where|when|why)\s+(?:do|does|can|could|should|would|will|did)\s+(?:I|you|we|one)"
    r"|what(?:\s+is|'s)\s+the\s+(?:best|easiest|fastest|quickest|right|safest)\s+way\s+to)\s+(?P<rest>.+)$",
    re.I,
)
_WH_HEAD = re.compile(r"^(?P<wh>which|what)\s+(?P<head>[a-z]+)\s+(?P<verb>[a-z]+)\b", re.I)  # "Which cities have"
_ELIDED_WH = re.compile(r"^(?P<wh>which|what)\s+(?P<verb>[a-z]+)(?P<rest>.*)$", re.I)
_REPEATED_PREPOSITION = re.compile(  # "What is the speed of sound in air and in water?"
    r"^(?P<prefix>.+\s(?P<prep>in|on|at|of|for|with|from|to|about|during|under|without))\s+"
    r"(?P<first>(?:(?!\b(?P=prep)\b)[^,])+?),?\s+and\s+(?P=prep)\s+(?P<second>[^,]+)$",
    re.I,
)
_AUX_SUBJECT = re.compile(  # "Can dogs eat", "Why do cats purr": a plural subject the clause opens with
    r"^(?:(?:how|what|where|when|why)\s+)?(?:can|could|do|did|will|would|should|are|were)\s+"
    r"(?P<np>(?:the\s+)?[a-z]+[^s\W]s)\s+[a-z]+\b(?!s\b)",
    re.I,
)
_PLURAL_OF = re.compile(r"^(?:the\s+)?(?:[a-z]+\s+)?[a-z]*[^su\Wi]s\s+of\s+(?P<x>.+)$", re.I)  # "the main causes of X"
_PRONOUN_OBJECT = re.compile(r"\b(?:it|them)\b", re.I)
_UNRESOLVED = re.compile(r"\b(?:it|they|them|he|she|him|her|its|their|his|this|that)\b", re.I)  # left as it was
_EXPLETIVE_IT = re.compile(  # "is it safe to give him X", "does it take", "is it true that": no referent
    r"\s+(?:\w+\s+)?to\s+\w+\s+\w|\s+takes?\b|\s+(?:\w+\s+)?(?:that|if|whether)\b", re.I
)
_ALSO = re.compile(r"\s*,?\s+too(?=[?.!]?$)|\balso\s+", re.I)  # "does it also offer ...", "... too?": the repetition
_ONE = re.compile(  # a closing "one" ("... into one each year?"), unless "which one", "the one"
    r"\b(?P<before>\w+)\s+one(?=(?:\s+(?:each|every|per|now|today|online|too|first)\b.*)?[?.!]?$)", re.I
)
_ONE_DETERMINERS = frozenset("which this that each every any another no the".split())
_INDEFINITE = re.compile(r"^(?:an?)\s", re.I)
_SINGULAR_VERB = {"are": "is", "were": "was", "do": "does", "have": "has"}
_ONE_EACH = frozenset(  # attributes a place, company or person has one of: "the capitals of X and Y" asks one each
    "capital population currency area flag anthem president ceo founder leader mayor height age birthday birthplace"
    " gdp motto point zone date symbol length weight diameter speed depth temperature".split()
)
_CALENDAR = frozenset(  # capitalised, yet not what a later clause is about
    "monday mondays tuesday tuesdays wednesday wednesdays thursday thursdays friday fridays saturday saturdays sunday"
    " sundays january february march april may june july august september october november december".split()
)
_TRIP_NOUNS = {  # "... Iceland and how much do flights cost?": flights to Iceland
    **dict.fromkeys("tickets ticket flights flight fares admission entry trains buses ferries".split(), "to"),
    **dict.fromkeys("hotels hotel accommodation restaurants".split(), "in"),
}
_TRIP_NOUN = re.compile(rf"\b(?P<noun>{'|'.join(_TRIP_NOUNS)})\b(?!\s+(?:to|in|for|at|from|of)\b)", re.I)
_PREPOSITIONAL_OBJECT = re.compile(r"^(?P<preposition>for|with|about|on|to|at)\s+", re.I)
_TAKES_PREPOSITION = frozenset(  # "apply and pay for a visa": both take the "for"
    "apply pay care look wait ask search prepare plan vote register shop study train budget account deal cope"
    " talk speak write listen".split()
)
_THERE = re.compile(  # "what can I do there?" -> "in Iceland"; "how do I get there?" -> "to Machu Picchu"
    r"(?P<motion>\b(?:get|go|travel|fly|drive|walk|move|commute)\s+)?(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )"
    r"\bthere\b(?!\s+(?:is|are|was|were|be|been)\b)",
    re.I,
)
_BARE_ATTRIBUTE = re.compile(  # "... and what's the area code?": of the place or thing asked about first
    r"^(?:what|who)(?:'s|\s+(?:is|was|are|were))\s+the\s+[a-z]+(?:\s+[a-z]+)?$", re.I
)
_ANY = re.compile(r"\b(?P<any>any|some)(?=[?.!]?$)", re.I)  # "... and does Venus have any?"
_HOW_MANY = re.compile(r"^how\s+many\s+(?P<noun>[a-z]+)\b", re.I)
_HOW_KNOW = re.compile(r"^(?P<ask>(?:how|why)\s+(?:do|does|did|can|could)\s+.+?\s+(?:know|tell))[?.!]?$", re.I)
_WH_COPULA = re.compile(  # "How old is the universe" -> "how old the universe is"
    r"^(?P<wh>how\s+\w+|what|who|where|when|why|which\s+\w+)\s+(?P<cop>is|are|was|were)\s+(?P<np>.+?)[?.!]?$", re.I
)
_SINGULAR_AUXILIARIES = frozenset(_SINGULAR_VERB.values())
_SUPERLATIVES = frozenset("best worst most least first last".split())
_EVALUATIVE = frozenset("best worst most least cheapest safest healthiest".split())  # many can be the best
_THE_COORDINATED = re.compile(r"\bthe\s+\w+,?\s+(?:\w+,?\s+)*(?:and|or)\s", re.I)  # "the hottest and coldest"
_RECIPROCAL_VERBS = frozenset(  # done together: coordinated subjects of these name one event
    "meet met marry married divorce divorced engaged break broke split merge merged collaborate collaborated"
    " team teamed fight fought".split()
)
_MAKING_VERBS = frozenset(
    "wrote write writes written read directed direct filmed composed painted sang sung published authored starred"
    " watched watch saw recorded".split()
)


def _finish(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,;")
    text = text.rstrip("?.!").rstrip()
    end = "." if _IMPERATIVE_START.match(text) else "?"
    return text[:1].upper() + text[1:] + end


def _subject(clause: str) -> str | None:
    """The entity a later clause's pronoun refers to: the last run of capitalised words (not the
    first word), else a sentence-initial name, else the clause's noun phrase (``_noun_phrase``)."""
    words = clause.rstrip("?.!").split()
    runs, starts, current = [], [], []
    for i, word in enumerate(words):
        if i > 0 and word[:1].isupper() and (word != "I" or current) and word.strip(",;").lower() not in _CALENDAR:
            if not current:
                starts.append(i)
            current.append(word.strip(",;"))
        elif current and word in ("of", "the") and _name_goes_on(words, i):
            current.append(word)  # "the Great Wall of China", "the Bank of the West"
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    if runs:
        run, start = _with_nouns(runs[-1], words, starts[-1]), starts[-1]
        before = words[start - 2 if start > 1 and words[start - 1] == "the" else start - 1].lower()
        if before in _LOCATIVE and (copula := _COPULA_NP.match(" ".join(words))):
            return copula.group("np")  # "What is the largest ocean on Earth": the ocean, not the Earth
        if start > 1 and words[start - 1].isdigit() and words[start - 2] == "the":  # "the 2018 World Cup"
            return " ".join(["the", words[start - 1], *run])
        return " ".join(["the", *run] if start > 0 and words[start - 1] == "the" else run)  # "the Eiffel Tower"
    return _leading_proper_noun(words) or _noun_phrase(" ".join(words))


def _name_goes_on(words: list[str], i: int) -> bool:
    """ "of" or "of the" at ``words[i]`` inside a name: a capitalised word follows."""
    after = words[i + 1 : i + 3]
    if words[i] == "the":
        return words[i - 1] == "of" and after[:1] != [] and after[0][:1].isupper()
    return bool(after) and (after[0][:1].isupper() or (after[0] == "the" and len(after) > 1 and after[1][:1].isupper()))


def _with_nouns(run: list[str], words: list[str], start: int) -> list[str]:
    """A name with the common nouns that follow it: "LASIK surgery", "the Rust programming language"."""
    from enhanced_vllm.nlp.resources import pos_tagger

    end = start + len(run)
    tags = [tag for _, tag in pos_tagger().tag([w.strip(",;") for w in words])]
    while end < len(words) and tags[end] == "NOUN" and words[end].islower() and words[end] not in _DOERS:
        end += 1
    return [*run, *(w.strip(",;") for w in words[start + len(run) : end])]


def _noun_phrase(clause: str) -> str | None:
    """A short noun phrase the clause is about: after a copula ("What is machine learning"), between
    an auxiliary and the verb ("How does photosynthesis work") or after the verb ("Who invented the
    telephone")."""
    for pattern in (_COPULA_NP, _DOER_OBJECT, _AUX_NP, _IMPERATIVE_NP, _EMBEDDING_FRAME, _OBJECT_NP):
        match = pattern.match(clause)
        if match is None or (pattern is _OBJECT_NP and match.group("verb").lower() in _AUXILIARIES):
            continue
        words = match.group("np").split()
        longest = 7 if pattern is _COPULA_NP else 4  # "What is the tallest building in the world"
        if words[0] in _DOERS:  # "How can I find it": no noun phrase here
            continue
        if 1 <= len(words) <= longest and not _AUXILIARIES.intersection(w.lower() for w in words):
            return match.group("np")
    return None


def _person(clause: str) -> str | None:
    """Who "he" / "she" means after "Who is the CEO of Microsoft": the role, not the company; after
    "Who founded Microsoft": the founder of Microsoft."""
    match = re.match(r"^who\s+(?:is|was)\s+(?P<np>the\s+.+?)[?.!]?$", clause, re.I)
    if match:
        return match.group("np")
    match = re.match(r"^who\s+(?P<verb>[a-z]+)\s+(?P<np>.+?)[?.!]?$", clause, re.I)
    if match and (agent := _AGENT_NOUNS.get(match.group("verb").lower())):
        return f"the {agent} of {match.group('np')}"
    return None


def _leading_proper_noun(words: list[str]) -> str | None:
    """A sentence-initial subject ("Tesla makes cars."), which the capitalisation rule cannot tell
    from "The" or "What": a first word the bundled POS tagger reads as a noun, followed by a verb."""
    from enhanced_vllm.nlp.resources import pos_tagger

    if len(words) < 2 or not words[0][:1].isupper():
        return None
    (first, first_tag), (_, next_tag) = pos_tagger().tag([w.strip(",;.") for w in words[:2]])
    return first if first_tag in ("NOUN", "PROPN") and next_tag in ("VERB", "AUX") else None


def _plural_referent(clause: str) -> str | None:
    """What "they" / "them" / "their" in a later clause most likely means: a plural subject after
    the clause's opening auxiliary, else the last plural-looking noun of ``clause`` ("What do lions
    eat" -> "lions"), by the bundled POS tagger."""
    from enhanced_vllm.nlp.resources import pos_tagger

    if (opening := _AUX_SUBJECT.match(clause)) is not None:  # "Can dogs eat grapes": the dogs, not the grapes
        return opening.group("np")
    words = [w.strip(",;") for w in clause.rstrip("?.!").split()]
    tags = [tag for _, tag in pos_tagger().tag(words)]
    plural = [
        i
        for i, (word, tag) in enumerate(zip(words, tags, strict=True))
        if tag in ("NOUN", "PROPN") and _looks_plural(word)
    ]
    if not plural:
        return None
    last = plural[-1]
    start = last
    # modifiers: "solar panels" (not a plural-looking word, which the tagger may misread: "causes")
    while start > 0 and tags[start - 1] in ("NOUN", "ADJ") and not words[start - 1].lower().endswith("s"):
        if start > 1 and words[start - 2] in _DOERS:  # "How do I plant tomatoes": "plant" is the verb
            break
        start -= 1
    if start > 0 and words[start - 1].lower() in ("the", "these", "those"):
        start -= 1
    return " ".join(words[start : last + 1])


def _resolve_pronouns(clause: str, subject: str | None, plural: str | None = None, person: str | None = None) -> str:
    """Pronouns replaced: plural ones by ``plural`` (else ``subject``), personal ones by ``person``
    (else ``subject``), the others by ``subject``. A closing possessive phrase reads "the N of X"
    ("what is its capital" -> "what is the capital of France"), another one "X's"."""

    def referent(word: str) -> str | None:
        if word in _PLURAL_PRONOUNS:
            return plural or subject
        if word in ("it", "its") and subject is not None and subject == plural:
            return None  # "Why do cats purr and how do they do it?": "it" is not the cats
        if word == "it" and subject is not None and (of := _PLURAL_OF.match(subject)) is not None:
            return of.group("x")  # "What are the symptoms of flu and how is it treated?": flu
        return (person or subject) if word in _PERSONAL_PRONOUNS else subject

    closing = re.search(r"\b(?P<pronoun>its|his|her|their)\s+(?P<np>\w+(?:\s+\w+){0,3})(?P<end>[?.!]?)$", clause, re.I)
    if closing and (target := referent(closing.group("pronoun").lower())) is not None:
        if closing.group("pronoun").lower() == "its" and " of " in target:  # "the boiling point of water ... its"
            target = target[target.rindex(" of ") + 4 :]
        clause = f"{clause[: closing.start()]}the {closing.group('np')} of {target}{closing.group('end')}"

    def replace(match: re.Match) -> str:
        word = match.group(0).lower()
        if word == "it" and _EXPLETIVE_IT.match(clause, match.end()):  # "is it safe to drive": no referent
            return match.group(0)
        if (target := referent(word)) is None:
            return match.group(0)
        if word not in _POSSESSIVES:
            return target
        return f"{target}'" if word == "their" and target.endswith("s") else f"{target}'s"  # "the vaccines'"

    clause = re.sub(r"\b(?:it|he|she|they|him|them|its|his|their)\b", replace, clause, flags=re.I)
    if _INDEFINITE.match(referent("they") or ""):  # "how much do they earn" of "a paralegal": "does"
        clause = re.sub(r"\b(do|are|were|have)\s+(?=an?\s)", lambda m: f"{_SINGULAR_VERB[m.group(1).lower()]} ", clause)
    return clause


def _entity_tail(phrase: str) -> re.Match | None:
    """A trailing "of <Proper Name>" (e.g. "... of New Zealand")."""
    return re.search(r"\s+of\s+(?:the\s+)?[A-Z][\w.'-]*(?:\s+(?:of\s+(?:the\s+)?)?[A-Z][\w.'-]*)*$", phrase)


def _looks_plural(word: str) -> bool:
    """ "planets", "causes"; not "glass", "virus", "analysis"."""
    lower = word.lower()
    return lower.endswith("s") and not lower.endswith(("ss", "us", "is"))


def _copula(phrase: str, past: bool) -> str:
    plural = _looks_plural(re.split(r"\s+of\s+", phrase)[0].split()[-1])
    return ("were" if plural else "was") if past else ("are" if plural else "is")


def _noun_phrases(conjuncts: list[str]) -> list[str] | None:
    """Complete each conjunct: share a trailing "of X" (attributes) or a leading "the A of" (entities)."""
    owned = _LEADING_POSSESSIVE if _copula(conjuncts[0], past=False) == "are" else _ANY_POSSESSIVE
    later_possessive = all(owned.match(c) for c in conjuncts[1:])  # "their" too after a singular head: a team's
    if later_possessive and (owner := _OWNER.match(conjuncts[0])):  # "Scotland's national animal as well as its ..."
        return [conjuncts[0]] + [owned.sub(f"{owner.group('owner')} ", c) for c in conjuncts[1:]]
    if later_possessive and " of " in conjuncts[0]:  # "the boiling point of water along with its freezing point"
        tail = conjuncts[0][conjuncts[0].rindex(" of ") :]
        owner = tail.removeprefix(" of ")
        return (
            [conjuncts[0]]
            + [  # "its distance from the Sun": "Jupiter's distance from the Sun"
                owned.sub(f"{owner}'s ", c) if _OWN_PREPOSITION.search(c) else owned.sub("the ", c) + tail
                for c in conjuncts[1:]
            ]
        )
    tails = [_entity_tail(c) for c in conjuncts]
    if tails[-1] and not any(tails[:-1]):  # "the capital, the currency and the GDP of Mexico"
        if not all(_DETERMINER.match(c) for c in conjuncts[:-1]) and not _DETERMINER.match(conjuncts[-1]):
            return None
        tail = conjuncts[-1][tails[-1].start() :]
        return [c + tail for c in conjuncts[:-1]] + [conjuncts[-1]]
    if tails[0] and all(c[:1].isupper() and " of " not in c for c in conjuncts[1:]):  # "the GDP of X, Y and Z"
        head = _one_each(conjuncts[0][: tails[0].start()])
        return [f"{head}{conjuncts[0][tails[0].start() :]}"] + [f"{head} of {c}" for c in conjuncts[1:]]
    if tails[0] and all(c.startswith("of ") for c in conjuncts[1:]):  # "the capital of X and of Y"
        head = conjuncts[0][: tails[0].start()]
        return [conjuncts[0]] + [f"{head} {c}" for c in conjuncts[1:]]
    if tails[0] and all(_ARTICLE.match(c) and " of " not in c for c in conjuncts[1:]):  # "the area of X and the GDP"
        tail = conjuncts[0][tails[0].start() :]
        return [conjuncts[0]] + [c + tail for c in conjuncts[1:]]
    if all(tails):  # "the GDP of India as well as the area of Peru"
        return conjuncts
    if " of " in conjuncts[-1] and not any(" of " in c for c in conjuncts[:-1]) and _DETERMINER.match(conjuncts[0]):
        tail = conjuncts[-1][conjuncts[-1].rindex(" of ") :]  # "the causes and effects of inflation"
        return [c + tail for c in conjuncts[:-1]] + [conjuncts[-1]]
    return None


def _one_each(head: str) -> str:
    """ "the capitals" -> "the capital": asked of one entity, an attribute it has one of is singular."""
    if not (words := head.split()):
        return head
    singular = _singular_noun(words[-1])
    return " ".join([*words[:-1], singular]) if singular != words[-1] and singular.lower() in _ONE_EACH else head


def _attributes_by_entities(body: str) -> list[str] | None:
    """ "the area and GDP of Mexico and Peru": every attribute of every entity, attribute by attribute."""
    for at in reversed([m.start() for m in re.finditer(r"\s+of\s+", body)]):
        attributes, entities = body[:at], re.sub(r"^\s+of\s+", "", body[at:])
        entity_list = [e for e in _LIST_SEPARATOR.split(entities) if e]
        attribute_list = [a for a in _LIST_SEPARATOR.split(attributes) if a]
        if len(entity_list) < 2 or not all(e[:1].isupper() for e in entity_list):
            continue
        if len(attribute_list) < 2 or not (determiner := _DETERMINER.match(attribute_list[0])):
            return None
        attribute_list = [a if _DETERMINER.match(a) else f"{determiner.group(0)} {a}" for a in attribute_list]
        return [f"{attribute} of {entity}" for attribute in attribute_list for entity in entity_list]
    return None


def _split_noun_phrases(sentence: str) -> list[str] | None:
    match = _NP_PREFIX.match(sentence)
    if not match:
        return None
    body = match.group("body") or match.group("body2")
    if (match.group("verb") or "").lower() == "compare":  # "Compare the area of X with Y"
        body = re.sub(r"\s+(?:with|to|against)\s+", " and ", body, count=1)
    if (phrases := _attributes_by_entities(body)) is not None:
        return _asked_as(match, phrases)
    conjuncts = [c for c in _LIST_SEPARATOR.split(body) if c]
    if len(conjuncts) < 2:
        return None
    determiner = _DETERMINER.match(conjuncts[0])
    if determiner:  # "the capital and currency of X": the second conjunct shares "the"
        conjuncts = [
            c if _DETERMINER.match(c) or c[:1].isupper() or c.startswith("of ") else f"{determiner.group(0)} {c}"
            for c in conjuncts
        ]
    phrases = _noun_phrases(conjuncts)
    return None if phrases is None else _asked_as(match, phrases)


def _asked_as(match: re.Match, phrases: list[str]) -> list[str]:
    """Each noun phrase asked as the sentence asked (its wh-word, "What's", the copula's tense)."""
    wh = (match.group("wh") or "What").capitalize()
    if match.group("contracted"):  # "What's the capital of X and Y?" keeps its "What's"
        return [_finish(f"{wh}'s {phrase}") for phrase in phrases]
    past = (match.group("cop") or "").lower() in ("was", "were")
    return [_finish(f"{wh} {_copula(phrase, past)} {phrase}") for phrase in phrases]


def _split_verbs(sentence: str) -> list[str] | None:
    match = _VERB_COORDINATION.match(sentence)
    if not match:
        return None
    if match.group("conj").lower() == "or" and not _ALTERNATIVES_ASKED.match(sentence):
        return None
    verbs = [v for v in _VERB_SEPARATOR.split(match.group("verbs")) if v]
    if len(verbs) < 2 or any(v.lower() in _NOT_VERBS or v.lower() in _AUXILIARIES for v in verbs):
        return None
    thing = match.group("object")
    bare = _PREPOSITIONAL_OBJECT.sub("", thing)  # "plant and care for tulips": "plant tulips"

    def object_of(verb: str) -> str:
        return thing if verb is verbs[-1] or verb.split()[0].lower() in _TAKES_PREPOSITION else bare

    return [_finish(f"{match.group('prefix')} {verb} {object_of(verb)}") for verb in verbs]


def _split_verb_phrases(sentence: str) -> list[str] | None:
    if (match := _VERB_PHRASES.match(sentence)) is None or match.group("second").lower() in _NOT_VERBS:
        return None
    prefix, thing = match.group("prefix"), match.group("object")
    return [_finish(f"{prefix} {match.group(verb)} {thing}") for verb in ("first", "second")]


def _conjunct_bounds(words: list[str], tags: list[str], conjunction: int) -> list[tuple[int, int]] | None:
    """[start, end) of each noun phrase coordinated at ``words[conjunction]`` ("and"), left to right:
    the phrase after it, and before it one or more separated by commas, each of the same shape as
    the last: a name (capitalised words, "of" between them, a leading "the"), a phrase opened by a
    determiner, or adjectives and nouns. None if these are not noun phrases."""

    def of_between_names(i: int) -> bool:
        return words[i] == "of" and 0 < i < len(words) - 1 and words[i - 1][:1].isupper() and words[i + 1][:1].isupper()

    def in_last(i: int) -> bool:  # a name after "and" ends with its capitalised words: "Ireland part of ..."
        if name_follows and not (words[i][:1].isupper() or of_between_names(i)):
            return False
        return tags[i] in _NP_TAGS or of_between_names(i)

    name_follows = conjunction + 1 < len(words) and words[conjunction + 1][:1].isupper()
    end = conjunction + 1
    while end < len(words) and in_last(end) and not words[end - 1].endswith(","):
        end += 1
    while end > conjunction + 2 and tags[end - 1] == "ADJ":  # "Are X and Y safe during ...": "safe" is not Y's
        end -= 1
    last = range(conjunction + 1, end)
    if not last or not _HEAD_TAGS.intersection(tags[i] for i in last):
        return None
    named = all(words[i][:1].isupper() or of_between_names(i) or tags[i] == "DET" for i in last)
    determined = tags[last[0]] == "DET"

    def fits(i: int) -> bool:  # word i may belong to a conjunct before the "and"
        if named:
            return (words[i][:1].isupper() and tags[i] in _NP_TAGS) or of_between_names(i) or tags[i] == "DET"
        return tags[i] in _NP_TAGS and (determined or tags[i] != "DET")

    bounds, stop = [(conjunction + 1, end)], conjunction
    while True:
        start = stop
        while start > 0 and fits(start - 1) and (start == stop or not words[start - 1].endswith(",")):
            start -= 1
            if tags[start] == "DET":  # a determiner opens its conjunct
                break
        if start == stop:
            break
        bounds.insert(0, (start, stop))
        if start == 0 or not words[start - 1].endswith(","):  # no comma: the list starts here
            break
        stop = start
    if len(bounds) < 2 or bounds[0][0] == 0 or any(not _HEAD_TAGS.intersection(tags[a:b]) for a, b in bounds):
        return None
    if determined and any(tags[a] != "DET" for a, _ in bounds):  # "the boiling point of water and the freezing point"
        return None
    return bounds


def _is_title(phrases: list[list[str]], before: str, tags: list[str]) -> bool:
    """ "Who wrote Pride and Prejudice?", "Who wrote War and Peace?": after a verb of making or reading a
    work, capitalised single words that are common nouns (by the tagger or WordNet) name one title."""
    if not all(len(p) == 1 and p[0][:1].isupper() for p in phrases):
        return False
    if all(tag == "NOUN" for tag in tags):
        return True
    from enhanced_vllm.nlp.resources import wordnet

    nouns = all(wordnet().synsets(p[0].lower(), pos="n") for p in phrases)
    return before.lower() in _MAKING_VERBS and nouns


def _name_tag(i: int, word: str, tag: str) -> str:
    """The tagger's tag, except that a capitalised word inside the sentence ("Where were Mozart and
    Beethoven born": VERB by the tagger) or one like "iPhone" is a name."""
    if tag != "PROPN" and word != "I" and ((i > 0 and word[:1].isupper()) or any(c.isupper() for c in word[1:])):
        return "PROPN"
    return tag


def _split_coordinated_phrases(sentence: str) -> list[str] | None:
    """ "When were Google and Amazon founded?" -> one question per coordinated noun phrase."""
    from enhanced_vllm.nlp.resources import pos_tagger

    words = sentence.split()
    conjunctions = [i for i, word in enumerate(words) if word.lower() == "and"]
    if len(conjunctions) != 1 or _FIXED_PAIRS.search(sentence):
        return None
    clean = [w.strip(",") for w in words]
    tags = [_name_tag(i, word, tag) for i, (word, tag) in enumerate(pos_tagger().tag(clean))]
    if (bounds := _conjunct_bounds(words, tags, conjunctions[0])) is None:
        return None
    phrases = [clean[a:b] for a, b in bounds]
    prefix, suffix = clean[: bounds[0][0]], clean[bounds[-1][1] :]
    if _is_title(phrases, prefix[-1], [tags[a] for a, _ in bounds]):
        return None
    if prefix[-1].lower() in _SINGULAR_AUXILIARIES and suffix and all(p[0][:1].isupper() for p in phrases):
        return None  # "Where is Marks and Spencer headquartered?": a singular verb, so one name
    if _RECIPROCAL_VERBS.intersection(w.lower() for w in suffix[:2]):
        return None  # "When did Simon and Garfunkel break up / get married?": one event of both
    if prefix[-1] == "of" and (one := _one_each(" ".join(prefix[:-1])).split()) != prefix[:-1]:
        # "What are the boiling points of water and ethanol?" -> "What is the boiling point of water?"
        prefix = [_SINGULAR_VERB.get(w.lower(), w) if w.lower() in ("are", "were") else w for w in one] + ["of"]
    questions = []
    verb = prefix[-1].lower()
    for phrase in phrases:
        head = phrase[next((k for k, w in enumerate(phrase) if w == "of"), len(phrase)) - 1]
        singular = head[:1].isupper() or not head.lower().endswith("s")  # a name, or a singular noun
        lead = [*prefix[:-1], _SINGULAR_VERB[verb]] if singular and verb in _SINGULAR_VERB else prefix
        if lead is not prefix:  # "What time zones are X and Y in?" -> "What time zone is X in?"
            lead = _one_each(" ".join(lead[:-1])).split() + lead[-1:]
        questions.append(_finish(" ".join([*lead, *phrase, *suffix])))
    return questions


def _superlative(word: str, tag: str) -> bool:
    """After "the": "hottest", "best" (which the tagger may read as an adverb)."""
    return word.lower() in _SUPERLATIVES or (tag in ("ADJ", "ADV") and word.lower().endswith("est"))


def _singular_noun(word: str) -> str:
    """ "planets" -> "planet", "cities" -> "city", "beaches" -> "beach"."""
    lower = word.lower()
    if lower.endswith("ies"):
        return word[:-3] + "y"
    if lower.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1] if _looks_plural(word) else word


def _picks_one(adjectives: list[str], after_noun: list[str]) -> bool:
    """ "the hottest and coldest planets (in ...)" each pick one; "the best and worst foods for X" and
    "the cheapest and most reliable used cars" name several of each."""
    if after_noun and after_noun[0].lower() == "for":
        return False
    return bool(after_noun) or not any(a.split()[0].lower() in _EVALUATIVE for a in adjectives)


def _split_quantified(sentence: str) -> list[str] | None:
    """ "Could you recommend some bakeries in Paris and some cafés?": the place goes with both; "a
    good Thai restaurant in Boston and one in Chicago": the thing goes with both places."""
    if (match := _ANOTHER_PLACE.match(sentence)) is not None:
        prefix, thing = match.group("prefix"), match.group("thing")
        return [_finish(f"{prefix}{thing} {match.group(place)}") for place in ("first", "second")]
    if (match := _QUANTIFIED.match(sentence)) is None or len(match.group("second").split()) > 2:
        return None
    prefix, det, place = match.group("prefix"), match.group("det"), match.group("place")
    return [_finish(f"{prefix}{det} {match.group(part)} {place}") for part in ("first", "second")]


def _split_superlatives(sentence: str) -> list[str] | None:
    """ "What are the hottest and coldest planets?" -> "What is the hottest planet?", ...: one question
    per coordinated superlative, the noun and the verb singular (each picks one)."""
    from enhanced_vllm.nlp.resources import pos_tagger

    if not _THE_COORDINATED.search(sentence):
        return None
    words = sentence.split()
    tags = [tag for _, tag in pos_tagger().tag([w.strip(",") for w in words])]
    conjunctions = [i for i, word in enumerate(words) if word.lower() in ("and", "or")]
    if len(conjunctions) != 1 or not 0 < conjunctions[0] < len(words) - 2:
        return None
    at = conjunctions[0]
    first = at - 1
    while first > 0 and words[first - 1].endswith(",") and _superlative(words[first - 1].strip(","), tags[first - 1]):
        first -= 1
    second = 2 if words[at + 1].lower() in ("most", "least") and at + 3 < len(words) else 1  # "most reliable"
    adjectives = [w.strip(",") for w in words[first:at]] + [words[at + 1]]
    if (
        first == 0
        or words[first - 1].lower() != "the"
        or not all(_superlative(w, t) for w, t in zip(adjectives, [*tags[first:at], tags[at + 1]], strict=True))
    ):
        return None
    adjectives[-1] = " ".join(words[at + 1 : at + 1 + second])
    rest = words[at + 1 + second :]
    rest_tags = tags[at + 1 + second :]
    head = next((k for k, tag in enumerate(rest_tags) if tag == "NOUN" and rest[k].islower()), None)
    while head is not None and head + 1 < len(rest) and rest_tags[head + 1] == "NOUN" and rest[head + 1].islower():
        head += 1  # "land animals": the head is the last noun
    prefix = words[:first]
    if (
        head is not None
        and _picks_one(adjectives, rest[head + 1 :])
        and (verb := prefix[-2].lower() if len(prefix) > 1 else "") in _SINGULAR_VERB
    ):
        singular = _singular_noun(rest[head])
        if singular != rest[head]:
            prefix = [*prefix[:-2], _SINGULAR_VERB[verb], prefix[-1]]
            rest = [*rest[:head], singular, *rest[head + 1 :]]
    return [_finish(" ".join([*prefix, adjective, *rest])) for adjective in adjectives]


def _starts_verb_phrase(words: list[str], tags: list[str], i: int) -> bool:
    """Word i opens a verb phrase: the tagger says so, or it can be a verb (WordNet) and is followed by
    what opens its object ("apply for a card", "practice speaking"); the tagger reads some as nouns."""
    if tags[i] == "VERB":
        return True
    if tags[i] != "NOUN" or i + 1 >= len(words) or tags[i + 1] not in ("ADP", "DET", "PRON", "VERB"):
        return False
    from enhanced_vllm.nlp.resources import wordnet

    return bool(wordnet().synsets(words[i].lower(), pos="v"))


def _split_verb_phrase_list(sentence: str) -> list[str] | None:
    """ "How do I install Python and set up a virtual environment?": verb phrases with objects of
    their own, each asked with the shared opening (a later pronoun is left to ``_split_verb_phrases``)."""
    from enhanced_vllm.nlp.resources import pos_tagger

    match = _DOER_OPENING.match(sentence)
    if match is None:
        return None
    words = match.group("rest").split()
    conjunctions = [i for i, word in enumerate(words) if word.lower() == "and"]
    if len(conjunctions) != 1 or _PRONOUN_OBJECT.search(match.group("rest")):
        return None
    tags = [tag for _, tag in pos_tagger().tag([w.strip(",") for w in words])]
    at = conjunctions[0]
    if not 1 < at < len(words) - 1 or tags[0] != "VERB" or not _starts_verb_phrase(words, tags, at + 1):
        return None
    phrases = [" ".join(words[:at]).rstrip(","), " ".join(words[at + 1 :])]
    return [_finish(f"{match.group('prefix')} {phrase}") for phrase in phrases]


def _bare_wh(wh: str, first: str) -> str:
    """A bare "and why?" asked of the first clause: "When did Rome fall and why?" -> "Why did Rome
    fall?"; "Who founded Nike and when?" -> "When was Nike founded?"."""
    if _BARE_WH_REPLACES.match(first):
        return _BARE_WH_REPLACES.sub(wh, first, count=1)
    if (match := _AGENT.match(first)) is not None and (participle := _participle(match.group("verb"))) is not None:
        return f"{wh} was {match.group('np')} {participle}"
    return wh


def _participle(past: str) -> str | None:
    """ "founded" -> "founded", "wrote" -> "written"; None for a word that is no past tense we know."""
    past = past.lower()
    if past.endswith("ed"):
        return past
    return _PARTICIPLE_OF.get(past)


def _what_about(clause: str, first: str, subject: str | None) -> str:
    """ "What is the currency of India and what about Peru?": the first clause, about Peru."""
    match = _WHAT_ABOUT.match(clause.strip())
    if match is None or subject is None or subject not in first:
        return clause
    at = first.rindex(subject)
    return first[:at] + match.group("entity") + first[at + len(subject) :]


def _with_head(clause: str, first: str) -> str:
    """ "Which cities have metros and which have trams?", "Which animals hibernate and which
    migrate?": the second "which" asks of the same cities or animals (it is followed by the first
    clause's verb, an auxiliary, or a verb alone)."""
    head, elided = _WH_HEAD.match(first), _ELIDED_WH.match(clause.strip())
    if head is None or elided is None or head.group("head").lower() in _AUXILIARIES:
        return clause
    verb = elided.group("verb").lower()
    if verb != head.group("verb").lower() and verb not in _AUXILIARIES and elided.group("rest").strip():
        return clause
    return f"{elided.group('wh')} {head.group('head')} {clause.strip()[len(elided.group('wh')) :].strip()}"


def _split_repeated_preposition(sentence: str) -> list[str] | None:
    """ "What is the price of gold in London and in Dubai?" -> one question per prepositional object."""
    if (match := _REPEATED_PREPOSITION.match(sentence)) is None:
        return None
    return [_finish(f"{match.group('prefix')} {match.group(part)}") for part in ("first", "second")]


def _mentions_plural_pronoun(clauses: list[str]) -> bool:
    return any(_PLURAL_PRONOUN.search(clause) for clause in clauses)


def _by_whom(sentence: str) -> list[str] | None:
    """ "When was Google founded and by whom?" -> the question, and who did it."""
    match = _BY_WHOM.match(sentence.rstrip("?.!"))
    if match is None:
        return None
    verb = _PAST_OF.get(match.group("participle").lower(), match.group("participle"))
    return [_finish(match.group("first")), _finish(f"Who {verb} {match.group('np')}")]


def _in_which(sentence: str) -> list[str] | None:
    """ "Who discovered penicillin and in which year?" -> the question, and in which year it was done."""
    match = _IN_WHICH.match(sentence.rstrip("?.!"))
    if match is None:
        return None
    return [_finish(match.group("first")), _finish(_bare_wh(match.group("wh"), match.group("first")))]


def _and_whether(sentence: str) -> list[str] | None:
    """ "Can you tell me the opening hours of X and whether entry is free?" -> both asked in the frame."""
    match = _AND_WHETHER.match(sentence.rstrip("?.!"))
    if match is None:
        return None
    frame, first = match.group("frame"), match.group("first")
    second = _standalone(_resolve_pronouns(match.group("second"), _subject(first)), first, _subject(first))
    return [_finish(f"{frame} {first}"), _finish(f"{frame} {second}")]


def _indefinite(clause: str) -> str | None:
    """ "What is a Roth IRA", "Where can I buy a used car": the "a N" a later "one" stands for."""
    from enhanced_vllm.nlp.resources import pos_tagger

    for pattern in (_COPULA_NP, _DOER_OBJECT):
        if (match := pattern.match(clause.rstrip("?.!"))) is not None and _INDEFINITE.match(match.group("np")):
            return match.group("np")
    words = [w.strip(",;") for w in clause.rstrip("?.!").split()]
    if (start := next((i for i, w in enumerate(words) if w.lower() in ("a", "an")), None)) is None:
        return None  # "Is a Roth IRA worth it": the first "a N" of the clause, to its last noun
    tags = [tag for _, tag in pos_tagger().tag(words)]
    end = start + 1
    while end < len(words) and tags[end] in ("ADJ", "NOUN", "PROPN"):
        end += 1
    nouns = [i for i in range(start + 1, end) if tags[i] in _HEAD_TAGS]
    return " ".join(words[start : nouns[-1] + 1]) if nouns else None


def _standalone(later: str, first: str, subject: str | None) -> str:
    """A later clause or sentence on its own: "one" as the first one's "a N" ("... and should I open
    one?" -> "should I open a Roth IRA?"), a closing "any" as "any N" after "How many N", "tickets" as
    "tickets to X" after a question about the place X, and without the "also" / "too" that tied it to
    the first."""
    if (thing := _indefinite(first)) is not None:
        later = _ONE.sub(
            lambda m: m.group(0) if m.group("before").lower() in _ONE_DETERMINERS else f"{m.group('before')} {thing}",
            later,
        )
    later = _ALSO.sub("", later)
    if (many := _HOW_MANY.match(first)) is not None:
        later = _ANY.sub(lambda m: f"{m.group('any')} {many.group('noun')}", later)
    if subject is not None and subject.split()[-1][:1].isupper() and subject not in later:
        later = _TRIP_NOUN.sub(lambda m: f"{m.group(0)} {_TRIP_NOUNS[m.group('noun').lower()]} {subject}", later, 1)
        later = _THERE.sub(lambda m: f"{m.group('motion') or ''}{'to' if m.group('motion') else 'in'} {subject}", later)
    if subject is not None and subject.split()[-1][:1].isupper() and _BARE_ATTRIBUTE.match(later.rstrip("?.!")):
        later = f"{later.rstrip('?.!')} of {subject}"
    if (ask := _HOW_KNOW.match(later.strip())) is not None and (asked := _WH_COPULA.match(first.strip())):
        later = f"{ask.group('ask')} {asked.group('wh').lower()} {asked.group('np')} {asked.group('cop').lower()}?"
    return later


def _what_about_sentence(sentence: str, previous: str) -> str:
    """ "Can dogs eat grapes? What about chocolate?": the previous question about the new thing,
    which takes the place of the previous one's only name (a name) or its last noun (a common noun)."""
    from enhanced_vllm.nlp.resources import pos_tagger

    fragment = sentence.rstrip("?.!").strip()
    if (pp := _PP_FRAGMENT.match(fragment)) is not None:  # "... at sea level? And on top of Everest?"
        return _with_phrase(previous, pp.group(0))
    match = _WHAT_ABOUT.match(fragment) or _NAME_FRAGMENT.match(fragment)  # "What about Germany?", "And Germany?"
    if match is None:
        return sentence
    if (pp := _PP_FRAGMENT.match(match.group("entity"))) is not None:  # "What about in Texas?"
        return _with_phrase(previous, pp.group(0))
    entity, words = match.group("entity"), previous.rstrip("?.!").split()
    article = entity.lower().startswith("the ")  # "What about the Prado?" replaces "the Louvre"
    if entity.split()[-1][:1].isupper():
        names = [i for i in range(1, len(words)) if words[i][:1].isupper() and (i == 1 or words[i - 1].islower())]
        if len(names) > 1:  # "Is Norway in the EU? What about Sweden?": a bare name replaces a bare name
            names = [i for i in names if (words[i - 1].lower() == "the") == article]
        if len(names) != 1:  # "Did Obama meet Putin? What about Macron?": which one it replaces is unclear
            return sentence
        start = end = names[0]
        while end + 1 < len(words) and words[end + 1][:1].isupper():
            end += 1
        start -= article and words[start - 1].lower() == "the"
        return _finish(" ".join([*words[:start], entity, *words[end + 1 :]]))
    tags = [tag for _, tag in pos_tagger().tag(words)]
    nouns = [i for i, (word, tag) in enumerate(zip(words, tags, strict=True)) if tag == "NOUN" and word.islower()]
    if not nouns or nouns[-1] != len(words) - 1:  # only a closing object is replaced
        return sentence
    start = nouns[-1]
    while start > 0 and tags[start - 1] in ("NOUN", "ADJ", "DET") and words[start - 1].islower():
        start -= 1
    return _finish(" ".join([*words[:start], entity]))


def _with_phrase(previous: str, phrase: str) -> str:
    """The previous question with ``phrase`` in place of its last prepositional phrase (or added)."""
    words = previous.rstrip("?.!").split()
    at = next((i for i in range(len(words) - 1, 1, -1) if words[i].lower() in _FRAGMENT_PREPOSITIONS), len(words))
    return _finish(" ".join([*words[:at], phrase[:1].lower() + phrase[1:]]))


def _is_statement(sentence: str) -> bool:
    """ "I'm reading about Nelson Mandela.": context for the questions after it, not a question (nor a
    request: "Give an example." opens with a verb)."""
    from enhanced_vllm.nlp.resources import pos_tagger

    words = sentence.split()
    if not sentence.rstrip().endswith(".") or _IMPERATIVE_START.match(sentence.strip()):
        return False
    return pos_tagger().tag(words[:1])[0][1] != "VERB"


def _decompose_sentence(sentence: str) -> list[str]:
    sentence = sentence.strip()
    if (asked := _by_whom(sentence) or _in_which(sentence) or _and_whether(sentence)) is not None:
        return asked
    clauses = _CLAUSE_SPLIT.split(sentence.rstrip("?.!"))
    if _KEEP_WHOLE.search(clauses[0]):  # "the difference between A and B"; a later clause keeps only itself whole
        return [sentence]
    if len(clauses) > 1:
        subject = _subject(clauses[0])
        plural = _plural_referent(clauses[0]) if _mentions_plural_pronoun(clauses[1:]) else None
        person = _person(clauses[0])
        questions = _decompose_sentence(_finish(clauses[0]))
        for clause in clauses[1:]:
            if clause.strip().lower() in _BARE_WH:
                clause = _bare_wh(clause.strip(), clauses[0])
            clause = _with_head(_what_about(clause, clauses[0], subject), clauses[0])
            if (frame := _EMBEDDING_FRAME.match(clauses[0])) and re.match(r"^(?:how|why|when|where|what)\b", clause):
                clause = f"{frame.group('frame')} {clause.strip()}"  # "... and what it is made of"
            elif (frame := _REQUEST_FRAME.match(clauses[0])) and _EMBEDDED_WH.match(clause.strip()):
                clause = f"{frame.group('frame')} {clause.strip()}"  # "Tell me about X and why it collapsed."
            clause = _standalone(_resolve_pronouns(clause, subject, plural, person), clauses[0], subject)
            questions.extend(_decompose_sentence(_finish(clause)))
        return questions
    text = sentence.rstrip("?.!").strip()
    if _FIXED_PAIRS.search(text) and len(_AND.findall(text)) == 1:  # "the population of Trinidad and Tobago"
        return [sentence]
    return (
        _split_superlatives(text)
        or _split_quantified(text)
        or _split_noun_phrases(text)
        or _split_verbs(text)
        or _split_verb_phrases(text)
        or _split_verb_phrase_list(text)
        or _split_repeated_preposition(text)
        or _split_coordinated_phrases(text)
        or [sentence]
    )


def decompose(question: str) -> list[str]:
    """Self-contained sub-questions of ``question``; a simple question maps to itself."""
    text = question.strip()
    if text.endswith("?"):  # "What is X; who is Y?": two questions
        text = re.sub(r"\s*;\s+(\w)", lambda m: "? " + m.group(1).upper(), text)
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    statements = [_is_statement(s) for s in sentences]
    drop = any(statements) and not all(statements)  # a statement before a question only sets the scene
    questions = _decompose_sentences(sentences, drop)
    if drop and any(_UNRESOLVED.search(q) for q in questions):  # "My laptop is slow. How can I speed it up?"
        questions = _decompose_sentences(sentences, drop_statements=False)
    return questions or [question]


def _decompose_sentences(sentences: list[str], drop_statements: bool) -> list[str]:
    """Each sentence decomposed, its pronouns read against the sentences before it; statements that
    only set the scene are left out when ``drop_statements``."""
    questions: list[str] = []
    subject = plural = person = previous = place = None
    for i, sentence in enumerate(sentences):
        if i > 0:  # "What is the capital of France? And what is its population?"
            sentence = _resolve_pronouns(_LEADING_CONJUNCTION.sub("", sentence), subject, plural, person)
            sentence = sentence[:1].upper() + sentence[1:]
            if previous is not None:
                sentence = _standalone(_what_about_sentence(sentence, previous), previous, subject)
        if i + 1 < len(sentences):  # only a later sentence reads it
            subject = _subject(sentence) or subject
            plural = (_plural_referent(sentence) if _mentions_plural_pronoun(sentences[i + 1 :]) else None) or plural
            person = _person(sentence) or person
        previous = sentence
        if drop_statements and _is_statement(sentence):
            if (visit := _VISITING.search(sentence)) is not None:
                place = visit.group("place")
            continue
        for sub_question in _decompose_sentence(sentence):
            sub_question = _in_place(sub_question, place)
            if sub_question not in questions:
                questions.append(sub_question)
    return questions


def _in_place(question: str, place: str | None) -> str:
    """ "I'm visiting Rome. What should I see?" -> "What should I see in Rome?": a question that ends
    on a verb of visiting and names no place is asked of the place the scene was set in."""
    words = question.rstrip("?.!").split()
    if place is None or not _VISIT_VERB.match(words[-1]) or any(w[:1].isupper() and w != "I" for w in words[1:]):
        return question
    return _finish(f"{question.rstrip('?.!')} in {place}")
