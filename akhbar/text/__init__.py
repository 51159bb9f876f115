"""Knowledge about text that several stages share (:mod:`akhbar.text.arabic`: which Arabic
spellings count as one word).

Plain standard library: the cleaner, dedup and storage all import it, so it stays light.
"""
