"""The checkout's name for kitlog's configuration, which lives in kitlog/config.py.

The installed package carries its configuration inside it, as `kitlog.config`. In a
checkout, `import config` (the tests, the benchmarks) gives that very module rather than a
copy, so a test that reloads or patches it changes what the app reads."""

import sys

from kitlog import config

sys.modules[__name__] = config
