"""The half-termly round-up to every school's named CWSW lead (``docs/packs.md``)."""
