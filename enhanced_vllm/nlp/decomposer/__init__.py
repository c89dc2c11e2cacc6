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
  up and secure"), and a pronoun object ("How do I install Docker and configure it?"); two verbs
  closing a clause or before its closing setting ("When did World War I start and end?", "... start and end
  in the US?"); "-ing" lists after a verb ("At what age do babies start crawling, walking and talking?");
  verb-phrase lists ("How do I reset my router, change the password, and update the firmware?", "back up my
  phone, wipe it, and sell it", "install Python on Windows and then add it to PATH");
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
  banana?"), lists of three or more, an "or" list of three asked of each ("Can dogs eat grapes,
  raisins, or chocolate?"; "Vietnam, Cambodia or Laos"; two places in a yes/no question: "in California or
  Texas"), adjectives before one plural noun ("for soft, medium and hard yolks"), a shared "how much" ("How
  much protein and fiber are in ...");
- coordinated superlatives: "What are the largest and smallest countries in Europe?" -> one question
  each, singular; "or" between verbs after where / how / when ("Where can I rent or buy a bike?");
- "What's" lists keep their "What's"; "; " and ", but (more importantly)" between two questions
  separate them.
Across clauses and sentences: pronouns, "What about X?" / "And X?" / "And in 2022?" asks the previous
question of X, "one" stands for the first question's "a N", a closing "any" for "How many N", "tickets"
for tickets to the place asked about, "How do we know?" asks how the first question is known, a bare
"how many" and "the second" take the first question's noun ("how many does Saturn have?", "who was the
second?"), "also" / "too" are dropped, a clause that leaves out what it shares is completed ("..., and
does Java?", "and how long for hard yolks?", "how do I do it in Rust?"), and a statement that only sets
the scene ("Tesla makes cars.", "I've heard of X but ...") is left out unless a pronoun still needs it
(a place it sets is added to "What should I see?"; "My sister has asthma." gives "my sister"); a closing
", and a panda?" / "And a fiddle leaf fig?" asks the question again in place of the first's one "a N"
("a firm one" shares "a runny yolk"'s noun), "If so, at what rate?" asks it of the yes/no question before
it, and a question embedded in a first-person frame is asked directly once split out ("I was wondering
how long X takes and ..." -> "How long does X take?"; "Can you tell me ..." keeps its frame).
Conjunctions: and, as well as, along with, together with, plus, "&", and comma lists. A fixed pair ("pros and
cons", "Procter & Gamble") is joined into one word before any rule reads the question. Kept whole:
questions that only look compound ("difference between A and B", "A vs B", "in common", titles such as
"Pride and Prejudice" (two capitalised common nouns), fixed pairs such as "rock and roll" or "supply and
demand", "at the same time" / "together", one name after a singular verb ("Where is Procter and Gamble
headquartered?"), the subjects of a shared event ("When did Exxon and Mobil merge?"), mixing or interacting
("Is it safe to mix X and Y?", "Do X and Y interact?"), a choice ("Should
I rent or buy a house?")).
"""

from __future__ import annotations

from enhanced_vllm.nlp.decomposer.sentences import decompose

__all__ = ["decompose"]
