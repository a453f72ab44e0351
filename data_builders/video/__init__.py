"""Video families (kind `video`): each item is a short clip of frames (PNG files, `images/<id>-<k>.png` in time
order) with one question about what happens over time; the `video` adapter reads the rows as one clip each."""

from . import appear_count, motion  # noqa: F401,E402  (registration)
