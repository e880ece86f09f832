"""`distribute` and `verify`: stamped, encrypted and signed copies of a built briefing."""
