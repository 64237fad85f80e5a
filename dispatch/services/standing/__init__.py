"""Standing arrangements: shifts at sites and the volunteers who staff them, and each
volunteer's calendar feed."""
