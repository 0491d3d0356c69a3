"""What the CLI and the window both write: humanized text and records for scripts.

Above the core and below both front ends: ``gui`` and ``cli`` use it, it
uses only the core.
"""
