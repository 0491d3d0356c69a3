"""Cache drivers: the base interface, shared file helpers, one package per family."""
