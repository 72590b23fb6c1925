"""houqin core: identity, organisations, the request lifecycle and the plugin manager."""

import os

# Piccolo finds its engine and apps through this module; set before any table loads.
os.environ.setdefault("PICCOLO_CONF", "core.piccolo_conf")
