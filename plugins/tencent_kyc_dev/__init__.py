"""Development tools of the tencent_kyc provider: the Tencent KYC simulator, the multi-process stack, the demo.

A distribution of its own (``tencent-kyc-dev``, ``plugins/tencent_kyc_dev/pyproject.toml``), installed by
``make setup`` and the compose image next to the provider; a production ``pip install`` of the provider
(``tencent-kyc``) installs neither these tools nor their dependencies (pillow).
"""

from __future__ import annotations

__version__ = "0.1.0"
