"""Fair streaks and weekly goals: value types (the rules are in ``domain.learning``)."""
