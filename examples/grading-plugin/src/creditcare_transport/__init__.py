"""creditcare-transport-scorecard: a creditcare grading plugin for transport & logistics (GB/T 4754 section G).

creditcare loads ``creditcare_transport.plugin`` through the entry-point group ``creditcare``.
"""

__version__ = "1.0.0"
