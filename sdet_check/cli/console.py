"""The rich consoles of the command line (stdout for results, stderr for messages).

No emoji codes: a certificate fingerprint (``…:AB:CD:…``), a hash or a signer's name would
otherwise have its ``:cd:`` printed as a picture, and a fingerprint compared out of band
would no longer match.
"""

from __future__ import annotations

from rich.console import Console

console = Console(highlight=False, emoji=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
