"""The page of one cache: its header, its states' tables, its statistics, and its controller."""
