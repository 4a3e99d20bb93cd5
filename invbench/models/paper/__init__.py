"""The paper suite's models: BLIP, FLUX.1-dev, Chatterbox-TTS."""
