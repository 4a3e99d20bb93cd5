"""The speech world's words: word classes by name, and the vocabulary they make.

The mini-TTS is trained on sentences of these words (rendered by espeak-ng), then inverted, and
Whisper tiny.en judges its speech; so words are common English that Whisper spells one way only:
lowercase a-z, no digits, names, abbreviations, contractions, hyphens, homophone traps ("two",
"write", "read"), British/US variants ("grey") or compounds Whisper may split ("notebook"). The
vocabulary holds the Shapes world's words (less "grey") and every word of the ASR targets
(:mod:`invbench.worlds.target_sentences`), even those breaking the rules
(:data:`TARGET_EXCEPTIONS`). The grammar that strings them together is
:mod:`invbench.worlds.speech_grammar`.
"""

from __future__ import annotations

import re


def parse_statements(text: str) -> dict[str, str]:
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
    name: tuple(body.split()) for name, body in parse_statements(_LEXICON).items()
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
