"""What a local authority may change about linkage: the ``[linkage]`` section of ``ever6.toml``.

The settings live with all the others in :mod:`ever6.config`; they are named here too because
the linkage code and its callers read them from here::

    [linkage]
    accept = 0.99            # a probabilistic pair at or above this is linked
    review = 0.80            # from here to accept goes to the clerical review queue
    la_code = "886"          # the authority's LA number (default: [authority] la_code)
    extra_la_codes = []      # LA numbers to accept in UPNs beyond the built-in list
    school_age = [4, 15]     # ages on 31 August (Reception to Year 11) counted as school age
"""

from ever6.config import LinkageSettings, LinkageSettingsError

__all__ = ["LinkageSettings", "LinkageSettingsError"]
