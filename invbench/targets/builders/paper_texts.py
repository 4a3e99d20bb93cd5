"""Build the ``captions-paper`` and ``sentences-paper`` text target sets of the ``paper`` suite.

Every text below was written for invbench (none is taken from a dataset) and is dedicated to the
public domain (CC0-1.0). This module is their single source of truth:

* ``CAPTIONS``: 120 short captions of everyday photographs, in the plain style an image
  captioner such as BLIP writes. They are the targets of ``captioner/paper`` and the hidden
  prompts of the ``generator/paper`` targets, whose images FLUX.1-dev renders from them
  (``invbench prepare --suite paper``).
* ``SENTENCES``: 120 everyday English sentences for speech. They are the targets of
  ``asr/paper`` and the hidden texts of the ``tts/paper`` clips, which Chatterbox renders from
  them (``invbench prepare``).

Run::

    python -m invbench.targets.builders.paper_texts

to write ``data/targets/captions-paper`` and ``data/targets/sentences-paper``. ``--verify``
rebuilds both sets in memory and checks that the files on disk are byte-identical to them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from invbench.fs.atomic import atomic_write_bytes
from invbench.targets.target_set import content_sha256

VERSION = 1
DEFAULT_ROOT = Path("data/targets")
COMMAND = "python -m invbench.targets.builders.paper_texts"
LICENCE = "CC0-1.0 (written for invbench)"

# Captions of single everyday photographs a text-to-image model can render: 6..16 words,
# lowercase, no final period; no real people, brands, trademarks or fictional characters.
CAPTIONS: tuple[str, ...] = (
    # people
    "a woman in a yellow raincoat walking along a busy city sidewalk",
    "a young boy flying a kite on a windy beach",
    "an old man reading a newspaper on a park bench",
    "two children building a sandcastle near the water",
    "a chef slicing vegetables on a wooden cutting board",
    "a girl blowing out candles on a birthday cake",
    "a man fixing a flat bicycle tire in his garage",
    "a woman practicing yoga on a mat in a sunny room",
    "a group of friends sitting around a campfire at night",
    "a street musician playing an accordion under a stone archway",
    "a grandmother knitting a blue scarf in a rocking chair",
    "a father pushing a stroller through a leafy park",
    "a woman carrying a basket of laundry into the backyard",
    "a farmer holding a crate of freshly picked tomatoes",
    "a mother and daughter kneading bread dough in a bright kitchen",
    "a little girl in rubber boots splashing in a puddle",
    "a crowd of people watching fireworks over a harbor at night",
    "a man in a suit waiting at a bus stop in the rain",
    # animals
    "a black and white cat sleeping on a sunny windowsill",
    "a golden retriever leaping into a lake to fetch a stick",
    "a herd of cows grazing on a green hillside",
    "a horse standing behind a wooden fence in the morning fog",
    "two ducks swimming in a pond surrounded by tall reeds",
    "a small puppy chewing on a pair of old sneakers",
    "a parrot with bright green feathers perched on a branch",
    "a giraffe eating leaves from the top of a tall tree",
    "a squirrel holding an acorn on a mossy log",
    "a flock of sheep crossing a narrow country road",
    "an elephant spraying water over its back in a muddy river",
    "a tabby kitten peeking out of a cardboard box",
    "a zebra standing in tall dry grass on the savanna",
    "a dog sticking its head out of a car window",
    "an owl sitting on a fence post at dusk",
    # food
    "a plate of spaghetti with tomato sauce and fresh basil",
    "a stack of pancakes topped with blueberries and syrup",
    "a bowl of noodle soup with a boiled egg and green onions",
    "a slice of pizza on a paper plate",
    "a wooden table covered with loaves of fresh bread",
    "a cup of coffee next to a croissant on a small saucer",
    "a wicker basket full of green apples and ripe bananas",
    "a hamburger with lettuce and tomato next to a pile of fries",
    "a chocolate cake with one slice missing on a white plate",
    "a salad with cherry tomatoes and cucumber in a glass bowl",
    "a grilled fish with lemon slices on a blue plate",
    "a pot of soup simmering on a gas stove",
    "a tray of freshly baked cookies cooling on a kitchen counter",
    "sushi rolls arranged on a long black plate with chopsticks",
    "a pile of orange pumpkins at a roadside farm stand",
    # streets and towns
    "a busy city street with yellow taxis at dusk",
    "a narrow cobblestone alley lined with flower pots",
    "a red double decker bus driving past tall buildings",
    "a crowded outdoor market with stalls selling vegetables",
    "a traffic light glowing red on a rainy night",
    "a row of colorful houses along a quiet canal",
    "people with umbrellas crossing a wide street on a rainy afternoon",
    "a bicycle leaning against a brick wall under a window",
    "a small cafe with tables and chairs on the sidewalk",
    "a city skyline reflected in a calm river at sunset",
    "an empty subway platform with a train pulling in",
    "a fire hydrant on a snowy street corner",
    # rooms
    "a living room with a gray sofa and a large window",
    "a kitchen with white cabinets and a wooden dining table",
    "a bedroom with a neatly made bed and two lamps",
    "a bathroom with a white bathtub and green tiles",
    "a home office with a laptop on a cluttered desk",
    "a cozy reading corner with a stack of books and a blanket",
    "a classroom with rows of desks and a chalkboard",
    "a stone fireplace with a crackling fire in a dim room",
    "a child's bedroom with toys scattered across the floor",
    "a laundry room with a washing machine and a basket of towels",
    # landscapes
    "a snowy mountain peak above a pine forest",
    "a sandy beach with palm trees and clear blue water",
    "a field of sunflowers under a bright summer sky",
    "a waterfall pouring into a rocky pool in the forest",
    "a wooden dock stretching into a misty lake at dawn",
    "a desert road disappearing toward distant red cliffs",
    "rolling green hills with a lone tree at sunset",
    "a frozen lake surrounded by snow covered trees",
    "a lighthouse on a rocky cliff above crashing waves",
    "a path winding through a forest of autumn trees",
    "a meadow full of wildflowers below a cloudy sky",
    "a rainbow over a farm field after a storm",
    # vehicles
    "a red pickup truck parked in front of an old barn",
    "a sailboat gliding across a bay on a clear day",
    "a vintage car parked on a tree lined street",
    "a motorcycle parked on a gravel road near the mountains",
    "an airplane taking off from a runway at sunset",
    "a yellow school bus stopped at the side of the road",
    "a freight train crossing a bridge over a river",
    "a small fishing boat tied up at a wooden pier",
    "a tractor plowing a field on a dusty afternoon",
    "a blue bicycle with a basket full of flowers",
    "a hot air balloon floating over a green valley",
    "a white delivery van parked outside a row of shops",
    "a wooden rowboat pulled up on a pebble beach",
    # sports
    "a man riding a large wave on a surfboard",
    "a soccer player kicking a ball across a grassy field",
    "a skier racing down a steep snowy slope",
    "a tennis player serving on a clay court",
    "a skateboarder doing a trick on a concrete ramp",
    "a basketball player jumping toward the hoop in a gym",
    "a group of runners racing down a city street",
    "a baseball player swinging a bat at home plate",
    "a woman swimming laps in an outdoor pool",
    "a rock climber hanging from a cliff above the sea",
    "a kayaker paddling through white water rapids",
    "two teenagers playing catch with a softball in a sunny park",
    # objects
    "a pair of red shoes on a wooden floor",
    "an old typewriter sitting on a desk by a window",
    "a vase of white tulips on a kitchen table",
    "a stack of colorful books on a shelf",
    "a pocket watch resting on an open leather notebook",
    "a set of keys on a ceramic dish by the door",
    "an umbrella lying open on a wet sidewalk",
    "a teapot and two cups on a wooden tray",
    "a candle burning on a table next to a window",
    "a potted cactus next to a small watering can",
    "a pair of glasses resting on an open book",
    "an alarm clock on a nightstand beside a glass of water",
    "a snowman with a carrot nose in a front yard",
)

# Everyday English sentences to be spoken: 5..18 words, ordinary punctuation, numbers written
# as words, no abbreviations, names of real people or brands; each ends with . ? or !
SENTENCES: tuple[str, ...] = (
    "Could you remind me to water the plants before we leave tomorrow?",
    "The bakery on the corner sells the best bread in town.",
    "I think it's going to rain, so bring a jacket.",
    "We spent the whole afternoon cleaning out the garage.",
    "Have you seen my reading glasses anywhere in the living room?",
    "The meeting has been moved to Thursday morning at nine o'clock.",
    "My sister just adopted a puppy from the animal shelter.",
    "Please leave your muddy boots by the back door.",
    "What a beautiful sunset over the water tonight!",
    "The train to the coast leaves every half hour on weekends.",
    "I forgot to buy eggs, so we can't make pancakes.",
    "Our neighbors are having a small party in their garden on Saturday.",
    "How long should the potatoes boil before I add the carrots?",
    "The library stays open later while students are studying for exams.",
    "He practiced the piano every evening for three months.",
    "Turn left at the bakery and walk straight until you reach the bridge.",
    "I can't believe how quickly the summer went by!",
    "The doctor said I should drink more water and sleep longer.",
    "Would you like tea or coffee with your breakfast?",
    "The wind knocked over two of the chairs on the balcony.",
    "She keeps a small notebook for ideas that come to her at night.",
    "We missed the last bus and had to walk home in the dark.",
    "The children collected shells along the beach all morning.",
    "Is there a pharmacy open late anywhere near here?",
    "My grandfather taught me how to tie a fishing knot.",
    "The soup needs a little more salt and a squeeze of lemon.",
    "Watch out, the floor is still wet from mopping!",
    "I usually go for a run before work when the streets are quiet.",
    "The museum has a new exhibition about ancient boats.",
    "Could you turn the music down a little while I make this call?",
    "Our flight was delayed because of thick fog at the airport.",
    "They painted the kitchen a soft shade of green last spring.",
    "Do you know if the post office is open on Sundays?",
    "The cat knocked a glass of water off the table again.",
    "I'd love to learn another language, but I never find the time.",
    "The farmers market moves indoors when the weather turns cold.",
    "Please write your name at the top of every page.",
    "We could hear the waves crashing from our hotel room.",
    "That was the funniest movie I have seen all year!",
    "The printer ran out of paper right before the meeting started.",
    "How many people are coming to dinner on Friday?",
    "My brother is training for a long bike ride across the mountains.",
    "Remember to lock the front door when you go out.",
    "The roses in the front yard finally started to bloom.",
    "I left my umbrella on the train this morning.",
    "She baked a lemon cake for her best friend's birthday.",
    "Can you help me carry these boxes up the stairs?",
    "The snow was so deep that school was closed for two days.",
    "We should check the tires before the long drive tomorrow.",
    "Everyone clapped when the little boy finished his song.",
    "The river rises quickly after a heavy storm in the hills.",
    "I need to return these books before the end of the week.",
    "Why does the dog always bark at the mail carrier?",
    "Fresh strawberries taste so much better than the ones from the store.",
    "He fixed the leaking tap with a wrench and some tape.",
    "The hotel breakfast includes fruit, yogurt, and warm bread.",
    "Don't forget to feed the fish while I am away.",
    "The stars look brighter out here, far away from the city lights.",
    "Our team lost the game, but we played well in the second half.",
    "Where did you put the scissors after you wrapped the present?",
    "I'm going to plant tomatoes and beans along the fence this year.",
    "The baby finally fell asleep after a long walk in the stroller.",
    "Please send me the address when you have a moment.",
    "The old bridge was closed for repairs all summer.",
    "What time does the swimming pool open in the morning?",
    "My phone battery died halfway through the conversation.",
    "We watched a family of deer walk slowly across the field.",
    "It smells like someone is baking cinnamon rolls downstairs.",
    "The teacher asked everyone to bring a favorite book to class.",
    "I would rather take the stairs than wait for the elevator.",
    "The coffee machine at work has been broken since Monday.",
    "Could we sit by the window so we can watch the boats?",
    "A strong breeze carried the smell of the sea into town.",
    "Let's meet at the entrance of the park at noon.",
    "He wrote a long letter to his aunt who lives overseas.",
    "The kitchen light keeps flickering whenever the washing machine starts.",
    "Have you ever tried cooking rice in a clay pot?",
    "The ice on the pond is too thin to walk on.",
    "I found an old photo of my parents in the attic.",
    "We always get lost when we drive through the old part of the city.",
    "Thank you so much for helping me move last weekend!",
    "The bus driver waited for the woman running up the street.",
    "Is it warm enough to eat lunch outside today?",
    "The garden hose has a small hole near the end.",
    "She speaks quietly, but everyone listens when she talks.",
    "My favorite season is autumn because the air feels crisp.",
    "We ordered too much food, so let's take the rest home.",
    "The lights went out during the storm, so we lit candles.",
    "Could you spell your last name for me, please?",
    "Twelve ducklings followed their mother across the path.",
    "The mechanic said the car will be ready by tomorrow afternoon.",
    "I always forget where I parked at the shopping center.",
    "After the long hike, the cold lemonade tasted amazing.",
    "The students built a small robot that can sort colored blocks.",
    "Please keep your voice down, the baby is sleeping.",
    "Which platform does the train to the airport leave from?",
    "Our kitchen table is covered in puzzle pieces again.",
    "The wind chimes on the porch rang all night long.",
    "I just realized that I left the oven on!",
    "The village holds a music festival at the end of every summer.",
    "He spent his savings on a small sailboat and a map of the islands.",
    "Would you mind holding the door for a moment?",
    "The apples from our tree are sweeter this year than last.",
    "My grandmother still writes her shopping list by hand.",
    "The path along the cliffs is closed after dark.",
    "How did you manage to finish the whole puzzle in one evening?",
    "We heard an owl calling from the woods behind the house.",
    "The new bakery sold out of croissants before eight in the morning.",
    "I'll call you back as soon as I get off the train.",
    "The parade was cancelled because of the heavy rain.",
    "Please put the leftovers in the refrigerator before you go to bed.",
    "Nobody expected the small team from the village to win the cup.",
    "What a relief to finally be home after such a long trip!",
    "The carpenter measured the doorway twice before cutting the wood.",
    "Do you want to share a taxi to the station?",
    "The kettle whistled loudly while we were still talking.",
    "Our street looks completely different under a layer of fresh snow.",
    "She keeps her bicycle in the hallway because the shed is full.",
    "It took us forty minutes to find a parking space near the stadium.",
    "The waiter brought us warm bread and a small bowl of olives.",
)

# name -> (texts, id prefix, description)
SETS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "captions-paper": (
        CAPTIONS,
        "cap",
        "Captions of everyday photographs in the plain style of an image captioner, written for "
        "invbench: the targets of captioner/paper and the hidden prompts of generator/paper "
        "(whose images FLUX.1-dev renders via `invbench prepare --suite paper`)",
    ),
    "sentences-paper": (
        SENTENCES,
        "sen",
        "Everyday English sentences written for invbench: the targets of asr/paper and the "
        "hidden texts of the tts/paper clips (which Chatterbox renders via `invbench prepare`)",
    ),
}


def set_files(name: str) -> dict[str, bytes]:
    """The exact bytes of set ``name``'s ``targets.jsonl`` and ``manifest.json``."""
    texts, prefix, description = SETS[name]
    rows = [{"id": f"{prefix}-{i:03d}", "target": {"text": text}, "hidden": {},
             "metadata": {"words": len(text.split())}} for i, text in enumerate(texts)]
    targets = "".join(json.dumps(row) + "\n" for row in rows).encode()
    files = {"targets.jsonl": hashlib.sha256(targets).hexdigest()}
    manifest = {
        "name": name,
        "version": VERSION,
        "description": description,
        "licence": LICENCE,
        "count": len(rows),
        "made_by": {"command": COMMAND},
        "files": files,
        "content_sha256": content_sha256(files),
    }
    return {"targets.jsonl": targets,
            "manifest.json": (json.dumps(manifest, indent=2) + "\n").encode()}


def build(root: Path) -> dict[str, str]:
    """Write both sets under ``root``; return each set's content hash by name."""
    hashes = {}
    for name in SETS:
        for rel, data in set_files(name).items():  # targets.jsonl first, manifest last
            atomic_write_bytes(root / name / rel, data)
        hashes[name] = json.loads((root / name / "manifest.json").read_text())["content_sha256"]
    return hashes


def verify(root: Path) -> list[str]:
    """Rebuild both sets in memory; return the paths on disk that are missing or differ."""
    bad = []
    for name in SETS:
        for rel, data in set_files(name).items():
            path = root / name / rel
            if not path.is_file() or path.read_bytes() != data:
                bad.append(str(path))
    return bad


def main(argv: list[str] | None = None) -> int:
    """Write both sets into ``--root``, or ``--verify`` the files there (exit 1 on a mismatch)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT,
                        help="folder holding the sets (default: data/targets)")
    parser.add_argument("--verify", action="store_true", help="check, do not write")
    args = parser.parse_args(argv)
    if args.verify:
        bad = verify(args.root)
        print("all files match" if not bad else f"{len(bad)} differ: {', '.join(bad)}")
        return 1 if bad else 0
    for name, digest in build(args.root).items():
        print(f"wrote {name} ({len(SETS[name][0])} targets) to {args.root / name}; "
              f"content_sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
