"""Analytics: the marts layer (repeat contacts, root causes, CLV at risk). See docs/marts.md."""
