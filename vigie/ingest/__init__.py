"""Feeds in: the inbox, feed adapters, validation, locating, deduplication and grouping."""
