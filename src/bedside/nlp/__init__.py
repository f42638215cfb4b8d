"""bedside.nlp."""
