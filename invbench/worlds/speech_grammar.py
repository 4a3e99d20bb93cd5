"""The speech world's sentence grammar: weighted templates expanded by a context-free grammar.

A sentence expands a weighted template (:data:`TEMPLATES`) by a small context-free grammar
(:data:`RULES`) over the word classes of :mod:`invbench.worlds.speech_lexicon` that keeps
agreement and tense ("i am", "she plays", "we were"): 3 to 12 words, capitalised, one final
period, no other punctuation. :mod:`invbench.worlds.speech_world` draws distinct sentences and
splits them.
"""

from __future__ import annotations

import numpy as np

from invbench.worlds.speech_lexicon import WORD_CLASSES, parse_statements

# ------------------------------------------------------------------ grammar
# A rule's alternatives are split by "|"; one is drawn uniformly (repeat one to weight it). Its
# symbols: an UPPERCASE rule or word class, a lowercase literal word, or a choice "(a/B/c)" of
# those. A trailing "?" makes a symbol optional (kept with probability P_OPTIONAL); a trailing
# "~" picks its _NOW or _PAST version by the sentence's tense, drawn once, so clauses agree.
_GRAMMAR = """
SNP: (the/a) SIZES? COLOURS SHAPES | (the/a) SIZES COLOURS? SHAPES
RELATION: above | below | beside | near | (left/right) of | on the (left/right) of
SHAPE_TAIL: on a COLOURS background | on COLOURS | on the (left/right)
SHAPE_FACT: (the/a) COLOURS SHAPES is very? SIZES | (the/a) SIZES SHAPES is COLOURS
  | SNP is on the (left/right)  # the predicate never repeats the subject ("the red star is red")
SHAPE_ORDER: SHAPE_COMMANDS SNP | move SNP slightly? (DIRECTIONS/left/right)
ONE: the | the | a | my | his | her | this | that | every; MASS: | | the | my  # "made soup"
MANY: the | the | my | his | her | these | those
PERSON: ONE ANIMATE_ADJECTIVES? PEOPLE; ANIMAL: ONE (ANIMATE_ADJECTIVES/black/white)? ANIMALS
# Subjects by agreement ("_3" takes "is" and "plays", PLURAL "are" and "play"), with or without
# animals: only people drive, cook or play chess.
HUMAN_3: (he/she) | PERSON | PERSON; SUBJ_3: HUMAN_3 | HUMAN_3 | ANIMAL
HUMAN_PLURAL: (we/they/you) | MANY ANIMATE_ADJECTIVES? PEOPLE_PLURAL
PLURAL: HUMAN_PLURAL | HUMAN_PLURAL | MANY ANIMATE_ADJECTIVES? ANIMALS_PLURAL
SUBJ: SUBJ_3 | SUBJ_3 | i | PLURAL; HUMAN: HUMAN_3 | HUMAN_3 | i | HUMAN_PLURAL
BE_NOW: i am | SUBJ_3 is | SUBJ_3 is | PLURAL are; BE_PAST: i was | SUBJ_3 was | PLURAL were
HUMAN_BE_NOW: i am | HUMAN_3 is | HUMAN_PLURAL are; HUMAN_BE_PAST: i was | HUMAN_3 was
  | HUMAN_PLURAL were
# Each kind of place with the prepositions that fit it: "in the kitchen", "on the table".
PLACE: (in/near/outside) the PLACE_ADJECTIVES? ROOMS | (at/near/behind/outside) the SITES
  | (in/near) the PLACE_ADJECTIVES? OUTDOORS | in the OUTDOORS behind the SITES
  | (near/beside/on) the PATHS | (on/under/beside/near/behind) the FURNITURE
  | (beside/near/behind) the FIXTURES
PLACE_NOUN: ROOMS | SITES | OUTDOORS | PATHS
# Time and tense agree: "last night" and "yesterday" only in the past, "tonight" only not.
WHEN: this (morning/afternoon/evening/spring/summer) | in the (morning/afternoon/evening)
  | (after/before) (MEALS/school) | at night
WHEN_PAST: WHEN | WHEN | last (night/spring/summer/winter) | (yesterday/today)
WHEN_NOW: WHEN | WHEN | (today/tonight)
END_PAST: PLACE | WHEN_PAST | PAST_ADVERBS | PLACE_ADVERBS | PLACE WHEN_PAST
END_NOW: PLACE | WHEN_NOW | PLACE_ADVERBS | PLACE WHEN_NOW
# Each verb class with the objects it fits: "planted tomatoes", "fed the cat".
DEED: THING_VERBS ONE THING_ADJECTIVES? THINGS | THING_VERBS MANY THING_ADJECTIVES? THINGS_PLURAL
  | FOOD_VERBS MASS FOOD_ADJECTIVES? FOODS | FOOD_VERBS MASS MEALS | PLANT_VERBS MASS PLANTS
  | CREATURE_VERBS (me/him/us/them/PERSON/ANIMAL) | PLACE_VERBS ONE PLACE_ADJECTIVES? PLACE_NOUN
  | (turned/switched) (on/off) the DEVICES
ROUTE: (along/across/over/up/down/around) the PLACE_ADJECTIVES? (PATHS/OUTDOORS)
INTRANSITIVE: SUBJ (MANNER_ADVERBS/SUDDEN_ADVERBS)? INTRANSITIVE_PAST END_PAST?
  | SUBJ INTRANSITIVE_PAST MANNER_ADVERBS PLACE? | SUBJ AT_VERBS at (PERSON/ANIMAL)
  | SUBJ AT_VERBS at ONE THINGS | SUBJ MOTION_PAST MANNER_ADVERBS? ROUTE WHEN_PAST?
  | HUMAN RIDE_PAST ROUTE WHEN_PAST?
# Each kind of thing described by the adjectives that fit it.
DESCRIPTION: (the/my/this/that) PLACE_NOUN COPULAS~ PLACE_STATE | the NATURE COPULAS~ PLACE_STATE
  | (the/my/this) FOODS (COPULAS~/FOOD_COPULAS~) INTENSIFIERS? FOOD_ADJECTIVES
  | (the/my/this/that) THINGS COPULAS~ INTENSIFIERS? THING_ADJECTIVES WHEN~?
  | (the/my/that) (PEOPLE/ANIMALS) COPULAS~ INTENSIFIERS? ANIMATE_ADJECTIVES WHEN~?
PLACE_STATE: INTENSIFIERS? PLACE_ADJECTIVES | PLACE_ADJECTIVES and PLACE_ADJECTIVES
  | PLACE_ADJECTIVES in the morning and PLACE_ADJECTIVES in the (afternoon/evening)
PROGRESSIVE: BE~ ING_VERBS END~? | HUMAN_BE~ ING_OBJECT END~?
ING_OBJECT: playing GAMES | cooking MASS MEALS | eating MASS FOOD_ADJECTIVES? FOODS
  | watching the (bright/beautiful)? (stars/birds)
# Each event with what its subject does: "the rain kept falling", "the clock stopped ticking".
EVENT: the THING_ADJECTIVES? (phone/bell) IS~ ringing | the THING_ADJECTIVES? clock IS~ ticking
  | the sun IS~ shining | the (rain/snow) IS~ falling | the kettle IS~ boiling
  | the fire IS~ burning | the baby IS~ crying | the birds ARE~ singing | the stars ARE~ shining
  | the leaves ARE~ falling | the dogs ARE~ barking
IS_NOW: is; IS_PAST: was | was | kept | stopped; ARE_NOW: are
ARE_PAST: were | were | kept | stopped
ORDER: IMPERATIVE_THING (the/my/this/that) THING_ADJECTIVES? THINGS ORDER_TAIL?
  | IMPERATIVE_FOOD (the/more) FOODS ORDER_TAIL? | IMPERATIVE_CREATURE (me/him/us/them) ORDER_TAIL?
  | IMPERATIVE_CREATURE (the/my/this/that) (PEOPLE/ANIMALS) ORDER_TAIL?
  | (turn/switch) (on/off) the DEVICES ORDER_TAIL?
ORDER_TAIL: PLACE | REQUEST_ADVERBS
HABIT_CLAUSE: HUMAN_3 FREQUENCY_ADVERBS? HABIT_3 | (i/HUMAN_PLURAL) FREQUENCY_ADVERBS? HABIT_BASE
  | SUBJ_3 FREQUENCY_ADVERBS? PRESENT_THIRD (outside/PLACE)?
  | (i/PLURAL) FREQUENCY_ADVERBS? PRESENT_BASE (outside/PLACE)?
  | HUMAN_3 FREQUENCY_ADVERBS? PRESENT_THIRD outside? and HABIT_3
  | (i/HUMAN_PLURAL) FREQUENCY_ADVERBS? PRESENT_BASE outside? and HABIT_BASE
HABIT_3: plays the INSTRUMENTS | plays GAMES | watches the (bright/beautiful)? (stars/birds)
  | likes FOODS | needs more? FOODS SHOPPING? | visits the PLACE_ADJECTIVES? SITES
HABIT_BASE: play the INSTRUMENTS | play GAMES | watch the (bright/beautiful)? (stars/birds)
  | like FOODS | need more? FOODS SHOPPING? | visit the PLACE_ADJECTIVES? SITES
SHOPPING: and FOODS | from the SITES | and FOODS from the SITES
CLAUSE_NOW: EVENT | DESCRIPTION | PROGRESSIVE; CLAUSE_PAST: INTRANSITIVE | EVENT | DESCRIPTION
  | PROGRESSIVE
"""
RULES: dict[str, str] = parse_statements(_GRAMMAR)
"""Every rule of the grammar by name, as written."""

TEMPLATES: tuple[tuple[str, str, float], ...] = (
    ("shape_relation", "SNP is RELATION SNP SHAPE_TAIL?", 3.0),  # the targets lean on shapes
    ("shape_property", "SHAPE_FACT | SHAPE_FACT | SHAPE_FACT and SHAPE_FACT", 1.5),
    ("shape_command", "please? SHAPE_ORDER", 1.0),  # "move the yellow square slightly higher"
    ("shape_phrase", "SNP", 0.5),  # "a small yellow triangle"
    ("action", "HUMAN (MANNER_ADVERBS/SUDDEN_ADVERBS)? DEED END_PAST?", 1.7),  # "she opened ..."
    ("intransitive", "INTRANSITIVE", 1.5),  # "the old man walked slowly along the river"
    ("description", "DESCRIPTION", 1.0),  # "the library is quiet in the morning and ..."
    ("progressive", "PROGRESSIVE", 1.0),  # "the kids were playing football in the park"
    ("event", "EVENT END~?", 0.7),  # "the phone is ringing in the kitchen"
    ("request", "please ORDER | ORDER please | ORDER | ORDER", 1.2),  # "pass the salt please"
    ("habit", "WHEN_NOW? HABIT_CLAUSE", 1.2),  # "after dinner we usually sit outside and ..."
    ("compound", "CLAUSE~ CONJUNCTIONS CLAUSE~", 1.0),  # "... while the rain kept falling"
)
"""(name, rule, weight): a sentence expands one template, drawn by weight."""

_Alternatives = tuple[tuple[tuple[tuple[str, ...], bool], ...], ...]


def _compile(rule: str) -> _Alternatives:
    """A rule as its alternatives, each a sequence of (choices, optional) symbols."""
    return tuple(tuple((tuple(token.rstrip("?").strip("()").split("/")), token.endswith("?"))
                       for token in alternative.split()) for alternative in rule.split("|"))


_COMPILED = {name: _compile(rule) for name, rule in RULES.items()}
_TEMPLATE_RULES = [_compile(rule) for _, rule, _ in TEMPLATES]
_CUMULATIVE = np.cumsum([w for _, _, w in TEMPLATES]) / sum(w for _, _, w in TEMPLATES)
P_OPTIONAL = 0.35
MIN_WORDS, MAX_WORDS = 3, 12


def _expand(rng: np.random.Generator, rule: _Alternatives, tense: str, out: list[str]) -> None:
    # rng.random() and indexing: several times faster than rng.choice or rng.integers.
    for choices, optional in rule[int(rng.random() * len(rule))]:
        if optional and rng.random() >= P_OPTIONAL:
            continue
        symbol = choices[int(rng.random() * len(choices))]
        if symbol[-1] == "~":
            symbol = symbol[:-1] + tense
        if symbol in _COMPILED:
            _expand(rng, _COMPILED[symbol], tense, out)
        elif symbol in WORD_CLASSES:
            words = WORD_CLASSES[symbol]
            out.append(words[int(rng.random() * len(words))])
        else:
            out.append(symbol)


def sample_sentence(rng: np.random.Generator) -> str:
    """One sentence from a template drawn by weight; redrawn until it has 3..12 words and no
    "cold and cold" (two independent draws that met)."""
    while True:
        index = min(int(np.searchsorted(_CUMULATIVE, rng.random(), side="right")),
                    len(TEMPLATES) - 1)
        words: list[str] = []
        _expand(rng, _TEMPLATE_RULES[index], "_NOW" if rng.random() < 0.5 else "_PAST", words)
        if not MIN_WORDS <= len(words) <= MAX_WORDS or any(
                w == "and" and words[i - 1] == words[i + 1] for i, w in enumerate(words[1:-1], 1)):
            continue
        for i, word in enumerate(words[:-1]):  # the article agrees with the next word's sound
            if word == "a" and words[i + 1][0] in "aeiou":
                words[i] = "an"
        text = " ".join("I" if w == "i" else w for w in words)
        return text[0].upper() + text[1:] + "."

