"""newsgen: a static site generator for news and history archives."""

__version__ = "0.1.0"
