"""Blueprints by who uses them: public (residents), auth, coordinator (the desk),
volunteer (phones). Views parse, authorise, call a service, commit and respond."""
