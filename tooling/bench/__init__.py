"""`make bench`: speed and size figures, reported against their targets, never asserted."""
