"""Evaluations of a synthetic table against the real one: causal, fidelity, utility, privacy."""
