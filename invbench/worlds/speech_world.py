"""The speech world: a vocabulary and a sentence grammar for the mini text-to-speech model.

The mini-TTS is trained on sentences drawn here (rendered by espeak-ng), then inverted, and
Whisper tiny.en judges its speech; so words are common English that Whisper spells one way only:
lowercase a-z, no digits, names, abbreviations, contractions, hyphens, homophone traps ("two",
"write", "read"), British/US variants ("grey") or compounds Whisper may split ("notebook"). The
vocabulary holds the Shapes world's words (less "grey") and every word of the ASR targets
(:mod:`invbench.targets.builders.transcripts_mini`), even those breaking the rules
(:data:`TARGET_EXCEPTIONS`).

A sentence expands a weighted template (:data:`TEMPLATES`) by a small context-free grammar
(:data:`RULES`) over word classes (:data:`WORD_CLASSES`) that keeps agreement and tense ("i am",
"she plays", "we were"): 3 to 12 words, capitalised, one final period, no other punctuation.

Splits: every sentence belongs to one split by a sha256 hash of its normalised text (80% train,
10% validation, 10% test), so test sentences are never trained on, whatever amount is drawn. A
sentence equal to an ASR target is ``reserved``, never drawn by :func:`split_sentences`: a TTS
trained on ``train`` has never heard the targets.

Example:
    >>> sentences = sample_sentences(3, seed=0)
    >>> len(set(sentences)), all(s[0].isupper() and s.endswith(".") for s in sentences)
    (3, True)
    >>> normalise("The small dog sat near the window.")
    'the small dog sat near the window'
    >>> split_of("The red circle."), split_of("the red circle")  # an ASR target
    ('reserved', 'reserved')
    >>> all(split_of(s) == "test" for s in split_sentences("test", 5, seed=1))
    True
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from invbench.targets.builders.transcripts_mini import SENTENCES as TARGET_SENTENCES
from invbench.worlds.splits import SPLITS, hash_split


def _parse(text: str) -> dict[str, str]:
    """``NAME: body`` statements, split by new lines or ";"; an indented line continues the one
    above, and "#" starts a comment."""
    text = re.sub(r"\n[ \t]+", " ", re.sub(r"[ \t]*#.*", "", text))
    statements = [s.partition(":") for line in text.splitlines() for s in line.split(";")]
    return {name.strip(): body.strip() for name, _, body in statements if name.strip()}


# ------------------------------------------------------------------ word classes
_LEXICON = """
SIZES: large small; SHAPE_COMMANDS: draw find paint remove add move; DIRECTIONS: higher lower
COLOURS: red orange yellow green cyan blue purple pink black white
SHAPES: circle square triangle diamond cross ring star hexagon  # "star", "hexagon": targets' own
DETERMINERS: the a an my his her this that every these those; PRONOUNS: i he she we they you me
  him us them
PREPOSITIONS: in on off at near under behind beside outside of from along across over up down
  around after before above below left right
FUNCTION_WORDS: am is are was were and please more very slightly background last
PEOPLE: man woman farmer brother sister mother father teacher doctor baby girl boy friend child
  baker driver
PEOPLE_PLURAL: children kids girls boys people friends; ANIMALS_PLURAL: birds ducks cows dogs
ANIMALS: dog cat kitten puppy cow rabbit mouse fox goat duck frog lamb pony owl
THINGS: umbrella jacket phone clock guitar puppet book bag box cup plate bowl bottle basket lamp
  key hat coat ball letter picture map ticket camera blanket pillow spoon candle bucket mirror
  kettle kite towel door window table train car bus boat
THINGS_PLURAL: keys books shoes letters dishes toys
FOODS: soup salt bread milk rice cheese butter sugar coffee water juice honey fruit cake
MEALS: breakfast lunch dinner; PLANTS: tomatoes potatoes carrots onions beans apples trees
GAMES: football tennis chess cards; INSTRUMENTS: guitar piano violin drums
DEVICES: lights lamp radio phone kettle oven heater music
NATURE: sky night morning afternoon evening air moon summer winter spring
ROOMS: kitchen bedroom hallway bathroom attic garage office
SITES: station park shop school market library church museum hospital bakery airport farm barn
  zoo village
OUTDOORS: garden field forest meadow valley yard; PATHS: river road bridge street lake hill
  mountain path
FURNITURE: table bed chair sofa desk shelf bench; FIXTURES: fire window door gate fence wall tree
EVENTS: phone bell clock sun rain snow kettle fire baby birds stars leaves dogs ringing ticking
  shining falling boiling burning crying singing barking kept stopped
ANIMATE_ADJECTIVES: old young happy sad tired hungry friendly lazy clever funny gentle strong calm
  brave busy quiet little big tiny sleepy late early
THING_ADJECTIVES: old heavy clean dirty empty full soft broken shiny rusty wooden modern round
  flat sharp huge long short brown golden strange wet dry late slow fast
PLACE_ADJECTIVES: old quiet busy dark bright noisy narrow wide lovely beautiful cold warm country
  empty long little ancient peaceful wonderful calm clear
FOOD_ADJECTIVES: fresh tasty hot cold warm wonderful lovely delicious salty
COPULAS_NOW: is looks seems feels sounds; COPULAS_PAST: was looked seemed felt sounded grew became
  stayed
FOOD_COPULAS_NOW: smells tastes; FOOD_COPULAS_PAST: tasted  # not "smelled": Whisper may say "smelt"
INTRANSITIVE_PAST: sat slept waited laughed smiled stopped jumped danced sang played stayed
  rested worked cried shouted listened arrived fell stood woke
AT_VERBS: laughed smiled shouted stared pointed looked
MOTION_PAST: walked ran hurried climbed swam marched strolled; RIDE_PAST: drove cycled
THING_VERBS: opened closed found lost carried cleaned painted dropped moved washed fixed brought
  took held kept forgot bought checked filled wanted needed borrowed caught lifted broke built
  drew shared covered saw liked locked
FOOD_VERBS: made cooked tasted bought brought wanted needed shared finished ordered
PLANT_VERBS: planted watered picked grew washed cooked; SWITCH_VERBS: turned switched turn switch
CREATURE_VERBS: fed found followed watched called saw helped met thanked hugged chased
PLACE_VERBS: visited cleaned painted left reached crossed explored
ING_VERBS: playing sleeping singing waiting working sitting running dancing laughing resting
  swimming standing crying walking talking eating cooking watching
PRESENT_BASE: sit walk work sleep swim rest wait stay run sing dance cook
PRESENT_THIRD: sits walks works sleeps swims rests waits stays runs sings dances cooks
PRESENT_TRANSITIVE: play plays watch watches like likes need needs visit visits
IMPERATIVE_THING: bring close open clean wash find carry hold fix check take lock fetch cover
  fill hide keep push pull
IMPERATIVE_FOOD: pass bring taste try share order get make; IMPERATIVE_CREATURE: feed call help
  wake watch follow thank find
MANNER_ADVERBS: slowly quietly quickly carefully gently loudly softly happily calmly
SUDDEN_ADVERBS: suddenly finally  # only before a verb: "she suddenly laughed", not "ran finally"
FREQUENCY_ADVERBS: usually often always sometimes never rarely
PAST_ADVERBS: again later yesterday; PLACE_ADVERBS: outside inside together early upstairs
  downstairs today
REQUEST_ADVERBS: now tonight later again today carefully; CONJUNCTIONS: and while until but when
  because
INTENSIFIERS: very really rather  # not "quite": too close to "quiet"
"""
WORD_CLASSES: dict[str, tuple[str, ...]] = {
    name: tuple(body.split()) for name, body in _parse(_LEXICON).items()
}
"""Each word class by name (``WORD_CLASSES["SHAPES"]``); the grammar draws a word by its name."""
VOCABULARY: tuple[str, ...] = tuple(sorted({w for ws in WORD_CLASSES.values() for w in ws}))
"""Every word a sentence can contain (sorted, distinct)."""

# Target and Shapes words kept although they break the rules, each used only in their sense:
# homophones Whisper decides from context ("write", "eye", "son", "knight", "maid", "rode",
# "reign", "mourning", "hire", "wring", "inn", "bred"), a heteronym ("close": the verb), and two
# words Whisper tiny.en often mishears in isolation ("background", "hexagon").
TARGET_EXCEPTIONS = ("right", "i", "sun", "night", "made", "road", "rain", "morning", "higher",
                     "ring", "in", "bread", "close", "background", "hexagon")

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
RULES: dict[str, str] = _parse(_GRAMMAR)
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


def _distinct(rng: np.random.Generator, n: int, keep: Callable[[str], bool]) -> list[str]:
    out: dict[str, None] = {}  # an insertion-ordered set: first occurrences kept
    for _ in range(100 * n + 1000):  # a bound, never reached: the grammar is far larger than n
        if len(out) >= n:
            break
        sentence = sample_sentence(rng)
        if keep(sentence):
            out[sentence] = None
    if len(out) < n:
        raise ValueError(f"could not draw {n} distinct sentences")
    return list(out)


def sample_sentences(n: int, seed: int) -> list[str]:
    """``n`` distinct sentences of any split, deterministic for ``seed``."""
    return _distinct(np.random.default_rng(seed), n, lambda _: True)


# ------------------------------------------------------------------ splits
RESERVED = "reserved"


def normalise(sentence: str) -> str:
    """The text a split is decided on: lowercase, single spaces, no final period."""
    return " ".join(sentence.strip().lower().removesuffix(".").split())


_RESERVED_TEXTS = frozenset(normalise(s) for s in TARGET_SENTENCES)


def split_of(sentence: str) -> str:
    """``reserved`` for an ASR target, else train/validation/test (80/10/10) by sha256."""
    text = normalise(sentence)
    if text in _RESERVED_TEXTS:
        return RESERVED
    return hash_split(text)


def split_sentences(split: str, n: int, seed: int) -> list[str]:
    """``n`` distinct sentences of ``split``, deterministic for (``seed``, ``split``)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    rng = np.random.default_rng([seed, SPLITS.index(split)])
    return _distinct(rng, n, lambda sentence: split_of(sentence) == split)
