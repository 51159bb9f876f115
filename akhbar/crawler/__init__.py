"""The crawler stage: scrapy spiders, middlewares and processes (the only scrapy code)."""
