"""The Fleet view: every node of a deployment sharing one Glance database."""
