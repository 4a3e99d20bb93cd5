"""Task families: what differs between captioner, generator, asr and tts scoring."""
