"""Filetracker client local stores: ``files/<name>`` and ``locks/<name>`` under one cache dir."""
