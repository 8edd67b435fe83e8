"""mumu: recordings in; transcripts, summaries, action items and chapters out."""

__version__ = "0.1.0"
