from .core import LOG, fetch, stream
from .helpers import Box, make_box

__all__ = ["LOG", "fetch", "stream", "Box", "make_box"]
