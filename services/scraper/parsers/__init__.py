"""Pure page parsers, one module per page format; spiders call them."""
