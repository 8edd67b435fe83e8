"""Tools that measure mumu: the benchmark against raw faster-whisper (``bench``), the
library at size (``scale``), the golden sets (``evaluate`` scores, ``goldenset`` builds)."""
