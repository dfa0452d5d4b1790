"""ever6: Virtual School analytics for children with a social worker (Ever6 CWSW)."""

__version__ = "0.1.0"
