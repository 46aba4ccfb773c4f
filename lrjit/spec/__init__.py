"""The schedule compiler front end: JSON configs, the spec language, t5x factor strings, Keras and
PyTorch import, and compiled evaluators."""
