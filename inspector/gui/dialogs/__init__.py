"""Dialogs: plans (prune, clean), queueing ids, confirmations and results, files."""
