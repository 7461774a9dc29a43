"""policylib: resident medical insurance (居民医保) contribution-drive rules as cited data."""

__version__ = "0.1.0"
