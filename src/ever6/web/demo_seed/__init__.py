"""The demo's partnership records (contacts, tiers, enquiries, clinics, training), one module per app.

Kept apart from the production apps: only the demo workspace imports them (``ever6 demo`` calls
``ever6.web.commands.seed_demo``). Each module has ``seed_demo(rng, today)``; professionals' names
only, never pupils'.
"""
