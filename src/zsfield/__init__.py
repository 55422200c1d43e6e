"""zsfield — offline-first field app for investment-promotion (招商引资) teams."""

__version__ = "0.1.0"
