"""The Streamlit dashboard over the marts: read-only data access, filters, charts, exports, pages."""
