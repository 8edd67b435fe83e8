"""Transcription: decoding audio, finding speech and its language, Whisper and its
models, the gate, cues and voices. ``mumu.stages.transcribe`` runs them as the stage."""
