"""Open data: what outside systems read and file through Open311 GeoReport v2, and the
API keys of the clients allowed to file."""
