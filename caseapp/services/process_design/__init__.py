"""Designing the process: one set of diagram rules (deploy, upload, the modeler) and the diff."""
