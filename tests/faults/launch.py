"""``python -m tests.faults.launch <baton sub-command> …``: the ``baton`` command, with test-only
broker timing.

``BATON_TEST_VISIBILITY_TIMEOUT`` (seconds) shortens the Redis transport's visibility timeout
(3600 s in ``workers.publish``) and makes the worker look for expired unacknowledged messages
every second, so that a test can watch a message being delivered a second time. Baton has no
setting for this (see docs/reliability.md, scenario 3).
"""

from __future__ import annotations

import os

from cli.main import main

if __name__ == "__main__":
    timeout = os.environ.get("BATON_TEST_VISIBILITY_TIMEOUT")
    if timeout:
        from workers.app import celery

        celery.conf.broker_transport_options = {
            "visibility_timeout": float(timeout),
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        }
    main()
