"""The 60 sentences of the ``transcripts-mini`` set
(see :mod:`invbench.targets.builders.transcripts_mini`).

Written for invbench and dedicated to the public domain (CC0-1.0).
"""

# Written for invbench. Mixed everyday and Shapes-world vocabulary, 3..12 words (six of each
# length), no digits, names, abbreviations or homophone traps; only a final period. Every one is
# transcribed exactly by Whisper tiny.en (--check-whisper); candidates that were not (e.g. most
# sentences with "background" or "hexagon") were replaced rather than kept as unfair targets.
SENTENCES: tuple[str, ...] = (
    # 3 words
    "Bring the umbrella.",
    "Close the window.",
    "Feed the cat.",
    "Call me later.",
    "The green star.",
    "The red circle.",
    # 4 words
    "The soup smells wonderful.",
    "The garden looks lovely.",
    "Pass the salt please.",
    "A small yellow triangle.",
    "A large blue triangle.",
    "A large yellow square.",
    # 5 words
    "Please turn off the lights.",
    "My brother plays the guitar.",
    "She opened the heavy door.",
    "Draw a small purple hexagon.",
    "The orange star is large.",
    "The white triangle is small.",
    # 6 words
    "The children laughed at the puppet.",
    "My mother made soup last night.",
    "The night was quiet and cold.",
    "Move the yellow square slightly higher.",
    "The green diamond is very large.",
    "The black circle is very small.",
    # 7 words
    "The train was late again this morning.",
    "He forgot his keys on the table.",
    "The children are playing in the garden.",
    "I left my jacket in the car.",
    "Please open the window in the bedroom.",
    "The phone is ringing in the kitchen.",
    # 8 words
    "We planted tomatoes in the garden last spring.",
    "The old clock in the hallway stopped ticking.",
    "The little kitten is sleeping under the bed.",
    "The large red circle is on the left.",
    "The small blue square is on the right.",
    "The purple square is above the orange circle.",
    # 9 words
    "The kids were playing football in the park today.",
    "We need more bread and milk from the shop.",
    "The red star is above the large blue circle.",
    "The white circle is below the small green triangle.",
    "The black triangle is below a large red star.",
    "The blue diamond is below the large yellow circle.",
    # 10 words
    "We walked along the river until the sky grew dark.",
    "We waited at the station while the rain kept falling.",
    "The old man walked slowly along the quiet country road.",
    "The large red circle is above the small green square.",
    "The small purple triangle is below the large orange circle.",
    "The small black star is above the large white square.",
    # 11 words
    "After dinner we usually sit outside and watch the bright stars.",
    "The farmer planted potatoes in the long field behind the barn.",
    "A small green star is right of a large orange hexagon.",
    "The green triangle is small and the purple circle is large.",
    "The purple circle is below the orange star on the right.",
    "The large green circle is on the right of the triangle.",
    # 12 words
    "The old dog slept beside the fire while the rain fell outside.",
    "The sun was shining and the birds were singing in the trees.",
    "The library is quiet in the morning and busy in the evening.",
    "A large blue circle is above a small red square on white.",
    "The yellow diamond is below the purple triangle on a black background.",
    "The small yellow diamond is on the right of the blue circle.",
)
