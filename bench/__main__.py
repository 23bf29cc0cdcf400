"""``python -m bench`` (``make bench``; ``make bench-quick`` for the small variant)."""

from bench.run import main

raise SystemExit(main())
