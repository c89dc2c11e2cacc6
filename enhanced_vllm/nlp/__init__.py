"""NLTK-based language tools that work offline."""
