"""Auto-assignment's API: settings, capacities, and the queue as the team view shows it."""
